"""The systemd journal: its error entries (priority err and worse) as error events of their unit.

Read with ``journalctl -o json`` (read-only; the journal's own cursor is the checkpoint, stored with the
rows in one transaction, so nothing is read twice across restarts or between ``lokifi backfill`` and the
collector). A second checkpoint keeps the time reading started from, so a later ``lokifi backfill`` with
a larger ``--days`` reads the older part it has not read (``[since, read_from)``, in one transaction);
with a collector running, backfill reads only that part. Each entry's component is its unit
(``nginx.service`` -> ``nginx``), else its syslog identifier; its time is the entry's own
``__REALTIME_TIMESTAMP``. Turned on by ``[watch] journal = true`` (``lokifi config init`` proposes it
when the journal can be read).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from analytics.sources.base import BaseSource, Batch

if TYPE_CHECKING:
    import polars as pl

    from analytics.store.database import Store

NAME = "journal"
CURSOR_KEY = "cursor"
#: the time the stored entries were read from (ISO, naive UTC), or FROM_BEGINNING
READ_FROM_KEY = "read_from"
FROM_BEGINNING = "beginning"
#: journal priorities kept: 0 emerg .. 3 err
MAX_PRIORITY = 3
LEVELS = {0: "EMERG", 1: "ALERT", 2: "CRITICAL", 3: "ERROR"}
MAX_MESSAGE = 16384
#: entries read per call; the rest comes on the next poll
MAX_ENTRIES = 20000


class JournalError(Exception):
    """journalctl is missing or failed (the message says which and why)."""


class Stopped(Exception):
    """Reading was stopped (the collector is stopping): journalctl killed, nothing more written."""


#: how often a reading that can be stopped looks whether it should stop, while journalctl runs
STOP_CHECK_SECONDS = 0.1


def _run(cmd: list[str], timeout: float, stop: Callable[[], bool] | None) -> subprocess.CompletedProcess[bytes]:
    """``subprocess.run`` of ``cmd``; with ``stop``, journalctl is killed and :class:`Stopped` raised as
    soon as ``stop()`` says so."""
    if stop is None:
        return subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    end = time.monotonic() + timeout
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL) as p:
        while True:
            if stop():
                p.kill()
                p.communicate()
                raise Stopped
            try:  # (waiting again after a timeout loses no output)
                out, err = p.communicate(timeout=max(0.0, min(STOP_CHECK_SECONDS, end - time.monotonic())))
            except subprocess.TimeoutExpired:
                if time.monotonic() >= end:
                    p.kill()
                    p.communicate()
                    raise
                continue
            return subprocess.CompletedProcess(cmd, p.returncode, out, err)


def journalctl() -> str | None:
    return shutil.which("journalctl")


def _text(v: Any) -> str:
    if isinstance(v, list):  # binary fields come as a list of byte values
        try:
            return bytes(int(x) & 0xFF for x in v).decode("utf-8", "replace")
        except (TypeError, ValueError):
            return ""
    return "" if v is None else str(v)


def _epoch(t: dt.datetime) -> int:
    return int(t.replace(tzinfo=dt.UTC).timestamp())


@dataclass(frozen=True)
class Read:
    """One call of journalctl: the entries kept, the cursor of the last entry it printed (kept or not:
    reading goes on after it), and whether it printed as many as asked (more may follow)."""

    rows: list[dict[str, Any]]
    cursor: str | None
    full: bool


def read(
    cursor: str | None,
    since: dt.datetime | None,
    limit: int = MAX_ENTRIES,
    timeout: float = 120.0,
    until: dt.datetime | None = None,
    stop: Callable[[], bool] | None = None,
) -> Read:
    """The error entries after ``cursor`` (or since ``since``, naive UTC), before ``until`` when given,
    oldest first, as event rows. Without ``cursor`` or ``since``, journalctl prints the newest ``limit``.
    ``stop``: checked while journalctl runs (:class:`Stopped` when it says so)."""
    exe = journalctl()
    if exe is None:
        raise JournalError("journalctl is not installed; the journal cannot be read")
    cmd = [exe, "-o", "json", "--no-pager", "-q", f"--priority={MAX_PRIORITY}", "-n", str(limit)]
    if cursor:
        cmd += ["--after-cursor", cursor]
    elif since is not None:
        cmd += [f"--since=@{_epoch(since)}"]
    if until is not None:
        cmd += [f"--until=@{_epoch(until) + 1}"]  # whole seconds; the entries at or after ``until`` are left
    try:
        r = _run(cmd, timeout, stop)
    except (OSError, subprocess.SubprocessError) as exc:
        raise JournalError(f"journalctl failed: {exc}") from exc
    if r.returncode != 0:
        err = r.stderr.decode("utf-8", "replace").strip().splitlines()
        raise JournalError(f"journalctl exited {r.returncode}: {err[-1] if err else 'no message'}")
    lines = r.stdout.splitlines()
    rows: list[dict[str, Any]] = []
    last = None
    for raw in lines:
        try:
            e = json.loads(raw)
        except ValueError:
            continue  # a line cut by a crash of journalctl: the cursor of the next one still holds
        if not isinstance(e, dict) or "__CURSOR" not in e:
            continue
        try:
            ts = dt.datetime.fromtimestamp(int(e.get("__REALTIME_TIMESTAMP", 0)) / 1e6, dt.UTC).replace(tzinfo=None)
            prio = int(e.get("PRIORITY", MAX_PRIORITY))
        except (TypeError, ValueError, OverflowError, OSError):
            last = str(e["__CURSOR"])
            continue
        if until is not None and ts >= until:
            return Read(rows, last, False)  # the rest is after ``until``
        last = str(e["__CURSOR"])
        unit = _text(e.get("_SYSTEMD_UNIT") or e.get("SYSLOG_IDENTIFIER") or e.get("_COMM") or "journal")
        message = _text(e.get("MESSAGE"))[:MAX_MESSAGE]
        if message:
            row = {"ts": ts, "component": unit.removesuffix(".service") or "journal", "message": message}
            rows.append({**row, "level": LEVELS.get(prio, "ERROR"), "cursor": last})
    return Read(rows, last, len(lines) >= limit)


class JournalSource(BaseSource):
    """The collector source: new error entries since the stored cursor, every ``interval`` seconds."""

    kind = "journal"
    durable_upstream = True  # the journal is the buffer

    def __init__(self, host: str, *, interval: float = 15.0) -> None:
        super().__init__(NAME, interval)
        self.host = host
        self.cursor: str | None = None
        self.since: dt.datetime | None = None  # without a cursor: from the first poll on (the past is backfill's)
        self._tell_since = False  # the time it reads from is not stored yet

    def start(self, checkpoints: dict[str, str]) -> None:
        self.cursor = checkpoints.get(CURSOR_KEY) or None
        if self.cursor is None:  # read from where reading started (and nothing came yet), if stored
            self.since = read_from(checkpoints.get(READ_FROM_KEY))

    def poll(self, now: dt.datetime) -> list[Batch]:
        if self.cursor is None and self.since is None:
            self.since = now.replace(microsecond=0)  # journalctl reads from whole seconds: so does backfill
            self._tell_since = True
        try:
            got = read(self.cursor, self.since, limit=MAX_ENTRIES, timeout=30.0)
        except JournalError as exc:
            self.fail(now, str(exc))
            return []
        rows = got.rows
        batch = Batch(self.name)
        batch.events.extend(_events(self.host, rows))
        if got.cursor:
            self.cursor = got.cursor
        if self.cursor:
            batch.checkpoints[CURSOR_KEY] = self.cursor
        if self._tell_since and self.since is not None:  # a later backfill reads what came before it
            batch.checkpoints[READ_FROM_KEY] = self.since.isoformat()
            self._tell_since = False
        self.ok(now, len(rows), "journal")
        return [] if batch.empty else [batch]


def from_config(src: Any, config: Any) -> JournalSource:  # the [[sources]] factory shape
    return JournalSource(config.host)


def read_from(text: str | None) -> dt.datetime | None:
    """The stored time reading started from; None when unknown or from the journal's beginning."""
    if not text or text == FROM_BEGINNING:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def backfill_journal(
    store: Store, host: str, since: dt.datetime | None, *, forward: bool = True, stop: Callable[[], bool] | None = None
) -> tuple[int, str | None]:
    """The journal's error entries since ``since`` (None: all it holds) that are not stored yet: the
    part older than where reading started (in one transaction with the new start, so an interrupted run
    leaves nothing half read), then, when ``forward`` (no collector is reading the journal), the entries
    after the stored cursor. Returns (events written, problem or None). ``stop``: when it says so (looked
    at while journalctl runs and between its calls), :class:`Stopped` is raised; what was written stays,
    each batch with the cursor after it, so the journal source goes on from there."""
    from analytics.store.metrics import read_checkpoint

    with store.read() as con:
        cursor = read_checkpoint(con, NAME, CURSOR_KEY)
        started = read_checkpoint(con, NAME, READ_FROM_KEY)
    start = read_from(started)
    new_start = since.isoformat() if since is not None else FROM_BEGINNING
    written = 0
    try:
        if start is not None and (since is None or since < start):
            n, last = _older(store, host, since, start, new_start, cursor is None, stop)
            written += n
            cursor = cursor or last
        if forward:
            if cursor is not None:  # after what is stored
                written += _forward(store, host, cursor, None, stop=stop)
            elif start is not None:  # reading started, nothing came yet: from there
                written += _forward(store, host, None, start, stop=stop)
            elif started is None:  # the first read
                written += _forward(store, host, None, since, tell=new_start, stop=stop)
            else:  # read from the beginning, and nothing was there
                written += _forward(store, host, None, None, stop=stop)
    except JournalError as exc:
        return written, str(exc)
    if started is None and cursor is not None:
        return written, "an older Lokifi did not store where it started reading the journal: its past is not read"
    if started is None and not forward:
        return written, (
            "the running collector has not stored where it started reading the journal yet (it does with its "
            "first write, within 30 s): run `lokifi backfill` again then to read the journal's past"
        )
    return written, None


