-- 001: the seeds' schemas (seed 000: error_patterns, fix_history, performance_baselines, predictions,
-- smart_recommendations; seed 003: ai_analysis_cache, predictive_alerts, pattern versions and
-- effectiveness fields) plus raw metrics and error events, their hourly rollup, and bookkeeping.
-- All timestamps are naive TIMESTAMPs in UTC.

CREATE SEQUENCE IF NOT EXISTS seq_error_patterns;
CREATE SEQUENCE IF NOT EXISTS seq_fix_history;
CREATE SEQUENCE IF NOT EXISTS seq_performance_baselines;
CREATE SEQUENCE IF NOT EXISTS seq_predictions;
CREATE SEQUENCE IF NOT EXISTS seq_smart_recommendations;
CREATE SEQUENCE IF NOT EXISTS seq_recommendation_events;
CREATE SEQUENCE IF NOT EXISTS seq_ai_analysis_cache;
CREATE SEQUENCE IF NOT EXISTS seq_ai_calls;
CREATE SEQUENCE IF NOT EXISTS seq_predictive_alerts;
CREATE SEQUENCE IF NOT EXISTS seq_pattern_versions;

-- Raw metrics: one value of one metric of one component on one host at one moment.
CREATE TABLE IF NOT EXISTS metrics (
    ts        TIMESTAMP NOT NULL,
    host      VARCHAR   NOT NULL,
    component VARCHAR   NOT NULL,
    metric    VARCHAR   NOT NULL,
    value     DOUBLE    NOT NULL,
    source    VARCHAR
);

-- Hourly rollup of metrics, maintained on every write (analytics/metrics_store.py), so analyses read
-- thousands of rows instead of millions.
CREATE TABLE IF NOT EXISTS metrics_hourly (
    host      VARCHAR   NOT NULL,
    component VARCHAR   NOT NULL,
    metric    VARCHAR   NOT NULL,
    hour      TIMESTAMP NOT NULL,
    n         BIGINT    NOT NULL,
    sum       DOUBLE    NOT NULL,
    sumsq     DOUBLE    NOT NULL,
    min       DOUBLE    NOT NULL,
    max       DOUBLE    NOT NULL,
    PRIMARY KEY (host, component, metric, hour)
);

-- Raw error events: one error line / failed probe / recorded error.
CREATE TABLE IF NOT EXISTS error_events (
    ts          TIMESTAMP NOT NULL,
    host        VARCHAR   NOT NULL,
    component   VARCHAR   NOT NULL,
    message     VARCHAR   NOT NULL,
    fingerprint VARCHAR,
    type        VARCHAR,
    source      VARCHAR,
    level       VARCHAR
);

-- Seed 000 error_patterns, with seed 003's versioning, auto-approval and effectiveness fields.
CREATE TABLE IF NOT EXISTS error_patterns (
    id               BIGINT PRIMARY KEY DEFAULT nextval('seq_error_patterns'),
    error_hash       VARCHAR UNIQUE NOT NULL,   -- SHA-256 fingerprint of the template
    error_type       VARCHAR NOT NULL,          -- one of the seed's nine types
    error_message    VARCHAR NOT NULL,          -- a representative original message
    template         VARCHAR,                   -- the masked template
    component        VARCHAR NOT NULL,          -- first component seen (all: pattern_components)
    solution         VARCHAR,
    success_count    INTEGER DEFAULT 0,
    failure_count    INTEGER DEFAULT 0,
    occurrence_count BIGINT  DEFAULT 0,
    first_seen       TIMESTAMP,
    last_seen        TIMESTAMP,
    confidence_score DOUBLE  DEFAULT 0.5,
    created_at       TIMESTAMP DEFAULT (now()::TIMESTAMP),
    -- seed 003 enhanced pattern learning
    version          INTEGER DEFAULT 1,
    ai_enhanced      BOOLEAN DEFAULT false,
    ai_confidence    DOUBLE,
    auto_approved    BOOLEAN DEFAULT false,
    approved_by      VARCHAR,
    approved_at      TIMESTAMP,
    last_used_at     TIMESTAMP,
    avg_success_rate DOUBLE,
    recent_successes INTEGER DEFAULT 0,
    recent_failures  INTEGER DEFAULT 0,
    rules_version    INTEGER DEFAULT 1
);

