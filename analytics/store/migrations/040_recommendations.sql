-- 040: the recommendation lifecycle (analytics/recommend/lifecycle.py).
-- smart_recommendations (001) already has rule, subject, rec_key, status, snoozed_until, action, evidence.
-- Added: what the finding measured (so "materially worse" can be judged against the measure at dismissal),
-- the impact before learning and the learned factor (so the damping is visible), and when the finding was
-- last seen / went away.
ALTER TABLE smart_recommendations ADD COLUMN IF NOT EXISTS measure DOUBLE;
ALTER TABLE smart_recommendations ADD COLUMN IF NOT EXISTS dismissed_measure DOUBLE;
ALTER TABLE smart_recommendations ADD COLUMN IF NOT EXISTS base_impact DOUBLE;
ALTER TABLE smart_recommendations ADD COLUMN IF NOT EXISTS learned_factor DOUBLE DEFAULT 1.0;
ALTER TABLE smart_recommendations ADD COLUMN IF NOT EXISTS components VARCHAR;       -- JSON list
ALTER TABLE smart_recommendations ADD COLUMN IF NOT EXISTS last_seen_at TIMESTAMP;
ALTER TABLE smart_recommendations ADD COLUMN IF NOT EXISTS resolved_at TIMESTAMP;

-- Each lifecycle event records the state it left, so an undo restores it exactly, and which event an
-- undo reverses, so learning ignores undone dismissals.
ALTER TABLE recommendation_events ADD COLUMN IF NOT EXISTS host VARCHAR;
ALTER TABLE recommendation_events ADD COLUMN IF NOT EXISTS rule VARCHAR;
ALTER TABLE recommendation_events ADD COLUMN IF NOT EXISTS from_status VARCHAR;
ALTER TABLE recommendation_events ADD COLUMN IF NOT EXISTS from_snoozed_until TIMESTAMP;
ALTER TABLE recommendation_events ADD COLUMN IF NOT EXISTS from_dismissed_measure DOUBLE;
ALTER TABLE recommendation_events ADD COLUMN IF NOT EXISTS to_status VARCHAR;
ALTER TABLE recommendation_events ADD COLUMN IF NOT EXISTS source VARCHAR;
ALTER TABLE recommendation_events ADD COLUMN IF NOT EXISTS undoes BIGINT;

CREATE INDEX IF NOT EXISTS idx_recommendation_events_rec ON recommendation_events (rec_id);
