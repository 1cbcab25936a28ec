"""The numeric helpers the backtests and the seasonal model share: a fast median and quantiles, the
rolling-origin layout, the MASE scale, and interval bands from backtest errors. NumPy only.

The bottom of the forecast package: :mod:`analytics.forecast.backtest` and
:mod:`analytics.forecast.seasonal` both import it, and it imports neither.
"""

from __future__ import annotations

import itertools
from typing import overload

import numpy as np


@overload
def fast_median(a: np.ndarray, axis: None = None) -> float: ...
@overload
def fast_median(a: np.ndarray, axis: int) -> np.ndarray: ...
def fast_median(a: np.ndarray, axis: int | None = None) -> np.ndarray | float:
    """``np.median`` without its per-call overhead (no NaN handling): one ``np.partition``. Forecasts
    call it hundreds of times on small arrays, where the overhead is most of the cost."""
    a = np.asarray(a, dtype=float)
    if axis is None:
        a = a.ravel()
        axis = 0
    n = a.shape[axis]
    k = n // 2
    if n % 2:
        return np.partition(a, k, axis=axis).take(k, axis=axis)
    p = np.partition(a, (k - 1, k), axis=axis)
    return 0.5 * (p.take(k - 1, axis=axis) + p.take(k, axis=axis))


def fast_quantiles(a: np.ndarray, qs) -> np.ndarray:
    """Quantiles of all values of ``a`` by linear interpolation between order statistics (numpy's
    default method), from one sort."""
    s = np.sort(np.asarray(a, dtype=float), axis=None)
    pos = np.asarray(qs, dtype=float) * (len(s) - 1)
    i = np.floor(pos).astype(int)
    j = np.minimum(i + 1, len(s) - 1)
    return s[i] + (s[j] - s[i]) * (pos - i)


def rolling_origins(n: int, horizon: int, count: int, spacing: int | None = None, min_train: int = 1) -> list[int]:
    """Origins (number of history rows) for a rolling-origin backtest, the most recent first.

    Origin ``o`` means: fit on ``y[:o]``, compare with ``y[o:o + horizon]``. The latest origin is
    ``n - horizon``; the others step back ``spacing`` rows (default: one horizon) while at least
    ``min_train`` rows of history remain.
    """
    if horizon < 1 or count < 1:
        return []
    spacing = max(1, int(spacing or horizon))
    out: list[int] = []
    o = n - horizon
    while o >= max(1, min_train) and len(out) < count:
        out.append(o)
        o -= spacing
    return out


BACKTEST_ORIGINS = 16  # origins of the seasonal model's backtest (most recent first)
ORIGIN_SPACING = 0.5  # in horizons
MIN_ORIGINS = 4  # fewest backtest origins worth weighting on: below, a forecast is not measured


def backtest_layout(n: int, horizon: int, season: int) -> tuple[int, int, int]:
    """(fewest history rows before an origin, steps scored at each origin, rows between origins) of the
    seasonal model's backtest on ``n`` rows: the full horizon when the history allows, a shorter one
    otherwise; the steps are < 1 when no origin fits."""
    min_train = min(max(2 * season, 20), max(1, n // 2))
    hb = min(horizon, n - min_train)
    return min_train, hb, max(1, int(hb * ORIGIN_SPACING))


def backtest_origins(n: int, horizon: int, season: int) -> list[int]:
    """The origins of that backtest for the pieces that need one row (the last value, the recent
    medians): every other piece needs more history, so no backtest of ``n`` rows has more."""
    min_train, hb, spacing = backtest_layout(n, horizon, season)
    return rolling_origins(n, hb, BACKTEST_ORIGINS, spacing, min_train) if hb >= 1 else []


def rows_to_measure(horizon: int, season: int) -> int:
    """The fewest rows on which a forecast ``horizon`` steps ahead is measured: backtested on
    :data:`MIN_ORIGINS` origins, so its weights, bias and interval come from the series' own errors.
    (The number of origins grows with the rows; a bisection finds where it reaches the minimum.)"""
    season = max(1, int(season))
    lo = 1
    hi = 2 * (max(2 * season, 20) + horizon + MIN_ORIGINS * max(1, int(horizon * ORIGIN_SPACING)))
    while lo < hi:
        mid = (lo + hi) // 2
        if len(backtest_origins(mid, horizon, season)) >= MIN_ORIGINS:
            hi = mid
        else:
            lo = mid + 1
    return lo


def mase_scale(y: np.ndarray, season: int) -> float:
    """Mean absolute error of the seasonal-naive forecast in sample (lag ``season``), or of the lag-1
    naive forecast when the history is shorter than two seasons or the seasonal error is 0 — the
    scale of MASE as M4 and ``forecast_score.py`` define it. 0.0 for a constant series."""
    y = np.asarray(y, dtype=float)
    if season >= 1 and len(y) >= 2 * season:
        s = float(np.mean(np.abs(y[season:] - y[:-season])))
        if s > 0:
            return s
    if len(y) >= 2:
        return float(np.mean(np.abs(np.diff(y))))
    return 0.0


HORIZON_BUCKETS = 4  # empirical interval quantiles are taken per quarter of the horizon


def interval_bands(resid: np.ndarray, horizon: int, level: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """Empirical interval offsets from backtest errors (origins x steps, actual - forecast): the
    ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles per quarter of the backtested horizon,
    stretched over ``horizon`` steps (steps beyond the backtested ones reuse the last quarter)."""
    resid = np.atleast_2d(np.asarray(resid, dtype=float))
    q = ((1 - level) / 2, (1 + level) / 2)
    hb = resid.shape[1]
    nb = max(1, min(HORIZON_BUCKETS, hb))
    edges = np.linspace(0, hb, nb + 1).astype(int)
    qlo, qhi = np.empty(hb), np.empty(hb)
    for a, b in itertools.pairwise(edges):
        if b > a:
            qlo[a:b], qhi[a:b] = fast_quantiles(resid[:, a:b], q)
    idx = np.minimum(np.arange(horizon), hb - 1)
    return qlo[idx], qhi[idx]
