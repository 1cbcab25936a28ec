"""The collector: runs the sources on their intervals, writes their rows in batches, refreshes the engines.

Owns the loop that both ``lokifi collect`` (headless, for systemd) and the dashboard (in a worker thread)
run:

* each source (:mod:`analytics.sources.base`) is polled when due; its batches wait in memory until the
  next flush (every ``flush_seconds``) and are written by **one** ``Store.submit`` call — rows for
  ``metrics``, ``error_events`` and ``probe_results`` together with the sources' checkpoints and
  statuses, in one transaction. If the database stays locked the whole batch is spooled durably by the
  Store and applied later, still as one unit. So a tail position is stored exactly when the lines read
  up to it are: a collector killed at any moment restarts from the last stored position and neither
  loses nor repeats a line.
* the database file is opened only for that one write (and the startup read of checkpoints);
* every ``refresh_seconds`` it calls the engines' refresh hooks (``learn_from_events`` and friends);
* only one collector writes to a database at a time (an advisory lock file beside it): a second one
  (the dashboard while ``lokifi collect`` runs) falls back to *view* mode — it samples vitals for the
  screen and writes nothing;
* given its ``config_file`` (``lokifi collect``), it notices when the file changes (or a reload is asked
  for) and takes the new configuration: the sources whose settings changed are restarted from their
  stored positions, the hooks get the new config; a file that does not parse is reported once and the
  configuration in force stays (:mod:`analytics.collect.config_watch`).

Use it as ``Collector(store, config).start()`` / ``.stop()`` from a thread, or ``collect_once(store,
config)``. ``Collector.latest_vitals`` is a frozen snapshot, readable from any thread without the DB.

Beside it: the lock and its hand-over (:mod:`analytics.collect.writer_lock`), the sources built from the
config (:mod:`analytics.collect.wiring`), the refresh hooks (:mod:`analytics.collect.hooks`) and the
flush's batch writer (:func:`analytics.store.metrics.write_collected`).

One module: the Collector's lifecycle, polling and flushing share one state (mode, lock, pending batches
and their checkpoints); its other jobs live beside it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from analytics.collect.config_changes import changes
from analytics.collect.config_watch import ConfigWatch
from analytics.collect.hooks import DEFAULT_HOOKS, Hook, hook_name, learns_from_events, resolve_hook
from analytics.collect.wiring import build_sources
from analytics.collect.writer_lock import WriterLock
from analytics.common.clock import utcnow
from analytics.common.env_settings import env_seconds
from analytics.sources.base import Batch, SourceStatus
from analytics.store.database import Store, StoreBusy, StoreError
from analytics.store.file_signature import file_signature
from analytics.store.metrics import collected_frame

log = logging.getLogger("lokifi.collector")

#: Rows waiting in memory that trigger a write now (a big file read --from-start, a fleet backfill).
FLUSH_ROWS = 50_000

#: Above this many rows waiting (the store failing with something other than busy), sources whose data
#: can be read again later (files, Prometheus, Loki) are paused instead of buffering more.
MAX_PENDING_ROWS = 200_000

#: How often a dashboard that found another collector writing checks whether it is still there.
TAKEOVER_SECONDS = env_seconds("LOKIFI_TAKEOVER_SECONDS", 15.0)
#: An error event already seen (same component and text up to numbers) within this many seconds does not
#: ask for the sooner write.
RECENT_EVENT_SECONDS = 300.0
_DIGITS = re.compile(r"\d+")
#: ``source_status`` rows are rewritten at least this often (and whenever a source's state changes).
STATUS_EVERY = 60.0
# Error events are learned into their patterns after the flush that writes them, not only at the next
# refresh (every 60 s for `lokifi collect`, 5 min in the dashboard). A new kind of error (one not seen in
# RECENT_EVENT_SECONDS, written within event_flush_seconds) is learned at most LEARN_SOON_SECONDS later:
# it shows as a pattern within seconds. Repeats of known kinds are counted at most every
# LEARN_REPEAT_SECONDS, the pace of `lokifi collect`'s refresh: a learning pass opens the database a few
# times (~0.1 s of CPU), so an endpoint that stays down does not cost a pass per probe.
LEARN_SOON_SECONDS = 10.0
LEARN_REPEAT_SECONDS = 60.0


class CollectorBusy(StoreError):
    """Another collector is already writing to this database."""


def _iso(v: dt.datetime | None) -> str | None:
    return v.isoformat() if v else None


# --------------------------------------------------------------------------------------------------
# The collector
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlushResult:
    rows: int
    written: bool  # False: spooled (the database was busy)
    seconds: float


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


@dataclass(frozen=True)
class WriteMark:
    """One flush: the database file's signature before and after it, and whether it wrote error events."""

    before: tuple[int, int, int, int] | None
    after: tuple[int, int, int, int] | None
    events: bool


