-- 096: the last minutes of a rotated access log that `lokifi backfill` holds back until the next file of
-- the same log is read (analytics.backfill): a rotation in the middle of a minute leaves that minute's
-- requests in two files, and its metrics are written once, from the sums of both. Kept in the store so
-- that a backfill stopped between the two files still counts the minute whole when it is run again.
CREATE TABLE IF NOT EXISTS backfill_carry (
    log       VARCHAR   NOT NULL,  -- the configured file (its rotations are read before it)
    host      VARCHAR   NOT NULL,
    component VARCHAR   NOT NULL,
    minute    TIMESTAMP NOT NULL,
    n         BIGINT    NOT NULL,  -- requests
    n5xx      BIGINT    NOT NULL,  -- of them answered 5xx
    rt_sum    DOUBLE    NOT NULL,  -- sum of the request times written (seconds)
    rt_n      BIGINT    NOT NULL,  -- requests with a request time
    PRIMARY KEY (log, host, component, minute)
);
