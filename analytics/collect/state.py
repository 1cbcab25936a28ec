"""What the collector's parts share: its settings, its mode, its sources and its counters, in one place.

The collector (:class:`analytics.collect.loop.Collector`) is made of parts, each in a module named for
what it does: polling and the batched write (:mod:`analytics.collect.flushing`), the refresh hooks'
schedule (:mod:`analytics.collect.scheduling`), taking a changed config (:mod:`analytics.collect.reload`)
and the states it reports (:mod:`analytics.collect.status`). They work on one state, set up by
``Collector.__init__`` and declared here with what each field means; :class:`CollectorStats` is what the
collector counted, read by ``lokifi collect``'s reporter and the dashboard.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from analytics.collect.hooks import DEFAULT_HOOKS, Hook

if TYPE_CHECKING:
    from analytics.collect.added_logs import AddedLogs
    from analytics.collect.config_watch import ConfigWatch
    from analytics.collect.flushing import WriteMark
    from analytics.collect.reload import ConfigNews
    from analytics.collect.writer_lock import WriterLock
    from analytics.sources.base import Batch
    from analytics.store.database import Store


@dataclass
class CollectorStats:
    polls: int = 0
    flushes: int = 0
    rows_written: int = 0
    spooled: int = 0
    dropped: int = 0
    hook_runs: int = 0
    last_flush: dt.datetime | None = None
    last_error: str | None = None
    hook_errors: dict[str, str] = field(default_factory=dict)
    store_failure: str | None = None  # the last database failure other than busy (corrupt, full, read-only)
    reloads: int = 0  # configurations taken from a changed config file
    config_problem: str | None = None  # why the config file's current content was not taken


class CollectorState:
    """The fields every part of the collector reads or writes (set by ``Collector.__init__``)."""

    store: Store
    clock: Callable[[], dt.datetime]
    # the settings (from the config, except those given as arguments: see _settings)
    _args: tuple[float | None, float | None, Iterable[str | Hook] | None]
    config: Any
    host: str
    flush_seconds: float
    event_flush_seconds: float
    refresh_seconds: float
    hooks: list[str | Hook]
    from_start: bool
    # the mode and the sources
    _persist_req: bool | str
    _given_sources: list[Any] | None
    sources: list[Any]
    mode: str  # write | view | stopped
    busy_reason: str | None
    stats: CollectorStats
    _lock: WriterLock
    _stop: threading.Event
    _opened: bool
    _due: dict[str, float]  # source name -> when it is polled next (monotonic)
    _paused: set[str]  # sources paused while too much waits for the database
    # what waits for the next write
    _pending: list[Batch]
    _pending_rows: int
    _pending_events: int  # new kinds of error event among them, and services that went down or up
    _last_flush: float
    _written_states: dict[str, tuple[str, str | None]]
    _status_at: float
    _final_done: bool
    _recent_events: dict[tuple[Any, str], float]
    # (component, probe; None: its process count) -> whether its last result was good (a process running)
    _service_up: dict[tuple[Any, Any], bool]
    writes: deque[WriteMark]  # what this collector's own flushes did to the database file
    _handed: dict[tuple[str, str], str]  # the checkpoints handed to the store (written or spooled)
    # the refresh hooks
    _hook_last: dict[str, float]
    _hooks_origin: float  # hooks that never ran are due from here
    _hook_soon: dict[str, float]  # hooks due sooner than their interval says, once (after a reload)
    _hook_thread: threading.Thread | None
    _learn_at: float  # when to learn the error events written since the last pass
    _learned_at: float
    # the config file
    _watch: ConfigWatch | None
    _reload: threading.Event
    _restart_due: bool  # sources whose settings changed wait for a restart
    _on_config: Callable[[ConfigNews], object] | None  # told what each look at the config file gave
    _added_logs: AddedLogs  # the logs followed, and the history of those a reload added

    def _settings(self, config: Any) -> None:
        """The settings taken from ``config`` (at the start and at each reload), except those given as
        arguments."""
        flush_seconds, refresh_seconds, hooks = self._args
        self.config = config
        self.host = config.host
        c = getattr(config, "collect", None)
        self.flush_seconds = float(
            flush_seconds if flush_seconds is not None else getattr(c, "flush_seconds", 60.0) or 60.0
        )
        # Error events (log errors, failed probes) are written sooner than plain samples.
        self.event_flush_seconds = min(self.flush_seconds, float(getattr(c, "event_flush_seconds", 5.0) or 5.0))
        self.refresh_seconds = float(
            refresh_seconds if refresh_seconds is not None else getattr(c, "refresh_seconds", 60.0) or 60.0
        )
        if hooks is None:
            hooks = tuple(getattr(c, "hooks", ()) or ()) or DEFAULT_HOOKS
        self.hooks = list(hooks)
