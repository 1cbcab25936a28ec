-- 101: where a recommendation's facts came from (analytics/recommend/facts.py, "scopes"): "project:PATH" for
-- what a walk of a project directory found, "logs:PATH" for a log directory's files, NULL for what every
-- refresh measures (this host's disk, memory, CPU, stored metrics, the database). A refresh marks a
-- recommendation resolved only when it looked at that place, so a refresh that does not watch a
-- directory (a collector started with another config, a scan from another directory) leaves it open.
ALTER TABLE smart_recommendations ADD COLUMN IF NOT EXISTS scope VARCHAR;

-- The recommendations stored before: their place is in their subject.
UPDATE smart_recommendations SET scope = 'logs:' || subject
    WHERE scope IS NULL AND rule = 'maintenance.large_logs';
UPDATE smart_recommendations SET scope = 'project:' || subject
    WHERE scope IS NULL AND rule IN ('maintenance.temp_files', 'security.secret', 'security.vulnerable_deps');
UPDATE smart_recommendations SET scope = 'project:' || regexp_replace(subject, '::[a-z]+$', '')
    WHERE scope IS NULL AND rule = 'dependencies.stale';
