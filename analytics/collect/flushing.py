"""Polling the sources and writing what they read: the batches wait in memory and are written together.

Each poll's batches wait until the next flush (every ``flush_seconds``; sooner, every
``event_flush_seconds``, when a new kind of error event is among them or a service went down or came back
up) and are written by **one** ``Store.submit`` call — rows for ``metrics``, ``error_events`` and
``probe_results`` together with the sources' checkpoints and statuses, in one transaction
(:func:`analytics.store.metrics.write_collected`). If the database stays locked the whole batch is
spooled durably by the Store and applied later, still as one unit. So a tail position is stored exactly
when the lines read up to it are: a collector killed at any moment restarts from the last stored position
and neither loses nor repeats a line.

When the store keeps failing with something other than busy, too many rows waiting pause the sources that
can read again later and drop the oldest samples of the others (:data:`MAX_PENDING_ROWS`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from analytics.collect.scheduling import HookScheduling
from analytics.collect.status import StatusRows
from analytics.sources.base import Batch
from analytics.sources.vital_names import PROC_COUNT
from analytics.store.database import StoreBusy, StoreError
from analytics.store.file_signature import file_signature
from analytics.store.metrics import collected_frame

log = logging.getLogger("lokifi.collector")

#: Rows waiting in memory that trigger a write now (a big file read --from-start, a fleet backfill).
FLUSH_ROWS = 50_000

#: Above this many rows waiting (the store failing with something other than busy), sources whose data
#: can be read again later (files, Prometheus, Loki) are paused instead of buffering more.
MAX_PENDING_ROWS = 200_000

#: An error event already seen (same component and text up to numbers) within this many seconds does not
#: ask for the sooner write.
RECENT_EVENT_SECONDS = 300.0
_DIGITS = re.compile(r"\d+")
#: ``source_status`` rows are rewritten at least this often (and whenever a source's state changes).
STATUS_EVERY = 60.0


@dataclass(frozen=True)
class FlushResult:
    rows: int
    written: bool  # False: spooled (the database was busy)
    seconds: float


@dataclass(frozen=True)
class WriteMark:
    """One flush: the database file's signature before and after it, and whether it wrote news (error
    events, or a service back up)."""

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


class Flushing(StatusRows, HookScheduling):
    """Polling, the batches waiting, and their write."""

    def _final_flush(self) -> None:
        if self.mode != "write":
            return
        self._final_polls(self.clock())
        if self._pending or not self._final_done:
            self.flush(final=True)
            self._final_done = True

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

    def _turned(self, b: Batch) -> int:
        """How many of a batch's probe results and process counts (none running: down) turn a service
        down or back up: written as soon as a new error is, so the dashboard shows the change within
        seconds, not at the next regular flush (its error event is no new one when it went down a few
        minutes ago, and a service back up has none)."""
        turned = 0
        seen = [((r.get("component"), r.get("probe")), bool(r.get("ok"))) for r in b.probes]
        seen += [((r.get("component"), None), r["value"] > 0) for r in b.metrics if r.get("metric") == PROC_COUNT]
        for key, ok in seen:
            turned += self._service_up.get(key, ok) != ok
            self._service_up[key] = ok
        return turned

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
                self._pending_events += self._new_events(b.events) + self._turned(b)
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
        if events:
            self._learn_soon(new_kinds)
        # a service back up (new_kinds, no events) is news to a dashboard in this process as well
        self.writes.append(WriteMark(before, file_signature(self.store.path), events or new_kinds))
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
