"""Rolling-origin backtests: how well would a forecaster have done on this very series?

Owns the comparison of several forecasters on the same origins (laid out, and scored by the MASE scale,
in :mod:`analytics.forecast.stats`), which is how Lokifi chooses a model per series. NumPy only.

A forecaster here is any callable ``f(history: np.ndarray, horizon: int) -> np.ndarray`` (point
forecasts for the next ``horizon`` steps) or returning ``None`` when it cannot forecast from that much
history.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analytics.common.float_range import exponent_for, scaled_back
from analytics.forecast.linear import linear_rows
from analytics.forecast.seasonal import calibrated_bands, forecast_seasonal
from analytics.forecast.stats import MIN_ORIGINS, mase_scale

Forecaster = Callable[[np.ndarray, int], "np.ndarray | None"]


@dataclass(frozen=True)
class BacktestResult:
    """Errors of one forecaster at each origin: ``errors[j, h]`` = actual - forecast."""

    origins: tuple[int, ...]
    errors: np.ndarray
    mae: float  # mean absolute error over all origins and steps (nan when no origin)
    mase: float  # mae / MASE scale of the history before the latest origin (nan if no scale)

    @property
    def ok(self) -> bool:
        return len(self.origins) > 0 and bool(np.isfinite(self.mae))


def backtest(
    forecaster: Forecaster, y: np.ndarray, horizon: int, *, origins: Sequence[int], season: int = 1
) -> BacktestResult:
    """Run ``forecaster`` at each origin and collect its errors. Origins where it returns ``None``
    are left out."""
    y = np.asarray(y, dtype=float)
    used, rows = [], []
    for o in origins:
        f = forecaster(y[:o], horizon)
        if f is None:
            continue
        rows.append(y[o : o + horizon] - np.asarray(f, dtype=float))
        used.append(o)
    if not rows:
        return BacktestResult((), np.empty((0, horizon)), float("nan"), float("nan"))
    errors = np.vstack(rows)
    mae = float(np.mean(np.abs(errors)))
    scale = mase_scale(y[: max(used)], season)
    return BacktestResult(tuple(used), errors, mae, mae / scale if scale > 0 else float("nan"))


def compare(
    forecasters: Mapping[str, Forecaster], y: np.ndarray, horizon: int, *, origins: Sequence[int], season: int = 1
) -> dict[str, BacktestResult]:
    """Backtest every forecaster on the same origins."""
    return {name: backtest(f, y, horizon, origins=origins, season=season) for name, f in forecasters.items()}


def choose(results: Mapping[str, BacktestResult], prefer: str | None = None) -> str | None:
    """The name with the lowest backtest MAE among those that could be backtested. Ties (and models
    within 0.5 % of the best) go to ``prefer`` when given — the simpler model keeps the job unless the
    other one is measurably better."""
    scored = {k: r.mae for k, r in results.items() if r.ok}
    if not scored:
        return None
    best = min(scored, key=scored.__getitem__)
    if prefer in scored and scored[prefer] <= scored[best] * 1.005:
        return prefer
    return best


MODELS = ("linear", "seasonal", "auto")
LEVEL = 0.8  # the forecast interval Lokifi shows: 80 %


@dataclass(frozen=True)
class SeriesForecast:
    """A forecast of equally spaced rows by the chosen model, with its interval and backtest error."""

    model: str  # linear | seasonal (the one that produced mean/lo/hi)
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    level: float
    backtest_mae: float  # of the chosen model (nan when the history is too short)
    backtest_mase: float
    backtest_origins: int
    candidates: dict[str, float]  # backtest MAE per model considered
    weights: dict[str, float]  # the seasonal combination's weights (empty for linear)

    @property
    def measured(self) -> bool:
        """Backtested on enough origins (:data:`~analytics.forecast.stats.MIN_ORIGINS`) for the point
        forecast's weights and the interval to be this series' own measured errors; otherwise the
        forecast is a guess and ``lo``/``hi`` rest on next to nothing (one row: on nothing at all)."""
        return self.backtest_origins >= MIN_ORIGINS


def forecast_series(values, horizon: int, season: int, model: str = "auto", level: float = LEVEL) -> SeriesForecast:
    """Forecast ``horizon`` rows with ``model`` (linear | seasonal | auto). ``auto`` backtests both on
    the seasonal model's origins and keeps the one with the lower error.

    A series that has never been below 0 (a count, a percentage, a latency, bytes) gets no forecast or
    interval bound below 0: a line or a band drawn from its errors can reach there (CPU -24.8 %), the
    series cannot. (The backtest errors are those of the unbounded forecasts.)"""
    fc = _forecast_series(values, horizon, season, model, level)
    y = np.asarray(values, dtype=float)
    if len(y) and float(y.min()) >= 0 and float(fc.lo.min(initial=0.0)) < 0:
        fc = dataclasses.replace(
            fc, mean=np.maximum(fc.mean, 0.0), lo=np.maximum(fc.lo, 0.0), hi=np.maximum(fc.hi, 0.0)
        )
    return fc


def _forecast_series(values, horizon: int, season: int, model: str, level: float) -> SeriesForecast:
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    y = np.asarray(values, dtype=float)
    e = exponent_for(y)
    if e:  # values near the largest or smallest floats: forecast at a magnitude near 1, scale back
        fc = _forecast_series(np.ldexp(y, -e), horizon, season, model, level)
        return dataclasses.replace(
            fc,
            mean=scaled_back(fc.mean, e),
            lo=scaled_back(fc.lo, e),
            hi=scaled_back(fc.hi, e),
            backtest_mae=float(scaled_back(np.asarray(fc.backtest_mae), e)),
            candidates={k: float(scaled_back(np.asarray(v), e)) for k, v in fc.candidates.items()},
        )
    s = forecast_seasonal(y, horizon, season, level)
    origins, hb = s.backtest_origins, s.backtest_horizon
    cands = {"seasonal": s.backtest_mae}
    lin = None
    if model in ("linear", "auto"):
        lin_bt = (
            backtest(lambda hist, h: linear_rows(hist, h, season), y, hb, origins=origins, season=season)
            if origins
            else None
        )
        cands["linear"] = lin_bt.mae if lin_bt is not None and lin_bt.ok else float("nan")
        f = linear_rows(y, horizon, season)
        if lin_bt is not None and lin_bt.ok:
            qlo, qhi = calibrated_bands(lin_bt.errors, horizon, level)
        else:
            d = np.abs(np.diff(y)) if len(y) > 1 else np.zeros(1)
            qhi = np.full(horizon, float(np.quantile(d, level)))
            qlo = -qhi
        lin = (f, np.minimum(f + qlo, f), np.maximum(f + qhi, f), lin_bt)
    use_linear = model == "linear" or (
        model == "auto"
        and np.isfinite(cands.get("linear", np.nan))
        and (not np.isfinite(s.backtest_mae) or cands["linear"] < s.backtest_mae)
    )
    if use_linear and lin is not None:
        f, lo, hi, _bt = lin
        scale = mase_scale(y[: origins[0]], season) if origins else 0.0
        mae = cands["linear"]
        return SeriesForecast(
            "linear", f, lo, hi, level, mae, mae / scale if scale > 0 else float("nan"), len(origins), cands, {}
        )
    return SeriesForecast(
        "seasonal", s.mean, s.lo, s.hi, level, s.backtest_mae, s.backtest_mase, len(origins), cands, dict(s.weights)
    )
