"""``lokifi forecast series``: a CSV of ``timestamp,value`` in, a forecast of the next steps out (one
``value,lo,hi`` line per step) — the interface of the forecast harness. The rows become equally spaced
steps (gaps carried forward), the daily season is counted in rows, and the model is chosen per series
by :func:`analytics.forecast.backtest.forecast_series`. NumPy and the standard library only, so the CLI
path starts fast.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from analytics.common.durations import spoken_seconds
from analytics.forecast.backtest import LEVEL, SeriesForecast, forecast_series
from analytics.forecast.stats import MIN_ORIGINS, rows_to_measure

MAX_LINE = 10_000  # longest CSV line accepted by read_series_csv
DAY_SECONDS = 86400.0


class SeriesInputError(ValueError):
    """The series CSV cannot be used; the message says what and where (line number)."""


_MISSING = {"", "nan", "na", "n/a", "null", "none", "-"}


def _parse_time(text: str) -> float:
    """Seconds since the epoch for an ISO 8601 timestamp (a zone is converted to UTC) or an epoch number
    (s, ms, µs or ns by magnitude). Raises ValueError."""
    t = text.strip()
    try:
        x = float(t)
    except ValueError:
        pass
    else:
        if not math.isfinite(x):
            raise ValueError(t)
        for scale in (1.0, 1e3, 1e6, 1e9):
            if abs(x) < 1e11 * scale:
                return x / scale
        return x / 1e9
    if t[-1:] in ("Z", "z"):
        t = t[:-1] + "+00:00"
    d = dt.datetime.fromisoformat(t)
    if d.tzinfo is not None:
        return d.timestamp()
    return d.replace(tzinfo=dt.UTC).timestamp()


def _is_time(text: str) -> bool:
    try:
        _parse_time(text)
    except (ValueError, OverflowError, IndexError):
        return False
    return True


def read_series_csv(data: str | bytes, source: str = "<stdin>") -> tuple[np.ndarray, np.ndarray]:
    """Read a ``timestamp,value`` CSV: returns (seconds since the epoch, values) with NaN for missing
    values (empty, ``nan``, ``null``, ``NA``). An optional header line is recognised by a value column
    that is not a number and a time column that is not a time. Raises :class:`SeriesInputError` naming
    the line for anything else."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            at = data[: exc.start].count(b"\n") + 1
            raise SeriesInputError(f"{source}:{at}: not UTF-8 text (byte {exc.start})") from None
    else:
        text = data[1:] if data.startswith("\ufeff") else data
    if "\x00" in text:
        at = text[: text.index("\x00")].count("\n") + 1
        raise SeriesInputError(f"{source}:{at}: binary data (NUL byte); expected a CSV of timestamp,value")
    times: list[float] = []
    values: list[float] = []
    first = True
    for ln, line in enumerate(text.splitlines(), 1):
        if len(line) > MAX_LINE:
            raise SeriesInputError(
                f"{source}:{ln}: line is {len(line)} characters long (limit {MAX_LINE}); expected timestamp,value"
            )
        if not line.strip():
            continue
        try:
            row = next(csv.reader([line]))
        except csv.Error as exc:
            raise SeriesInputError(f"{source}:{ln}: not CSV ({exc})") from None
        if len(row) < 2:
            raise SeriesInputError(f"{source}:{ln}: expected two columns timestamp,value, got {len(row)}")
        raw_v = row[1].strip()
        header, first = first, False
        try:
            v = float("nan") if raw_v.lower() in _MISSING else float(raw_v)
        except ValueError:
            if header and not _is_time(row[0]):  # the first line may be a header (no time in it)
                continue
            raise SeriesInputError(f"{source}:{ln}: value {raw_v[:40]!r} is not a number") from None
        if math.isinf(v):
            raise SeriesInputError(f"{source}:{ln}: value {raw_v[:40]!r} is not finite")
        try:
            t = _parse_time(row[0])
        except (ValueError, OverflowError, IndexError):
            raise SeriesInputError(
                f"{source}:{ln}: timestamp {row[0].strip()[:40]!r} is not ISO 8601 or an epoch number"
            ) from None
        times.append(t)
        values.append(v)
    if not values:
        raise SeriesInputError(f"{source}: no data rows (expected lines of timestamp,value)")
    return np.asarray(times, dtype=float), np.asarray(values, dtype=float)


