"""Reading a series CSV for the anomaly detector (``lokifi anomalies detect``): ``timestamp,value`` rows
with an optional header, timestamps in ISO 8601 or epoch seconds/ms/µs/ns. Malformed rows are skipped
with a note while they are rare; repeated timestamps, non-finite values, gaps and clock steps are noted.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from typing import IO

import numpy as np


def epoch_seconds(d: dt.datetime) -> float:
    """Seconds since the epoch of a naive-UTC (or zoned) time."""
    if d.tzinfo is not None:
        d = d.astimezone(dt.UTC).replace(tzinfo=None)
    return (d - dt.datetime(1970, 1, 1)).total_seconds()


class SeriesError(ValueError):
    """A CSV series that cannot be read; the message says which line and why."""


def parse_time(text: str) -> dt.datetime:
    """ISO 8601 (with or without a zone) or epoch seconds/ms/µs/ns (by magnitude, as `lokifi ingest`)."""
    t = text.strip()
    if _is_number(t):
        x = float(t)
        a = abs(x)
        secs = x if a < 1e11 else x / 1e3 if a < 1e14 else x / 1e6 if a < 1e17 else x / 1e9
        return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=secs)
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    d = dt.datetime.fromisoformat(t)
    if d.tzinfo is not None:
        d = d.astimezone(dt.UTC).replace(tzinfo=None)
    return d


def read_series_csv(
    stream: IO[str] | Iterable[str], name: str = "<stdin>", notes: list[str] | None = None
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Read ``timestamp,value`` rows (a header line is optional). Returns the timestamps as written,
    epoch seconds and values.
    A malformed row (not a timestamp, not a number, one field) is skipped with a note naming its line,
    as long as such rows are at most 1 % of the rows; more, or no row that reads, raises SeriesError
    naming the first (the file is then probably not a series). Repeated timestamps, values that are not
    finite (nan, inf: the detector skips them) and gaps of more than three sampling steps are noted too.

    Time going backwards is real telemetry, not bad input: a few steps back (an NTP or DST correction)
    keep the rows in arrival order and the time axis goes on from where it was (the step is added back,
    so intervals stay true); many (rows not in time order) are read sorted by time. Either way a note
    naming the lines goes to ``notes``."""
    raw: list[str] = []
    secs: list[float] = []
    vals: list[float] = []
    reader = csv.reader(stream)
    rows = iter(reader)
    lineno = 0
    steps: list[tuple[int, float]] = []
    lines: list[int] = []
    bad: list[str] = []
    last_t, gap = 0.0, 0.0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            raise SeriesError(f"{name}:{reader.line_num}: not CSV: {exc}") from None
        lineno += 1
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) < 2:
            bad.append(f"{name}:{lineno}: expected 'timestamp,value', got {len(row)} field(s)")
            continue
        a, b = row[0].strip(), row[1].strip()
        if lineno == 1 and a.lower() in ("timestamp", "ts", "time") and not _is_number(b):
            continue
        try:
            when = parse_time(a)
        except (ValueError, OverflowError):
            bad.append(f"{name}:{lineno}: not a timestamp (ISO 8601 or epoch s/ms): {a[:60]!r}")
            continue
        try:
            x = float(b)
        except ValueError:
            bad.append(f"{name}:{lineno}: not a number: {b[:60]!r}")
            continue
        t = epoch_seconds(when)
        if secs and t < last_t:
            steps.append((lineno, last_t - t + gap))  # the clock's own step: the row came one interval on
        if secs and t > last_t:
            gap = t - last_t
        last_t = t
        raw.append(when.isoformat())
        secs.append(t)
        vals.append(x)
        lines.append(lineno)
    if bad:
        more = f" (and {len(bad) - 1} more malformed rows)" if len(bad) > 1 else ""
        if not secs or len(bad) * 100 > len(secs) + len(bad):
            raise SeriesError(bad[0] + more)
        if notes is not None:
            notes.append(f"skipped {len(bad)} malformed row(s); the first: {bad[0]}")
    t_arr = np.asarray(secs, dtype=float)
    v_arr = np.asarray(vals, dtype=float)
    order_msg = None
    if steps:
        where = ", ".join(f"line {ln} ({_span(back)})" for ln, back in steps[:3]) + (" ..." if len(steps) > 3 else "")
        if len(steps) <= max(3, len(secs) // 1000):
            # a clock step: keep the order, continue the time axis one interval after the last time seen
            adj = t_arr.copy()
            offset, seen_max = 0.0, adj[0]
            for i in range(1, len(adj)):
                x_t = t_arr[i] + offset
                if x_t <= seen_max - 1e-9:
                    step = gap if gap > 0 else 1.0
                    offset += seen_max - x_t + step
                    x_t = t_arr[i] + offset
                adj[i] = x_t
                seen_max = max(seen_max, x_t)
            t_arr = adj
            msg = (
                f"{name}: the clock steps back at {where}; rows are kept in arrival order and the time axis "
                "continues from the latest time seen"
            )
        else:
            order = np.argsort(t_arr, kind="stable")
            t_arr, v_arr = t_arr[order], v_arr[order]
            raw = [raw[i] for i in order]
            lines = [lines[i] for i in order]
            msg = f"{name}: {len(steps)} rows go back in time ({where}); the rows were read sorted by time"
        order_msg = msg
    if notes is not None:
        # measured on the rows as they are scored (sorted, or with the clock's steps taken out): gaps in
        # the file's order of a shuffled series are not gaps in time
        if len(t_arr) > 1:
            notes.extend(_quality_notes(name, t_arr, v_arr, lines))
        if order_msg:
            notes.append(order_msg)
    return raw, t_arr, v_arr


def _quality_notes(name: str, t: np.ndarray, v: np.ndarray, lines: list[int]) -> list[str]:
    """What a user should know about a series as it is scored (in time order): repeated timestamps, values
    that are not finite, and gaps of more than three sampling steps."""
    out = []
    d = np.diff(t)
    dup = np.flatnonzero(d == 0)
    if dup.size:
        out.append(
            f"{name}: {dup.size} row(s) repeat the timestamp before them (the first at line "
            f"{lines[dup[0] + 1]}); each is scored as a row of its own"
        )
    nf = np.flatnonzero(~np.isfinite(v))
    if nf.size:
        out.append(
            f"{name}: {nf.size} row(s) have no finite value (the first at line {lines[nf[0]]}); they are skipped"
        )
    pos = d[d > 0]
    if pos.size:
        step = float(np.median(pos))
        big = np.flatnonzero(d > 3 * step)
        if big.size:
            k = int(big[np.argmax(d[big])])
            out.append(
                f"{name}: {big.size} gap(s) longer than three sampling steps ({_span(step)}); the longest "
                f"{_span(float(d[k]))} before line {lines[k + 1]}; rows on either side are scored as "
                "consecutive"
            )
    return out


def _span(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600} h {s % 3600 // 60} min" if s >= 3600 else f"{s // 60} min {s % 60} s" if s >= 60 else f"{s} s"


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False
