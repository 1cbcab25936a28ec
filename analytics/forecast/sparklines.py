"""Sparkline data for the dashboard: per component, recent history and the stored forecast with its band.

One short read of the store (three small queries on one connection): the hourly rollup of the last
``history_hours`` before the newest data, averaged into ``bucket_hours`` buckets (7 days in 2-hour
buckets = 84 points), and the latest stored forecast path (analytics/forecast/stored.py ``record``) averaged
into the same buckets, with its 80 % band, model, the seed's fields and the measured backtest error.
Nothing is forecast here — this runs on every dashboard refresh; forecasts are made by
``analytics.forecast.stored.refresh`` (the collector and the demo call it).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from analytics.forecast import MIN_DAYS

if TYPE_CHECKING:  # pragma: no cover
    from analytics.store.database import Store

DEFAULT_METRIC = "response_time_ms"  # the metric forecast by default (analytics.forecast.stored reads it here:
#                                       this module is read on every refresh and must not import NumPy)
HISTORY_HOURS = 168
BUCKET_HOURS = 2


@dataclass(frozen=True)
class ForecastRow:
    """One component's sparkline in the dashboard's Forecast pane (see :func:`sparkline_data`)."""

    key: str
    component: str
    metric: str
    history: tuple[float, ...]
    forecast: tuple[float, ...]
    lo: tuple[float, ...]
    hi: tuple[float, ...]
    current: float | None
    predicted: float | None
    pct_change: float | None
    trend: str  # increasing | decreasing | stable | unknown
    significant: bool
    colour: str  # red | yellow | green (seed: > 20 % degradation red, 10-20 % yellow)
    model: str
    backtest_error: float | None
    note: str = ""


def _num(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x)


def sparkline_data(
    store: Store,
    now: dt.datetime | None = None,
    *,
    metric: str = DEFAULT_METRIC,
    history_hours: int = HISTORY_HOURS,
    bucket_hours: int = BUCKET_HOURS,
    component: str | None = None,
) -> list[dict[str, Any]]:
    """Per component (sorted): ``history`` (bucket means, oldest first), ``forecast``/``lo``/``hi`` (the
    stored forecast path in the same buckets), ``current``, ``predicted``, ``pct_change``, ``trend``,
    ``significant``, ``colour``, ``model``, ``backtest_error`` (backtest MAE, metric units),
    ``backtest_mase``, ``made_at``, ``note``. History ends at the newest data at or before ``now``."""
    with store.read() as con:
        return sparkline_data_in(
            con, now, metric=metric, history_hours=history_hours, bucket_hours=bucket_hours, component=component
        )


def sparkline_data_in(
    con: Any,
    now: dt.datetime | None = None,
    *,
    metric: str = DEFAULT_METRIC,
    history_hours: int = HISTORY_HOURS,
    bucket_hours: int = BUCKET_HOURS,
    component: str | None = None,
) -> list[dict[str, Any]]:
    """:func:`sparkline_data` on an open connection (the dashboard reads it inside its one visit)."""
    bucket = f"INTERVAL {int(bucket_hours)} HOUR"
    comp_sql = "AND component = $component" if component is not None else ""
    params: dict[str, Any] = {"metric": metric}
    if component is not None:
        params["component"] = component
    end_sql = "hour <= $now" if now is not None else "true"
    if now is not None:
        params["now"] = now
    hist = con.execute(
        f"""
        WITH last AS (SELECT max(hour) AS h FROM metrics_hourly WHERE metric = $metric AND {end_sql} {comp_sql}),
        b AS (
            SELECT component, time_bucket({bucket}, hour, TIMESTAMP '2000-01-01') AS t,
                   sum(sum) / sum(n) AS v, count(DISTINCT hour) AS hours
            FROM metrics_hourly, last
            WHERE metric = $metric {comp_sql} AND hour <= last.h
              AND hour > last.h - INTERVAL {int(history_hours)} HOUR
            GROUP BY ALL
        )
        SELECT component, list(v ORDER BY t), max(t), sum(hours) FROM b GROUP BY component ORDER BY component
        """,
        params,
    ).fetchall()
    fparams = {k: v for k, v in params.items() if k != "now"}
    path = con.execute(
        f"""
        WITH b AS (
            SELECT component, time_bucket({bucket}, hour, TIMESTAMP '2000-01-01') AS t,
                   avg(mean) AS m, avg(lo) AS lo, avg(hi) AS hi
            FROM forecast_points WHERE host = '' AND metric = $metric {comp_sql}
            GROUP BY ALL
        )
        SELECT component, list(m ORDER BY t), list(lo ORDER BY t), list(hi ORDER BY t) FROM b GROUP BY component
        """,
        fparams,
    ).fetchall()
    runs = con.execute(
        f"""
        SELECT component, model, current_value, forecast_value, lo, hi, percent_change, trend, significant,
               colour, backtest_mae, backtest_mase, made_at, last_hour, message, horizon_days
        FROM forecast_runs WHERE host = '' AND metric = $metric {comp_sql}
        """,
        fparams,
    ).fetchall()
    paths = {r[0]: r[1:] for r in path}
    info = {r[0]: r for r in runs}
    out = []
    for comp, history, last_bucket, hours in hist:
        p = paths.get(comp, ([], [], []))
        r = info.get(comp)
        note = ""
        if r is None:
            note = "no forecast yet"
            if hours is not None and hours < MIN_DAYS * 24:  # what it waits for, as `lokifi ai forecast` says
                note = f"needs {MIN_DAYS} days of data, has {int(hours)} h"
        elif r[14]:
            note = r[14]
        elif (
            r[13] is not None and last_bucket is not None and r[13] + dt.timedelta(hours=bucket_hours + 1) < last_bucket
        ):
            note = f"forecast from {r[13]:%Y-%m-%d %H:%M}"
        out.append(
            {
                "host": "",
                "component": comp,
                "metric": metric,
                "history": [_num(x) for x in history],
                "forecast": [_num(x) for x in p[0]],
                "lo": [_num(x) for x in p[1]],
                "hi": [_num(x) for x in p[2]],
                "model": (r[1] or "") if r else "",
                "current": _num(r[2]) if r else None,
                "predicted": _num(r[3]) if r else None,
                "predicted_lo": _num(r[4]) if r else None,
                "predicted_hi": _num(r[5]) if r else None,
                "pct_change": _num(r[6]) if r else None,
                "trend": (r[7] or "unknown") if r else "unknown",
                "significant": bool(r[8]) if r else False,
                "colour": (r[9] or "green") if r else "green",
                "backtest_error": _num(r[10]) if r else None,
                "backtest_mase": _num(r[11]) if r else None,
                "made_at": r[12] if r else None,
                "horizon_days": _num(r[15]) if r else None,
                "note": note,
            }
        )
    return out


def _points(values: list[float | None]) -> tuple[float, ...]:
    return tuple(x for x in values if x is not None)


def forecast_rows(con: Any, now: dt.datetime | None, limit: int) -> tuple[ForecastRow, ...]:
    """The Forecast pane: :func:`sparkline_data_in` as rows (a bucket without data is left out)."""
    return tuple(
        ForecastRow(
            key=f"{r['host']}/{r['component']}/{r['metric']}",
            component=r["component"],
            metric=r["metric"],
            history=_points(r["history"]),
            forecast=_points(r["forecast"]),
            lo=_points(r["lo"]),
            hi=_points(r["hi"]),
            current=r["current"],
            predicted=r["predicted"],
            pct_change=r["pct_change"],
            trend=r["trend"],
            significant=r["significant"],
            colour=r["colour"],
            model=r["model"],
            backtest_error=r["backtest_error"],
            note=r["note"],
        )
        for r in sparkline_data_in(con, now)[:limit]
    )


def component_history(
    con: Any,
    component: str,
    now: dt.datetime,
    hours: int = 72,
) -> tuple[tuple[str, float | None, tuple[float, ...]], ...]:
    """Every metric of ``component`` over the ``hours`` before ``now``: (metric, latest hourly mean, the
    hourly means oldest first), for a component's details."""
    rows = con.execute(
        """
        SELECT metric, list(sum / n ORDER BY hour), arg_max(sum / n, hour)
        FROM metrics_hourly WHERE component = ? AND hour >= ? AND hour <= ?
        GROUP BY metric ORDER BY metric
        """,
        [component, now - dt.timedelta(hours=hours), now],
    ).fetchall()
    return tuple((m, _num(last), tuple(float(v) for v in vals)) for m, vals, last in rows)
