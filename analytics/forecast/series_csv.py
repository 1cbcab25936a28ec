"""``lokifi forecast series``: a CSV of ``timestamp,value`` in, a forecast of the next steps out (one
``value,lo,hi`` line per step) — the interface of the forecast harness. The CSV is read as
``lokifi anomalies detect`` reads it (:mod:`analytics.common.series_csv`: the same notes, the same
malformed rows skipped, the same order rule); the rows become equally spaced steps (gaps carried
forward), the daily season is counted in rows, and the model is chosen per series by
:func:`analytics.forecast.backtest.forecast_series`. NumPy and the standard library only, so the CLI
path starts fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.common.durations import spoken_seconds
from analytics.common.epoch_time import MAX_SECONDS, TS_MAX, utc_iso, year_of
from analytics.common.series_csv import SeriesInputError, read_series_csv
from analytics.common.sizes import human_bytes
from analytics.forecast.backtest import LEVEL, SeriesForecast, forecast_series
from analytics.forecast.stats import MIN_ORIGINS, rows_to_measure

__all__ = ["HorizonError", "SeriesInputError", "SeriesRun", "forecast_csv", "forecast_csv_timed"]

DAY_SECONDS = 86400.0
MIN_STEP = 0.001  # seconds: the finest spacing of the forecast's times (printed to the microsecond)
#: what the forecast does with a row without a finite value (the end of the reader's note on them)
NO_VALUE = "the value before is carried over such rows"


class HorizonError(ValueError):
    """The forecast's steps would end past the years Lokifi reads and prints; the message names the
    option to change (--horizon, --step) and how far it may go."""


def series_rows(values: np.ndarray, axis: np.ndarray, step: float | None = None) -> tuple[np.ndarray, float]:
    """The rows as equally spaced steps in the order read, gaps (NaN) carried forward, and the step in
    seconds (given, or the median spacing of the time axis; one hour when it cannot be told)."""
    y = np.asarray(values, dtype=float).copy()
    ok = np.isfinite(y)
    if not ok.any():
        raise SeriesInputError("every value is missing; nothing to forecast from")
    y = y[np.argmax(ok) :]  # drop leading gaps
    t = np.asarray(axis, dtype=float)[len(axis) - len(y) :]
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
    last row's time as written plus whole steps), the rows the model read, the step (``step_assumed``:
    one hour, as nothing in the rows told it), the rows a measured forecast of this horizon needs, the
    reader's notes on the input, and the input's size limit with the rows it holds at this input's row
    length (None: no limit)."""

    forecast: SeriesForecast
    times: np.ndarray
    rows: int
    step: float
    step_assumed: bool
    rows_to_measure: int
    season: int = 1
    notes: tuple[str, ...] = ()
    max_input: int | None = None
    rows_input_holds: int | None = None

    @property
    def guess(self) -> str | None:
        """What a guess (a forecast too short to backtest: :attr:`SeriesForecast.measured` is False) is
        made from and what a measured one takes; None for a measured forecast. It never asks for more
        rows than the input may hold: then it says how far ahead those rows can measure."""
        fc = self.forecast
        if fc.measured:
            return None
        rows = f"{self.rows} row{'' if self.rows == 1 else 's'}"
        every = f"one row every {spoken_seconds(self.step)}"
        if self.step_assumed:
            every += " (assumed: the rows give no spacing; --step sets it)"
        span = spoken_seconds(self.step * (self.rows_to_measure - 1))
        steps = f"{len(self.times):,} step{'' if len(self.times) == 1 else 's'}"
        text = (
            f"this forecast is a guess from {rows}, not a measured one: its backtest on the series' own "
            f"history has {fc.backtest_origins} of the {MIN_ORIGINS} origins it takes, so there is no "
            f"measured {fc.level:.0%} interval and lo,hi are left out. "
        )
        holds = self.rows_input_holds
        if holds is None or self.rows_to_measure <= holds:
            need = f"needs at least {self.rows_to_measure} rows: {span} of history at {every}."
            return f"{text}A measured forecast {steps} ahead {need}"
        reach = measurable_horizon(holds, self.season)
        size = human_bytes(self.max_input or 0)
        return text + (
            f"A measured forecast {steps} ahead needs {self.rows_to_measure:,} rows ({span} of history at "
            f"{every}), more than the input may hold ({size}: about {holds:,} rows like these); "
            + (
                f"{holds:,} rows measure a forecast up to {reach:,} step{'' if reach == 1 else 's'} ahead "
                f"(--horizon {reach})."
                if reach
                else "no measured forecast fits in it."
            )
        )


