"""Access logs (common/combined format, as nginx and Apache write them) as per-minute service metrics.

``response_time_ms`` (mean of the request time, when the server writes one as the last field with a dot:
nginx ``$request_time``, seconds), ``requests_per_min`` and ``error_rate`` (the share of 5xx answers) of
the component the log belongs to. Two readers share the format: :func:`access_minutes` (vectorised, for
``lokifi backfill``) and :class:`MinuteAggregator` (line by line, for live tailing: a minute is emitted
once a line stamped :data:`SETTLED` after its start arrives, or when the collector stops if it can no longer
grow; a late-stamped line is counted in its own minute meanwhile).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from typing import Any

import polars as pl

#: the share of sampled lines that must parse as access-log lines for a file to be read as one
ACCESS_SHARE = 0.6

# Common/combined log format, optionally followed by more fields; the request time is the last field
# when it is a number with a dot (nginx $request_time, $upstream_response_time: seconds).
ACCESS_RE = (
    r"^\S+ \S+ \S+ \[(?P<t>\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "
    r'"[^"]*" (?P<s>\d{3}) \S+(?:.*\s(?P<rt>\d+\.\d+)\s*$)?'
)
_ACCESS = re.compile(ACCESS_RE)
_ACCESS_TIME = r'^\S+ \S+ \S+ \[(\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "'
_ACCESS_STATUS = r'" (\d{3}) \S'
_ACCESS_RT = r"\s(\d+\.\d+)\s*$"


def looks_like_access_log(sample: list[str]) -> bool:
    lines = [x for x in sample if x.strip()]
    if not lines:
        return False
    return sum(1 for x in lines if _ACCESS.match(x)) >= ACCESS_SHARE * len(lines)


def access_minutes(lines: list[str] | str, cutoff: dt.datetime | None) -> pl.DataFrame:
    """Per-minute partial sums of access-log lines (a list, or one text of lines): minute, n, n5xx,
    rt_sum, rt_n."""
    col = (
        pl.Series("l", [lines], pl.String).str.split("\n").explode()
        if isinstance(lines, str)
        else pl.Series("l", lines, pl.String)
    )
    # three anchored extractions run several times faster than one pattern with a greedy middle
    df = col.to_frame().select(
        pl.col("l").str.extract(_ACCESS_TIME, 1).alias("t"),
        pl.col("l").str.extract(_ACCESS_STATUS, 1).alias("s"),
        pl.col("l").str.extract(_ACCESS_RT, 1).alias("rt"),
    )
    df = (
        df.filter(pl.col("t").is_not_null())
        .select(
            pl.col("t")
            .str.to_datetime("%d/%b/%Y:%H:%M:%S %z", strict=False)
            .dt.convert_time_zone("UTC")
            .dt.replace_time_zone(None)
            .dt.cast_time_unit("us")
            .alias("ts"),
            pl.col("s").cast(pl.Int32, strict=False).alias("s"),
            pl.col("rt").cast(pl.Float64, strict=False).alias("rt"),
        )
        .drop_nulls("ts")
    )
    if cutoff is not None:
        df = df.filter(pl.col("ts") >= cutoff)
    return df.group_by(pl.col("ts").dt.truncate("1m").alias("minute")).agg(
        pl.len().alias("n"),
        (pl.col("s") >= 500).sum().alias("n5xx"),
        pl.col("rt").sum().alias("rt_sum"),
        pl.col("rt").count().alias("rt_n"),
        pl.col("ts").min().alias("first"),
        pl.col("ts").max().alias("last"),
    )


def minutes_to_metrics(parts: list[pl.DataFrame], host: str, component: str, source: str = "backfill") -> pl.DataFrame:
    """The metric rows of a file's minutes (partial sums of its blocks added up)."""
    if not parts:
        return pl.DataFrame()
    m = pl.concat(parts).group_by("minute").agg(pl.col("n", "n5xx", "rt_sum", "rt_n").sum())
    base = m.select(
        pl.col("minute").alias("ts"),
        pl.lit(host).alias("host"),
        pl.lit(component).alias("component"),
        pl.col("n"),
        pl.col("n5xx"),
        pl.col("rt_sum"),
        pl.col("rt_n"),
    )
    frames = [
        base.select(
            "ts",
            "host",
            "component",
            pl.lit("requests_per_min").alias("metric"),
            pl.col("n").cast(pl.Float64).alias("value"),
        ),
        base.select(
            "ts",
            "host",
            "component",
            pl.lit("error_rate").alias("metric"),
            (pl.col("n5xx") / pl.col("n")).cast(pl.Float64).alias("value"),
        ),
        base.filter(pl.col("rt_n") > 0).select(
            "ts",
            "host",
            "component",
            pl.lit("response_time_ms").alias("metric"),
            (pl.col("rt_sum") / pl.col("rt_n") * 1000.0).alias("value"),
        ),
    ]
    return pl.concat(frames).with_columns(pl.lit(source).alias("source")).sort("ts")


