"""Backfill from the logs a host already holds: a planted /var/log with 8 days of nginx access logs
(current, .1, .2.gz .. .7.gz) and an error log; `config init --logs DIR` finds them, `backfill` imports
them once, live tailing goes on exactly where backfill stopped, and the engines see the history."""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import json
import lzma
import os

import pytest
from click.testing import CliRunner
from collect_support import backfill_one_log
from hypothesis import given, settings, strategies as st
from planted_host import error_line, plant

from analytics.collect.backfill import backfill
from analytics.collect.backfill_plan import rotations
from analytics.config.settings import load_config
from analytics.sources.access_log import access_minutes, looks_like_access_log
from analytics.store.database import Store
from lokifi_tui.cli.main import cli

pytestmark = pytest.mark.slow  # measured: 21 s in all


def shift_rotations(d, name, keep=7):
    """Move name.1 .. name.(keep-1).gz one step older, compressing .1 into .2.gz, as logrotate does."""
    for k in range(keep, 1, -1):
        src = d / (f"{name}.{k - 1}.gz" if k > 2 else f"{name}.1")
        if not src.exists():
            continue
        if k == 2:
            with open(src, "rb") as a, gzip.open(d / f"{name}.2.gz", "wb") as b:
                b.write(a.read())
            src.unlink()
        else:
            os.replace(src, d / f"{name}.{k}.gz")


def run(*args, db, check=True):
    r = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
    if check:
        assert r.exit_code == 0, r.output
    return r


def counts(db):
    s = Store(db)
    return (
        s.scalar("SELECT count(*) FROM metrics"),
        s.scalar("SELECT count(*) FROM error_events"),
        s.scalar("SELECT coalesce(sum(value), 0) FROM metrics WHERE metric = 'requests_per_min'"),
    )


@pytest.fixture
def host(tmp_path):
    facts = plant(tmp_path / "log")
    return tmp_path, facts


def test_init_finds_the_logs_and_backfill_imports_them_once(host, _isolated_home):
    tmp, facts = host
    db = tmp / "l.duckdb"
    r = run("config", "init", "--logs", str(tmp / "log"), "--no-detect", db=db)
    assert "nginx" in r.output
    cfg_text = (_isolated_home / "config" / "lokifi.toml").read_text()
    assert str(facts["dir"] / "access.log") in cfg_text and str(facts["dir"] / "error.log") in cfg_text
    assert ".gz" not in cfg_text  # the current files; rotations are backfill's to find

    r = run("backfill", "--json", db=db)
    out = json.loads(r.output)
    read = [f for f in out["files"] if f["kind"] != "skipped"]
    assert {os.path.basename(f["path"]) for f in read} >= {
        "access.log",
        "access.log.1",
        "access.log.2.gz",
        "error.log",
        "error.log.6.gz",
    }
    first = counts(db)
    # every request of the last 7 days counted once: requests_per_min sums to the lines in the window
    cutoff = facts["now"] - dt.timedelta(days=7)
    assert first[2] == pytest.approx(facts["access_lines"] * 7 / 8, rel=0.01)
    assert first[1] == 140  # 5 errors every 6 h, inside the window
    again = json.loads(run("backfill", "--json", db=db).output)
    assert again["metric_rows"] == 0 and again["events"] == 0
    assert counts(db) == first
    assert all(f["kind"] == "skipped" or f["lines"] == 0 for f in again["files"])

    pats = json.loads(run("patterns", "list", "--json", db=db).output)
    pats = pats if isinstance(pats, list) else pats["patterns"]
    assert len(pats) == 1 and pats[0]["occurrence_count"] == 140
    last = dt.datetime.fromisoformat(pats[0]["last_seen"])
    first_seen = dt.datetime.fromisoformat(pats[0]["first_seen"])
    assert abs((last - facts["last_error"]).total_seconds()) < 1
    assert first_seen >= cutoff and (first_seen - cutoff) < dt.timedelta(hours=7)

    fc = json.loads(run("ai", "forecast", "--json", db=db).output)
    assert "nginx" in json.dumps(fc)
    pr = json.loads(run("ai", "predict", "--json", db=db).output)
    kinds = {
        (p.get("component"), p.get("prediction_type") or p.get("type"))
        for p in (pr if isinstance(pr, list) else pr.get("predictions", []))
    }
    assert any(c == "nginx" for c, _ in kinds), kinds  # the planted 3-hour slowdown and the recurring errors


