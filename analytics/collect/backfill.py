"""Backfill: the history a host already holds in its log files, read once into the store.

Every configured log (a component's ``logs``, the ``*.log`` of each watched directory) is read with its
rotated copies — ``app.log.1``, ``app.log.2.gz``, ``app.log-20260101.bz2``, ``.xz``, ``.zst`` — oldest
first, and every line keeps its own timestamp:

* an **access log** (common/combined format, with the request time as the last field when the server
  writes one: nginx ``$request_time``, seconds with a dot) becomes per-minute metrics of its component:
  ``response_time_ms`` (mean), ``requests_per_min`` and ``error_rate`` (share of 5xx answers);
* any other log gives its **error events** (folded like live tailing: a traceback is one event), which
  pattern learning then groups.

Exactly once. A file is known by a hash of its first bytes (decompressed), so ``app.log.1`` compressed
into ``app.log.2.gz`` by logrotate is the same file and is not read again. The current file (the one live
tailing follows) is read up to where the collector's tail starts: its stored checkpoint when there is one
for that inode, else the end of the file — for an access log the first line of its last minute, so that
the tail reads that minute whole with what is appended to it (the store keeps a minute's first rows) —
and that offset is stored as the tail's checkpoint, so the collector goes on from there. A tail that
opened the file first, without a checkpoint, started at that same place, and backfill reads up to its
stored start. Once a file was handed to the tail, whatever it grows by is the tail's, also after it is
rotated away. Each file's rows,
its record and the checkpoint are written in one transaction, so a backfill stopped at any point resumes
at the first file it had not finished.

A minute cut by a rotation (its first requests at the end of ``app.log.1``, the rest at the start of
``app.log``) is counted whole: a rotated access log's last :data:`CARRY_MINUTES` minutes -- and any
earlier minute the next file's first lines are stamped in (a long request stamped with its start and
written when it ended, after the rotation: :data:`LATE_LIMIT`) -- are not written with it but kept as
sums (requests, 5xx, request-time sum and count) in ``backfill_carry``, and added to the next file's
minutes of the same log before its metrics are computed — in the same transactions as the files'
records, so a backfill stopped between the two files still counts the minute once and whole. The last
file of a log writes everything it holds (and whatever is still held is written when a log's last file
could not be read).

One module: planning, reading and each file's one transaction (rows, carried minute, tail checkpoint) are
one exactly-once protocol, which reads best in one place.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl

from analytics.common.compression import SUFFIXES, CompressionError, codec_of, decompressing
from analytics.common.escapes import lines_as_displayed, without_escapes
from analytics.patterns.line_time import line_time
from analytics.patterns.multiline import MultilineFolder
from analytics.sources.access_log import access_minutes, last_minute_start, looks_like_access_log, minutes_to_metrics
from analytics.sources.filetail import HEAD_BYTES, Position
from analytics.sources.tail import LogSpec, judge
from analytics.store.engine import registered
from analytics.store.metrics import read_checkpoint, write_checkpoint, write_events, write_metrics

#: the first bytes that name a file's content (decompressed); 4 KiB holds tens of lines of any log
ID_BYTES = 4096
#: read this much at a time (decompressed)
BLOCK = 4 * 1024 * 1024
SOURCE = "backfill"
#: a rotated access log's last minutes wait for the next file of its log: the minute the rotation cut, and
#: the one before it (a server that stamps a request with its start writes a slow one after the rotation)
CARRY_MINUTES = 2
#: ... and every earlier minute the next file's first lines are stamped in: a server that stamps a request with
#: its start (Apache's ``%t``) writes a long one when it ends, after the rotation, stamped minutes before it.
#: Its minute is then counted with the rotated file's part of it, not written without it. At most this far
#: back from the rotated file's last minute (a line stamped earlier is one request; a day of minutes held is
#: not worth it), and judged from the next file's first PEEK_BYTES (decompressed).
LATE_LIMIT = dt.timedelta(hours=1)
PEEK_BYTES = 256 * 1024
TAIL_SOURCE = "tail"
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


@dataclass
class Report:
    files: list[FileResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)

    @property
    def events(self) -> int:
        return sum(f.events for f in self.files)

    @property
    def metric_rows(self) -> int:
        return sum(f.metric_rows for f in self.files)


@dataclass(frozen=True)
class Planned:
    """One file to read: its component, whether it is the live one, and its compression."""

    component: str
    path: Path
    current: bool
    codec: str | None
    size: int
    log: str = ""  # the configured file whose rotations this is one of (itself for the current file)


# --------------------------------------------------------------------------------------------------
# Which files
# --------------------------------------------------------------------------------------------------


def specs_from_config(config: Any) -> list[LogSpec]:
    """The logs the collector tails (the same list), so backfill and tailing meet."""
    out = [LogSpec(c.name, p) for c in config.components for p in c.logs]
    for d in getattr(config.watch, "log_dirs", ()):
        out.append(LogSpec("", str(Path(os.path.expanduser(d)) / "*.log")))
    return out


def rotations(path: Path) -> list[Path]:
    """``path``'s rotated copies beside it, oldest first: ``name.N[.gz]`` by N descending, dated names
    (``name-20260101``, ``name.2026-01-01.gz``) by date, then anything else by modification time."""
    pat = re.compile(rf"^{re.escape(path.name)}[.\-_](?P<tag>[0-9][0-9_.\-T]*?)(?:\.(?:gz|bz2|xz|zst))?$")
    found: list[tuple[tuple, Path]] = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return []
    for e in entries:
        m = pat.match(e.name)
        if not m or e.name == path.name:
            continue
        try:
            if not e.is_file(follow_symlinks=False):
                continue
            mtime = e.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        tag = m.group("tag")
        # a small number is a logrotate index (higher = older); a long one is a date (higher = newer)
        key = (0, -int(tag), 0.0) if tag.isdigit() and len(tag) < 6 else (1, 0, mtime)
        found.append((key, Path(e.path)))
    found.sort(key=lambda t: t[0])
    return [p for _, p in found][:400]


def plan(specs: list[LogSpec], component_names: list[str] | tuple[str, ...] = ()) -> list[Planned]:
    """Every file to read, per configured path oldest first (rotations, then the current file)."""
    names = sorted(component_names, key=len, reverse=True)
    out: list[Planned] = []
    seen: set[str] = set()
    for spec in specs:
        pattern = os.path.expanduser(spec.path)
        paths = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        for raw in paths:
            cur = Path(raw).absolute()
            if str(cur) in seen or cur.suffix in SUFFIXES:
                continue
            seen.add(str(cur))
            comp = spec.component or _component_for(cur.name, names)
            for p in [*rotations(cur), cur]:
                try:
                    st = p.stat()
                except OSError:
                    continue
                if not p.is_file():
                    continue
                out.append(Planned(comp, p, p == cur, codec_of(p), st.st_size, str(cur)))
    return out


def _component_for(fname: str, names: list[str]) -> str:
    low = fname.lower()
    for n in names:
        if low.startswith(n.lower()):
            return n
    return low.split(".")[0] or "logs"


# --------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------


def open_log(path: Path, codec: str | None) -> BinaryIO:
    """The file's content, decompressed; the file is opened without following a final symlink."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        return decompressing(os.fdopen(fd, "rb"), codec, str(path))
    except CompressionError as exc:
        raise BackfillError(str(exc)) from None


