"""Foundation benchmarks: ingest rows/s (Parquet into the store) and the dashboard's read path."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.common import database, parquet


def ingest_10m() -> dict:
    src = parquet("10m")
    with tempfile.TemporaryDirectory() as d:
        from analytics.ingest import ingest_file
        from analytics.store import Store
        store = Store(Path(d) / "ingest.duckdb")
        store.schema_version()
        t = time.perf_counter()
        r = ingest_file(store, src, host="bench-host")
        secs = time.perf_counter() - t
    return {"ingest 10M-row Parquet": (r.rows_valid / secs, "rows/s"), "ingest 10M seconds": (secs, "s")}


def read_path_10m() -> dict:
    """Open the 10M-row store, read what a dashboard refresh reads, let go."""
    from analytics.store import Store
    store = Store(database("10m"))
    store.schema_version()
    t = time.perf_counter()
    try:
        from analytics.dashboard_view import load_dashboard  # type: ignore[attr-defined]
        load_dashboard(store)
        what = "dashboard read model"
    except ImportError:
        with store.read() as con:
            con.sql("SELECT component, hour, sum / n AS avg FROM metrics_hourly WHERE hour > "
                    "(SELECT max(hour) FROM metrics_hourly) - INTERVAL 2 DAY ORDER BY component, hour").pl()
        what = "2 days of hourly rollups"
    secs = time.perf_counter() - t
    return {f"read path, 10M rows ({what})": (secs * 1000, "ms")}


BENCHMARKS = [
    ("ingest", ingest_10m, 3),
    ("read path", read_path_10m, 5),
]
