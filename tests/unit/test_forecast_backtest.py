"""Rolling-origin backtests and the per-series model choice."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.forecast.backtest import backtest, choose, compare, forecast_series
from analytics.forecast.stats import interval_bands, mase_scale, rolling_origins


def test_origins_most_recent_first_each_followed_by_a_full_horizon():
    assert rolling_origins(100, 10, 3) == [90, 80, 70]
    assert rolling_origins(100, 10, 5, spacing=5, min_train=75) == [90, 85, 80, 75]
    assert rolling_origins(10, 20, 3) == []
    assert rolling_origins(100, 0, 3) == []


def test_mase_scale_seasonal_then_lag1_then_zero():
    y = np.tile([0.0, 10.0], 10)
    assert mase_scale(y, 2) == pytest.approx(10.0)  # seasonal MAE 0 -> lag-1 naive
    assert mase_scale(np.arange(10.0), 2) == pytest.approx(2.0)
    assert mase_scale(np.arange(3.0), 2) == pytest.approx(1.0)  # shorter than two seasons
    assert mase_scale([5.0], 2) == 0.0


def test_backtest_errors_are_actual_minus_forecast():
    y = np.arange(50.0)
    r = backtest(lambda hist, h: np.full(h, hist[-1]), y, 5, origins=[45, 40])
    assert r.origins == (45, 40)
    np.testing.assert_allclose(r.errors, np.tile(np.arange(1.0, 6.0), (2, 1)))
    assert r.mae == pytest.approx(3.0) and r.ok


def test_compare_and_choose_prefer_the_simpler_model_on_a_tie():
    y = np.arange(60.0)
    res = compare(
        {
            "naive": lambda h, k: np.full(k, h[-1]),
            "drift": lambda h, k: h[-1] + np.arange(1, k + 1),
            "none": lambda h, k: None,
        },
        y,
        4,
        origins=rolling_origins(60, 4, 3),
    )
    assert not res["none"].ok
    assert choose(res) == "drift"
    assert choose({"a": res["drift"], "b": res["drift"]}, prefer="b") == "b"
    assert choose({"x": res["none"]}) is None


def test_interval_bands_quantiles_per_quarter():
    resid = np.tile(np.linspace(-1, 1, 101)[:, None], (1, 8))
    lo, hi = interval_bands(resid, 12, 0.8)
    np.testing.assert_allclose(lo, -0.8)
    np.testing.assert_allclose(hi, 0.8)
    assert len(lo) == 12


def test_auto_picks_the_line_for_a_pure_trend_and_seasonal_for_a_cycle():
    rng = np.random.default_rng(0)
    t = np.arange(24 * 30)
    trend = 100 + 0.5 * t + rng.normal(0, 0.5, len(t))
    cycle = 100 + 30 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 2, len(t))
    ft = forecast_series(trend, 48, 24, "auto")
    fc = forecast_series(cycle, 48, 24, "auto")
    assert ft.model == "linear" and ft.candidates["linear"] < ft.candidates["seasonal"]
    assert fc.model == "seasonal" and fc.candidates["seasonal"] < fc.candidates["linear"]
    assert ft.backtest_mae == pytest.approx(ft.candidates["linear"])
    for f in (ft, fc):
        assert np.all(f.lo <= f.mean) and np.all(f.mean <= f.hi)
    assert forecast_series(cycle, 48, 24, "linear").model == "linear"
    assert forecast_series(trend, 48, 24, "seasonal").model == "seasonal"
    with pytest.raises(ValueError, match="unknown model"):
        forecast_series(cycle, 4, 24, "prophet")


@pytest.mark.parametrize("exp", ["top", -1060, 0])
@pytest.mark.parametrize("model", ["auto", "seasonal", "linear"])
def test_series_at_the_edge_of_the_floats_forecast_as_the_same_series_near_1(exp, model):
    """1e301-sized values overflowed in the differences (every forecast NaN, a page of numpy warnings);
    1e-319 ones are subnormal. A series times a power of two forecasts as the series, times it."""
    import warnings

    rng = np.random.default_rng(3)
    t = np.arange(24 * 9)
    y = 5.0 + 2.0 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.3, len(t))
    plain = forecast_series(y, 24, 24, model)
    if exp == "top":  # the largest value just below the largest float
        exp = 1024 - int(np.frexp(np.abs(y).max())[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not one overflow or invalid-value warning
        big = forecast_series(np.ldexp(y, exp), 24, 24, model)
    assert big.model == plain.model
    for a, b in ((big.mean, plain.mean), (big.lo, plain.lo), (big.hi, plain.hi)):
        assert np.all(np.isfinite(a))
        np.testing.assert_allclose(np.ldexp(a, -exp), b, rtol=1e-12 if exp > -1000 else 1e-3)
    assert np.isclose(big.backtest_mase, plain.backtest_mase, rtol=1e-9 if exp > -1000 else 1e-3)


def test_values_near_the_largest_float_stay_finite():
    y = np.tile([1.7e308, -1.7e308, 1.5e308], 40)
    fc = forecast_series(y, 6, 3)
    assert np.all(np.isfinite(fc.mean)) and np.all(np.isfinite(fc.lo)) and np.all(np.isfinite(fc.hi))
    assert np.all(fc.lo <= fc.hi)


def test_the_lines_band_is_calibrated_on_its_own_backtest_like_the_seasonal_one():
    """Quantiles of a few days' errors cover less than 80 % of the next day when whole days sit above or
    below the line (weather, a busy day): the line's band is widened by the factor that covers its own
    backtest origins out of sample, as the seasonal model's is (raw quantiles covered 0.63 here)."""
    rng = np.random.default_rng(7)
    n, h, m = 24 * 30, 24, 24
    covered = []
    for _ in range(40):
        t = np.arange(n + h)
        day_level = np.repeat(rng.normal(0, 2, (n + h) // m + 1), m)[: n + h]
        y = 0.05 * t + day_level + rng.normal(0, 0.3, n + h)
        fc = forecast_series(y[:n], h, m, model="linear")
        covered.append(np.mean((y[n:] >= fc.lo) & (y[n:] <= fc.hi)))
    assert 0.68 <= np.mean(covered) <= 0.9


@pytest.mark.parametrize("model", ["linear", "seasonal", "auto"])
def test_a_series_never_below_zero_is_never_forecast_below_zero(model):
    """CPU % falling toward 0 with noise: the line and the bands drawn from its errors reached -24.8; a
    series that was never below 0 gets nothing below 0. One that was keeps its negative values."""
    rng = np.random.default_rng(3)
    n, h, m = 24 * 21, 24 * 7, 24
    y = np.clip(40 - 0.075 * np.arange(n) + rng.normal(0, 4, n), 0, None)
    unbounded = forecast_series(y - 1.0, h, m, model=model)  # the same series, once below 0
    assert unbounded.lo.min() < -1.0
    fc = forecast_series(y, h, m, model=model)
    assert fc.lo.min() >= 0 and fc.mean.min() >= 0 and np.all(fc.lo <= fc.mean) and np.all(fc.mean <= fc.hi)
