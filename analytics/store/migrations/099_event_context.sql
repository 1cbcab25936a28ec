-- 099: the lines a server writes after an error under the same stamp (PostgreSQL's DETAIL, HINT,
-- CONTEXT and STATEMENT: the key that already exists, the query that failed) are kept with the event as
-- its context, beside its message: the message, and so the pattern, stay those of the error line.
-- NULL for events without such lines (and every event stored before).
ALTER TABLE error_events ADD COLUMN IF NOT EXISTS context VARCHAR;
ALTER TABLE pattern_samples ADD COLUMN IF NOT EXISTS context VARCHAR;
