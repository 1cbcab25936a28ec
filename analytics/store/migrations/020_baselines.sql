-- 020: baselines and predictions (issue 4).
-- Baselines are kept as running sums over a rolling window of hourly rollups (metrics_hourly): each
-- refresh adds the hours that entered the window and subtracts the hours that left it, so a refresh
-- reads a few new hours, never the whole history. performance_baselines (001) is the readable result.

-- Where the rolling window stands: hours in [hour_from, hour_to) are included in the sums.
CREATE TABLE IF NOT EXISTS baseline_state (
    key         VARCHAR PRIMARY KEY,      -- 'rolling'
    window_days INTEGER NOT NULL,
    hour_from   TIMESTAMP NOT NULL,
    hour_to     TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP
);

-- Running sums of the raw samples in the window, per host, component and metric.
CREATE TABLE IF NOT EXISTS baseline_sums (
    host      VARCHAR NOT NULL,
    component VARCHAR NOT NULL,
    metric    VARCHAR NOT NULL,
    n         DOUBLE  NOT NULL,
    sum       DOUBLE  NOT NULL,
    sumsq     DOUBLE  NOT NULL,
    PRIMARY KEY (host, component, metric)
);

-- The seasonal baseline: the same sums per hour of day x weekday (dow 0 = Monday).
CREATE TABLE IF NOT EXISTS baseline_seasonal (
    host      VARCHAR NOT NULL,
    component VARCHAR NOT NULL,
    metric    VARCHAR NOT NULL,
    dow       INTEGER NOT NULL,
    hod       INTEGER NOT NULL,
    n         DOUBLE  NOT NULL,
    sum       DOUBLE  NOT NULL,
    sumsq     DOUBLE  NOT NULL,
    PRIMARY KEY (host, component, metric, dow, hod)
);

-- The anomaly detector's last scan of each hourly series, so it runs only when a new hour completes.
CREATE TABLE IF NOT EXISTS detector_scans (
    host       VARCHAR NOT NULL,
    component  VARCHAR NOT NULL,
    metric     VARCHAR NOT NULL,
    last_hour  TIMESTAMP NOT NULL,     -- last complete hour scanned
    alarm_hour TIMESTAMP,              -- the hour of the latest alarm, if any
    PRIMARY KEY (host, component, metric)
);

CREATE INDEX IF NOT EXISTS idx_predictions_due ON predictions (due_at);

-- What the predictions of this engine remember beyond the seed's columns: the subject (e.g. the error
-- fingerprint of a recurring error) and, once scored, the lead time (prediction -> first sign).
ALTER TABLE predictions ADD COLUMN IF NOT EXISTS subject VARCHAR;
ALTER TABLE predictions ADD COLUMN IF NOT EXISTS lead_hours DOUBLE;
