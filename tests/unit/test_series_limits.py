"""What the series commands refuse, and that each refusal says how to comply: forecast steps past the
years Lokifi prints (exit 2 for an option, 3 for the data), a horizon bounded so memory is too, a guess's
note that never asks for more rows than the input may hold, the 8 MB limit (its suggested command runs),
and a folder given to `anomalies detect` (its suggested loop runs)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings, strategies as st
from repo_paths import ROOT

from analytics.common.epoch_time import MAX_SECONDS, TS_MIN, text_seconds
from analytics.forecast.series_csv import forecast_csv_timed
from analytics.forecast.stats import rows_to_measure
from bench.bench_input import run_measured
from lokifi_tui.cli.forecast import MAX_HORIZON
from lokifi_tui.cli.main import cli


def csv_at(last: dt.datetime, n: int = 30, step_s: float = 300) -> str:
    return "timestamp,value\n" + "".join(
        f"{(last - dt.timedelta(seconds=step_s * (n - 1 - i))).isoformat()},{i % 5}\n" for i in range(n)
    )


def forecast(text: str, *args: str):
    return CliRunner().invoke(cli, ["forecast", "series", *args], input=text)


def test_steps_past_2199_are_refused_saying_how_many_fit():
    res = forecast(csv_at(dt.datetime(2199, 12, 31, 20, 15)), "--horizon", "200", "--timestamps")
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert (
        "--horizon 200 at one row every 5 min after the last row (2199-12-31T20:15:00Z) would end in the year 2200"
        in (res.stderr)
    )
    assert "at most 44 steps fit (--horizon 44)" in res.stderr
    ok = forecast(csv_at(dt.datetime(2199, 12, 31, 20, 15)), "--horizon", "44", "--timestamps")
    assert ok.exit_code == 0 and ok.stdout.splitlines()[-1].startswith("2199-12-31T23:55:00Z,")


@pytest.mark.parametrize("step", ["1e11", "1e300"])
@pytest.mark.parametrize("fmt", ["--timestamps", "--json", None])
def test_a_step_too_large_is_a_usage_error(step, fmt):
    res = forecast(csv_at(dt.datetime(2026, 11, 14)), "--horizon", "3", "--step", step, *([fmt] if fmt else []))
    assert res.exit_code == 2 and res.stdout == "", res.output
    assert f"--step {float(step):g} after the last row" in res.stderr and "would end past the year 9999" in res.stderr


@pytest.mark.parametrize("step", ["1e-300", "0.0009", "0"])
def test_a_step_too_small_to_tell_times_apart_is_a_usage_error(step):
    res = forecast(csv_at(dt.datetime(2026, 11, 14)), "--horizon", "3", "--step", step, "--timestamps")
    assert res.exit_code == 2 and "x>=0.001" in res.stderr


def test_rows_closer_than_a_millisecond_are_refused_as_data():
    text = "timestamp,value\n" + "".join(f"2026-01-01T00:00:00.{i:06d},{i}\n" for i in range(0, 2000, 100))
    res = forecast(text, "--horizon", "2")
    assert res.exit_code == 3 and "the rows are 0.0001 s apart" in res.stderr and "--step" in res.stderr


@settings(max_examples=120, deadline=None)
@given(
    last=st.floats(0, MAX_SECONDS - 1),
    step=st.one_of(st.floats(0.001, 1e12), st.sampled_from([0.001, 1e300, 86400.0 * 366])),
    horizon=st.integers(1, 300),
    fmt=st.sampled_from(["--timestamps", "--json"]),
)
@example(last=MAX_SECONDS - 1, step=1.0, horizon=1, fmt="--json")
@example(last=1.0, step=0.001, horizon=300, fmt="--timestamps")
def test_forecast_times_are_increasing_and_printable_or_refused(last, step, horizon, fmt):
    start = TS_MIN + dt.timedelta(seconds=last)
    res = forecast(f"{start.isoformat()},1\n", "--horizon", str(horizon), "--step", repr(step), fmt)
    assert res.exit_code in (0, 2) and "Traceback" not in res.output, res.output
    if res.exit_code == 2:
        assert "Lokifi's times end with the year 2199" in res.stderr
        assert last + step * horizon >= MAX_SECONDS - 1e-3 * step
        return
    if fmt == "--json":
        stamps = [p["timestamp"] for p in json.loads(res.stdout)["points"]]
    else:
        stamps = [line.split(",")[0] for line in res.stdout.splitlines()[1:]]
    secs = [text_seconds(s) for s in stamps]
    assert len(secs) == horizon and all(s.endswith("Z") for s in stamps)
    assert all(b > a for a, b in zip([last, *secs], secs, strict=False)), stamps


def test_the_horizon_is_bounded():
    res = forecast(csv_at(dt.datetime(2026, 11, 14)), "--horizon", str(MAX_HORIZON + 1))
    assert res.exit_code == 2 and f"1<=x<={MAX_HORIZON}" in res.stderr


@pytest.mark.parametrize("horizon", [3, 5_000, 100_000, MAX_HORIZON])
@pytest.mark.parametrize("row_bytes", [20, 60])
def test_the_guess_never_asks_for_more_rows_than_the_input_may_hold(horizon, row_bytes):
    """The note used to ask for 275,070 rows when 8 MB holds about 250,000: now, past what the input holds,
    it says how far ahead those rows measure, and that horizon is measurable from them."""
    pad = "0" * max(0, row_bytes - 27)
    text = "timestamp,value\n" + "".join(f"{1_800_000_000 + 300 * i},{i % 9}.{pad}\n" for i in range(10))
    run = forecast_csv_timed(text.encode(), horizon, max_input=8 << 20)
    note = run.guess
    assert note is not None and run.rows_input_holds is not None
    need = int(re.search(r"needs (?:at least )?([\d,]+) rows", note).group(1).replace(",", ""))
    assert need == run.rows_to_measure
    if need > run.rows_input_holds:
        reach = int(re.search(r"--horizon (\d+)\)", note).group(1))
        assert rows_to_measure(reach, run.season) <= run.rows_input_holds < rows_to_measure(reach + 1, run.season)
        assert f"more than the input may hold (8.0 MB: about {run.rows_input_holds:,} rows like these)" in note
    else:
        assert f"needs at least {need} rows" in note


@pytest.mark.slow
@pytest.mark.parametrize("fmt", [[], ["--json"], ["--timestamps"]])
def test_the_longest_horizon_stays_under_300_mb(fmt):
    """--horizon 1000000 --json took 1.37 GB: the horizon is bounded and the lines written a chunk at a time."""
    text = "timestamp,value\n" + "".join(f"{1_800_000_000 + 300 * i},{(i * 7) % 11}\n" for i in range(200_000))
    code, out, err, rss, _ = run_measured(
        "forecast", "series", "--horizon", str(MAX_HORIZON), *fmt, input=text.encode()
    )
    assert code == 0 and "Traceback" not in err, err
    assert rss < 300 * 1024, rss
    assert out.count("\n") >= MAX_HORIZON
    if fmt == ["--json"]:
        assert len(json.loads(out)["points"]) == MAX_HORIZON


def _shim(tmp_path: Path) -> dict[str, str]:
    """An environment whose `lokifi` is this checkout's: a suggested command line runs as a user runs it."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "lokifi"
    exe.write_text(f'#!/bin/sh\nexec {sys.executable} -m lokifi_tui.cli.main "$@"\n')
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}


