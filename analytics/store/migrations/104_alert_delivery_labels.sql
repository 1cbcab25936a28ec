-- 104: the label set Alertmanager last accepted for a prediction's alert (analytics/alerts/deliver.py), as
-- JSON. Alertmanager knows an alert by its labels only: when a prediction's labels change while its alert
-- fires (its severity re-evaluated, a host renamed, redaction settings changed), the label set it holds
-- must be resolved and the new one sent -- and a resolution must carry the labels that were sent, not the
-- ones the prediction has now. NULL for deliveries recorded before (their labels are the prediction's).
ALTER TABLE alert_deliveries ADD COLUMN IF NOT EXISTS labels VARCHAR;
