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
``app.log``) is counted whole: a rotated access log's last ``CARRY_MINUTES`` minutes -- and any
earlier minute the next file's first lines are stamped in (a long request stamped with its start and
written when it ended, after the rotation: ``LATE_LIMIT``) -- are not written with it but kept as
sums (requests, 5xx, request-time sum and count) in ``backfill_carry``, and added to the next file's
minutes of the same log before its metrics are computed — in the same transactions as the files'
records, so a backfill stopped between the two files still counts the minute once and whole. The last
file of a log writes everything it holds (and whatever is still held is written when a log's last file
could not be read).

This module is the run (each file in turn, and the report); the parts live beside it:
:mod:`~analytics.collect.backfill_plan` (which files, oldest first), :mod:`~analytics.collect.backfill_read`
(one file's lines into per-minute sums or error events), :mod:`~analytics.collect.backfill_record` (each
file's one transaction and the minutes carried to the next file) and
:mod:`~analytics.collect.backfill_handover` (where the live tail takes over, and its checkpoint).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from analytics.collect.backfill_handover import (
    collector_is_running,
    grown_since,
    hand_over_at,
    left_to_tail,
    line_end_before,
    tail_checkpoint,
    tail_floor,
    tail_left_in,
)
from analytics.collect.backfill_plan import Planned, plan, specs_from_config
from analytics.collect.backfill_read import BackfillError, FileResult, Read, head_of, read_part, sha1
from analytics.collect.backfill_record import Follows, held_from, known_files, record_file, write_held
from analytics.sources.filetail import HEAD_BYTES, Position
from analytics.sources.tail import LogSpec


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
        known = known_files(con)
    if getattr(getattr(config, "watch", None), "journal", False) and specs is None:
        from analytics.sources.journal import backfill_journal

        live = collector_is_running(store)  # it reads the new entries; backfill only the older part
        n, problem = backfill_journal(store, host, cutoff, forward=not live)
        note = "systemd journal, priority err and worse" + ("; new entries: the running collector's" if live else "")
        report.files.append(FileResult("journal", "journal", events=n, note=note))
        if problem:
            report.problems.append(f"journal: {problem}")
    for i, p in enumerate(files):
        last_of_log = i + 1 == len(files) or (files[i + 1].log, files[i + 1].component) != (p.log, p.component)
        try:
            hold = None if last_of_log else held_from(files[i + 1])
            res = _one_file(store, p, known, host, now, cutoff, progress, done, total, hold=hold)
        except (OSError, BackfillError, ValueError) as exc:  # a damaged compressed file: DamagedError
            msg = str(exc) if isinstance(exc, BackfillError) else f"{p.path}: {exc.__class__.__name__}: {exc}"
            report.problems.append(msg)
            res = FileResult(str(p.path), "skipped", note=msg.removeprefix(f"{p.path}: "))  # listed by its path
        if last_of_log:
            # minutes still held (the log's last file was skipped or could not be read) are written as they
            # are, counted with this file's rows
            res.metric_rows += write_held(store, p, host)
        report.files.append(res)
        if res.kind != "skipped":
            with store.read() as con:
                known = known_files(con)
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
    hold: Follows | None = None,
) -> FileResult:
    """Read one file and write what it holds; ``hold``: a later file of the same log follows, so this
    file's last minutes wait for it (see the module's doc): :func:`~analytics.collect.backfill_record.held_from`."""
    res = FileResult(str(p.path), "log")
    if not p.current and cutoff is not None:
        try:
            if dt.datetime.fromtimestamp(p.path.stat().st_mtime, dt.UTC).replace(tzinfo=None) < cutoff:
                res.kind, res.note = "skipped", "older than the window"
                return res
        except OSError:
            pass
    head = head_of(p.path, p.codec)
    cid, id_len = sha1(head), len(head)
    if id_len == 0:
        res.kind, res.note = "skipped", "empty"
        return res
    # a file that grew past ID_BYTES since it was recorded is found by its old (shorter) head
    start, handed, kept_from = 0, False, cutoff
    for old_id, (old_len, read_to, was_handed, was_from) in known.items():
        if old_len <= id_len and (old_id == cid if old_len == id_len else sha1(head[:old_len]) == old_id):
            start, handed, kept_from = read_to, was_handed, was_from
            cid, id_len = old_id, old_len
            break
    older: Read | None = None
    if start and kept_from is not None and (cutoff is None or cutoff < kept_from):
        # a larger --days than the file was read with: its lines from the new cutoff up to where they were
        # kept from before (what the file holds from there on was read then)
        older = read_part(p, 0, start, cutoff, kept_from, host, now, res, progress, done, total)
        res.note = f"its lines before {kept_from:%Y-%m-%d %H:%M} (the rest was read before)"
        kept_from = cutoff
    if start and not p.current:
        left = tail_left_in(store, p) if handed else None
        if left is not None:
            # handed to the tail, rotated before the tail read its end, and no collector ran since: this
            # run is about to give the tail the new file, so it reads that end itself (the tail, told so
            # in the same transaction, finds nothing left there)
            stopped, tail_cp = left
            got = read_part(p, int(stopped.get("offset", 0)), None, cutoff, None, host, now, res, progress, done, total)
            stopped["offset"] = got.read_to  # the tail finds nothing left there
            if older is not None:
                got.merge(older)
            res.note = "its end, which live tailing had not read before the file was rotated"
            record_file(
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
        record_file(store, cid, id_len, p, start, handed, res, older.rows(None), host, hold=hold, read_from=kept_from)
        return res
    end: int | None = None
    checkpoint: dict[str, Any] | None = None
    handed_at: int | None = None  # where the tail's first read of this file begins
    if p.current:
        st = os.stat(p.path)
        with store.read() as con:
            cp = tail_checkpoint(con, p.path)
        cur = (cp or {}).get("cur") if cp else None
        if isinstance(cur, dict) and int(cur.get("ino", -1)) == st.st_ino and int(cur.get("dev", -1)) == st.st_dev:
            # the tail reads this content from its start (0 after a rotation or truncation: all of it)
            began = cur.get("start")
            end = int(cur.get("offset", 0) if began is None else began)
            handed_at = None if began is None else end
        elif isinstance(cur, dict) and collector_is_running(store):
            # a running collector's tail follows this log from a file rotated away since: it drains that
            # one, then reads this one from its first byte
            res.kind, res.note = "skipped", "live tailing reads it (after the rotated file it was reading)"
            return res
        else:
            whole = line_end_before(p.path, st.st_size)
            end = hand_over_at(store, p, host, start, whole) if p.codec is None else whole
            if end < whole:  # an access log's last minute: the tail reads it whole, with what follows in it
                res.kind, res.note = "access", left_to_tail(p.path, end, whole)
            fd = os.open(p.path, os.O_RDONLY)
            try:
                tail_head = os.pread(fd, min(HEAD_BYTES, end), 0)  # the raw bytes the tail hashes
            finally:
                os.close(fd)
            pos = Position(st.st_dev, st.st_ino, end, sha1(tail_head), len(tail_head), start=end)
            checkpoint = {"cur": pos.to_dict()}
            handed_at = end
        if end <= start and checkpoint is None:
            if older is None:
                res.note = grown_since(p.path, end, st.st_size, collector_is_running(store))
            rows = older.rows(None) if older is not None else None
            record_file(store, cid, id_len, p, start, True, res, rows, host, read_from=kept_from)
            return res
    got = read_part(p, start, end, cutoff, None, host, now, res, progress, done, total)
    if handed_at is not None and p.codec is None:
        _late_before_hand_over(p, handed_at, cutoff, host, now, res, got)
    if older is not None:
        got.merge(older)
    read_to = end if end is not None else got.read_to
    record_file(
        store, cid, id_len, p, read_to, p.current, res, got.rows(checkpoint), host, hold=hold, read_from=kept_from
    )
    return res


def _late_before_hand_over(
    p: Planned, end: int, cutoff: dt.datetime | None, host: str, now: dt.datetime, res: FileResult, got: Read
) -> None:
    """Add to ``got`` the lines of an access log after the hand-over at ``end`` that are stamped before
    the tail's first minute (:func:`~analytics.collect.backfill_handover.tail_floor`): late requests of
    the minutes backfill writes. Only their per-minute sums are taken; the lines counted are added to
    ``res.lines``."""
    whole = line_end_before(p.path, p.path.stat().st_size)
    floor = tail_floor(p.path, end, whole)
    if floor is None:
        return
    scratch = FileResult(str(p.path), "access")
    late = read_part(p, end, whole, cutoff, floor, host, now, scratch, None, 0, 0)
    if late.parts:
        got.parts += late.parts
        res.lines += sum(int(part["n"].sum()) for part in late.parts)


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
