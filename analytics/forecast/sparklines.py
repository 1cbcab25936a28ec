"""Sparkline data for the dashboard: per component, recent history and the stored forecast with its band.

One short read of the store (three small queries on one connection): the hourly rollup of the last
``history_hours`` before the newest data, averaged into ``bucket_hours`` buckets counted back from the newest
hour (14 days in 2-hour buckets = 168 points), and the latest stored forecast path
(analytics/forecast/stored.py ``record``) averaged into the same buckets from its first hour, with its 80 %
band, model, the seed's fields and the measured backtest error. :func:`one_scale` puts both on one time
scale for a sparkline of a given width.
Nothing is forecast here — this runs on every dashboard refresh; forecasts are made by
``analytics.forecast.stored.refresh`` (the collector and the demo call it).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from analytics.forecast import MIN_DAYS

if TYPE_CHECKING:  # pragma: no cover
    from analytics.store.database import Store

DEFAULT_METRIC = "response_time_ms"  # the metric forecast by default (analytics.forecast.stored reads it here:
#                                       this module is read on every refresh and must not import NumPy)
HISTORY_HOURS = 336  # 14 days: the history side fills the width the forecast's time scale leaves it
BUCKET_HOURS = 2


@dataclass(frozen=True)
class ForecastRow:
    """One component's sparkline in the dashboard's Forecast pane (see :func:`sparkline_data`)."""

    key: str
    component: str
    metric: str
    history: tuple[float | None, ...]  # bucket means, oldest first; None: a bucket without data
    forecast: tuple[float | None, ...]
    lo: tuple[float | None, ...]
    hi: tuple[float | None, ...]
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
    step = int(bucket_hours)
    comp_sql = "AND component = $component" if component is not None else ""
    params: dict[str, Any] = {"metric": metric}
    if component is not None:
        params["component"] = component
    end_sql = "hour <= $now" if now is not None else "true"
    if now is not None:
        params["now"] = now
    # buckets counted back from the newest hour (0: the newest), so the last one is whole and the history
    # ends where a forecast made on it (which starts the hour after) begins
    hist = con.execute(
        f"""
        WITH last AS (SELECT max(hour) AS h FROM metrics_hourly WHERE metric = $metric AND {end_sql} {comp_sql}),
        b AS (
            SELECT component, (datediff('hour', hour, last.h) // {step})::INT AS i,
                   sum(sum) / sum(n) AS v, count(DISTINCT hour) AS hours, any_value(last.h) AS h
            FROM metrics_hourly, last
            WHERE metric = $metric AND hour <= last.h AND hour > last.h - INTERVAL {int(history_hours)} HOUR
            GROUP BY ALL
        )
        SELECT component, list(i), list(v), any_value(h), sum(hours) FROM b GROUP BY component ORDER BY component
        """,
        params,
    ).fetchall()
    fparams = {k: v for k, v in params.items() if k != "now"}
    path = con.execute(
        f"""
        WITH first AS (
            SELECT component, min(hour) AS h FROM forecast_points
            WHERE host = '' AND metric = $metric {comp_sql} GROUP BY component
        ),
        b AS (
            SELECT component, (datediff('hour', first.h, hour) // {step})::INT AS i,
                   avg(mean) AS m, avg(lo) AS lo, avg(hi) AS hi
            FROM forecast_points JOIN first USING (component)
            WHERE host = '' AND metric = $metric {comp_sql}
            GROUP BY ALL
        )
        SELECT component, list(i), list(m), list(lo), list(hi) FROM b GROUP BY component
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
    paths = {r[0]: tuple(_dense(r[1], values) for values in r[2:]) for r in path}
    info = {r[0]: r for r in runs}
    out = []
    for comp, index, values, last_hour, hours in hist:
        history = _dense([-i for i in index], values, last=0)  # oldest first, up to the newest hour
        p = paths.get(comp, ([], [], []))
        r = info.get(comp)
        note = ""
        if r is None:
            note = "no forecast yet"
            if hours is not None and hours < MIN_DAYS * 24:  # what it waits for, as `lokifi ai forecast` says
                note = f"needs {MIN_DAYS} days of data, has {int(hours)} h"
        elif r[14]:
            note = r[14]
        elif r[13] is not None and last_hour is not None and r[13] + dt.timedelta(hours=bucket_hours + 1) < last_hour:
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


def _dense(index: list[int], values: list[Any], last: int | None = None) -> list[float | None]:
    """``values`` placed at their bucket ``index`` (ascending in time, up to ``last``, by default the
    greatest), a bucket without data ``None``: a gap keeps its width on the sparkline's time scale."""
    if not index:
        return []
    first = min(index)
    out: list[float | None] = [None] * ((max(index) if last is None else last) - first + 1)
    for i, v in zip(index, values, strict=True):
        out[i - first] = _num(v)
    return out


def forecast_rows(con: Any, now: dt.datetime | None, limit: int) -> tuple[ForecastRow, ...]:
    """The Forecast pane: :func:`sparkline_data_in` as rows (a bucket without data is ``None``)."""
    return tuple(
        ForecastRow(
            key=f"{r['host']}/{r['component']}/{r['metric']}",
            component=r["component"],
            metric=r["metric"],
            history=tuple(r["history"]),
            forecast=tuple(r["forecast"]),
            lo=tuple(r["lo"]),
            hi=tuple(r["hi"]),
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


def day_steps(bucket_hours: int = BUCKET_HOURS) -> Iterator[int]:
    """Buckets per sparkline cell, smallest first, whose hours divide a day or are whole days (2, 4, 6, 8, 12,
    24, 48 … hours in 2-hour buckets): a daily cycle then draws the same cells every day, never a beat."""
    k = 1
    while True:
        hours = k * bucket_hours
        if 24 % hours == 0 or hours % 24 == 0:
            yield k
        k += 1


def _mean(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return sum(vals) / len(vals) if vals else None


def one_scale(
    history: Sequence[float | None], forecast: Sequence[float | None], cells: int, bucket_hours: int = BUCKET_HOURS
) -> tuple[list[float | None], list[float | None]]:
    """History (oldest first, ending where the forecast begins) and forecast averaged into at most
    ``cells - 1`` cells (one is the divider) of the same number of hours on both sides: the mean of whole
    buckets per cell, counted from the divider outward, ``None`` for a cell without data.

    The cell is the shortest of :func:`day_steps` that shows the whole forecast and as much history as
    forecast (or the whole history, when shorter); the history then fills what is left, newest first. With
    no forecast the whole history fits in ``cells``."""
    n_h, n_f = len(history), len(forecast)
    room = max(cells - (1 if n_f else 0), 1)
    k = 1
    for k in day_steps(bucket_hours):
        f_cells, h_cells = -(-n_f // k), -(-n_h // k)
        if f_cells + min(h_cells, f_cells if n_f else h_cells) <= room or k >= max(n_h, n_f, 1):
            break
    fc = [_mean(forecast[i : i + k]) for i in range(0, n_f, k)][:room]
    h_room = max(room - len(fc), 0)
    whole = n_h // k or (1 if n_h else 0)  # whole cells only, unless the history is shorter than one
    ends = [n_h - j * k for j in range(min(whole, h_room))]
    hist = [_mean(history[max(end - k, 0) : end]) for end in reversed(ends)]
    return hist, fc


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
