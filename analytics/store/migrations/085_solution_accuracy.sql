-- 085: how often each kind of solution works (analytics/solution_accuracy).
-- Which diagnosis proposed a solution version, and the fix attempts it led to; every change of a
-- pattern's approval, so approval and withdrawal can be counted over time; the cache index the
-- AI's diagnosis-type lookups use; and fix history's own lookup by pattern and version.

ALTER TABLE pattern_versions ADD COLUMN IF NOT EXISTS diagnosis_id VARCHAR;
ALTER TABLE fix_history ADD COLUMN IF NOT EXISTS diagnosis_id VARCHAR;

CREATE SEQUENCE IF NOT EXISTS seq_approval_events;
CREATE TABLE IF NOT EXISTS approval_events (
    id          BIGINT PRIMARY KEY DEFAULT nextval('seq_approval_events'),
    error_hash  VARCHAR NOT NULL,
    version     INTEGER NOT NULL,     -- the solution version (0: the built-in playbook)
    event       VARCHAR NOT NULL,     -- approved | withdrawn (outcomes fell) | superseded (new version)
    approver    VARCHAR,
    outcomes    INTEGER,              -- outcomes of that version when it happened
    event_at    TIMESTAMP NOT NULL
);

CREATE INDEX IF NOT EXISTS idx_ai_cache_diagnosis_type ON ai_analysis_cache (diagnosis_type);
CREATE INDEX IF NOT EXISTS idx_fix_history_version ON fix_history (error_hash, solution_version);
CREATE INDEX IF NOT EXISTS idx_approval_events_at ON approval_events (event_at);
