"""Times as Lokifi reads and prints them, one definition for every reader (``lokifi ingest``, ``lokifi
forecast series``, ``lokifi anomalies detect``): the years a timestamp may fall in, the unit of an epoch
number told by its magnitude, a timestamp of text in epoch seconds, and the ISO 8601 UTC form printed.
Standard library only: the series commands must start fast."""

from __future__ import annotations

import datetime as dt
import math

#: timestamps outside [TS_MIN, TS_MAX) are refused: a year 0 or 9999 typo, a negative epoch number, a
#: number in the wrong unit; the forecast's own steps must end before TS_MAX too
TS_MIN = dt.datetime(1970, 1, 1)
TS_MAX = dt.datetime(2200, 1, 1)
MIN_SECONDS = 0.0
MAX_SECONDS = (TS_MAX - TS_MIN).total_seconds()
#: the years read, as messages say them
YEARS = f"the years {TS_MIN.year}-{TS_MAX.year - 1}"

_EPOCH = dt.datetime(1970, 1, 1)


class TimeRangeError(ValueError):
    """A timestamp that reads, outside :data:`YEARS`."""


def epoch_number_seconds(x: float) -> float:
    """Seconds for an epoch number whose unit is told by its magnitude: s < 1e11 <= ms < 1e14 <= µs < 1e17
    <= ns (as :mod:`analytics.common.timeparse` reads a column)."""
    a = abs(x)
    return x if a < 1e11 else x / 1e3 if a < 1e14 else x / 1e6 if a < 1e17 else x / 1e9


def text_seconds(text: str) -> float:
    """Epoch seconds (UTC) of ISO 8601 text (a zone is converted; none means UTC) or of an epoch number.
    Raises :class:`TimeRangeError` for a time outside :data:`YEARS`, ValueError for anything else."""
    t = text.strip()
    try:
        x = float(t)
    except ValueError:
        pass
    else:
        if not math.isfinite(x):
            raise ValueError(t)
        return in_range(epoch_number_seconds(x))
    if t[-1:] in ("Z", "z"):
        t = t[:-1] + "+00:00"
    try:
        d = dt.datetime.fromisoformat(t)
    except (ValueError, OverflowError, IndexError):
        raise ValueError(t) from None
    if d.tzinfo is not None:
        try:
            d = d.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:  # year 1 or 9999 moved past the calendar by its zone
            raise TimeRangeError(t) from None
    return in_range((d - _EPOCH).total_seconds())


def in_range(seconds: float) -> float:
    """``seconds`` when it falls in :data:`YEARS`; :class:`TimeRangeError` otherwise."""
    if not MIN_SECONDS <= seconds < MAX_SECONDS:
        raise TimeRangeError(seconds)
    return seconds


def utc_iso(seconds: float) -> str:
    """``2026-11-13T06:20:00Z``: the UTC time of epoch ``seconds``, to the microsecond, the fraction shown
    only when there is one (``.250``, ``.000125``). Every time a series command prints has this form."""
    return us_iso(round(seconds * 1e6))


def us_iso(us: int) -> str:
    """:func:`utc_iso` of a time given in whole microseconds since the epoch (exact: no float rounding)."""
    d = _EPOCH + dt.timedelta(microseconds=us)
    frac = us % 1_000_000
    text = d.strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        text += f".{frac // 1000:03d}" if frac % 1000 == 0 else f".{frac:06d}"
    return text + "Z"


def year_of(seconds: float) -> str:
    """The year of epoch ``seconds`` as a message says it, also past the calendar's end (``past 9999``)."""
    try:
        return str((_EPOCH + dt.timedelta(seconds=seconds)).year)
    except (OverflowError, ValueError):
        return "past 9999" if seconds > 0 else "before 1"


def datetime_seconds(d: dt.datetime) -> float:
    """Epoch seconds of a naive-UTC (or zoned) time."""
    if d.tzinfo is not None:
        d = d.astimezone(dt.UTC).replace(tzinfo=None)
    return (d - _EPOCH).total_seconds()
