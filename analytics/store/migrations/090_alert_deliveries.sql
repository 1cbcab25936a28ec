-- 090: what Lokifi has told Alertmanager and the terminal about each prediction (analytics.alerts), so
-- that nothing is lost or sent twice across collector restarts: a firing alert is marked only after
-- Alertmanager accepted it, a resolution only after it accepted that.
CREATE TABLE IF NOT EXISTS alert_deliveries (
    prediction_id   BIGINT PRIMARY KEY,
    state           VARCHAR NOT NULL,      -- firing | resolved
    first_posted_at TIMESTAMP,
    last_posted_at  TIMESTAMP,
    attempts        INTEGER DEFAULT 0,
    last_error      VARCHAR
);
CREATE TABLE IF NOT EXISTS prediction_notices (
    prediction_id   BIGINT PRIMARY KEY,
    noticed_at      TIMESTAMP NOT NULL
);