@dataclass(frozen=True)
class _Follows:
    """A later file of the same log follows the one being read; ``first``: the minute its first access-log
    lines begin in (the earliest stamp among them), None when they are not an access log's."""

    first: dt.datetime | None = None


def _held_from(p: Planned) -> _Follows:
    """What the file ``p``, next in its log, says of the minutes the file before it holds back."""
    try:
        with open_log(p.path, p.codec) as f:
            data = f.read(PEEK_BYTES)
    except (OSError, ValueError, EOFError, BackfillError, CompressionError):
        return _Follows()
    text = data[: data.rfind(b"\n") + 1].decode("utf-8", "replace")  # whole lines
    if not text or not looks_like_access_log(text.splitlines()[:200]):
        return _Follows()
    first = access_minutes(text, None)["minute"].min()
    return _Follows(first if isinstance(first, dt.datetime) else None)


def _head(path: Path, codec: str | None) -> bytes:
    """The first ID_BYTES of the content (decompressed): what names the file."""
    with open_log(path, codec) as f:
        return f.read(ID_BYTES)


def _sha1(data: bytes) -> str:
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


# --------------------------------------------------------------------------------------------------
# Bookkeeping
# --------------------------------------------------------------------------------------------------


def _known(con) -> dict[str, tuple[int, int, bool, dt.datetime | None]]:
    """content id -> (id length, offset read to, handed to the tail, the time its lines were kept from:
    None for all of them)."""
    rows = con.execute("SELECT content_id, id_len, read_to, handed, read_from FROM backfill_files").fetchall()
    return {r[0]: (int(r[1]), int(r[2]), bool(r[3]), r[4]) for r in rows}


