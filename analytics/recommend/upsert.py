"""Recording a scan's findings as recommendations, in one transaction: each finding keyed by host + rule +
subject (created once, then updated), priorities from the rule's learned factor on this host, dismissed
ones reopened only when materially worse, and the conditions that went away marked resolved — only those
of the rules that ran, from the places the refresh looked at (:mod:`analytics.recommend.scopes`), and
those from a place the config no longer watches (:mod:`analytics.recommend.watched`). The states and
their history are :mod:`analytics.recommend.lifecycle`'s.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

from analytics.recommend.finding import Finding
from analytics.recommend.lifecycle import (
    MIN_WORSE_DELTA,
    REC_COLUMNS,
    factor_for,
    learning_counts,
    rec_from_row,
    rec_key,
    status_flags,
)
from analytics.recommend.scopes import Looked
from analytics.recommend.scoring import Score, score
from analytics.recommend.snooze_rule import snooze_ended
from analytics.store.engine import registered


@dataclass
class UpsertSummary:
    created: int = 0
    updated: int = 0
    reopened: int = 0
    resolved: int = 0
    still_dismissed: int = 0


def _evidence(f: Finding, s: Score, learn: dict[str, Any] | None) -> str:
    return json.dumps(
        {
            "measured": f.evidence,
            "value": f.value if f.measured else None,
            "threshold": f.threshold,
            "unit": f.unit,
            "direction": "above" if f.higher_is_worse else "below",
            "excess": round(f.excess, 4),
            "severity": f.severity,
            "overshoot": round(s.overshoot, 4),
            "breadth": round(s.breadth, 4),
            "components": list(dict.fromkeys(f.components)),
            "learned": {
                "factor": s.learned_factor,
                "dismissed": (learn or {}).get("dismissed", 0),
                "applied": (learn or {}).get("applied", 0),
            },
        },
        default=str,
    )


def materially_worse(measure: float, dismissed_measure: float | None, worse_factor: float) -> bool:
    if dismissed_measure is None:
        return False
    return measure > max(dismissed_measure * worse_factor, dismissed_measure + MIN_WORSE_DELTA)


@functools.cache
def _schemas() -> tuple[dict, dict, dict]:
    """The frames' schemas for new rows, updates and events (built once, on the first write, with polars)."""
    import polars as pl

    rec = {
        "recommendation_type": pl.String,
        "title": pl.String,
        "description": pl.String,
        "priority": pl.Int32,
        "category": pl.String,
        "impact_score": pl.Float64,
        "action": pl.String,
        "evidence": pl.String,
        "measure": pl.Float64,
        "base_impact": pl.Float64,
        "learned_factor": pl.Float64,
        "components": pl.String,
        "updated_at": pl.Datetime("us"),
        "last_seen_at": pl.Datetime("us"),
        "severity_value": pl.Float64,
        "scope": pl.String,
    }
    new = {
        **rec,
        "rule": pl.String,
        "subject": pl.String,
        "rec_key": pl.String,
        "host": pl.String,
        "created_at": pl.Datetime("us"),
    }
    upd = {
        **rec,
        "id": pl.Int64,
        "status": pl.String,
        "snoozed_until": pl.Datetime("us"),
        "dismissed": pl.Boolean,
        "applied": pl.Boolean,
    }
    event = {
        "rec_id": pl.Int64,
        "action": pl.String,
        "event_at": pl.Datetime("us"),
        "note": pl.String,
        "host": pl.String,
        "rule": pl.String,
        "from_status": pl.String,
        "from_snoozed_until": pl.Datetime("us"),
        "from_dismissed_measure": pl.Float64,
        "to_status": pl.String,
        "source": pl.String,
    }
    return new, upd, event


def _insert_frame(con, table: str, df: pl.DataFrame, returning: str = "") -> list[tuple]:
    cols = ", ".join(f'"{c}"' for c in df.columns)
    with registered(con, "_rec_batch", df):
        cur = con.execute(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _rec_batch"
            + (f" RETURNING {returning}" if returning else "")
        )
        return cur.fetchall() if returning else []


