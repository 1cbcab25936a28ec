"""The store: one DuckDB file with its migrations, batch writers, retention, and file ingestion."""
