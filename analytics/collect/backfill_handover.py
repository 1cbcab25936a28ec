"""The hand-over to live tailing: where backfill stops in the current file of a log (the tail's stored
start, or the place it stores as the tail's checkpoint), what the tail left unread in a file rotated away,
and what the report says of the lines left to the tail."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from analytics.collect.backfill_plan import Planned
from analytics.collect.backfill_record import TAIL_SOURCE, held_minutes
from analytics.sources.access_log import last_minute_start, line_minute, looks_like_access_log
from analytics.store.metrics import read_checkpoint


def tail_checkpoint(con, path: Path) -> dict[str, Any] | None:
    raw = read_checkpoint(con, TAIL_SOURCE, str(path))
    if raw is None:
        return None
    try:
        d = json.loads(raw)
    except ValueError:
        return None
    return d if isinstance(d, dict) else None


def collector_is_running(store) -> bool:
    from analytics.collect.writer_lock import collector_running

    return collector_running(store.path) is not None


def tail_left_in(store, p: Planned) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Where the tail of ``p``'s log stopped in ``p`` (a rotated file: the tail's checkpoint still names
    its inode, as the file it reads or the old one it drains): (that position, the whole checkpoint it is
    part of); None when the tail is not in this file, or a collector is running (its tail, ahead of its
    stored checkpoint by up to a flush, drains the rotated file itself)."""
    if collector_is_running(store):
        return None
    with store.read() as con:
        cp = tail_checkpoint(con, Path(p.log))
    if not cp:
        return None
    try:
        st = os.stat(p.path)
    except OSError:
        return None
    for which in ("prev", "cur"):
        pos = cp.get(which)
        if isinstance(pos, dict) and int(pos.get("ino", -1)) == st.st_ino and int(pos.get("dev", -1)) == st.st_dev:
            return pos, cp
    return None


def line_end_before(path: Path, size: int) -> int:
    """The offset just after the last newline at or before ``size`` (a partial last line is the tail's)."""
    with open(path, "rb") as f:
        pos = size
        while pos > 0:
            step = min(65536, pos)
            f.seek(pos - step)
            chunk = f.read(step)
            i = chunk.rfind(b"\n")
            if i >= 0:
                return pos - step + i + 1
            pos -= step
    return 0


def hand_over_at(store, p: Planned, host: str, start: int, end: int) -> int:
    """Where the current file is handed to the tail when backfill is the first to read it: an access
    log at the first line of its last minute (the tail reads that minute whole, with the lines the file
    grows by in it, and writes it once), any other log at ``end``. Also at ``end`` when a minute the log's
    rotated file left held is that minute or later (a rotation in the file's last minute): the tail would
    not read the rotated file's part, so backfill writes the minute as it is."""
    fd = os.open(p.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        cut = last_minute_start(fd, start, end)
    finally:
        os.close(fd)
    if cut is None:
        return end
    at, minute = cut
    with store.read() as con:
        held = held_minutes(con, p, host)
    latest = held["minute"].max() if held.height else None
    if isinstance(latest, dt.datetime) and latest >= minute:
        return end
    return max(start, at)


def tail_floor(path: Path, at: int, end: int) -> dt.datetime | None:
    """The first minute the tail counts when it reads an access log from ``at``: the minute of the line
    there (the tail counts no line stamped before the first one it read). None when the lines from ``at``
    to ``end`` are not an access log's. Backfill counts the lines after ``at`` stamped before that minute:
    a server that stamps a request with its start writes a slow request of the minute before after the
    first lines of the minute handed over, and neither reader would count it otherwise."""
    if end <= at:
        return None
    with open(path, "rb") as f:
        f.seek(at)
        head = f.read(min(end - at, _SAMPLE_BYTES))
    lines = head.decode("utf-8", "replace").split("\n")[:200]
    if not lines or not looks_like_access_log(lines):
        return None
    return line_minute(lines[0])


_SAMPLE_BYTES = 64 * 1024  # what tail_floor reads to tell an access log


def left_to_tail(path: Path, start: int, end: int) -> str:
    """What a report says of the lines ``[start, end)`` of an access log's last minute, left to the tail."""
    with open(path, "rb") as f:
        f.seek(start)
        n = f.read(end - start).count(b"\n")
    lines = f"{n:,} line{'s' if n != 1 else ''}"
    return f"its last minute ({lines}) is read by `lokifi collect`, with the rest of that minute"


def grown_since(path: Path, end: int, size: int, running: bool) -> str:
    """What a report says of a log backfill has nothing to read in: nothing was written since, or what
    was written after the tail's checkpoint ``end`` is live tailing's (a second backfill on a server
    without a collector must not read as if the new errors went unseen)."""
    if size <= end:
        return "nothing new"
    grown = size - end
    if grown <= _COUNT_LINES_UP_TO:
        with open(path, "rb") as f:
            f.seek(end)
            n = f.read(grown).count(b"\n")
        what = f"{n:,} line{'s' if n != 1 else ''}"
    else:
        what = f"{grown / 2**20:,.1f} MiB"
    who = "the running collector reads them" if running else "`lokifi collect` reads them"
    return f"nothing new for backfill: the {what} after where live tailing reads from are its own ({who})"


_COUNT_LINES_UP_TO = 8 << 20  # bytes: counting the lines of more than this would slow the report
