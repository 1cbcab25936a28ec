"""Triage writes from the dashboard, delegated to the engines that own them.

Each function runs in a thread worker, writes through the engine at once (so the action survives a
crash), and returns a :class:`Result`: a sentence for the user and, when the action can be undone, an
``undo`` callable (also run in a worker). An engine that is not built yet raises :class:`NotBuilt`
with a plain message; nothing here writes a table an engine owns behind its back.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from analytics.dashboard.view import ENGINES


class NotBuilt(RuntimeError):
    """The engine this action needs does not exist yet."""


@dataclass(frozen=True)
class Result:
    text: str
    undo: Callable[[Any], "Result"] | None = None
    undo_label: str = ""


def _engine(name: str) -> Any:
    module, issue = ENGINES[name]
    try:
        found = importlib.util.find_spec(module) is not None
    except ImportError:
        found = False
    if not found:
        raise NotBuilt(f"Not built yet: {module} ({issue}) provides this action.")
    return importlib.import_module(module)


def _fn(mod: Any, *names: str) -> Callable[..., Any]:
    for name in names:
        fn = getattr(mod, name, None)
        if callable(fn):
            return fn
    raise NotBuilt(f"{mod.__name__} has no {' / '.join(names)} yet.")


def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` passing only the keyword arguments it accepts (engines differ on ``now``/``source``)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn(*args, **kwargs)
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return fn(*args, **kwargs)
    return fn(*args, **{k: v for k, v in kwargs.items() if k in params})


# -- recommendations (issue 6) ---------------------------------------------------------------------


def _rec_undo(rec_id: int, label: str, now: dt.datetime | None) -> Callable[[Any], Result]:
    def undo(store: Any) -> Result:
        mod = _engine("recommendations")
        _call(_fn(mod, "undo"), store, rec_id, now=now, source="tui")
        return Result(f"Undone: {label}.")

    return undo


def apply_recommendation(store: Any, rec_id: int, title: str, now: dt.datetime | None = None) -> Result:
    mod = _engine("recommendations")
    _call(_fn(mod, "apply"), store, rec_id, now=now, source="tui")
    return Result(f"Applied: {title}", _rec_undo(rec_id, f"apply of {title}", now), "apply")


def dismiss_recommendation(store: Any, rec_id: int, title: str, now: dt.datetime | None = None) -> Result:
    mod = _engine("recommendations")
    _call(_fn(mod, "dismiss"), store, rec_id, now=now, source="tui")
    return Result(f"Dismissed: {title}", _rec_undo(rec_id, f"dismissal of {title}", now), "dismiss")


def snooze_recommendation(store: Any, rec_id: int, title: str, delta: dt.timedelta, now: dt.datetime | None) -> Result:
    mod = _engine("recommendations")
    fn = _fn(mod, "snooze")
    _call(fn, store, rec_id, delta, now=now, source="tui")
    hours = delta.total_seconds() / 3600
    span = f"{hours:.0f}h" if hours < 24 else f"{hours / 24:.0f}d"
    return Result(f"Snoozed for {span}: {title}", _rec_undo(rec_id, f"snooze of {title}", now), "snooze")


# -- patterns (issue 3) ----------------------------------------------------------------------------


def _confidence(store: Any, error_hash: str) -> tuple[float | None, int, int]:
    with store.read() as con:
        row = con.execute(
            "SELECT confidence_score, success_count, failure_count FROM error_patterns WHERE error_hash = ?",
            [error_hash],
        ).fetchone()
    if row is None:
        return None, 0, 0
    return (None if row[0] is None else float(row[0])), int(row[1] or 0), int(row[2] or 0)


def record_outcome(store: Any, error_hash: str, worked: bool, now: dt.datetime | None = None,
                   label: str = "") -> Result:
    mod = _engine("patterns")
    fn = _fn(mod, "record_outcome", "record_fix", "record_fix_outcome")
    before, _, _ = _confidence(store, error_hash)
    result = _call(fn, store, error_hash, worked, now=now, source="tui")
    after, s, f = _confidence(store, error_hash)

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{v * 100:.0f}%"

    text = f"Fix {'worked' if worked else 'failed'} recorded: confidence {pct(before)} → {pct(after)} ({s}✓ {f}✗)"
    if label:
        text += f" — {label}"
    undo_fn = getattr(mod, "undo_outcome", None)
    fix_id = getattr(result, "id", None) if result is not None else None
    if fix_id is None and isinstance(result, dict):
        fix_id = result.get("id")
    if fix_id is None and isinstance(result, int):
        fix_id = result
    if callable(undo_fn):
        def undo(store: Any) -> Result:
            _call(undo_fn, store, error_hash, fix_id=fix_id)
            return Result(f"Undone: fix outcome{f' — {label}' if label else ''}.")
    else:
        def undo(store: Any) -> Result:  # keeps `u` from silently undoing an older action instead
            raise NotBuilt("A recorded fix outcome cannot be undone yet (analytics.patterns.learning has no undo_outcome); "
                           "record the opposite outcome if it was a mistake.")

    return Result(text, undo, "fix outcome")


def edit_solution(store: Any, error_hash: str, solution: str) -> Result:
    mod = _engine("patterns")
    fn = _fn(mod, "edit_solution", "set_solution", "update_solution")
    result = _call(fn, store, error_hash, solution, source="user", author="tui")
    version = getattr(result, "version", result if isinstance(result, int) else None)
    return Result(f"Solution saved{'' if version is None else f' as v{version}'}.")


# -- root-cause analysis (issue 8) -----------------------------------------------------------------


def analyze_pattern(store: Any, error_hash: str, config: Any, *, cancel: Callable[[], bool] | None = None,
                    progress: Callable[[Any], None] | None = None, now: dt.datetime | None = None) -> Any:
    """Run the RCA engine (issue 8); returns its AnalysisResult (a fallback playbook when offline)."""
    mod = _engine("rca")
    fn = _fn(mod, "analyze_pattern")
    if config is None:
        from analytics.config.settings import load_config

        config = load_config()
    return _call(fn, store, config, error_hash, cancel=cancel, progress=progress, now=now)
