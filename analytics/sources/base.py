"""The small interface every collector source shares (host vitals, probes, log tails, Prometheus, Loki).

A source is polled by :class:`analytics.collect.loop.Collector` on its own interval and returns
:class:`Batch` objects: rows for the raw tables plus the checkpoints that say how far it has read. The
collector writes the rows *and* the checkpoints in one transaction (or spools them together), so a
source that re-reads from its stored checkpoint after a crash never stores a row twice nor skips one.

A source written for this interface needs:

* ``name`` (unique, used as ``source_checkpoints.source`` and in ``source_status``), ``interval`` (s);
* ``start(checkpoints: dict[str, str])`` — the stored checkpoints for this source (key -> text);
* ``poll(now: datetime) -> list[Batch]`` — naive UTC ``now``; raise or call ``self.fail(...)`` on trouble;
* ``status() -> SourceStatus`` (inherit :class:`BaseSource` to get it for free) and ``close()``;
* ``durable_upstream`` — True when the data can be read again after a failed write (files, Prometheus,
  Loki): the collector then pauses the source instead of buffering unboundedly while the store is busy.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass
class Batch:
    """Rows read by one poll of one source, and the checkpoints that go with them."""

    source: str
    metrics: list[dict[str, Any]] = field(default_factory=list)  # ts, host, component, metric, value
    events: list[dict[str, Any]] = field(default_factory=list)  # ts, host, component, message, level, ...
    probes: list[dict[str, Any]] = field(default_factory=list)  # probe_results rows
    checkpoints: dict[str, str] = field(default_factory=dict)  # key -> position text (JSON)
    #: context found later for error events already stored: ts, host, component, message, source, context
    contexts: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.metrics) + len(self.events) + len(self.probes)  # rows: a context update adds none

    @property
    def empty(self) -> bool:
        return not len(self) and not self.checkpoints and not self.contexts


@dataclass(frozen=True)
class SourceStatus:
    """How one source is doing, for the header, `lokifi sources` and `lokifi collect` output."""

    name: str
    kind: str
    state: str  # ok | error | stale | starting | paused
    last_poll: dt.datetime | None = None
    last_success: dt.datetime | None = None
    last_error: str | None = None
    rows_total: int = 0
    detail: str = ""

    def freshness(self, now: dt.datetime) -> float | None:
        """Seconds since the last successful poll (None before the first)."""
        if self.last_success is None:
            return None
        return max(0.0, (now - self.last_success).total_seconds())


@runtime_checkable
class Source(Protocol):
    name: str
    interval: float
    durable_upstream: bool

    def start(self, checkpoints: dict[str, str]) -> None: ...

    def poll(self, now: dt.datetime) -> list[Batch]: ...

    def status(self) -> SourceStatus: ...

    def close(self) -> None: ...


class BaseSource:
    """Bookkeeping shared by sources: status, counters. Subclasses implement ``poll``."""

    kind = "source"
    durable_upstream = False

    def __init__(self, name: str, interval: float) -> None:
        self.name = name
        self.interval = float(interval)
        self._lock = threading.Lock()
        self._last_poll: dt.datetime | None = None
        self._last_success: dt.datetime | None = None
        self._last_error: str | None = None
        self._rows = 0
        self._detail = ""
        self._state = "starting"

    def start(self, checkpoints: dict[str, str]) -> None:  # optional hook
        pass

    def close(self) -> None:  # optional hook
        pass

    def ok(self, now: dt.datetime, rows: int, detail: str | None = None) -> None:
        with self._lock:
            self._last_poll = now
            self._last_success = now
            self._rows += rows
            self._state = "ok"
            if detail is not None:
                self._detail = detail

    def fail(self, now: dt.datetime, message: str) -> None:
        with self._lock:
            self._last_poll = now
            self._last_error = message
            self._state = "error"

    def status(self) -> SourceStatus:
        with self._lock:
            return SourceStatus(
                self.name,
                self.kind,
                self._state,
                self._last_poll,
                self._last_success,
                self._last_error,
                self._rows,
                self._detail,
            )
