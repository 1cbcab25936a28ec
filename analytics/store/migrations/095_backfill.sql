-- 095: the log files `lokifi backfill` has read (analytics.backfill), known by a hash of their first
-- bytes (decompressed), so a rotated and compressed copy of a file already read is not read again.
CREATE TABLE IF NOT EXISTS backfill_files (
    content_id  VARCHAR PRIMARY KEY,   -- sha1 of the first id_len bytes of the content
    id_len      INTEGER NOT NULL,
    path        VARCHAR,               -- where it was when it was read
    read_to     BIGINT  NOT NULL,      -- content offset read up to
    handed      BOOLEAN NOT NULL,      -- the rest belongs to live tailing (it was the current file)
    kind        VARCHAR,               -- access | log
    lines       BIGINT,
    events      BIGINT,
    metric_rows BIGINT,
    first_ts    TIMESTAMP,
    last_ts     TIMESTAMP,
    done_at     TIMESTAMP
);
