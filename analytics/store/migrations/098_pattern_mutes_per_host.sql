-- 098: a mute names a host too (`lokifi patterns mute PATTERN --host NAME`): an error expected on some
-- hosts only (the containers' `policy-rc.d denied execution`) stays alive on the others. host '' mutes
-- the pattern on every host (the mutes 097 stored). The table is rebuilt: its key becomes (fingerprint, host).
CREATE TABLE pattern_mutes_098 (
    fingerprint VARCHAR   NOT NULL,            -- error_patterns.error_hash
    host        VARCHAR   NOT NULL DEFAULT '', -- '' = every host
    muted_at    TIMESTAMP NOT NULL,            -- naive UTC
    until       TIMESTAMP,                     -- naive UTC; NULL: until unmuted
    reason      VARCHAR,
    PRIMARY KEY (fingerprint, host)
);
INSERT INTO pattern_mutes_098 (fingerprint, host, muted_at, until, reason)
    SELECT fingerprint, '', muted_at, until, reason FROM pattern_mutes;
DROP TABLE pattern_mutes;
ALTER TABLE pattern_mutes_098 RENAME TO pattern_mutes;
