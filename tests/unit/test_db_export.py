"""`lokifi db export COMPONENT METRIC`: a stored metric series written as the `timestamp,value` CSV the series
commands read, so `lokifi db export ... | lokifi anomalies detect` runs the detector on what was stored.
Everything here runs on a real DuckDB file."""

from __future__ import annotations

import datetime as dt
import math
import os
import stat
import subprocess
import sys
import threading

import numpy as np
import polars as pl
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st
from repo_paths import ROOT

from analytics.common.epoch_time import us_iso, utc_iso
from analytics.common.series_csv import read_series_csv
from analytics.store.database import Store
from analytics.store.metrics import append_metrics
from lokifi_tui.cli.main import cli

T0 = dt.datetime(2026, 1, 1)


def _store(migrated, path, rows: list[tuple[dt.datetime, str, str, str, float]]) -> Store:
    store = migrated(path)
    df = pl.DataFrame(rows, schema=["ts", "host", "component", "metric", "value"], orient="row")
    assert append_metrics(store, df)
    return store


def _latency(n: int = 3000, host: str = "web-1") -> list[tuple[dt.datetime, str, str, str, float]]:
    """A daily sine every 5 minutes with an excursion and one spike: a series with alarms."""
    rng = np.random.default_rng(4)
    out = []
    for i in range(n):
        v = 50 + 10 * math.sin(2 * math.pi * i / 288) + float(rng.normal(0, 1))
        v = v + 60 if 2200 <= i < 2210 else 400.0 if i == 2600 else v
        out.append((T0 + dt.timedelta(minutes=5 * i), host, "api", "response_time_ms", round(v, 3)))
    return out


def _export(db, *args: str):
    return CliRunner().invoke(cli, ["--db", str(db), "db", "export", *args])


def test_the_export_reads_back_as_the_stored_rows(migrated, tmp_path):
    db = tmp_path / "s.duckdb"
    rows = _latency()
    _store(migrated, db, rows + [(T0, "web-1", "api", "cpu_percent", 3.0)])
    r = _export(db, "api", "response_time_ms")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("timestamp,value\n2026-01-01T00:00:00Z,")
    read = read_series_csv(r.stdout)
    assert read.notes == () and len(read.values) == len(rows)  # nothing for the reader to say
    assert [utc_iso(t) for t in read.times] == [f"{ts:%Y-%m-%dT%H:%M:%SZ}" for ts, *_ in rows]
    assert read.values.tolist() == [v for *_, v in rows]


def test_export_piped_into_anomalies_detect_finds_what_the_file_shows(migrated, tmp_path):
    """The round trip as a user runs it: two processes and a pipe; the alarms are those of the same
    series given to the detector as a file."""
    db = tmp_path / "s.duckdb"
    rows = _latency()
    _store(migrated, db, rows)
    original = tmp_path / "latency.csv"
    original.write_text("timestamp,value\n" + "".join(f"{ts.isoformat()},{v}\n" for ts, *_, v in rows))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    lokifi = [sys.executable, "-m", "lokifi_tui.cli.entry"]
    export = subprocess.Popen(
        [*lokifi, "--db", str(db), "db", "export", "api", "response_time_ms"], stdout=subprocess.PIPE, env=env
    )
    detect = subprocess.run(
        [*lokifi, "anomalies", "detect"], stdin=export.stdout, capture_output=True, text=True, env=env, timeout=120
    )
    export.stdout.close()
    assert export.wait(timeout=120) == 0 and detect.returncode == 0, detect.stderr
    direct = subprocess.run(
        [*lokifi, "anomalies", "detect", str(original)], capture_output=True, text=True, env=env, timeout=120
    )
    assert detect.stdout == direct.stdout and len(detect.stdout.split()) >= 2, (detect.stdout, direct.stdout)
    assert detect.stderr == ""  # the exported CSV reads without a note


def test_hourly_means_and_since(migrated, tmp_path):
    db = tmp_path / "s.duckdb"
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [(now - dt.timedelta(minutes=10 * i + 1), "h1", "db", "qps", float(i)) for i in range(36)]  # 6 hours
    store = _store(migrated, db, rows)
    hourly = read_series_csv(_export(db, "db", "qps", "--hourly").stdout)
    means = store.query("SELECT hour, sum / n AS mean FROM metrics_hourly ORDER BY hour")
    assert hourly.values.tolist() == means["mean"].to_list() and len(hourly.values) in (6, 7)
    assert [utc_iso(t) for t in hourly.times] == [f"{h:%Y-%m-%dT%H:00:00Z}" for h in means["hour"]]
    recent = _export(db, "db", "qps", "--since", "1h")  # the rows 1 to 51 minutes old
    assert recent.exit_code == 0, recent.output
    assert read_series_csv(recent.stdout).values.tolist() == [5.0, 4.0, 3.0, 2.0, 1.0, 0.0]


