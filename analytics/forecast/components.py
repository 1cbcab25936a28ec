"""Per-component forecasts from the store's hourly rollup: the seed's line and the seasonal model.

``forecast_all(store, ...)`` reads the hourly rollup (``metrics_hourly``: thousands of rows, not the
millions of raw ones), and per component forecasts ``horizon_days`` ahead with the model asked for:
``linear`` (seed 000 §3, exactly), ``seasonal`` (analytics/forecast/seasonal.py) or ``auto`` (both
backtested on the same origins; the lower error wins). Every result carries the seed's fields (current,
forecast, percent change, trend, significance, colour), the chosen model, its 80 % interval and its
measured backtest error. By default a component's series is all hosts together; ``host=H`` forecasts
host H's own series. Storing them and scoring them later is :mod:`analytics.forecast.stored`.

Conventions: an hourly point is the mean of the raw samples in ``[hour, hour + 1 h)``; only complete
hours before ``now`` are used; missing hours are filled with the same hour a day earlier (else the
previous hour) for the seasonal model, while the line is fitted on the observed hours only, weighted by
their sample counts (the same line as a fit on every raw sample at its hour).

Only NumPy and the standard library are imported at module level, so the CLI's series path starts fast.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections import OrderedDict
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from analytics.common.clock import utcnow
from analytics.forecast.backtest import LEVEL, MODELS, forecast_series
from analytics.forecast.linear import (
    HORIZON_DAYS,
    MIN_DAYS,
    WINDOW_DAYS,
    InsufficientData,
    colour_of,
    forecast_linear,
    is_significant,
    trend_of,
)
from analytics.forecast.sparklines import DEFAULT_METRIC

if TYPE_CHECKING:  # pragma: no cover
    from analytics.store.database import Store

HISTORY_DAYS = 42  # the seasonal model sees six weeks (weekly profile + backtest origins)


@dataclass(frozen=True)
class ComponentForecast:
    """One component's forecast, as ``lokifi ai forecast`` and the dashboard show it."""

    component: str
    metric: str
    made_at: dt.datetime
    horizon_days: float
    requested_model: str
    ok: bool  # False: see message (e.g. not enough data)
    message: str = ""
    days_of_data: int = 0
    missing_days: int = 0
    model: str | None = None  # the model whose numbers are shown (linear | seasonal)
    current: float | None = None
    forecast: float | None = None
    lo: float | None = None  # 80 % interval of ``forecast``
    hi: float | None = None
    percent_change: float | None = None
    slope_per_day: float | None = None  # the chosen model's implied change per day
    trend: str | None = None
    significant: bool | None = None
    colour: str | None = None
    backtest_mae: float | None = None
    backtest_mase: float | None = None
    backtest: dict[str, Any] = field(default_factory=dict)  # MAE per model considered, weights, origins
    linear: dict[str, Any] = field(default_factory=dict)  # the seed's line: slope, intercept, ...
    last_hour: dt.datetime | None = None  # start of the last complete hour used
    path_hours: tuple[dt.datetime, ...] = ()  # hourly forecast path (start of each hour)
    path_mean: tuple[float, ...] = ()
    path_lo: tuple[float, ...] = ()
    path_hi: tuple[float, ...] = ()

    def to_dict(self, path: bool = False) -> dict[str, Any]:
        d = asdict(self)
        if not path:
            for k in ("path_hours", "path_mean", "path_lo", "path_hi"):
                d.pop(k)
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


