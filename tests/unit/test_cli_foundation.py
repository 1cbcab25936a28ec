"""The foundation's commands as a user runs them (a real subprocess where the exit code matters)."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from repo_paths import ROOT

from lokifi_tui.cli.main import cli


def lokifi(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lokifi_tui.cli.main", *args], capture_output=True, text=True, env=env)


def test_locate_honours_db_and_home(tmp_path):
    r = CliRunner().invoke(cli, ["--db", str(tmp_path / "x.duckdb"), "locate", "--json"])
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    assert info["database"] == str(tmp_path / "x.duckdb")
    assert info["spool"].endswith("x.duckdb.spool")
    from analytics.dashboard.snapshot import snapshot_path

    assert info["last_view"] == str(snapshot_path(tmp_path / "x.duckdb"))
    assert info["last_view"].startswith(info["cache_dir"])


@pytest.mark.slow
def test_db_info_json_counts_rows(tmp_path):
    db = tmp_path / "x.duckdb"
    csv = tmp_path / "m.csv"
    csv.write_text("ts,component,metric,value\n2026-01-01T00:00:00,a,m,1\n2026-01-01T00:01:00,a,m,2\n")
    assert lokifi("--db", str(db), "ingest", str(csv)).returncode == 0
    r = lokifi("--db", str(db), "db", "info", "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["row_counts"]["metrics"] == 2 and info["schema_version"] == info["known_version"]
    # the span runs to the newest reading, not to the start of its hour
    assert info["oldest_metric"].startswith("2026-01-01T00:00") and info["newest_metric"].startswith("2026-01-01T00:01")


@pytest.mark.slow
def test_exit_codes_mean_something(tmp_path):
    db = tmp_path / "x.duckdb"
    bad = tmp_path / "bad.csv"
    bad.write_text("ts,component,metric,value\nnope,a,m,1\n")
    r = lokifi("--db", str(db), "ingest", "--strict", str(bad))
    assert r.returncode == 3 and "bad.csv:2" in r.stdout
    r = lokifi("--db", str(db), "ingest", str(tmp_path / "missing.csv"))
    assert r.returncode == 3 and "no such file" in r.stderr
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"garbage" * 1000)
    r = lokifi("--db", str(junk), "db", "info")
    assert r.returncode == 4 and "not a readable Lokifi database" in r.stderr
    assert "Traceback" not in r.stderr
    r = lokifi("no-such-command")
    assert r.returncode == 2


def test_hostile_file_names_print_inert(tmp_path):
    name = tmp_path / "[bold]x\x1b[31m.csv"
    name.write_text("ts,component,metric,value\n2026-01-01T00:00:00,a,m,1\n")
    r = lokifi("--db", str(tmp_path / "x.duckdb"), "ingest", str(name))
    assert r.returncode == 0
    assert "\x1b[31m" not in r.stdout and "[bold]x" in r.stdout


@pytest.mark.slow
def test_demo_build_is_deterministic(tmp_path):
    from analytics.demo.data import build_demo
    from analytics.store.database import Store

    now = dt.datetime(2026, 6, 1, 12)
    a = build_demo(tmp_path / "a" / "demo.duckdb", now, files=False, engines=False)
    b = build_demo(tmp_path / "b" / "demo.duckdb", now, files=False, engines=False)
    q = "SELECT component, metric, count(*), round(sum(value), 3) FROM metrics GROUP BY ALL ORDER BY ALL"
    assert Store(a.path).query(q).equals(Store(b.path).query(q))
    s = Store(a.path)
    comps = set(s.query("SELECT DISTINCT component FROM metrics")["component"].to_list())
    assert {"backend", "frontend", "redis", "postgres", "worker", "nginx"} <= comps
    days = s.scalar("SELECT date_diff('day', min(ts), max(ts)) FROM metrics")
    assert days >= 44
    # the planted stories are in the data
    reg = s.query("""SELECT avg(value) FILTER (WHERE ts > TIMESTAMP '2026-06-01 12:00' - INTERVAL 2 DAY) AS late,
                            avg(value) FILTER (WHERE ts < TIMESTAMP '2026-06-01 12:00' - INTERVAL 25 DAY) AS early
                     FROM metrics WHERE component = 'backend' AND metric = 'response_time_ms'""")
    assert reg["late"][0] - reg["early"][0] > 120
    assert s.scalar("SELECT count(*) FROM error_events WHERE component = 'redis' AND message ILIKE '%refused%'") > 20


@pytest.mark.slow
def test_a_built_demo_keeps_its_first_view(tmp_path, monkeypatch):
    """Even the first `lokifi demo` draws rows in its first frame: the build saves what the dashboard will
    show as the database's last known state, at the file's final signature."""
    from analytics.dashboard import snapshot
    from analytics.demo import engines
    from analytics.demo.data import build_demo
    from analytics.store.file_signature import file_signature

    monkeypatch.setattr(engines, "run_engines", lambda *a, **k: None)  # the data is enough to show
    now = dt.datetime(2026, 6, 1, 12)
    info = build_demo(tmp_path / "demo.duckdb", now, files=False)
    kept = snapshot.load(info.path)
    assert kept is not None
    view, signature = kept
    assert signature == file_signature(info.path) and view.now == now
    assert view.learning is not None and "predictions" in view.panes
    assert snapshot.load(build_demo(tmp_path / "bare.duckdb", now, files=False, engines=False).path) is None


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci
    assert "check_readme.py" in ci


def test_dashboard_without_a_terminal_says_so_instead_of_hanging(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "lokifi_tui.cli.main", "--db", str(tmp_path / "x.duckdb")],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert r.returncode == 5 and "needs a terminal" in r.stderr


@pytest.mark.slow
def test_error_record_on_a_busy_database_is_queued_not_failed(tmp_path):
    """A write the spool accepted is reported as saved (exit 0), never as 'try again' (which would duplicate it)."""
    import os
    import textwrap

    db = tmp_path / "x.duckdb"
    assert lokifi("--db", str(db), "error", "record", "seed row", "-c", "x").returncode == 0
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import duckdb, sys, time
        c = duckdb.connect({str(db)!r}); print('holding', flush=True); time.sleep(6)"""),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "holding"
    env = {**os.environ, "LOKIFI_WRITE_TIMEOUT": "0.5"}
    r = lokifi("--db", str(db), "error", "record", "connection refused while locked", "-c", "api", env=env)
    holder.wait()
    assert r.returncode == 0, r.stderr
    assert "queued" in r.stdout and "do not record it again" in r.stdout
    r = lokifi("--db", str(db), "db", "flush-spool")
    assert "learned 1 error event(s)" in r.stdout, r.stdout + r.stderr  # as the queued message promised
    from analytics.store.database import Store

    s = Store(db)
    assert s.scalar("SELECT count(*) FROM error_events WHERE message = 'connection refused while locked'") == 1
    unlearned = "SELECT count(*) FROM error_events WHERE message LIKE 'connection refused%' AND fingerprint IS NULL"
    assert s.scalar(unlearned) == 0


def test_a_db_path_in_a_directory_that_does_not_exist_is_refused_and_nothing_is_created(tmp_path):
    """`lokifi --db /tmp/x/typo/db.duckdb recs list` created the directories, an 800 KB database and a lock."""
    from click.testing import CliRunner

    from lokifi_tui.cli.main import cli

    typo = tmp_path / "typo" / "deeper" / "db.duckdb"
    for args in (["recs", "list"], ["db", "info"], ["status"]):
        r = CliRunner().invoke(cli, ["--db", str(typo), *args])
        assert r.exit_code == 2 and "does not exist (create it, or check --db)" in r.output, r.output
    assert not (tmp_path / "typo").exists()


def test_sources_alone_takes_json_as_its_status_does(tmp_path):
    """`lokifi sources --json` said "No such option '--json'" although bare `sources` is the status view."""
    import json

    from click.testing import CliRunner

    from lokifi_tui.cli.main import cli

    r = CliRunner().invoke(cli, ["sources", "--json"])  # the test's home: no database yet
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["sources"] == []
