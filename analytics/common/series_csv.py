"""The series CSV both harness commands read (``lokifi forecast series``, ``lokifi anomalies detect``):
``timestamp,value`` lines, one input handling and one set of notes for both. NumPy and the standard
library only: those commands must start fast.

* A header line is optional: the first line is one when its value is not a number and its time not a
  time. A UTF-8 byte order mark (Excel) is dropped.
* Timestamps are ISO 8601 (a zone is converted to UTC; none means UTC) or epoch numbers (s, ms, µs or
  ns by magnitude), in :data:`analytics.common.epoch_time.YEARS` (as ``lokifi ingest`` reads them).
* A value that is missing (empty, ``nan``, ``NA``, ``null``) or not finite is kept as NaN and noted:
  the forecast carries the value before over it, the detector skips it.
* A malformed row (not a timestamp, a time out of range, not a number, one field, a repeated header) is
  skipped with a note naming its line while such rows are at most 1 % of the rows; more, or no row that
  reads, refuses the input naming the first (it is then probably not a series).
* Order: time going backwards is real telemetry. A few steps back (an NTP or DST correction: at most
  three, or one in a thousand rows) keep the rows in arrival order and the time axis goes on from the
  latest time seen (the step is added back, so intervals stay true); more (rows not in time order) are
  read sorted by time. Repeated timestamps, values that are not finite and gaps of more than three
  sampling steps are noted too.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analytics.common.durations import spoken_seconds
from analytics.common.epoch_time import YEARS, TimeRangeError, text_seconds, us_iso

MAX_LINE = 10_000  # longest line read as a row; a longer one is a malformed row
MALFORMED_SHARE = 0.01  # malformed rows skipped up to this share of the rows; more refuses the input
BINARY_HEAD = 65536  # a NUL byte in this many first bytes: a binary file, refused as a whole
_MISSING = {"", "nan", "-nan", "na", "n/a", "null", "none", "-"}


#: the header line written before the rows (:func:`csv_rows`)
HEADER = "timestamp,value\n"


def csv_rows(times_us: Sequence[int], values: Sequence[float]) -> str:
    """Rows of this CSV, as ``lokifi db export`` writes a stored series: the time as the series commands
    print it (``2026-11-13T06:20:00Z``, from whole microseconds: exact), the value as Python writes a
    float (it reads back as the same number)."""
    return "".join(f"{us_iso(t)},{v!r}\n" for t, v in zip(times_us, values, strict=True))


class SeriesInputError(ValueError):
    """A series CSV that cannot be used; the message names the input and the line."""


@dataclass(frozen=True)
class Series:
    """The rows of a series CSV in the order they are read (file order, or sorted by time when the rows
    are out of order throughout): each row's time as written (epoch seconds, UTC), the time axis they
    are read on (non-decreasing: a clock's steps back taken out), the values (NaN: none, or not finite),
    each row's line, the notes on the input and the lines it has."""

    times: np.ndarray
    axis: np.ndarray
    values: np.ndarray
    lines: np.ndarray
    notes: tuple[str, ...]
    line_count: int


def read_series_csv(
    data: str | bytes, source: str = "<stdin>", *, no_value: str = "the detector skips such rows"
) -> Series:
    """Read a ``timestamp,value`` CSV (see the module docstring). ``no_value`` ends the note on rows
    without a finite value: what the caller does with them. Raises :class:`SeriesInputError`."""
    text = _text(data, source)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    times: list[float] = []
    values: list[float] = []
    at: list[int] = []
    bad: list[str] = []
    first = True
    for ln, line in enumerate(lines, 1):
        if not line.strip():
            continue
        header, first = first, False
        row = _row(line, source, ln, bad)
        if row is None:
            continue
        raw_t, raw_v = row[0].strip(), row[1].strip()
        try:
            t = text_seconds(raw_t)
        except TimeRangeError:
            bad.append(f"{source}:{ln}: timestamp {_shown(raw_t)} is outside {YEARS}")
            continue
        except ValueError:
            if header and _number(raw_v) is None:
                continue  # the first line is a header: no time in it, no number
            bad.append(f"{source}:{ln}: timestamp {_shown(raw_t)} is not ISO 8601 or an epoch number")
            continue
        v = _number(raw_v)
        if v is None:
            bad.append(f"{source}:{ln}: value {_shown(raw_v)} is not a number")
            continue
        times.append(t)
        values.append(v)
        at.append(ln)
    notes: list[str] = []
    if bad:
        more = (
            f" (and {len(bad) - 1} more row{'' if len(bad) == 2 else 's'} that cannot be read)" if len(bad) > 1 else ""
        )
        if not times or len(bad) > MALFORMED_SHARE * (len(times) + len(bad)):
            raise SeriesInputError(bad[0] + more)
        notes.append(
            f"{source}: skipped {len(bad)} row{'' if len(bad) == 1 else 's'} that cannot be read (up to "
            f"{MALFORMED_SHARE:.0%} of the rows are skipped, more refuses the input); the first: {bad[0]}"
        )
    if not times:
        raise SeriesInputError(f"{source}: no data rows (expected lines of timestamp,value)")
    t_arr = np.asarray(times, dtype=float)
    v_arr = np.asarray(values, dtype=float)
    ln_arr = np.asarray(at, dtype=np.int64)
    v_arr[~np.isfinite(v_arr)] = np.nan
    t_arr, axis, v_arr, ln_arr, order_note = _in_order(t_arr, v_arr, ln_arr, source)
    notes.extend(_quality_notes(source, axis, v_arr, ln_arr, no_value))
    if order_note:
        notes.append(order_note)
    return Series(t_arr, axis, v_arr, ln_arr, tuple(notes), len(lines))


def _text(data: str | bytes, source: str) -> str:
    """The input as text (bytes that are not UTF-8 become U+FFFD: their rows are malformed rows); a NUL
    byte in its first :data:`BINARY_HEAD` characters refuses it as a binary file."""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data.removeprefix("\ufeff")
    nul = text.find("\x00", 0, BINARY_HEAD)
    if nul >= 0:
        ln = text.count("\n", 0, nul) + 1
        raise SeriesInputError(f"{source}:{ln}: binary data (a NUL byte), expected CSV text timestamp,value")
    return text


def _row(line: str, source: str, ln: int, bad: list[str]) -> list[str] | None:
    """The fields of ``line``, or None with the reason in ``bad``."""
    if len(line) > MAX_LINE:
        bad.append(f"{source}:{ln}: line is {len(line):,} characters long (limit {MAX_LINE:,})")
        return None
    if "\x00" in line:
        bad.append(f"{source}:{ln}: binary data (a NUL byte), expected CSV text timestamp,value")
        return None
    if '"' in line:
        try:
            row = next(csv.reader([line]))
        except csv.Error as exc:
            bad.append(f"{source}:{ln}: not CSV ({exc})")
            return None
    else:
        row = line.split(",")
    if len(row) < 2:
        what = "bytes that are not UTF-8 text" if "\ufffd" in line else f"{len(row)} column"
        bad.append(f"{source}:{ln}: expected two columns timestamp,value, got {what}")
        return None
    return row


def _shown(text: str) -> str:
    if "\ufffd" in text:
        return f"{text[:40]!r} (bytes that are not UTF-8 text)"
    return repr(text[:40])


def _number(text: str) -> float | None:
    """The value of ``text``: NaN when missing (empty, ``nan``, ``NA``, ``null``), None when not a number."""
    if text.lower() in _MISSING:
        return float("nan")
    try:
        return float(text)
    except ValueError:
        return None


def _in_order(
    t: np.ndarray, v: np.ndarray, lines: np.ndarray, source: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str | None]:
    """(times, axis, values, lines, the note on order): see the module docstring."""
    d = np.diff(t)
    back = np.flatnonzero(d < 0) + 1  # rows whose time is before the row's before them
    if not back.size:
        return t, t, v, lines, None
    interval = _interval_before(d)
    sizes = [float(t[i - 1] - t[i] + interval[i - 1]) for i in back[:3]]
    where = ", ".join(f"line {lines[i]} ({spoken_seconds(s)})" for i, s in zip(back[:3], sizes, strict=False))
    where += " ..." if back.size > 3 else ""
    if back.size <= max(3, len(t) // 1000):
        axis = t.copy()
        offset, seen = 0.0, float(t[0])
        for i in range(1, len(t)):
            x = float(t[i]) + offset
            if x <= seen - 1e-9:
                offset += seen - x + interval[i - 1]
                x = float(t[i]) + offset
            axis[i] = x
            seen = max(seen, x)
        note = (
            f"{source}: the clock steps back at {where}; rows are kept in arrival order and the time axis "
            "continues from the latest time seen"
        )
        return t, axis, v, lines, note
    order = np.argsort(t, kind="stable")
    note = f"{source}: {back.size} rows go back in time ({where}); the rows were read sorted by time"
    return t[order], t[order], v[order], lines[order], note


def _interval_before(d: np.ndarray) -> np.ndarray:
    """For each row after the first, the last interval forward before it (the series' median step
    before any, one second for none): how far on the row after a clock's step came."""
    pos = d[d > 0]
    fallback = float(np.median(pos)) if pos.size else 1.0
    idx = np.where(d > 0, np.arange(len(d)), -1)
    last = np.maximum.accumulate(idx) if len(idx) else idx
    prev = np.concatenate(([-1], last[:-1])) if len(last) else last
    return np.where(prev >= 0, d[np.maximum(prev, 0)], fallback)


def _quality_notes(source: str, t: np.ndarray, v: np.ndarray, lines: np.ndarray, no_value: str) -> list[str]:
    """What a user should know about a series as it is read (in time order): repeated timestamps, values
    that are missing or not finite, and gaps of more than three sampling steps."""
    out = []
    d = np.diff(t)
    dup = np.flatnonzero(d == 0)
    if dup.size:
        differ = int(np.sum(~((v[dup] == v[dup + 1]) | (np.isnan(v[dup]) & np.isnan(v[dup + 1])))))
        other = f", {differ} with a different value" if differ else ""
        rows = f"{dup.size} rows repeat the timestamp before them"
        if dup.size == 1:
            rows = "1 row repeats the timestamp before it"
        out.append(f"{source}: {rows} (the first at line {lines[dup[0] + 1]}{other}); each is read as a row of its own")
    nf = np.flatnonzero(np.isnan(v))
    if nf.size:
        out.append(
            f"{source}: {nf.size} row{' has' if nf.size == 1 else 's have'} no value or one that is not finite "
            f"(the first at line {lines[nf[0]]}); {no_value}"
        )
    pos = d[d > 0]
    if pos.size:
        step = float(np.median(pos))
        big = np.flatnonzero(d > 3 * step)
        if big.size:
            k = int(big[np.argmax(d[big])])
            out.append(
                f"{source}: {big.size} gap{'' if big.size == 1 else 's'} longer than three sampling steps "
                f"(of {spoken_seconds(step)}); the longest {spoken_seconds(float(d[k]))} before line {lines[k + 1]}; "
                "rows on either side are read as consecutive"
            )
    return out
