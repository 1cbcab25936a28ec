"""The error patterns as plain rows, for views that must not wait for the analysis libraries.

The dashboard's Error patterns pane and a pattern's details read here (DuckDB rows, no polars, pyarrow or
NumPy: the pane's first read after a start does not pay for importing them);
:func:`analytics.patterns.learning.list_patterns` reads the same columns as a frame for the CLI. The
confidence and its interval come from the stored outcomes (:func:`analytics.patterns.confidence.assess`),
as the engine computes them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from analytics.patterns import confidence as conf

if TYPE_CHECKING:
    from analytics.patterns.mutes import Mute

PATTERN_COLS = """p.error_hash, p.error_type, p.error_message, p.template, p.component, p.solution,
    p.success_count, p.failure_count, p.occurrence_count, p.first_seen, p.last_seen, p.confidence_score,
    p.version, p.auto_approved, p.approved_by, p.approved_at, p.last_used_at, p.avg_success_rate,
    p.recent_successes, p.recent_failures, p.rules_version"""

COMPONENTS = (
    "(SELECT string_agg(component, ',' ORDER BY count DESC) FROM pattern_components c "
    "WHERE c.error_hash = p.error_hash) AS components"
)


def pattern_rows(con: Any, limit: int | None = None) -> list[dict[str, Any]]:
    """The most recently seen patterns (all when ``limit`` is None) as dicts with the columns of
    ``list_patterns``: the stored ones, ``components``, and ``confidence_score``/``_lo``/``_hi``/``_level``
    from the outcomes. ``con``: an open DuckDB connection."""
    sql = (
        f"SELECT {PATTERN_COLS}, {COMPONENTS} FROM error_patterns p ORDER BY p.last_seen DESC NULLS LAST, p.error_hash"
    )
    if limit:
        sql += f" LIMIT {int(limit)}"
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    out = []
    for values in cur.fetchall():
        row = dict(zip(names, values, strict=True))
        c = conf.assess(row["success_count"] or 0, row["failure_count"] or 0)
        row.update(confidence_score=c.confidence, confidence_lo=c.lo, confidence_hi=c.hi, confidence_level=c.level)
        out.append(row)
    return out


@dataclass(frozen=True)
class PatternRow:
    key: str  # the error hash
    error_type: str
    component: str
    message: str
    template: str
    solution: str
    count: int
    last_seen: dt.datetime | None
    success: int
    failure: int
    confidence: float | None
    lo: float | None  # uncertainty of the confidence (95 % Wilson interval on the stored outcomes)
    hi: float | None
    auto_approved: bool
    version: int
    muted: bool = False  # muted by a person (analytics.patterns.mutes): no predictions or alerts
    muted_until: dt.datetime | None = None  # the every-host mute's end; None while muted: until unmuted
    muted_on: tuple[str, ...] = ()  # muted on these hosts only (no every-host mute)


@dataclass(frozen=True)
class PatternDetail:
    pattern: PatternRow
    examples: tuple[tuple[dt.datetime, str, str, str], ...]  # ts, component, message, context ("" if none)
    occurrences: tuple[float, ...]  # per day, oldest first
    fixes: tuple[tuple[dt.datetime | None, bool, str, int | None], ...]  # applied_at, success, fix, version
    versions: tuple[tuple[int, str, str, dt.datetime | None], ...]  # version, solution, source, created
    confidence_over_time: tuple[float, ...]  # running success rate after each outcome
    analysis: dict[str, Any] | None  # the latest live root-cause analysis (analytics.rca.cache)
    mutes: tuple[Mute, ...] = ()  # in force at the read's time: the every-host one first, then by host


def to_row(r: dict[str, Any]) -> PatternRow:
    """A pattern's row as a view shows it: a pattern without outcomes has no interval (its confidence is
    the prior, not a measurement)."""
    s, f = int(r.get("success_count") or 0), int(r.get("failure_count") or 0)
    lo, hi = conf.wilson(s, f) if s + f else (None, None)
    c = r.get("confidence_score")
    return PatternRow(
        key=r["error_hash"] or "",
        error_type=r["error_type"] or "",
        component=r["component"] or "",
        message=r["error_message"] or "",
        template=r.get("template") or "",
        solution=r.get("solution") or "",
        count=int(r.get("occurrence_count") or 0),
        last_seen=r.get("last_seen"),
        success=s,
        failure=f,
        confidence=float(c) if c is not None and math.isfinite(c) else None,
        lo=lo,
        hi=hi,
        auto_approved=bool(r.get("auto_approved")),
        version=int(r.get("version") or 1),
    )


def pane_rows(con: Any, limit: int, now: dt.datetime | None = None) -> tuple[PatternRow, ...]:
    """The Error patterns pane: the most recently seen patterns with the engine's confidence, and (given
    ``now``) which of them are muted then."""
    from analytics.patterns.mutes import active_mutes

    rows = tuple(to_row(r) for r in pattern_rows(con, limit))
    mutes = active_mutes(con, now) if now is not None else {}
    if not mutes:
        return rows
    return tuple(_with_mutes(r, mutes[r.key]) if r.key in mutes else r for r in rows)


def _with_mutes(row: PatternRow, mutes: tuple[Any, ...]) -> PatternRow:
    from analytics.patterns.mutes import everywhere

    every = everywhere(mutes)
    if every is not None:
        return dataclasses.replace(row, muted=True, muted_until=every.until)
    return dataclasses.replace(row, muted=True, muted_on=tuple(m.host for m in mutes))


def pattern_detail(con: Any, error_hash: str, now: dt.datetime) -> PatternDetail | None:
    """One pattern as stored (muted as the pane would say at ``now``), its mutes in force then, its latest
    examples, its occurrences per day over 30 days, its fix outcomes and solution versions (``analysis``
    is left None: the root-cause cache is read by its owner)."""
    from analytics.patterns.mutes import active_mutes

    cur = con.execute("SELECT * FROM error_patterns WHERE error_hash = ?", [error_hash])
    names = [d[0] for d in cur.description]
    found = cur.fetchone()
    if found is None:
        return None
    examples = con.execute(
        "SELECT ts, coalesce(component, ''), coalesce(message, ''), coalesce(context, '') FROM error_events "
        "WHERE fingerprint = ? "
        "ORDER BY ts DESC LIMIT 5",
        [error_hash],
    ).fetchall()
    per_day = dict(
        con.execute(
            "SELECT date_trunc('day', ts) AS d, count(*) FROM error_events WHERE fingerprint = ? "
            "AND ts >= ? GROUP BY d",
            [error_hash, now - dt.timedelta(days=30)],
        ).fetchall()
    )
    fixes = con.execute(
        "SELECT applied_at, success, coalesce(fix_applied, ''), solution_version FROM fix_history "
        "WHERE error_hash = ? ORDER BY applied_at, id",
        [error_hash],
    ).fetchall()
    versions = con.execute(
        "SELECT version, coalesce(solution, ''), coalesce(source, ''), created_at FROM pattern_versions "
        "WHERE error_hash = ? ORDER BY version DESC",
        [error_hash],
    ).fetchall()
    start = (now - dt.timedelta(days=29)).replace(hour=0, minute=0, second=0, microsecond=0)
    running, ok = [], 0
    for n, (_, success, _, _) in enumerate(fixes, 1):
        ok += bool(success)
        running.append((ok + 1) / (n + 2))  # Laplace-smoothed running rate, for the trend only
    row = to_row(dict(zip(names, found, strict=True)))
    mutes = active_mutes(con, now).get(error_hash, ())
    return PatternDetail(
        pattern=_with_mutes(row, mutes) if mutes else row,
        examples=tuple((r[0], r[1], r[2], r[3]) for r in examples),
        occurrences=tuple(float(per_day.get(start + dt.timedelta(days=i), 0)) for i in range(30)),
        fixes=tuple((r[0], bool(r[1]), r[2], r[3]) for r in fixes),
        versions=tuple((int(r[0]), r[1], r[2], r[3]) for r in versions),
        confidence_over_time=tuple(running),
        analysis=None,
        mutes=mutes,
    )


def stored_confidence(con: Any, error_hash: str) -> tuple[float | None, int, int]:
    """A pattern's stored confidence and its success and failure counts ((None, 0, 0): no such pattern)."""
    row = con.execute(
        "SELECT confidence_score, success_count, failure_count FROM error_patterns WHERE error_hash = ?",
        [error_hash],
    ).fetchone()
    if row is None:
        return None, 0, 0
    return (None if row[0] is None else float(row[0])), int(row[1] or 0), int(row[2] or 0)
