"""Performance forecasts per component, from the store: the seed's line and the seasonal model.

Owns the forecast the product shows and remembers:

* ``forecast_all(store, ...)`` reads the hourly rollup (``metrics_hourly``: thousands of rows, not the
  millions of raw ones), and per component forecasts ``horizon_days`` ahead with the model asked for:
  ``linear`` (seed 000 §3, exactly), ``seasonal`` (analytics/forecast/seasonal.py) or ``auto`` (both
  backtested on the same origins; the lower error wins). Every result carries the seed's fields
  (current, forecast, percent change, trend, significance, colour), the chosen model, its 80 %
  interval and its measured backtest error.
* ``record(store, forecasts, now, host='')`` stores them: the latest run and its hourly path (tables of
  migration 030; the sparklines read host ``''``, all hosts together) and, for every forecast, predictions
  (``prediction_type = 'forecast'``) of the hourly mean 24 hours and ``horizon_days`` ahead with their
  80 % interval, due when that hour has passed. ``analytics.predict.predictions.score_due`` scores them
  (accurate when the actual hourly mean is inside ``[lo, hi]``), so the product can say how right its
  forecasts have been on this host (``forecast_accuracy``).
* Hosts: by default a component's series is all hosts together (host ``''``, the fleet-wide view the
  dashboard shows). ``forecast_all(host=H)`` forecasts host H's own series; recorded with ``host=H`` it
  is stored under H and scored against H's data only, and its accuracy is H's (``forecast_accuracy(host=H)``).
* ``refresh(store, now=None)``: what the collector and the demo call; forecasts at most once an hour.
* the ``lokifi forecast series`` path (CSV on stdin, one ``value,lo,hi`` line per step; the interface
  of the forecast harness) is :mod:`analytics.forecast.series_csv`.

Conventions: an hourly point is the mean of the raw samples in ``[hour, hour + 1 h)``; only complete
hours before ``now`` are used; missing hours are filled with the same hour a day earlier (else the
previous hour) for the seasonal model, while the line is fitted on the observed hours only, weighted by
their sample counts (the same line as a fit on every raw sample at its hour).

Only NumPy and the standard library are imported at module level, so the CLI's series path starts fast.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
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

# the `lokifi forecast series` path: the CLI imports these two from here
from analytics.forecast.series_csv import SeriesInputError, forecast_csv_timed  # noqa: F401
from analytics.forecast.sparklines import DEFAULT_METRIC

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from analytics.store.database import Store

HISTORY_DAYS = 42  # the seasonal model sees six weeks (weekly profile + backtest origins)
PREDICTION_HOURS = 24  # besides the horizon, a forecast is also recorded 24 h ahead
REFRESH_EVERY = dt.timedelta(hours=1)


# --------------------------------------------------------------------------------------------------
# Per-component forecasts from the store


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


def _hour_floor(t: dt.datetime) -> dt.datetime:
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
    end = _hour_floor(now)
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


def _f(x) -> float | None:
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
        backtest_mae=_f(sf.backtest_mae),
        backtest_mase=_f(sf.backtest_mase),
        backtest={
            "mae": {k: _f(v) for k, v in sf.candidates.items()},
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


# --------------------------------------------------------------------------------------------------
# Recording: latest run + path (sparklines) and predictions (scored later)


def _prediction_rows(
    f: ComponentForecast, now: dt.datetime, measured: tuple[float, str], host: str = ""
) -> list[dict[str, Any]]:
    rows = []
    steps = len(f.path_mean)
    conf, kind = measured
    for k in sorted({min(PREDICTION_HOURS, steps), steps}):
        hour = f.path_hours[k - 1]
        due = hour + dt.timedelta(hours=1)
        if due <= now:
            continue
        evidence = {
            "hour_start": hour.isoformat(),
            "window": "hourly mean",
            "level": LEVEL,
            "backtest_mae": f.backtest_mae,
            "backtest_mase": f.backtest_mase,
            "backtest": f.backtest.get("mae"),
            "last_hour": f.last_hour.isoformat() if f.last_hour else None,
        }
        rows.append(
            {
                "prediction_type": "forecast",
                "component": f.component,
                "host": host,
                "metric": f.metric,
                "predicted_value": f.path_mean[k - 1],
                "lo": f.path_lo[k - 1],
                "hi": f.path_hi[k - 1],
                "confidence_score": conf,
                "confidence_kind": kind,
                "severity": None,
                "message": (
                    f"{f.component} {f.metric} for the hour from {hour:%Y-%m-%d %H:%M} UTC: "
                    f"{f.path_mean[k - 1]:.1f} (80% {f.path_lo[k - 1]:.1f}-{f.path_hi[k - 1]:.1f}) by {f.model}"
                ),
                "rule": "forecast",
                "model": f.model,
                "horizon_hours": float(k),
                "evidence": json.dumps(evidence, default=str),
                "prediction_date": now,
                "due_at": due,
            }
        )
    return rows


def forecast_accuracy(
    store: Store, component: str | None = None, metric: str | None = None, host: str | None = None
) -> dict[str, Any]:
    """How right stored forecasts have been: scored forecasts, hits (actual inside the 80 % interval),
    the hit rate, and the mean absolute error of the point forecast. ``host``: only the forecasts made
    for that host (``''``: the all-hosts forecasts; None: every forecast)."""
    where = ["prediction_type = 'forecast'", "accurate IS NOT NULL"]
    params: list[Any] = []
    if host is not None:
        where.append("coalesce(host, '') = ?")
        params.append(host)
    if component is not None:
        where.append("component = ?")
        params.append(component)
    if metric is not None:
        where.append("metric = ?")
        params.append(metric)
    with store.read() as con:
        n, hits, mae = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE accurate), avg(abs(actual_value - predicted_value)) "
            f"FROM predictions WHERE {' AND '.join(where)}",
            params,
        ).fetchall()[0]
    return {
        "scored": int(n),
        "hits": int(hits or 0),
        "hit_rate": (hits / n) if n else None,
        "mae": _f(mae) if mae is not None else None,
    }


MIN_SCORED = 10  # scored forecasts before the measured hit rate replaces the nominal 80 %


def _confidence(store: Store, metric: str, host: str = "") -> tuple[float, str]:
    acc = forecast_accuracy(store, metric=metric, host=host)
    if acc["scored"] >= MIN_SCORED:
        return float(acc["hit_rate"]), "measured"
    return LEVEL, "prior"


def write_forecasts(
    con, df: pl.DataFrame | None, *, runs: list[dict[str, Any]], predictions: list[dict[str, Any]]
) -> int:
    """Writer (``Store.submit``): replace the latest run and path of each forecast component and add the
    predictions. ``df`` holds the paths (host, component, metric, hour, mean, lo, hi)."""
    import polars as pl

    keys = {(r["host"], r["component"], r["metric"]) for r in runs}
    for host, comp, metric in keys:
        con.execute("DELETE FROM forecast_runs WHERE host = ? AND component = ? AND metric = ?", [host, comp, metric])
        con.execute("DELETE FROM forecast_points WHERE host = ? AND component = ? AND metric = ?", [host, comp, metric])
    if runs:
        frame = pl.DataFrame(runs, infer_schema_length=None).with_columns(
            pl.col("made_at", "last_hour").cast(pl.String).str.to_datetime(time_unit="us", strict=False)
        )
        con.register("_fc_runs", frame)
        cols = ", ".join(frame.columns)
        con.execute(f"INSERT INTO forecast_runs ({cols}) SELECT {cols} FROM _fc_runs")
        con.unregister("_fc_runs")
    if df is not None and df.height:
        con.register("_fc_points", df)
        con.execute(
            "INSERT INTO forecast_points (host, component, metric, hour, mean, lo, hi) "
            "SELECT host, component, metric, hour, mean, lo, hi FROM _fc_points"
        )
        con.unregister("_fc_points")
    if predictions:
        frame = pl.DataFrame(predictions, infer_schema_length=None).with_columns(
            pl.col("prediction_date", "due_at").cast(pl.String).str.to_datetime(time_unit="us", strict=False)
        )
        con.register("_fc_preds", frame)
        cols = ", ".join(frame.columns)
        before = con.execute("SELECT count(*) FROM predictions").fetchall()[0][0]
        # One forecast per component, metric, target hour and horizon: running `lokifi ai forecast` again
        # within the hour must not count (and later score) the same forecast twice.
        con.execute(
            f"INSERT INTO predictions ({cols}) SELECT {', '.join('p.' + c for c in frame.columns)} FROM _fc_preds p "
            "WHERE NOT EXISTS (SELECT 1 FROM predictions q WHERE q.prediction_type = 'forecast' "
            "AND q.component = p.component AND q.metric IS NOT DISTINCT FROM p.metric "
            "AND coalesce(q.host, '') = coalesce(p.host, '') AND q.due_at = p.due_at "
            "AND q.horizon_hours IS NOT DISTINCT FROM p.horizon_hours)"
        ).fetchall()
        inserted = con.execute("SELECT count(*) FROM predictions").fetchall()[0][0] - before
        con.unregister("_fc_preds")
        return int(inserted)
    return 0


def record(
    store: Store,
    forecasts: list[ComponentForecast],
    now: dt.datetime | None = None,
    *,
    predictions: bool = True,
    host: str = "",
) -> int:
    """Store the forecasts (latest run + hourly path per component) and, unless ``predictions`` is
    False, their predictions. Returns how many predictions were stored. ``host``: the host whose series
    they were made from (``''``: all hosts together), so they are scored against that host's data."""
    import polars as pl

    now = now or utcnow()
    measured = {}
    runs, preds, points = [], [], []
    for f in forecasts:
        runs.append(
            {
                "host": host,
                "component": f.component,
                "metric": f.metric,
                "made_at": now.isoformat(),
                "last_hour": f.last_hour.isoformat() if f.last_hour else None,
                "model": f.model,
                "requested_model": f.requested_model,
                "horizon_days": float(f.horizon_days),
                "days_of_data": int(f.days_of_data),
                "current_value": f.current,
                "forecast_value": f.forecast,
                "lo": f.lo,
                "hi": f.hi,
                "percent_change": f.percent_change,
                "slope_per_day": f.slope_per_day,
                "intercept": f.linear.get("intercept"),
                "trend": f.trend,
                "significant": f.significant,
                "colour": f.colour,
                "backtest_mae": f.backtest_mae,
                "backtest_mase": f.backtest_mase,
                "backtest": json.dumps(f.backtest, default=str),
                "message": f.message or None,
            }
        )
        if not f.ok:
            continue
        points.append(
            pl.DataFrame(
                {
                    "host": host,
                    "component": f.component,
                    "metric": f.metric,
                    "hour": pl.Series(list(f.path_hours), dtype=pl.Datetime("us")),
                    "mean": list(f.path_mean),
                    "lo": list(f.path_lo),
                    "hi": list(f.path_hi),
                }
            )
        )
        if predictions:
            if f.metric not in measured:
                measured[f.metric] = _confidence(store, f.metric, host)
            preds.extend(_prediction_rows(f, now, measured[f.metric], host))
    df = pl.concat(points) if points else None
    store.submit("forecasts", df, runs=runs, predictions=preds)
    return len(preds)


def refresh(
    store: Store,
    now: dt.datetime | None = None,
    *,
    metric: str = DEFAULT_METRIC,
    horizon_days: float = HORIZON_DAYS,
    model: str = "auto",
    force: bool = False,
) -> list[ComponentForecast]:
    """Forecast every component and record the results, at most once per hour of data: if the latest
    stored run already used the last complete hour before ``now``, nothing is done (returns [])."""
    now = now or utcnow()
    if not force:
        with store.read() as con:
            made = con.execute(
                "SELECT max(last_hour) FROM forecast_runs WHERE metric = ? AND host = ''", [metric]
            ).fetchall()[0][0]
        if made is not None and made >= _hour_floor(now) - dt.timedelta(hours=1) and made < _hour_floor(now):
            return []
    forecasts = forecast_all(store, metric=metric, horizon_days=horizon_days, model=model, now=now)
    if forecasts:
        record(store, forecasts, now)
    return forecasts