def test_a_larger_days_reads_the_older_part_of_files_already_read(host, _isolated_home):
    """A first backfill of 2.5 days, then 5, then everything: the store holds what one backfill of
    everything gives (every request and error once, the minutes at each cutoff whole), and a run after
    that reads nothing."""
    tmp, _facts = host
    a, b = tmp / "a.duckdb", tmp / "b.duckdb"
    run("config", "init", "--logs", str(tmp / "log"), "--no-detect", db=a)
    first = json.loads(run("backfill", "--days", "2.5", "--no-engines", "--json", db=a).output)
    assert first["metric_rows"] and first["events"]
    wider = json.loads(run("backfill", "--days", "5", "--no-engines", "--json", db=a).output)
    assert wider["metric_rows"] and wider["events"]
    assert any("the rest was read before" in f["note"] for f in wider["files"])  # the file the cutoff fell in
    run("backfill", "--days", "0", "--no-engines", db=a)
    run("backfill", "--days", "0", "--no-engines", db=b)
    assert counts(a) == counts(b)
    minutes = "SELECT ts, value FROM metrics WHERE metric = 'requests_per_min' ORDER BY ts"
    assert Store(a).query(minutes).equals(Store(b).query(minutes))
    again = json.loads(run("backfill", "--days", "0", "--no-engines", "--json", db=a).output)
    assert again["metric_rows"] == 0 and again["events"] == 0


def test_live_tailing_goes_on_where_backfill_stopped(host, _isolated_home):
    from analytics.collect.loop import collect_once

    tmp, facts = host
    db = tmp / "l.duckdb"
    run("config", "init", "--logs", str(tmp / "log"), "--no-detect", db=db)
    run("backfill", "--no-engines", db=db)
    base = counts(db)[1]
    err = facts["dir"] / "error.log"
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    import random

    rng = random.Random(1)
    with open(err, "a") as f:
        for i in range(3):
            f.write(error_line(now - dt.timedelta(seconds=30 - i), 1000 + i, rng) + "\n")
    cfg = load_config(_isolated_home / "config" / "lokifi.toml")
    collect_once(Store(db), cfg)
    assert counts(db)[1] == base + 3
    # rotation: the tailed file becomes .1 and grows no more; a new file starts
    with open(err, "a") as f:
        f.write(error_line(now - dt.timedelta(seconds=10), 2000, rng) + "\n")
    os.replace(err, err.with_name("error.log.1.tmp"))
    shift_rotations(facts["dir"], "error.log")
    os.replace(err.with_name("error.log.1.tmp"), facts["dir"] / "error.log.1")
    err.write_text(error_line(now - dt.timedelta(seconds=5), 3000, rng) + "\n")
    collect_once(Store(db), cfg)
    assert counts(db)[1] == base + 5
    out = json.loads(run("backfill", "--json", "--no-engines", db=db).output)
    assert out["events"] == 0, out  # .1 was the tail's, .2.gz is the old .1 read before
    read = {os.path.basename(f["path"]): f["lines"] for f in out["files"] if f["kind"] != "skipped"}
    assert read.get("error.log", 0) == 0, out  # the new file is the tail's from its first byte
    assert counts(db)[1] == base + 5


def test_copytruncate_window(host, _isolated_home):
    """logrotate's copytruncate: the tail notices the truncation and reads the new content from 0; the
    copy (error.log.1) is the content the tail followed, so backfill reads neither again."""
    import random
    import shutil

    from analytics.collect.loop import collect_once

    tmp, facts = host
    db = tmp / "l.duckdb"
    run("config", "init", "--logs", str(tmp / "log"), "--no-detect", db=db)
    run("backfill", "--no-engines", db=db)
    cfg = load_config(_isolated_home / "config" / "lokifi.toml")
    collect_once(Store(db), cfg)
    base = counts(db)[1]
    err = facts["dir"] / "error.log"
    rng = random.Random(5)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    with open(err, "a") as f:  # written, not yet read by the tail
        f.write(error_line(now - dt.timedelta(seconds=20), 5000, rng) + "\n")
    shift_rotations(facts["dir"], "error.log")
    shutil.copyfile(err, facts["dir"] / "error.log.1")
    with open(err, "r+") as f:
        f.truncate(0)
    with open(err, "a") as f:
        f.write(error_line(now - dt.timedelta(seconds=5), 5001, rng) + "\n")
    collect_once(Store(db), cfg)
    assert counts(db)[1] == base + 2  # the line before the truncation (from the copy) and the new one
    out = json.loads(run("backfill", "--json", "--no-engines", db=db).output)
    assert out["lines"] == 0 and out["events"] == 0, out
    assert counts(db)[1] == base + 2


