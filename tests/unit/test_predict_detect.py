"""The streaming anomaly detector: the batch form raises exactly the online form's alarms, decisions
use only the past, planted anomalies (level shifts, isolated spikes) are found and clean series stay
quiet; the CSV reader and `lokifi anomalies detect` reject bad input with a message naming the line."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from analytics.common import series_csv as S
from analytics.predict import detect as D
from analytics.predict.detect_csv import detect_text
from lokifi_tui.cli.main import cli

T0 = dt.datetime(2024, 1, 1)


def series(n, step_min=5, seed=0, kind="seasonal"):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    secs = (T0 - dt.datetime(1970, 1, 1)).total_seconds() + 60.0 * step_min * t
    day = 24 * 60 / step_min
    if kind == "seasonal":
        v = 50 + 20 * np.sin(2 * np.pi * t / day) + rng.normal(0, 2, n)
    elif kind == "sparse":
        v = rng.poisson(0.3, n).astype(float)
    else:
        v = np.cumsum(rng.normal(0, 1, n)) + 100
    return secs, v


def online(secs, v, cfg=D.DEFAULT):
    det = D.Detector(cfg)
    return [i for i in range(len(v)) if det.update(secs[i], v[i])]


@pytest.mark.slow
@pytest.mark.parametrize("kind,seed", [("seasonal", 1), ("sparse", 2), ("walk", 3)])
def test_batch_equals_online(kind, seed):
    secs, v = series(1400, seed=seed, kind=kind)
    v[900:960] += 80  # an excursion, so there is something to alarm on
    assert D.detect(secs, v) == online(secs, v)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(-1e6, 1e6), st.just(float("nan")), st.integers(0, 3).map(float)), min_size=0, max_size=160
    ),
    st.integers(1, 3600),
)
def test_batch_equals_online_property(values, step):
    cfg = D.DetectorConfig(window=40, short=5, history=80, min_points=8, warmup=10, refractory=10, seasonal_cycles=3)
    secs = 1.7e9 + step * np.arange(len(values), dtype=float)
    v = np.asarray(values, dtype=float)
    # a short 'day' so the seasonal path runs: 12 rows per period
    secs = 1.7e9 + (86400.0 / 12) * np.arange(len(values), dtype=float) if step % 2 else secs
    assert D.detect(secs, v, cfg) == online(secs, v, cfg)


def test_decisions_use_only_the_past():
    secs, v = series(2000, seed=4)
    v[1500:1540] += 60
    full = D.detect(secs, v)
    for cut in (600, 1200, 1520, 1800):
        assert D.detect(secs[:cut], v[:cut]) == [i for i in full if i < cut]


def test_finds_planted_level_shift_and_stays_quiet_on_clean_data():
    secs, v = series(4032, seed=5)
    assert D.detect(secs, v) == [] or len(D.detect(secs, v)) <= 1
    shifted = v.copy()
    shifted[3000:] += 40
    alarms = D.detect(secs, shifted)
    assert any(3000 <= i < 3050 for i in alarms), alarms


def test_sigma_baseline_is_noisier_than_the_detector():
    """The seed's 2-sigma rule fires on ordinary noise; the detector does not."""
    secs, v = series(4032, seed=6, kind="walk")
    w = 288
    sigma_alarms = sum(1 for i in range(w, len(v)) if abs(v[i] - v[i - w : i].mean()) > 2 * v[i - w : i].std())
    assert sigma_alarms > 50
    assert len(D.detect(secs, v)) < sigma_alarms / 10


def test_read_series_csv_and_errors():
    rows = S.read_series_csv("timestamp,value\n2024-01-01 00:00:00,1.5\n2024-01-01T00:05:00Z,2\n")
    assert list(rows.times) == [1704067200.0, 1704067500.0] and list(rows.values) == [1.5, 2.0]
    with pytest.raises(S.SeriesInputError, match=r":3: value 'abc' is not a number"):
        S.read_series_csv("timestamp,value\n2024-01-01,1\n2024-01-02,abc\n")
    with pytest.raises(S.SeriesInputError, match=r":2: timestamp 'yesterday' is not ISO 8601"):
        S.read_series_csv("timestamp,value\nyesterday,1\n")
    rows = S.read_series_csv("2024-01-02,1\n2024-01-01,2\n")
    assert list(rows.values) == [1.0, 2.0] and rows.axis[1] > rows.axis[0]
    assert "clock steps back at line 2" in rows.notes[0]
    with pytest.raises(S.SeriesInputError, match="expected two columns timestamp,value"):
        S.read_series_csv("2024-01-02\n")


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_reader_fails_only_with_series_error(text):
    try:
        detect_text(text)
    except S.SeriesInputError:
        pass


