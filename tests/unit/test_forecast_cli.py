"""`lokifi forecast series`: the CSV reader (bad input named by line; hypothesis round trip) and the
command's output contract (N lines value,lo,hi)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings, strategies as st

from analytics.common.series_csv import SeriesInputError, read_series_csv
from analytics.forecast.series_csv import forecast_csv, series_rows
from lokifi_tui.cli.main import cli


def csv_text(n: int, step_min: int = 60, start=dt.datetime(2026, 3, 1), header: bool = True, f=None) -> str:
    f = f or (lambda i: 100 + 20 * math.sin(2 * math.pi * i * step_min / 1440))
    rows = [f"{start + dt.timedelta(minutes=step_min * i):%Y-%m-%d %H:%M:%S},{f(i)!r}" for i in range(n)]
    return ("timestamp,value\n" if header else "") + "\n".join(rows) + "\n"


def run(args, text, env=None):
    return CliRunner().invoke(cli, ["forecast", "series", *args], input=text, env=env or {})


def test_prints_horizon_lines_of_value_lo_hi():
    res = run(["--horizon", "12"], csv_text(24 * 20))
    assert res.exit_code == 0, res.output
    lines = res.output.strip().split("\n")
    assert len(lines) == 12
    for line in lines:
        v, lo, hi = map(float, line.split(","))
        assert lo <= v <= hi
    # a clean daily sine is forecast closely
    first = float(lines[0].split(",")[0])
    assert abs(first - (100 + 20 * math.sin(2 * math.pi * 24 * 20 * 60 / 1440))) < 3


def test_horizon_from_the_harness_environment():
    res = run([], csv_text(24 * 10), env={"EVAL_HORIZON": "7", "EVAL_STEP_SECONDS": "3600"})
    assert res.exit_code == 0, res.output
    assert len(res.output.strip().split("\n")) == 7


def test_every_model_can_be_asked_for():
    for model in ("linear", "seasonal", "auto"):
        res = run(["--horizon", "5", "--model", model], csv_text(24 * 10))
        assert res.exit_code == 0 and len(res.output.strip().split("\n")) == 5


def test_bad_value_is_named_by_line_and_exit_code_3():
    text = csv_text(10) + "2026-03-02 00:00:00,fast\n"
    res = run(["--horizon", "3"], text)
    assert res.exit_code == 3
    assert "<stdin>:12" in res.output and "not a number" in res.output


def test_hostile_text_in_an_error_is_made_inert():
    text = "timestamp,value\n2026-03-01 00:00:00,1\n\x1b[31m[bold]x,2\n"
    res = run(["--horizon", "3"], text)
    assert res.exit_code == 3
    assert "\x1b" not in res.output
    assert "timestamp" in res.output and ":3" in res.output


def test_missing_horizon_is_a_usage_error():
    res = run([], csv_text(10))
    assert res.exit_code == 2


def test_reader_header_missing_values_epoch_and_zones():
    rows = read_series_csv(
        "timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T01:00:00+01:00,\n1767232800,3.5\n1767236400000,nan\n"
    )
    t, v = rows.times, rows.values
    assert np.isnan(v[1]) and np.isnan(v[3]) and v[2] == 3.5
    assert t[0] == dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp()
    assert t[1] == t[0]  # 01:00+01:00 is midnight UTC
    assert t[3] - t[2] == 3600  # milliseconds recognised
    y, step = series_rows(v, rows.axis)
    assert not np.isnan(y).any()


@pytest.mark.parametrize(
    "data,where,what",
    [
        (b"timestamp,value\n", "<stdin>", "no data rows"),
        (b"t,v\n2026-01-01,1\n\xff\xfe,2\n", "<stdin>:3", "not UTF-8"),
        (b"t,v\n2026-01-01,1\n\x00\x01,2\n", "<stdin>:3", "binary"),
        (b"t,v\n2026-01-01,1\n2026-01-02\n", "<stdin>:3", "two columns"),
        (b"t,v\nyesterday,1\n", "<stdin>:2", "timestamp"),
        (b"t,v\n-1,1\n", "<stdin>:2", "outside the years 1970-2199"),
        (b"t,v\n2026-01-01," + b"9" * 20000 + b"\n", "<stdin>:2", "characters long"),
    ],
)
def test_reader_refuses_bad_input_saying_where(data, where, what):
    with pytest.raises(SeriesInputError) as exc:
        read_series_csv(data)
    assert where in str(exc.value) and what in str(exc.value)


def test_all_missing_values_is_refused():
    with pytest.raises(SeriesInputError, match="every value is missing"):
        forecast_csv("t,v\n2026-01-01,\n2026-01-02,nan\n", 2)


def test_rows_out_of_order_throughout_are_put_in_time_order():
    order = (5, 1, 9, 3, 7, 2, 8, 0, 6, 4)
    rows = read_series_csv("t,v\n" + "".join(f"2026-01-01 {h:02d}:00,{h}\n" for h in order))
    y, step = series_rows(rows.values, rows.axis)
    assert list(y) == list(range(10)) and step == 3600 and "read sorted by time" in rows.notes[0]


values = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@settings(max_examples=80, deadline=None)
@given(st.lists(values, min_size=1, max_size=60), st.integers(1, 7200), st.booleans())
@example([0.0, 4.0, 5e-324, 0.0, 1.0, 1.0], 1, False)  # a subnormal spread: the band was NaN
def test_reader_round_trips_any_series(vals, step, header):
    start = dt.datetime(2025, 6, 1)
    text = ("timestamp,value\n" if header else "") + "".join(
        f"{(start + dt.timedelta(seconds=step * i)).isoformat()},{x!r}\n" for i, x in enumerate(vals)
    )
    rows = read_series_csv(text)
    assert list(rows.values) == vals and rows.notes == ()
    assert np.all(np.diff(rows.times) == step)
    f = forecast_csv(text, 3, model="auto")
    assert np.all(np.isfinite(f.mean)) and np.all(f.lo <= f.mean) and np.all(f.mean <= f.hi)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_reader_never_crashes_on_arbitrary_bytes(data):
    try:
        rows = read_series_csv(data)
    except SeriesInputError as exc:
        assert str(exc).startswith("<stdin>")
    else:
        assert len(rows.times) == len(rows.values) == len(rows.axis) >= 1


def test_series_with_timestamps_and_json():
    import json

    rows = "timestamp,value\n" + "".join(f"2026-01-01T{h:02d}:00:00Z,{10 + h}\n" for h in range(24))
    plain = CliRunner().invoke(cli, ["forecast", "series", "--horizon", "3"], input=rows)
    assert plain.exit_code == 0 and len(plain.output.splitlines()) == 3
    assert all(len(line.split(",")) == 3 for line in plain.output.splitlines())  # what harnesses read
    timed = CliRunner().invoke(cli, ["forecast", "series", "--horizon", "3", "--timestamps"], input=rows)
    lines = timed.output.splitlines()
    assert lines[0] == "timestamp,value,lo,hi" and lines[1].startswith("2026-01-02T00:00:00Z,")
    assert lines[3].startswith("2026-01-02T02:00:00Z,")
    assert all(len(x.split(",")[1]) <= 12 for x in lines[1:])  # 6 significant digits, no float noise
    data = json.loads(CliRunner().invoke(cli, ["forecast", "series", "--horizon", "3", "--json"], input=rows).output)
    assert [p["timestamp"] for p in data["points"]] == [f"2026-01-02T{h:02d}:00:00Z" for h in range(3)]
    assert data["points"][0]["lo"] <= data["points"][0]["value"] <= data["points"][0]["hi"]


def test_daily_season_is_the_rows_a_day_brings():
    from analytics.forecast.series_csv import rows_per_day

    hourly = np.arange(0, 30 * 86400, 3600.0)
    assert rows_per_day(hourly, 3600.0) == 24
    # Readings when a sensor reports: nominal step 10 min, a quarter of the slots filled.
    rng = np.random.default_rng(3)
    slots = np.arange(0, 20 * 86400, 600.0)
    sparse = np.sort(rng.choice(slots, size=len(slots) // 4, replace=False))
    assert abs(rows_per_day(sparse, 600.0) - 36) <= 2
    # A long outage more than a week ago does not change the season of what the profiles read.
    gap = np.concatenate([hourly[:100], hourly[400:] + 0.0])
    assert rows_per_day(gap, 3600.0) == 24
    # Less than a day of timestamps: the nominal step decides.
    assert rows_per_day(np.array([0.0, 60.0, 120.0]), 60.0) == 1440


def test_no_zero_width_interval_when_the_backtest_saw_no_error():
    # A counter at 0 for three weeks, then a burst in the last hour (a package upgrade in dpkg.log):
    # every backtest origin saw 0 error, the pieces now disagree; the band must not claim certainty.
    from analytics.forecast.seasonal import forecast_seasonal

    y = np.zeros(24 * 21)
    y[-1] = 17.0
    f = forecast_seasonal(y, 6, 24)
    assert np.all(f.hi - f.lo > 0)
    assert np.all(f.lo <= 0.0) and np.all(f.hi >= 17.0 / len(f.weights))


def test_band_width_is_calibrated_on_held_out_backtest_origins():
    from analytics.forecast.seasonal import self_calibrated_width

    rng = np.random.default_rng(0)
    # Every origin's errors from one distribution: the nominal band is about right (factor near 1).
    assert 0.9 <= self_calibrated_width(rng.normal(size=(16, 24)), 0.8) <= 1.15
    # Each origin's errors shifted as a whole (a day whose level the forecast missed) and few origins:
    # the band from the others covers a held-out day less than 80 %, so it is widened.
    z = rng.normal(size=(5, 24)) * 0.3 + rng.normal(size=(5, 1)) * 3
    assert self_calibrated_width(z, 0.8) >= 1.3
    # The calibration follows the level asked for: a 50 % band is narrower than an 80 % one, not wider.
    assert self_calibrated_width(rng.normal(size=(16, 24)), 0.5) <= 1.2


@pytest.mark.parametrize("big", [1e80, 1e150, 1e300])
def test_huge_values_forecast_finite_numbers(big):
    # The pieces' weights were 1 / MAE ** 4: errors above ~1e77 underflowed every weight to 0 (0 / 0 = NaN).
    import warnings

    from analytics.forecast.backtest import forecast_series

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = forecast_series(np.array([big, -big] * 30), 3, 24)
    assert np.all(np.isfinite(f.mean)) and np.all(f.lo <= f.mean) and np.all(f.mean <= f.hi)


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_a_series_too_short_to_backtest_is_a_guess_with_no_interval(rows):
    """One row printed '5.0,5.0,5.0': an 80 % interval of width 0, certainty from nothing measured; two and
    three rows a band from one backtest error. A guess prints `value` alone (the harness format for a
    forecast without an interval) and says on stderr what it was made from and what a measured one takes."""
    res = run(["--horizon", "3"], csv_text(rows))
    assert res.exit_code == 0, res.output
    lines = res.stdout.strip().split("\n")
    assert len(lines) == 3 and all(len(line.split(",")) == 1 and math.isfinite(float(line)) for line in lines)
    row_s = "row" if rows == 1 else "rows"
    assert f"note: this forecast is a guess from {rows} {row_s}, not a measured one" in res.stderr
    assert "no measured 80% interval" in res.stderr
    assert "A measured forecast 3 steps ahead needs at least 11 rows: 10 h of history at one row every 1 h" in (
        res.stderr
    )
    assert ("assumed: the rows give no spacing; --step sets it" in res.stderr) == (rows == 1)
    timed = run(["--horizon", "3", "--timestamps"], csv_text(rows))
    assert [line.split(",")[2:] for line in timed.stdout.splitlines()[1:]] == [["", ""]] * 3


def test_a_guess_says_the_same_in_json():
    import json

    res = run(["--horizon", "3", "--json"], csv_text(1))
    data = json.loads(res.stdout)
    assert data["measured"] is False and data["rows"] == 1 and data["rows_to_measure"] == 11
    assert data["backtest_origins"] == 0
    assert all(p["lo"] is None and p["hi"] is None and p["value"] == data["points"][0]["value"] for p in data["points"])
    assert f"note: {data['note']}" in res.stderr and "guess from 1 row" in data["note"]
    measured = json.loads(run(["--horizon", "3", "--json"], csv_text(24 * 3)).stdout)
    assert measured["measured"] is True and measured["note"] is None
    assert all(p["lo"] <= p["value"] <= p["hi"] for p in measured["points"])


def test_the_rows_the_note_asks_for_are_the_rows_a_measured_forecast_takes():
    """At the number of rows the note names the forecast is measured (an interval on every line, no
    note); one row fewer it is still a guess. Hourly rows, 3 and 24 steps ahead; five-minute rows, a day."""
    for step_min, horizon, need in ((60, 3, 11), (60, 24, 108), (5, 288, 1296)):
        short = run(["--horizon", str(horizon)], csv_text(need - 1, step_min))
        assert f"needs at least {need} rows" in short.stderr
        assert all("," not in line for line in short.stdout.splitlines())
        enough = run(["--horizon", str(horizon)], csv_text(need, step_min))
        assert enough.stderr == "" and all(len(x.split(",")) == 3 for x in enough.stdout.splitlines())


@pytest.mark.parametrize("horizon", [1, 2, 3, 7, 24, 100])
@pytest.mark.parametrize("season", [1, 12, 24, 288])
def test_rows_to_measure_is_where_the_backtest_reaches_its_origins(horizon, season):
    from analytics.forecast.stats import MIN_ORIGINS, backtest_origins, rows_to_measure

    need = rows_to_measure(horizon, season)
    assert len(backtest_origins(need, horizon, season)) >= MIN_ORIGINS
    assert all(len(backtest_origins(n, horizon, season)) < MIN_ORIGINS for n in range(1, need))
    assert all(len(backtest_origins(n, horizon, season)) >= MIN_ORIGINS for n in range(need, need + 3 * season))


def test_explain_on_a_guess_says_nothing_was_measured_instead_of_nan():
    res = CliRunner().invoke(cli, ["forecast", "series", "--horizon", "2", "--explain"], input=csv_text(1))
    assert res.exit_code == 0, res.output
    said = res.stderr if hasattr(res, "stderr") else res.output
    assert "nan" not in said and "(0 origins; seasonal –, linear –)" in said


def test_a_first_row_with_a_time_and_a_bad_value_is_an_error_not_a_header():
    res = run(["--horizon", "1"], "2026-12-01T00:00:00Z,abc\n2026-12-01T01:00:00Z,5\n")
    assert res.exit_code == 3 and "<stdin>:1: value 'abc' is not a number" in res.output
    assert run(["--horizon", "1"], "time,cpu\n2026-12-01T01:00:00Z,5\n").exit_code == 0  # a header