def test_compressed_kinds_and_a_corrupt_file(tmp_path, _isolated_home):
    d = tmp_path / "log" / "app"
    d.mkdir(parents=True)
    import random

    rng = random.Random(3)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    lines = [error_line(now - dt.timedelta(hours=h), h, rng) for h in range(1, 7)]
    (d / "app.log").write_text(lines[0] + "\n")
    (d / "app.log.1").write_text(lines[1] + "\n")
    with bz2.open(d / "app.log.2.bz2", "wt") as f:
        f.write(lines[2] + "\n")
    with lzma.open(d / "app.log.3.xz", "wt") as f:
        f.write(lines[3] + "\n")
    import zstandard

    (d / "app.log.5.zst").write_bytes(zstandard.ZstdCompressor().compress((lines[5] + "\n").encode()))
    (d / "app.log.4.gz").write_bytes(gzip.compress((lines[4] + "\n").encode())[:20])  # cut short
    assert [p.name for p in rotations(d / "app.log")] == [
        "app.log.5.zst",
        "app.log.4.gz",
        "app.log.3.xz",
        "app.log.2.bz2",
        "app.log.1",
    ]
    db = tmp_path / "l.duckdb"
    run("config", "init", "--logs", str(tmp_path / "log"), "--no-detect", db=db)
    r = run("backfill", db=db, check=False)
    assert r.exit_code == 3
    assert "app.log.4.gz" in r.output  # says which file, and imports the others
    assert counts(db)[1] == 5


def test_interrupted_backfill_resumes_without_duplicates(host, _isolated_home):
    tmp, _ = host
    run("config", "init", "--logs", str(tmp / "log"), "--no-detect", db=tmp / "once.duckdb")
    cfg = load_config(_isolated_home / "config" / "lokifi.toml")
    # one clock for the three runs: the 7-day window is counted back from `now`, and a run a few seconds
    # later than another would rightly leave out a request that has since fallen out of it
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    once = Store(tmp / "once.duckdb")
    backfill(once, cfg, now=now)
    twice = Store(tmp / "twice.duckdb")
    calls = {"n": 0}

    class Stop(Exception):
        pass

    def stop_after_some(done, total, path):
        calls["n"] += 1
        if "access.log.3.gz" in path:
            raise Stop

    with pytest.raises(Stop):
        backfill(twice, cfg, progress=stop_after_some, now=now)
    backfill(twice, cfg, now=now)
    assert counts(tmp / "twice.duckdb") == counts(tmp / "once.duckdb")


def test_access_log_detection():
    good = ['1.2.3.4 - - [01/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 12 "-" "curl/8" 0.012'] * 5
    assert looks_like_access_log(good)
    assert not looks_like_access_log(["2026-12-01 10:00:00 ERROR boom"] * 5)
    df = access_minutes(good + ['1.2.3.4 - - [01/Dec/2026:10:00:59 +0100] "GET / HTTP/1.1" 503 1 "-" "x"'], None)
    assert sorted(df["n"].to_list()) == [1, 5]
    assert df.filter(df["n"] == 1)["rt_n"].to_list() == [0]  # no request time written: none invented


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=200), max_size=30))
def test_access_parser_takes_any_text(lines):
    df = access_minutes(lines, None)
    assert df.height <= len(lines)


