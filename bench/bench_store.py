"""Foundation benchmarks: ingest rows/s (Parquet into the store) and the dashboard's read path."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.common import database, parquet


def ingest_10m() -> dict:
    src = parquet("10m")
    with tempfile.TemporaryDirectory() as d:
        from analytics.store.database import Store
        from analytics.store.ingest import ingest_file

        store = Store(Path(d) / "ingest.duckdb")
        store.schema_version()
        t = time.perf_counter()
        r = ingest_file(store, src, host="bench-host")
        secs = time.perf_counter() - t
    return {"ingest 10M-row Parquet": (r.rows_valid / secs, "rows/s"), "ingest 10M seconds": (secs, "s")}


def read_path_10m() -> dict:
    """Open the 10M-row store, read what a dashboard refresh reads, let go."""
    from analytics.store.database import Store

    store = Store(database("10m"))
    store.schema_version()
    t = time.perf_counter()
    try:
        from analytics.dashboard.view import load_dashboard  # type: ignore[attr-defined]

        load_dashboard(store)
        what = "dashboard read model"
    except ImportError:
        with store.read() as con:
            con.sql(
                "SELECT component, hour, sum / n AS avg FROM metrics_hourly WHERE hour > "
                "(SELECT max(hour) FROM metrics_hourly) - INTERVAL 2 DAY ORDER BY component, hour"
            ).pl()
        what = "2 days of hourly rollups"
    secs = time.perf_counter() - t
    return {f"read path, 10M rows ({what})": (secs * 1000, "ms")}


def ingest_csv_memory() -> dict:
    """Peak RSS of a process ingesting a 10M-row CSV (~700 MB): streaming must keep it far below the file size."""
    import subprocess
    import sys

    import polars as pl

    from bench.common import DATA

    csv = DATA / "metrics_10m.csv"
    if not csv.exists():
        pl.scan_parquet(parquet("10m")).sink_csv(csv)
    with tempfile.TemporaryDirectory() as d:
        code = (
            "import resource, sys, time\n"
            "from analytics.store.database import Store\nfrom analytics.store.ingest import ingest_file\n"
            "t = time.perf_counter()\n"
            "r = ingest_file(Store(sys.argv[2]), sys.argv[1], host='bench-host')\n"
            "print(r.rows_valid, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, str(csv), str(Path(d) / "c.duckdb")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    rows, secs, rss_kb = int(out[0]), float(out[1]), int(out[2])
    return {
        "ingest 10M-row CSV": (rows / secs, "rows/s"),
        "ingest 10M-row CSV: file size": (csv.stat().st_size / 2**20, "MiB"),
        "ingest 10M-row CSV: peak RSS": (rss_kb / 1024, "MiB"),
    }


BENCHMARKS = [
    ("ingest", ingest_10m, 3),
    ("read path", read_path_10m, 5),
    ("csv memory", ingest_csv_memory, 1),
]