def measurable_horizon(rows: int, season: int) -> int:
    """The furthest horizon ``rows`` rows measure (0: none)."""
    lo, hi = 0, max(1, rows)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if rows_to_measure(mid, season) <= rows:
            lo = mid
        else:
            hi = mid - 1
    return lo


def forecast_csv_timed(
    data: str | bytes,
    horizon: int,
    *,
    step: float | None = None,
    model: str = "auto",
    level: float = LEVEL,
    source: str = "<stdin>",
    max_input: int | None = None,
) -> SeriesRun:
    """:func:`forecast_csv` with the time of each forecast step and what it was made from. ``max_input``:
    the most bytes the input may hold (the guess's note never asks for more rows). Raises
    :class:`SeriesInputError` for the input, :class:`HorizonError` for steps past the years read."""
    series = read_series_csv(data, source, no_value=NO_VALUE)
    given = bool(step)
    y, step = series_rows(series.values, series.axis, step)
    tail = series.axis[len(series.axis) - len(y) :]
    assumed = not given and not np.any(np.diff(tail) > 0)
    last = float(series.times[-1])  # the last row's own time: what the clock said last
    _check_steps(last, step, horizon, given, source)
    season = rows_per_day(series.axis, step)
    fc = forecast_series(y, horizon, season, model=model, level=level)
    holds = None
    if max_input:
        per_row = len(data) / max(1, series.line_count)
        holds = max(1, int(max_input / max(per_row, 1.0)))
    return SeriesRun(
        fc,
        last + step * np.arange(1, horizon + 1, dtype=float),
        len(y),
        step,
        assumed,
        rows_to_measure(horizon, season),
        season,
        series.notes,
        max_input,
        holds,
    )


def _check_steps(last: float, step: float, horizon: int, given: bool, source: str) -> None:
    """Refuse steps that cannot be told apart (closer than :data:`MIN_STEP`) or that end past the years
    read (:data:`analytics.common.epoch_time.TS_MAX`)."""
    if step < MIN_STEP:
        if given:
            raise HorizonError(f"--step {step:g}: steps closer than {MIN_STEP:g} s cannot be told apart")
        raise SeriesInputError(
            f"{source}: the rows are {step:.2g} s apart, closer than the {MIN_STEP:g} s a forecast's steps "
            "can be told apart by; --step sets the spacing"
        )
    end = last + step * horizon
    if end < MAX_SECONDS:
        return
    fits = max(0, int((MAX_SECONDS - last) / step))
    while fits and last + step * fits >= MAX_SECONDS:
        fits -= 1
    every = f"--step {step:g}" if given else f"one row every {spoken_seconds(step)}"
    year = year_of(end)
    when = f"in the year {year}" if year.isdigit() else year.replace("past", "past the year")
    smaller = " or a smaller --step" if given else ""
    room = (
        f"at most {fits:,} step{'' if fits == 1 else 's'} fit (--horizon {fits}{smaller})"
        if fits
        else "no step of this size fits (a smaller --step does)"
    )
    raise HorizonError(
        f"--horizon {horizon} at {every} after the last row ({utc_iso(last)}) would end {when}; "
        f"Lokifi's times end with the year {TS_MAX.year - 1}: {room}"
    )
