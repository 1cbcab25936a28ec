-- 100: how far back `lokifi backfill` kept a file's lines (its --days cutoff, to the minute), so that a
-- later run with a larger --days reads the older part of a file it has already read. NULL: the whole
-- file was kept (--days 0), or it was read before this was recorded (it is not read again).
ALTER TABLE backfill_files ADD COLUMN IF NOT EXISTS read_from TIMESTAMP;