def _suggested(stderr: str) -> str:
    return re.search(r"`([^`]+\| lokifi [^`]+)`", stderr).group(1)


@pytest.mark.slow
@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("command", [["anomalies", "detect"], ["forecast", "series", "--horizon", "3", "--input"]])
def test_the_size_refusal_suggests_a_command_that_works(tmp_path, compressed, command):
    env = {**_shim(tmp_path), "LOKIFI_MAX_SERIES_BYTES": "20000"}
    text = "timestamp,value\n" + "".join(f"{1_800_000_000 + 300 * i},{i % 13}\n" for i in range(3000))
    f = tmp_path / ("big.csv.gz" if compressed else "big.csv")
    f.write_bytes(gzip.compress(text.encode()) if compressed else text.encode())
    r = subprocess.run(["lokifi", *command, str(f)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert r.returncode == 3 and "more than 19.5 KB of input" in r.stderr and "LOKIFI_MAX_SERIES_BYTES" in r.stderr
    line = _suggested(r.stderr)
    assert line.startswith("zcat " if compressed else "tail -n ")
    ok = subprocess.run(["sh", "-c", line], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert ok.returncode == 0, (line, ok.stderr)
    piped = subprocess.run(
        ["lokifi", *command[:-1]] if command[-1] == "--input" else ["lokifi", *command],
        input=text,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert piped.returncode == 3 and "put `tail -n " in piped.stderr


@pytest.mark.slow
def test_a_folder_given_to_detect_suggests_a_loop_that_works(tmp_path):
    env = _shim(tmp_path)
    d = tmp_path / "my series"
    d.mkdir()
    for name in ("a.csv", "b.csv"):
        (d / name).write_text("timestamp,value\n" + "".join(f"{1_800_000_000 + 300 * i},{i % 5}\n" for i in range(50)))
    r = subprocess.run(["lokifi", "anomalies", "detect", str(d)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 3 and "is a directory; this reads one series" in r.stderr
    loop = r.stderr.split("give each file: ", 1)[1].strip()
    ok = subprocess.run(["sh", "-c", loop], capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0, (loop, ok.stderr)
    assert ok.stdout.count("== ") == 2 and "a.csv" in ok.stdout and "b.csv" in ok.stdout