def test_live_tail_turns_an_access_log_into_minutes(tmp_path):
    """Live tailing reads an access log as per-minute metrics: a minute is written once a line stamped two
    minutes after its start is read (a request stamped with its start may still be written until then),
    and the checkpoint stays at the first line of the minutes still held."""
    import random

    from planted_host import access_line

    from analytics.sources.tail import LogSpec, TailSource

    rng = random.Random(2)
    log = tmp_path / "access.log"
    t0 = dt.datetime(2026, 12, 1, 10, 0, 5)
    log.write_text("".join(access_line(t0 + dt.timedelta(seconds=i), 200, 0.1, rng) + "\n" for i in range(3)))
    src = TailSource([LogSpec("web", str(log))], "h", from_start=True)
    src.start({})
    now = dt.datetime(2026, 12, 1, 10, 5)
    (b,) = src.poll(now)
    assert b.metrics == [] and b.events == []  # the minute 10:00 is still held
    assert json.loads(b.checkpoints[str(log)])["cur"]["offset"] == 0

    def append(seconds: float, status: int, rt: float) -> None:
        with open(log, "a") as f:
            f.write(access_line(t0 + dt.timedelta(seconds=seconds), status, rt, rng) + "\n")

    first_of_next = len(log.read_bytes())
    append(60, 502, 0.3)  # 10:01:05: 10:00 may still grow
    (b,) = src.poll(now)
    assert b.metrics == [] and json.loads(b.checkpoints[str(log)])["cur"]["offset"] == 0
    append(120, 200, 0.2)  # 10:02:05: 10:00 is settled, 10:01 and 10:02 are held
    (b,) = src.poll(now)
    got = {r["metric"]: r["value"] for r in b.metrics}
    assert {r["ts"] for r in b.metrics} == {dt.datetime(2026, 12, 1, 10, 0)}
    assert got["requests_per_min"] == 3 and got["error_rate"] == 0 and got["response_time_ms"] == pytest.approx(100)
    assert json.loads(b.checkpoints[str(log)])["cur"]["offset"] == first_of_next
    (b,) = src.poll(now, final=True)  # stopping at 10:05: both held minutes are settled by then
    by_minute: dict = {}
    for r in b.metrics:
        by_minute.setdefault(r["ts"].minute, {})[r["metric"]] = r["value"]
    assert by_minute == {
        1: {"requests_per_min": 1, "error_rate": 1.0, "response_time_ms": pytest.approx(300)},
        2: {"requests_per_min": 1, "error_rate": 0.0, "response_time_ms": pytest.approx(200)},
    }
    assert json.loads(b.checkpoints[str(log)])["cur"]["offset"] == len(log.read_bytes())


def test_error_lines_left_out_are_counted_and_said(tmp_path, _isolated_home):
    """apt's term.log: sessions headed 'Log started: 2026-05-09  07:28:46' (two spaces), error lines with no
    time of their own. The header's time now counts; error lines before the --days cutoff, or before any
    time, are counted and said rather than silently dropped."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    old, recent = now - dt.timedelta(days=30), now - dt.timedelta(hours=2)
    log = tmp_path / "term.log"
    log.write_text(
        "start-stop-daemon: unable to stat /usr/libexec/a (No such file or directory)\n"  # no time yet
        f"Log started: {old:%Y-%m-%d  %H:%M:%S}\n"
        "start-stop-daemon: unable to stat /usr/libexec/b (No such file or directory)\n"
        f"Log ended: {old:%Y-%m-%d  %H:%M:%S}\n"
        f"Log started: {recent:%Y-%m-%d  %H:%M:%S}\n"
        "start-stop-daemon: unable to stat /usr/libexec/c (No such file or directory)\n"
        f"Log ended: {recent:%Y-%m-%d  %H:%M:%S}\n"
    )
    f, cfg = backfill_one_log(tmp_path, "apt", log)
    assert (f["events"], f["older"], f["untimed"]) == (1, 1, 1)
    assert dt.datetime.fromisoformat(f["first"]) == recent.replace(microsecond=0)
    human = CliRunner().invoke(  # a new database: the file is read again, and said in words
        cli, ["--db", str(tmp_path / "m.duckdb"), "--config", str(cfg), "backfill", "--no-engines"]
    )
    # the line wraps at the terminal's width (COLUMNS when set), where depends on the path's length
    said = " ".join(human.output.split())
    assert "1 older than 7 days (`lokifi backfill --days 0` reads them)" in said, human.output
    assert "1 with no time written before them" in said, human.output


def test_access_log_requests_left_out_are_counted_and_said(tmp_path, _isolated_home):
    """An access log whose requests are all older than --days said "0 metric rows" and nothing more; the
    requests left out are counted, and a run that reads nothing keeps the file's kind."""
    import random

    from planted_host import access_line

    rng = random.Random(3)
    old = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) - dt.timedelta(days=30)
    log = tmp_path / "access.log"
    log.write_text("".join(access_line(old + dt.timedelta(seconds=10 * k), 200, 0.05, rng) + "\n" for k in range(30)))
    f, cfg = backfill_one_log(tmp_path, "web", log)
    times = [old + dt.timedelta(seconds=10 * k) for k in range(30)]
    last_minute = times[-1].replace(second=0)  # the tail's (backfill hands the file over there)
    assert (f["kind"], f["metric_rows"], f["older"]) == ("access", 0, sum(t < last_minute for t in times))
    again = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "l.duckdb"), "--config", str(cfg), "backfill", "--no-engines", "--json"]
    )
    (g,) = json.loads(again.output)["files"]
    assert g["kind"] == "access" and g["lines"] == 0
