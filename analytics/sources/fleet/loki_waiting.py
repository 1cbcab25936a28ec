"""The errors still waiting for their context: a queue kept in the store with the rows it refers to.

An error of a query with line filters whose context a poll did not read (more errors than
:data:`~analytics.sources.fleet.loki_context.CONTEXT_REQUESTS` reads cover, or an error released while Loki
was unreachable) is stored at once without it and queued here: its entry (stream labels, timestamp, line,
as :func:`~analytics.sources.fleet.loki_context.plan` and
:func:`~analytics.sources.fleet.loki_context.attach` take it) and its stored row (time, host, component,
message). Later polls read the queue's context with the reads the poll has left, oldest first, and the
context found is written onto the stored row, and onto the pattern samples copied from it meanwhile
(:func:`analytics.store.metrics.write_collected`). The queue is a checkpoint of the source (key :data:`KEY`),
written in the same transaction as the rows it refers to, so a restart keeps it and never queues a row
that was not stored.

An error waits until its context is read (a read that finds none also ends its wait), or until it is
older than the source's ``backfill`` on Loki's clock — the furthest back the source ever reads, so what it
relies on Loki still holding — or until more than :data:`MAX_WAITING` errors wait (the oldest go first).
Those count as errors that went without their context.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from analytics.patterns.multiline import Event
from analytics.sources.fleet.loki_events import CONTEXT_GAP_NS, Entry

#: the checkpoint key of the queue
KEY = "context-waiting"
#: At most this many errors wait (a few hundred bytes each in the checkpoint); beyond, the oldest go without.
MAX_WAITING = 1000


@dataclass(frozen=True)
class Waiting:
    """One error waiting: its entry in Loki and the row stored for it."""

    ts: int  # the entry's Loki timestamp (ns)
    labels: dict[str, str]
    line: str  # the entry's line
    first: str  # the event's first line
    host: str
    component: str
    message: str

    @classmethod
    def of(cls, event: Event[Entry], row: dict[str, Any]) -> Waiting:
        """``event``, stored as ``row`` without its context, as it waits for it."""
        e = event[3]
        return cls(e.ts, e.labels, e.line, event[1], row["host"], row["component"], row["message"])

    @property
    def ident(self) -> tuple[int, str, str]:
        return (self.ts, json.dumps(self.labels, sort_keys=True), self.line)

    def event(self) -> Event[Entry]:
        """The error as the event :func:`~analytics.sources.fleet.loki_context.plan` reads (no context yet)."""
        return (self.message, self.first, None, Entry(self.ts, "", self.labels, self.line, 0), "")

    def to_list(self) -> list[Any]:
        same = [self.first == self.line, self.message == self.line]
        return [
            str(self.ts),
            self.labels,
            self.line,
            None if same[0] else self.first,
            self.host,
            self.component,
            None if same[1] else self.message,
        ]

    @classmethod
    def from_list(cls, raw: list[Any]) -> Waiting:
        ts, labels, line, first, host, component, message = raw
        return cls(
            int(ts),
            {str(k): str(v) for k, v in dict(labels).items()},
            str(line),
            str(line if first is None else first),
            str(host),
            str(component),
            str(line if message is None else message),
        )


class ContextQueue:
    """The waiting errors, oldest first, and how many went without their context."""

    def __init__(self) -> None:
        self.items: list[Waiting] = []
        self.went_without = 0
        self.dirty = False  # changed since the checkpoint was last handed out

    def __len__(self) -> int:
        return len(self.items)

    def add(self, items: list[Waiting]) -> None:
        if not items:
            return
        have = {w.ident for w in self.items}
        self.items += [w for w in items if w.ident not in have]
        self.items.sort(key=lambda w: w.ts)
        over = len(self.items) - MAX_WAITING
        if over > 0:
            del self.items[:over]
            self.went_without += over
        self.dirty = True

    def expire(self, oldest: int) -> int:
        """Drop the errors before ``oldest`` (Loki time): their context is no longer to be read."""
        keep = [w for w in self.items if w.ts >= oldest]
        gone = len(self.items) - len(keep)
        if gone:
            self.items = keep
            self.went_without += gone
            self.dirty = True
        return gone

    def ready(self, read_to: int) -> list[Waiting]:
        """The errors whose context Loki has whole (read ``CONTEXT_GAP_NS`` past them), oldest first."""
        return [w for w in self.items if w.ts + CONTEXT_GAP_NS < read_to]

    def done(self, items: list[Waiting]) -> None:
        gone = {w.ident for w in items}
        if gone:
            self.items = [w for w in self.items if w.ident not in gone]
            self.dirty = True

    def to_json(self) -> str:
        self.dirty = False
        body = {"without": self.went_without, "waiting": [w.to_list() for w in self.items]}
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ContextQueue:
        raw = json.loads(text)
        q = cls()
        q.went_without = int(raw.get("without", 0))
        q.items = sorted((Waiting.from_list(r) for r in raw.get("waiting") or []), key=lambda w: w.ts)
        return q

    def note(self) -> str | None:
        """What the status says of the queue (None when nothing waits and nothing went without)."""
        parts = []
        if self.items:
            n = len(self.items)
            parts.append(f"{n} error waiting for its context" if n == 1 else f"{n} errors waiting for their context")
        if self.went_without:
            n = self.went_without
            parts.append(f"{n} error went without it" if n == 1 else f"{n} errors went without it")
        return ", ".join(parts) or None


def update_row(w: Waiting, context: str, source: str, ts: Any) -> dict[str, Any]:
    """The context update of the stored row of ``w`` (``ts``: the row's time as stored)."""
    return {
        "ts": ts,
        "host": w.host,
        "component": w.component,
        "message": w.message,
        "source": source,
        "context": context,
    }
