"""The systemd journal: its error entries (priority err and worse) as error events of their unit.

Read with ``journalctl -o json`` (read-only; the journal's own cursor is the checkpoint, stored with the
rows in one transaction, so nothing is read twice across restarts or between ``lokifi backfill`` and the
collector). Each entry's component is its unit (``nginx.service`` -> ``nginx``), else its syslog
identifier; its time is the entry's own ``__REALTIME_TIMESTAMP``. Turned on by ``[watch] journal = true``
(``lokifi config init`` proposes it when the journal can be read).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from analytics.sources.base import BaseSource, Batch

if TYPE_CHECKING:
    from analytics.store.database import Store

NAME = "journal"
CURSOR_KEY = "cursor"
#: journal priorities kept: 0 emerg .. 3 err
MAX_PRIORITY = 3
LEVELS = {0: "EMERG", 1: "ALERT", 2: "CRITICAL", 3: "ERROR"}
MAX_MESSAGE = 16384
#: entries read per call; the rest comes on the next poll
MAX_ENTRIES = 20000


class JournalError(Exception):
    """journalctl is missing or failed (the message says which and why)."""


def journalctl() -> str | None:
    return shutil.which("journalctl")


def _text(v: Any) -> str:
    if isinstance(v, list):  # binary fields come as a list of byte values
        try:
            return bytes(int(x) & 0xFF for x in v).decode("utf-8", "replace")
        except (TypeError, ValueError):
            return ""
    return "" if v is None else str(v)


def entries(
    cursor: str | None, since: dt.datetime | None, limit: int = MAX_ENTRIES, timeout: float = 120.0
) -> Iterator[dict[str, Any]]:
    """The error entries after ``cursor`` (or since ``since``, naive UTC), oldest first, as event rows
    with their ``cursor``."""
    exe = journalctl()
    if exe is None:
        raise JournalError("journalctl is not installed; the journal cannot be read")
    cmd = [exe, "-o", "json", "--no-pager", "-q", f"--priority={MAX_PRIORITY}", "-n", str(limit)]
    if cursor:
        cmd += ["--after-cursor", cursor]
    elif since is not None:
        cmd += [f"--since=@{int(since.replace(tzinfo=dt.UTC).timestamp())}"]
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise JournalError(f"journalctl failed: {exc}") from exc
    if r.returncode != 0:
        err = r.stderr.decode("utf-8", "replace").strip().splitlines()
        raise JournalError(f"journalctl exited {r.returncode}: {err[-1] if err else 'no message'}")
    for raw in r.stdout.splitlines():
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
            continue
        unit = _text(e.get("_SYSTEMD_UNIT") or e.get("SYSLOG_IDENTIFIER") or e.get("_COMM") or "journal")
        message = _text(e.get("MESSAGE"))[:MAX_MESSAGE]
        if not message:
            continue
        yield {
            "ts": ts,
            "component": unit.removesuffix(".service") or "journal",
            "message": message,
            "level": LEVELS.get(prio, "ERROR"),
            "cursor": str(e["__CURSOR"]),
        }


class JournalSource(BaseSource):
    """The collector source: new error entries since the stored cursor, every ``interval`` seconds."""

    kind = "journal"
    durable_upstream = True  # the journal is the buffer

    def __init__(self, host: str, *, interval: float = 15.0) -> None:
        super().__init__(NAME, interval)
        self.host = host
        self.cursor: str | None = None
        self.since: dt.datetime | None = None  # without a cursor: from the first poll on (the past is backfill's)

    def start(self, checkpoints: dict[str, str]) -> None:
        self.cursor = checkpoints.get(CURSOR_KEY) or None

    def poll(self, now: dt.datetime) -> list[Batch]:
        if self.cursor is None and self.since is None:
            self.since = now
        try:
            rows = list(entries(self.cursor, self.since, limit=MAX_ENTRIES, timeout=30.0))
        except JournalError as exc:
            self.fail(now, str(exc))
            return []
        batch = Batch(self.name)
        for r in rows:
            batch.events.append(
                {
                    "ts": r["ts"],
                    "host": self.host,
                    "component": r["component"],
                    "message": r["message"],
                    "source": NAME,
                    "level": r["level"],
                }
            )
        if rows:
            self.cursor = rows[-1]["cursor"]
        if self.cursor:
            batch.checkpoints[CURSOR_KEY] = self.cursor
        self.ok(now, len(rows), "journal")
        return [] if batch.empty else [batch]


def from_config(src: Any, config: Any) -> JournalSource:  # the [[sources]] factory shape
    return JournalSource(config.host)


def backfill_journal(store: Store, host: str, since: dt.datetime | None) -> tuple[int, str | None]:
    """The journal's error entries since ``since`` (or after the stored cursor: never twice), written
    with the cursor in one transaction per batch. Returns (events written, problem or None)."""
    import polars as pl

    from analytics.store.metrics import read_checkpoint, write_checkpoint, write_events

    with store.read() as con:
        cursor = read_checkpoint(con, NAME, CURSOR_KEY)
    written = 0
    while True:
        try:
            rows = list(entries(cursor, since))
        except JournalError as exc:
            return written, str(exc)
        if not rows:
            return written, None
        df = pl.DataFrame(
            [
                {
                    "ts": r["ts"],
                    "host": host,
                    "component": r["component"],
                    "message": r["message"],
                    "source": NAME,
                    "level": r["level"],
                }
                for r in rows
            ]
        )
        cursor = rows[-1]["cursor"]
        with store.write() as con:
            written += write_events(con, df)
            write_checkpoint(con, NAME, CURSOR_KEY, cursor)
        if len(rows) < MAX_ENTRIES:
            return written, None
