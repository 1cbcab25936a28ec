"""Messages: each thread worker ends in exactly one of these, carrying an immutable result.

Handlers on the UI thread only render what a message carries; no worker touches a widget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


class DataLoaded(Message):
    """A refresh read the store (``view`` is an ``analytics.dashboard.view.DashboardView``)."""

    def __init__(self, view: Any, signature: Any) -> None:
        super().__init__()
        self.view = view
        self.signature = signature


class DataFailed(Message):
    """A refresh could not read the store; ``text`` says what and where, for a banner, never a traceback."""

    def __init__(self, text: str, retry_in: float) -> None:
        super().__init__()
        self.text = text
        self.retry_in = retry_in


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


class TriageDone(Message):
    """A triage action was written to the store (or failed: ``ok`` False and ``text`` says why)."""

    def __init__(self, action: str, ok: bool, text: str, undo: Any = None, select_next: bool = False) -> None:
        super().__init__()
        self.action = action
        self.ok = ok
        self.text = text
        self.undo = undo
        self.select_next = select_next


class DetailLoaded(Message, bubble=False):
    """A detail screen's data (``kind``: pattern, recommendation, prediction, component).

    Posted by the worker to the App, which hands it to the detail screen on top. It does not bubble: from
    the screen it would reach the App again, be handed back, and so on for as long as the screen is open
    (a details screen kept a core busy). Textual takes ``bubble`` as a class keyword; set in the class
    body it is overwritten."""

    def __init__(self, kind: str, detail: Any) -> None:
        super().__init__()
        self.kind = kind
        self.detail = detail


class AnalysisDone(Message):
    """A root-cause analysis finished (``result`` from the RCA engine) or failed (``error``)."""

    def __init__(self, error_hash: str, result: Any = None, error: str | None = None) -> None:
        super().__init__()
        self.error_hash = error_hash
        self.result = result
        self.error = error