@dataclass
class _Minute:
    minute: dt.datetime
    first: Any  # what was fed with the minute's first line (the tailed line, with its place in the file)
    n: int = 0
    n5xx: int = 0
    rt_sum: float = 0.0
    rt_n: int = 0


_TIME_RE = re.compile(_ACCESS_TIME)
_STATUS_RE = re.compile(_ACCESS_STATUS)
_RT_RE = re.compile(_ACCESS_RT)


_MINUTES: dict[str, dt.datetime | None] = {}


def line_minute(text: str) -> dt.datetime | None:
    """The minute (naive UTC) an access-log line is stamped in, or None when it is not an access-log line."""
    m = _TIME_RE.match(text)
    if not m:
        return None
    t = m.group(1)  # 01/Dec/2026:10:00:05 +0100: the minute is all but the seconds
    key = t[:17] + t[20:]
    if key not in _MINUTES:
        if len(_MINUTES) > 4096:
            _MINUTES.clear()
        try:
            _MINUTES[key] = (
                dt.datetime.strptime(t[:17] + ":00" + t[20:], "%d/%b/%Y:%H:%M:%S %z")
                .astimezone(dt.UTC)
                .replace(tzinfo=None)
            )
        except ValueError:
            _MINUTES[key] = None
    return _MINUTES[key]


#: a minute this long after its start gets no more lines (a server that stamps a request with its start
#: writes a slow one up to a minute late)
SETTLED = dt.timedelta(minutes=2)
#: how far back from its end an access log is read to find where its last minute begins (past that, the
#: readers split the file at its end, as any other log)
HAND_SCAN = 64 * 1024 * 1024
_SCAN_BLOCK = 1024 * 1024


def last_minute_start(fd: int, lo: int, hi: int) -> tuple[int, dt.datetime] | None:
    """Where an access log's last minute begins within ``[lo, hi)`` of the open file ``fd`` (``hi`` at a
    line end): the offset of the first line stamped in that minute or later, and the minute; None when the
    lines there are not an access log's, or the minute's start was not found within :data:`HAND_SCAN` bytes.

    Where backfill and live tailing split the current access log (the tail reads from there, backfill up
    to there), so that minute is read whole by the tail, with the lines appended to it later — the store
    keeps a minute's first row. Lines are read backwards a block at a time until one stamped
    :data:`SETTLED` before the last (a server that stamps a request with its start writes a slow one up to
    a minute late), so memory is a block."""
    last: dt.datetime | None = None
    at = hi
    sample: list[str] = []
    pos, rest = hi, b""  # rest: the start of a line whose beginning is in the block before
    while pos > lo:
        if hi - pos >= HAND_SCAN:
            return None
        step = min(_SCAN_BLOCK, pos - lo)
        pos -= step
        data = os.pread(fd, step, pos) + rest
        first = 0 if pos == lo else data.find(b"\n") + 1
        if pos > lo and first == 0:  # no line starts in this block
            rest = data
            continue
        rest = data[:first]
        body = data[first:]
        off = pos + first + len(body)
        for raw in reversed(body[:-1].split(b"\n")):  # body: whole lines, each with its newline
            off -= len(raw) + 1
            text = raw.decode("utf-8", "replace")
            if len(sample) < 200:
                sample.append(text)
                if len(sample) == 200 and not looks_like_access_log(sample):
                    return None
            m = line_minute(text)
            if m is None:
                continue
            if last is None or m > last:
                last, at = m, off
            elif m == last:
                at = off
            elif m <= last - SETTLED:
                return (at, last) if looks_like_access_log(sample) else None
    return (at, last) if last is not None and looks_like_access_log(sample) else None


