-- 041: what the secret scanner concluded about each file it read (analytics/recommend/security.py), so
-- the next `lokifi scan` re-reads only files whose size or modification time changed. Keyed by path;
-- `scanner` names the detect-secrets version and pre-filter that produced the verdict (another one
-- ignores the row). Hits are [line, type] pairs: never the secret itself.
CREATE TABLE IF NOT EXISTS rec_secret_cache (
    path       VARCHAR PRIMARY KEY,
    size       BIGINT NOT NULL,
    mtime_ns   BIGINT NOT NULL,
    hits       VARCHAR NOT NULL,
    scanner    VARCHAR NOT NULL,
    scanned_at TIMESTAMP NOT NULL
);
