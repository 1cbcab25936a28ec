-- 103: how many scored outcomes a prediction's measured confidence rests on (analytics/predict/confidence.py).
-- A rule's confidence is measured from its first scored prediction on, and says how many it rests on
-- ("measured, 3 outcomes"); 0 with the rule's prior. Rows stored before have none: the next refresh or
-- scoring writes it for the open ones.
ALTER TABLE predictions ADD COLUMN IF NOT EXISTS confidence_n INTEGER;
