"""The detector's level and scale over a trailing window: the median and a robust spread (the MAD, floored
by a quantile of the absolute deviations), for many windows at once.

Two forms that give bit-identical results for the same window:

- :func:`window_stats`: windows of one length (the rows of a 2-D array), by NumPy's median and linear
  quantile; used once a series holds a whole window.
- :func:`prefix_stats`: the windows ``x[:t]`` for many lengths ``t`` (a series' first rows, before a
  whole window exists), all in one sort: rows padded with +inf and sorted, the order statistics read at
  each row's own positions, with NumPy's arithmetic (the mean of the two middle values; Hyndman and Fan's
  method 7 with NumPy's two-sided interpolation). One call per row was most of the
  detector's time on short series and of every series' first day.

Both use only order statistics and element-wise arithmetic, so one window gives the same result alone or
among others, and the detector's batch and streaming forms agree bit for bit.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Protocol

import numpy as np

#: prefixes handled per sort in :func:`prefix_stats`: keeps its memory at this many windows
PREFIX_CHUNK = 512


class SpreadConfig(Protocol):
    """What the scale reads of the detector's settings (its frozen DetectorConfig)."""

    @property
    def spread_quantile(self) -> float: ...
    @property
    def spread_floor(self) -> float: ...
    @property
    def rel_floor(self) -> float: ...


def abs_normal_quantile(q: float) -> float:
    """z with P(|N(0,1)| < z) = q."""
    return -NormalDist().inv_cdf((1.0 - q) / 2.0)


def _scale(med: np.ndarray, mad: np.ndarray, qdev: np.ndarray | None, cfg: SpreadConfig) -> np.ndarray:
    mad = 1.4826 * mad
    if qdev is not None:
        mad = np.maximum(mad, cfg.spread_floor * (qdev / abs_normal_quantile(cfg.spread_quantile)))
    return np.maximum(mad, cfg.rel_floor * np.abs(med) + 1e-9)


def window_stats(win: np.ndarray, cfg: SpreadConfig) -> tuple[np.ndarray, np.ndarray]:
    """Median and robust scale of each row of ``win`` (2-D, rows of one length)."""
    med = np.median(win, axis=1)
    dev = np.abs(win - med[:, None])
    q = np.quantile(dev, cfg.spread_quantile, axis=1) if cfg.spread_floor > 0 else None
    return med, _scale(med, np.median(dev, axis=1), q, cfg)


def _median_sorted(s: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The median of the first ``n[i]`` values of each sorted row: the middle one, or the mean of the two
    middle ones ((a + b) / 2, as NumPy's mean of two)."""
    r = np.arange(len(n))
    lo, hi = (n - 1) // 2, n // 2
    a, b = s[r, lo], s[r, hi]
    with np.errstate(over="ignore"):
        return np.where(lo == hi, a, (a + b) / 2)


def _quantile_sorted(s: np.ndarray, n: np.ndarray, q: float) -> np.ndarray:
    """The ``q`` quantile of the first ``n[i]`` values of each sorted row, as NumPy's default ('linear')
    method computes it: virtual index (n - 1) q, the values at its floor and the next position, and the
    interpolation taken from the nearer end."""
    r = np.arange(len(n))
    v = (n - 1) * q
    prev = np.floor(v)
    above = v >= n - 1  # at or past the last value: the last value
    i = np.where(above, n - 1, prev).astype(np.intp)
    j = np.where(above, n - 1, prev + 1).astype(np.intp)
    g = v - np.where(above, -1.0, prev)
    a, b = s[r, i], s[r, j]
    d = b - a
    return np.where(g >= 0.5, b - d * (1 - g), a + d * g)


def prefix_stats(x: np.ndarray, lengths: np.ndarray, cfg: SpreadConfig) -> tuple[np.ndarray, np.ndarray]:
    """Median and robust scale of each window ``x[:t]``, ``t`` in ``lengths`` (each >= 1, at most len(x)),
    as :func:`window_stats` gives them for that window alone."""
    lengths = np.asarray(lengths, dtype=np.intp)
    med = np.empty(len(lengths))
    scale = np.empty(len(lengths))
    for a in range(0, len(lengths), PREFIX_CHUNK):
        n = lengths[a : a + PREFIX_CHUNK]
        width = int(n.max())
        valid = np.arange(width)[None, :] < n[:, None]
        rows = np.where(valid, x[None, :width], np.inf)
        m = _median_sorted(np.sort(rows, axis=1), n)
        dev = np.sort(np.where(valid, np.abs(rows - m[:, None]), np.inf), axis=1)
        q = _quantile_sorted(dev, n, cfg.spread_quantile) if cfg.spread_floor > 0 else None
        med[a : a + len(n)] = m
        scale[a : a + len(n)] = _scale(m, _median_sorted(dev, n), q, cfg)
    return med, scale
