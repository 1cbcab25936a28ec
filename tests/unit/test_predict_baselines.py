"""Baselines: kept incrementally from the hourly rollup and equal to a rebuild from scratch; values
match a direct computation on the raw samples of the window; the seasonal cells hold the
hour-of-day x weekday profile."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from analytics.predict import baselines as B
from analytics.store.metrics import append_metrics

T0 = dt.datetime(2026, 3, 2)  # a Monday


def frame(start, hours, comps=("api", "db"), seed=0):
    rng = np.random.default_rng(seed)
    ts = np.array([start + dt.timedelta(minutes=10 * k) for k in range(hours * 6)], dtype="datetime64[us]")
    rows = []
    for c in comps:
        hod = (ts.astype("datetime64[h]").astype(np.int64) % 24).astype(float)
        rows.append(
            pl.DataFrame(
                {
                    "ts": ts,
                    "host": "h1",
                    "component": c,
                    "metric": "response_time_ms",
                    "value": 100 + 10 * hod + rng.normal(0, 5, len(ts)),
                }
            )
        )
        rows.append(
            pl.DataFrame(
                {"ts": ts, "host": "h1", "component": c, "metric": "cpu_percent", "value": rng.uniform(0, 100, len(ts))}
            )
        )
    return pl.concat(rows)


def snapshot(store):
    return {(r["host"], r["component"], r["metric"]): r for r in B.list_baselines(store)}


@pytest.mark.slow
def test_incremental_equals_rebuild_and_raw(store):
    append_metrics(store, frame(T0, 24 * 12))
    info = B.update(store, T0 + dt.timedelta(days=9), days=7)
    assert info["mode"] == "rebuild"
    for day in (10, 11, 12):  # data keeps arriving; the window slides a day at a time
        append_metrics(store, frame(T0 + dt.timedelta(days=12), 24, seed=day)) if day == 12 else None
        info = B.update(store, T0 + dt.timedelta(days=day, hours=5), days=7)
        assert info["mode"] == "incremental"
        assert info["added_hours"] == info["removed_hours"] == (24 if day > 10 else 29)
    assert B.update(store, T0 + dt.timedelta(days=12, hours=5), days=7)["mode"] == "none"
    inc = snapshot(store)
    B.update(store, T0 + dt.timedelta(days=12, hours=5), days=7, rebuild=True)
    full = snapshot(store)
    assert inc.keys() == full.keys() and len(inc) == 4
    for k in inc:
        for f in ("mean", "std", "median", "mad"):
            assert inc[k][f] == pytest.approx(full[k][f], rel=1e-9, abs=1e-9), (k, f)
        assert inc[k]["samples"] == full[k]["samples"]
    # against the raw samples of the window
    lo, hi = T0 + dt.timedelta(days=5, hours=5), T0 + dt.timedelta(days=12, hours=5)
    raw = store.query(
        "SELECT value FROM metrics WHERE component = 'api' AND metric = 'response_time_ms' AND ts >= ? AND ts < ?",
        [lo, hi],
    )["value"].to_numpy()
    b = inc[("h1", "api", "response_time_ms")]
    assert b["samples"] == len(raw)
    assert b["mean"] == pytest.approx(raw.mean(), rel=1e-9)
    assert b["std"] == pytest.approx(raw.std(), rel=1e-6)
    assert b["period_start"] == lo and b["period_end"] == hi


def test_clock_going_back_rebuilds(store):
    append_metrics(store, frame(T0, 24 * 10))
    B.update(store, T0 + dt.timedelta(days=9), days=3)
    assert B.update(store, T0 + dt.timedelta(days=6), days=3)["mode"] == "rebuild"
    b = snapshot(store)[("h1", "api", "response_time_ms")]
    assert b["period_end"] == T0 + dt.timedelta(days=6)


def test_seasonal_profile(store):
    append_metrics(store, frame(T0, 24 * 14))
    B.update(store, T0 + dt.timedelta(days=14), days=14)
    cells = B.seasonal(store, "h1", "api", "response_time_ms")
    assert len(cells) == 7 * 24
    for c in cells:
        assert c["mean"] == pytest.approx(100 + 10 * c["hod"], abs=7.5)  # 12 samples, sd 5
    e = B.expected(store, "h1", "api", "response_time_ms", dt.datetime(2026, 3, 18, 15, 30))
    assert e["mean"] == pytest.approx(250, abs=7.5) and e["n"] == 12


def test_empty_store(store):
    assert B.update(store, T0)["mode"] == "rebuild"
    assert B.list_baselines(store) == []


def test_rows_written_late_into_summed_hours_count(store):
    """A backfill or an import after the collector's baselines moved on (the dashboard's first start:
    the collector runs while backfill reads the logs' week) writes rows into hours already summed: the
    baselines count them at their next update, as a rebuild from scratch would; rows after the summed
    hours keep the update incremental."""
    append_metrics(store, frame(T0 + dt.timedelta(days=6), 24, comps=("api",)))
    B.update(store, T0 + dt.timedelta(days=7), days=7)
    assert snapshot(store)[("h1", "api", "response_time_ms")]["samples"] == 144
    append_metrics(store, frame(T0 + dt.timedelta(days=1), 24 * 2, comps=("api",), seed=1))  # the history
    info = B.update(store, T0 + dt.timedelta(days=7, hours=1), days=7)
    assert info["mode"] == "rebuild"
    assert snapshot(store)[("h1", "api", "response_time_ms")]["samples"] == 144 + 288
    append_metrics(store, frame(T0 + dt.timedelta(days=7, hours=1), 1, comps=("api",), seed=2))  # new rows
    assert B.update(store, T0 + dt.timedelta(days=7, hours=2), days=7)["mode"] == "incremental"
    assert snapshot(store)[("h1", "api", "response_time_ms")]["samples"] == 144 + 288 + 6


def test_collector_samples_flushed_after_the_hour_turned_count(store):
    """The collector's own samples (written without the natural-key check) flushed after the baselines
    summed their hour: counted at the next update, as the rows of an import are."""
    from analytics.store.metrics import write_collected

    def flush(start, minutes, value):
        ts = [start + dt.timedelta(minutes=k) for k in range(minutes)]
        df = pl.DataFrame(
            {
                "_table": "mu",
                "ts": ts,
                "host": "h1",
                "component": "api",
                "metric": "cpu_percent",
                "value": [value] * minutes,
                "source": "vitals",
            }
        )
        with store.write() as con:
            write_collected(con, df)

    flush(T0 + dt.timedelta(hours=5), 50, 10.0)
    B.update(store, T0 + dt.timedelta(hours=6, seconds=5), days=7)
    flush(T0 + dt.timedelta(hours=5, minutes=50), 10, 90.0)  # the last batch of hour 5, written at 06:00:30
    B.update(store, T0 + dt.timedelta(hours=6, minutes=15), days=7)
    b = snapshot(store)[("h1", "api", "cpu_percent")]
    assert b["samples"] == 60 and b["mean"] == pytest.approx((50 * 10 + 10 * 90) / 60)