_EPOCH = dt.datetime(1970, 1, 1)  # "since the beginning": oldest first (without --since, -n reads the newest)


def _events(host: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Read entries as the error events they are stored as (the collector's batch, backfill's frame)."""
    keep = ("ts", "component", "message", "level")
    return [{**{k: r[k] for k in keep}, "host": host, "source": NAME} for r in rows]


def _frame(host: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(_events(host, rows))


def _forward(
    store: Store,
    host: str,
    cursor: str | None,
    since: dt.datetime | None,
    tell: str | None = None,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Entries after ``cursor`` (or since ``since``), each batch written with the cursor after it; ``tell``
    is stored as where reading started, with the first batch (or alone when nothing comes)."""
    from analytics.store.metrics import write_checkpoint, write_events

    written = 0
    while True:
        got = read(cursor, since if since is not None else _EPOCH, stop=stop)
        if got.cursor or tell is not None:
            with store.write() as con:
                if got.rows:
                    written += write_events(con, _frame(host, got.rows))
                if got.cursor:
                    cursor = got.cursor
                    write_checkpoint(con, NAME, CURSOR_KEY, cursor)
                if tell is not None:
                    write_checkpoint(con, NAME, READ_FROM_KEY, tell)
                    tell = None
        if not got.full:
            return written


def _older(
    store: Store,
    host: str,
    since: dt.datetime | None,
    until: dt.datetime,
    new_start: str,
    no_cursor: bool,
    stop: Callable[[], bool] | None = None,
) -> tuple[int, str | None]:
    """Entries since ``since`` and before ``until`` (where reading had started), all written in one
    transaction with ``new_start`` as where reading now starts; with ``no_cursor`` (nothing read after
    ``until`` yet), with the last one's cursor too: reading goes on after it. Returns (events written,
    that cursor)."""
    from analytics.store.metrics import write_checkpoint, write_events

    frames = []
    after: str | None = None
    while True:
        got = read(after, since if since is not None else _EPOCH, until=until, stop=stop)
        if got.rows:
            frames.append(_frame(host, got.rows))
        after = got.cursor or after
        if not got.full or got.cursor is None:
            break
    written = 0
    with store.write() as con:
        for df in frames:
            written += write_events(con, df)
        write_checkpoint(con, NAME, READ_FROM_KEY, new_start)
        if no_cursor and after:  # (none read: reading again from the new start finds nothing twice)
            write_checkpoint(con, NAME, CURSOR_KEY, after)
    return written, after
