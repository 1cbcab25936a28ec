"""Rolling-origin backtests: how well would a forecaster have done on this very series?

Owns the origin layout (the most recent first, ``spacing`` steps apart, each followed by a full horizon
of actuals), the MASE scale (in-sample error of the one-season naive forecast) and the comparison of
several forecasters on the same origins, which is how Lokifi chooses a model per series. NumPy only.

A forecaster here is any callable ``f(history: np.ndarray, horizon: int) -> np.ndarray`` (point
forecasts for the next ``horizon`` steps) or returning ``None`` when it cannot forecast from that much
history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

Forecaster = Callable[[np.ndarray, int], "np.ndarray | None"]


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


def rolling_origins(n: int, horizon: int, count: int, spacing: int | None = None,
                    min_train: int = 1) -> list[int]:
    """Origins (number of history rows) for a rolling-origin backtest, the most recent first.

    Origin ``o`` means: fit on ``y[:o]``, compare with ``y[o:o + horizon]``. The latest origin is
    ``n - horizon``; the others step back ``spacing`` rows (default: one horizon) while at least
    ``min_train`` rows of history remain.
    """
    if horizon < 1 or count < 1:
        return []
    spacing = max(1, int(spacing or horizon))
    out = []
    o = n - horizon
    while o >= max(1, min_train) and len(out) < count:
        out.append(o)
        o -= spacing
    return out


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


@dataclass(frozen=True)
class BacktestResult:
    """Errors of one forecaster at each origin: ``errors[j, h]`` = actual - forecast."""

    origins: tuple[int, ...]
    errors: np.ndarray
    mae: float            # mean absolute error over all origins and steps (nan when no origin)
    mase: float           # mae / MASE scale of the history before the latest origin (nan if no scale)

    @property
    def ok(self) -> bool:
        return len(self.origins) > 0 and bool(np.isfinite(self.mae))


def backtest(forecaster: Forecaster, y: np.ndarray, horizon: int, *, origins: Sequence[int],
             season: int = 1) -> BacktestResult:
    """Run ``forecaster`` at each origin and collect its errors. Origins where it returns ``None``
    are left out."""
    y = np.asarray(y, dtype=float)
    used, rows = [], []
    for o in origins:
        f = forecaster(y[:o], horizon)
        if f is None:
            continue
        rows.append(y[o:o + horizon] - np.asarray(f, dtype=float))
        used.append(o)
    if not rows:
        return BacktestResult((), np.empty((0, horizon)), float("nan"), float("nan"))
    errors = np.vstack(rows)
    mae = float(np.mean(np.abs(errors)))
    scale = mase_scale(y[:max(used)], season)
    return BacktestResult(tuple(used), errors, mae, mae / scale if scale > 0 else float("nan"))


def compare(forecasters: Mapping[str, Forecaster], y: np.ndarray, horizon: int, *,
            origins: Sequence[int], season: int = 1) -> dict[str, BacktestResult]:
    """Backtest every forecaster on the same origins."""
    return {name: backtest(f, y, horizon, origins=origins, season=season) for name, f in forecasters.items()}


def choose(results: Mapping[str, BacktestResult], prefer: str | None = None) -> str | None:
    """The name with the lowest backtest MAE among those that could be backtested. Ties (and models
    within 0.5 % of the best) go to ``prefer`` when given — the simpler model keeps the job unless the
    other one is measurably better."""
    scored = {k: r.mae for k, r in results.items() if r.ok}
    if not scored:
        return None
    best = min(scored, key=scored.get)
    if prefer in scored and scored[prefer] <= scored[best] * 1.005:
        return prefer
    return best


HORIZON_BUCKETS = 4   # empirical interval quantiles are taken per quarter of the horizon


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
    for a, b in zip(edges[:-1], edges[1:]):
        if b > a:
            qlo[a:b], qhi[a:b] = fast_quantiles(resid[:, a:b], q)
    idx = np.minimum(np.arange(horizon), hb - 1)
    return qlo[idx], qhi[idx]


MODELS = ("linear", "seasonal", "auto")


@dataclass(frozen=True)
class SeriesForecast:
    """A forecast of equally spaced rows by the chosen model, with its interval and backtest error."""

    model: str                      # linear | seasonal (the one that produced mean/lo/hi)
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    level: float
    backtest_mae: float             # of the chosen model (nan when the history is too short)
    backtest_mase: float
    backtest_origins: int
    candidates: dict[str, float]    # backtest MAE per model considered
    weights: dict[str, float]       # the seasonal combination's weights (empty for linear)


def forecast_series(values, horizon: int, season: int, model: str = "auto",
                    level: float = 0.8) -> SeriesForecast:
    """Forecast ``horizon`` rows with ``model`` (linear | seasonal | auto). ``auto`` backtests both on
    the seasonal model's origins and keeps the one with the lower error."""
    from analytics.forecast.linear import linear_rows
    from analytics.forecast.seasonal import forecast_seasonal

    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    y = np.asarray(values, dtype=float)
    s = forecast_seasonal(y, horizon, season, level)
    origins, hb = s.backtest_origins, s.backtest_horizon
    cands = {"seasonal": s.backtest_mae}
    lin = None
    if model in ("linear", "auto"):
        lin_bt = backtest(lambda hist, h: linear_rows(hist, h, season), y, hb, origins=origins,
                          season=season) if origins else None
        cands["linear"] = lin_bt.mae if lin_bt is not None and lin_bt.ok else float("nan")
        f = linear_rows(y, horizon, season)
        if lin_bt is not None and lin_bt.ok:
            qlo, qhi = interval_bands(lin_bt.errors, horizon, level)
        else:
            d = np.abs(np.diff(y)) if len(y) > 1 else np.zeros(1)
            qhi = np.full(horizon, float(np.quantile(d, level)))
            qlo = -qhi
        lin = (f, np.minimum(f + qlo, f), np.maximum(f + qhi, f), lin_bt)
    use_linear = model == "linear" or (
        model == "auto" and np.isfinite(cands.get("linear", np.nan))
        and (not np.isfinite(s.backtest_mae) or cands["linear"] < s.backtest_mae))
    if use_linear and lin is not None:
        f, lo, hi, bt = lin
        scale = mase_scale(y[:origins[0]], season) if origins else 0.0
        mae = cands["linear"]
        return SeriesForecast("linear", f, lo, hi, level, mae, mae / scale if scale > 0 else float("nan"),
                              len(origins), cands, {})
    return SeriesForecast("seasonal", s.mean, s.lo, s.hi, level, s.backtest_mae, s.backtest_mase,
                          len(origins), cands, dict(s.weights))
