"""Predictive-maintenance benchmarks. Budget: all predictions and baselines for 20 components over 10M
metric rows in <= 100 ms warm.

The store is a private copy of the shared 10M-row bench database (bench/common.py: 20 components, a
year of 1-minute response times), because a refresh writes (baselines, predictions, detector scans).
Figures (the CPU time of the process is printed beside wall time: the machine is shared):

* ``refresh, warm`` — ``analytics.predict.predictions.refresh`` again within the same hour: baselines are
  current (nothing to add), every rule is evaluated over the 7-day window from the hourly rollup, the
  detector's scans are current, open predictions are matched (nothing stored twice). This is the
  budgeted figure: what the collector's 15-minute refresh and ``lokifi ai predict`` cost.
* ``refresh, next hour`` — an hour later: the baselines add one hour and drop one (incremental), the
  detector re-runs over 28 days of hourly means for each of the 20 series, predictions are stored.
* ``baselines rebuild`` — the baselines recomputed from the window's rollups (the cold path).
* ``score_due`` — scoring a day of due predictions against the store.
* ``detector`` — :func:`analytics.predict.detect.detect` alone on generated 5-minute series.
* ``demo build`` — ``build_demo``, what the first ``lokifi demo`` waits for.

    python bench/bench_predict.py
    python -m bench.run predict
"""

from __future__ import annotations

import atexit
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import END, database

_COPY: dict[str, Path] = {}


def _store():
    from analytics.store.database import Store

    if "path" not in _COPY:
        d = Path(tempfile.mkdtemp(prefix="lokifi-bench-predict-"))
        atexit.register(shutil.rmtree, d, ignore_errors=True)  # also when run through bench.run
        dst = d / "store.duckdb"
        shutil.copyfile(database("10m"), dst)
        _COPY["path"] = dst
        store = Store(dst)
        store.schema_version()
        from analytics.predict import predictions as P

        P.refresh(store, now=END)  # cold: builds baselines, scans, predictions
    return Store(_COPY["path"])


def _timed(fn):
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000


_STEP = {"k": 0}


def refresh_warm() -> dict:
    from analytics.predict import predictions as P

    store = _store()
    now = END + dt.timedelta(minutes=5)
    P.refresh(store, now=now)  # warm-up
    res, ms, cpu = _timed(lambda: P.refresh(store, now=now + dt.timedelta(minutes=10)))
    assert res.stored == 0 and res.baselines["mode"] == "none"
    return {
        "refresh, warm (20 components, 10M rows)": (ms, "ms"),
        "  the same, CPU time": (cpu, "ms"),
        "  predictions shown": (len(res.predictions), ""),
    }


def refresh_next_hour() -> dict:
    from analytics.predict import predictions as P

    store = _store()
    _STEP["k"] += 1
    now = END + dt.timedelta(hours=_STEP["k"], minutes=1)
    res, ms, cpu = _timed(lambda: P.refresh(store, now=now))
    assert res.baselines["mode"] == "incremental"
    return {"refresh, next hour (incremental + detector)": (ms, "ms"), "  the same, CPU time ": (cpu, "ms")}


def baselines_rebuild() -> dict:
    from analytics.predict import baselines as B

    store = _store()
    _res, ms, _cpu = _timed(lambda: B.update(store, END + dt.timedelta(hours=_STEP["k"]), rebuild=True))
    return {"baselines rebuild from 28 days of rollup": (ms, "ms")}


def score() -> dict:
    from analytics.predict import predictions as P

    store = _store()
    n, ms, _cpu = _timed(lambda: P.score_due(store, END + dt.timedelta(days=2)))
    return {"score_due (due predictions)": (ms, "ms"), "  scored": (n, "")}


def detector() -> dict:
    """The anomaly detector alone, on a fortnight of 5-minute rows (4,032, a daily cycle and noise; its
    first day is windows of every length) and on a day and a half (432 rows, mostly first rows)."""
    import numpy as np

    from analytics.predict.detect import detect

    rng = np.random.default_rng(5)
    out = {}
    for rows, label in ((4032, "a fortnight"), (432, "a day and a half")):
        t = np.arange(rows) * 300.0
        v = 100 + 20 * np.sin(2 * np.pi * t / 86400) + rng.normal(0, 3, rows)
        _alarms, ms, cpu = _timed(lambda t=t, v=v: detect(t, v))
        out[f"detector, {label} of 5-minute rows ({rows:,})"] = (ms, "ms")
        out[f"  the same, CPU time ({rows:,})"] = (cpu, "ms")
    return out


def demo_build() -> dict:
    """``build_demo``: 45 days of six services into a new store, with the engines run over them (what the
    first ``lokifi demo`` waits for)."""
    from analytics.demo.data import build_demo

    d = Path(tempfile.mkdtemp(prefix="lokifi-bench-demo-"))
    try:
        _info, ms, cpu = _timed(lambda: build_demo(d / "demo.duckdb"))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return {"demo build (45 days, six services, engines)": (ms / 1000, "s"), "  the same, CPU time": (cpu / 1000, "s")}


BENCHMARKS = [
    ("detector", detector, 5),
    ("demo", demo_build, 1),
    ("warm", refresh_warm, 5),
    ("next-hour", refresh_next_hour, 3),
    ("rebuild", baselines_rebuild, 3),
    ("score", score, 1),
]


if __name__ == "__main__":
    from bench.run import main

    raise SystemExit(main(["predict"]))
