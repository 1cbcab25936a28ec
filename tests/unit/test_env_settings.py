"""LOKIFI_* numbers and sizes from the environment: a value that is not one is said once, with the
default used, and no command fails over it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given, strategies as st

from analytics.common import env_settings as E


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("LOKIFI_LOCK_TIMEOUT", "abc", "LOKIFI_LOCK_TIMEOUT='abc' is not a number of seconds above 0; using 15.0"),
        ("LOKIFI_WRITE_TIMEOUT", "-3", "LOKIFI_WRITE_TIMEOUT='-3' is not a number of seconds above 0; using 3.0"),
        ("LOKIFI_DUCKDB_MEMORY", "lots", "LOKIFI_DUCKDB_MEMORY='lots' is not a memory size such as 512MB or 2GB"),
    ],
)
def test_a_bad_value_is_said_once_and_the_command_runs_with_the_default(tmp_path, name, value, said):
    env = {**os.environ, name: value, "LOKIFI_HOME": str(tmp_path), "NO_COLOR": "1"}
    r = subprocess.run(
        [sys.executable, "-m", "lokifi_tui.cli.main", "db", "info"],  # the new home's database
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count(said) == 1, r.stderr


def test_series_commands_take_a_bad_pipe_wait_and_a_small_input_cap_in_words(tmp_path):
    csv = tmp_path / "s.csv"
    csv.write_text("timestamp,value\n" + "".join(f"2026-01-01T00:{m:02d}:00,{m}\n" for m in range(60)))
    env = {**os.environ, "LOKIFI_PIPE_WAIT": "soon", "LOKIFI_MAX_SERIES_BYTES": "100", "NO_COLOR": "1"}
    r = subprocess.run(
        [sys.executable, "-m", "lokifi_tui.cli.main", "forecast", "series", "--horizon", "2", "--input", str(csv)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 3 and "Traceback" not in r.stderr, r.stderr
    assert "LOKIFI_PIPE_WAIT='soon' is not a number of seconds of 0 or more; using 30.0" in r.stderr
    assert "more than 100 B of input" in r.stderr  # not "0 MB"


@given(st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=12))
def test_whatever_the_value_a_number_within_its_bounds_comes_back(raw):
    os.environ["LOKIFI_TEST_SECONDS"] = raw
    os.environ["LOKIFI_TEST_BYTES"] = raw
    os.environ["LOKIFI_TEST_MEMORY"] = raw
    try:
        s = E.env_seconds("LOKIFI_TEST_SECONDS", 7.0)
        assert s == 7.0 or (s > 0 and s == float(raw))
        b = E.env_bytes("LOKIFI_TEST_BYTES", 9)
        assert b == 9 or (b >= 1 and b == int(raw.strip()))
        assert E.env_memory("LOKIFI_TEST_MEMORY", "512MB") in ("512MB", raw.strip())
    finally:
        for k in ("LOKIFI_TEST_SECONDS", "LOKIFI_TEST_BYTES", "LOKIFI_TEST_MEMORY"):
            del os.environ[k]
