"""Triage writes from the dashboard, delegated to the engines that own them.

Each function runs in a thread worker, writes through the engine at once (so the action survives a
crash), and returns a :class:`Result`: a sentence for the user and, when the action can be undone, an
``undo`` callable (also run in a worker). Nothing here writes a table an engine owns behind its back.
The engines are imported inside the functions: the dashboard's start must not wait for their libraries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class NothingDone(Exception):
    """The action had nothing to act on (its message says why): said as a warning, nothing to undo."""


@dataclass(frozen=True)
class Result:
    text: str
    undo: Callable[[Any], Result] | None = None
    undo_label: str = ""


# -- recommendations -------------------------------------------------------------------------------


def _rec_undo(rec_id: int, label: str, now: dt.datetime | None) -> Callable[[Any], Result]:
    def undo(store: Any) -> Result:
        from analytics.recommend.engine import undo as undo_change

        undo_change(store, rec_id, now=now, source="tui")
        return Result(f"Undone: {label}.")

    return undo


def apply_recommendation(store: Any, rec_id: int, title: str, now: dt.datetime | None = None) -> Result:
    from analytics.recommend.engine import apply

    apply(store, rec_id, now=now, source="tui")
    return Result(f"Applied: {title}", _rec_undo(rec_id, f"apply of {title}", now), "apply")


def dismiss_recommendation(store: Any, rec_id: int, title: str, now: dt.datetime | None = None) -> Result:
    from analytics.recommend.engine import dismiss

    dismiss(store, rec_id, now=now, source="tui")
    return Result(f"Dismissed: {title}", _rec_undo(rec_id, f"dismissal of {title}", now), "dismiss")


def snooze_recommendation(store: Any, rec_id: int, title: str, delta: dt.timedelta, now: dt.datetime | None) -> Result:
    from analytics.recommend.engine import snooze

    snooze(store, rec_id, delta, now=now, source="tui")
    hours = delta.total_seconds() / 3600
    span = f"{hours:.0f}h" if hours < 24 else f"{hours / 24:.0f}d"
    return Result(f"Snoozed for {span}: {title}", _rec_undo(rec_id, f"snooze of {title}", now), "snooze")


# -- patterns --------------------------------------------------------------------------------------


def _confidence(store: Any, error_hash: str) -> tuple[float | None, int, int]:
    from analytics.patterns.rows import stored_confidence

    with store.read() as con:
        return stored_confidence(con, error_hash)


def mute_pattern(
    store: Any,
    error_hash: str,
    delta: dt.timedelta,
    now: dt.datetime | None = None,
    label: str = "",
    on_host: str = "",
) -> Result:
    """Mute the pattern for ``delta`` on every host, or on ``on_host`` (the dashboard's host filter);
    its undo puts back the mute that was there before, if any, and leaves the pattern's other mutes."""
    from analytics.common.clock import utcnow
    from analytics.patterns.mutes import active_mutes, mute, unmute

    at = now or utcnow()
    with store.read() as con:
        before = next((m for m in active_mutes(con, at).get(error_hash, ()) if m.host == on_host), None)
    reason = before.reason if before else None
    m = mute(store, error_hash, now=at, until=at + delta, reason=reason, host=on_host)
    hours = delta.total_seconds() / 3600
    span = f"{hours:.0f}h" if hours < 24 else f"{hours / 24:.0f}d"
    where = f" on {on_host}" if on_host else ""

    def undo(store: Any) -> Result:
        if before is None:
            unmute(store, error_hash, host=on_host)  # a mute elsewhere, if any, stays
        else:  # it was muted already: as it was
            mute(store, error_hash, now=before.muted_at, until=before.until, reason=before.reason, host=on_host)
        return Result(f"Undone: mute{where}{f' — {label}' if label else ''}.")

    return Result(f"Muted{where} for {span} (until {m.until:%Y-%m-%d %H:%M} UTC): {label}", undo, "mute")


def unmute_pattern(store: Any, error_hash: str, label: str = "", on_host: str = "") -> Result:
    """End the pattern's mutes: all of them (every host shown), or the one on ``on_host`` (the dashboard's
    host filter). Its undo puts back what it ended, as it was."""
    from analytics.common.clock import utcnow
    from analytics.patterns.mutes import active_mutes, mute, unmute

    with store.read() as con:
        mutes = active_mutes(con, utcnow()).get(error_hash, ())
    ended = [m for m in mutes if not on_host or m.host == on_host]
    if not ended:
        if any(not m.host for m in mutes):
            raise NothingDone(f"muted on every host, not on {on_host} alone: H back to every host, then m 0")
        raise NothingDone("not muted" + (f" on {on_host}" if on_host else ""))
    if on_host:
        unmute(store, error_hash, host=on_host)  # a mute on another host, or on every host, stays
    else:
        unmute(store, error_hash)
    where = " on " + (on_host or ", ".join(m.host or "every host" for m in ended))

    def undo(store: Any) -> Result:
        for m in ended:
            mute(store, error_hash, now=m.muted_at, until=m.until, reason=m.reason, host=m.host)
        return Result(f"Undone: unmute{where}{f' — {label}' if label else ''}.")

    return Result(f"Unmuted{where}: predictions and alerts are on again: {label}", undo, "unmute")


def record_outcome(
    store: Any, error_hash: str, worked: bool, now: dt.datetime | None = None, label: str = ""
) -> Result:
    from analytics.patterns.outcomes import record_outcome as record, undo_outcome  # light: no polars

    before, _, _ = _confidence(store, error_hash)
    fix_id = record(store, error_hash, worked, now=now)
    after, s, f = _confidence(store, error_hash)

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{v * 100:.0f}%"

    text = f"Fix {'worked' if worked else 'failed'} recorded: confidence {pct(before)} → {pct(after)} ({s}✓ {f}✗)"
    if label:
        text += f" — {label}"

    def undo(store: Any) -> Result:
        undo_outcome(store, error_hash, fix_id=fix_id)
        return Result(f"Undone: fix outcome{f' — {label}' if label else ''}.")

    return Result(text, undo, "fix outcome")


def edit_solution(store: Any, error_hash: str, solution: str) -> Result:
    from analytics.patterns.outcomes import edit_solution as save

    version = save(store, error_hash, solution, source="user", author="tui")
    return Result(f"Solution saved as v{version}.")


# -- root-cause analysis ---------------------------------------------------------------------------


def analyze_pattern(
    store: Any,
    error_hash: str,
    config: Any,
    *,
    cancel: Callable[[], bool] | None = None,
    progress: Callable[[Any], None] | None = None,
    now: dt.datetime | None = None,
) -> Any:
    """Run the root-cause analysis; returns its AnalysisResult (a fallback playbook when offline)."""
    from analytics.rca.analyze import analyze_pattern as analyze

    if config is None:
        from analytics.config.settings import load_config

        config = load_config()
    return analyze(store, config, error_hash, cancel=cancel, progress=progress, now=now)
