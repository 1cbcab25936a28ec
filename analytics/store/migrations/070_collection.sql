-- 070: live collection (issue 9). Every probe run, and how each source of data is doing.
-- Tail positions live in source_checkpoints (001), written in the same transaction as the rows.

-- One row per probe run: the raw record behind the probe_up / response_time_ms metrics.
CREATE TABLE IF NOT EXISTS probe_results (
    ts          TIMESTAMP NOT NULL,
    host        VARCHAR   NOT NULL,
    component   VARCHAR   NOT NULL,
    probe       VARCHAR   NOT NULL,   -- the probe's name (default: its target)
    kind        VARCHAR   NOT NULL,   -- http | tcp
    target      VARCHAR   NOT NULL,   -- URL or host:port
    ok          BOOLEAN   NOT NULL,
    status_code INTEGER,
    elapsed_ms  DOUBLE,               -- NULL when nothing answered
    error_kind  VARCHAR,              -- refused | timeout | dns | tls | reset | unreachable | status | protocol | content | error
    message     VARCHAR
);
CREATE INDEX IF NOT EXISTS idx_probe_results_ts ON probe_results (ts);

-- The state of every source (vitals, probes, tail, prometheus, loki, ...) per host, updated with each
-- collector flush: what the header's freshness and `lokifi sources` show. The pseudo-source
-- 'collector' is the collector process itself (its pid and mode are in detail).
CREATE TABLE IF NOT EXISTS source_status (
    host         VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    kind         VARCHAR,
    state        VARCHAR,             -- ok | error | stale | starting | paused | stopped
    last_poll    TIMESTAMP,
    last_success TIMESTAMP,
    last_error   VARCHAR,
    rows_total   BIGINT,
    detail       VARCHAR,
    updated_at   TIMESTAMP,
    PRIMARY KEY (host, source)
);
