"""Loki as a collector source: LogQL ``query_range`` (direction forward) turned into error events.

Owns reading error lines from a Loki server for a fleet:

* settings (:meth:`LokiSettings.from_config`): base URL, auth, TLS, tenant (``X-Scope-OrgID``), and a
  list of LogQL log queries each mapped to a component (``{label}`` placeholders allowed), e.g.
  ``{ query = '{job="api"} |= "error"', component = "api" }``; the host is the first of
  ``host_labels`` the stream carries.
* windows: each query reads ``[checkpoint - overlap, server_now - lag)`` forward, in windows of at most
  ``max_window`` and pages of ``limit`` entries (Loki caps a query at 5000). A page that comes back
  full continues from its last timestamp (a page entirely at one nanosecond — a burst bigger than
  ``limit`` — is followed by a read of that nanosecond alone at Loki's maximum page); entries already
  seen are recognised by their key (stream labels, timestamp, line). The re-read ``overlap`` catches lines
  that reach Loki late (a shipper retrying after an outage); they are stored once because the store skips
  rows it has.
* time: windows use the server's clock (its ``Date`` header), so clock skew never makes us checkpoint
  past lines Loki has not got yet.
* faults: failures are classified (down/slow/4xx/5xx/partial/tls) into the source's
  :class:`~analytics.sources.fleet.status.FleetHealth`, with exponential backoff across polls. A window
  is checkpointed in the same batch as its rows, at the point its pages reached: its end, or where the
  row budget or a failed later page stopped it (that failure is raised after the batch).
* the lines go to ``error_events`` (level from the stream's ``level`` label, else ERROR), where the
  pattern engine learns them like any other error line.
* context: each stream is folded as a log (:mod:`~analytics.sources.fleet.loki_events`); a query with
  line filters gets its errors' context from their streams, a few reads a poll
  (:mod:`~analytics.sources.fleet.loki_context`); the errors a poll leaves without wait for it in a queue
  kept in the store (:mod:`~analytics.sources.fleet.loki_waiting`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from analytics.sources.base import Batch
from analytics.sources.fleet import config as fleet_config
from analytics.sources.fleet.client import ConfigProblem, FetchError, HttpClient
from analytics.sources.fleet.config import FleetSettings
from analytics.sources.fleet.loki_context import (
    CONTEXT_REQUESTS,
    ContextRead,
    attach,
    context_selector,
    plan,
    stream_selector,
)
from analytics.sources.fleet.loki_events import Entry, QueryEvents
from analytics.sources.fleet.loki_waiting import KEY as WAITING_KEY, ContextQueue, Waiting, update_row
from analytics.sources.fleet.prometheus import _url_host, fill, pick_host
from analytics.sources.fleet.source import FleetSource, PollTally, build
from analytics.sources.fleet.status import UP, measure_skew

if TYPE_CHECKING:
    from analytics.patterns.multiline import Event

LOKI_MAX_ENTRIES = 5000
DEFAULT_HOST_LABELS = ("host", "hostname", "nodename", "instance", "pod")
NS = 1_000_000_000
EPOCH = dt.datetime(1970, 1, 1)


@dataclass(frozen=True)
class LokiQuery:
    query: str
    component: str
    host_labels: tuple[str, ...] = DEFAULT_HOST_LABELS

    @property
    def context_selector(self) -> str | None:
        """The stream selector to read an error's context with, when the query filters lines (else None)."""
        return context_selector(self.query)

    @property
    def key(self) -> str:
        h = hashlib.sha1(f"{self.query}\x00{self.component}".encode(), usedforsecurity=False).hexdigest()[:16]
        return f"q:{h}"


@dataclass
class LokiSettings(FleetSettings):
    queries: list[LokiQuery]
    lag: float = 10.0
    interval: float = 15.0
    limit: int = 1000
    overlap: float = 60.0
    max_window: float = 3600.0
    max_line: int = 16_384

    OWN_KEYS = frozenset({"tenant", "limit", "overlap", "max_window", "max_line"})
    DURATIONS = ("lag", "overlap", "backfill", "max_window", "interval", "max_backoff")
    WHOLE_NUMBERS = ("max_rows_per_poll", "max_line")
    WHOLE_MIN = 1
    QUERY_KEYS = ("query", "component")
    HOST_LABELS = DEFAULT_HOST_LABELS
    SAME_QUERY = "query and component"

    def _check(self, d: dict[str, Any], where: str) -> None:
        if self.max_window < 1:
            raise ConfigProblem(f"{where}.max_window: must be at least 1s")
        if "limit" in d:
            self.limit = fleet_config.whole_number(d["limit"], f"{where}.limit", 1, LOKI_MAX_ENTRIES)

    def _query(self, q: dict[str, Any], where: str, host_labels: tuple[str, ...]) -> LokiQuery:
        if not q["query"].strip().startswith("{"):
            raise ConfigProblem(
                f'{where}.query: a LogQL log query starts with a stream selector, e.g. {{job="api"}} |= "error"'
            )
        return LokiQuery(q["query"].strip(), q["component"].strip(), host_labels)


