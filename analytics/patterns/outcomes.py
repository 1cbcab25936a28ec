"""Solutions and their outcomes: a pattern's fix, its versions, the outcomes recorded against them, and
the confidence and auto-approval they give (analytics.patterns.confidence), written in the store.

Every function takes a pattern's full fingerprint (:func:`analytics.patterns.learning.resolve` turns an id
prefix or a message into one). Nothing here imports more than the standard library and the store's
connection: the dashboard records an outcome without loading the templating engine (polars, pyarrow).
"""

from __future__ import annotations

import datetime as dt

from analytics.patterns import confidence as conf

MAX_STORED_MESSAGE = 65536
RECENT_WINDOW = 20  # outcomes of a version that decide its auto-approval


class PatternNotFound(LookupError):
    """No pattern (or no recorded outcome) matches the reference."""


def _now(now: dt.datetime | None = None) -> dt.datetime:
    if now is not None:
        return now.replace(tzinfo=None) if now.tzinfo is None else now.astimezone(dt.UTC).replace(tzinfo=None)
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def safe_text(message: object, limit: int = MAX_STORED_MESSAGE) -> str:
    """Text that can be stored: bytes decoded with replacement, NUL and lone surrogates replaced, cut."""
    s = bytes(message).decode("utf-8", errors="replace") if isinstance(message, (bytes, bytearray)) else str(message)
    s = s.encode("utf-8", errors="replace").decode("utf-8").replace("\x00", "\ufffd")
    return s[:limit]


def edit_solution(
    store,
    fp: str,
    solution: str,
    author: str | None = None,
    source: str = "user",
    now: dt.datetime | None = None,
    diagnosis_id: str | None = None,
) -> int:
    """Set a new solution for a pattern: a new version (old versions and their outcomes are kept).

    Confidence and auto-approval restart for the new version: outcomes of the old solution say
    nothing about the new one; an approval the old version held is recorded as superseded.
    ``diagnosis_id``: the model analysis that proposed the text (links it to the fix attempts it leads
    to). Returns the new version number (unchanged text: the current version).
    """
    text = safe_text(solution, 20_000).strip()
    if not text:
        raise ValueError("the solution text is empty")
    t = _now(now)
    with store.write() as con:
        cur = con.execute(
            "SELECT solution, coalesce(version, 1), "
            "(SELECT count(*) FROM pattern_versions v WHERE v.error_hash = p.error_hash), "
            "coalesce(auto_approved, false), " + _EFFECTIVE_VERSION + " "
            "FROM error_patterns p WHERE error_hash = ?",
            [fp],
        ).fetchone()
        old_solution, version, nversions, was_approved, effective = cur
        if old_solution is not None and old_solution == text:
            return int(version)
        if old_solution and not nversions:
            # a solution stored without its history (an older store, or written directly): it is the
            # current version, keep it as such before the new one
            con.execute(
                "INSERT INTO pattern_versions (error_hash, version, solution, source, author, created_at) "
                "VALUES (?, ?, ?, 'existing', NULL, ?)",
                [fp, int(version), old_solution, t],
            )
            nversions = 1
        new_version = int(version) + 1 if nversions else 1
        con.execute(
            "INSERT INTO pattern_versions (error_hash, version, solution, source, author, created_at, "
            "diagnosis_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [fp, new_version, text, source, author, t, diagnosis_id],
        )
        if was_approved:
            _approval_event(con, fp, int(effective), "superseded", author, t)
        con.execute(
            """UPDATE error_patterns SET solution = ?, version = ?, success_count = 0, failure_count = 0,
                       recent_successes = 0, recent_failures = 0, avg_success_rate = NULL,
                       confidence_score = ?, auto_approved = false, approved_by = NULL, approved_at = NULL
                       WHERE error_hash = ?""",
            [text, new_version, conf.posterior_mean(0, 0), fp],
        )
        return new_version


def record_outcome(
    store,
    fp: str,
    worked: bool,
    solution: str | None = None,
    execution_time_ms: int | None = None,
    note: str | None = None,
    now: dt.datetime | None = None,
    min_confidence: float | None = None,
    min_samples: int | None = None,
    approver: str = "auto",
) -> int:
    """Record that the pattern's fix worked or failed, then recompute confidence and auto-approval.

    ``solution``: the fix that was applied; when it differs from the current solution it becomes a new
    version first. Thresholds default to the config's ``[patterns]`` section. Returns the id of the
    recorded outcome (what an undo needs).
    """
    min_confidence, min_samples = _thresholds(min_confidence, min_samples)
    if solution is not None and solution.strip():
        edit_solution(store, fp, solution, now=now)
    t = _now(now)
    with store.write() as con:
        row = con.execute(
            "SELECT coalesce(solution, ''), " + _EFFECTIVE_VERSION + ", auto_approved "
            "FROM error_patterns WHERE error_hash = ?",
            [fp],
        ).fetchone()
        sol, version, was_approved = row
        if not sol:
            sol = _playbook_text(con, fp)
        diag = (
            con.execute(
                "SELECT max(diagnosis_id) FROM pattern_versions WHERE error_hash = ? AND version = ?",
                [fp, int(version)],
            ).fetchone()[0]
            if int(version)
            else None
        )
        fix_id = con.execute(
            "INSERT INTO fix_history (error_hash, fix_applied, success, execution_time_ms, applied_at, "
            "solution_version, note, diagnosis_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [fp, sol, bool(worked), execution_time_ms, t, int(version), safe_text(note, 2000) if note else None, diag],
        ).fetchone()[0]
        _recompute(con, fp, int(version), min_confidence, min_samples, approver, t, bool(was_approved))
    return int(fix_id)


