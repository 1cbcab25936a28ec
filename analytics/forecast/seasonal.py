"""The seasonal forecaster: robust daily/weekly profiles combined by backtest, with 80 % intervals.

Operational series (latency, CPU, request counts) have daily and weekly cycles, level shifts and
spikes. A straight line misreads all three; a mean is dragged by every spike. This model is a
combination of simple robust forecasts, each strong on one kind of series:

  naive        the last value                        (series that wander, e.g. after a level shift)
  recent       median of the last quarter day         (a new level, spikes ignored)
  day          median of the last day                 (noisy, flat series)
  phase        median of the same time of day over the last 7 days
  daily        level of the last day + median daily profile of the last 7 days
  daily_recent daily profile with the level of the last quarter day
  weekly       level of the last day + median weekly profile of the last 4 weeks (needs 2 weeks)
  daily_weekly daily profile + weekly correction of the last 4 weeks (needs 2 weeks)
  daily_trend  daily profile + the Theil-Sen slope of the last 7 daily medians (a slow regression)

Medians make every piece robust to spikes; profiles are deviations from each period's median, so a
level shift moves the level and not the shape. Levels are de-seasonalised (the median of the recent
rows minus the profile at their phases), so a quiet Sunday does not lower Monday's forecast.

The pieces are weighted by the inverse fourth power of their mean absolute error in a rolling-origin
backtest on the series' own recent history (up to 16 origins, half a horizon apart): forecast
combination, chosen per series, one configuration for every series. (A steep power lets the piece
that handles a weekday/weekend switch win, although the switch touches only a few origins.)

The median backtest error per quarter of the horizon is added back to the point forecast: a
combination of level forecasts lags behind a slow regression, and the backtest measures that lag.

The 80 % interval is empirical: the 10th and 90th percentiles of the combination's backtest errors,
per quarter of the horizon, re-scaled by how much the recent spread (median absolute deviation of the
last day) changed since each backtest origin — by the square root of that ratio, as a noisier or
quieter day only partly persists (``SPREAD_PERSISTENCE``) — and widened or narrowed around its median by
the factor that makes it cover 80 % of each backtest origin's errors when built from the other origins
(``self_calibrated_width``: calibrated on the series' own history, out of sample). The band always
holds the pieces' weighted median, what the pieces carrying most of the weight say.

The reported backtest error is honest: each origin's error uses weights and bias correction fitted on
the *other* origins.

NumPy only; rows are taken as equally spaced steps (``season`` = steps per day).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from analytics.forecast.stats import (
    BACKTEST_ORIGINS,
    HORIZON_BUCKETS,
    MIN_ORIGINS,
    backtest_layout,
    fast_median,
    interval_bands,
    mase_scale,
    rolling_origins,
)

Candidate = Callable[[np.ndarray, int, int, dict], "np.ndarray | None"]  # (g x L) -> (g x h)

WEIGHT_POWER = 4.0  # weights = 1 / MAE ** power
PHASE_DAYS = 7
PROFILE_DAYS = 7
PROFILE_WEEKS = 4
# How much of a change in the recent spread carries into the horizon: the backtest errors are re-scaled
# by (spread now / spread at their origin) ** SPREAD_PERSISTENCE. 1 assumes a quieter or noisier last day
# persists for the whole horizon, 0 that it reverts at once; real series do some of each. Scale-free (a
# ratio of spreads); chosen by leave-one-category-out on NAB's real series among 0, 0.25, 0.5, 0.75, 1 by
# 80 % coverage calibration on the other categories (mean distance from 80 %, with the width calibration
# below): four folds of five choose 0.5, the realTweets fold 0.25.
SPREAD_PERSISTENCE = 0.5


# Each piece is f(Y, h, m, memo) -> forecasts (g x h) or None, where the rows of Y (g x L) are g
# histories of the same length (the backtest's origins are forecast in one go); ``memo`` shares the
# blocks and profiles between the pieces.

_PHASES: dict[tuple[int, int], np.ndarray] = {}


def _phases(h: int, period: int) -> np.ndarray:
    """``np.arange(h) % period``, cached (the same few shapes recur)."""
    key = (h, period)
    idx = _PHASES.get(key)
    if idx is None:
        if len(_PHASES) > 256:
            _PHASES.clear()
        idx = _PHASES[key] = np.arange(h) % period
    return idx


def _flat(v: np.ndarray, h: int) -> np.ndarray:
    return np.repeat(v[:, None], h, axis=1)


def _naive(Y, h, m, memo):
    return _flat(Y[:, -1], h)


def _recent(Y, h, m, memo):
    return _flat(fast_median(Y[:, -max(1, m // 4) :], axis=1), h)


def _day(Y, h, m, memo):
    return _flat(fast_median(Y[:, -max(1, m) :], axis=1), h)


def _blocks(Y: np.ndarray, period: int, count: int, memo: dict):
    """The last ``min(count, L // period)`` whole periods of each history (g x k x period), their
    medians (g x k) and the deviations from them (memoised)."""
    key = ("blocks", period, count)
    if key not in memo:
        g, L = Y.shape
        k = min(count, L // period)
        if k < 1:
            memo[key] = None
        else:
            blk = Y[:, L - k * period :].reshape(g, k, period)
            med = fast_median(blk, axis=2)
            memo[key] = (blk, med, blk - med[:, :, None])
    return memo[key]


def _phase(Y, h, m, memo):
    b = _blocks(Y, m, PHASE_DAYS, memo)
    if b is None or m < 2:
        return None
    return fast_median(b[0], axis=1)[:, _phases(h, m)]


def _profile(Y: np.ndarray, period: int, count: int, memo: dict) -> np.ndarray | None:
    """Median over the last ``count`` periods of each period's deviation from its own median (g x
    period); index ``j`` is the phase of row ``L - k * period + j``, i.e. phase 0 = the row after the
    last one."""
    key = ("profile", period, count)
    if key not in memo:
        b = _blocks(Y, period, count, memo)
        memo[key] = None if b is None or b[1].shape[1] < 2 or period < 2 else fast_median(b[2], axis=1)
    return memo[key]


def _level(Y: np.ndarray, prof: np.ndarray, k: int) -> np.ndarray:
    """The de-seasonalised level: median of the last ``k`` rows minus the profile at their phases (the
    profile's phase 0 is the row after the last one, so the last rows are its last ``k`` phases)."""
    p = prof.shape[1]
    k = max(1, min(k, p))
    return fast_median(Y[:, -k:] - prof[:, p - k :], axis=1)


def _daily(Y, h, m, memo):
    prof = _profile(Y, m, PROFILE_DAYS, memo)
    if prof is None:
        return None
    return _level(Y, prof, m)[:, None] + prof[:, _phases(h, m)]


def _daily_recent(Y, h, m, memo):
    prof = _profile(Y, m, PROFILE_DAYS, memo)
    if prof is None:
        return None
    return _level(Y, prof, m // 4)[:, None] + prof[:, _phases(h, m)]


def _weekly(Y, h, m, memo):
    prof = _profile(Y, 7 * m, PROFILE_WEEKS, memo)
    if prof is None:
        return None
    return _level(Y, prof, m)[:, None] + prof[:, _phases(h, 7 * m)]


def _daily_weekly(Y, h, m, memo):
    p = 7 * m
    b = _blocks(Y, p, PROFILE_WEEKS, memo)
    if b is None or b[1].shape[1] < 2 or m < 2:
        return None
    dev = b[2]
    g, k, _ = dev.shape
    dprof = np.tile(fast_median(dev.reshape(g, k * 7, m), axis=1), 7)  # the typical day (g x p)
    prof = dprof + fast_median(dev - dprof[:, None, :], axis=1)  # + weekday corrections
    return _level(Y, prof, m)[:, None] + prof[:, _phases(h, p)]


_PAIRS: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _daily_trend(Y, h, m, memo):
    daily = _daily(Y, h, m, memo)
    b = _blocks(Y, m, PROFILE_DAYS, memo)
    if daily is None or b is None or b[1].shape[1] < 3:
        return None
    k = b[1].shape[1]
    if k not in _PAIRS:
        i, j = np.triu_indices(k, 1)
        _PAIRS[k] = (i, j, (j - i).astype(float))
    i, j, d = _PAIRS[k]
    slope = fast_median((b[1][:, j] - b[1][:, i]) / d, axis=1) / m  # Theil-Sen over daily medians, per step
    # the level is that of the last day, i.e. centred half a day back
    return daily + slope[:, None] * (np.arange(1, h + 1) + m / 2)[None, :]


CANDIDATES: dict[str, Candidate] = {
    "naive": _naive,
    "recent": _recent,
    "day": _day,
    "phase": _phase,
    "daily": _daily,
    "daily_recent": _daily_recent,
    "weekly": _weekly,
    "daily_weekly": _daily_weekly,
    "daily_trend": _daily_trend,
}


def piece(name: str, y, horizon: int, season: int) -> np.ndarray | None:
    """One piece's forecast from one history (for inspection and tests)."""
    y = np.asarray(y, dtype=float)
    out = CANDIDATES[name](y[None, :], horizon, max(1, season), {})
    return None if out is None else out[0]


def _usable(o: np.ndarray, m: int) -> np.ndarray:
    """For histories of ``o`` rows, how many of the last rows the pieces actually read (whole weeks and
    days of the profiles, the last day): histories with the same value give the same forecasts from
    their last rows alone, so they can be forecast together."""
    weeks = np.minimum(PROFILE_WEEKS, o // (7 * m)) * 7 * m
    days = np.minimum(max(PHASE_DAYS, PROFILE_DAYS), o // m) * m
    return np.maximum(np.maximum(weeks, days), np.minimum(o, m))


# Rows of history each piece needs (season m = rows per day).
NEEDS: dict[str, Callable[[int], int]] = {
    "naive": lambda m: 1,
    "recent": lambda m: 1,
    "day": lambda m: 1,
    "phase": lambda m: m,
    "daily": lambda m: 2 * m,
    "daily_recent": lambda m: 2 * m,
    "weekly": lambda m: 14 * m,
    "daily_weekly": lambda m: 14 * m,
    "daily_trend": lambda m: 3 * m,
}


@dataclass(frozen=True)
class SeasonalForecast:
    """Point forecasts and an interval for the next ``len(mean)`` steps."""

    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    level: float = 0.8
    season: int = 24
    weights: dict[str, float] = field(default_factory=dict)
    backtest_mae: float = float("nan")  # cross-validated over the backtest origins
    backtest_mase: float = float("nan")  # backtest_mae / in-sample seasonal-naive MAE
    backtest_origins: tuple[int, ...] = ()  # history lengths of the backtest origins
    backtest_horizon: int = 0  # steps scored at each origin (<= the horizon)


def _spread(y: np.ndarray, m: int) -> float:
    w = y[-max(2, m) :]
    return float(fast_median(np.abs(w - fast_median(w))))


WIDTHS = np.round(np.arange(0.5, 3.0001, 0.05), 2)  # the factors self_calibrated_width chooses among


def _weighted_median(stack: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per step (column of ``stack``, pieces x steps), the value at which the pieces' weights ``w`` reach
    half: the lower weighted median."""
    order = np.argsort(stack, axis=0)
    cum = np.cumsum(w[order], axis=0)
    k = np.argmax(cum >= 0.5 * cum[-1], axis=0)
    steps = np.arange(stack.shape[1])
    return stack[order[k, steps], steps]


def self_calibrated_width(z: np.ndarray, level: float) -> float:
    """How much to widen (or narrow) the band around its median so that it covers ``level`` of this
    series' own backtest errors *out of sample*: each origin's errors ``z`` (origins x steps) are checked
    against the band built from the other origins' errors (leave one origin out, a jackknife form of
    conformal calibration), and the factor whose coverage is nearest ``level`` is kept. Quantiles of a
    few days' errors cover less than their nominal level on the next day (and more on a series whose
    backtest days were its noisy ones); this measures by how much, per series."""
    n_o, hb = z.shape
    hits = np.zeros(len(WIDTHS))
    for j in range(n_o):
        others = np.delete(z, j, axis=0)
        qlo, qhi = interval_bands(others, hb, level)
        mid = _bucket_medians(others)
        lo = mid + WIDTHS[:, None] * (qlo - mid)
        hi = mid + WIDTHS[:, None] * (qhi - mid)
        hits += np.sum((z[j] >= lo) & (z[j] <= hi), axis=1)
    cover = hits / (n_o * hb)
    return float(WIDTHS[int(np.argmin(np.abs(cover - level)))])


def calibrated_bands(errors: np.ndarray, horizon: int, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Interval offsets from a model's backtest errors (origins x steps): their quantiles per quarter of
    the horizon (:func:`interval_bands`), widened or narrowed around the median by
    :func:`self_calibrated_width` when at least ``MIN_ORIGINS`` origins were scored — the calibration the
    seasonal model's band gets, for a model (the straight line) whose errors are not re-scaled."""
    qlo, qhi = interval_bands(errors, horizon, level)
    if errors.shape[0] < MIN_ORIGINS:
        return qlo, qhi
    mid = _bucket_medians(errors)[np.minimum(np.arange(horizon), errors.shape[1] - 1)]
    width = self_calibrated_width(errors, level)
    return mid + width * (qlo - mid), mid + width * (qhi - mid)


def _bucket_medians(resid: np.ndarray) -> np.ndarray:
    """Median of the errors (origins x steps) per quarter of the steps, spread back over the steps —
    ``interval_bands(resid, hb, 0.0)[0]``; for a stack (g x origins x steps), one row per g."""
    hb = resid.shape[-1]
    nb = max(1, min(HORIZON_BUCKETS, hb))
    edges = np.linspace(0, hb, nb + 1).astype(int)
    out = np.empty((*resid.shape[:-2], hb))
    for a, b in itertools.pairwise(edges):
        if b > a:
            blk = resid[..., a:b]
            out[..., a:b] = fast_median(blk.reshape((*blk.shape[:-2], -1)), axis=-1)[..., None]
    return out


def forecast_seasonal(values, horizon: int, season: int, level: float = 0.8) -> SeasonalForecast:
    """Forecast the next ``horizon`` steps of ``values`` (equally spaced, ``season`` steps per day).

    Non-finite values must be removed or filled by the caller. Works from 1 value up; with less than
    about two days plus a horizon of history it falls back to the non-seasonal pieces and a shorter
    backtest.
    """
    y = np.asarray(values, dtype=float)
    n = len(y)
    h = int(horizon)
    if h < 1:
        raise ValueError("horizon must be at least 1 step")
    if n == 0:
        raise ValueError("no history to forecast from")
    if not np.all(np.isfinite(y)):
        raise ValueError("history holds non-finite values; drop or fill them first")
    m = max(1, int(season))

    memo: dict = {}
    Ynow = y[None, n - int(_usable(np.array([n]), m)[0]) :]
    pieces = {name: c(Ynow, h, m, memo) for name, c in CANDIDATES.items()}
    now = {name: v[0] for name, v in pieces.items() if v is not None}
    names = list(now)

    # The backtest: full horizon when the history allows, otherwise a shorter one. Origins are placed
    # where every piece kept can forecast (a weekly profile needs two weeks before the origin); pieces
    # that need so much history that fewer than MIN_ORIGINS origins fit are left out.
    min_train, hb, spacing = backtest_layout(n, h, m)
    origins: list[int] = []
    if hb >= 1:
        for need in sorted({NEEDS[nm](m) for nm in names}, reverse=True):
            origins = rolling_origins(n, hb, BACKTEST_ORIGINS, spacing, max(need, min_train))
            if len(origins) >= MIN_ORIGINS:
                break
        if origins:
            names = [nm for nm in names if NEEDS[nm](m) <= origins[-1]]
    if not origins:
        f = now["naive"]
        d = np.diff(y)
        s = float(np.quantile(np.abs(d), level)) if len(d) else 0.0
        spread = s * np.sqrt(np.arange(1, h + 1))
        return SeasonalForecast(f, f - spread, f + spread, level, m, {"naive": 1.0})

    n_o = len(origins)
    preds = np.zeros((n_o, len(names), hb))
    origin_arr = np.asarray(origins)
    actual = y[origin_arr[:, None] + np.arange(hb)[None, :]]
    # Origins with the same usable history length are forecast together (one call per piece).
    lengths = _usable(origin_arr, m)
    for L in np.unique(lengths):
        rows = np.flatnonzero(lengths == L)
        Y = y[(origin_arr[rows] - L)[:, None] + np.arange(L)[None, :]]
        memo = {}
        for i, name in enumerate(names):
            p = CANDIDATES[name](Y, hb, m, memo)
            preds[rows, i] = p if p is not None else Y[:, -1:]  # (NEEDS keeps this from happening)
    mae = np.mean(np.abs(preds - actual[:, None, :]), axis=2)  # origins x candidates

    def weights_from(err: np.ndarray) -> np.ndarray:
        """Weights over the last axis (one set per row of a 2-D ``err``), relative to the best piece's
        error: no under- or overflow at any scale; equal weights where every error is infinite."""
        e = np.maximum(err, 1e-12 * (1.0 + err.max(axis=-1, keepdims=True)))
        best = e.min(axis=-1, keepdims=True)
        ok = np.isfinite(best)
        w = np.where(ok, e / np.where(ok, best, 1.0), 1.0) ** -WEIGHT_POWER
        return w / w.sum(axis=-1, keepdims=True)

    w = weights_from(mae.mean(axis=0))
    stack = np.array([now[nm] for nm in names])
    f = w @ stack
    resid = actual - np.einsum("i,jih->jh", w, preds)

    # Honest error: each origin scored with weights and bias correction fitted on the others.
    if n_o > 1:
        others = ~np.eye(n_o, dtype=bool)
        loo_err = np.array([mae[others[j]].mean(axis=0) for j in range(n_o)])  # n_o x candidates
        wl = weights_from(loo_err)
        comb = np.einsum("ji,kih->jkh", wl, preds)  # comb[j, k] = origin k under weights j
        res = actual[None, :, :] - comb
        oth = res[others].reshape(n_o, n_o - 1, hb)
        bias_j = _bucket_medians(oth)  # n_o x hb
        own = res[np.arange(n_o), np.arange(n_o)]
        bt_mae = float(np.mean(np.abs(own - bias_j)))
    else:
        bt_mae = float(np.mean(np.abs(resid)))
    scale = mase_scale(y[: origins[0]], m)

    # Interval: residuals in units of the spread at each origin, re-scaled by today's spread.
    spread_now = _spread(y, m)
    k = max(2, m)
    if origin_arr.min() >= k:
        W = y[(origin_arr - k)[:, None] + np.arange(k)[None, :]]
        spreads = fast_median(np.abs(W - fast_median(W, axis=1)[:, None]), axis=1)
    else:
        spreads = np.array([_spread(y[:o], m) for o in origins])
    scaled = None
    if spread_now > 0 and np.all(spreads > 0):
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            ratio = (spread_now / spreads) ** SPREAD_PERSISTENCE
            scaled = resid * ratio[:, None]
            z = resid / spreads[:, None] ** SPREAD_PERSISTENCE  # errors in the units the band is scaled by
        if not (np.all(np.isfinite(scaled)) and np.all(np.isfinite(z))):
            scaled = None  # spreads at the edge of the floats (a subnormal one): the ratio means nothing
    if scaled is not None:
        qlo, qhi = interval_bands(scaled, h, level)
    else:
        qlo, qhi = interval_bands(resid, h, level)
        z = resid
    # Bias correction: the median backtest error per quarter of the horizon is added to the point
    # forecast (a level-based combination lags behind a slow regression; this is that lag).
    bias = _bucket_medians(resid)[np.minimum(np.arange(h), hb - 1)]
    if n_o >= MIN_ORIGINS:
        width = self_calibrated_width(z, level)
        qlo, qhi = bias + width * (qlo - bias), bias + width * (qhi - bias)
    f = f + bias
    lo = np.minimum(f + qlo - bias, f)
    hi = np.maximum(f + qhi - bias, f)
    # The band holds what the pieces carrying most of the weight say (their weighted median): a light
    # piece far off (the last value of a burst, on a counter that sits at 0) pulls the weighted mean off
    # the value the series holds, and a band measured on days when the pieces agreed is narrow around it.
    mid = _weighted_median(stack, w)
    lo, hi = np.minimum(lo, mid), np.maximum(hi, mid)
    if np.all(qhi - qlo <= 0):
        # The backtest saw no error at all (a counter that stayed at 0 through every origin) while the
        # pieces may disagree now (a burst in the last hour): an interval of width 0 would claim a
        # certainty nothing measured. With no error to go by, the band spans what the pieces say.
        lo = np.minimum(lo, stack.min(axis=0))
        hi = np.maximum(hi, stack.max(axis=0))
    return SeasonalForecast(
        mean=f,
        lo=lo,
        hi=hi,
        level=level,
        season=m,
        weights={nm: float(x) for nm, x in zip(names, w, strict=True)},
        backtest_mae=bt_mae,
        backtest_mase=bt_mae / scale if scale > 0 else float("nan"),
        backtest_origins=tuple(origins),
        backtest_horizon=hb,
    )
