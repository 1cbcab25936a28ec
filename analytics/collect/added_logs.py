"""The recent past of a log a reload added: read before the log is tailed, as far back as backfill reads.

A collector that starts follows its logs from their end, and ``lokifi backfill`` (or the dashboard's
first start) reads what they already hold, the last :data:`HISTORY_DAYS` days. A log added to the config
while the collector runs (a component's ``logs``, a ``[watch] log_dirs`` directory) gets both: its last
:data:`HISTORY_DAYS` days — rotated and compressed copies included, every line at its own time — are read
by :func:`analytics.collect.backfill.backfill`, limited to the logs the reload added, in a thread beside
the loop (vitals, probes and the other logs keep going). The tail starts once that is done, where backfill
handed each file over, so no line is read twice or skipped, and whatever the file grows by meanwhile is
the tail's. The systemd journal turned on by a reload (``[watch] journal``) is read the same way: its
error entries of the last :data:`HISTORY_DAYS` days (:func:`analytics.sources.journal.backfill_journal`,
which stores the cursor after them), then the journal source starts from that cursor.

Only a writing collector does this, and only for logs (and the journal) it has not followed yet: one
taken out of the config and put back goes on from its stored position. A stop (or a hand-over to ``lokifi collect``)
interrupts the reading between two blocks (the journal's at once: journalctl is killed); each file read is
stored in one transaction, each batch of journal entries with the cursor after it, and ``lokifi backfill``
reads the rest.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable
from typing import Any

log = logging.getLogger("lokifi.collector")

#: How far back the history of an added log is read: ``lokifi backfill``'s default, and the first start's.
HISTORY_DAYS = 7.0


class _Stopped(Exception):
    """The collector is stopping: the history is left to ``lokifi backfill``."""


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def tailed(sources: Iterable[Any]) -> list[Any]:
    """The log specs (:class:`analytics.sources.tail.LogSpec`) the tail sources among ``sources`` follow."""
    return [spec for s in sources if getattr(s, "kind", "") == "tail" for spec in s.specs]


def _journal(sources: Iterable[Any]) -> bool:
    """Whether ``sources`` read the systemd journal."""
    return any(getattr(s, "kind", "") == "journal" for s in sources)


def _holds_anything(specs: list[Any]) -> bool:
    """Whether the files of ``specs`` (with their rotated copies) hold a byte."""
    from analytics.collect.backfill_plan import plan

    return any(p.size for p in plan(specs))


class AddedLogs:
    """The logs a collector has followed, and the reading of the history of those a reload adds."""

    def __init__(self, stop: threading.Event) -> None:
        self.seen: set[str] = set()  # the configured paths (files or globs) followed or being read
        self.journal_seen = False  # the journal followed or being read
        self.events = 0  # error events the last reading stored (the collector learns them soon)
        self._stop = stop
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        """A reading is in progress."""
        return self._thread is not None and self._thread.is_alive()

    def follow(self, sources: Iterable[Any]) -> None:
        """``sources`` run: their logs are not new any more."""
        self.seen.update(spec.path for spec in tailed(sources))
        self.journal_seen = self.journal_seen or _journal(sources)

    def reading(self, store: Any, config: Any, host: str, fresh: Iterable[Any]) -> bool:
        """True while the history of logs new to this collector is being read (the tail waits for it):
        started here for those of ``fresh`` (the sources a reload built) not followed yet."""
        if self._thread is not None:
            if self._thread.is_alive():
                return True
            self._thread = None
        fresh = list(fresh)
        added = [spec for spec in tailed(fresh) if spec.path not in self.seen]
        self.seen.update(spec.path for spec in added)
        journal = not self.journal_seen and _journal(fresh)
        self.journal_seen = self.journal_seen or journal
        if added and not _holds_anything(added):
            added = []
        if not added and not journal:
            return False  # nothing to read: followed at once
        if added:
            log.info(
                "reading the last %g days of the added logs before following them: %s",
                HISTORY_DAYS,
                ", ".join([*(spec.path for spec in added), *(["the systemd journal"] if journal else [])]),
            )
        else:
            log.info("reading the last %g days of the systemd journal before following it", HISTORY_DAYS)
        self.events = 0
        self._thread = threading.Thread(
            target=self._read, args=(store, config, host, added, journal), name="lokifi-history", daemon=True
        )
        self._thread.start()
        return True

    def halt(self, timeout: float = 30.0) -> None:
        """Stop a reading in progress (the collector is closing or handing the database over): it ends
        between two blocks, what it stored stays."""
        if self._thread is not None:
            self._halt.set()
            self._thread.join(timeout)
            self._halt.clear()

    def _stopping(self) -> bool:
        return self._stop.is_set() or self._halt.is_set()

    def _progress(self, done: int, total: int, path: str) -> None:
        if self._stopping():
            raise _Stopped

    def _read(self, store: Any, config: Any, host: str, specs: list[Any], journal: bool = False) -> None:
        from analytics.collect.backfill import Report, backfill

        if journal:
            self._read_journal(store, host)
        if not specs or self._stopping():
            return
        try:
            rep: Report = backfill(store, config, days=HISTORY_DAYS, host=host, specs=specs, progress=self._progress)
        except _Stopped:
            log.info("stopped reading the added logs' history; `lokifi backfill` reads the rest")
            return
        except Exception as exc:  # noqa: BLE001 - the logs are followed all the same
            log.warning("the added logs' history was not read (%s); `lokifi backfill` reads it", exc)
            return
        read = [f for f in rep.files if f.kind != "skipped"]
        log.info(
            "read the added logs' history: %s from %s, %s, %s",
            _count(rep.lines, "line"),
            _count(len(read), "file"),
            _count(rep.events, "error event"),
            _count(rep.metric_rows, "metric row"),
        )
        for problem in rep.problems[:5]:
            log.warning("added logs' history: %s", problem)
        self.events += rep.events

    def _read_journal(self, store: Any, host: str) -> None:
        """The journal's error entries of the last :data:`HISTORY_DAYS` days not stored yet, and the cursor
        after them (the journal source, not running yet, goes on from it): what ``lokifi backfill`` reads."""
        from analytics.sources.journal import Stopped, backfill_journal

        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        since = (now - dt.timedelta(days=HISTORY_DAYS)).replace(second=0, microsecond=0)  # as backfill's cutoff
        try:
            n, problem = backfill_journal(store, host, since, stop=self._stopping)
        except Stopped:
            log.info("stopped reading the journal's history; `lokifi backfill` reads the rest")
            return
        except Exception as exc:  # noqa: BLE001 - the journal is followed all the same
            n, problem = 0, str(exc)
        if problem:
            log.warning("the journal's history: %s", problem)
        log.info("read the journal's history: %s", _count(n, "error event"))
        self.events += n
