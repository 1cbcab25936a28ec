"""Reading one file for backfill: its content (decompressed) from one offset up to another, as
complete lines, into per-minute sums (an access log) or error events folded like live tailing's (any other
log), each kept when its time is inside the window; and the id of a file's content (a hash of its first
bytes)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl

from analytics.collect.backfill_plan import Planned
from analytics.common.compression import CompressionError, decompressing
from analytics.common.escapes import lines_as_displayed, without_escapes
from analytics.patterns.line_time import line_time
from analytics.patterns.multiline import MultilineFolder
from analytics.sources.access_log import access_minutes, looks_like_access_log
from analytics.sources.tail import judge

#: the first bytes that name a file's content (decompressed); 4 KiB holds tens of lines of any log
ID_BYTES = 4096
#: read this much at a time (decompressed)
BLOCK = 4 * 1024 * 1024
SOURCE = "backfill"
MAX_MESSAGE = 16384


class BackfillError(Exception):
    """A file could not be read (named in the message)."""


@dataclass
class FileResult:
    path: str
    kind: str  # access | log | skipped
    lines: int = 0
    events: int = 0
    metric_rows: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    note: str = ""
    older: int = 0  # error events (an access log: requests) before the --days cutoff, left out
    untimed: int = 0  # error events with no time of their own and none written before them, left out


def open_log(path: Path, codec: str | None) -> BinaryIO:
    """The file's content, decompressed; the file is opened without following a final symlink."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        return decompressing(os.fdopen(fd, "rb"), codec, str(path))
    except CompressionError as exc:
        raise BackfillError(str(exc)) from None


def head_of(path: Path, codec: str | None) -> bytes:
    """The first ID_BYTES of the content (decompressed): what names the file."""
    with open_log(path, codec) as f:
        return f.read(ID_BYTES)


def sha1(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def _blocks(f: BinaryIO, start: int, end: int | None) -> Iterator[tuple[bytes, int]]:
    """Complete lines from decompressed offset ``start`` up to ``end`` (None: the end of the content)."""
    if start:
        if hasattr(f, "seek") and f.seekable():
            f.seek(start)
        else:
            left = start
            while left > 0:
                got = f.read(min(left, BLOCK))
                if not got:
                    return
                left -= len(got)
    pos, rest = start, b""
    while end is None or pos < end:
        want = BLOCK if end is None else min(BLOCK, end - pos)
        data = f.read(want)
        if not data:
            break
        pos += len(data)
        data = rest + data
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data
            continue
        rest = data[cut + 1 :]
        yield data[:cut], cut + 1
    if rest and end is None:
        yield rest, len(rest)  # a rotated file's last line without a newline (the live file's waits for the tail)


def _decode(block: bytes) -> str:
    """A block of complete lines as text (one decode for the block: most of the cost per line)."""
    text = block.decode("utf-8", "replace")
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    text = without_escapes(text)
    if "\r" in text:
        text = lines_as_displayed(text.replace("\r\n", "\n"))
    return text


@dataclass
class Read:
    """What one pass over part of a file gave: per-minute sums (an access log) or error events."""

    parts: list[pl.DataFrame] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    read_to: int = 0

    def merge(self, other: Read) -> None:
        self.parts += other.parts
        self.events = other.events + self.events

    def rows(
        self, checkpoint: dict[str, Any] | None
    ) -> tuple[pl.DataFrame, list[dict[str, Any]], dict[str, Any] | None]:
        return minute_sums(self.parts), self.events, checkpoint


def read_part(
    p: Planned,
    start: int,
    end: int | None,
    cutoff: dt.datetime | None,
    until: dt.datetime | None,
    host: str,
    now: dt.datetime,
    res: FileResult,
    progress,
    done: int,
    total: int,
) -> Read:
    """Read ``p`` from ``start`` to ``end`` and keep what is timed from ``cutoff`` up to ``until`` (None:
    no bound); ``res`` counts the lines and says the kind and the times kept."""
    out = Read(read_to=start)
    folder: MultilineFolder[dt.datetime | None] = MultilineFolder()
    last_ts: dt.datetime | None = None
    kind: str | None = None

    def add_events(evs: list[tuple[Any, dt.datetime | None]]) -> None:
        """Judge a block's events at once: (event, the last time written before it ended)."""
        if not evs:
            return
        for ((text, _, _, ts, context), before), (ok, level) in zip(evs, judge([e[0] for e in evs]), strict=True):
            if not ok:
                continue
            t = ts or before
            if t is None:
                res.untimed += 1
                continue
            if cutoff is not None and t < cutoff:
                res.older += 1
                continue
            if until is not None and t >= until:
                continue  # read before
            out.events.append(
                {
                    "ts": t,
                    "host": host,
                    "component": p.component,
                    "message": text[:MAX_MESSAGE],
                    "source": SOURCE,
                    "level": level,
                    "context": context or None,
                }
            )
            res.first = t if res.first is None or t < res.first else res.first
            res.last = t if res.last is None or t > res.last else res.last

    with open_log(p.path, p.codec) as f:
        for raw, nbytes in _blocks(f, start, end):
            out.read_to += nbytes
            text = _decode(raw)
            res.lines += text.count("\n") + 1
            if kind is None:
                kind = "access" if looks_like_access_log(text[:65536].split("\n")[:200]) else "log"
                res.kind = kind
            if kind == "access":
                # the cutoff is a whole minute: the minutes before it are the lines left out, counted
                part = access_minutes(text, None)
                if cutoff is not None and part.height:
                    res.older += int(part.filter(pl.col("minute") < cutoff)["n"].sum())
                    part = part.filter(pl.col("minute") >= cutoff)
                if until is not None and part.height:
                    part = part.filter(pl.col("minute") < until)
                if part.height:
                    out.parts.append(part)
            else:
                ended: list[tuple[Any, dt.datetime | None]] = []
                for line in text.split("\n"):
                    t = line_time(line, now) if line[:1].strip() else None
                    # the events this line completes came before it: one without a time of its own
                    # takes the last time written before it, not this line's
                    for ev in folder.feed(line, t):
                        ended.append((ev, last_ts))
                    if t is not None:
                        last_ts = t
                add_events(ended)
            if progress:
                progress(done + min(out.read_to, p.size), total, str(p.path))
        add_events([(ev, last_ts) for ev in folder.flush()])
    if out.parts:
        allm = pl.concat(out.parts)
        first, last = allm.select(pl.col("first").min(), pl.col("last").max()).row(0)
        res.first = first if res.first is None or first < res.first else res.first
        res.last = last if res.last is None or last > res.last else res.last
    return out


#: a log's per-minute sums, as :func:`analytics.sources.access_log.access_minutes` gives them and ``backfill_carry``
#: keeps them
SUMS: dict[str, pl.DataType] = {
    "minute": pl.Datetime("us"),
    "n": pl.Int64(),
    "n5xx": pl.Int64(),
    "rt_sum": pl.Float64(),
    "rt_n": pl.Int64(),
}


def minute_sums(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Per-minute sums of partial sums (blocks of a file, files of a log): one row a minute."""
    frames = [f.select(pl.col(c).cast(t) for c, t in SUMS.items()) for f in parts if f.height]
    if not frames:
        return pl.DataFrame(schema=SUMS)
    return pl.concat(frames).group_by("minute").agg(pl.col("n", "n5xx", "rt_sum", "rt_n").sum()).sort("minute")