CREATE TABLE IF NOT EXISTS pattern_versions (
    id          BIGINT PRIMARY KEY DEFAULT nextval('seq_pattern_versions'),
    error_hash  VARCHAR NOT NULL,
    version     INTEGER NOT NULL,
    solution    VARCHAR NOT NULL,
    source      VARCHAR,                -- user | ai | playbook | import
    author      VARCHAR,
    created_at  TIMESTAMP DEFAULT (now()::TIMESTAMP)
);

-- When the masking rules change, old fingerprints map to new ones so learned fixes stay attached.
CREATE TABLE IF NOT EXISTS fingerprint_map (
    old_hash      VARCHAR NOT NULL,
    new_hash      VARCHAR NOT NULL,
    rules_version INTEGER NOT NULL,
    mapped_at     TIMESTAMP DEFAULT (now()::TIMESTAMP)
);

CREATE TABLE IF NOT EXISTS fix_history (
    id                BIGINT PRIMARY KEY DEFAULT nextval('seq_fix_history'),
    error_hash        VARCHAR NOT NULL,
    fix_applied       VARCHAR NOT NULL,
    success           BOOLEAN NOT NULL,
    execution_time_ms INTEGER,
    applied_at        TIMESTAMP DEFAULT (now()::TIMESTAMP),
    solution_version  INTEGER,
    note              VARCHAR
);

-- Seed 000 performance_baselines, keyed per host too; seed 003's period and robust fields.
CREATE TABLE IF NOT EXISTS performance_baselines (
    id             BIGINT PRIMARY KEY DEFAULT nextval('seq_performance_baselines'),
    host           VARCHAR NOT NULL DEFAULT '',
    component      VARCHAR NOT NULL,
    metric_name    VARCHAR NOT NULL,
    baseline_value DOUBLE  NOT NULL,
    std_deviation  DOUBLE  DEFAULT 0,
    sample_count   BIGINT  DEFAULT 1,
    median_value   DOUBLE,
    mad_value      DOUBLE,
    period_start   TIMESTAMP,
    period_end     TIMESTAMP,
    last_updated   TIMESTAMP DEFAULT (now()::TIMESTAMP),
    UNIQUE (host, component, metric_name)
);

-- Seed 000 predictions: every prediction, later scored against what happened.
CREATE TABLE IF NOT EXISTS predictions (
    id               BIGINT PRIMARY KEY DEFAULT nextval('seq_predictions'),
    prediction_type  VARCHAR NOT NULL,   -- slow_response | performance_degradation | recurring_error | anomaly | forecast | ...
    component        VARCHAR NOT NULL,
    host             VARCHAR DEFAULT '',
    metric           VARCHAR,
    predicted_value  DOUBLE,
    lo               DOUBLE,
    hi               DOUBLE,
    actual_value     DOUBLE,
    confidence_score DOUBLE,
    confidence_kind  VARCHAR,            -- prior | measured
    severity         VARCHAR,
    message          VARCHAR,
    recommendation   VARCHAR,
    rule             VARCHAR,
    model            VARCHAR,
    horizon_hours    DOUBLE,
    evidence         VARCHAR,            -- JSON
    prediction_date  TIMESTAMP DEFAULT (now()::TIMESTAMP),
    due_at           TIMESTAMP,
    outcome_date     TIMESTAMP,
    accurate         BOOLEAN
);

-- Seed 003 PredictiveAlert.
CREATE TABLE IF NOT EXISTS predictive_alerts (
    id               BIGINT PRIMARY KEY DEFAULT nextval('seq_predictive_alerts'),
    host             VARCHAR DEFAULT '',
    component        VARCHAR NOT NULL,
    alert_type       VARCHAR NOT NULL,
    severity         VARCHAR NOT NULL,   -- LOW | MEDIUM | HIGH
    prediction       VARCHAR NOT NULL,
    confidence       DOUBLE,
    current_metrics  VARCHAR,            -- JSON
    baseline_metrics VARCHAR,            -- JSON
    deviation        DOUBLE,
    prediction_id    BIGINT,
    created_at       TIMESTAMP DEFAULT (now()::TIMESTAMP)
);

