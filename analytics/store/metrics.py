"""Batch writers for the raw tables: metrics (deduplicated, with the hourly rollup), error events, and
the collector's flush (metrics, events, probe results, checkpoints and statuses in one transaction).

These run inside a Store transaction (``Store.submit``), so a spooled batch is applied by exactly the
same code as a direct one. Rows already stored (same natural key) are skipped, which is what makes
re-ingesting a file, or replaying a collector batch after a crash, add nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import duckdb
import polars as pl

from analytics.store.database import Store, append_table
from analytics.store.engine import registered, temp_table

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
    "context": pl.String,  # the lines that annotate the error (its DETAIL, its STATEMENT), or null
}


def _conform(df: pl.DataFrame, schema: dict) -> pl.DataFrame:
    cols = []
    for name, dtype in schema.items():
        if name in df.columns:
            cols.append(pl.col(name).cast(dtype))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(name))
    return df.select(cols)


_REPEATED_KEYS = (
    "SELECT count(*) FROM (SELECT 1 FROM _m_batch GROUP BY ts, host, component, metric HAVING count(*) > 1)"
)


def write_metrics(con: duckdb.DuckDBPyConnection, df: pl.DataFrame) -> int:
    """Insert metric rows not already stored and fold them into metrics_hourly. Returns rows inserted.

    Rows are deduplicated on (ts, host, component, metric): against the store (what is stored stays), and
    within the batch (its first row of a key is kept). When nothing is stored in the batch's time range
    (the usual case: new data), the anti-join is skipped entirely.
    """
    if df is None or df.height == 0:
        return 0
    # Low-cardinality text as dictionary arrays: DuckDB ingests them about a third faster.
    df = _conform(df, METRICS_SCHEMA).with_columns(pl.col("host", "component", "metric", "source").cast(pl.Categorical))
    with registered(con, "_m_batch", df), temp_table(con, "_m_new"):
        if con.execute(_REPEATED_KEYS).fetchall()[0][0]:  # a key twice in the batch (a file that repeats a row)
            df = df.unique(subset=["ts", "host", "component", "metric"], keep="first", maintain_order=True)
            con.register("_m_batch", df)  # in place of the first (registered() unregisters it at the end)
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
            con.execute(
                f"INSERT INTO metrics (ts, host, component, metric, value, source) "
                f"SELECT ts, host, component, metric, value, source FROM {src}"
            ).fetchall()
            _fold_hourly(con, src)
            _late_rows_restart_baselines(con, src)
    return int(n)


def _late_rows_restart_baselines(con: duckdb.DuckDBPyConnection, src: str) -> None:
    """Rows inside hours the baselines have already summed (a backfill or an import after the collector
    ran, a spooled batch written late) are not in their running sums, which only move forward an hour at
    a time: forget the baselines' state, so that their next update rebuilds them from the rollups."""
    con.execute(
        f"DELETE FROM baseline_state WHERE EXISTS "
        f"(SELECT 1 FROM {src} WHERE ts >= baseline_state.hour_from AND ts < baseline_state.hour_to)"
    ).fetchall()


def _fold_hourly(con: duckdb.DuckDBPyConnection, src: str) -> None:
    """Fold the metric rows of relation ``src`` (just inserted into ``metrics``) into ``metrics_hourly``."""
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


def write_events(con: duckdb.DuckDBPyConnection, df: pl.DataFrame) -> int:
    """Insert new error events (skipping exact repeats of ts/host/component/message). Returns rows inserted."""
    if df is None or df.height == 0:
        return 0
    df = _conform(df, EVENTS_SCHEMA)
    with registered(con, "_e_batch", df):
        before = con.execute("SELECT count(*) FROM error_events").fetchall()[0][0]
        con.execute(
            """
            INSERT INTO error_events (ts, host, component, message, fingerprint, type, source, level, context)
            SELECT b.ts, b.host, b.component, b.message, b.fingerprint, b.type, b.source, b.level, b.context
            FROM _e_batch b
            WHERE NOT EXISTS (
                SELECT 1 FROM error_events e
                WHERE e.ts = b.ts AND e.host = b.host AND e.component = b.component AND e.message = b.message
                  AND e.ts BETWEEN (SELECT min(ts) FROM _e_batch) AND (SELECT max(ts) FROM _e_batch)
            )
            """
        ).fetchall()
        after = con.execute("SELECT count(*) FROM error_events").fetchall()[0][0]
    return int(after - before)