class MinuteAggregator:
    """Per-minute sums of an access log read line by line; :meth:`feed` returns the minutes that settled,
    as metric rows (ts, host, component, metric, value, source).

    A server that stamps a request with its start (Apache's ``%t``) writes a slow request after requests of
    later minutes: its line is counted in the minute it is stamped in. So a minute is held until a line
    stamped :data:`SETTLED` after its start is read (the log's own clock says a request of that minute
    would have been written by then), and every held minute grows meanwhile. A line stamped in a minute
    already written, or before the first minute this reader read from its start (another reader's: the
    store keeps a minute's first row), is not counted (:attr:`late`)."""

    def __init__(self, host: str, component: str, source: str = "tail") -> None:
        self.host, self.component, self.source = host, component, source
        self.held: dict[dt.datetime, _Minute] = {}  # in the order their first lines were read
        self.floor: dt.datetime | None = None  # the first minute read from its start
        self.latest: dt.datetime | None = None  # the latest stamp read
        self.late = 0  # lines not counted: their minute was written already, or is another reader's

    @property
    def held_from(self) -> Any:
        """The first line read of the minutes still held (their rows are not emitted yet), or None."""
        return next(iter(self.held.values())).first if self.held else None

    def feed(self, text: str, start: Any) -> list[dict[str, Any]]:
        m = _TIME_RE.match(text)
        if not m:
            return []
        try:
            t = dt.datetime.strptime(m.group(1), "%d/%b/%Y:%H:%M:%S %z").astimezone(dt.UTC).replace(tzinfo=None)
        except ValueError:
            return []
        minute = t.replace(second=0)
        if self.floor is None:
            self.floor = minute
        if minute < self.floor or (self.latest is not None and minute + SETTLED <= self.latest):
            self.late += 1
            return []
        cur = self.held.get(minute)
        if cur is None:
            cur = self.held[minute] = _Minute(minute, start)
        cur.n += 1
        s = _STATUS_RE.search(text)
        cur.n5xx += bool(s and s.group(1) >= "500")
        r = _RT_RE.search(text)
        if r:
            cur.rt_sum += float(r.group(1))
            cur.rt_n += 1
        if self.latest is None or t > self.latest:
            self.latest = t
            return self._settled(t)
        return []

    def flush(self, now: dt.datetime | None = None) -> list[dict[str, Any]]:
        """The held minutes' rows; with ``now`` (the collector is stopping), only of those :data:`SETTLED`
        by then — one that may still grow stays held, and the caller's checkpoint at its first line has the
        next run read it again, whole."""
        if now is None:
            out = [r for cur in sorted(self.held.values(), key=lambda c: c.minute) for r in self._rows(cur)]
            self.held.clear()
            return out
        if self.latest is None or now > self.latest:  # a line read later in a minute written now is late
            self.latest = now
        return self._settled(now)

    def _settled(self, clock: dt.datetime) -> list[dict[str, Any]]:
        """The rows of the held minutes that settled by ``clock``, oldest first (and no longer held)."""
        done = sorted(k for k in self.held if k + SETTLED <= clock)
        return [r for k in done for r in self._rows(self.held.pop(k))]

    def _rows(self, cur: _Minute) -> list[dict[str, Any]]:
        base = {"ts": cur.minute, "host": self.host, "component": self.component, "source": self.source}
        rows = [
            {**base, "metric": "requests_per_min", "value": float(cur.n)},
            {**base, "metric": "error_rate", "value": cur.n5xx / cur.n},
        ]
        if cur.rt_n:
            rows.append({**base, "metric": "response_time_ms", "value": cur.rt_sum / cur.rt_n * 1000.0})
        return rows