def _csv(secs, v):
    lines = ["timestamp,value"]
    for s, x in zip(secs, v, strict=False):
        lines.append(f"{dt.datetime(1970, 1, 1) + dt.timedelta(seconds=float(s)):%Y-%m-%d %H:%M:%S},{x}")
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_cli_detect_stdin_and_file(tmp_path):
    secs, v = series(3000, seed=7)
    v[2500:] += 40
    text = _csv(secs, v)
    runner = CliRunner()
    r = runner.invoke(cli, ["anomalies", "detect"], input=text)
    assert r.exit_code == 0, r.output
    expect = [
        f"{dt.datetime(1970, 1, 1) + dt.timedelta(seconds=float(secs[i])):%Y-%m-%dT%H:%M:%SZ}"
        for i in D.detect(secs, v)
    ]
    assert r.output.split() == expect and expect
    f = tmp_path / "s.csv"
    f.write_text(text)
    r2 = runner.invoke(cli, ["anomalies", "detect", str(f)])
    assert r2.exit_code == 0 and r2.output == r.output


def test_cli_detect_bad_input(tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["anomalies", "detect"], input="timestamp,value\n2024-01-01,\x1b[31mred\n")
    assert r.exit_code == 3
    assert "\x1b[31m" not in r.output + (r.stderr if r.stderr_bytes is not None else "")
    f = tmp_path / "bin.csv"
    f.write_bytes(b"\x00\x01\x02binary")
    r = runner.invoke(cli, ["anomalies", "detect", str(f)])
    assert r.exit_code == 3
    r = runner.invoke(cli, ["anomalies", "detect", str(tmp_path / "missing.csv")])
    assert r.exit_code == 3


def test_epoch_timestamps_are_read_like_ingest_reads_them():
    rows = "timestamp,value\n" + "".join(f"{1700000000 + i * 300},{i}\n" for i in range(3))
    read = S.read_series_csv(rows)
    assert read.times[0] == 1700000000 and read.axis[1] - read.axis[0] == 300
    assert detect_text(rows) == [] and S.read_series_csv("1700000000000,1\n1700000300000,2\n").times[1] == 1700000300
    with pytest.raises(S.SeriesInputError, match="outside the years 1970-2199"):
        S.read_series_csv("1e300,1\n")


# Isolated spikes. One row moves the short-term mean by at most zclip/short, and on a seasonal series the
# local level (whose spread is the day's own swing) vetoes it; step 4 of the module docstring catches it.

DAY = 288  # 5-minute rows


def daily(days, noise, seed=0, flat=False):
    """100 + 20 sin over a day of 5-minute rows (or a flat 100), plus Gaussian noise of sd ``noise``."""
    rng = np.random.default_rng(seed)
    t = np.arange(days * DAY)
    secs = (T0 - dt.datetime(1970, 1, 1)).total_seconds() + 300.0 * t
    v = np.full(len(t), 100.0) if flat else 100 + 20 * np.sin(2 * np.pi * (t % DAY) / DAY)
    return secs, v + (rng.normal(0, noise, len(t)) if noise else 0.0)


