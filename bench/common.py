"""Shared benchmark data: generated metric tables (Parquet) and databases built from them.

Sizes: "1m" = 20 components x 50,000 minutes (~35 days), "10m" = 20 components x a year at 1-minute
steps (10.5M rows). Files are cached in bench/data/ (git-ignored) and rebuilt when missing.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import numpy as np
import polars as pl

DATA = Path(os.environ.get("LOKIFI_BENCH_DATA", Path(__file__).resolve().parent / "data"))
SIZES = {"1m": 50_000, "10m": 525_600}
COMPONENTS = [f"svc-{i:02d}" for i in range(20)]
END = dt.datetime(2026, 11, 1)


def metrics_frame(minutes: int, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    start = END - dt.timedelta(minutes=minutes)
    ts = np.arange(np.datetime64(start, "m"), np.datetime64(END, "m"), dtype="datetime64[m]").astype("datetime64[us]")
    hours = (np.arange(minutes) % 1440) / 60.0
    daily = np.sin(2 * np.pi * (hours - 9) / 24)
    frames = []
    for i, comp in enumerate(COMPONENTS):
        base = 50 + 25 * i
        drift = np.linspace(0, 0.2 * base * (i % 3), minutes)
        v = base * (1 + 0.3 * daily) + drift + rng.normal(0, base * 0.08, minutes)
        frames.append(
            pl.DataFrame(
                {
                    "ts": ts,
                    "host": "bench-host",
                    "component": comp,
                    "metric": "response_time_ms",
                    "value": np.maximum(v, 0.1),
                }
            )
        )
    return pl.concat(frames).sort("ts")


def parquet(size: str) -> Path:
    path = DATA / f"metrics_{size}.parquet"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        metrics_frame(SIZES[size]).write_parquet(tmp, row_group_size=500_000)
        tmp.replace(path)
    return path


def database(size: str) -> Path:
    """A store holding the ``size`` metric table (built once by ingesting the Parquet file)."""
    path = DATA / f"store_{size}.duckdb"
    if not path.exists():
        from analytics.store.database import Store
        from analytics.store.ingest import ingest_file

        tmp = DATA / f"store_{size}.building.duckdb"
        for p in (tmp, tmp.with_name(tmp.name + ".wal")):
            if p.exists():
                p.unlink()
        ingest_file(Store(tmp), parquet(size), host="bench-host")
        tmp.replace(path)
    return path


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t
