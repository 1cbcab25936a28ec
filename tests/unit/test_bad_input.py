"""Hostile input as a user feeds it, through the real command line: each case ends with a clear message
(file:line where it applies), a documented exit code, bounded memory and time, and nothing stored lost.

Memory is the child's peak resident set (``os.wait4``); the budget for any input is 300 MB."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bench.bench_input import run_measured

pytestmark = pytest.mark.slow  # measured: 50 s in all

BUDGET_KB = 300 * 1024


def run(
    *args: str, input: bytes | None = None, timeout: float = 120, env: dict | None = None
) -> tuple[int, str, str, int, float]:
    """(exit code, stdout, stderr, peak RSS in kB, seconds) of one real ``lokifi`` process."""
    return run_measured(*args, input=input, timeout=timeout, env=env)


def clean(code: int, err: str, allowed=(0, 3)) -> None:
    assert "Traceback" not in err, err
    assert code in allowed, (code, err)


@pytest.fixture
def db(tmp_path) -> str:
    return str(tmp_path / "t.duckdb")


def _empty_store(migrated, db: str) -> None:
    """An empty database at ``db``, for the read commands (they refuse a --db that names none)."""
    migrated(Path(db))


def _metrics(path: Path, extra: str = "") -> Path:
    path.write_text(
        "timestamp,component,metric,value\n2026-01-01T00:00:00Z,api,cpu,1\n"
        + extra
        + "2026-01-01T00:00:02Z,api,cpu,3\n"
    )
    return path


# -- 5. memory ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mb", [1, 10])
def test_a_row_of_commas_is_one_bad_row_in_bounded_memory(tmp_path, db, mb):
    f = _metrics(tmp_path / "wide.csv", "," * (mb << 20) + "\n")
    code, out, err, rss, _ = run("--db", db, "ingest", str(f))
    clean(code, err)
    assert rss < BUDGET_KB, rss
    assert "wide.csv:3" in out and ("more than 10,000 fields" in out or "longer than 1 MB" in out), out
    assert "2 metrics rows" in out


def test_a_long_field_and_a_file_without_line_ends_are_refused_by_row(tmp_path, db):
    f = _metrics(tmp_path / "long.csv", "2026-01-01T00:00:01Z,api,cpu," + "9" * (3 << 20) + "\n")
    code, out, err, rss, _ = run("--db", db, "ingest", str(f))
    clean(code, err)
    assert "long.csv:3 (row): longer than 1 MB" in out and rss < BUDGET_KB
    z = tmp_path / "zeros.csv"
    z.write_bytes(b"\0" * (20 << 20))
    code, out, err, rss, _ = run("--db", db, "ingest", str(z))
    clean(code, err, (3,))
    assert "zeros.csv:1" in err and rss < BUDGET_KB


def test_dev_zero_is_refused_everywhere(db):
    for args in (
        ["ingest", "/dev/zero"],
        ["patterns", "scan", "/dev/zero"],
        ["forecast", "series", "--horizon", "2", "--input", "/dev/zero"],
        ["anomalies", "detect", "/dev/zero"],
    ):
        code, out, err, rss, secs = run("--db", db, *args, timeout=60)
        clean(code, err, (3,))
        assert "/dev/zero" in err and "not a regular file" in err and rss < BUDGET_KB and secs < 30, (args, err)


def test_dev_zero_on_stdin_is_bounded(db):
    # /dev/zero never ends: 200 MB of it through a pipe
    code, out, err, rss, _ = run("patterns", "group", input=b"\0" * (200 << 20), timeout=120)
    clean(code, err, (0,))
    assert out.count("\n") == 1 and rss < BUDGET_KB, rss
    code, out, err, rss, _ = run("forecast", "series", "--horizon", "2", input=b"\0" * (64 << 20))
    clean(code, err, (3,))
    assert "more than 8.0 MB" in err and "tail -n" in err and rss < BUDGET_KB


def test_a_huge_one_line_config_never_stops_a_command(migrated, tmp_path, db):
    _empty_store(migrated, db)
    cfg = tmp_path / "big.toml"
    cfg.write_text('x = "' + "a" * (10 << 20) + '"\n')
    code, out, err, rss, _ = run("--db", db, "--config", str(cfg), "config", "check")
    clean(code, err, (0, 3))
    assert "larger than a config can be" in out + err and rss < BUDGET_KB
    code, out, err, rss, _ = run("--db", db, "--config", str(cfg), "status")
    clean(code, err, (0,))
    cfg.write_text('[general]\nx = "' + "a" * (100 << 10) + '"\nrefresh_seconds = 7\n')
    code, out, err, _, _ = run("--db", db, "--config", str(cfg), "config", "check")
    assert f"{cfg}:2" in out and "longer than 64 KB" in out, out


def test_patterns_scan_of_a_big_log_stays_in_budget(tmp_path):
    log = tmp_path / "big.log"
    line = b"2026-01-01 00:00:00,000 ERROR [worker-7] db.pool: connection to 10.0.3.4:5432 failed after 1234ms\n"
    with open(log, "wb") as f:
        for _ in range(40):
            f.write(line * ((1 << 20) // len(line)))
    code, out, err, rss, _ = run("patterns", "scan", str(log), "--json")
    clean(code, err, (0,))
    assert json.loads(out)["patterns"][0]["count"] == 40 * ((1 << 20) // len(line)) and rss < BUDGET_KB


# -- 6. tracebacks ---------------------------------------------------------------------------------------


def test_deeply_nested_jsonl_is_one_bad_row(tmp_path, db):
    f = tmp_path / "deep.jsonl"
    ok = '{"ts":"2026-01-01T00:00:0%dZ","component":"a","message":"x %d failed"}\n'
    f.write_text(
        ok % (0, 0)
        + "[" * 1000
        + "\n"
        + '{"ts":"2026-01-01T00:00:01Z","component":"a","message":"m","k":'
        + "[" * 1000
        + "]" * 1000
        + "}\n"
        + ok % (2, 2)
    )
    code, out, err, _, _ = run("--db", db, "ingest", str(f))
    clean(code, err, (0,))
    assert "deep.jsonl:2" in out and "deep.jsonl:3" in out and "2 events rows" in out, out


def test_deeply_nested_config_never_stops_a_command(migrated, tmp_path, db):
    _empty_store(migrated, db)
    for i, body in enumerate(
        [
            "[general]\nx = " + "[" * 5000 + "]" * 5000,
            "[general]\nx = " + "{a=" * 3000 + "1" + "}" * 3000,
            "[general]\nx = [\n" + "[" * 3000 + "\n" + "]" * 3001,
        ]
    ):
        cfg = tmp_path / f"deep{i}.toml"
        cfg.write_text(body + "\n")
        for args in (["config", "check"], ["config", "show"], ["status"], ["db", "info"]):
            code, out, err, _, _ = run("--db", db, "--config", str(cfg), *args)
            clean(code, err, (0, 3))
            assert "RecursionError" not in err


def test_gzip_csv_is_read_and_a_cut_gzip_refused(tmp_path, db):
    f = tmp_path / "m.csv.gz"
    with gzip.open(f, "wt") as g:
        g.write("timestamp,component,metric,value\n")
        for i in range(5000):
            g.write(f"2026-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z,api,cpu,{i}\n")
    code, out, err, _, _ = run("--db", db, "ingest", str(f))
    clean(code, err, (0,))
    assert "3,600 metrics rows" in out or "5,000 metrics rows" in out, out
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    code, out, err, _, _ = run("--db", db, "ingest", str(cut))
    clean(code, err, (3,))
    assert "cut.csv.gz" in err and "gzip" in err
    pq = tmp_path / "x.parquet.gz"
    pq.write_bytes(gzip.compress(b"PAR1"))
    code, out, err, _, _ = run("--db", db, "ingest", str(pq))
    clean(code, err, (3,))
    assert "gunzip" in err


@pytest.mark.parametrize("command", [("anomalies", "detect"), ("forecast", "series", "--horizon", "3")])
def test_a_compressed_series_is_read_and_a_cut_one_refused_with_a_message(tmp_path, db, command):
    """stdin compressed (``< series.csv.gz``) is read; one cut short said "aborted" with exit 130 (the
    decompressor's EOFError taken for the end of input) and is now a bad input, exit 3, saying what."""
    rows = "timestamp,value\n" + "".join(
        f"2026-01-{1 + i // 288:02d}T{i // 12 % 24:02d}:{i % 12 * 5:02d}:00Z,{10 + i % 7}\n" for i in range(3000)
    )
    data = gzip.compress(rows.encode())
    code, out, err, _, _ = run("--db", db, *command, input=data)
    clean(code, err, (0,))
    if command[0] == "forecast":
        assert len(out.splitlines()) == 3
    code, out, err, _, _ = run("--db", db, *command, input=data[: len(data) // 2])
    clean(code, err, (3,))
    assert "<stdin>: compressed content is damaged or cut short" in err and "aborted" not in err + out


@pytest.mark.parametrize("opt", ["--step", "--level"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_forecast_non_finite_options_are_usage_errors(opt, value):
    code, out, err, _, _ = run(
        "forecast", "series", "--horizon", "2", opt, value, input=b"timestamp,value\n1,1\n2,2\n3,3\n"
    )
    clean(code, err, (2,))
    assert "not a finite number" in err or "not in the range" in err


def test_non_utf8_arguments(tmp_path, db):
    bad = os.fsdecode(b"comp\xff\xfe")
    for args in (
        ["error", "record", "boom failed", "--component", bad],
        ["error", "record", os.fsdecode(b"m \xff failed"), "--component", "ok"],
        ["fix", "suggest", os.fsdecode(b"\xff\xfe")],
        ["patterns", "list", "--json"],
        ["db", "info"],
    ):
        code, out, err, _, _ = run("--db", db, *args)
        clean(code, err, (0,))


def test_out_of_range_timestamps_are_refused_and_db_info_survives_old_rows(tmp_path, db):
    f = tmp_path / "y0.csv"
    f.write_text(
        "timestamp,component,metric,value\n0000-01-01T00:00:00Z,a,m,1\n9999-12-31T23:59:59Z,a,m,2\n"
        "2026-01-01T00:00:00Z,a,m,3\n"
    )
    code, out, err, _, _ = run("--db", db, "ingest", str(f))
    clean(code, err, (0,))
    assert "y0.csv:2 ts: outside the years 1970-2199" in out and "y0.csv:3 ts: outside the years" in out
    assert "1 metrics rows" in out
    # a row stored by an older Lokifi, before the check
    from analytics.store.database import Store

    Store(db).execute(
        "INSERT INTO metrics_hourly (hour, host, component, metric, n, sum, sumsq, min, max) "
        "VALUES ('0001-01-01 00:00:00'::TIMESTAMP, 'h', 'a', 'm', 1, 1, 1, 1, 1)"
    )
    for args in (["db", "info"], ["db", "info", "--json"]):
        code, out, err, _, _ = run("--db", db, *args)
        clean(code, err, (0,))
        assert "2026-01-01" in out


# -- 7. hangs and slow paths -----------------------------------------------------------------------------


@pytest.mark.alone
@pytest.mark.parametrize("digits", [40_000, 300_000])
def test_patterns_scan_is_linear_on_digit_runs(tmp_path, digits):
    f = tmp_path / "digits.log"
    f.write_text("2024-01-01 00:00:00 ERROR " + "1" * digits + "\n" + "1" * digits + "\n" + "7" * digits + " x\n")
    code, out, err, _, secs = run("patterns", "scan", str(f), timeout=60)
    clean(code, err, (0,))
    assert secs < 10, secs


@pytest.mark.alone
def test_a_big_config_with_bad_lines_is_checked_fast(tmp_path, db):
    lines = ["[general]"] + [f"bad line {i} = = =" if i % 600 == 0 else f"k{i} = {i}" for i in range(60_000)]
    cfg = tmp_path / "slow.toml"
    cfg.write_text("\n".join(lines) + "\n")
    assert 800_000 < cfg.stat().st_size < 1 << 20
    code, out, err, _, secs = run("--config", str(cfg), "config", "check", timeout=60)
    clean(code, err, (3,))
    assert f"{cfg}:2:" in out and secs < 8, secs
    data = json.loads(run("--config", str(cfg), "config", "check", "--json")[1])
    assert sum(1 for i in data["issues"] if i["severity"] == "error") == 100


def test_a_pipe_is_read_once(tmp_path, db):
    f = _metrics(tmp_path / "m.csv")
    r = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m lokifi_tui.cli.main --db "{db}" ingest <(cat "{f}")'],
        capture_output=True,
        text=True,
        timeout=120,
    )
    clean(r.returncode, r.stderr, (0,))
    assert "2 metrics rows" in r.stdout, r.stdout + r.stderr
    r = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m lokifi_tui.cli.main patterns scan <(cat "{f}") --json'],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0 and json.loads(r.stdout)["lines"] == 3


def test_a_fifo_nobody_writes_is_refused_not_waited_on_forever(tmp_path, db):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for args in (["ingest", str(fifo)], ["patterns", "scan", str(fifo)], ["anomalies", "detect", str(fifo)]):
        code, out, err, _, secs = run("--db", db, *args, env={"LOKIFI_PIPE_WAIT": "1"}, timeout=60)
        clean(code, err, (3,))
        assert "nothing was written to this pipe" in err and secs < 30, (args, err)
    # a FIFO that is written to is read once
    f = _metrics(tmp_path / "m.csv")
    writer = threading.Thread(target=lambda: fifo.write_bytes(f.read_bytes()))
    writer.start()
    code, out, err, _, _ = run("--db", db, "ingest", str(fifo), "--format", "csv")
    writer.join()
    clean(code, err, (0,))
    assert "2 metrics rows" in out


def test_stdin_redirected_from_a_device_is_refused_and_dev_null_is_empty(db):
    for args in (["patterns", "group"], ["patterns", "scan", "-"], ["forecast", "series", "--horizon", "2"]):
        with open("/dev/zero", "rb") as zero:
            r = subprocess.run(
                [sys.executable, "-m", "lokifi_tui.cli.main", *args],
                stdin=zero,
                capture_output=True,
                text=True,
                timeout=60,
            )
        clean(r.returncode, r.stderr, (3,))
        assert "a device" in r.stderr, (args, r.stderr)
    with open(os.devnull, "rb") as null:
        r = subprocess.run(
            [sys.executable, "-m", "lokifi_tui.cli.main", "patterns", "group"],
            stdin=null,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert r.returncode == 0 and r.stdout == ""


@pytest.mark.alone
def test_config_lines_of_spaces_are_located_in_linear_time(tmp_path):
    cfg = tmp_path / "spaces.toml"
    cfg.write_text("[a" + " " * 60_000 + ".b]\nx" + " " * 60_000 + "= 1\n[general]\nrefresh_seconds = 5\n")
    code, out, err, _, secs = run("--config", str(cfg), "config", "check", timeout=60)
    clean(code, err, (0, 3))
    assert secs < 8, secs