@pytest.mark.slow
@pytest.mark.parametrize("days", [4, 7, 14])
@pytest.mark.parametrize("noise,seed", [(0.0, 0), (2.0, 11)])
@pytest.mark.parametrize("phase", [DAY // 4, 3 * DAY // 4])  # the sine's peak and trough
def test_isolated_spike_on_a_daily_profile_alarms_at_its_row(days, noise, seed, phase):
    secs, v = daily(days, noise, seed)
    assert D.detect(secs, v) == []  # the same series without the spike stays quiet
    row = (days - 1) * DAY + phase
    v[row] += 50  # 25 sd of the noise; at the trough it stays within the day's range
    assert D.detect(secs, v) == [row]
    assert online(secs, v) == [row]


@pytest.mark.slow
@pytest.mark.parametrize("days,seed", [(4, 21), (7, 22), (14, 23)])
def test_isolated_spike_on_a_flat_noisy_series_alarms_at_its_row(days, seed):
    secs, v = daily(days, 2.0, seed, flat=True)
    assert D.detect(secs, v) == []
    row = len(v) - 50
    v[row] += 50
    assert D.detect(secs, v) == [row] == online(secs, v)


@pytest.mark.slow
def test_level_step_on_a_flat_noisy_series_alarms_at_its_first_row():
    secs, v = daily(7, 2.0, 24, flat=True)
    assert D.detect(secs, v) == []
    v[5 * DAY :] += 40
    assert D.detect(secs, v) == [5 * DAY] == online(secs, v)


@pytest.mark.slow
def test_a_second_extreme_row_is_a_second_incident_a_third_is_a_pattern():
    """After the first spike's incident is over, a second as large is its own incident; a third within
    ``history`` rows is usual for this series by then (``lone_repeats``)."""
    secs, v = daily(7, 2.0, 25)
    for day in (3, 4, 5):
        v[day * DAY + 100] += 50
    assert D.detect(secs, v) == [3 * DAY + 100, 4 * DAY + 100] == online(secs, v)


@pytest.mark.slow
def test_a_spike_hours_after_a_spike_is_reported():
    secs, v = daily(7, 2.0, 26)
    v[4 * DAY] += 40
    v[4 * DAY + 36] += 30  # three hours later, smaller
    assert D.detect(secs, v) == [4 * DAY, 4 * DAY + 36] == online(secs, v)


def test_a_series_that_repeats_exactly_keeps_a_scale():
    """Daily-profile residuals of an exactly repeating series are all 0; the scale floor (a fraction of the
    level) keeps a change far below the noise of any real metric from counting as extreme."""
    secs, v = daily(4, 0.0)
    v[3 * DAY + 100] += 1e-3
    assert D.detect(secs, v) == [] == online(secs, v)


def test_a_clock_step_back_keeps_detecting_and_says_where(tmp_path):
    """An NTP/DST step of 55 minutes back once: the series is read (no exit 3), the note names the line,
    and a level shift after the step is still found."""
    import subprocess
    import sys

    rng = np.random.default_rng(5)
    t0 = dt.datetime(2026, 3, 1)
    rows, t = [], t0
    for i in range(3 * 24 * 12):  # 3 days every 5 minutes
        if i == 2 * 24 * 12:
            t -= dt.timedelta(minutes=55)  # the clock steps back once
        v = 50 + rng.normal(0, 2) + (150 if i >= 2 * 24 * 12 + 60 else 0)
        rows.append(f"{t.isoformat()},{v:.3f}")
        t += dt.timedelta(minutes=5)
    f = tmp_path / "stepped.csv"
    f.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    r = subprocess.run(
        [sys.executable, "-m", "lokifi_tui.cli.main", "anomalies", "detect", str(f)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "clock steps back at line" in r.stderr and "(55 min)" in r.stderr
    shift = t0 + dt.timedelta(minutes=5 * (2 * 24 * 12 + 60) - 55)
    assert r.stdout and all(a.endswith("Z") for a in r.stdout.split())
    alarms = [dt.datetime.fromisoformat(a).replace(tzinfo=None) for a in r.stdout.split()]
    assert any(shift <= a <= shift + dt.timedelta(minutes=30) for a in alarms), alarms


def test_rows_out_of_order_everywhere_are_read_sorted():
    lines = [f"2024-01-01T00:{m:02d}:00,{m}" for m in (5, 1, 9, 3, 7, 2, 8, 0, 6, 4)]
    rows = S.read_series_csv("\n".join(lines))
    assert list(rows.values) == list(range(10)) and "read sorted by time" in rows.notes[0]


def _incident_series(seed: int, gap_h: int, spike: bool = True, shift: bool = True):
    rng = np.random.default_rng(seed)
    n = 6 * 288  # six days every 5 minutes
    t = np.arange(n) * 300.0 + 1.7e9
    v = 100 + 20 * np.sin(2 * np.pi * np.arange(n) / 288) + rng.normal(0, 8.0, n)
    s0 = 3 * 288
    if spike:
        v[s0] += 200  # a one-row spike ...
    sh = s0 + gap_h * 12
    if shift:
        v[sh : sh + 30] += 150  # ... and hours later a 2.5 h level shift (~19 sd)
    return t, v, sh


@pytest.mark.slow
@pytest.mark.parametrize("gap_h", [6, 12, 48])
def test_a_second_incident_hours_after_a_first_is_reported_within_30_minutes(gap_h):
    for seed in range(6):
        t, v, sh = _incident_series(seed, gap_h)
        alarms = D.detect(t, v)
        assert any(sh <= a <= sh + 6 for a in alarms), (seed, gap_h, alarms)
        quiet_t, quiet_v, _ = _incident_series(seed, gap_h, spike=False, shift=False)
        assert len([a for a in D.detect(quiet_t, quiet_v) if a >= 2 * 288]) <= 1  # the clean twin stays quiet


def _weekly(days: int, seed: int):
    """A daily sine, a weekend 8 noise-sd lower, noise sd 1, every 5 minutes."""
    rng = np.random.default_rng(seed)
    i = np.arange(days * DAY)
    v = 100 + 6 * np.sin(2 * np.pi * i / DAY) - 8.0 * ((i // DAY) % 7 >= 5) + rng.normal(0, 1, len(i))
    return 1.7e9 + 300.0 * i, v


@pytest.mark.slow
def test_a_weekly_pattern_is_normal_once_a_week_has_been_seen():
    """The first weekend is new; the next ones look like the week before (the weekly model), so no alarm
    after the first week -- while a spike on the third Saturday still alarms."""
    secs, v = _weekly(21, 31)
    alarms = D.detect(secs, v)
    assert alarms == online(secs, v)
    assert [a for a in alarms if a >= 7 * DAY] == []
    v[19 * DAY + 50] += 25
    assert [a for a in D.detect(secs, v) if a >= 7 * DAY] == [19 * DAY + 50]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [41, 42])
def test_a_smaller_second_incident_after_the_first_week_is_found_and_batch_equals_online(seed):
    """After a week the bar for a lone row is calibrated on the series' own ordinary rows: a first shift of
    2 h, then a spike of 8 noise sd (a robust z of about 6 against the week-ago comparison, under the
    first-week bar of 10) a day later is still reported; the online detector agrees row for row."""
    secs, v = _weekly(14, seed)
    first, second = 9 * DAY + 30, 10 * DAY + 60
    v[first : first + 24] += 15
    v[second] += 8
    alarms = D.detect(secs, v)
    assert alarms == online(secs, v)
    assert any(first <= a <= first + 6 for a in alarms) and second in alarms, alarms


def test_real_world_rows_are_read_with_notes_not_refused():
    """A few malformed rows, a repeated timestamp, a nan and a gap: the series is read and each is named."""
    lines = ["timestamp,value"] + [f"{1_700_000_000 + 300 * i},{100 + i % 7}" for i in range(400)]
    lines[51] = "yesterday,3"  # malformed
    lines[120] = lines[119]  # a repeated row
    lines[200] = lines[200].split(",")[0] + ",nan"
    del lines[300:340]  # a gap of 40 steps
    lines.insert(250, "")  # a blank line: nothing, and the lines after it keep their numbers
    rows = S.read_series_csv("\n".join(lines), "s.csv")
    assert len(rows.values) == 400 - 1 - 40
    text = "\n".join(rows.notes)
    assert "s.csv: skipped 1 row that cannot be read" in text and "the first: s.csv:52: timestamp 'yesterday'" in text
    assert "1 row repeats the timestamp before it (the first at line 121)" in text
    assert "1 row has no value or one that is not finite (the first at line 201); the detector skips such rows" in text
    assert "1 gap longer than three sampling steps (of 5 min); the longest 3.4 h before line 302" in text
    # a complete series in shuffled order: read sorted, and no gap is named (the file's order is no time)
    import random

    body = lines[1:]
    random.Random(7).shuffle(body)
    text = "\n".join(S.read_series_csv("\n".join([lines[0], *body]), "s.csv").notes)
    assert "the rows were read sorted by time" in text
    assert "1 gap longer than three sampling steps (of 5 min); the longest 3.4 h before line" in text
    assert text.count("gap") == 1 and "days" not in text
    # a file that is mostly not a series is still refused, naming the first bad line
    with pytest.raises(
        S.SeriesInputError, match=r"s.csv:2: value 'x' is not a number \(and 9 more rows that cannot be read\)"
    ):
        S.read_series_csv(
            "\n".join(["timestamp,value"] + [f"{1_700_000_000 + i},x" for i in range(10)] + ["1700000100,1"]), "s.csv"
        )


@pytest.mark.slow
def test_a_short_average_the_series_has_already_produced_is_not_news():
    """The sustained test's Gaussian tail is thin for the right-skewed short average of a quiet series: on
    two clean weekly series of the incident-pair generator the first weekend's drop (min(local, daily)
    about 2 for a while, as the day's own swing gives on ordinary days) crossed it. The short average must
    also reach what the series' ordinary rows have produced; those series stay quiet (or alarm once, at
    the drop's first row, by the lone-row rule) and the batch and online forms still agree."""
    from bench.incident_pairs import STEP, N, pair

    t = np.arange(N) * STEP + 1.7e9
    probation = int(0.15 * N)
    for seed, expected in ((54, [1459]), (56, [])):
        clean = pair("weekly", "spike", "spike", seed)[1]  # the clean twin: the base and its noise
        alarms = D.detect(t, clean)
        assert [a for a in alarms if a >= probation] == expected
        assert alarms == online(t, clean)


@pytest.mark.parametrize("exp", ["top", -1060])
def test_values_at_the_edge_of_the_floats_alarm_as_the_same_series_near_1(exp):
    """Differences of 1e301-sized values overflowed (NaN scores, numpy warnings); the detector is
    scale-free, so a series times a power of two alarms where the series does."""
    import warnings

    secs, v = series(1400, seed=4, kind="daily")
    v[900:960] += 80
    plain = D.detect(secs, v)
    assert plain
    if exp == "top":  # the largest value just below the largest float
        exp = 1024 - int(np.frexp(np.abs(v).max())[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert D.detect(secs, np.ldexp(v, exp)) == plain
