"""The recommendation lifecycle: stored findings, their states, their history, and what it teaches.

States: ``open`` -> ``applied`` | ``dismissed`` | ``snoozed`` (until a time); ``resolved`` when the
condition went away by itself. Every change is a row in ``recommendation_events`` that records the state
it left, so :func:`undo` restores it exactly and nothing is ever lost.

* A recommendation is keyed by host + rule + subject (``rec_key``): the same finding is updated, never
  created twice.
* A dismissed one stays dismissed while the condition persists, and comes back only when it got
  *materially worse*: its measure (how far past the threshold, relative) grew by ``worse_factor`` and by
  at least ``MIN_WORSE_DELTA`` (a quarter of the threshold) over the measure at dismissal.
* A snoozed one comes back when its time is up (at the next refresh, and in :func:`list_recs` at once).
* An applied one stays applied; if its condition goes away and later returns it opens again.
* Learning: the dismissals and applications of each rule on this host since its last reset give the
  rule's ``learned_factor`` (see :mod:`analytics.recommend.scoring`); :func:`reset_learning` forgets
  them (recorded in ``kv``, the history itself is kept).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # polars is imported by the write path only: `recs list` answers without it
    pass

from analytics.common.clock import utcnow
from analytics.recommend.scoring import learned_factor, priority_for
from analytics.recommend.snooze_rule import SHOWN_AS_OPEN_SQL, snooze_ended

STATUSES = ("open", "applied", "dismissed", "snoozed", "resolved")
RESET_KEY = "recommend.learning_reset:{host}:{rule}"
# A quarter of the threshold further past it, at least: a log dismissed at 57 MB (threshold 50) does not
# return at 61 MB, but does at 70 MB.
MIN_WORSE_DELTA = 0.25


class RecNotFound(LookupError):
    pass


class BadTransition(ValueError):
    pass


def rec_key(host: str, rule: str, subject: str) -> str:
    return f"{host}|{rule}|{subject}"


@dataclass(frozen=True)
class Rec:
    id: int
    key: str
    host: str
    rule: str
    subject: str
    category: str
    title: str
    description: str
    action: str
    priority: int
    impact: float
    base_impact: float
    learned_factor: float
    status: str
    snoozed_until: dt.datetime | None
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    last_seen_at: dt.datetime | None
    resolved_at: dt.datetime | None
    measure: float | None
    components: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)

    def effective_status(self, now: dt.datetime) -> str:
        if snooze_ended(self.status, self.snoozed_until, now):
            return "open"
        return self.status

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "subject": self.subject,
            "category": self.category,
            "title": self.title,
            "description": self.description,
            "action": self.action,
            "priority": self.priority,
            "impact": self.impact,
            "base_impact": self.base_impact,
            "learned_factor": self.learned_factor,
            "status": self.status,
            "snoozed_until": self.snoozed_until,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "last_seen_at": self.last_seen_at,
            "resolved_at": self.resolved_at,
            "host": self.host,
            "components": list(self.components),
            "evidence": self.evidence,
        }


REC_COLUMNS = (
    "id, rec_key, host, rule, subject, category, title, description, action, priority, impact_score, "
    "base_impact, learned_factor, status, snoozed_until, created_at, updated_at, last_seen_at, resolved_at, "
    "measure, components, evidence, dismissed_measure"
)


def rec_from_row(row: tuple) -> Rec:
    (
        rid,
        key,
        host,
        rule,
        subject,
        category,
        title,
        desc,
        action,
        prio,
        impact,
        base,
        factor,
        status,
        until,
        created,
        updated,
        seen,
        resolved,
        measure,
        comps,
        evidence,
        _dm,
    ) = row
    try:
        ev = json.loads(evidence) if evidence else {}
    except ValueError:
        ev = {}
    try:
        cs = tuple(json.loads(comps)) if comps else ()
    except ValueError:
        cs = ()
    return Rec(
        int(rid),
        key or "",
        host or "",
        rule or "",
        subject or "",
        category or "",
        title or "",
        desc or "",
        action or "",
        int(prio or 3),
        float(impact or 0.0),
        float(base if base is not None else impact or 0.0),
        float(factor if factor is not None else 1.0),
        status or "open",
        until,
        created,
        updated,
        seen,
        resolved,
        None if measure is None else float(measure),
        cs,
        ev,
    )


# -- learning -------------------------------------------------------------------------------------


def learning_counts(con, host: str) -> dict[str, dict[str, Any]]:
    """Per rule on ``host``: dismissals and applications since the rule's last reset (undone ones ignored)."""
    resets: dict[str, dt.datetime] = {}
    prefix = RESET_KEY.format(host=host, rule="")
    for key, value in con.execute("SELECT key, value FROM kv WHERE starts_with(key, ?)", [prefix]).fetchall():
        try:
            resets[key[len(prefix) :]] = dt.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            continue
    rows = con.execute(
        """
        SELECT e.rule, e.action, e.event_at FROM recommendation_events e
        WHERE e.host = ? AND e.action IN ('dismissed', 'applied')
          AND e.id NOT IN (SELECT undoes FROM recommendation_events WHERE undoes IS NOT NULL)
        """,
        [host],
    ).fetchall()
    out: dict[str, dict[str, Any]] = {}
    for rule, action, at in rows:
        cut = max([t for t in (resets.get(rule), resets.get("*")) if t is not None], default=None)
        if cut is not None and at is not None and at <= cut:
            continue
        d = out.setdefault(rule, {"dismissed": 0, "applied": 0})
        d[action] += 1
    for d in out.values():
        d["factor"] = learned_factor(d["dismissed"], d["applied"])
    for rule, t in resets.items():
        out.setdefault(rule, {"dismissed": 0, "applied": 0, "factor": 1.0})["reset_at"] = t
    return out