def _tail_checkpoint(con, path: Path) -> dict[str, Any] | None:
    raw = read_checkpoint(con, TAIL_SOURCE, str(path))
    if raw is None:
        return None
    try:
        d = json.loads(raw)
    except ValueError:
        return None
    return d if isinstance(d, dict) else None


def _collector_running(store) -> bool:
    from analytics.collect.writer_lock import collector_running

    return collector_running(store.path) is not None


def _tail_left_in(store, p: Planned) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Where the tail of ``p``'s log stopped in ``p`` (a rotated file: the tail's checkpoint still names
    its inode, as the file it reads or the old one it drains): (that position, the whole checkpoint it is
    part of); None when the tail is not in this file, or a collector is running (its tail, ahead of its
    stored checkpoint by up to a flush, drains the rotated file itself)."""
    if _collector_running(store):
        return None
    with store.read() as con:
        cp = _tail_checkpoint(con, Path(p.log))
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


def _line_end_before(path: Path, size: int) -> int:
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


def _hand_over_at(store, p: Planned, host: str, start: int, end: int) -> int:
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
        held = _held(con, p, host)
    latest = held["minute"].max() if held.height else None
    if isinstance(latest, dt.datetime) and latest >= minute:
        return end
    return max(start, at)


def _left_to_tail(path: Path, start: int, end: int) -> str:
    """What a report says of the lines ``[start, end)`` of an access log's last minute, left to the tail."""
    with open(path, "rb") as f:
        f.seek(start)
        n = f.read(end - start).count(b"\n")
    lines = f"{n:,} line{'s' if n != 1 else ''}"
    return f"its last minute ({lines}) is read by `lokifi collect`, with the rest of that minute"


def _grown_since(path: Path, end: int, size: int, running: bool) -> str:
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


# --------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------


