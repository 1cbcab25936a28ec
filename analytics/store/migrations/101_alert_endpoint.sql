-- 101: whether the Alertmanager endpoint takes the alerts (analytics.alerts.endpoint), as the last delivery
-- found it: what `lokifi status` and the dashboard show, so that an Alertmanager that is down is seen, not
-- only stored in each alert's row. One row per endpoint (its URL without credentials).
CREATE TABLE IF NOT EXISTS alert_endpoint (
    endpoint      VARCHAR PRIMARY KEY,
    state         VARCHAR NOT NULL,      -- ok | failing
    failing_since TIMESTAMP,             -- the first refused or unanswered post of the current failure
    failures      INTEGER DEFAULT 0,     -- posts that failed in a row
    last_error    VARCHAR,               -- why the last one failed
    undelivered   INTEGER DEFAULT 0,     -- alerts the last failed post carried, kept for the next one
    last_attempt  TIMESTAMP,
    last_success  TIMESTAMP
);
