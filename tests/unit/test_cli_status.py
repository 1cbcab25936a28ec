"""`lokifi status`: live host vitals, each component's processes, last probe and errors from the store."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess

import pytest
from click.testing import CliRunner
from loopback_support import closed_port

from lokifi_tui.cli.main import cli


def test_status_reports_a_refused_probe_and_the_live_process(tmp_path):
    exe = tmp_path / "lokifi-web-svc"  # a real process with a name of its own
    shutil.copy(shutil.which("sleep"), exe)
    child = subprocess.Popen([str(exe), "60"])
    try:
        _check_status(tmp_path, exe.name)
    finally:
        child.kill()
        child.wait()


def _check_status(tmp_path, name):
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text(
        f'[[components]]\nname = "web"\nprocess = "{name}"\n'
        f'[[components.probes]]\nkind = "tcp"\nhost = "127.0.0.1"\nport = {closed_port()}\n'
    )
    base = ["--db", str(tmp_path / "x.duckdb"), "--config", str(cfg)]
    r = CliRunner().invoke(cli, [*base, "collect", "--once", "-q", "--no-hooks"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, [*base, "status", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert 0 <= data["host"]["cpu_percent"] <= 100 and data["host"]["disks"]
    web = next(c for c in data["components"] if c["component"] == "web")
    assert web["processes"] == 1
    assert web["probes"][0]["ok"] is False and web["probes"][0]["error_kind"] == "refused"
    assert web["probes"][0]["live"] is True  # no collector runs: the probe ran now
    assert web["errors_last_hour"] >= 1 and "refused" in web["last_error"].lower()
    human = CliRunner().invoke(cli, [*base, "status"])
    assert human.exit_code == 0 and "refused" in human.output
    # at 80 columns a row keeps its figures together: the process's on one line, the probe's outcome first
    narrow = CliRunner().invoke(cli, [*base, "status"], env={"COLUMNS": "80"})
    [row] = [x for x in narrow.output.splitlines() if x.startswith("web ")]
    assert re.search(r"web\s+1 · [\d.]+% CPU · \d+ MB\s+✗ refused, now", row), row


def test_status_without_config_explains_what_to_do(tmp_path):
    r = CliRunner().invoke(cli, ["status"])  # the test's new home
    assert r.exit_code == 0, r.output
    assert "lokifi config init" in r.output


def test_the_cheap_cpu_clock_counts_as_psutil_does():
    """status's first CPU reading is taken from /proc/stat before psutil is imported; its last one too, so
    both ends of the window count alike. The figures are psutil's (seconds, guest in user, iowait idle)."""
    import pytest

    from analytics.sources import cpu_clock

    direct = cpu_clock._proc_stat()
    if direct is None:
        pytest.skip("no /proc/stat here: the clock is psutil's own")
    via_psutil = cpu_clock._psutil_times()
    assert direct[1] == pytest.approx(via_psutil[1], abs=2.0)  # total seconds, read a moment apart
    assert direct[0] == pytest.approx(via_psutil[0], abs=2.0)  # busy seconds
    assert 0 < direct[0] < direct[1]


def test_host_cpu_leaves_out_the_commands_own_start():
    """The first CPU window overlaps opening the store: the command's own CPU seconds are not the host's."""
    import datetime as dt

    from analytics.sources.vitals import VitalsSnapshot
    from lokifi_tui.cli.status import _without_own_cpu

    fields = {f: None for f in VitalsSnapshot.__dataclass_fields__}
    snap = VitalsSnapshot(**{**fields, "ts": dt.datetime(2026, 1, 1), "host": "h", "cpu_percent": 60.0})
    # 2 busy seconds of 4 in the window, 1 of them this process's: the host's others used 25 %
    assert _without_own_cpu(snap, (10.0, 100.0, 1.0), (12.0, 104.0, 2.0)).cpu_percent == 25.0
    assert _without_own_cpu(snap, (10.0, 100.0, 1.0), (10.5, 104.0, 2.0)).cpu_percent == 0.0  # never negative
    assert _without_own_cpu(snap, (10.0, 100.0, 1.0), (10.0, 100.0, 1.0)) is snap  # an empty window: as read


#: what no cold read command needs: the frame libraries and rich (``--json`` prints without it), the
#: dashboard, re2 (only a config with problems is searched for their lines) and platformdirs (--db,
#: --config and LOKIFI_HOME say where everything is)
NOT_NEEDED = {"polars", "pyarrow", "numpy", "rich", "textual", "lokifi_tui.app", "re2", "platformdirs"}
#: and what each one needs least: `recs list` reads stored rows (no rule engine, no live psutil probes),
#: `ai learn` counts stored rows
NOT_NEEDED_BY = {
    ("status", "--json"): NOT_NEEDED,
    ("recs", "list", "--json"): NOT_NEEDED | {"analytics.recommend.engine", "psutil", "socket"},
    ("ai", "learn", "--json"): NOT_NEEDED | {"analytics.recommend.engine", "psutil", "socket"},
}