def backfill(
    store,
    config: Any,
    *,
    days: float | None = 7.0,
    host: str | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    specs: list[LogSpec] | None = None,
) -> Report:
    """Read every configured log's history once (see the module's doc). ``progress(done_bytes,
    total_bytes, path)`` is called as files are read."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    host = host or config.host
    # to the minute: an access log's minute is then kept whole or not at all, also by a later run with
    # a larger ``days`` that reads a file's older part
    cutoff = (now - dt.timedelta(days=days)).replace(second=0, microsecond=0) if days else None
    names = [c.name for c in config.components]
    files = plan(specs if specs is not None else specs_from_config(config), names)
    total = sum(p.size for p in files) or 1
    done = 0
    report = Report()
    with store.read() as con:
        known = _known(con)
    if getattr(getattr(config, "watch", None), "journal", False) and specs is None:
        from analytics.sources.journal import backfill_journal

        live = _collector_running(store)  # it reads the new entries; backfill only the older part
        n, problem = backfill_journal(store, host, cutoff, forward=not live)
        note = "systemd journal, priority err and worse" + ("; new entries: the running collector's" if live else "")
        report.files.append(FileResult("journal", "journal", events=n, note=note))
        if problem:
            report.problems.append(f"journal: {problem}")
    for i, p in enumerate(files):
        last_of_log = i + 1 == len(files) or (files[i + 1].log, files[i + 1].component) != (p.log, p.component)
        try:
            hold = None if last_of_log else _held_from(files[i + 1])
            res = _one_file(store, p, known, host, now, cutoff, progress, done, total, hold=hold)
        except (OSError, BackfillError, ValueError) as exc:  # a damaged compressed file: DamagedError
            msg = str(exc) if isinstance(exc, BackfillError) else f"{p.path}: {exc.__class__.__name__}: {exc}"
            report.problems.append(msg)
            res = FileResult(str(p.path), "skipped", note=msg.removeprefix(f"{p.path}: "))  # listed by its path
        if last_of_log:
            # minutes still held (the log's last file was skipped or could not be read) are written as they
            # are, counted with this file's rows
            res.metric_rows += _write_held(store, p, host)
        report.files.append(res)
        if res.kind != "skipped":
            with store.read() as con:
                known = _known(con)
        done += p.size
        if progress:
            progress(done, total, str(p.path))
    return report


def _one_file(
    store,
    p: Planned,
    known: dict,
    host: str,
    now: dt.datetime,
    cutoff: dt.datetime | None,
    progress,
    done: int,
    total: int,
    *,
    hold: _Follows | None = None,
) -> FileResult:
    """Read one file and write what it holds; ``hold``: a later file of the same log follows, so this
    file's last minutes wait for it (see the module's doc): :func:`_held_from`."""
    res = FileResult(str(p.path), "log")
    if not p.current and cutoff is not None:
        try:
            if dt.datetime.fromtimestamp(p.path.stat().st_mtime, dt.UTC).replace(tzinfo=None) < cutoff:
                res.kind, res.note = "skipped", "older than the window"
                return res
        except OSError:
            pass
    head = _head(p.path, p.codec)
    cid, id_len = _sha1(head), len(head)
    if id_len == 0:
        res.kind, res.note = "skipped", "empty"
        return res
    # a file that grew past ID_BYTES since it was recorded is found by its old (shorter) head
    start, handed, kept_from = 0, False, cutoff
    for old_id, (old_len, read_to, was_handed, was_from) in known.items():
        if old_len <= id_len and (old_id == cid if old_len == id_len else _sha1(head[:old_len]) == old_id):
            start, handed, kept_from = read_to, was_handed, was_from
            cid, id_len = old_id, old_len
            break
    older: _Read | None = None
    if start and kept_from is not None and (cutoff is None or cutoff < kept_from):
        # a larger --days than the file was read with: its lines from the new cutoff up to where they were
        # kept from before (what the file holds from there on was read then)
        older = _read(p, 0, start, cutoff, kept_from, host, now, res, progress, done, total)
        res.note = f"its lines before {kept_from:%Y-%m-%d %H:%M} (the rest was read before)"
        kept_from = cutoff
    if start and not p.current:
        left = _tail_left_in(store, p) if handed else None
        if left is not None:
            # handed to the tail, rotated before the tail read its end, and no collector ran since: this
            # run is about to give the tail the new file, so it reads that end itself (the tail, told so
            # in the same transaction, finds nothing left there)
            stopped, tail_cp = left
            got = _read(p, int(stopped.get("offset", 0)), None, cutoff, None, host, now, res, progress, done, total)
            stopped["offset"] = got.read_to  # the tail finds nothing left there
            if older is not None:
                got.merge(older)
            res.note = "its end, which live tailing had not read before the file was rotated"
            _record(
                store,
                cid,
                id_len,
                p,
                got.read_to,
                True,
                res,
                got.rows(tail_cp),
                host,
                hold=hold,
                read_from=kept_from,
                checkpoint_key=p.log,
            )
            return res
        if older is None:
            res.kind = "skipped"
            res.note = "already read (the rest was live tailing's)" if handed else "already read (same content)"
            return res
        _record(store, cid, id_len, p, start, handed, res, older.rows(None), host, hold=hold, read_from=kept_from)
        return res
    end: int | None = None
    checkpoint: dict[str, Any] | None = None
    if p.current:
        st = os.stat(p.path)
        with store.read() as con:
            cp = _tail_checkpoint(con, p.path)
        cur = (cp or {}).get("cur") if cp else None
        if isinstance(cur, dict) and int(cur.get("ino", -1)) == st.st_ino and int(cur.get("dev", -1)) == st.st_dev:
            # the tail reads this content from its start (0 after a rotation or truncation: all of it)
            began = cur.get("start")
            end = int(cur.get("offset", 0) if began is None else began)
        elif isinstance(cur, dict) and _collector_running(store):
            # a running collector's tail follows this log from a file rotated away since: it drains that
            # one, then reads this one from its first byte
            res.kind, res.note = "skipped", "live tailing reads it (after the rotated file it was reading)"
            return res
        else:
            whole = _line_end_before(p.path, st.st_size)
            end = _hand_over_at(store, p, host, start, whole) if p.codec is None else whole
            if end < whole:  # an access log's last minute: the tail reads it whole, with what follows in it
                res.kind, res.note = "access", _left_to_tail(p.path, end, whole)
            fd = os.open(p.path, os.O_RDONLY)
            try:
                tail_head = os.pread(fd, min(HEAD_BYTES, end), 0)  # the raw bytes the tail hashes
            finally:
                os.close(fd)
            pos = Position(st.st_dev, st.st_ino, end, _sha1(tail_head), len(tail_head), start=end)
            checkpoint = {"cur": pos.to_dict()}
        if end <= start and checkpoint is None:
            if older is None:
                res.note = _grown_since(p.path, end, st.st_size, _collector_running(store))
            rows = older.rows(None) if older is not None else None
            _record(store, cid, id_len, p, start, True, res, rows, host, read_from=kept_from)
            return res
    got = _read(p, start, end, cutoff, None, host, now, res, progress, done, total)
    if older is not None:
        got.merge(older)
    read_to = end if end is not None else got.read_to
    _record(store, cid, id_len, p, read_to, p.current, res, got.rows(checkpoint), host, hold=hold, read_from=kept_from)
    return res


#: what one file's transaction writes: per-minute sums, error events, the tail's checkpoint
_Rows = tuple[pl.DataFrame, list[dict[str, Any]], dict[str, Any] | None]


@dataclass
class _Read:
    """What one pass over part of a file gave: per-minute sums (an access log) or error events."""

    parts: list[pl.DataFrame] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    read_to: int = 0

    def merge(self, other: _Read) -> None:
        self.parts += other.parts
        self.events = other.events + self.events

    def rows(
        self, checkpoint: dict[str, Any] | None
    ) -> tuple[pl.DataFrame, list[dict[str, Any]], dict[str, Any] | None]:
        return _sums(self.parts), self.events, checkpoint


def _read(
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
) -> _Read:
    """Read ``p`` from ``start`` to ``end`` and keep what is timed from ``cutoff`` up to ``until`` (None:
    no bound); ``res`` counts the lines and says the kind and the times kept."""
    out = _Read(read_to=start)
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
_SUMS: dict[str, pl.DataType] = {
    "minute": pl.Datetime("us"),
    "n": pl.Int64(),
    "n5xx": pl.Int64(),
    "rt_sum": pl.Float64(),
    "rt_n": pl.Int64(),
}


def _sums(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Per-minute sums of partial sums (blocks of a file, files of a log): one row a minute."""
    frames = [f.select(pl.col(c).cast(t) for c, t in _SUMS.items()) for f in parts if f.height]
    if not frames:
        return pl.DataFrame(schema=_SUMS)
    return pl.concat(frames).group_by("minute").agg(pl.col("n", "n5xx", "rt_sum", "rt_n").sum()).sort("minute")