def series_rows(times: np.ndarray, values: np.ndarray, step: float | None = None) -> tuple[np.ndarray, float]:
    """Rows in time order as equally spaced steps, gaps (NaN) carried forward, and the step in seconds
    (given, or the median spacing of the timestamps; one hour when it cannot be told)."""
    order = np.argsort(times, kind="stable")
    t, y = times[order], values[order].copy()
    ok = np.isfinite(y)
    if not ok.any():
        raise SeriesInputError("every value is missing; nothing to forecast from")
    y = y[np.argmax(ok) :]  # drop leading gaps
    t = t[len(t) - len(y) :]
    idx = np.where(np.isfinite(y), np.arange(len(y)), 0)
    y = y[np.maximum.accumulate(idx)]  # carry the last value over gaps
    if not step or step <= 0:
        d = np.diff(t)
        d = d[d > 0]
        step = float(np.median(d)) if len(d) else 3600.0
    return y, float(step)


def rows_per_day(times: np.ndarray, step: float, days: float = 7.0) -> int:
    """The daily season in rows: how many rows the last ``days`` of timestamps hold per day (the week the
    daily profiles read). For evenly spaced rows this is one day over ``step``; for a series sampled
    irregularly (readings when a sensor reports, a quarter of the nominal slots filled) it is the number
    of rows a day really brings, so the daily profile lines up with the day. ``day / step`` when the
    timestamps span less than a day."""
    t = np.sort(times[np.isfinite(times)])
    nominal = max(1, round(DAY_SECONDS / step))
    if len(t) < 2:
        return nominal
    recent = t[t >= t[-1] - days * DAY_SECONDS]
    span = float(recent[-1] - recent[0])
    if span < DAY_SECONDS:
        return nominal
    return max(1, round((len(recent) - 1) * DAY_SECONDS / span))


def forecast_csv(
    data: str | bytes,
    horizon: int,
    *,
    step: float | None = None,
    model: str = "auto",
    level: float = LEVEL,
    source: str = "<stdin>",
):
    """Read a series CSV and forecast ``horizon`` steps: a :class:`analytics.forecast.backtest.SeriesForecast`."""
    return forecast_csv_timed(data, horizon, step=step, model=model, level=level, source=source).forecast


@dataclass(frozen=True)
class SeriesRun:
    """A forecast of a series CSV and what it was made from: the time of each step (epoch seconds: the
    last row's time plus whole steps), the rows the model read, the step (``step_assumed``: one hour,
    as nothing in the rows told it), and the rows a measured forecast of this horizon needs."""

    forecast: SeriesForecast
    times: list[float]
    rows: int
    step: float
    step_assumed: bool
    rows_to_measure: int

    @property
    def guess(self) -> str | None:
        """What a guess (a forecast too short to backtest: :attr:`SeriesForecast.measured` is False) is
        made from and what a measured one takes; None for a measured forecast."""
        fc = self.forecast
        if fc.measured:
            return None
        rows = f"{self.rows} row{'' if self.rows == 1 else 's'}"
        every = f"one row every {spoken_seconds(self.step)}"
        if self.step_assumed:
            every += " (assumed: the rows give no spacing; --step sets it)"
        span = spoken_seconds(self.step * (self.rows_to_measure - 1))
        return (
            f"this forecast is a guess from {rows}, not a measured one: its backtest on the series' own "
            f"history has {fc.backtest_origins} of the {MIN_ORIGINS} origins it takes, so there is no "
            f"measured {fc.level:.0%} interval and lo,hi are left out. A measured forecast {len(self.times)} "
            f"step{'' if len(self.times) == 1 else 's'} ahead needs at least {self.rows_to_measure} rows: "
            f"{span} of history at {every}."
        )


def forecast_csv_timed(
    data: str | bytes,
    horizon: int,
    *,
    step: float | None = None,
    model: str = "auto",
    level: float = LEVEL,
    source: str = "<stdin>",
) -> SeriesRun:
    """:func:`forecast_csv` with the time of each forecast step and what it was made from."""
    times, values = read_series_csv(data, source)
    given = bool(step)
    y, step = series_rows(times, values, step)
    assumed = not given and not np.any(np.diff(np.sort(times)[len(times) - len(y) :]) > 0)
    season = rows_per_day(times, step)
    fc = forecast_series(y, horizon, season, model=model, level=level)
    last = float(np.max(times))
    return SeriesRun(
        fc,
        [last + step * (i + 1) for i in range(horizon)],
        len(y),
        step,
        assumed,
        rows_to_measure(horizon, season),
    )
