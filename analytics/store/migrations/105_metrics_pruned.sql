-- 103: the raw metric rows that retention deleted, per series (analytics/store/retention.py adds them as it
-- deletes): `lokifi db series` counts the readings stored now as the hourly rollup's count less these,
-- without reading the raw rows. The rollup keeps the deleted rows' summary.
CREATE TABLE IF NOT EXISTS metrics_pruned (
    host      VARCHAR NOT NULL,
    component VARCHAR NOT NULL,
    metric    VARCHAR NOT NULL,
    n         BIGINT  NOT NULL,
    PRIMARY KEY (host, component, metric)
);

-- What retention deleted before this table: the rollup's count less the raw rows still stored.
INSERT INTO metrics_pruned
SELECT h.host, h.component, h.metric, h.n - coalesce(r.n, 0)
FROM (SELECT host, component, metric, sum(n) AS n FROM metrics_hourly GROUP BY ALL) h
LEFT JOIN (SELECT host, component, metric, count(*) AS n FROM metrics GROUP BY ALL) r
    USING (host, component, metric)
WHERE h.n > coalesce(r.n, 0)
ON CONFLICT DO NOTHING;