def append_metrics(store: Store, df: pl.DataFrame) -> bool:
    """Write metric rows (ts, host, component, metric, value[, source]); spooled if the file is busy."""
    if df.height == 0:
        return True
    return store.submit("metrics", df)


def append_events(store: Store, df: pl.DataFrame) -> bool:
    """Write error events (ts, host, component, message[, fingerprint, type, source, level, context])."""
    if df.height == 0:
        return True
    return store.submit("events", df)


def read_checkpoint(con: duckdb.DuckDBPyConnection, source: str, key: str) -> str | None:
    """A source's stored position (``source_checkpoints``), or None."""
    row = con.execute("SELECT position FROM source_checkpoints WHERE source = ? AND key = ?", [source, key]).fetchone()
    return row[0] if row and row[0] else None


def write_checkpoint(con: duckdb.DuckDBPyConnection, source: str, key: str, position: str) -> None:
    """Store a source's position, in the caller's transaction (with the rows read up to it)."""
    con.execute("DELETE FROM source_checkpoints WHERE source = ? AND key = ?", [source, key])
    con.execute(
        "INSERT INTO source_checkpoints (source, key, position, updated_at) VALUES (?, ?, ?, ?)",
        [source, key, position, dt.datetime.now(dt.UTC).replace(tzinfo=None)],
    )


# --------------------------------------------------------------------------------------------------
# The collector's flush (``Store.submit("collected", ...)``, directly or from the spool)
# --------------------------------------------------------------------------------------------------

#: One frame carries a flush's rows for every table, tagged in ``_table``: "m" metrics, "mu" metrics
#: unique by construction, "e" error events, "p" probe results.
COLLECTED_SCHEMA: dict[str, Any] = {
    "_table": pl.String,
    "ts": pl.Datetime("us"),
    "host": pl.String,
    "component": pl.String,
    "metric": pl.String,
    "value": pl.Float64,
    "message": pl.String,
    "fingerprint": pl.String,
    "type": pl.String,
    "source": pl.String,
    "level": pl.String,
    "context": pl.String,
    "probe": pl.String,
    "kind": pl.String,
    "target": pl.String,
    "ok": pl.Boolean,
    "status_code": pl.Int32,
    "elapsed_ms": pl.Float64,
    "error_kind": pl.String,
}
_METRIC_COLS = ["ts", "host", "component", "metric", "value", "source"]
_EVENT_COLS = ["ts", "host", "component", "message", "fingerprint", "type", "source", "level", "context"]
_PROBE_COLS = [
    "ts",
    "host",
    "component",
    "probe",
    "kind",
    "target",
    "ok",
    "status_code",
    "elapsed_ms",
    "error_kind",
    "message",
]
_STATUS_SCHEMA = {
    "host": pl.String,
    "source": pl.String,
    "kind": pl.String,
    "state": pl.String,
    "last_poll": pl.String,
    "last_success": pl.String,
    "last_error": pl.String,
    "rows_total": pl.Int64,
    "detail": pl.String,
    "updated_at": pl.String,
}


def collected_frame(batches: Iterable[Any], unique: set[str] = frozenset()) -> pl.DataFrame:  # type: ignore[assignment]
    """One frame of the sources' batches (:class:`analytics.sources.base.Batch`) for
    :func:`write_collected`; metrics of the sources named in ``unique`` are tagged unique by construction."""
    rows: list[dict[str, Any]] = []
    for b in batches:
        tag = "mu" if b.source in unique else "m"
        for r in b.metrics:
            rows.append({"_table": tag, **r})
        for r in b.events:
            rows.append({"_table": "e", **r})
        for r in b.probes:
            rows.append({"_table": "p", **r})
        for r in getattr(b, "contexts", ()):
            rows.append({"_table": "c", **r})
    if not rows:
        return pl.DataFrame(schema=COLLECTED_SCHEMA)
    cols = {k: [r.get(k) for r in rows] for k in COLLECTED_SCHEMA}
    return pl.DataFrame(cols, schema=COLLECTED_SCHEMA)


