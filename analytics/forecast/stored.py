"""Stored forecasts: each run remembered, its predictions scored later, and how right they have been.

Owns the forecast the product shows and remembers (the forecasts themselves are computed by
:mod:`analytics.forecast.components`, ``forecast_all``):

* ``record(store, forecasts, now, host='')`` stores them: the latest run and its hourly path (tables of
  migration 030; the sparklines read host ``''``, all hosts together) and, for every forecast, predictions
  (``prediction_type = 'forecast'``) of the hourly mean 24 hours and ``horizon_days`` ahead with their
  80 % interval, due when that hour has passed. ``analytics.predict.scoring.score_due`` scores them
  (accurate when the actual hourly mean is inside ``[lo, hi]``), so the product can say how right its
  forecasts have been on this host (``forecast_accuracy``).
* Hosts: by default a component's series is all hosts together (host ``''``, the fleet-wide view the
  dashboard shows). ``forecast_all(host=H)`` forecasts host H's own series; recorded with ``host=H`` it
  is stored under H and scored against H's data only, and its accuracy is H's (``forecast_accuracy(host=H)``).
* ``refresh(store, now=None)``: what the collector and the demo call; forecasts at most once an hour.
* the ``lokifi forecast series`` path (CSV on stdin, one ``value,lo,hi`` line per step; the interface
  of the forecast harness) is :mod:`analytics.forecast.series_csv`.

Only NumPy and the standard library are imported at module level, so the CLI's series path starts fast.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from analytics.common.clock import utcnow
from analytics.forecast.backtest import LEVEL
from analytics.forecast.components import ComponentForecast, finite, forecast_all, hour_floor
from analytics.forecast.linear import HORIZON_DAYS

# the `lokifi forecast series` path: the CLI imports these two from here
from analytics.forecast.series_csv import HorizonError, SeriesInputError, forecast_csv_timed  # noqa: F401
from analytics.forecast.sparklines import DEFAULT_METRIC
from analytics.patterns.confidence import posterior_mean
from analytics.store.engine import registered
from analytics.store.writers import quote_ident

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from analytics.store.database import Store

PREDICTION_HOURS = 24  # besides the horizon, a forecast is also recorded 24 h ahead
REFRESH_EVERY = dt.timedelta(hours=1)


# --------------------------------------------------------------------------------------------------
# Recording: latest run + path (sparklines) and predictions (scored later)


def _prediction_rows(
    f: ComponentForecast, now: dt.datetime, measured: tuple[float, str, int], host: str = ""
) -> list[dict[str, Any]]:
    rows = []
    steps = len(f.path_mean)
    conf, kind, scored = measured
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
                "confidence_n": scored,
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
        "mae": finite(mae) if mae is not None else None,
    }


#: How many scored forecasts the nominal 80 % is worth: two, the weight of the uniform Beta(1, 1) prior
#: every measured confidence in Lokifi uses (a rule's, analytics/predict/confidence.py; a fix's). Two
#: scored forecasts move the figure half way from 80 % to what was seen.
PRIOR_WEIGHT = 2.0


def _confidence(store: Store, metric: str, host: str = "") -> tuple[float, str, int]:
    """(confidence, 'measured' | 'prior', scored forecasts behind it) of a forecast of ``metric`` on
    ``host``: the posterior mean of its forecasts' hit rate (the actual inside the 80 % interval), the
    nominal level worth :data:`PRIOR_WEIGHT` outcomes. Measured from the first scored forecast on; the
    nominal 80 %, labelled 'prior', before any."""
    acc = forecast_accuracy(store, metric=metric, host=host)
    n, hits = acc["scored"], acc["hits"]
    if n <= 0:
        return LEVEL, "prior", 0
    return posterior_mean(hits, n - hits, PRIOR_WEIGHT * LEVEL, PRIOR_WEIGHT * (1 - LEVEL)), "measured", n


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
        cols = ", ".join(quote_ident(c) for c in frame.columns)  # keys of a spooled batch's arguments
        with registered(con, "_fc_runs", frame):
            con.execute(f"INSERT INTO forecast_runs ({cols}) SELECT {cols} FROM _fc_runs")
    if df is not None and df.height:
        with registered(con, "_fc_points", df):
            con.execute(
                "INSERT INTO forecast_points (host, component, metric, hour, mean, lo, hi) "
                "SELECT host, component, metric, hour, mean, lo, hi FROM _fc_points"
            )
    if predictions:
        frame = pl.DataFrame(predictions, infer_schema_length=None).with_columns(
            pl.col("prediction_date", "due_at").cast(pl.String).str.to_datetime(time_unit="us", strict=False)
        )
        cols = ", ".join(quote_ident(c) for c in frame.columns)  # keys of a spooled batch's arguments
        before = con.execute("SELECT count(*) FROM predictions").fetchall()[0][0]
        # One forecast per component, metric, target hour and horizon: running `lokifi ai forecast` again
        # within the hour must not count (and later score) the same forecast twice.
        with registered(con, "_fc_preds", frame):
            con.execute(
                f"INSERT INTO predictions ({cols}) SELECT {', '.join('p.' + c for c in frame.columns)} "
                "FROM _fc_preds p WHERE NOT EXISTS (SELECT 1 FROM predictions q WHERE q.prediction_type = 'forecast' "
                "AND q.component = p.component AND q.metric IS NOT DISTINCT FROM p.metric "
                "AND coalesce(q.host, '') = coalesce(p.host, '') AND q.due_at = p.due_at "
                "AND q.horizon_hours IS NOT DISTINCT FROM p.horizon_hours)"
            ).fetchall()
        inserted = con.execute("SELECT count(*) FROM predictions").fetchall()[0][0] - before
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
        if made is not None and made >= hour_floor(now) - dt.timedelta(hours=1) and made < hour_floor(now):
            return []
    forecasts = forecast_all(store, metric=metric, horizon_days=horizon_days, model=model, now=now)
    if forecasts:
        record(store, forecasts, now)
    return forecasts
