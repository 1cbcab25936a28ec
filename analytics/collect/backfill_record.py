"""What backfill writes for one file, in one transaction: its rows, its record in ``backfill_files``
(what makes backfill exactly once) and the tail's checkpoint; and the minutes a rotation cut, kept in
``backfill_carry`` and added to the next file of the same log, so such a minute is counted once and whole."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import polars as pl

from analytics.collect.backfill_plan import Planned
from analytics.collect.backfill_read import SUMS, BackfillError, FileResult, minute_sums, open_log
from analytics.common.compression import CompressionError
from analytics.sources.access_log import access_minutes, looks_like_access_log, minutes_to_metrics
from analytics.store.engine import registered
from analytics.store.metrics import write_checkpoint, write_events, write_metrics

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
#: the source the live tail's checkpoints are stored under (one per log path)
TAIL_SOURCE = "tail"


@dataclass(frozen=True)
class Follows:
    """A later file of the same log follows the one being read; ``first``: the minute its first access-log
    lines begin in (the earliest stamp among them), None when they are not an access log's."""

    first: dt.datetime | None = None


def held_from(p: Planned) -> Follows:
    """What the file ``p``, next in its log, says of the minutes the file before it holds back."""
    try:
        with open_log(p.path, p.codec) as f:
            data = f.read(PEEK_BYTES)
    except (OSError, ValueError, EOFError, BackfillError, CompressionError):
        return Follows()
    text = data[: data.rfind(b"\n") + 1].decode("utf-8", "replace")  # whole lines
    if not text or not looks_like_access_log(text.splitlines()[:200]):
        return Follows()
    first = access_minutes(text, None)["minute"].min()
    return Follows(first if isinstance(first, dt.datetime) else None)


def known_files(con) -> dict[str, tuple[int, int, bool, dt.datetime | None]]:
    """content id -> (id length, offset read to, handed to the tail, the time its lines were kept from:
    None for all of them)."""
    rows = con.execute("SELECT content_id, id_len, read_to, handed, read_from FROM backfill_files").fetchall()
    return {r[0]: (int(r[1]), int(r[2]), bool(r[3]), r[4]) for r in rows}


#: what one file's transaction writes: per-minute sums, error events, the tail's checkpoint
_Rows = tuple[pl.DataFrame, list[dict[str, Any]], dict[str, Any] | None]


def held_minutes(con, p: Planned, host: str) -> pl.DataFrame:
    """The minutes an earlier file of ``p``'s log left to be counted with the next one."""
    rows = con.execute(
        "SELECT minute, n, n5xx, rt_sum, rt_n FROM backfill_carry WHERE log = ? AND host = ? AND component = ?",
        [p.log, host, p.component],
    ).fetchall()
    return pl.DataFrame(rows, schema=SUMS, orient="row")


def write_held(store, p: Planned, host: str) -> int:
    """Write the minutes still held for ``p``'s log (its last file brought none to add): metric rows written."""
    with store.read() as con:
        if not held_minutes(con, p, host).height:
            return 0
    with store.write() as con:
        held = held_minutes(con, p, host)
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


def record_file(
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
    hold: Follows | None = None,
    read_from: dt.datetime | None = None,
    checkpoint_key: str | None = None,
) -> None:
    """One transaction: the file's rows (its per-minute sums with the minutes the log's previous file
    held; its own last ones held in turn when ``hold``: a later file of the log follows), its record
    (``read_from``: the time its lines were kept from, None for all of them), and the tail's checkpoint."""
    with store.write() as con:
        if rows is not None:
            sums, events, checkpoint = rows
            held = held_minutes(con, p, host)
            if held.height:
                sums = minute_sums([held, sums])
            keep = pl.DataFrame(schema=SUMS)
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