def explained_by(writes: Iterable[WriteMark], last: Any, current: Any) -> bool:
    """True if the change of the database file from signature ``last`` to ``current`` is exactly a chain
    of the given flushes that wrote samples only (no error events): nobody else wrote in between."""
    sig = last
    for w in writes:
        if w.before == sig and sig is not None and not w.events:
            sig = w.after
    return sig == current and last != current


class Collector:
    """Runs sources on their intervals and writes what they read; see the module docstring.

    ``persist``: True — write, and raise :class:`CollectorBusy` if another collector holds the database;
    "wait" — write; if another collector holds the database, ask it to hand over and wait (``lokifi
    collect``); "auto" — write if no other collector does, else run in view mode (vitals only, nothing
    written), and hand over to a waiting ``lokifi collect`` (the dashboard); False — view mode.

    ``config_file``: the file ``config`` was read from, watched for changes; ``reload``: set it (from a
    SIGHUP handler) to have the file read now. The settings given as arguments stay as given.
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
        self._status_at = -1e18
        self._takeover_at = time.monotonic()
        # What this collector's own flushes did to the database file, for a dashboard in the same process
        # (it need not re-read the store for samples it knows cannot change a pane).
        self.writes: deque[WriteMark] = deque(maxlen=32)
        self._watch = ConfigWatch(config_file, config) if config_file is not None else None
        self._reload = reload or threading.Event()
        self._restart_due = False  # sources whose settings changed wait for a restart (see reconfigure)
        # The checkpoints this collector handed to the store (written, or spooled while the database was
        # busy: not readable from it yet), for sources restarted by a reload.
        self._handed: dict[tuple[str, str], str] = {}

    def _settings(self, config: Any) -> None:
        """The settings taken from ``config`` (at the start and at each reload), except those given as
        arguments."""
        flush_seconds, refresh_seconds, hooks = self._args
        self.config = config
        self.host = config.host
        c = getattr(config, "collect", None)
        self.flush_seconds = float(
            flush_seconds if flush_seconds is not None else getattr(c, "flush_seconds", 30.0) or 30.0
        )
        # Error events (log errors, failed probes) are written sooner than plain samples.
        self.event_flush_seconds = min(self.flush_seconds, float(getattr(c, "event_flush_seconds", 5.0) or 5.0))
        self.refresh_seconds = float(
            refresh_seconds if refresh_seconds is not None else getattr(c, "refresh_seconds", 60.0) or 60.0
        )
        if hooks is None:
            hooks = tuple(getattr(c, "hooks", ()) or ()) or DEFAULT_HOOKS
        self.hooks = list(hooks)

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

    def _final_flush(self) -> None:
        if self.mode != "write":
            return
        self._final_polls(self.clock())
        if self._pending or not self._final_done:
            self.flush(final=True)
            self._final_done = True

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

    def _hook_due_at(self, name: str, every: float) -> float:
        """When a hook is next due: ``every`` seconds after its last run (a hook's own ``@SECONDS`` or
        ``refresh_seconds``); one that never ran, at most ``refresh_seconds`` after the collector opened."""
        last = self._hook_last.get(name)
        if last is None:
            return self._hooks_origin + min(every, self.refresh_seconds)
        return last + every

    def _next_hooks_at(self, now_m: float) -> float:
        """The earliest moment a hook is due (each on its own interval: a delivery every 15 s is not
        held to a 5-minute refresh); while the hooks are running, not before they are done."""
        if self._hook_thread is not None and self._hook_thread.is_alive():
            return now_m + 0.5
        return min((self._hook_due_at(*hook_name(h, self.refresh_seconds)) for h in self.hooks), default=float("inf"))

    def _start_hooks(self, target: Callable[[dt.datetime], None], now: dt.datetime | None) -> None:
        # Engines can take a while: run them beside the loop so probes and tails stay on time.
        if self._hook_thread is None or not self._hook_thread.is_alive():
            self._hook_thread = threading.Thread(
                target=target, args=(now or self.clock(),), name="lokifi-refresh", daemon=True
            )
            self._hook_thread.start()

    def learn_now(self, now: dt.datetime) -> None:
        """Run only the pattern-learning hook (after a flush that wrote error events)."""
        self._learning_starts(time.monotonic())
        self._run_hook_list([h for h in self.hooks if learns_from_events(h)], now, all_due=True)

    def _new_events(self, events: list[dict[str, Any]]) -> int:
        """How many of these error events are new — not seen (same component, same text up to numbers)
        in the last RECENT_EVENT_SECONDS. Only new ones ask for the sooner write: an endpoint that stays
        down, or a log repeating one error, is written with the regular flush."""
        if not events:
            return 0
        mono = time.monotonic()
        new = 0
        for e in events:
            key = (e.get("component"), _DIGITS.sub("0", str(e.get("message", ""))[:200]))
            last = self._recent_events.get(key)
            if last is None or mono - last > RECENT_EVENT_SECONDS:
                new += 1
            self._recent_events[key] = mono
        if len(self._recent_events) > 5000:
            cut = mono - RECENT_EVENT_SECONDS
            self._recent_events = {k: v for k, v in self._recent_events.items() if v >= cut}
        return new

    def _flush_gap(self) -> float:
        return self.event_flush_seconds if self._pending_events else self.flush_seconds

    def _final_polls(self, now: dt.datetime) -> int:
        """Lines written since the last tail poll are read now, and the multi-line events a tail holds
        back (a traceback that may still grow) are emitted, so a clean stop leaves nothing behind."""
        return sum(self.poll_source(src, now, final=True) for src in self.sources if getattr(src, "final_poll", False))

    def poll_source(self, src: Any, now: dt.datetime, *, final: bool = False) -> int:
        """Poll one source and keep its batches for the next flush. ``final``: its last poll before the
        collector stops (only for sources with ``final_poll``)."""
        self.stats.polls += 1
        try:
            batches = src.poll(now, final=True) if final else src.poll(now)
        except Exception as exc:  # noqa: BLE001 — one failing source never stops the others
            msg = f"{type(exc).__name__}: {exc}"
            if hasattr(src, "fail"):
                src.fail(now, msg)
            log.warning("source %s failed: %s", src.name, msg)
            return 0
        n = 0
        for b in batches:
            if not b.empty:
                self._pending.append(b)
                n += len(b)
                self._pending_events += self._new_events(b.events)
                self._final_done = False
        self._pending_rows += n
        return n

    def flush(self, *, final: bool = False) -> FlushResult | None:
        """Write everything pending as one transaction (spooled if the database stays busy)."""
        if self.mode != "write":
            return None
        now = self.clock()
        batches = self._pending
        if not batches and not final:
            return None
        # Source states are written when one changes, and at least every STATUS_EVERY seconds (freshness).
        current = self.statuses()
        states = {s.name: (s.state, s.last_error) for s in current}
        mono = time.monotonic()
        statuses = None
        if final or states != self._written_states or mono - self._status_at >= STATUS_EVERY:
            statuses = [self._status_row(s, now) for s in current]
            statuses.append(self._collector_status(now, final))
        checkpoints: dict[tuple[str, str], str] = {}
        for b in batches:
            for k, v in b.checkpoints.items():
                checkpoints[(b.source, k)] = v  # later batches win
        df = collected_frame(batches, {src.name for src in self.sources if getattr(src, "unique_rows", False)})
        cps = [[s, k, v, now.isoformat()] for (s, k), v in checkpoints.items()]
        t0 = time.perf_counter()
        before = file_signature(self.store.path)
        try:
            written = self.store.submit("collected", df, checkpoints=cps, statuses=statuses)
        except Exception as exc:  # noqa: BLE001 — keep the rows and try again at the next flush
            self.stats.last_error = f"write failed: {exc}"
            if isinstance(exc, StoreError) and not isinstance(exc, StoreBusy):
                self.stats.store_failure = str(exc)
            log.warning("collector flush failed (%s); %d rows kept for the next try", exc, self._pending_rows)
            self._limit_pending()
            return None
        if statuses is not None:
            self._written_states = states
            self._status_at = mono
        self._handed.update(checkpoints)
        self._pending = []
        rows = self._pending_rows
        self._pending_rows = 0
        new_kinds = self._pending_events > 0
        self._pending_events = 0
        self._paused.clear()
        self._last_flush = time.monotonic()
        self.stats.flushes += 1
        events = any(b.events for b in batches)
        if events:  # learn their patterns soon: a new kind within seconds, repeats at a slower pace
            wait = LEARN_SOON_SECONDS if new_kinds else LEARN_REPEAT_SECONDS
            self._learn_at = min(self._learn_at, self._learned_at + wait)
        self.writes.append(WriteMark(before, file_signature(self.store.path), events))
        self.stats.rows_written += rows
        self.stats.last_flush = now
        if not written:
            self.stats.spooled += 1
        return FlushResult(rows, written, time.perf_counter() - t0)

    def _limit_pending(self) -> None:
        if self._pending_rows <= MAX_PENDING_ROWS:
            return
        # Pause sources that can re-read later; drop the oldest samples of those that cannot.
        for src in self.sources:
            if getattr(src, "durable_upstream", False):
                self._paused.add(src.name)
        keep: list[Batch] = []
        total = 0
        for b in reversed(self._pending):
            durable = any(getattr(s, "durable_upstream", False) for s in self.sources if s.name == b.source)
            if durable or total + len(b) <= MAX_PENDING_ROWS:
                keep.append(b)
                total += len(b)
            else:
                self.stats.dropped += len(b)
        self._pending = list(reversed(keep))
        self._pending_rows = total
        self._pending_events = sum(len(b.events) for b in self._pending)

    def run_hooks(self, now: dt.datetime, *, all_due: bool = False) -> None:
        """Run the refresh hooks that are due (every one with ``all_due``)."""
        mono = time.monotonic()
        if any(learns_from_events(h) and (all_due or self._is_due(h, mono)) for h in self.hooks):
            self._learning_starts(mono)  # events written from now on (while the engines run) ask again
        self._run_hook_list(self.hooks, now, all_due=all_due)
        self.stats.hook_runs += 1

    def _is_due(self, hook: str | Hook, mono: float) -> bool:
        return mono >= self._hook_due_at(*hook_name(hook, self.refresh_seconds)) - 0.5

    def _learning_starts(self, mono: float) -> None:
        self._learn_at = float("inf")
        self._learned_at = mono

    def _run_hook_list(self, hooks: list[str | Hook], now: dt.datetime, *, all_due: bool) -> None:
        """Run the due ones of ``hooks`` (all with ``all_due``)."""
        mono = time.monotonic()
        for hook in hooks:
            if not all_due and not self._is_due(hook, mono):
                continue
            name, _ = hook_name(hook, self.refresh_seconds)
            self._hook_last[name] = mono
            try:
                fn = resolve_hook(name if isinstance(hook, str) else hook)
            except (ImportError, AttributeError):
                continue  # a configured hook that cannot be found: skipped quietly
            try:
                fn(self.store, self.config, now)
                self.stats.hook_errors.pop(name, None)
            except StoreBusy:
                self.stats.hook_errors[name] = "database busy; will retry"
            except Exception as exc:  # noqa: BLE001
                self.stats.hook_errors[name] = f"{type(exc).__name__}: {exc}"
                if isinstance(exc, StoreError):
                    self.stats.store_failure = str(exc)
                log.warning("refresh hook %s failed: %s", name, exc)

    # -- a changed config -----------------------------------------------------------------------------

    def _look_at_config(self, now_m: float) -> None:
        """Look at the config file (due, or a reload asked for) and take what changed; restart sources
        whose restart had to wait."""
        if self._watch is None:
            return
        asked = self._reload.is_set()
        self._reload.clear()
        if self._restart_due:
            self._restart_sources()
        got = self._watch.check(now_m, asked=asked)
        if got is None:
            return
        where = self._watch.path
        if got.same:
            self.stats.config_problem = None
            log.info("config %s read again: unchanged, the configuration in force", where)
        elif got.broken:
            self.stats.config_problem = got.broken[0]
            since = self._watch.loaded_at.strftime("%H:%M:%S")
            for problem in got.broken[:5]:
                log.warning("config not reloaded: %s", problem)
            log.warning(
                "still running with the configuration read at %s; fix the file and save it again "
                "(`lokifi config check` lists every problem)",
                since,
            )
        else:
            self.reconfigure(got.config)

    def reconfigure(self, config: Any) -> list[str]:
        """Take ``config`` (a reload): its settings, its hooks, and the sources it asks for — each source
        whose settings changed is restarted from its stored position (what it had read is written
        first), the others keep running. Returns what changed, as logged."""
        old = self.config
        said = changes(old, config)
        self._settings(config)
        self.stats.reloads += 1
        self.stats.config_problem = None
        where = self._watch.path if self._watch is not None else getattr(config, "path", None)
        log.info("config %s reloaded: %s", where, "; ".join(said) if said else "no setting changed")
        for problem in config.problems:
            if problem not in old.problems:
                log.warning("config: %s", problem)
        if self._given_sources is None:
            self._restart_due = True
            self._restart_sources()
        return said

    def _restart_sources(self) -> None:
        """Build the sources the config asks for; keep the running ones built from the same settings."""
        if not self._opened:
            self._restart_due = False
            return
        fresh = build_sources(self.config, from_start=self.from_start, host=self.host)
        if self.mode == "view":
            fresh = [s for s in fresh if getattr(s, "kind", "") == "vitals"]
        running = {s.name: s for s in self.sources}
        kept = {
            s.name
            for s in fresh
            if s.name in running and getattr(running[s.name], "built_from", None) == getattr(s, "built_from", 0)
        }
        ending = [s for s in self.sources if s.name not in kept]
        starting = [s for s in fresh if s.name not in kept]
        if not ending and not starting:
            self._restart_due = False
            _close(fresh)
            return
        now = self.clock()
        for src in ending:  # what they hold back (a traceback still growing) is written, as at a stop
            if getattr(src, "final_poll", False):
                self.poll_source(src, now, final=True)
        checkpoints: dict[str, dict[str, str]] = {}
        if self.mode == "write":
            if self._pending:
                self.flush()
            try:
                df = self.store.query("SELECT source, key, position FROM source_checkpoints")
            except StoreError as exc:
                log.warning("the changed sources start when the database can be read (%s)", exc)
                _close(fresh)
                return  # tried again at the next look at the config; the running ones go on meanwhile
            for s, k, p in df.iter_rows():
                checkpoints.setdefault(s, {})[k] = p
            # newer than the database's: spooled while it was busy, or still waiting for the next write
            for (s, k), p in self._handed.items():
                checkpoints.setdefault(s, {})[k] = p
            for b in self._pending:
                for k, v in b.checkpoints.items():
                    checkpoints.setdefault(b.source, {})[k] = v
        _close([*ending, *(s for s in fresh if s.name in kept)])
        for src in ending:
            self._due.pop(src.name, None)
            self._paused.discard(src.name)
        self.sources = [running[s.name] if s.name in kept else s for s in fresh]
        now_m = time.monotonic()
        for src in starting:
            src.start(checkpoints.get(src.name, {}))
            self._due[src.name] = now_m
        self._restart_due = False
        log.info(
            "sources restarted: %s%s",
            ", ".join(sorted({s.name for s in (*ending, *starting)})),
            f" (unchanged: {', '.join(sorted(kept))})" if kept else "",
        )

    # -- views --------------------------------------------------------------------------------------

    @property
    def latest_vitals(self) -> Any:
        """The latest :class:`VitalsSnapshot` (None before the first sample). No database access."""
        for s in self.sources:
            if getattr(s, "kind", "") == "vitals":
                return s.latest
        return None

    @property
    def latest_probes(self) -> tuple[Any, ...]:
        out: tuple[Any, ...] = ()
        for s in self.sources:
            if getattr(s, "kind", "") == "probes":
                out += s.latest
        return out

    def statuses(self) -> tuple[SourceStatus, ...]:
        out = []
        for s in self.sources:
            st = s.status()
            if s.name in self._paused:
                st = SourceStatus(
                    st.name,
                    st.kind,
                    "paused",
                    st.last_poll,
                    st.last_success,
                    "waiting for the database",
                    st.rows_total,
                    st.detail,
                )
            out.append(st)
        return tuple(out)

    def _status_row(self, s: SourceStatus, now: dt.datetime) -> dict[str, Any]:
        return {
            "host": self.host,
            "source": s.name,
            "kind": s.kind,
            "state": s.state,
            "last_poll": _iso(s.last_poll),
            "last_success": _iso(s.last_success),
            "last_error": s.last_error,
            "rows_total": int(s.rows_total),
            "detail": s.detail,
            "updated_at": now.isoformat(),
        }

    def _collector_status(self, now: dt.datetime, final: bool) -> dict[str, Any]:
        detail = json.dumps(
            {
                "pid": os.getpid(),
                "mode": self.mode,
                "flush_seconds": self.flush_seconds,
                "sources": [s.name for s in self.sources],
            }
        )
        return {
            "host": self.host,
            "source": "collector",
            "kind": "collector",
            "state": "stopped" if final else "ok",
            "last_poll": now.isoformat(),
            "last_success": now.isoformat(),
            "last_error": self.stats.last_error,
            "rows_total": self.stats.rows_written + self._pending_rows,
            "detail": detail,
            "updated_at": now.isoformat(),
        }


def _close(sources: Iterable[Any]) -> None:
    for src in sources:
        with contextlib.suppress(Exception):
            src.close()


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
    """Poll every source once (tails until caught up), write it all in one batch, and return a report."""
    col = Collector(store, config, from_start=from_start, persist=persist, sources=sources, hooks=None if hooks else ())
    col.open()
    try:
        rows = 0
        for src in col.sources:
            rows += col.poll_source(src, now or col.clock())
        for _ in range(1000):  # a big file read --from-start: keep going until every tail caught up
            more = [s for s in col.sources if getattr(s, "has_more", False)]
            if not more:
                break
            for s in more:
                rows += col.poll_source(s, now or col.clock())
            if col.mode == "write" and col._pending_rows >= FLUSH_ROWS:
                col.flush()
        rows += col._final_polls(now or col.clock())
        res = col.flush() if col.mode == "write" else None
        if hooks and col.mode == "write":
            col.run_hooks(now or col.clock(), all_due=True)
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
