"""The seed's linear forecast: regression, window, minimum data, trend/significance/colour rules."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from analytics.forecast.linear import (
    InsufficientData,
    colour_of,
    forecast_linear,
    is_significant,
    linear_rows,
    trend_of,
)

T0 = np.datetime64("2026-01-01T00:00:00", "us")


def hourly(days: float, start=T0):
    return start + np.arange(int(days * 24)) * np.timedelta64(1, "h")


@pytest.mark.parametrize(
    "slope,expected",
    [
        (0.0, "stable"),
        (1.0, "stable"),
        (-1.0, "stable"),
        (1.0001, "increasing"),
        (7.5, "increasing"),
        (-1.0001, "decreasing"),
        (-30.0, "decreasing"),
    ],
)
def test_trend_rule(slope, expected):
    assert trend_of(slope) == expected


@pytest.mark.parametrize("slope,expected", [(5.0, False), (-5.0, False), (5.01, True), (-5.01, True), (0.0, False)])
def test_significance_rule(slope, expected):
    assert is_significant(slope) is expected


@pytest.mark.parametrize(
    "pct,expected",
    [
        (25.0, "red"),
        (20.01, "red"),
        (20.0, "yellow"),
        (15.0, "yellow"),
        (10.0, "yellow"),
        (9.99, "green"),
        (0.0, "green"),
        (-30.0, "green"),
        (None, "green"),
        (float("nan"), "green"),
    ],
)
def test_colour_rule(pct, expected):
    assert colour_of(pct) == expected


def test_exact_line_gives_slope_intercept_current_forecast():
    t = hourly(20)
    x = (t - t[0]).astype("timedelta64[us]").astype(float) / 86400e6
    y = 300.0 + 12.5 * x  # 12.5 ms/day
    f = forecast_linear(t, y, horizon_days=7)
    assert f.slope == pytest.approx(12.5)
    assert f.current == pytest.approx(y[-1])
    assert f.forecast == pytest.approx(y[-1] + 7 * 12.5)
    assert f.percent_change == pytest.approx(7 * 12.5 / y[-1] * 100)
    assert f.trend == "increasing" and f.significant
    assert f.colour == "yellow"  # 87.5 / 537.3 = 16 %
    assert f.days_of_data == 20
    # the intercept is the line's value at the start of the 30-day window
    start_x = (f.window_start - t[0]).astype("timedelta64[us]").astype(float) / 86400e6
    assert f.intercept == pytest.approx(300.0 + 12.5 * start_x)


def test_horizon_is_configurable():
    t = hourly(10)
    y = 100.0 + 2.0 * np.arange(len(t)) / 24
    assert forecast_linear(t, y, horizon_days=3).forecast == pytest.approx(y[-1] + 6.0)
    assert forecast_linear(t, y, horizon_days=14).forecast == pytest.approx(y[-1] + 28.0)


def test_only_the_last_30_days_count():
    t = hourly(60)
    y = np.where(np.arange(len(t)) < 30 * 24, 5000.0, 200.0)  # a wild first month, flat last month
    f = forecast_linear(t, y)
    assert f.slope == pytest.approx(0.0, abs=1e-6)
    assert f.current == pytest.approx(200.0)
    assert f.trend == "stable" and not f.significant


@pytest.mark.parametrize("days,missing", [(1, 6), (3, 4), (6, 1)])
def test_insufficient_data_says_how_many_days_are_missing(days, missing):
    t = hourly(days)
    with pytest.raises(InsufficientData) as exc:
        forecast_linear(t, np.ones(len(t)))
    assert exc.value.missing_days == missing
    assert f"{missing} more day" in str(exc.value)
    assert "7 required" in str(exc.value)


def test_seven_days_is_enough_and_empty_is_not():
    t = hourly(7)
    assert forecast_linear(t, np.ones(len(t))).days_of_data == 7
    with pytest.raises(InsufficientData) as exc:
        forecast_linear(np.array([], dtype="datetime64[us]"), [])
    assert exc.value.missing_days == 7


def test_weighted_hourly_means_equal_the_raw_regression():
    rng = np.random.default_rng(3)
    raw_t = T0 + np.sort(rng.integers(0, 10 * 86400, 3000)) * np.timedelta64(1, "s")
    x = (raw_t - T0).astype("timedelta64[us]").astype(float) / 86400e6
    raw_y = 100 + 4 * x + rng.normal(0, 10, len(x))
    raw = forecast_linear(raw_t, raw_y)
    # the same samples, all stamped at the middle of their hour, as hourly means with counts
    hours = raw_t.astype("datetime64[h]")
    uniq, inv, counts = np.unique(hours, return_inverse=True, return_counts=True)
    means = np.bincount(inv, raw_y) / counts
    mid = uniq.astype("datetime64[us]") + np.timedelta64(30, "m")
    rolled = forecast_linear(mid, means, weights=counts)
    assert rolled.slope == pytest.approx(raw.slope, rel=0.02)
    exact = forecast_linear(mid[inv], raw_y)  # every raw sample at its hour's middle
    assert rolled.slope == pytest.approx(exact.slope, rel=1e-9)


def test_nan_values_are_ignored():
    t = hourly(8)
    y = 50 + np.arange(len(t)) / 24.0
    y[::5] = np.nan
    assert forecast_linear(t, y).slope == pytest.approx(1.0)


def test_linear_rows_extrapolates_the_line():
    y = 3.0 * np.arange(100) + 7
    np.testing.assert_allclose(linear_rows(y, 4, 24), 3.0 * np.arange(100, 104) + 7)


def test_accepts_python_datetimes():
    t = [dt.datetime(2026, 1, 1) + dt.timedelta(hours=h) for h in range(24 * 8)]
    y = [10.0 + h / 24 * 6 for h in range(24 * 8)]
    f = forecast_linear(t, y)
    assert f.slope == pytest.approx(6.0) and f.significant
