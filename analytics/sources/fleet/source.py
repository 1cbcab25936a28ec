"""What the fleet sources (Prometheus, Loki) share: health with back-off, the status record stored with
each poll's checkpoints, a pull that keeps the work done before a failure, what one poll gathers as it
reads (:class:`PollTally`), and the state a poll ends in."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from analytics.sources.base import BaseSource, Batch, SourceStatus
from analytics.sources.fleet.client import FetchError, HttpClient
from analytics.sources.fleet.status import (
    CLIENT,
    PARTIAL,
    SLOW,
    STATUS_KEY,
    UP,
    FleetHealth,
    as_source_status,
    from_epoch,
)

log = logging.getLogger("lokifi.sources")


@dataclass
class PollTally:
    """What one poll gathers while it reads its queries: the rows it may still read, the hosts seen, notes
    for the status line, the queries the server refused, its slowest request and whether an answer was
    partial. :meth:`FleetSource._finish` turns it into the poll's state."""

    budget: int
    hosts: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    slowest: float = 0.0
    partial: bool = False

    def took(self, seconds: float) -> None:
        self.slowest = max(self.slowest, seconds)

    def refused(self, exc: FetchError, query: str) -> bool:
        """A query the server refused as bad (400, 422) is noted, so the other queries still run."""
        if exc.kind == CLIENT and exc.status in (400, 422):
            self.bad.append(f"query {query!r}: {exc}")
            return True
        return False


class FleetSource(BaseSource):
    """A source pulling from a fleet server over HTTP. Subclasses set ``kind`` and implement
    :meth:`_pull`, which appends batches as it goes (what it read before a failure is kept)."""

    kind = "fleet"
    durable_upstream = True

    def __init__(self, settings: Any, client: HttpClient) -> None:
        super().__init__(settings.name, settings.interval)
        self.settings = settings
        self.client = client
        self.health = FleetHealth(kind=self.kind)
        self._more = False
        self.source_tag = f"{self.kind}:{settings.name}"

    @property
    def has_more(self) -> bool:
        return self._more

    def close(self) -> None:
        self.client.close()

    def start(self, checkpoints: dict[str, str]) -> None:
        """The stored status record, then each query's checkpoint (an unreadable one is skipped: that query
        reads from its backfill again)."""
        for key, raw in checkpoints.items():
            if key == STATUS_KEY:
                self.health = FleetHealth.from_json(raw, self.kind)
                continue
            try:
                self._resume(key, raw)
            except (ValueError, TypeError, KeyError, IndexError):
                continue

    def _resume(self, key: str, raw: str) -> None:
        """Take up one query's checkpoint (``ValueError``, ``TypeError``, ``KeyError``, ``IndexError``:
        unreadable)."""
        raise NotImplementedError

    def status(self) -> SourceStatus:
        return as_source_status(self.name, self.kind, super().status(), self.health, time.time())

    def poll(self, now: dt.datetime) -> list[Batch]:
        wall = time.time()
        self._more = False
        if not self.health.due(wall):
            return []
        batches: list[Batch] = []
        try:
            self._pull(batches, wall)
        except FetchError as exc:
            self._failed(now, wall, exc.kind, str(exc))
        except ValueError as exc:
            self._failed(now, wall, PARTIAL, f"{self.settings.http.base_url}: {exc}")
        return self._with_status(batches)

    def _pull(self, batches: list[Batch], wall: float) -> None:
        raise NotImplementedError

    def _finish(self, wall: float, rows: int, tally: PollTally) -> None:
        """Record a poll that reached the server: its state (a refused query first, then a partial answer,
        then slowness), the hosts seen, the rows read and the first notes."""
        state = UP
        notes = tally.notes
        if tally.bad:
            state = CLIENT
            notes = tally.bad + notes
        elif tally.partial:
            state = PARTIAL
        elif tally.slowest > self.client.slow_after:
            state = SLOW
            notes.insert(0, f"slow: a query took {tally.slowest:.1f}s")
        if tally.hosts:
            self.health.hosts = sorted(tally.hosts)
        self.health.rows_last = rows
        self.health.notes = notes[:5]
        msg = "; ".join(notes[:3])
        self.health.succeeded(wall, state, msg)
        self.ok(from_epoch(wall), rows, msg)

    def _failed(self, now: dt.datetime, wall: float, kind: str, message: str) -> None:
        self.health.failed(wall, kind, message, self.settings.interval, self.settings.max_backoff)
        self.fail(now, message)

    def _with_status(self, batches: list[Batch]) -> list[Batch]:
        """Attach the status record to the last batch (or a batch of its own), so it is stored too."""
        text = self.health.to_json()
        if batches:
            batches[-1].checkpoints[STATUS_KEY] = text
        else:
            batches.append(Batch(source=self.name, checkpoints={STATUS_KEY: text}))
        return batches


def build(settings_cls: Any, source_cls: Any, source: Any, config: Any = None, where: str | None = None) -> Any:
    """The collector's factory for a fleet source (``analytics.collect.wiring.build_sources``): its settings
    from a ``[[sources]]`` entry (problems logged as warnings), then the source."""
    settings = settings_cls.from_config(source, where or _where(source, config))
    for problem in settings.problems:
        log.warning(problem)
    return source_cls(settings)


def _where(source: Any, config: Any) -> str:
    for i, s in enumerate(getattr(config, "sources", ()) or ()):
        if s is source:
            return f"sources[{i}] ({getattr(source, 'name', '?')})"
    return f"sources ({getattr(source, 'name', None) or (source.get('name') if isinstance(source, dict) else '?')})"
