"""Retention on a real DuckDB file: the span `lokifi db info` gives reads the years ingest reads, and the
record of what Alertmanager was told is pruned with the predictions it is about."""

from __future__ import annotations

import datetime as dt

from analytics.common.epoch_time import TS_MAX, TS_MIN
from analytics.store.retention import db_info


def test_the_metrics_span_reads_the_years_ingest_reads(migrated, tmp_path):
    """Rows stored before times were range-checked (a year 1 or 9999 typo) are left out of the span: its
    ends are the first and last instants of the years ingest takes, not the rows outside them."""
    store = migrated(tmp_path / "l.duckdb")
    second = dt.timedelta(seconds=1)
    for ts in (TS_MIN - second, TS_MIN, TS_MAX - second, TS_MAX, dt.datetime(9999, 1, 1)):
        store.execute("INSERT INTO metrics (ts, host, component, metric, value) VALUES (?, 'h', 'c', 'm', 1)", [ts])
    info = db_info(store)
    assert (info.oldest_metric, info.newest_metric) == (TS_MIN, TS_MAX - second)
    store.execute("DELETE FROM metrics")
    for hour in (TS_MIN - dt.timedelta(hours=1), TS_MIN + dt.timedelta(hours=5), TS_MAX):
        store.execute(
            "INSERT INTO metrics_hourly (hour, host, component, metric, n, sum, sumsq, min, max) "
            "VALUES (?, 'h', 'c', 'm', 1, 1, 1, 1, 1)",
            [hour],
        )
    info = db_info(store)
    assert (info.oldest_metric, info.newest_metric) == (TS_MIN + dt.timedelta(hours=5),) * 2
