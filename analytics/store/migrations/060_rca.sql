-- 060: root-cause analysis (analytics/rca). Links cache rows to their pattern, groups ledger rows
-- into diagnoses (one `lokifi ai analyze` = one diagnosis, possibly several calls), and indexes
-- what cleaning and stats scan.

ALTER TABLE ai_analysis_cache ADD COLUMN IF NOT EXISTS error_hash VARCHAR;
ALTER TABLE ai_analysis_cache ADD COLUMN IF NOT EXISTS prompt_version INTEGER;
ALTER TABLE ai_analysis_cache ADD COLUMN IF NOT EXISTS response_format VARCHAR;

ALTER TABLE ai_calls ADD COLUMN IF NOT EXISTS diagnosis_id VARCHAR;
ALTER TABLE ai_calls ADD COLUMN IF NOT EXISTS attempt INTEGER;
ALTER TABLE ai_calls ADD COLUMN IF NOT EXISTS usage_reported BOOLEAN;
-- on a cache hit: what the reused answer cost when it was made (the hit itself costs nothing)
ALTER TABLE ai_calls ADD COLUMN IF NOT EXISTS tokens_saved INTEGER;
ALTER TABLE ai_calls ADD COLUMN IF NOT EXISTS cost_saved DOUBLE;

CREATE INDEX IF NOT EXISTS idx_ai_cache_expires ON ai_analysis_cache (expires_at);
CREATE INDEX IF NOT EXISTS idx_ai_cache_error_hash ON ai_analysis_cache (error_hash);
CREATE INDEX IF NOT EXISTS idx_ai_calls_diagnosis ON ai_calls (diagnosis_id);