def _held(con, p: Planned, host: str) -> pl.DataFrame:
    """The minutes an earlier file of ``p``'s log left to be counted with the next one."""
    rows = con.execute(
        "SELECT minute, n, n5xx, rt_sum, rt_n FROM backfill_carry WHERE log = ? AND host = ? AND component = ?",
        [p.log, host, p.component],
    ).fetchall()
    return pl.DataFrame(rows, schema=_SUMS, orient="row")


def _write_held(store, p: Planned, host: str) -> int:
    """Write the minutes still held for ``p``'s log (its last file brought none to add): metric rows written."""
    with store.read() as con:
        if not _held(con, p, host).height:
            return 0
    with store.write() as con:
        held = _held(con, p, host)
        n = write_metrics(con, minutes_to_metrics([held], host, p.component)) if held.height else 0
        con.execute(
            "DELETE FROM backfill_carry WHERE log = ? AND host = ? AND component = ?", [p.log, host, p.component]
        )
    return n


_EVENT_SCHEMA: dict[str, pl.DataType] = {
    "ts": pl.Datetime("us"),
    "host": pl.String(),
    "component": pl.String(),
    "message": pl.String(),
    "source": pl.String(),
    "level": pl.String(),
    "context": pl.String(),
}


def _record(
    store,
    cid: str,
    id_len: int,
    p: Planned,
    read_to: int,
    handed: bool,
    res: FileResult,
    rows: _Rows | None,
    host: str,
    *,
    hold: _Follows | None = None,
    read_from: dt.datetime | None = None,
    checkpoint_key: str | None = None,
) -> None:
    """One transaction: the file's rows (its per-minute sums with the minutes the log's previous file
    held; its own last ones held in turn when ``hold``: a later file of the log follows), its record
    (``read_from``: the time its lines were kept from, None for all of them), and the tail's checkpoint."""
    with store.write() as con:
        if rows is not None:
            sums, events, checkpoint = rows
            held = _held(con, p, host)
            if held.height:
                sums = _sums([held, sums])
            keep = pl.DataFrame(schema=_SUMS)
            if hold is not None and sums.height:
                last = sums["minute"].max()
                edge = last - dt.timedelta(minutes=CARRY_MINUTES - 1)  # type: ignore[operator]
                if hold.first is not None:  # the next file begins with lines stamped earlier: their minutes too
                    edge = min(edge, max(hold.first, last - LATE_LIMIT))  # type: ignore[operator]
                sums, keep = sums.filter(pl.col("minute") < edge), sums.filter(pl.col("minute") >= edge)
            if sums.height:
                res.metric_rows = write_metrics(con, minutes_to_metrics([sums], host, p.component))
            if held.height or keep.height:
                con.execute(
                    "DELETE FROM backfill_carry WHERE log = ? AND host = ? AND component = ?",
                    [p.log, host, p.component],
                )
            if keep.height:
                with registered(con, "_bf_keep", keep):
                    con.execute(
                        "INSERT INTO backfill_carry SELECT ?, ?, ?, minute, n, n5xx, rt_sum, rt_n FROM _bf_keep",
                        [p.log, host, p.component],
                    )
            if events:
                res.events = write_events(con, pl.DataFrame(events, schema=_EVENT_SCHEMA))
            if checkpoint is not None:
                key = checkpoint_key or str(p.path)  # the log's path; a rotated file's drain: the log's
                write_checkpoint(con, TAIL_SOURCE, key, json.dumps(checkpoint, sort_keys=True))
        # a file read again for its older part keeps its counts and times from before
        before = con.execute(
            "SELECT lines, events, metric_rows, first_ts, last_ts, kind FROM backfill_files WHERE content_id = ?",
            [cid],
        ).fetchall()
        lines, n_events, n_rows, first, last = res.lines, res.events, res.metric_rows, res.first, res.last
        if before:
            b_lines, b_events, b_rows, b_first, b_last, b_kind = before[0]
            if not res.lines and b_kind:  # nothing read this time: the kind is what the lines read before said
                res.kind = b_kind
            lines, n_events, n_rows = max(lines, b_lines or 0), n_events + (b_events or 0), n_rows + (b_rows or 0)
            first = min((t for t in (first, b_first) if t is not None), default=None)
            last = max((t for t in (last, b_last) if t is not None), default=None)
        con.execute("DELETE FROM backfill_files WHERE content_id = ?", [cid])
        con.execute(
            "INSERT INTO backfill_files (content_id, id_len, path, read_to, handed, kind, lines, events, "
            "metric_rows, first_ts, last_ts, done_at, read_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                cid,
                id_len,
                str(p.path),
                read_to,
                handed,
                res.kind,
                lines,
                n_events,
                n_rows,
                first,
                last,
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
                read_from,
            ],
        )


def refresh_engines(store, config: Any, now: dt.datetime | None = None) -> list[str]:
    """Run the engines over what was read, as the collector's hooks would: patterns, baselines and
    predictions, forecasts. Returns the problems, each named as before (``config``: unused, kept for
    the callers)."""
    # imported here: the engines (and NumPy) load only when a backfill ran
    from analytics.forecast.stored import refresh as forecast
    from analytics.patterns.learning import learn_from_events
    from analytics.predict.predictions import refresh as predict

    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    problems = []
    for name, run in (
        ("learning", lambda: learn_from_events(store)),
        ("predictions", lambda: predict(store, now=now)),
        # forced: the history just read changes the forecast of an hour already forecast
        ("stored", lambda: forecast(store, now=now, force=True)),
    ):
        try:
            run()
        except Exception as exc:  # noqa: BLE001 — one engine failing must not hide the others' results
            problems.append(f"{name}: {exc}")
    return problems
