"""The seed's performance forecast, exactly: a straight line through 30 days of response times.

Seed 000 §3: simple linear regression ``y = m x + b`` of a component's response time on time (x in
days) over a 30-day window; at least 7 days of data (otherwise say how many days are missing); a
7-day horizon (configurable). Reported: slope (ms/day), intercept, current value, forecast value and
percent change over the horizon; trend ``increasing`` when slope > 1, ``decreasing`` when slope < -1,
``stable`` otherwise; a *significant* trend when |slope| > 5; colour by degradation: > 20 % red,
10-20 % yellow, otherwise (less, or an improvement) green.

Definitions the seed leaves open, fixed here:
* x is days since the start of the window; "current" is the line's value at the latest observation
  and "forecast" its value ``horizon_days`` later, so percent change = slope x horizon / current.
* "days of data" counts distinct UTC calendar days that hold at least one observation in the window.
* Points may carry weights (the number of raw samples behind an hourly mean), which makes the fit on
  hourly rollups the same line as a fit on every raw sample at its hour.

Also provides the line as a backtestable forecaster on equally spaced rows (``linear_rows``) and an
empirical interval from its own backtest errors, so the line can stand beside the seasonal model.
NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.forecast import MIN_DAYS

WINDOW_DAYS = 30.0
HORIZON_DAYS = 7.0
TREND_SLOPE = 1.0  # ms/day: increasing above, decreasing below minus this
SIGNIFICANT_SLOPE = 5.0  # ms/day: |slope| above this is a significant trend
RED_PCT = 20.0
YELLOW_PCT = 10.0


class InsufficientData(ValueError):
    """Fewer than the required days of data; ``missing_days`` says how many more are needed."""

    def __init__(self, days: int, required: int = MIN_DAYS):
        self.days = days
        self.required = required
        self.missing_days = max(0, required - days)
        super().__init__(
            f"insufficient data for forecasting: {days} day{'s' if days != 1 else ''} of data, "
            f"{required} required ({self.missing_days} more day{'s' if self.missing_days != 1 else ''} needed)"
        )


def trend_of(slope: float) -> str:
    """The seed's trend direction for a slope in units per day."""
    if slope > TREND_SLOPE:
        return "increasing"
    if slope < -TREND_SLOPE:
        return "decreasing"
    return "stable"


def is_significant(slope: float) -> bool:
    """The seed's significance rule: |slope| > 5 per day."""
    return abs(slope) > SIGNIFICANT_SLOPE


def colour_of(percent_change: float | None) -> str:
    """Colour by degradation (an increase of response time): > 20 % red, 10-20 % yellow, else green."""
    if percent_change is None or not np.isfinite(percent_change):
        return "green"
    if percent_change > RED_PCT:
        return "red"
    if percent_change >= YELLOW_PCT:
        return "yellow"
    return "green"


@dataclass(frozen=True)
class LinearForecast:
    """The seed's forecast for one series."""

    slope: float  # units per day (ms/day for response time)
    intercept: float  # value at the start of the window (x = 0)
    current: float  # the line at the latest observation
    forecast: float  # the line ``horizon_days`` later
    percent_change: float | None
    trend: str  # increasing | decreasing | stable
    significant: bool
    colour: str  # red | yellow | green
    horizon_days: float
    days_of_data: int
    points: int
    window_start: np.datetime64
    last_time: np.datetime64


def _fit(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> tuple[float, float]:
    """Least squares slope and intercept (weighted when ``w`` is given); slope 0 if x is constant."""
    if w is None:
        w = np.ones_like(x)
    sw = float(w.sum())
    xm = float(w @ x) / sw
    ym = float(w @ y) / sw
    sxx = float(w @ (x - xm) ** 2)
    slope = float(w @ ((x - xm) * (y - ym))) / sxx if sxx > 0 else 0.0
    return slope, ym - slope * xm


def forecast_linear(
    times,
    values,
    *,
    weights=None,
    horizon_days: float = HORIZON_DAYS,
    window_days: float = WINDOW_DAYS,
    min_days: int = MIN_DAYS,
) -> LinearForecast:
    """The seed's linear forecast of ``values`` observed at ``times`` (datetime64 or datetimes, UTC).

    Uses the observations in the last ``window_days`` before the latest one. Raises
    :class:`InsufficientData` when they cover fewer than ``min_days`` calendar days.
    """
    t = np.asarray(times, dtype="datetime64[us]")
    y = np.asarray(values, dtype=float)
    w = None if weights is None else np.asarray(weights, dtype=float)
    keep = np.isfinite(y) & ~np.isnat(t)
    if w is not None:
        keep &= np.isfinite(w) & (w > 0)
    t, y = t[keep], y[keep]
    w = None if w is None else w[keep]
    if len(y) == 0:
        raise InsufficientData(0, min_days)
    last = t.max()
    window_start = last - np.timedelta64(int(window_days * 86400e6), "us")
    sel = t > window_start
    t, y = t[sel], y[sel]
    w = None if w is None else w[sel]
    days = len(np.unique(t.astype("datetime64[D]")))
    if days < min_days:
        raise InsufficientData(days, min_days)
    x = (t - window_start).astype("timedelta64[us]").astype(np.float64) / 86400e6
    slope, intercept = _fit(x, y, w)
    x_now = float((last - window_start).astype("timedelta64[us]").astype(np.float64) / 86400e6)
    current = intercept + slope * x_now
    fc = intercept + slope * (x_now + horizon_days)
    pct = (fc - current) / abs(current) * 100.0 if current != 0 else None
    return LinearForecast(
        slope=slope,
        intercept=intercept,
        current=current,
        forecast=fc,
        percent_change=pct,
        trend=trend_of(slope),
        significant=is_significant(slope),
        colour=colour_of(pct),
        horizon_days=horizon_days,
        days_of_data=days,
        points=len(y),
        window_start=window_start,
        last_time=last,
    )


def linear_rows(y: np.ndarray, horizon: int, season: int, window_days: float = WINDOW_DAYS) -> np.ndarray:
    """The same line on equally spaced rows (``season`` rows per day): fitted on the last
    ``window_days`` of rows, extrapolated ``horizon`` rows. The form the backtest uses."""
    y = np.asarray(y, dtype=float)
    k = max(2, int(round(window_days * season)))
    seg = y[-k:]
    L = len(seg)
    if L < 2:
        return np.full(horizon, float(seg[-1]))
    # x = 0..L-1: the least-squares line in closed form (it runs at every backtest origin)
    xc = np.arange(L) - (L - 1) / 2.0
    slope = float(xc @ seg) / (L * (L * L - 1) / 12.0)
    mean = float(seg.mean())
    return mean + slope * ((L - 1) / 2.0 + np.arange(1, horizon + 1))
