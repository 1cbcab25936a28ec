-- 106: the config file whose Alertmanager endpoint a delivery posted to (its resolved path), recorded with
-- the endpoint's health: `lokifi db prune --config FILE` drops only the records FILE's deliveries made
-- (another config's, the collector's, are that config's to drop). NULL: recorded before this was kept.
ALTER TABLE alert_endpoint ADD COLUMN IF NOT EXISTS config VARCHAR;
