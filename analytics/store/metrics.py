"""Batch writers for the raw tables: metrics (deduplicated, with the hourly rollup) and error events.

These run inside a Store transaction (``Store.submit``), so a spooled batch is applied by exactly the
same code as a direct one. Rows already stored (same natural key) are skipped, which is what makes
re-ingesting a file, or replaying a collector batch after a crash, add nothing twice.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from analytics.store.database import Store

METRIC_KEY = ("ts", "host", "component", "metric")
EVENT_KEY = ("ts", "host", "component", "message")

METRICS_SCHEMA = {
    "ts": pl.Datetime("us"),
    "host": pl.String,
    "component": pl.String,
    "metric": pl.String,
    "value": pl.Float64,
    "source": pl.String,
}
EVENTS_SCHEMA = {
    "ts": pl.Datetime("us"),
    "host": pl.String,
    "component": pl.String,
    "message": pl.String,
    "fingerprint": pl.String,
    "type": pl.String,
    "source": pl.String,
    "level": pl.String,
}


def _conform(df: pl.DataFrame, schema: dict) -> pl.DataFrame:
    cols = []
    for name, dtype in schema.items():
        if name in df.columns:
            cols.append(pl.col(name).cast(dtype))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(name))
    return df.select(cols)


def write_metrics(con: duckdb.DuckDBPyConnection, df: pl.DataFrame) -> int:
    """Insert metric rows not already stored and fold them into metrics_hourly. Returns rows inserted.

    Rows are deduplicated against the store on (ts, host, component, metric). When nothing is stored in
    the batch's time range (the usual case: new data), the anti-join is skipped entirely.
    """
    if df is None or df.height == 0:
        return 0
    # Low-cardinality text as dictionary arrays: DuckDB ingests them about a third faster.
    df = _conform(df, METRICS_SCHEMA).with_columns(pl.col("host", "component", "metric", "source").cast(pl.Categorical))
    con.register("_m_batch", df)
    try:
        lo, hi = con.execute("SELECT min(ts), max(ts) FROM _m_batch").fetchall()[0]
        overlap = con.execute("SELECT count(*) FROM metrics WHERE ts BETWEEN ? AND ?", [lo, hi]).fetchall()[0][0]
        if overlap:
            con.execute(
                """
                CREATE OR REPLACE TEMP TABLE _m_new AS
                SELECT b.* FROM _m_batch b ANTI JOIN (
                    SELECT ts, host, component, metric FROM metrics WHERE ts BETWEEN $lo AND $hi
                ) m ON m.ts = b.ts AND m.host = b.host AND m.component = b.component AND m.metric = b.metric
                """,
                {"lo": lo, "hi": hi},
            ).fetchall()
            src = "_m_new"
        else:
            src = "_m_batch"
        n = con.execute(f"SELECT count(*) FROM {src}").fetchall()[0][0]
        if n:
            con.execute(f"INSERT INTO metrics (ts, host, component, metric, value, source) "
                        f"SELECT ts, host, component, metric, value, source FROM {src}").fetchall()
            con.execute(
                f"""
                INSERT INTO metrics_hourly
                SELECT host, component, metric, date_trunc('hour', ts) AS hour, count(*), sum(value),
                       sum(value * value), min(value), max(value)
                FROM {src} GROUP BY ALL
                ON CONFLICT (host, component, metric, hour) DO UPDATE SET
                    n = metrics_hourly.n + excluded.n,
                    sum = metrics_hourly.sum + excluded.sum,
                    sumsq = metrics_hourly.sumsq + excluded.sumsq,
                    min = least(metrics_hourly.min, excluded.min),
                    max = greatest(metrics_hourly.max, excluded.max)
                """
            ).fetchall()
    finally:
        con.unregister("_m_batch")
    con.execute("DROP TABLE IF EXISTS _m_new")
    return int(n)


def write_events(con: duckdb.DuckDBPyConnection, df: pl.DataFrame) -> int:
    """Insert new error events (skipping exact repeats of ts/host/component/message). Returns rows inserted."""
    if df is None or df.height == 0:
        return 0
    df = _conform(df, EVENTS_SCHEMA)
    con.register("_e_batch", df)
    try:
        before = con.execute("SELECT count(*) FROM error_events").fetchall()[0][0]
        con.execute(
            """
            INSERT INTO error_events (ts, host, component, message, fingerprint, type, source, level)
            SELECT b.ts, b.host, b.component, b.message, b.fingerprint, b.type, b.source, b.level FROM _e_batch b
            WHERE NOT EXISTS (
                SELECT 1 FROM error_events e
                WHERE e.ts = b.ts AND e.host = b.host AND e.component = b.component AND e.message = b.message
                  AND e.ts BETWEEN (SELECT min(ts) FROM _e_batch) AND (SELECT max(ts) FROM _e_batch)
            )
            """
        ).fetchall()
        after = con.execute("SELECT count(*) FROM error_events").fetchall()[0][0]
    finally:
        con.unregister("_e_batch")
    return int(after - before)


def append_metrics(store: Store, df: pl.DataFrame) -> bool:
    """Write metric rows (ts, host, component, metric, value[, source]); spooled if the file is busy."""
    if df.height == 0:
        return True
    return store.submit("analytics.store.metrics:write_metrics", df)


def append_events(store: Store, df: pl.DataFrame) -> bool:
    """Write error events (ts, host, component, message[, fingerprint, type, source, level])."""
    if df.height == 0:
        return True
    return store.submit("analytics.store.metrics:write_events", df)


def read_checkpoint(con: duckdb.DuckDBPyConnection, source: str, key: str) -> str | None:
    """A source's stored position (``source_checkpoints``), or None."""
    row = con.execute("SELECT position FROM source_checkpoints WHERE source = ? AND key = ?", [source, key]).fetchone()
    return row[0] if row and row[0] else None


def write_checkpoint(con: duckdb.DuckDBPyConnection, source: str, key: str, position: str) -> None:
    """Store a source's position, in the caller's transaction (with the rows read up to it)."""
    con.execute("DELETE FROM source_checkpoints WHERE source = ? AND key = ?", [source, key])
    con.execute("INSERT INTO source_checkpoints (source, key, position, updated_at) VALUES (?, ?, ?, ?)",
                [source, key, position, dt.datetime.now(dt.UTC).replace(tzinfo=None)])
