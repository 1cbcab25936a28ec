"""Forecasting benchmarks. Budget: forecasts for 20 components over 10M metric rows in <= 150 ms warm.

The store is the shared 10M-row bench database (bench/common.py: 20 components, a year of 1-minute
response times). Figures (warm: the first call is discarded). On a shared, loaded machine wall time overstates the
cost; the CPU time of the process (all its threads) is printed beside it.

* ``forecast 20 components (auto)`` — what ``lokifi ai forecast`` computes: open the file, read 42
  days of the hourly rollup, and per component the seed's line, the seasonal model and the backtest
  that chooses between them (7-day horizon). Nothing is written, so the shared database is untouched.
* the same split into the read (``load_hourly``) and the NumPy work;
* the same call again within the same hour of data: the forecasts are memoised by the content of the
  hourly series (complete hours only), so only the read is paid — a dashboard refresh;
* ``sparkline read`` — the dashboard's per-refresh query (analytics/forecast/sparklines.py);
* ``forecast series, one process`` — ``lokifi forecast series`` on 2 weeks of 5-minute data with a
  24 h horizon (the harness's call), wall time including interpreter start and imports.

    python bench/bench_forecast.py           # the same as the runner line below
    python -m bench.run forecast             # through the bench runner
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import END, database

NOW = END


def _store():
    from analytics.store.database import Store

    store = Store(database("10m"))
    store.schema_version()  # migrations applied once, outside the timing
    return store


def forecast_20() -> dict:
    import analytics.forecast.components as F

    store = _store()
    F.forecast_all(store, now=NOW, model="auto")  # warm-up (imports, file cache)
    F._MEMO.clear()
    t, c = time.perf_counter(), time.process_time()
    out = F.forecast_all(store, now=NOW, model="auto")
    total, cpu = time.perf_counter() - t, time.process_time() - c
    assert len(out) == 20 and all(f.ok for f in out), [f.message for f in out if not f.ok]
    t, c = time.perf_counter(), time.process_time()
    again = F.forecast_all(store, now=NOW, model="auto")  # same hour of data: memoised
    total2, cpu2 = time.perf_counter() - t, time.process_time() - c
    assert [f.forecast for f in again] == [f.forecast for f in out]
    t = time.perf_counter()
    series = F.load_hourly(store, now=NOW, days=F.HISTORY_DAYS)
    read = time.perf_counter() - t
    t = time.perf_counter()
    for comp in sorted(series):
        F.forecast_component(comp, *series[comp], now=NOW, model="auto")
    compute = time.perf_counter() - t
    return {
        "forecast 20 components (auto), 10M rows": (total * 1000, "ms"),
        "  the same, CPU time of this process": (cpu * 1000, "ms"),
        "  of which: read 42 days of hourly rollup": (read * 1000, "ms"),
        "  of which: models + backtests (NumPy)": (compute * 1000, "ms"),
        "forecast 20 components again, same hour of data": (total2 * 1000, "ms"),
        "  the same, CPU time": (cpu2 * 1000, "ms"),
    }


def sparklines() -> dict:
    from analytics.forecast.sparklines import sparkline_data

    store = _store()
    sparkline_data(store)
    t = time.perf_counter()
    rows = sparkline_data(store)
    secs = time.perf_counter() - t
    assert len(rows) == 20
    return {"sparkline read, 20 components, 10M rows": (secs * 1000, "ms")}


def series_process() -> dict:
    import numpy as np

    rng = np.random.default_rng(0)
    n = 14 * 288
    t0 = dt.datetime(2026, 1, 1)
    k = np.arange(n)
    y = 100 + 30 * np.sin(2 * np.pi * k / 288) + rng.normal(0, 5, n)
    text = "timestamp,value\n" + "".join(
        f"{t0 + dt.timedelta(minutes=5 * i):%Y-%m-%d %H:%M:%S},{v:.3f}\n" for i, v in enumerate(y)
    )
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write(text)
    cmd = [sys.executable, "-m", "lokifi_tui.cli.main", "forecast", "series", "--horizon", "288", "--input", f.name]
    subprocess.run(cmd, capture_output=True, check=True)  # warm the OS file cache
    t = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, check=True)
    secs = time.perf_counter() - t
    assert res.stdout.count(b"\n") == 288
    Path(f.name).unlink()
    return {"forecast series, one process (4032 rows, H=288)": (secs * 1000, "ms")}


BENCHMARKS = [("forecast", forecast_20, 5), ("sparklines", sparklines, 5), ("series", series_process, 3)]


if __name__ == "__main__":
    from bench.run import main

    raise SystemExit(main(["forecast"]))
