"""Scoring: every prediction whose horizon has passed is judged against what the store shows.

``score_due(store, now=None)`` scores each due prediction (this engine's and the forecasting engine's
``prediction_type = 'forecast'``) against the horizon ``[made, due)``:

- ``slow_response``: the average response time over the horizon is still > the threshold;
- ``performance_degradation``: max > k x average again over the horizon;
- ``recurring_error``: the pattern occurs again (>= 1 event) in the horizon;
- ``two_sigma`` / ``anomaly``: some hourly mean in the horizon lies outside the band ``[lo, hi]``;
- ``forecast``: the actual hourly mean of the forecast hour lies inside ``[lo, hi]``.

It sets ``actual_value``, ``accurate``, ``outcome_date`` (seed 000 schema) and ``lead_hours`` (from the
prediction to the first sign, for hits). Predictions whose horizon has no data yet stay pending. What the
scores add up to (each rule's hit rate, the confidence shown) is :mod:`analytics.predict.confidence`'s:
the open predictions' confidence is written again with each scoring.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import polars as pl

from analytics.common.clock import utcnow
from analytics.predict import baselines as B
from analytics.predict.confidence import restate_open
from analytics.store import engine
from analytics.store.database import Store


def score_due(store: Store, now: dt.datetime | None = None) -> int:
    """Score every prediction whose horizon has passed by ``now``. Returns how many were scored."""
    now = now or utcnow()
    with store.read() as con:
        due = engine.frame(
            con,
            "SELECT id, prediction_type, coalesce(rule, prediction_type) AS rule, coalesce(host, '') AS host, "
            "component, metric, predicted_value, lo, hi, evidence, prediction_date, due_at, subject "
            "FROM predictions WHERE outcome_date IS NULL AND due_at IS NOT NULL AND due_at <= ? ORDER BY id",
            [now],
        )
        if not due.height:
            return 0
        results = []
        for p in due.to_dicts():
            r = _score_one(con, p)
            if r is not None:
                results.append(r)
    if not results:
        return 0
    frame = pl.DataFrame(
        results,
        schema={
            "id": pl.Int64,
            "actual": pl.Float64,
            "accurate": pl.Boolean,
            "outcome": pl.Datetime("us"),
            "lead": pl.Float64,
        },
    )
    with store.write() as con, engine.registered(con, "_scored", frame):
        con.execute(
            "UPDATE predictions SET actual_value = s.actual, accurate = s.accurate, outcome_date = s.outcome, "
            "lead_hours = s.lead FROM _scored s WHERE predictions.id = s.id"
        )
        restate_open(con)  # the open predictions of these rules are as sure as their record now says
    return len(results)


def _hour_ceil(t: dt.datetime) -> dt.datetime:
    f = B.hour_floor(t)
    return f if f == t else f + dt.timedelta(hours=1)


def _hourly(con, p: dict[str, Any]) -> list[tuple]:
    """(hour, n, mean, max) of the prediction's metric over its horizon's complete hours."""
    h0, h1 = _hour_ceil(p["prediction_date"]), B.hour_floor(p["due_at"])
    host_cond = "" if p["host"] == "" else " AND host = ?"
    return con.execute(
        f"SELECT hour, sum(n), sum(sum) / sum(n), max(max) FROM metrics_hourly WHERE component = ? AND metric = ? "
        f"AND hour >= ? AND hour < ? AND n > 0{host_cond} GROUP BY hour ORDER BY hour",
        [p["component"], p["metric"], h0, h1] + ([p["host"]] if p["host"] else []),
    ).fetchall()


def _lead(p: dict[str, Any], when: dt.datetime) -> float:
    return max(0.0, (when - p["prediction_date"]).total_seconds() / 3600.0)


def _score_one(con, p: dict[str, Any]) -> dict[str, Any] | None:
    rule, due = p["rule"], p["due_at"]
    res = {"id": p["id"], "outcome": due, "lead": None}
    if p["prediction_type"] == "forecast":
        try:
            hour = dt.datetime.fromisoformat(json.loads(p["evidence"] or "{}")["hour_start"])
        except (KeyError, ValueError, TypeError):
            hour = B.hour_floor(due) - dt.timedelta(hours=1)
        host_cond = "" if p["host"] == "" else " AND host = ?"
        row = con.execute(
            f"SELECT sum(sum) / sum(n) FROM metrics_hourly WHERE component = ? AND metric = ? AND hour = ? "
            f"AND n > 0{host_cond}",
            [p["component"], p["metric"], hour] + ([p["host"]] if p["host"] else []),
        ).fetchall()
        if not row or row[0][0] is None or p["lo"] is None or p["hi"] is None:
            return None
        actual = float(row[0][0])
        res.update(actual=actual, accurate=bool(p["lo"] <= actual <= p["hi"]))
        return res
    if rule == "recurring_error":
        host_cond = "" if p["host"] == "" else " AND host = ?"
        row = con.execute(
            "SELECT count(*), min(ts) FROM error_events "
            "WHERE component = ? AND coalesce(fingerprint, md5(message)) = ? "
            f"AND ts >= ? AND ts < ?{host_cond}",
            [p["component"], p["subject"], p["prediction_date"], due] + ([p["host"]] if p["host"] else []),
        ).fetchall()
        count, first = int(row[0][0]), row[0][1]
        res.update(actual=float(count), accurate=count >= 1, lead=_lead(p, first) if count else None)
        return res
    hours = _hourly(con, p)
    if not hours:
        return None  # no data for the horizon yet: stays pending
    if rule == "slow_response":
        n = sum(h[1] for h in hours)
        avg = sum(h[1] * h[2] for h in hours) / n
        thr = p["lo"] if p["lo"] is not None else 1000.0
        first = next((h[0] for h in hours if h[2] > thr), None)
        res.update(actual=avg, accurate=avg > thr, lead=_lead(p, first) if (avg > thr and first) else None)
        return res
    if rule == "performance_degradation":
        n = sum(h[1] for h in hours)
        avg = sum(h[1] * h[2] for h in hours) / n
        mx = max(h[3] for h in hours)
        k = p["lo"] if p["lo"] is not None else 3.0
        ratio = mx / avg if avg > 0 else 0.0
        first = next((h[0] for h in hours if avg > 0 and h[3] > k * avg), None)
        res.update(actual=ratio, accurate=ratio > k, lead=_lead(p, first) if (ratio > k and first) else None)
        return res
    # two_sigma, anomaly and any other band rule: some hourly mean outside [lo, hi]
    lo = p["lo"] if p["lo"] is not None else -math.inf
    hi = p["hi"] if p["hi"] is not None else math.inf
    outside = [h for h in hours if not (lo <= h[2] <= hi)]
    centre = p["predicted_value"] if p["predicted_value"] is not None else 0.0
    extreme = max(hours, key=lambda h: abs(h[2] - centre))[2]
    res.update(
        actual=float(outside[0][2] if outside else extreme),
        accurate=bool(outside),
        lead=_lead(p, outside[0][0]) if outside else None,
    )
    return res
