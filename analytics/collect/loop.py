"""The collector: runs the sources on their intervals, writes their rows in batches, refreshes the engines.

Owns the loop that both ``lokifi collect`` (headless, for systemd) and the dashboard (in a worker thread)
run, and its lifecycle:

* each source (:mod:`analytics.sources.base`) is polled when due; its batches wait in memory until the
  next flush and are written together with the sources' checkpoints, in one transaction
  (:mod:`analytics.collect.flushing`);
* the database file is opened only for that one write (and the startup read of checkpoints);
* every ``refresh_seconds`` it calls the engines' refresh hooks (:mod:`analytics.collect.scheduling`);
* only one collector writes to a database at a time (an advisory lock file beside it): a second one
  (the dashboard while ``lokifi collect`` runs) falls back to *view* mode — it samples vitals for the
  screen and writes nothing;
* given its ``config_file``, it notices when the file changes (or a reload is asked for) and takes the
  new configuration (:mod:`analytics.collect.reload`).

Use it as ``Collector(store, config).start()`` / ``.stop()`` from a thread, or ``collect_once(store,
config)``. ``Collector.latest_vitals`` is a frozen snapshot, readable from any thread without the DB
(:mod:`analytics.collect.status`).

Beside it: the state its parts share (:mod:`analytics.collect.state`), the lock and its hand-over
(:mod:`analytics.collect.writer_lock`), the sources built from the config
(:mod:`analytics.collect.wiring`) and the refresh hooks (:mod:`analytics.collect.hooks`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from analytics.collect.added_logs import AddedLogs
from analytics.collect.config_watch import ConfigWatch
from analytics.collect.flushing import FLUSH_ROWS, Flushing, WriteMark
from analytics.collect.hooks import Hook
from analytics.collect.reload import ConfigNews, Reloading
from analytics.collect.scheduling import HookScheduling
from analytics.collect.state import CollectorStats
from analytics.collect.status import StatusRows
from analytics.collect.wiring import build_sources
from analytics.collect.writer_lock import WriterLock
from analytics.common.clock import utcnow
from analytics.common.env_settings import env_seconds
from analytics.sources.base import Batch, SourceStatus
from analytics.store.database import Store, StoreBusy, StoreError

log = logging.getLogger("lokifi.collector")

#: How often a dashboard that found another collector writing checks whether it is still there.
TAKEOVER_SECONDS = env_seconds("LOKIFI_TAKEOVER_SECONDS", 15.0)


class CollectorBusy(StoreError):
    """Another collector is already writing to this database."""


class Collector(Reloading, Flushing, StatusRows, HookScheduling):
    """Runs sources on their intervals and writes what they read; see the module docstring.

    ``persist``: True — write, and raise :class:`CollectorBusy` if another collector holds the database;
    "wait" — write; if another collector holds the database, ask it to hand over and wait (``lokifi
    collect``); "auto" — write if no other collector does, else run in view mode (vitals only, nothing
    written), and hand over to a waiting ``lokifi collect`` (the dashboard); False — view mode.

    ``config_file``: the file ``config`` was read from, watched for changes; ``reload``: set it (from a
    SIGHUP handler) to have the file read now; ``on_config``: told, from the collector's thread, what each
    look at the file gave (:class:`analytics.collect.reload.ConfigNews`: the dashboard says it). The
    settings given as arguments stay as given.
    """

    def __init__(
        self,
        store: Store,
        config: Any,
        *,
        sources: list[Any] | None = None,
        from_start: bool = False,
        persist: bool | str = True,
        hooks: Iterable[str | Hook] | None = None,
        flush_seconds: float | None = None,
        refresh_seconds: float | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        stop: threading.Event | None = None,
        config_file: str | os.PathLike[str] | None = None,
        reload: threading.Event | None = None,
        on_config: Callable[[ConfigNews], object] | None = None,
    ) -> None:
        self.store = store
        self._args = (flush_seconds, refresh_seconds, hooks)
        self._settings(config)
        self.clock = clock
        self.from_start = from_start
        self._persist_req = persist
        self._given_sources = sources
        self.sources: list[Any] = []
        self.mode = "stopped"  # write | view | stopped
        self.busy_reason: str | None = None
        self.stats = CollectorStats()
        self._lock = WriterLock(store.path)
        self._pending: list[Batch] = []
        self._pending_rows = 0
        self._pending_events = 0
        self._due: dict[str, float] = {}
        self._last_flush = time.monotonic()
        self._hook_last: dict[str, float] = {}
        self._hooks_origin = time.monotonic()  # hooks that never ran are due from here
        self._hook_soon: dict[str, float] = {}
        self._hook_thread: threading.Thread | None = None
        self._learn_at = float("inf")  # when to learn the error events written since the last pass
        self._learned_at = -1e18
        self._stop = stop or threading.Event()
        self._thread: threading.Thread | None = None
        self._opened = False
        self._paused: set[str] = set()
        self._written_states: dict[str, tuple[str, str | None]] = {}
        self._final_done = False
        self._recent_events: dict[tuple[Any, str], float] = {}
        self._service_up: dict[tuple[Any, Any], bool] = {}
        self._status_at = -1e18
        self._takeover_at = time.monotonic()
        # What this collector's own flushes did to the database file, for a dashboard in the same process
        # (it need not re-read the store for samples it knows cannot change a pane).
        self.writes: deque[WriteMark] = deque(maxlen=32)
        self._watch = ConfigWatch(config_file, config) if config_file is not None else None
        self._reload = reload or threading.Event()
        self._on_config = on_config
        self._restart_due = False  # sources whose settings changed wait for a restart (see reconfigure)
        self._added_logs = AddedLogs(self._stop)
        # The checkpoints this collector handed to the store (written, or spooled while the database was
        # busy: not readable from it yet), for sources restarted by a reload.
        self._handed: dict[tuple[str, str], str] = {}

    # -- lifecycle ----------------------------------------------------------------------------------

    def open(self) -> None:
        """Take the writer lock, apply anything spooled, load the checkpoints, start the sources."""
        if self._opened:
            return
        persist = self._persist_req
        if persist:
            try:
                got = self._lock.acquire()
            except StoreError:
                if persist != "auto":
                    raise
                got = False
            if not got and persist == "wait":
                got = self._wait_for_handover()
            if got:
                self.mode = "write"
            elif persist == "auto":
                self.mode = "view"
                self.busy_reason = f"another collector (pid {self._lock.holder()}) is writing to {self.store.path}"
            elif persist == "wait":  # stopped while waiting
                self.mode = "view"
            else:
                raise CollectorBusy(
                    f"Another Lokifi collector (pid {self._lock.holder()}) is already writing to "
                    f"{self.store.path}. Stop it first, or point --db elsewhere."
                )
        else:
            self.mode = "view"
        if self._given_sources is not None:
            self.sources = list(self._given_sources)
        else:
            self.sources = build_sources(self.config, from_start=self.from_start, host=self.host)
        if self.mode == "view":
            self.sources = [s for s in self.sources if getattr(s, "kind", "") == "vitals"]
        checkpoints: dict[str, dict[str, str]] = {}
        if self.mode == "write":
            self._drain_spool_blocking()
            try:
                df = self.store.query("SELECT source, key, position FROM source_checkpoints")
            except StoreError:
                self.release()
                raise
            for s, k, p in df.iter_rows():
                checkpoints.setdefault(s, {})[k] = p
        now_m = time.monotonic()
        for src in self.sources:
            src.start(checkpoints.get(src.name, {}))
            self._due[src.name] = now_m
        self._added_logs.follow(self.sources)
        self._last_flush = self._hooks_origin = now_m
        self._opened = True

    def _wait_for_handover(self) -> bool:
        """``persist="wait"`` (``lokifi collect``): ask the collector holding the database — a dashboard
        collecting while it is open — to hand over, and wait for the lock. Returns False if stopped."""
        log.info(
            "another collector (pid %s) is writing to %s; asking it to hand over", self._lock.holder(), self.store.path
        )
        return self._lock.wait_for_handover(self._stop)

    def _hand_over(self) -> None:
        """Write what is pending, release the database to the waiting collector, keep sampling vitals."""
        self._added_logs.halt()
        self._final_flush()
        for src in self.sources:
            if getattr(src, "kind", "") != "vitals":
                with contextlib.suppress(Exception):
                    src.close()
        self.sources = [s for s in self.sources if getattr(s, "kind", "") == "vitals"]
        self.release()
        self.mode = "view"
        self.busy_reason = f"handed over to `lokifi collect` (pid {self._lock.holder() or '?'})"
        log.info("collector: %s", self.busy_reason)

    def _try_take_over(self) -> None:
        """A dashboard in view mode (``persist="auto"``) becomes the writer again when the collector that
        held the database is gone (stopped, crashed): checked every ``TAKEOVER_SECONDS``."""
        now_m = time.monotonic()
        if now_m - self._takeover_at < TAKEOVER_SECONDS:
            return
        self._takeover_at = now_m
        if self._lock.want_path.exists():
            return  # a `lokifi collect` is waiting for the database: it goes first
        try:
            got = self._lock.acquire()
        except StoreError:
            return
        if not got:
            return
        self._lock.release()
        for src in self.sources:
            with contextlib.suppress(Exception):
                src.close()
        self._opened = False
        self.mode = "stopped"
        self.busy_reason = None
        self.open()
        if self.mode == "write":
            log.info("collector: the previous writer is gone; collecting again")

    def _drain_spool_blocking(self) -> None:
        """Checkpoints may be waiting in the spool: apply it before reading them (retry while busy)."""
        while True:
            try:
                if self.store.spooled():
                    self.store.flush_spool()
                return
            except StoreBusy:
                if self._stop.wait(1.0):
                    return

    def close(self) -> None:
        """Write what is pending, stop the sources, release the lock."""
        if not self._opened:
            return
        if self._hook_thread is not None:
            self._hook_thread.join(30)
        self._added_logs.halt()
        try:
            self._final_flush()
        finally:
            for src in self.sources:
                with contextlib.suppress(Exception):
                    src.close()
            self.release()
            self._opened = False
            self.mode = "stopped"

    def release(self) -> None:
        self._lock.release()

    def start(self) -> None:
        """Run in a daemon thread (for the dashboard). ``stop()`` ends it."""
        self.open()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run_thread, name="lokifi-collector", daemon=True)
        self._thread.start()

    def _run_thread(self) -> None:
        try:
            self.run(self._stop)
        except Exception as exc:  # report, never kill the host app
            self.stats.last_error = f"collector stopped: {exc}"
            log.exception("collector stopped")

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.close()

    def run(self, stop: threading.Event | None = None, *, duration: float | None = None) -> None:
        """Poll and flush until ``stop`` is set (or ``duration`` seconds pass), then write what is left.
        If ``run`` opened the collector it also closes it (lock released, sources closed)."""
        stop = stop or self._stop
        opened_here = not self._opened
        self.open()
        end = time.monotonic() + duration if duration is not None else None
        try:
            while not stop.is_set():
                self.step()
                now_m = time.monotonic()
                if end is not None and now_m >= end:
                    break
                wait = self._next_wake(now_m) - now_m
                if end is not None:
                    wait = min(wait, end - now_m)
                if wait > 0:
                    stop.wait(wait)
        finally:
            if opened_here:
                self.close()
            else:
                self._final_flush()

    # -- one step -----------------------------------------------------------------------------------

    def _next_wake(self, now_m: float) -> float:
        nxt = min(self._due.values(), default=now_m + 1.0)
        if self._pending and self.mode == "write":
            nxt = min(nxt, self._last_flush + self._flush_gap())
        if self.mode == "write" and self.hooks:
            nxt = min(nxt, self._next_hooks_at(now_m))
            nxt = min(nxt, self._learn_at)
        return nxt

    def step(self, now: dt.datetime | None = None, *, force: bool = False) -> int:
        """Poll every due source (all of them with ``force``); flush and refresh when it is time.
        Returns the rows read."""
        if not self._opened:
            self.open()
        if self.mode == "write" and self._persist_req == "auto" and self._lock.handover_wanted():
            self._hand_over()
        elif self.mode == "view" and self._persist_req == "auto":
            self._try_take_over()
        now_m = time.monotonic()
        if self._watch is not None and (self._reload.is_set() or self._watch.due(now_m)):
            self._look_at_config(now_m)
        read = 0
        for src in self.sources:
            if not force and self._due.get(src.name, 0) > now_m:
                continue
            if src.name in self._paused:
                continue
            read += self.poll_source(src, now or self.clock())
            again = getattr(src, "has_more", False)
            self._due[src.name] = (
                now_m if again else max(self._due.get(src.name, now_m) + src.interval, now_m + min(src.interval, 0.05))
            )
        if self.mode != "write":
            self._pending.clear()
            self._pending_rows = self._pending_events = 0
            return read
        now_m = time.monotonic()
        if self._pending and (
            force or now_m - self._last_flush >= self._flush_gap() or self._pending_rows >= FLUSH_ROWS
        ):
            self.flush()
        if self.hooks and now_m >= self._next_hooks_at(now_m):
            self._start_hooks(self.run_hooks, now)
        elif self.hooks and now_m >= self._learn_at:
            self._start_hooks(self.learn_now, now)
        return read


@dataclass(frozen=True)
class CollectReport:
    rows: int
    written: bool
    statuses: tuple[SourceStatus, ...]
    vitals: Any
    probes: tuple[Any, ...]
    store_failure: str | None = None  # the database could not be read or written (corrupt, full, read-only)


def collect_once(
    store: Store,
    config: Any,
    now: dt.datetime | None = None,
    *,
    from_start: bool = False,
    hooks: bool = False,
    persist: bool | str = True,
    sources: list[Any] | None = None,
) -> CollectReport:
    """Poll every source once (tails until caught up), write it all in one batch, and return a report.
    ``now``: the collector's clock for the whole run, its last polls and write when it closes included."""
    clock = utcnow if now is None else (lambda: now)
    col = Collector(
        store, config, from_start=from_start, persist=persist, sources=sources, hooks=None if hooks else (), clock=clock
    )
    col.open()
    try:
        rows = 0
        for src in col.sources:
            rows += col.poll_source(src, col.clock())
        for _ in range(1000):  # a big file read --from-start: keep going until every tail caught up
            more = [s for s in col.sources if getattr(s, "has_more", False)]
            if not more:
                break
            for s in more:
                rows += col.poll_source(s, col.clock())
            if col.mode == "write" and col._pending_rows >= FLUSH_ROWS:
                col.flush()
        rows += col._final_polls(col.clock())
        res = col.flush() if col.mode == "write" else None
        if hooks and col.mode == "write":
            col.run_hooks(col.clock(), all_due=True)
        return CollectReport(
            rows,
            bool(res and res.written),
            col.statuses(),
            col.latest_vitals,
            col.latest_probes,
            col.stats.store_failure,
        )
    finally:
        col.close()