def hour_floor(t: dt.datetime) -> dt.datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def load_hourly(
    store: Store,
    *,
    metric: str = DEFAULT_METRIC,
    now: dt.datetime | None = None,
    days: float = HISTORY_DAYS,
    component: str | None = None,
    host: str | None = None,
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per component: (hour starts as datetime64[us], hourly means, sample counts) of the complete hours
    in the ``days`` before ``now``, all hosts together unless ``host`` is given."""
    now = now or utcnow()
    end = hour_floor(now)
    start = end - dt.timedelta(days=days)
    where = ["metric = $metric", "hour >= $start", "hour < $end"]
    params: dict[str, Any] = {"metric": metric, "start": start, "end": end}
    if component is not None:
        where.append("component = $component")
        params["component"] = component
    if host is not None:
        where.append("host = $host")
        params["host"] = host
    sql = (
        f"SELECT component, hour, sum(sum) / sum(n) AS mean, sum(n) AS n FROM metrics_hourly "
        f"WHERE {' AND '.join(where)} GROUP BY component, hour ORDER BY component, hour"
    )
    with store.read() as con:
        rows = con.execute(sql, params).fetchnumpy()
    out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    comps = rows["component"]
    if len(comps) == 0:
        return out
    comps = np.asarray(comps, dtype=object)
    hours = np.asarray(rows["hour"]).astype("datetime64[us]")
    means = np.asarray(rows["mean"], dtype=float)
    ns = np.asarray(rows["n"], dtype=float)
    cuts = np.flatnonzero(comps[1:] != comps[:-1]) + 1
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(comps)], strict=True):
        out[str(comps[a])] = (hours[a:b], means[a:b], ns[a:b])
    return out


def readings_without_an_hour(
    store: Store, *, metric: str = DEFAULT_METRIC, now: dt.datetime | None = None, host: str | None = None
) -> dict[str, dt.datetime]:
    """Components whose ``metric`` readings all fall in the current hour (none in a complete hour yet,
    so :func:`load_hourly` has nothing of them): component -> first reading."""
    end = hour_floor(now or utcnow())
    where = "metric = $metric" + (" AND host = $host" if host is not None else "")
    params: dict[str, Any] = {"metric": metric, "end": end}
    if host is not None:
        params["host"] = host
    sql = (
        f"SELECT component, min(ts) FROM metrics WHERE {where} AND ts >= $end - INTERVAL 2 HOUR "
        f"GROUP BY component HAVING min(ts) >= $end ORDER BY component"
    )
    with store.read() as con:
        return {str(c): t for c, t in con.execute(sql, params).fetchall()}


def _hourly_grid(hours: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Equally spaced hourly values from the first to the last observed hour; a missing hour takes the
    value of the same hour a day earlier, else the previous hour."""
    h = ((hours - hours[0]) // np.timedelta64(1, "h")).astype(np.int64)
    y = np.full(int(h[-1]) + 1, np.nan)
    y[h] = means
    for i in np.flatnonzero(np.isnan(y)):
        y[i] = y[i - 24] if i >= 24 and np.isfinite(y[i - 24]) else y[i - 1]
    return y


def _to_dt(x: np.datetime64) -> dt.datetime:
    return x.astype("datetime64[us]").astype(dt.datetime)


def finite(x) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def forecast_component(
    component: str,
    hours: np.ndarray,
    means: np.ndarray,
    counts: np.ndarray,
    *,
    metric: str = DEFAULT_METRIC,
    now: dt.datetime | None = None,
    horizon_days: float = HORIZON_DAYS,
    model: str = "auto",
    level: float = LEVEL,
) -> ComponentForecast:
    """Forecast one component from its hourly series (see :func:`load_hourly`)."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    now = now or utcnow()
    base: dict[str, Any] = dict(
        component=component, metric=metric, made_at=now, horizon_days=horizon_days, requested_model=model
    )
    if len(hours) == 0:
        return ComponentForecast(**base, ok=False, message=str(InsufficientData(0)), missing_days=MIN_DAYS)
    last_hour = _to_dt(hours[-1])
    # The seed's line: the last 30 days of observed hours, each at its middle, weighted by its samples.
    try:
        line = forecast_linear(
            hours + np.timedelta64(30, "m"), means, weights=counts, horizon_days=horizon_days, window_days=WINDOW_DAYS
        )
    except InsufficientData as exc:
        return ComponentForecast(
            **base,
            ok=False,
            message=str(exc),
            days_of_data=exc.days,
            missing_days=exc.missing_days,
            last_hour=last_hour,
        )
    linear = dict(
        slope=line.slope,
        intercept=line.intercept,
        current=line.current,
        forecast=line.forecast,
        percent_change=line.percent_change,
        trend=line.trend,
        significant=line.significant,
        colour=line.colour,
        points=line.points,
        window_start=_to_dt(line.window_start),
    )

    y = _hourly_grid(hours, means)
    steps = max(1, int(round(horizon_days * 24)))
    sf = forecast_series(y, steps, 24, model=model, level=level)
    day = min(24, steps)
    if sf.model == "linear":
        current, fc = line.current, line.forecast
        lo = fc + float(sf.lo[-1] - sf.mean[-1])
        hi = fc + float(sf.hi[-1] - sf.mean[-1])
        slope = line.slope
    else:
        # Daily means, so the time of day of "now" and of the horizon's end do not matter.
        current = float(np.mean(y[-24:]))
        fc = float(np.mean(sf.mean[-day:]))
        lo, hi = float(np.mean(sf.lo[-day:])), float(np.mean(sf.hi[-day:]))
        slope = (fc - current) / horizon_days if horizon_days > 0 else 0.0
    pct = (fc - current) / abs(current) * 100.0 if current else None
    path_hours = tuple((hours[-1] + np.arange(1, steps + 1) * np.timedelta64(1, "h")).astype(dt.datetime))
    return ComponentForecast(
        **base,
        ok=True,
        days_of_data=line.days_of_data,
        model=sf.model,
        current=current,
        forecast=fc,
        lo=min(lo, fc),
        hi=max(hi, fc),
        percent_change=pct,
        slope_per_day=slope,
        trend=trend_of(slope),
        significant=is_significant(slope),
        colour=colour_of(pct),
        backtest_mae=finite(sf.backtest_mae),
        backtest_mase=finite(sf.backtest_mase),
        backtest={
            "mae": {k: finite(v) for k, v in sf.candidates.items()},
            "origins": sf.backtest_origins,
            "weights": {k: round(v, 4) for k, v in sf.weights.items()},
        },
        linear=linear,
        last_hour=last_hour,
        path_hours=path_hours,
        path_mean=tuple(sf.mean.tolist()),
        path_lo=tuple(sf.lo.tolist()),
        path_hi=tuple(sf.hi.tolist()),
    )


# Forecasts use complete hours only, so within an hour the same series gives the same forecast: a
# dashboard refreshing every few seconds should not redo the work. Keyed by the series' content.
_MEMO: OrderedDict[tuple, ComponentForecast] = OrderedDict()
MEMO_SIZE = 256


def _memo_forecast(
    component: str,
    hours: np.ndarray,
    means: np.ndarray,
    counts: np.ndarray,
    *,
    metric: str,
    now: dt.datetime,
    horizon_days: float,
    model: str,
    level: float,
) -> ComponentForecast:
    digest = hashlib.blake2b(digest_size=16)
    for a in (hours, means, counts):
        digest.update(np.ascontiguousarray(a).tobytes())
    key = (component, metric, float(horizon_days), model, float(level), len(hours), digest.digest())
    hit = _MEMO.get(key)
    if hit is not None:
        _MEMO.move_to_end(key)
        return replace(hit, made_at=now)
    f = forecast_component(
        component, hours, means, counts, metric=metric, now=now, horizon_days=horizon_days, model=model, level=level
    )
    _MEMO[key] = f
    while len(_MEMO) > MEMO_SIZE:
        _MEMO.popitem(last=False)
    return f


def forecast_all(
    store: Store,
    *,
    component: str | None = None,
    metric: str = DEFAULT_METRIC,
    horizon_days: float = HORIZON_DAYS,
    model: str = "auto",
    now: dt.datetime | None = None,
    host: str | None = None,
    level: float = LEVEL,
) -> list[ComponentForecast]:
    """Forecasts for every component with ``metric`` (or one), sorted by component."""
    now = now or utcnow()
    series = load_hourly(
        store, metric=metric, now=now, component=component, host=host, days=max(HISTORY_DAYS, WINDOW_DAYS)
    )
    out = [
        _memo_forecast(c, *series[c], metric=metric, now=now, horizon_days=horizon_days, model=model, level=level)
        for c in sorted(series)
    ]
    if component is not None and not out:
        out.append(
            ComponentForecast(
                component=component,
                metric=metric,
                made_at=now,
                horizon_days=horizon_days,
                requested_model=model,
                ok=False,
                missing_days=MIN_DAYS,
                message=f"no {metric} data for {component}: " + str(InsufficientData(0)),
            )
        )
    return out