-- Seed 000 smart_recommendations with a lifecycle (status, snooze) and a stable key (rule + subject).
CREATE TABLE IF NOT EXISTS smart_recommendations (
    id                  BIGINT PRIMARY KEY DEFAULT nextval('seq_smart_recommendations'),
    recommendation_type VARCHAR NOT NULL,
    title               VARCHAR NOT NULL,
    description         VARCHAR NOT NULL,
    priority            INTEGER DEFAULT 1,
    category            VARCHAR,
    impact_score        DOUBLE,
    dismissed           BOOLEAN DEFAULT false,
    applied             BOOLEAN DEFAULT false,
    created_at          TIMESTAMP DEFAULT (now()::TIMESTAMP),
    rule                VARCHAR,
    subject             VARCHAR,
    rec_key             VARCHAR UNIQUE,
    status              VARCHAR DEFAULT 'open',  -- open | applied | dismissed | snoozed
    snoozed_until       TIMESTAMP,
    action              VARCHAR,
    evidence            VARCHAR,                 -- JSON
    severity_value      DOUBLE,
    host                VARCHAR DEFAULT '',
    updated_at          TIMESTAMP DEFAULT (now()::TIMESTAMP)
);

CREATE TABLE IF NOT EXISTS recommendation_events (
    id         BIGINT PRIMARY KEY DEFAULT nextval('seq_recommendation_events'),
    rec_id     BIGINT NOT NULL,
    action     VARCHAR NOT NULL,     -- created | applied | dismissed | snoozed | reopened | undone
    event_at   TIMESTAMP DEFAULT (now()::TIMESTAMP),
    note       VARCHAR
);

-- Seed 003 AiAnalysisCache.
CREATE TABLE IF NOT EXISTS ai_analysis_cache (
    id               BIGINT PRIMARY KEY DEFAULT nextval('seq_ai_analysis_cache'),
    input_hash       VARCHAR UNIQUE NOT NULL,
    diagnosis_type   VARCHAR,
    error_signature  VARCHAR,
    log_sample       VARCHAR,
    analysis         VARCHAR,        -- JSON
    root_cause       VARCHAR,
    confidence       DOUBLE,
    recommendations  VARCHAR,        -- JSON array
    reasoning        VARCHAR,
    model            VARCHAR,
    tokens_used      INTEGER,
    prompt_tokens    INTEGER,
    completion_tokens INTEGER,
    response_time    INTEGER,        -- milliseconds
    cost             DOUBLE,
    hit_count        INTEGER DEFAULT 1,
    last_used_at     TIMESTAMP DEFAULT (now()::TIMESTAMP),
    created_at       TIMESTAMP DEFAULT (now()::TIMESTAMP),
    expires_at       TIMESTAMP
);

-- Every call to a model (and every cache hit): the cost ledger.
CREATE TABLE IF NOT EXISTS ai_calls (
    id                BIGINT PRIMARY KEY DEFAULT nextval('seq_ai_calls'),
    called_at         TIMESTAMP DEFAULT (now()::TIMESTAMP),
    error_hash        VARCHAR,
    input_hash        VARCHAR,
    model             VARCHAR,
    base_url          VARCHAR,
    cache_hit         BOOLEAN,
    status            VARCHAR,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    cost              DOUBLE,
    response_time     INTEGER,
    error             VARCHAR
);

-- Files already ingested (content hash), so re-ingesting adds nothing twice.
CREATE TABLE IF NOT EXISTS ingested_files (
    sha256      VARCHAR PRIMARY KEY,
    path        VARCHAR,
    size        BIGINT,
    kind        VARCHAR,
    rows        BIGINT,
    ingested_at TIMESTAMP DEFAULT (now()::TIMESTAMP)
);

-- Positions of sources (tailed files, Prometheus/Loki queries) so restarts neither skip nor repeat.
CREATE TABLE IF NOT EXISTS source_checkpoints (
    source     VARCHAR NOT NULL,
    key        VARCHAR NOT NULL,
    position   VARCHAR,
    updated_at TIMESTAMP DEFAULT (now()::TIMESTAMP),
    PRIMARY KEY (source, key)
);

-- Spooled batches already applied (so a crash between commit and unlink never applies one twice).
CREATE TABLE IF NOT EXISTS spool_applied (
    spool_id   VARCHAR PRIMARY KEY,
    applied_at TIMESTAMP DEFAULT (now()::TIMESTAMP)
);

-- Small facts: last security scan, learned rule weights, ...
CREATE TABLE IF NOT EXISTS kv (
    key        VARCHAR PRIMARY KEY,
    value      VARCHAR,
    updated_at TIMESTAMP DEFAULT (now()::TIMESTAMP)
);

CREATE INDEX IF NOT EXISTS idx_fix_history_hash ON fix_history (error_hash);
CREATE INDEX IF NOT EXISTS idx_predictions_type ON predictions (prediction_type);
CREATE INDEX IF NOT EXISTS idx_predictions_component ON predictions (component);
