-- 097: patterns a person muted (`lokifi patterns mute`): an error that is expected where it occurs (a
-- container's `policy-rc.d denied execution`, a health check's 404) raises no prediction and no alert
-- while muted. Until a time, or (until NULL) until unmuted. Its events are still stored and counted.
CREATE TABLE IF NOT EXISTS pattern_mutes (
    fingerprint VARCHAR   PRIMARY KEY,  -- error_patterns.error_hash
    muted_at    TIMESTAMP NOT NULL,     -- naive UTC
    until       TIMESTAMP,              -- naive UTC; NULL: until unmuted
    reason      VARCHAR
);
