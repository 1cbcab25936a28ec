"""Predictions that are accountable: made, stored with what they predicted, scored when due.

Owns the ``predictions`` / ``predictive_alerts`` rows this engine writes; their scoring, and that of
the forecasting engine's ``prediction_type = 'forecast'``, is :mod:`analytics.predict.scoring`:

* ``refresh(store, now=None, hours=24, sensitivity="conservative", ...)`` brings the baselines up to
  date (analytics.predict.baselines, incremental), evaluates the seed's rules (analytics.predict.rules) over the
  analysis window and runs the anomaly detector (analytics.predict.detect) over the hourly series, and stores
  each finding as a prediction for the next ``hours`` with its evidence (a predictive alert too). A
  finding that already has an open prediction (same rule, host, component, subject) is not stored twice.
  ``component=`` / ``host=`` limit the evaluation (and what is stored) to that component / host.
* ``score_due(store, now=None)`` scores every prediction whose horizon has passed
  (:mod:`analytics.predict.scoring`; importable from here too, where the collector's hook names it).
* ``rule_stats(store)``: per rule — scored, hits, precision, false alarms, mean lead time, pending.
* ``confidence(...)``: the rule's hit rate on this host measured from its first scored prediction, with
  the seed's prior (70 / 85 / 90 %) worth two outcomes; the prior alone, labelled ``prior``, before
  (:mod:`analytics.predict.confidence`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from analytics.common.clock import utcnow
from analytics.patterns.mutes import muted_sql
from analytics.predict import baselines as B, rules as R
from analytics.predict.confidence import confidence, outcomes as _outcomes, restate_open, rule_confidence
from analytics.predict.rules import SENSITIVITY  # also re-exported for the CLI
from analytics.predict.scoring import score_due  # noqa: F401  (re-exported: the CLI and the hook names use it here)
from analytics.store.database import Store
from analytics.store.engine import frame

DETECTOR_DAYS = 28  # hourly history the detector sees
DETECTOR_METRICS = ("response_time_ms", "error_rate")
_EVENT_MUTED = muted_sql("coalesce(fingerprint, md5(message))", "host")  # an error event of a muted pattern
ANOMALY_BAND_MADS = 3.0  # the anomaly prediction's band: median +- 3 x 1.4826 MAD of hourly means


def _df(con, sql: str, params: list) -> pl.DataFrame:
    return frame(con, sql, params)


@dataclass
class Prediction:
    id: int | None
    type: str
    component: str
    host: str
    metric: str | None
    severity: str
    message: str
    recommendation: str
    confidence: float
    confidence_kind: str  # prior | measured
    confidence_n: int  # scored outcomes behind a measured confidence
    predicted_value: float | None
    lo: float | None
    hi: float | None
    horizon_hours: float
    made_at: dt.datetime
    due_at: dt.datetime
    deviation: float | None
    evidence: dict[str, Any] = field(default_factory=dict)
    new: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RefreshResult:
    now: dt.datetime
    predictions: list[Prediction]
    baselines: dict[str, Any]
    stored: int


# ------------------------------------------------------------------------------------------------
# confidence


# ------------------------------------------------------------------------------------------------
# refresh


def _scope(component: str | None, host: str | None, alias: str = "") -> tuple[str, list[str]]:
    """`` AND component = ? AND host = ?`` (each only when given) and its parameters."""
    sql, params = "", []
    for col, value in (("component", component), ("host", host)):
        if value:
            sql += f" AND {alias}{col} = ?"
            params.append(value)
    return sql, params


def refresh(
    store: Store,
    now: dt.datetime | None = None,
    hours: int = 24,
    sensitivity: str = "conservative",
    *,
    component: str | None = None,
    host: str | None = None,
    window_days: int = 7,
    slow_ms: float = 1000.0,
    recurring: int = 3,
    detector: bool = True,
    record: bool = True,
) -> RefreshResult:
    """Evaluate the rules and the detector at ``now`` and store new predictions for ``hours`` ahead
    (only for ``component`` and/or ``host`` when given)."""
    now = now or utcnow()
    if sensitivity not in SENSITIVITY:
        raise ValueError(f"unknown sensitivity {sensitivity!r}: use conservative, moderate or aggressive")
    cfg = R.RuleConfig(window_days=window_days, sensitivity=sensitivity, slow_ms=slow_ms, recurring=recurring)
    lo, hi = R.window_bounds(now, window_days)
    last_hour = hi - dt.timedelta(hours=1)
    comp_sql, cp = _scope(component, host)
    # one visit to the file: baselines, rule inputs, detector, new predictions (one transaction)
    with store.write() as con:
        bl = B.update_con(con, now)
        resp = _rows(
            con,
            f"SELECT host, component, sum(n) AS n, sum(sum) / sum(n) AS avg, max(max) AS max FROM metrics_hourly "
            f"WHERE metric = ? AND hour >= ? AND hour < ?{comp_sql} GROUP BY host, component ORDER BY 1, 2",
            [R.RESPONSE_METRIC, lo, hi, *cp],
        )
        errs = _rows(
            con,
            f"SELECT host, component, coalesce(fingerprint, md5(message)) AS fingerprint, any_value(type) AS type, "
            f"count(*) AS count, max(ts) AS last_seen, arg_max(message, ts) AS message, "
            f"arg_max(context, ts) AS context FROM error_events "
            f"WHERE ts >= ? AND ts < ?{comp_sql} "
            f"AND NOT {_EVENT_MUTED} GROUP BY ALL ORDER BY count DESC",
            [now - dt.timedelta(days=window_days), now, *cp, now, now],
        )
        sig = _rows(
            con,
            f"SELECT h.host, h.component, h.metric, h.sum / h.n AS current, h.hour, b.baseline_value AS mean, "
            f"b.std_deviation AS std, b.sample_count AS n FROM metrics_hourly h JOIN performance_baselines b "
            f"ON b.host = h.host AND b.component = h.component AND b.metric_name = h.metric "
            f"WHERE h.hour = ? AND h.n > 0{_scope(component, host, 'h.')[0]} ORDER BY 1, 2, 3",
            [last_hour, *cp],
        )
        open_rows = con.execute(
            "SELECT id, coalesce(rule, prediction_type) AS rule, coalesce(host, '') AS host, component, "
            "coalesce(subject, metric, '') AS subject, prediction_date, due_at, message, evidence, severity "
            "FROM predictions WHERE outcome_date IS NULL AND prediction_type <> 'forecast' "
            "AND prediction_date <= ? AND due_at > ?",
            [now, now],
        ).fetchall()
        outcomes = _outcomes(con)
        base = {
            (r[0], r[1]): {
                "baseline_mean_ms": r[2],
                "baseline_std_ms": r[3],
                "baseline_median_ms": r[4],
                "baseline_samples": r[5],
                "baseline_days": B.BASELINE_DAYS,
            }
            for r in con.execute(
                "SELECT host, component, baseline_value, std_deviation, median_value, sample_count "
                "FROM performance_baselines WHERE metric_name = ?",
                [R.RESPONSE_METRIC],
            ).fetchall()
        }
        response = R.response_rules(resp, cfg)
        for f in response:  # evidence: the component's long-run baseline beside the rule's threshold
            f.baseline.update(base.get((f.host, f.component), {}))
        findings = response + R.recurring_rules(errs, cfg) + R.sigma_rules(sig, cfg)
        if detector:
            findings += _detector_findings(con, now, component, host)
        preds = _predictions(findings, open_rows, outcomes, now, hours, lo, hi)
        stored = _store_new(con, [p for p in preds if p.new], now) if record else 0
        if record:
            _update_open(con, [p for p in preds if not p.new], open_rows, now)
            restate_open(con)  # every open prediction's confidence, as this one's, from the outcomes now
    return RefreshResult(now=now, predictions=preds, baselines=bl, stored=stored)


def _rows(con, sql: str, params: list) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _predictions(findings, open_rows, outcomes, now, hours, lo, hi) -> list[Prediction]:
    open_by_key = {(r[1], r[2], r[3], r[4]): r for r in open_rows}
    preds: list[Prediction] = []
    for f in findings:
        conf, kind, n = confidence(f.rule, f.host, outcomes)
        ev = {
            "current": f.current,
            "baseline": f.baseline,
            "deviation": f.deviation,
            "window": [lo.isoformat(), hi.isoformat()],
            "subject": f.subject,
        }
        existing = open_by_key.get((f.rule, f.host, f.component, f.subject or f.metric or ""))
        preds.append(
            Prediction(
                id=existing[0] if existing else None,
                type=f.rule,
                component=f.component,
                host=f.host,
                metric=f.metric,
                severity=f.severity,
                message=f.message,
                recommendation=f.recommendation,
                confidence=conf,
                confidence_kind=kind,
                confidence_n=n,
                predicted_value=f.predicted_value,
                lo=f.lo,
                hi=f.hi,
                horizon_hours=((existing[6] - existing[5]).total_seconds() / 3600.0) if existing else float(hours),
                made_at=existing[5] if existing else now,
                due_at=existing[6] if existing else now + dt.timedelta(hours=hours),
                deviation=f.deviation,
                evidence=_jsonable(ev),
                new=existing is None,
            )
        )
    sev = {"HIGH": 0, "MEDIUM": 1, "LOW": 2}
    preds.sort(key=lambda p: (sev.get(p.severity, 3), p.type, p.component, p.metric or ""))
    return preds


def _jsonable(o: Any) -> Any:
    return json.loads(json.dumps(o, default=lambda x: x.isoformat() if hasattr(x, "isoformat") else str(x)))


def _update_open(con, preds: list[Prediction], open_rows, now: dt.datetime) -> None:
    """An open prediction whose rule still fires says what it sees now: a recurring error's count, the
    latest example, the last hour's value, in the prediction and in its alert row. Its time, horizon and
    what it predicted stay as made (they are what it is scored on; its confidence follows its rule's
    record: :func:`restate_open`); its evidence says when it was brought up to date. Its severity is the
    rule's as it sees it now (its alert follows: analytics.alerts.deliver). Rows whose message, readings and
    severity did not change are not written."""
    stored = {r[0]: (r[7], r[8], r[9]) for r in open_rows}
    for p in preds:
        message, evidence, severity = stored.get(p.id, (None, None, None))
        try:
            current = json.loads(evidence or "{}").get("current")
        except (ValueError, AttributeError):
            current = None
        if message == p.message and current == p.evidence.get("current") and severity == p.severity:
            continue
        p.evidence["updated_at"] = now.isoformat()
        con.execute(
            "UPDATE predictions SET message = ?, evidence = ?, severity = ? WHERE id = ?",
            [p.message, json.dumps(p.evidence), p.severity, p.id],
        )
        con.execute(  # its alert row (the one Alertmanager's view is built from) says the same
            "UPDATE predictive_alerts SET prediction = ?, current_metrics = ?, severity = ? WHERE prediction_id = ?",
            [p.message, json.dumps(p.evidence.get("current")), p.severity, p.id],
        )


def _store_new(con, preds: list[Prediction], now: dt.datetime) -> int:
    if not preds:
        return 0
    for p in preds:
        pid = con.execute(
            "INSERT INTO predictions (prediction_type, component, host, metric, predicted_value, lo, hi, "
            "confidence_score, confidence_kind, confidence_n, severity, message, recommendation, rule, model, "
            "horizon_hours, evidence, prediction_date, due_at, subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                p.type,
                p.component,
                p.host,
                p.metric,
                _num(p.predicted_value),
                _num(p.lo),
                _num(p.hi),
                p.confidence,
                p.confidence_kind,
                p.confidence_n,
                p.severity,
                p.message,
                p.recommendation,
                p.type,
                "detector" if p.type == "anomaly" else "seed-rule",
                p.horizon_hours,
                json.dumps(p.evidence),
                p.made_at,
                p.due_at,
                p.evidence.get("subject") or p.metric,
            ],
        ).fetchall()[0][0]
        p.id = int(pid)
        con.execute(
            "INSERT INTO predictive_alerts (host, component, alert_type, severity, prediction, confidence, "
            "current_metrics, baseline_metrics, deviation, prediction_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                p.host,
                p.component,
                p.type.upper(),
                p.severity,
                p.message,
                p.confidence,
                json.dumps(p.evidence.get("current")),
                json.dumps(p.evidence.get("baseline")),
                _num(p.deviation),
                p.id,
                now,
            ],
        )
    return len(preds)


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


# ------------------------------------------------------------------------------------------------
# the detector over hourly series


def _detector_findings(con, now: dt.datetime, component: str | None, host: str | None = None) -> list[R.Finding]:
    """Run the detector over the hourly means of the core metrics, but only for series with a complete
    hour not scanned yet; an alarm in the hours since the previous scan (at most the last day) is a finding."""
    from analytics.predict.detect import detect

    last = B.hour_floor(now) - dt.timedelta(hours=1)
    start = last - dt.timedelta(days=DETECTOR_DAYS)
    ms = ", ".join("?" for _ in DETECTOR_METRICS)
    scans = {
        (r[0], r[1], r[2]): (r[3], r[4])
        for r in con.execute("SELECT host, component, metric, last_hour, alarm_hour FROM detector_scans").fetchall()
    }
    scope_sql, scope_params = _scope(component, host)
    series = con.execute(
        f"SELECT host, component, metric FROM metrics_hourly WHERE hour = ? AND metric IN ({ms}){scope_sql} "
        "GROUP BY ALL",
        [last, *DETECTOR_METRICS, *scope_params],
    ).fetchall()
    todo = [s for s in series if s not in scans or scans[s][0] != last]
    data = None
    if todo:
        con.execute("CREATE OR REPLACE TEMP TABLE _det_keys (host VARCHAR, component VARCHAR, metric VARCHAR)")
        con.executemany("INSERT INTO _det_keys VALUES (?, ?, ?)", [list(s) for s in todo])
        data = _df(
            con,
            "SELECT h.host, h.component, h.metric, h.hour, h.sum / h.n AS v FROM metrics_hourly h "
            "JOIN _det_keys k USING (host, component, metric) WHERE h.hour >= ? AND h.hour <= ? AND h.n > 0 "
            "ORDER BY 1, 2, 3, 4",
            [start, last],
        )
    bl = {
        (r[0], r[1], r[2]): (r[3], r[4])
        for r in con.execute(
            "SELECT host, component, metric_name, median_value, mad_value FROM performance_baselines"
        ).fetchall()
    }
    out: list[R.Finding] = []
    updates = []
    # series whose latest scan alarmed and whose alarm is still recent keep their finding
    for key in series:
        if (
            key in scans
            and scans[key][0] == last
            and scans[key][1] is not None
            and scans[key][1] > last - dt.timedelta(days=1)
        ):
            out.append(_anomaly_finding(key, scans[key][1], None, bl.get(key)))
    if data is not None and data.height:
        for (host, comp, metric), g in data.group_by(["host", "component", "metric"], maintain_order=True):
            hrs = g["hour"].to_list()
            vals = g["v"].to_numpy()
            secs = [(h - dt.datetime(1970, 1, 1)).total_seconds() for h in hrs]
            alarms = detect(secs, vals)
            prev = scans.get((host, comp, metric), (None, None))[0]
            day_ago = last - dt.timedelta(days=1)
            since = max(prev, day_ago) if prev is not None and prev < last else day_ago
            recent = [i for i in alarms if hrs[i] > since]
            alarm_hour = hrs[recent[-1]] if recent else None
            updates.append([host, comp, metric, last, alarm_hour])
            if alarm_hour is not None:
                out.append(
                    _anomaly_finding(
                        (host, comp, metric), alarm_hour, float(vals[recent[-1]]), bl.get((host, comp, metric))
                    )
                )
    if updates:
        con.executemany(
            "INSERT OR REPLACE INTO detector_scans (host, component, metric, last_hour, alarm_hour) "
            "VALUES (?, ?, ?, ?, ?)",
            updates,
        )
    return out


def _anomaly_finding(key, hour: dt.datetime, value: float | None, base) -> R.Finding:
    host, comp, metric = key
    med, mad = base if base else (None, None)
    lo = hi = None
    if med is not None and mad is not None:
        spread = ANOMALY_BAND_MADS * 1.4826 * mad
        lo, hi = med - spread, med + spread
    return R.Finding(
        rule="anomaly",
        component=comp,
        host=host,
        metric=metric,
        severity="MEDIUM",
        message=(
            f"unusual {metric} on {comp} at {hour:%Y-%m-%d %H:00} UTC"
            + (f" (hourly mean {value:.4g}, usual {med:.4g})" if value is not None and med is not None else "")
        ),
        recommendation=R.RULES["anomaly"][2].format(component=comp, metric=metric),
        predicted_value=value,
        lo=lo,
        hi=hi,
        deviation=((value - med) / (1.4826 * mad)) if (value is not None and med is not None and mad) else None,
        current={"hour": hour, "mean": value},
        baseline={"median": med, "mad": mad},
    )


# ------------------------------------------------------------------------------------------------
# reporting


def rule_stats(store: Store, host: str | None = None) -> list[dict[str, Any]]:
    """Per rule: scored, hits, precision (= hit rate), false alarms, mean lead time (hits), pending,
    and the confidence shown now (measured or prior)."""
    cond = "" if host is None else " WHERE coalesce(host, '') = ?"
    with store.read() as con:
        rows = con.execute(
            "SELECT coalesce(rule, prediction_type) AS rule, count(accurate) AS scored, "
            "count(*) FILTER (WHERE accurate) AS hits, count(*) FILTER (WHERE accurate = false) AS false_alarms, "
            "avg(lead_hours) FILTER (WHERE accurate) AS lead, count(*) FILTER (WHERE outcome_date IS NULL) AS pending "
            f"FROM predictions{cond} GROUP BY 1 ORDER BY 1",
            [host] if host is not None else [],
        ).fetchall()
    out = []
    for rule, scored, hits, fa, lead, pending in rows:
        scored, hits = int(scored), int(hits)
        conf, kind, _ = rule_confidence(rule, scored, hits)
        out.append(
            {
                "rule": rule,
                "scored": scored,
                "hits": hits,
                "false_alarms": int(fa),
                "precision": hits / scored if scored else None,
                "mean_lead_hours": float(lead) if lead is not None else None,
                "pending": int(pending),
                "confidence": conf,
                "confidence_kind": kind,
            }
        )
    return out
