"""The context of an error a Loki query with line filters returned, read from its stream without them.

A query such as ``{job="postgres"} |= "ERROR"`` returns the error lines only: the lines the server wrote
with an error (PostgreSQL's ``DETAIL:  …``, ``STATEMENT:  …``; a traceback's frames) do not match the
filter, so folding what the query returns gives no context. When the query is a stream selector followed
by line filters alone (``|=``, ``!=``, ``|~``, ``!~``, ``|>``, ``!>``), the errors it gave that have no
context are looked up in their own stream: one read per stream (its labels as the selector, no filter)
from its first error to :data:`~analytics.sources.fleet.loki_events.CONTEXT_GAP_NS` after its last, those
lines folded as the stream's log (:class:`~analytics.sources.fleet.loki_events.QueryEvents`), and each
error whose entry begins an event there takes that event's text, exception and context.

Bounded: errors of one stream further apart than :data:`CONTEXT_SPAN_NS` are read apart, and at most
:data:`CONTEXT_REQUESTS` reads are made a poll, oldest errors first; the errors left over are stored without
their context and wait for it (:mod:`~analytics.sources.fleet.loki_waiting`): later polls read it with the
reads they have left, and write it onto the stored rows. A query with other stages (a parser,
``line_format``, label filters) is not looked up: its lines and labels need not be the stream's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from analytics.patterns.multiline import Event
from analytics.sources.fleet.loki_events import CONTEXT_GAP_NS, Entry, QueryEvents

NS = 1_000_000_000
#: Context reads a poll, at most: each is one stream over a few seconds, so a handful cost the server little
#: next to the poll's own query, and one poll of a fleet in trouble does not turn into a read per host.
CONTEXT_REQUESTS = 4
#: The errors of one stream read together span at most this (plus the gap after the last): a read covers
#: the stream's lines between them too, and a minute of one stream stays well inside a page.
CONTEXT_SPAN_NS = 60 * NS

_LINE_FILTER = re.compile(r'\s*(?:\|=|!=|\|~|!~|\|>|!>)\s*(?:"(?:[^"\\]|\\.)*"|`[^`]*`)')


def context_selector(query: str) -> str | None:
    """The stream selector of ``query`` when the rest of it is one or more line filters, else None."""
    q = query.strip()
    if not q.startswith("{"):
        return None
    quote = ""
    end = -1
    i = 1
    while i < len(q):
        c = q[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = ""
        elif c in '"`':
            quote = c
        elif c == "}":
            end = i
            break
        i += 1
    if end < 0:
        return None
    rest, pos = q[end + 1 :], 0
    if not rest.strip():
        return None  # no filter: the query returns the context itself
    while rest[pos:].strip():
        m = _LINE_FILTER.match(rest, pos)
        if not m:
            return None
        pos = m.end()
    return q[: end + 1]


def stream_selector(labels: dict[str, str]) -> str:
    """The selector of exactly one stream's labels (LogQL strings are Go strings: JSON escapes read alike)."""
    return "{" + ",".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in sorted(labels.items())) + "}"


@dataclass
class ContextRead:
    """One read: a stream (its labels) over ``[start, end)``, for the errors found at ``wanted``."""

    labels: dict[str, str]
    start: int
    end: int
    wanted: list[int]  # indexes into the events


def plan(events: list[Event[Entry]], end: int | None, budget: int) -> tuple[list[ContextRead], list[int]]:
    """The reads that look up the context of ``events`` that have none, oldest first (at most ``budget``;
    ``end``: the lines before it are in Loki, None: up to the gap), and the events left without a read."""
    by_stream: dict[tuple[tuple[str, str], ...], list[int]] = {}
    for i, (_text, _first, exc, start, context) in enumerate(events):
        if not context and exc is None:
            by_stream.setdefault(tuple(sorted(start.labels.items())), []).append(i)
    groups: list[list[int]] = []
    for idxs in by_stream.values():
        idxs.sort(key=lambda i: events[i][3].ts)
        group: list[int] = []
        for i in [*idxs, -1]:
            ts = events[i][3].ts if i >= 0 else None
            if group and (ts is None or ts - events[group[0]][3].ts > CONTEXT_SPAN_NS):
                groups.append(group)
                group = []
            if i >= 0:
                group.append(i)
    groups.sort(key=lambda g: events[g[0]][3].ts)
    budget = max(budget, 0)
    reads: list[ContextRead] = []
    for group in groups[:budget]:
        first, last = events[group[0]][3], events[group[-1]][3]
        hi = last.ts + CONTEXT_GAP_NS + 1
        reads.append(ContextRead(first.labels, first.ts, hi if end is None else min(hi, end), group))
    return reads, [i for g in groups[budget:] for i in g]


def attach(
    events: list[Event[Entry]], read: ContextRead, entries: list[tuple[int, dict[str, str], str]]
) -> list[Event[Entry]]:
    """``events`` with those ``read`` was for replaced by the event their entry begins in ``entries`` (the
    stream's lines, in order), folded as a log; an error whose entry begins no event there stays as it is."""
    folded = QueryEvents()
    out: list[Event[Entry]] = []
    for n, (ts, labels, line) in enumerate(entries):
        if labels == read.labels and read.start <= ts < read.end:
            out += folded.feed(ts, str(n), labels, line)
    out += folded.release(-1, -1, final=True)
    by_start = {(e[3].ts, e[3].line): e for e in out}
    result = list(events)
    for i in read.wanted:
        _text, first, _exc, start, _ctx = events[i]
        found = by_start.get((start.ts, start.line))
        if found is not None and found[1] == first:
            result[i] = (found[0], first, found[2], start, found[4])
    return result