@pytest.mark.slow
def test_cold_read_commands_leave_unneeded_modules_unloaded(migrated, tmp_path):
    """`status --json`, `recs list --json` and `ai learn --json` answer without the modules in NOT_NEEDED_BY
    (polars, pyarrow, numpy and rich alone were about half a second of a cold start between them): the
    modules they load are checked in a new process, with a valid config file given."""
    import subprocess
    import sys

    db = tmp_path / "l.duckdb"
    migrated(db)  # an empty database (a --db naming none is refused)
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text("[patterns]\nauto_approve_min_samples = 3\n")  # the host is this machine's
    code = (
        "import sys\n"
        "from lokifi_tui.cli.entry import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "sys.stderr.write('LOADED:' + ' '.join(sorted(sys.modules)) + '\\n')\n"
    )
    for args, unneeded in NOT_NEEDED_BY.items():
        r = subprocess.run(
            [sys.executable, "-c", code, "--db", str(db), "--config", str(cfg), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        loaded = set(r.stderr.rpartition("LOADED:")[2].split())
        assert "analytics.store.database" in loaded, r.stderr  # the check sees what the command loaded
        found = {m for m in unneeded if m in loaded or any(k.startswith(m + ".") for k in loaded)}
        assert not found, (args, found)


def test_status_names_the_status_code_and_shows_the_last_error_without_its_header(tmp_path):
    """A probe that met an unexpected status reads `HTTP 503` (not `status`); the last error is shown
    without the log line's time and level, which used most of its 50 characters."""
    import datetime as dt

    from analytics.store.database import Store

    db = tmp_path / "x.duckdb"
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text('[general]\nhost = "h1"\n[[components]]\nname = "shop"\n')
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    store = Store(db)
    store.execute(
        "INSERT INTO probe_results (ts, host, component, probe, kind, target, ok, status_code, elapsed_ms, error_kind)"
        " VALUES (?, 'h1', 'shop', 'health', 'http', 'http://127.0.0.1:8181/health', false, 503, 12.0, 'status')",
        [now],
    )
    store.execute(
        "INSERT INTO error_events (ts, host, component, message, level) VALUES (?, 'h1', 'shop', ?, 'ERROR')",
        [now, "2026-12-05 00:31:53,249 ERROR shop: unhandled error in /cart for order 85811"],
    )
    r = CliRunner().invoke(cli, ["--db", str(db), "--config", str(cfg), "status"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "HTTP 503" in r.output and " status," not in r.output
    assert "unhandled error in /cart" in r.output and "00:31:53,249" not in r.output
    # no probe configured here to run now: the stored result, marked as such for scripts
    r = CliRunner().invoke(cli, ["--db", str(db), "--config", str(cfg), "status", "--json"])
    [shop] = json.loads(r.output)["components"]
    assert [(p["status_code"], p["live"]) for p in shop["probes"]] == [(503, False)]


def test_without_a_collector_the_probes_run_now(tmp_path):
    """A stored probe result can be days old when no collector runs: `status` then runs this machine's
    probes itself and shows what they meet now (a listening socket, a closed port), without storing them."""
    import datetime as dt

    from analytics.store.database import Store

    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    db = tmp_path / "x.duckdb"
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text(
        '[general]\nhost = "h1"\n'
        '[[components]]\nname = "up"\n[[components.probes]]\nkind = "tcp"\nhost = "127.0.0.1"\n'
        f"port = {listening.getsockname()[1]}\n"
        '[[components]]\nname = "gone"\n[[components.probes]]\nkind = "tcp"\nhost = "127.0.0.1"\n'
        f"port = {closed_port()}\n"
    )
    store = Store(db)
    three_days = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=3)
    store.execute(
        "INSERT INTO probe_results (ts, host, component, probe, kind, target, ok, elapsed_ms)"
        " VALUES (?, 'h1', 'gone', 'old', 'tcp', '127.0.0.1:1', true, 1.0)",
        [three_days],
    )
    try:
        base = ["--db", str(db), "--config", str(cfg)]
        r = CliRunner().invoke(cli, [*base, "status", "--json"])
        assert r.exit_code == 0, r.output
        comps = {c["component"]: c["probes"] for c in json.loads(r.output)["components"]}
        assert [(p["ok"], p["live"]) for p in comps["up"]] == [(True, True)]
        assert [(p["ok"], p["error_kind"], p["live"]) for p in comps["gone"]] == [(False, "refused", True)]
        human = CliRunner().invoke(cli, [*base, "status"], env={"COLUMNS": "200"})
        assert human.exit_code == 0, human.output
        assert "refused, now" in human.output and "ran now (not stored)" in human.output
        assert "3d ago" not in human.output
    finally:
        listening.close()
    assert Store(db).query("SELECT count(*) AS n FROM probe_results")["n"][0] == 1  # nothing stored


@pytest.mark.alone
def test_a_probe_that_never_answers_is_shown_unanswered_in_bounded_time(tmp_path, monkeypatch):
    """A probe bounds its connect and read by its timeout, not a name lookup: `status` waits as long as
    the collector does (twice the timeout and a second) and shows the probe unanswered."""
    import threading
    import time

    from analytics.sources import probes

    release = threading.Event()

    def stuck(spec, now):  # a resolver that does not answer
        release.wait(60)
        return spec.result(now, True, 1.0)

    monkeypatch.setattr(probes, "run_probe", stuck)
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text(
        '[[components]]\nname = "far"\n[[components.probes]]\nkind = "tcp"\nhost = "db.example.invalid"\n'
        "port = 5432\ntimeout = 0.5\n"
    )
    started = time.monotonic()
    try:
        r = CliRunner().invoke(cli, ["--config", str(cfg), "status", "--json"])  # the test's new home
    finally:
        release.set()
    assert r.exit_code == 0, r.output
    assert time.monotonic() - started < 10
    [p] = next(c for c in json.loads(r.output)["components"] if c["component"] == "far")["probes"]
    assert (p["ok"], p["error_kind"], p["message"]) == (False, "timeout", "no answer within 2 s")