def undo_outcome(
    store, fp: str, fix_id: int | None = None, min_confidence: float | None = None, min_samples: int | None = None
) -> None:
    """Remove a recorded outcome (by id; default the pattern's latest) and recompute confidence/approval."""
    min_confidence, min_samples = _thresholds(min_confidence, min_samples)
    with store.write() as con:
        if fix_id is None:
            row = con.execute(
                "SELECT id FROM fix_history WHERE error_hash = ? ORDER BY applied_at DESC, id DESC LIMIT 1", [fp]
            ).fetchone()
            if row is None:
                raise PatternNotFound(f"pattern {fp[:12]} has no recorded outcome to undo")
            fix_id = row[0]
        n = con.execute("DELETE FROM fix_history WHERE id = ? AND error_hash = ? RETURNING id", [fix_id, fp]).fetchall()
        if not n:
            raise PatternNotFound(f"no recorded outcome {fix_id} for pattern {fp[:12]}")
        version, was = con.execute(
            "SELECT " + _EFFECTIVE_VERSION + ", auto_approved FROM error_patterns WHERE error_hash = ?", [fp]
        ).fetchone()
        _recompute(con, fp, int(version), min_confidence, min_samples, "auto", _now(), bool(was))


def _thresholds(min_confidence: float | None, min_samples: int | None) -> tuple[float, int]:
    """Auto-approval thresholds: the arguments, else the user's config ``[patterns]``, else defaults."""
    if min_confidence is not None and min_samples is not None:
        return float(min_confidence), int(min_samples)
    try:
        from analytics.config.settings import load_config

        cfg = load_config().patterns
    except Exception:  # noqa: BLE001 - a broken config file must not stop recording an outcome
        from analytics.config.settings import Patterns

        cfg = Patterns()
    return (
        float(cfg.auto_approve_confidence if min_confidence is None else min_confidence),
        int(cfg.auto_approve_min_samples if min_samples is None else min_samples),
    )


def _playbook_text(con, fp: str) -> str:
    from analytics.patterns.playbooks import playbook_for

    t = con.execute("SELECT error_type FROM error_patterns WHERE error_hash = ?", [fp]).fetchone()[0]
    return playbook_for(t).as_text()


#: The version outcomes are recorded against: the pattern's own solution version, or 0 while the built-in
#: playbook is what people apply (so a first learned solution, v1, starts from its own outcomes only).
_EFFECTIVE_VERSION = "CASE WHEN coalesce(solution, '') = '' THEN 0 ELSE coalesce(version, 1) END"


def _recompute(
    con,
    fp: str,
    version: int,
    min_confidence: float,
    min_samples: int,
    approver: str,
    t: dt.datetime,
    was_approved: bool,
) -> None:
    outcomes = [
        bool(r[0])
        for r in con.execute(
            "SELECT success FROM fix_history WHERE error_hash = ? AND coalesce(solution_version, 1) = ? "
            "ORDER BY applied_at, id",
            [fp, version],
        ).fetchall()
    ]
    s = sum(outcomes)
    f = len(outcomes) - s
    recent = outcomes[-RECENT_WINDOW:]
    rs = sum(recent)
    rf = len(recent) - rs
    approved = conf.auto_approved(recent, min_confidence, min_samples)
    if approved != was_approved:
        _approval_event(con, fp, version, "approved" if approved else "withdrawn", approver, t, len(outcomes))
    was_sql = "true" if was_approved else "false"
    con.execute(
        f"""UPDATE error_patterns SET success_count = ?, failure_count = ?, confidence_score = ?,
            recent_successes = ?, recent_failures = ?, avg_success_rate = ?, last_used_at = ?,
            auto_approved = ?,
            approved_by = CASE WHEN ? THEN coalesce(CASE WHEN {was_sql} THEN approved_by END, ?) END,
            approved_at = CASE WHEN ? THEN coalesce(CASE WHEN {was_sql} THEN approved_at END, ?) END
            WHERE error_hash = ?""",
        [
            s,
            f,
            conf.posterior_mean(s, f),
            rs,
            rf,
            (rs / len(recent)) if recent else None,
            t,
            approved,
            approved,
            approver,
            approved,
            t,
            fp,
        ],
    )


def _approval_event(
    con, fp: str, version: int, event: str, approver: str | None, t: dt.datetime, outcomes: int | None = None
) -> None:
    """Record a change of approval (approved / withdrawn / superseded): the auto-approval rate and its
    withdrawals are counted from these rows (analytics.patterns.solution_accuracy)."""
    con.execute(
        "INSERT INTO approval_events (error_hash, version, event, approver, outcomes, event_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [fp, int(version), event, approver, outcomes, t],
    )