def test_names_are_checked_and_several_hosts_need_a_choice(migrated, tmp_path):
    db = tmp_path / "s.duckdb"
    _store(migrated, db, _latency(50) + _latency(50, host="web-2") + [(T0, "web-1", "api", "cpu_percent", 1.0)])
    r = _export(db, "api", "response_time_ms")
    assert r.exit_code == 2 and "stored from 2 hosts (web-1, web-2): choose one with --host NAME" in r.output
    r = _export(db, "api", "response_time_ms", "--host", "web-2")
    assert r.exit_code == 0 and len(read_series_csv(r.stdout).values) == 50
    r = _export(db, "api", "response_time")
    assert r.exit_code == 3 and "did you mean 'response_time_ms'?" in r.output, r.output
    r = _export(db, "apo", "response_time_ms")
    assert r.exit_code == 3 and "did you mean 'api'?" in r.output, r.output
    r = _export(db, "api", "cpu_percent", "--host", "web-2")
    assert r.exit_code == 3 and "host 'web-2' has no api/cpu_percent rows" in r.output, r.output
    r = _export(db, "api", "cpu_percent", "--since", "1h")  # the one row is from January
    assert r.exit_code == 3 and "has no rows since" in r.output, r.output
    r = _export(db, "api", "cpu_percent", "--since", "soon")
    assert r.exit_code == 2 and "'soon' is not a duration" in r.output, r.output


def test_output_to_a_file(migrated, tmp_path):
    db = tmp_path / "s.duckdb"
    _store(migrated, db, _latency(100))
    out = tmp_path / "api.csv"
    r = _export(db, "api", "response_time_ms", "-o", str(out))
    assert r.exit_code == 0 and "wrote 100 rows of api/response_time_ms on web-1" in r.stdout, r.output
    assert "(2026-01-01T00:00:00Z → 2026-01-01T08:15:00Z)" in r.stdout
    assert len(read_series_csv(out.read_text()).values) == 100
    r = _export(db, "api", "response_time_ms", "-o", str(tmp_path / "no" / "such" / "dir.csv"))
    assert r.exit_code == 3 and "cannot write" in r.output


def test_a_link_planted_at_the_output_name_is_replaced_never_written_through_a_pipe_is_written_to(migrated, tmp_path):
    """Run as root into a directory others can write, `-o /tmp/out.csv` truncated whatever a link planted
    there led to (/etc/shadow) and wrote into a hard-linked or someone else's file."""
    db = tmp_path / "s.duckdb"
    _store(migrated, db, _latency(100))
    victim = tmp_path / "shadow"
    victim.write_text("root:secret\n")
    (tmp_path / "via-link.csv").symlink_to(victim)
    os.link(victim, tmp_path / "via-hard-link.csv")
    for name in ("via-link.csv", "via-hard-link.csv"):
        r = _export(db, "api", "response_time_ms", "-o", str(tmp_path / name))
        assert r.exit_code == 0, r.output
        assert not (tmp_path / name).is_symlink() and len(read_series_csv((tmp_path / name).read_text()).values) == 100
    assert victim.read_text() == "root:secret\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []
    mine = tmp_path / "mine.csv"
    mine.write_text("old\n")
    mine.chmod(0o640)
    assert _export(db, "api", "response_time_ms", "-o", str(mine)).exit_code == 0
    assert stat.S_IMODE(mine.stat().st_mode) == 0o640  # the user's own file keeps its mode
    fifo = tmp_path / "pipe"  # a stream the user made (`-o >(gzip > x.gz)`): written to, not replaced
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    r = _export(db, "api", "response_time_ms", "-o", str(fifo))
    reader.join(10)
    assert r.exit_code == 0, r.output
    assert len(read_series_csv(got[0]).values) == 100 and stat.S_ISFIFO(fifo.stat().st_mode)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2**41),  # microseconds after 2026-01-01: about 25 days, sub-second times included
            st.floats(allow_nan=False, allow_infinity=False),
        ),
        min_size=1,
        max_size=60,
        unique_by=lambda r: r[0],
    )
)
def test_any_stored_value_and_time_reads_back_exactly(migrated, tmp_path_factory, rows):
    """Hostile values (the largest and smallest floats, -0.0, subnormals) and times to the microsecond
    come back from the CSV as they are stored."""
    db = tmp_path_factory.mktemp("export") / "s.duckdb"
    stored = sorted((T0 + dt.timedelta(microseconds=us), "h", "c", "m", v) for us, v in rows)
    _store(migrated, db, stored)
    r = _export(db, "c", "m")
    assert r.exit_code == 0, r.output
    read = read_series_csv(r.stdout)
    epoch_us = [(ts - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1) for ts, *_ in stored]
    assert r.stdout.splitlines()[1:] == [f"{us_iso(u)},{v!r}" for u, (*_, v) in zip(epoch_us, stored, strict=True)]
    assert read.values.tolist() == [v for *_, v in stored]