def entry_key(labels: dict[str, str], ts_ns: int, line: str) -> str:
    """The identity of one log entry: (stream labels, timestamp, line), as 16 hex digits."""
    canon = json.dumps(labels, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(f"{canon}\x00{ts_ns}\x00{line}".encode("utf-8", "replace"), digest_size=8).hexdigest()


#: At most this many entry keys are remembered per query (in memory and in the checkpoint).
MAX_SEEN = 2000


@dataclass
class QueryState:
    """How far one query has been read, and the entries already taken inside the re-read overlap.

    ``t``: every entry before it has been read. ``seen_from``: every entry at or after it that was
    stored is in ``seen`` (key -> ts). The next read starts at ``max(t - overlap, seen_from)``, so each
    entry it meets is either in ``seen`` (skipped) or new — also after a restart, because this state is
    the checkpoint, written in the same transaction as the rows.
    """

    t: int
    seen_from: int
    seen: dict[str, int] = field(default_factory=dict)

    def start(self, overlap_ns: int) -> int:
        return max(self.t - overlap_ns, self.seen_from)

    def advance(self, reached: int, overlap_ns: int) -> None:
        self.t = max(self.t, reached)
        floor = self.t - overlap_ns
        if floor > self.seen_from:
            self.seen_from = floor
            self.seen = {k: ts for k, ts in self.seen.items() if ts >= floor}
        if len(self.seen) > MAX_SEEN:
            ordered = sorted(self.seen.items(), key=lambda kv: kv[1])
            dropped = ordered[: len(ordered) - MAX_SEEN]
            self.seen_from = max(self.seen_from, dropped[-1][1] + 1)
            self.seen = {k: ts for k, ts in ordered if ts >= self.seen_from}

    def to_json(self, held_from: int | None = None, held: set[str] | frozenset[str] = frozenset()) -> str:
        """The checkpoint. ``held_from``, ``held``: where the events still held begin and their entries' keys
        (:meth:`~analytics.sources.fleet.loki_events.QueryEvents.held`): left out, so a restart reads them
        again (they are never before ``seen_from``: the read start passing one emits it)."""
        by_ts: dict[int, list[str]] = {}
        for k, ts in self.seen.items():
            if k not in held:
                by_ts.setdefault(ts, []).append(k)
        t = self.t if held_from is None else min(self.t, held_from)
        return json.dumps(
            {"t": t, "from": self.seen_from, "seen": [[str(ts), *sorted(ks)] for ts, ks in sorted(by_ts.items())]},
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> QueryState:
        raw = json.loads(text)
        t = int(raw["t"])
        st = cls(t=t, seen_from=int(raw.get("from", t)))
        for group in raw.get("seen") or []:
            ts = int(group[0])
            for k in group[1:]:
                st.seen[str(k)] = ts
        return st


_LEVEL_WORD = re.compile(r"\b(CRITICAL|FATAL|PANIC|EMERG(?:ENCY)?|ALERT|ERROR|ERR|WARN(?:ING)?)\b", re.IGNORECASE)


def line_level(labels: dict[str, str], line: str) -> str:
    for k in ("level", "severity", "detected_level", "lvl"):
        if labels.get(k):
            return labels[k].upper()
    m = _LEVEL_WORD.search(line[:200])
    if m:
        word = m.group(1).upper()
        return {"ERR": "ERROR", "WARNING": "WARN", "EMERGENCY": "EMERG"}.get(word, word)
    return "ERROR"


def stream_entries(data: Any) -> list[tuple[int, dict[str, str], str]]:
    """(ts_ns, labels, line) from a ``query_range`` answer, sorted by time. ``ValueError`` if not streams."""
    if not isinstance(data, dict) or data.get("status") != "success":
        raise ValueError("the answer has no status=success")
    body = data.get("data")
    if not isinstance(body, dict):
        raise ValueError("the answer has no data")
    if body.get("resultType") != "streams":
        raise ValueError(
            f"expected log streams, got {body.get('resultType')!r}: use a log query "
            '(a stream selector with line filters, e.g. {job="api"} |= "error"), not a metric query'
        )
    out = []
    for st in body.get("result") or []:
        labels = {str(k): str(v) for k, v in (st.get("stream") or {}).items()}
        for pair in st.get("values") or []:
            try:
                ts, line = int(pair[0]), str(pair[1])
            except (TypeError, ValueError, IndexError):
                continue
            out.append((ts, labels, line))
    out.sort(key=lambda e: e[0])
    return out


def _ts(ns: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=ns // 1000)


class LokiSource(FleetSource):
    """Pulls the configured LogQL queries forward from a checkpoint per query (the end of the last window)."""

    kind = "loki"
    final_poll = True  # the events held for their context are stored when the collector stops

    def __init__(self, settings: LokiSettings, *, client: HttpClient | None = None) -> None:
        super().__init__(settings, client or HttpClient(settings.http))
        self._qstate: dict[str, QueryState] = {}
        self._events: dict[str, QueryEvents] = {}
        self._resume_at: int | None = None
        self._context_reads = 0  # context reads left this poll
        self._waiting = ContextQueue()  # the errors stored without their context, waiting for it
        self._fallback_host = settings.default_host or _url_host(settings.http.base_url)  # (parsed once)

    def poll(self, now: dt.datetime, *, final: bool = False) -> list[Batch]:
        """A pull (none at the final poll), then the held events that may wait no longer: those held too
        long (the server unreachable meanwhile), or all of them at the final poll."""
        batches = [] if final else super().poll(now)
        self._context_reads = CONTEXT_REQUESTS if final and self.health.state == UP else 0
        for key, ev in self._events.items():
            st = self._qstate.get(key)
            q = next((q for q in self.settings.queries if q.key == key), None)
            if st is None or q is None:
                continue
            found = self._with_context(q, ev.release(-1, -1, final=final), None, PollTally(budget=0))
            rows = [self._row(q, e) for e in found]
            if rows:
                batches.append(Batch(source=self.name, events=rows, checkpoints={key: st.to_json(*ev.held())}))
        if self._waiting.dirty:  # in the same write as the rows it refers to
            if not batches:
                batches.append(Batch(source=self.name))
            batches[-1].checkpoints[WAITING_KEY] = self._waiting.to_json()
        return batches

    # -- collector interface ----------------------------------------------------------------------

    def start(self, checkpoints: dict[str, str]) -> None:
        super().start(checkpoints)
        # Checkpoints of queries no longer configured mean a query was edited (or removed). The store does not
        # deduplicate error lines, so a new query must not backfill over lines an old one already took: it
        # starts where the old ones stopped. (A source with no history backfills as usual.)
        current = {q.key for q in self.settings.queries}
        orphans = [st.t for k, st in self._qstate.items() if k not in current]
        self._resume_at = max(orphans) if orphans else None

    # -- internals --------------------------------------------------------------------------------

    def _resume(self, key: str, raw: str) -> None:
        if key == WAITING_KEY:
            self._waiting = ContextQueue.from_json(raw)
            return
        self._qstate[key] = QueryState.from_json(raw)  # unreadable: that query backfills again

    def _server_now_ns(self) -> int:
        """The server's clock from the ``Date`` of a cheap call (1 s resolution is plenty next to ``lag``)."""
        t0 = time.time()
        r = self.client.get_json("/loki/api/v1/labels", {"start": str(int((t0 - 300) * NS)), "end": str(int(t0 * NS))})
        t1 = r.received_at
        if not isinstance(r.data, dict) or r.data.get("status") != "success":
            raise ValueError("the answer to /loki/api/v1/labels is not Loki's — is this a Loki URL?")
        # Date has 1 s resolution and is truncated: the server's clock is somewhere in [D, D+1).
        server = None if r.server_time is None else r.server_time + 0.5
        skew = measure_skew(server, r.sent_at, r.received_at)
        if skew is not None and abs(skew) < 1.0:  # within what the resolution alone explains
            skew = 0.0
        self.health.skew_s = None if skew is None else round(skew, 1)
        self.health.latency_ms = round(r.elapsed * 1000, 1)
        return int((t1 + (skew or 0.0)) * NS)

    def _pull(self, batches: list[Batch], wall: float) -> None:
        server_now_ns = self._server_now_ns()
        s = self.settings
        end_all = server_now_ns - int(s.lag * NS)
        tally = PollTally(budget=s.max_rows_per_poll)
        self._context_reads = CONTEXT_REQUESTS
        self._read_waiting(batches, tally, end_all, server_now_ns)
        for q in s.queries:
            overlap = int(s.overlap * NS)
            st = self._qstate.get(q.key)
            if st is None:
                first = end_all - int(s.backfill * NS)
                if self._resume_at is not None:
                    first = max(first, min(self._resume_at, end_all))
                st = self._qstate[q.key] = QueryState(t=first, seen_from=first)
            start = st.start(overlap)
            while start < end_all and tally.budget > 0:
                w_end = min(end_all, start + int(s.max_window * NS))
                ev = self._events.setdefault(q.key, QueryEvents())
                try:
                    found, reached, failed = self._read_window(q, start, w_end, st.seen, tally, ev)
                except FetchError as exc:
                    if tally.refused(exc, q.query):
                        break
                    raise
                st.advance(reached, overlap)
                found += ev.release(reached, st.start(overlap))
                rows = [self._row(q, e) for e in self._with_context(q, found, end_all, tally)]
                tally.budget -= len(rows)
                batch = Batch(source=self.name, events=rows)
                batch.checkpoints[q.key] = st.to_json(*ev.held())
                self.health.reached(reached / NS)
                batches.append(batch)
                if failed is not None:  # a later page failed: what the pages before it gave is kept above
                    if isinstance(failed, FetchError) and tally.refused(failed, q.query):
                        break
                    raise failed
                if reached < w_end:
                    self._more = True  # stopped inside the window (row budget): come back at once
                    break
                start = w_end
            if start < end_all and tally.budget <= 0:
                self._more = True
        note = self._waiting.note()
        if note:
            tally.notes.append(f"{note} (at most {CONTEXT_REQUESTS} context reads a poll)")
        self._finish(wall, sum(len(b.events) for b in batches), tally)

    def _read_window(
        self, q: LokiQuery, start: int, end: int, recent: dict[str, int], tally: PollTally, events: QueryEvents
    ) -> tuple[list[Event[Entry]], int, FetchError | ValueError | None]:
        """Page through ``[start, end)`` (at most ``tally.budget`` new events); returns (the events finished,
        how far it is read, the failure that stopped it), its hosts, notes and request times counted in
        ``tally``. Each new entry goes to its stream's folder in ``events`` and its key to ``recent``.

        "Read to t" means every entry before t has been seen: ``end`` when the window is done, else the
        timestamp of the last page's last entry (entries at that very timestamp may continue). A failure on
        the first page is raised (nothing taken); on a later page it is returned with the rows and the point
        the pages before it reached, so they are stored and checkpointed before it is raised: the entries
        they took are in ``recent``, and would otherwise be skipped as seen without ever being stored.
        """
        rows: list[Event[Entry]] = []
        page_start = start
        s = self.settings

        def take(entries: list, lo: int, hi: int) -> None:
            for ts, labels, line in entries:
                if not lo <= ts < hi:
                    continue  # some Loki versions return entries just outside the range asked for
                k = entry_key(labels, ts, line)
                if k in recent:
                    continue
                recent[k] = ts
                tally.hosts.add(self._host(q, labels))
                rows.extend(events.feed(ts, k, labels, line))

        def fetch(lo: int, hi: int, limit: int) -> list:
            params = {"query": q.query, "start": str(lo), "end": str(hi), "limit": str(limit), "direction": "forward"}
            r = self.client.get_json("/loki/api/v1/query_range", params)
            tally.took(r.elapsed)
            warnings = r.data.get("warnings") if isinstance(r.data, dict) else None
            if warnings:
                tally.notes.append(f"Loki warned: {'; '.join(map(str, warnings))[:200]}")
            return stream_entries(r.data)

        while True:
            try:
                entries = fetch(page_start, end, s.limit)
            except (FetchError, ValueError) as exc:
                if page_start == start:
                    raise
                return rows, page_start, exc
            take(entries, page_start, end)
            if len(entries) < s.limit:
                return rows, end, None
            last_ts = entries[-1][0]
            if entries[0][0] == last_ts:
                # A whole page at one instant: at least `limit` lines share that nanosecond, and paging by time
                # cannot get past them. Read that nanosecond alone, with Loki's largest page, and move on.
                try:
                    burst = fetch(last_ts, last_ts + 1, LOKI_MAX_ENTRIES)
                except (FetchError, ValueError) as exc:
                    return rows, last_ts, exc  # every entry before that instant is taken
                take(burst, last_ts, last_ts + 1)
                if len(burst) >= LOKI_MAX_ENTRIES:
                    tally.notes.append(
                        f"more than {LOKI_MAX_ENTRIES} lines at one instant in {q.query!r}: some skipped"
                    )
                last_ts += 1
            page_start = last_ts
            if len(rows) >= tally.budget:
                return rows, last_ts, None

    def _with_context(
        self, q: LokiQuery, events: list[Event[Entry]], end: int | None, tally: PollTally
    ) -> list[Event[Entry]]:
        """``events`` with their context read from their streams when ``q`` filters lines
        (:mod:`~analytics.sources.fleet.loki_context`; ``end``: Loki has the lines before it). The rows are
        never held back for their context: the errors no read was made for (the poll's reads used up, or a
        read failed) are stored as they are and wait for it (:meth:`_read_waiting`)."""
        if not events or q.context_selector is None:
            return events
        reads, left = plan(events, end, self._context_reads)
        events, made = self._read_contexts(events, reads, tally)
        left += [i for rd in reads[len(made) :] for i in rd.wanted]
        self._waiting.add([Waiting.of(events[i], self._row(q, events[i])) for i in sorted(left)])
        return events

    def _read_waiting(self, batches: list[Batch], tally: PollTally, read_to: int, server_now: int) -> None:
        """Read the context of the errors waiting for it, oldest first, with this poll's reads: the context
        found goes onto their stored rows. Those older than ``backfill`` (Loki's clock) go without."""
        self._waiting.expire(server_now - int(self.settings.backfill * NS))
        items = self._waiting.ready(read_to)
        if not items or self._context_reads <= 0:
            return
        events = [w.event() for w in items]
        reads, _left = plan(events, read_to, self._context_reads)
        events, made = self._read_contexts(events, reads, tally)
        done = [items[i] for rd in made for i in rd.wanted]
        updates = [
            update_row(items[i], events[i][4], self.source_tag, _ts(items[i].ts))
            for rd in made
            for i in rd.wanted
            if events[i][4]
        ]
        self._waiting.done(done)
        if updates:
            batches.append(Batch(source=self.name, contexts=updates))

    def _read_contexts(
        self, events: list[Event[Entry]], reads: list[ContextRead], tally: PollTally
    ) -> tuple[list[Event[Entry]], list[ContextRead]]:
        """Make ``reads`` in order (each a read of one stream without the query's filters) and attach what they
        find to ``events``; returns those events and the reads made. A read that fails ends this poll's reads."""
        made: list[ContextRead] = []
        for rd in reads:
            if self._context_reads <= 0:
                break
            self._context_reads -= 1
            params = {
                "query": stream_selector(rd.labels),
                "start": str(rd.start),
                "end": str(rd.end),
                "limit": str(self.settings.limit),
                "direction": "forward",
            }
            try:
                r = self.client.get_json("/loki/api/v1/query_range", params)
                tally.took(r.elapsed)
                events = attach(events, rd, stream_entries(r.data))
            except (FetchError, ValueError) as exc:
                tally.notes.append(f"an error's context not read: {str(exc)[:160]}")
                self._context_reads = 0
                break
            made.append(rd)
        return events, made

    def _host(self, q: LokiQuery, labels: dict[str, str]) -> str:
        return pick_host(labels, q.host_labels, self._fallback_host)

    def _row(self, q: LokiQuery, event: Event[Entry]) -> dict[str, Any]:
        """The error row of one event: the stream and time of the entry that began it, its text, its context."""
        text, first, _exc, e, context = event
        cap = self.settings.max_line
        msg = text if len(text) <= cap else text[:cap] + f" …[{len(text) - cap} chars cut]"
        return {
            "ts": _ts(e.ts),
            "host": self._host(q, e.labels),
            "component": fill(q.component, e.labels) or q.component,
            "message": msg,
            "level": line_level(e.labels, first),
            "source": self.source_tag,
            "context": context or None,
        }


def from_config(source: Any, config: Any = None, where: str | None = None) -> LokiSource:
    """The collector's factory (``analytics.collect.wiring.build_sources``): a source from a ``[[sources]]`` entry."""
    return build(LokiSettings, LokiSource, source, config, where)
