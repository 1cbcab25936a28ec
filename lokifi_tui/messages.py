"""Messages: each thread worker ends in exactly one of these, carrying an immutable result.

Handlers on the UI thread only render what a message carries; no worker touches a widget. The payload
types are the engines' own (imported for annotations only: nothing here loads duckdb or polars).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from analytics.dashboard.view import (
        ComponentDetail,
        DashboardView,
        PatternDetail,
        PredictionDetail,
        RecommendationDetail,
    )
    from analytics.rca.analyze import AnalysisResult
    from analytics.store.database import Store
    from analytics.store.file_signature import Signature
    from lokifi_tui.triage import Result

    #: what a detail screen shows (None: the item is no longer in the store)
    Detail = PatternDetail | RecommendationDetail | PredictionDetail | ComponentDetail | None
    #: a triage action's undo: run in a worker against the store, like the action
    Undo = Callable[[Store], Result]


class DataLoaded(Message):
    """A refresh read the store; ``signature`` is the store's file signature taken before the read."""

    def __init__(self, view: DashboardView, signature: Signature | None) -> None:
        super().__init__()
        self.view = view
        self.signature = signature


class DataFailed(Message):
    """A refresh could not read the store; ``text`` says what and where, for a banner, never a traceback."""

    def __init__(self, text: str, retry_in: float) -> None:
        super().__init__()
        self.text = text
        self.retry_in = retry_in


class StoreProblem(Message):
    """The store refused part of its spool while this app wrote (``text``: what a command prints on stderr).
    Posted from the thread that wrote; each refusal once."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


@dataclass(frozen=True)
class VitalsSample:
    cpu: float | None  # None: not measured yet (a CPU percentage needs an interval)
    mem: float | None  # None: not read yet (the first frame reads only what the standard library can)
    disk: float
    load: float
    cores: int


class VitalsSampled(Message):
    """One psutil sample of the host. Fast and frequent, so a newer one replaces an unhandled older one."""

    def __init__(self, sample: VitalsSample) -> None:
        super().__init__()
        self.sample = sample

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, VitalsSampled)


class TriageDone(Message, bubble=False):
    """A triage action was written to the store (or failed: ``ok`` False and ``text`` says why).

    Posted to the dashboard screen, whose row actions started it; it stops there."""

    def __init__(self, action: str, ok: bool, text: str, undo: Undo | None = None) -> None:
        super().__init__()
        self.action = action
        self.ok = ok
        self.text = text
        self.undo = undo


class DetailLoaded(Message, bubble=False):
    """A detail screen's data (``kind``: pattern, recommendation, prediction, component).

    Posted by the worker to the detail screen that asked for it. It does not bubble: from the screen it
    would reach the App (once it was handed back from there, and so on for as long as the screen was
    open: a details screen kept a core busy). Textual takes ``bubble`` as a class keyword; set in the
    class body it is overwritten."""

    def __init__(self, kind: str, detail: Detail) -> None:
        super().__init__()
        self.kind = kind
        self.detail = detail


class AnalysisDone(Message, bubble=False):
    """A root-cause analysis finished (``result`` from the RCA engine) or failed (``error``).

    Posted to the dashboard screen, whose row actions started it; it stops there."""

    def __init__(self, error_hash: str, result: AnalysisResult | None = None, error: str | None = None) -> None:
        super().__init__()
        self.error_hash = error_hash
        self.result = result
        self.error = error