def upsert(
    con,
    host: str,
    now: dt.datetime,
    findings: list[Finding],
    evaluated: set[str],
    worse_factor: float,
    looked: Looked,
) -> UpsertSummary:
    """Store one refresh's findings inside the caller's transaction, in a few batched statements. A stored
    recommendation not found again is resolved when its rule is in ``evaluated`` and ``looked`` covers its
    scope."""
    summary = UpsertSummary()
    learning = learning_counts(con, host)
    rows = con.execute(f"SELECT {REC_COLUMNS}, scope FROM smart_recommendations WHERE host = ?", [host]).fetchall()
    existing = {r[1]: r[:-1] for r in rows}
    scopes = {r[1]: r[-1] for r in rows}
    seen: set[str] = set()
    new_rows: list[dict] = []
    new_notes: dict[str, tuple[str, str]] = {}
    upd_rows: list[dict] = []
    events: list[dict] = []

    def event(rec_id, rule, action, *, from_status, to_status, note="", from_until=None, from_dm=None):
        events.append(
            {
                "rec_id": rec_id,
                "action": action,
                "event_at": now,
                "note": note or None,
                "host": host,
                "rule": rule,
                "from_status": from_status,
                "from_snoozed_until": from_until,
                "from_dismissed_measure": from_dm,
                "to_status": to_status,
                "source": "engine",
            }
        )

    for f in findings:
        key = rec_key(host, f.rule, f.subject)
        if key in seen:
            continue
        seen.add(key)
        learn = learning.get(f.rule)
        s = score(f, factor_for(learning, f.rule))
        measure = round(f.excess, 6)
        common = {
            "recommendation_type": f.rule,
            "title": f.title,
            "description": f.description,
            "priority": s.priority,
            "category": f.category,
            "impact_score": s.impact,
            "action": f.action,
            "evidence": _evidence(f, s, learn),
            "measure": measure,
            "base_impact": s.base_impact,
            "learned_factor": s.learned_factor,
            "components": json.dumps(list(dict.fromkeys(f.components))),
            "updated_at": now,
            "last_seen_at": now,
            "severity_value": f.severity,
            "scope": f.scope or None,
        }
        row = existing.get(key)
        if row is None:
            new_rows.append(
                {**common, "rule": f.rule, "subject": f.subject, "rec_key": key, "host": host, "created_at": now}
            )
            new_notes[key] = (f.rule, f.description[:500])
            summary.created += 1
            continue
        r = rec_from_row(row)
        dismissed_measure = row[-1]
        status, note, new_until = r.status, "", r.snoozed_until
        if snooze_ended(r.status, r.snoozed_until, now):
            status, note, new_until = "open", "snooze ended", None
        elif r.status == "resolved":
            status, note = "open", "the condition returned"
        elif r.status == "applied" and r.resolved_at is not None:
            status, note = "open", "the condition returned after it was applied"
        elif r.status in ("dismissed", "applied") and materially_worse(measure, dismissed_measure, worse_factor):
            status = "open"
            note = f"materially worse since it was {r.status}: measure {dismissed_measure:.2f} -> {measure:.2f}"
        elif r.status == "dismissed":
            summary.still_dismissed += 1
        dismissed_flag, applied_flag = status_flags(status)
        upd_rows.append(
            {
                **common,
                "id": r.id,
                "status": status,
                "snoozed_until": new_until if status == "snoozed" else None,
                "dismissed": dismissed_flag,
                "applied": applied_flag,
            }
        )
        if status != r.status:
            event(
                r.id,
                f.rule,
                "reopened",
                from_status=r.status,
                to_status=status,
                note=note,
                from_until=r.snoozed_until,
                from_dm=dismissed_measure,
            )
            summary.reopened += 1
        else:
            summary.updated += 1

    import polars as pl

    new_schema, upd_schema, event_schema = _schemas()
    if new_rows:
        df = pl.DataFrame(new_rows, schema=new_schema)
        df = df.with_columns(
            pl.lit("open").alias("status"), pl.lit(False).alias("dismissed"), pl.lit(False).alias("applied")
        )
        for rid, key in _insert_frame(con, "smart_recommendations", df, returning="id, rec_key"):
            rule, note = new_notes[key]
            event(int(rid), rule, "created", from_status=None, to_status="open", note=note)
    if upd_rows:
        df = pl.DataFrame(upd_rows, schema=upd_schema)
        sets = ", ".join(f'"{c}" = u."{c}"' for c in df.columns if c != "id")
        with registered(con, "_rec_upd", df):
            con.execute(
                f"UPDATE smart_recommendations AS s SET {sets}, resolved_at = NULL FROM _rec_upd AS u WHERE s.id = u.id"
            )

    gone = []
    for key, row in existing.items():
        r = rec_from_row(row)
        if key in seen or r.resolved_at is not None or r.status == "resolved":
            continue
        note = "the condition is no longer present"
        if not looked.covers(scopes[key]):
            went = looked.dropped_by(scopes[key])  # its place left the config: it goes with it
            if went is None:
                continue  # this refresh did not look where it came from: it is left as it is
            note = went
        elif r.rule not in evaluated:
            continue
        new_status = "resolved" if r.status in ("open", "snoozed") else r.status
        gone.append({"id": r.id, "status": new_status})
        event(
            r.id,
            r.rule,
            "resolved",
            from_status=r.status,
            to_status=new_status,
            note=note,
            from_until=r.snoozed_until,
            from_dm=row[-1],
        )
        summary.resolved += 1
    if gone:
        df = pl.DataFrame(gone, schema={"id": pl.Int64, "status": pl.String})
        with registered(con, "_rec_gone", df):
            con.execute(
                "UPDATE smart_recommendations AS s SET status = g.status, resolved_at = ?, updated_at = ?, "
                "snoozed_until = CASE WHEN g.status = 'resolved' THEN NULL ELSE s.snoozed_until END "
                "FROM _rec_gone AS g WHERE s.id = g.id",
                [now, now],
            )
    if events:
        _insert_frame(con, "recommendation_events", pl.DataFrame(events, schema=event_schema))
    return summary
