-- 030: forecasting (issue 5). The latest forecast per component and metric, for the dashboard's
-- sparklines and `lokifi ai forecast`; replaced by every forecast refresh (analytics/forecast.py).
-- The forecasts the product makes are also stored as predictions (prediction_type = 'forecast') and
-- scored there when they fall due. Rows are replaced per (host, component, metric): no key constraint,
-- the writer deletes and inserts in one transaction.

CREATE TABLE IF NOT EXISTS forecast_runs (
    host            VARCHAR   NOT NULL DEFAULT '',   -- '' = all hosts together
    component       VARCHAR   NOT NULL,
    metric          VARCHAR   NOT NULL,
    made_at         TIMESTAMP NOT NULL,              -- the "now" of the forecast
    last_hour       TIMESTAMP,                       -- start of the last complete hour used
    model           VARCHAR,                         -- linear | seasonal (the chosen one)
    requested_model VARCHAR,                         -- linear | seasonal | auto
    horizon_days    DOUBLE,
    days_of_data    INTEGER,
    current_value   DOUBLE,
    forecast_value  DOUBLE,
    lo              DOUBLE,                          -- 80 % interval of forecast_value
    hi              DOUBLE,
    percent_change  DOUBLE,
    slope_per_day   DOUBLE,
    intercept       DOUBLE,
    trend           VARCHAR,                         -- increasing | decreasing | stable
    significant     BOOLEAN,
    colour          VARCHAR,                         -- red | yellow | green
    backtest_mae    DOUBLE,
    backtest_mase   DOUBLE,
    backtest        VARCHAR,                         -- JSON: backtest MAE per model, weights
    message         VARCHAR                          -- e.g. "insufficient data: 3 days, 7 required"
);

-- The forecast path (hourly steps) with its 80 % band, for sparklines.
CREATE TABLE IF NOT EXISTS forecast_points (
    host      VARCHAR   NOT NULL DEFAULT '',
    component VARCHAR   NOT NULL,
    metric    VARCHAR   NOT NULL,
    hour      TIMESTAMP NOT NULL,                    -- start of the forecast hour
    mean      DOUBLE    NOT NULL,
    lo        DOUBLE    NOT NULL,
    hi        DOUBLE    NOT NULL
);