def factor_for(learning: dict[str, dict[str, Any]], rule: str) -> float:
    d = learning.get(rule)
    return float(d["factor"]) if d and "factor" in d else 1.0


def reset_learning(store, host: str, rule: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Forget what dismissals taught (for one rule, or all with ``None``) on ``host``; returns what was
    reset. Priorities are recomputed at once for open recommendations."""
    now = now or utcnow()
    with store.write() as con:
        before = learning_counts(con, host)
        con.execute(
            "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            [RESET_KEY.format(host=host, rule=rule or "*"), now.isoformat(), now],
        )
        rows = con.execute(
            f"SELECT {REC_COLUMNS} FROM smart_recommendations WHERE host = ?" + (" AND rule = ?" if rule else ""),
            [host, rule] if rule else [host],
        ).fetchall()
        for row in rows:
            r = rec_from_row(row)
            impact = r.base_impact
            con.execute(
                "UPDATE smart_recommendations SET impact_score = ?, priority = ?, learned_factor = 1.0 WHERE id = ?",
                [impact, priority_for(impact), r.id],
            )
    return {k: v for k, v in before.items() if rule is None or k == rule}


# -- events ---------------------------------------------------------------------------------------


def event_row(
    con,
    rec_id: int,
    host: str,
    rule: str,
    action: str,
    now: dt.datetime,
    *,
    from_status: str | None,
    to_status: str | None,
    note: str = "",
    source: str = "engine",
    from_until=None,
    from_dm=None,
    undoes: int | None = None,
) -> int:
    return int(
        con.execute(
            "INSERT INTO recommendation_events (rec_id, action, event_at, note, host, rule, from_status, "
            "from_snoozed_until, from_dismissed_measure, to_status, source, undoes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                rec_id,
                action,
                now,
                note or None,
                host,
                rule,
                from_status,
                from_until,
                from_dm,
                to_status,
                source,
                undoes,
            ],
        ).fetchone()[0]
    )


def status_flags(status: str) -> tuple[bool, bool]:
    return status == "dismissed", status == "applied"


# -- reads ----------------------------------------------------------------------------------------


def list_recs(
    store,
    host: str | None = None,
    *,
    include_all: bool = False,
    now: dt.datetime | None = None,
    limit: int | None = None,
) -> list[Rec]:
    """Open recommendations (expired snoozes count as open), most urgent first; ``include_all`` adds
    applied, dismissed, snoozed and resolved ones."""
    now = now or utcnow()
    where: list[str] = []
    params: list[Any] = []
    if host:
        where.append("host = ?")
        params.append(host)
    if not include_all:
        where.append(SHOWN_AS_OPEN_SQL)
        params.append(now)
    sql = (
        f"SELECT {REC_COLUMNS} FROM smart_recommendations"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY CASE status WHEN 'open' THEN 0 WHEN 'snoozed' THEN 1 ELSE 2 END, priority, "
        "impact_score DESC, id" + (f" LIMIT {int(limit)}" if limit else "")
    )
    with store.read() as con:
        rows = con.execute(sql, params).fetchall()
    return [rec_from_row(r) for r in rows]


def get(store, rec_id: int) -> Rec:
    with store.read() as con:
        row = con.execute(f"SELECT {REC_COLUMNS} FROM smart_recommendations WHERE id = ?", [int(rec_id)]).fetchone()
    if row is None:
        raise RecNotFound(f"No recommendation with id {rec_id} (see `lokifi recs list --all`).")
    return rec_from_row(row)


def history(store, rec_id: int) -> list[dict[str, Any]]:
    with store.read() as con:
        rows = con.execute(
            "SELECT id, action, event_at, note, from_status, to_status, source, undoes FROM recommendation_events "
            "WHERE rec_id = ? ORDER BY event_at, id",
            [int(rec_id)],
        ).fetchall()
    keys = ("id", "action", "event_at", "note", "from_status", "to_status", "source", "undoes")
    return [dict(zip(keys, r, strict=True)) for r in rows]


# -- transitions ----------------------------------------------------------------------------------


def transition(
    store,
    rec_id: int,
    to_status: str,
    *,
    now: dt.datetime | None = None,
    until: dt.datetime | None = None,
    source: str = "cli",
) -> Rec:
    """Move a recommendation to applied / dismissed / snoozed (from any state but the same one)."""
    if to_status not in ("applied", "dismissed", "snoozed"):
        raise BadTransition(f"unknown target state {to_status!r}")
    now = now or utcnow()
    if to_status == "snoozed" and (until is None or until <= now):
        raise BadTransition("a snooze needs a time in the future")
    with store.write() as con:
        row = con.execute(f"SELECT {REC_COLUMNS} FROM smart_recommendations WHERE id = ?", [int(rec_id)]).fetchone()
        if row is None:
            raise RecNotFound(f"No recommendation with id {rec_id} (see `lokifi recs list --all`).")
        r = rec_from_row(row)
        if r.status == to_status and to_status != "snoozed":
            raise BadTransition(f"recommendation {rec_id} is already {to_status}")
        dm = r.measure if to_status in ("dismissed", "applied") else row[-1]
        dismissed_flag, applied_flag = status_flags(to_status)
        con.execute(
            "UPDATE smart_recommendations SET status = ?, snoozed_until = ?, dismissed = ?, applied = ?, "
            "dismissed_measure = ?, updated_at = ? WHERE id = ?",
            [to_status, until if to_status == "snoozed" else None, dismissed_flag, applied_flag, dm, now, r.id],
        )
        note = f"until {until:%Y-%m-%d %H:%M} UTC" if to_status == "snoozed" else ""
        event_row(
            con,
            r.id,
            r.host,
            r.rule,
            to_status,
            now,
            from_status=r.status,
            to_status=to_status,
            note=note,
            source=source,
            from_until=r.snoozed_until,
            from_dm=row[-1],
        )
        row = con.execute(f"SELECT {REC_COLUMNS} FROM smart_recommendations WHERE id = ?", [r.id]).fetchone()
    return rec_from_row(row)


def undo(store, rec_id: int, *, now: dt.datetime | None = None, source: str | None = None) -> Rec:
    """Reverse the latest person-made change (apply, dismiss, snooze) of a recommendation. The undo is
    recorded as coming from where the change came from unless ``source`` says otherwise."""
    now = now or utcnow()
    with store.write() as con:
        row = con.execute(f"SELECT {REC_COLUMNS} FROM smart_recommendations WHERE id = ?", [int(rec_id)]).fetchone()
        if row is None:
            raise RecNotFound(f"No recommendation with id {rec_id} (see `lokifi recs list --all`).")
        r = rec_from_row(row)
        ev = con.execute(
            "SELECT id, action, from_status, from_snoozed_until, from_dismissed_measure, source "
            "FROM recommendation_events "
            "WHERE rec_id = ? AND action IN ('applied', 'dismissed', 'snoozed') "
            "AND id NOT IN (SELECT undoes FROM recommendation_events WHERE undoes IS NOT NULL) "
            "ORDER BY event_at DESC, id DESC LIMIT 1",
            [r.id],
        ).fetchone()
        if ev is None:
            raise BadTransition(f"recommendation {rec_id} has nothing to undo")
        eid, action, from_status, from_until, from_dm, ev_source = ev
        source = source or ev_source or "cli"
        back = from_status or "open"
        dismissed_flag, applied_flag = status_flags(back)
        con.execute(
            "UPDATE smart_recommendations SET status = ?, snoozed_until = ?, dismissed = ?, applied = ?, "
            "dismissed_measure = ?, updated_at = ? WHERE id = ?",
            [back, from_until if back == "snoozed" else None, dismissed_flag, applied_flag, from_dm, now, r.id],
        )
        event_row(
            con,
            r.id,
            r.host,
            r.rule,
            "undone",
            now,
            from_status=r.status,
            to_status=back,
            note=f"undid {action}",
            source=source,
            undoes=int(eid),
        )
        row = con.execute(f"SELECT {REC_COLUMNS} FROM smart_recommendations WHERE id = ?", [r.id]).fetchone()
    return rec_from_row(row)
