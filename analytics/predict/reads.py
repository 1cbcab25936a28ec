"""What the dashboard reads of the predictions: the live ones, one prediction's details, the baselines.

Plain DuckDB rows on a connection the caller holds open (no polars: the dashboard's first read must not
wait for it; :mod:`analytics.predict.predictions` is the engine that writes and scores these rows).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from analytics.patterns.mutes import NOT_MUTED
from analytics.predict.brief import prediction_brief
from analytics.predict.confidence import label


@dataclass(frozen=True)
class PredictionRow:
    key: str
    id: int
    severity: str
    type: str
    component: str
    host: str
    message: str
    confidence: float | None
    confidence_kind: str
    recommendation: str
    made_at: dt.datetime | None
    due_at: dt.datetime | None
    evidence: str
    brief: str = ""  # what a table row says beside type and component (analytics.predict.brief)
    subject: str = ""  # what it is about beyond its component: a recurring error's pattern fingerprint
    confidence_n: int = 0  # scored outcomes of its rule on its host behind a measured confidence

    @property
    def confidence_label(self) -> str:
        """``measured, 7 outcomes`` or ``prior`` (:func:`analytics.predict.confidence.label`)."""
        return label(self.confidence_kind, self.confidence_n)


@dataclass(frozen=True)
class PredictionDetail:
    prediction: PredictionRow
    evidence: dict[str, Any]
    rule_scored: int
    rule_accurate: int
    baseline: dict[str, Any] | None

    @property
    def rule_precision(self) -> float | None:
        return self.rule_accurate / self.rule_scored if self.rule_scored else None


# The columns a PredictionRow is built from, in its order (a non-finite confidence reads as none).
_ROW_COLS = (
    "id, upper(coalesce(severity, '')), coalesce(prediction_type, ''), coalesce(component, ''), "
    "coalesce(host, ''), coalesce(message, ''), "
    "CASE WHEN isfinite(confidence_score) THEN confidence_score END, coalesce(confidence_kind, ''), "
    "coalesce(recommendation, ''), prediction_date, due_at, coalesce(evidence, ''), coalesce(subject, ''), "
    "coalesce(confidence_n, 0)"
)

_SEVERITY_ORDER = (
    "CASE upper(coalesce(severity,'')) WHEN 'CRITICAL' THEN 0 WHEN 'HIGH' THEN 1 "
    "WHEN 'MEDIUM' THEN 2 WHEN 'LOW' THEN 3 ELSE 4 END"
)


def _row(r: tuple[Any, ...]) -> PredictionRow:
    (
        pid,
        severity,
        ptype,
        component,
        host,
        message,
        confidence,
        kind,
        recommendation,
        made,
        due,
        evidence,
        subject,
        n,
    ) = r
    return PredictionRow(
        key=str(pid),
        id=int(pid),
        severity=severity or "INFO",
        type=ptype,
        component=component,
        host=host,
        message=message,
        confidence=confidence,
        confidence_kind=kind or "prior",
        recommendation=recommendation,
        made_at=made,
        due_at=due,
        evidence=evidence,
        brief=prediction_brief(ptype, component, message, evidence),
        subject=subject,
        confidence_n=int(n),
    )


def live_predictions(con: Any, now: dt.datetime, limit: int) -> tuple[PredictionRow, ...]:
    """Live predictions: not yet scored, not past due, the newest per (type, component, host, subject) —
    two recurring patterns or two metrics' anomalies on one component are two rows, as in `ai predict`."""
    rows = con.execute(
        f"""
        SELECT {_ROW_COLS}
        FROM predictions
        WHERE outcome_date IS NULL AND accurate IS NULL
          AND prediction_type <> 'forecast'
          AND (due_at IS NULL OR due_at >= ?)
          AND prediction_date <= ?
          AND {NOT_MUTED}
        QUALIFY row_number() OVER (PARTITION BY prediction_type, component, host, coalesce(subject, metric, '')
                                   ORDER BY prediction_date DESC, id DESC) = 1
        ORDER BY {_SEVERITY_ORDER}, confidence_score DESC NULLS LAST, id
        LIMIT ?
        """,
        [now, now, now, now, limit],
    ).fetchall()
    return tuple(_row(r) for r in rows)


def baselines(con: Any, component: str, metric: str | None = None) -> tuple[dict[str, Any], ...]:
    """The stored baselines of ``component`` (of one ``metric`` only when given), as column -> value."""
    sql, params = "SELECT * FROM performance_baselines WHERE component = ?", [component]
    if metric is not None:
        sql, params = sql + " AND metric_name = ? LIMIT 1", [component, metric]
    else:
        sql += " ORDER BY metric_name"
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return tuple(dict(zip(names, r, strict=True)) for r in cur.fetchall())


def prediction_detail(con: Any, prediction_id: int) -> PredictionDetail | None:
    """One prediction with its parsed evidence, its rule's measured precision on its host (the outcomes its
    confidence rests on) and its metric's baseline."""
    found = con.execute(
        f"SELECT {_ROW_COLS}, coalesce(rule, prediction_type), coalesce(metric, '') FROM predictions WHERE id = ?",
        [prediction_id],
    ).fetchone()
    if found is None:
        return None
    row, rule, metric = _row(found[:-2]), found[-2], found[-1]
    scored = con.execute(
        "SELECT count(accurate), count(*) FILTER (WHERE accurate) FROM predictions "
        "WHERE coalesce(rule, prediction_type) = ? AND coalesce(host, '') = ? AND accurate IS NOT NULL",
        [rule, row.host],
    ).fetchone()
    base = baselines(con, row.component, metric)
    try:
        evidence = json.loads(row.evidence or "{}")
        if not isinstance(evidence, dict):
            evidence = {"evidence": evidence}
    except ValueError:
        evidence = {"evidence": row.evidence}
    return PredictionDetail(
        prediction=row,
        evidence=evidence,
        rule_scored=int(scored[0]),
        rule_accurate=int(scored[1]),
        baseline=base[0] if base else None,
    )
