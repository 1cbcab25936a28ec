-- 107: a write-ahead record of each firing post (analytics/alerts/records.py). Before the alerts are
-- posted to Alertmanager, the label sets about to fire are written here (JSON list) and a prediction not
-- firing yet is marked 'posting'; once Alertmanager accepted them the row says 'firing' with those labels
-- and this is cleared. A collector killed between Alertmanager's accept and that record leaves the row
-- 'posting': the next run treats the alert as possibly delivered and resolves or re-posts it instead of
-- forgetting it. NULL: nothing posted without its answer recorded.
ALTER TABLE alert_deliveries ADD COLUMN IF NOT EXISTS posting_labels VARCHAR;
