"""A Loki query's entries folded into events, one log per stream, by the rules a tailed file follows.

Each stream a query returns (its labels) is one log: its entries go, in order, through a
:class:`~analytics.patterns.multiline.MultilineFolder` of its own — the folder that reads a file — so what
PostgreSQL writes with an error under the same stamp and process (``DETAIL:  …``, ``STATEMENT:  …``, a
query going on over unstamped lines) becomes the event's context, and a traceback shipped line by line is
one event, as when the file is read.

The folder keeps a stream's last event open: the next entry may still belong to it, and that entry may
come in the next query window (the error the last entry of one poll, its ``DETAIL`` the first of the
next). Whether it belongs is decided by the stream's order and the folder's rules — the stream's next
entry either continues the event (an annotation under the same stamp, an unstamped line) or starts the
next one — within a bounded gap: an entry more than :data:`CONTEXT_GAP_NS` (Loki time) after the event's
last entry never joins it, so what is joined does not depend on where a query window ends. An open event
is *held* until one of these:

* a later entry of its stream starts the next event (or comes more than the gap after it);
* the query has been read :data:`CONTEXT_GAP_NS` past the event's last entry (nothing can join it
  any more), which at the default ``lag`` and ``interval`` is at most one poll later;
* it has been held :data:`MAX_HOLD_SECONDS` (the server is unreachable: the event is not delayed for ever);
* the read start (what a restart would read again from) passes it;
* the collector's final poll.

While events are held, the checkpoint stored with a poll's rows leaves their entries out of the entries
already taken and does not pass their first entry (:meth:`QueryEvents.held`), so a collector killed while
holding reads them again, whole, and folds them as it would have: nothing lost, nothing stored twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from analytics.patterns.multiline import Event, MultilineFolder

NS = 1_000_000_000
#: The longest gap (Loki time) between an event's last entry and the next entry of its stream that may
#: still join it; an open event is held until the query has been read this far past its last entry. Loki's
#: timestamp is the shipper's, often taken when it read the line, so lines one server wrote together (an
#: error and its DETAIL, in one write) can be stamped seconds apart when the shipper reads behind. Waiting
#: costs nothing for a stream that goes on (its next entry decides at once) and delays an error that ends
#: a quiet stream; 10 s keeps that to one poll at the default lag (10 s) and interval (15 s), five times
#: the 2 s that was too short, and well inside the default 60 s overlap a restart reads again.
CONTEXT_GAP_NS = 10 * NS
#: an open event is emitted after this long (wall seconds), however the reads go
MAX_HOLD_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Entry:
    """One Loki entry fed to a stream's folder (an event's ``start`` is the entry that began it)."""

    ts: int
    key: str
    labels: dict[str, str]
    line: str
    seq: int


@dataclass
class _Stream:
    folder: MultilineFolder[Entry] = field(default_factory=MultilineFolder)
    fed: list[Entry] = field(default_factory=list)  # the entries of the open event (first one first)
    opened_at: float = 0.0  # when the open event began (monotonic)


class QueryEvents:
    """The streams of one query, each folded as one log."""

    def __init__(self) -> None:
        self._streams: dict[tuple[tuple[str, str], ...], _Stream] = {}
        self._seq = 0

    def feed(self, ts: int, key: str, labels: dict[str, str], line: str) -> list[Event[Entry]]:
        """Take one entry of a stream (in the stream's order); returns the events it finished."""
        sid = tuple(sorted(labels.items()))  # the stream: its labels
        s = self._streams.get(sid)
        if s is None:
            s = self._streams[sid] = _Stream()
        self._seq += 1
        entry = Entry(ts, key, labels, line, self._seq)
        out: list[Event[Entry]] = []
        if s.folder.pending and s.fed and ts - s.fed[-1].ts > CONTEXT_GAP_NS:
            out += s.folder.flush()  # too long after the open event to be part of it, whatever its text says
            s.fed = []
        before = s.folder.pending_start
        out += s.folder.feed_lines((line,), (entry,))
        start = s.folder.pending_start
        if start is not before:
            s.opened_at = time.monotonic()
        s.fed.append(entry)
        if out:  # the open event's entries are those from its first on (an exception line held with it too)
            s.fed = [e for e in s.fed if start is not None and e.seq >= start.seq]
        return out

    def release(self, read_to: int, floor: int, *, final: bool = False) -> list[Event[Entry]]:
        """The held events that may wait no longer: the query is read to ``read_to`` (every entry before it
        has been fed), ``floor`` is where a restart would read from; ``final``: all of them."""
        out: list[Event[Entry]] = []
        mono = time.monotonic()
        for sid, s in list(self._streams.items()):
            start = s.folder.pending_start
            if start is not None and (
                final
                or read_to > s.fed[-1].ts + CONTEXT_GAP_NS
                or start.ts < floor
                or mono - s.opened_at >= MAX_HOLD_SECONDS
            ):
                out += s.folder.flush()
                start = None
            if start is None:
                del self._streams[sid]  # nothing held: a stream that ends costs nothing
        return out

    def held(self) -> tuple[int | None, set[str]]:
        """Where the held events begin (the earliest first entry, None when none is held) and the keys of
        every entry they took (a checkpoint leaves them out, so a restart reads them again)."""
        first: int | None = None
        keys: set[str] = set()
        for s in self._streams.values():
            start = s.folder.pending_start
            if start is None:
                continue
            first = start.ts if first is None else min(first, start.ts)
            keys.update(e.key for e in s.fed)
        return first, keys

    @property
    def holding(self) -> bool:
        return any(s.folder.pending for s in self._streams.values())
