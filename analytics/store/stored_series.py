"""One stored metric series read back: a host's ``component``/``metric`` rows in time order, raw or as
hourly means, for ``lokifi db export`` (which writes them as the ``timestamp,value`` CSV the series
commands read, :mod:`analytics.common.series_csv`).

:func:`list_series` lists them for ``lokifi db series``. Which series exist is read from the hourly rollup
(``metrics_hourly``, kept up to date on every write), so a misspelt component, metric or host is refused naming
those there are, whatever the raw rows' size; how many readings each has now, from the rollup less what
retention deleted (``metrics_pruned``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from analytics.store.engine import duckdb
from analytics.store.hosts import unknown_name_message


class SeriesNotFound(LookupError):
    """No stored series by that name (the message says which names there are)."""


@dataclass(frozen=True)
class SeriesSummary:
    """One stored series as the hourly rollup counts it: its readings (the raw rows stored now: those that
    retention deleted are not counted, though their hourly means are kept), its hours, and the first and
    last hour with a reading (naive UTC, the hour's start)."""

    host: str
    component: str
    metric: str
    readings: int
    hours: int
    first_hour: dt.datetime
    last_hour: dt.datetime


def list_series(store: Any, *, host: str | None = None, component: str | None = None) -> list[SeriesSummary]:
    """Every stored series (of ``host``, of ``component`` when given), by host, component and metric.

    Read from the hourly rollup, one row per series and hour: a few thousand rows where the raw table holds
    millions, so the listing costs the same whatever the readings' number. The readings are the rollup's
    count less those retention deleted (``metrics_pruned``); a file only read, of a Lokifi from before that
    table, has its raw rows counted."""
    where = [c for c, v in (("host = ?", host), ("component = ?", component)) if v is not None]
    sql = (
        "SELECT host, component, metric, sum(n), count(*), min(hour), max(hour) FROM metrics_hourly"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " GROUP BY host, component, metric ORDER BY host, component, metric"
    )
    with store.read() as con:
        rows = con.execute(sql, [v for v in (host, component) if v is not None]).fetchall()
        try:  # one row per series retention pruned: a listing's own size
            gone = _by_series(con.execute("SELECT host, component, metric, n FROM metrics_pruned").fetchall())
            stored = None
        except duckdb.CatalogException:  # migrations/105_metrics_pruned.sql not applied to a file only read
            stored = _by_series(con.execute(_RAW_COUNTS).fetchall())
    return [
        SeriesSummary(
            str(h),
            str(c),
            str(m),
            stored.get((h, c, m), 0) if stored is not None else max(int(n) - gone.get((h, c, m), 0), 0),
            int(k),
            lo,
            hi,
        )
        for h, c, m, n, k, lo, hi in rows
    ]


_RAW_COUNTS = "SELECT host, component, metric, count(*) FROM metrics GROUP BY ALL"


def _by_series(rows: list[tuple]) -> dict[tuple[str, str, str], int]:
    return {(h, c, m): int(n) for h, c, m, n in rows}


@dataclass(frozen=True)
class StoredSeries:
    """A series as read: the time of each row in microseconds since the epoch (UTC) and its value."""

    host: str
    times_us: list[int]
    values: list[float]


def series_metrics(store: Any, component: str) -> list[str]:
    """The metrics stored for ``component``, sorted."""
    with store.read() as con:
        rows = con.execute(
            "SELECT DISTINCT metric FROM metrics_hourly WHERE component = ? ORDER BY metric", [component]
        ).fetchall()
    return [str(r[0]) for r in rows]


def series_hosts(store: Any, component: str, metric: str) -> list[str]:
    """The hosts with rows of ``component``/``metric``, sorted."""
    with store.read() as con:
        rows = con.execute(
            "SELECT DISTINCT host FROM metrics_hourly WHERE component = ? AND metric = ? ORDER BY host",
            [component, metric],
        ).fetchall()
    return [str(r[0]) for r in rows]


def require_metric(store: Any, component: str, metric: str) -> None:
    """Nothing when ``component`` has rows of ``metric``; else :class:`SeriesNotFound` naming its metrics."""
    known = series_metrics(store, component)
    if metric in known:
        return
    if not known:
        raise SeriesNotFound(f"component {component!r} has no metrics stored (only error events or probe results)")
    raise SeriesNotFound(unknown_name_message("metric", metric, known, f"of component {component!r}"))


def read_series(
    store: Any,
    component: str,
    metric: str,
    host: str,
    *,
    since: dt.datetime | None = None,
    hourly: bool = False,
) -> StoredSeries:
    """``host``'s rows of ``component``/``metric`` in time order (from ``since``, naive UTC, when given):
    the raw readings, or with ``hourly`` each hour's mean (the series the predictions' detector reads),
    stamped with the hour's start."""
    if hourly:
        sql = (
            "SELECT epoch_us(hour), sum / n FROM metrics_hourly WHERE component = ? AND metric = ? AND host = ?"
            + (" AND hour >= date_trunc('hour', ?::TIMESTAMP)" if since else "")
            + " ORDER BY hour"
        )
    else:
        sql = (
            "SELECT epoch_us(ts), value FROM metrics WHERE component = ? AND metric = ? AND host = ?"
            + (" AND ts >= ?" if since else "")
            + " ORDER BY ts"
        )
    params: list[Any] = [component, metric, host] + ([since] if since else [])
    with store.read() as con:
        rows = con.execute(sql, params).fetchall()
    return StoredSeries(host, [int(r[0]) for r in rows], [float(r[1]) for r in rows])