def write_collected(
    con: duckdb.DuckDBPyConnection,
    df: pl.DataFrame | None,
    *,
    checkpoints: list[list[str]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
) -> int:
    """Write one collector flush: metrics (rolled up; deduplicated unless the source's rows are unique by
    construction), error events, probe results, and the sources' checkpoints and statuses — all in the
    caller's transaction. Each table gets one set-based statement (row-by-row ``executemany`` costs
    milliseconds per row in DuckDB)."""
    n = 0
    if df is not None and df.height:
        if "context" not in df.columns:  # a flush spooled by a version that kept no context
            df = df.with_columns(pl.lit(None, dtype=pl.String).alias("context"))
        m = df.filter(pl.col("_table") == "m")
        if m.height:
            n += write_metrics(con, m.select(_METRIC_COLS))
        fresh = df.filter(pl.col("_table") == "mu")
        if fresh.height:
            n += _write_unique_metrics(con, fresh.select(_METRIC_COLS))
        for tag, table, cols in (("e", "error_events", _EVENT_COLS), ("p", "probe_results", _PROBE_COLS)):
            part = df.filter(pl.col("_table") == tag)
            if part.height:
                n += append_table(con, part.select(cols), table=table)
        ctx = df.filter(pl.col("_table") == "c")
        if ctx.height:
            _write_contexts(con, ctx.select(_CONTEXT_COLS).unique(subset=_CONTEXT_COLS[:-1], keep="first"))
    if checkpoints:
        cp = pl.DataFrame(
            checkpoints,
            schema={"source": pl.String, "key": pl.String, "position": pl.String, "updated_at": pl.String},
            orient="row",
        )
        cp = cp.with_columns(pl.col("updated_at").str.to_datetime(time_unit="us"))
        _upsert(con, "source_checkpoints", cp, ("source", "key"))
    if statuses:
        st = pl.DataFrame(statuses, schema=_STATUS_SCHEMA).with_columns(
            pl.col(c).str.to_datetime(time_unit="us") for c in ("last_poll", "last_success", "updated_at")
        )
        _upsert(con, "source_status", st, ("host", "source"))
    return n


_CONTEXT_COLS = ["ts", "host", "component", "message", "source", "context"]


def _write_contexts(con: duckdb.DuckDBPyConnection, df: pl.DataFrame) -> None:
    """The context found later for error events already stored (a Loki error whose context waited): set on
    the rows with that source, time, host, component and message that have none yet — after the events of
    the same flush are in — and on the pattern samples already copied from those events without it (the
    event learned before its context came: same pattern, time, component and message, the sample's
    message being the event's made safe and perhaps cut), which ``lokifi patterns show`` and the RCA prompt
    quote."""
    with registered(con, "_lokifi_ctx", df):
        con.execute(
            "UPDATE error_events SET context = c.context FROM _lokifi_ctx c WHERE error_events.context IS NULL "
            "AND error_events.source = c.source AND error_events.ts = c.ts AND error_events.host = c.host "
            "AND error_events.component = c.component AND error_events.message = c.message"
        )
        con.execute(
            "UPDATE pattern_samples SET context = e.context FROM (SELECT e.fingerprint, e.ts, e.component, "
            "e.message, any_value(e.context) AS context FROM error_events e JOIN _lokifi_ctx c ON "
            "e.source = c.source AND e.ts = c.ts AND e.host = c.host AND e.component = c.component "
            "AND e.message = c.message AND e.context = c.context WHERE e.fingerprint IS NOT NULL GROUP BY ALL) e "
            "WHERE pattern_samples.context IS NULL AND pattern_samples.error_hash = e.fingerprint "
            "AND pattern_samples.seen_at = e.ts AND pattern_samples.component IS NOT DISTINCT FROM e.component "
            # the sample's message is the event's made safe (analytics.patterns.outcomes.safe_text: a NUL
            # byte becomes U+FFFD) and perhaps cut: compare it with the event's made safe the same way
            "AND starts_with(replace(e.message, chr(0), chr(65533)), pattern_samples.message)"
        )


def _upsert(con: duckdb.DuckDBPyConnection, table: str, df: pl.DataFrame, key: tuple[str, ...]) -> None:
    names = ", ".join(f'"{c}"' for c in df.columns)
    sets = ", ".join(f'"{c}" = excluded."{c}"' for c in df.columns if c not in key)
    with registered(con, "_lokifi_up", df):
        con.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM _lokifi_up "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"
        )


def _write_unique_metrics(con: duckdb.DuckDBPyConnection, df: pl.DataFrame) -> int:
    """Metrics that cannot already be stored (a local sample carries the moment it was taken, and a
    replayed spool batch is skipped by ``spool_applied``): insert and fold into the hourly rollup,
    without the natural-key check :func:`write_metrics` makes."""
    with registered(con, "_lokifi_mu", df):
        con.execute("INSERT INTO metrics SELECT ts, host, component, metric, value, source FROM _lokifi_mu")
        _fold_hourly(con, "_lokifi_mu")
        _late_rows_restart_baselines(con, "_lokifi_mu")
    return df.height
