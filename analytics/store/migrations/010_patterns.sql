-- 010: error-pattern learning (issue 3). Components and samples per pattern, a learned marker on
-- error_events so each event is counted once, and indexes for the lookups the learning does.

ALTER TABLE error_events ADD COLUMN IF NOT EXISTS learned BOOLEAN DEFAULT false;

-- Every component a pattern was seen in, with its own count and first/last seen.
CREATE TABLE IF NOT EXISTS pattern_components (
    error_hash  VARCHAR   NOT NULL,
    component   VARCHAR   NOT NULL,
    count       BIGINT    NOT NULL DEFAULT 0,
    first_seen  TIMESTAMP,
    last_seen   TIMESTAMP,
    PRIMARY KEY (error_hash, component)
);

-- A few distinct original messages per pattern (the latest ones; at most 5 kept).
CREATE TABLE IF NOT EXISTS pattern_samples (
    error_hash  VARCHAR   NOT NULL,
    message     VARCHAR   NOT NULL,
    component   VARCHAR,
    seen_at     TIMESTAMP
);

CREATE INDEX IF NOT EXISTS idx_pattern_samples_hash ON pattern_samples (error_hash);
CREATE INDEX IF NOT EXISTS idx_error_events_fingerprint ON error_events (fingerprint);
CREATE INDEX IF NOT EXISTS idx_pattern_versions_hash ON pattern_versions (error_hash);
