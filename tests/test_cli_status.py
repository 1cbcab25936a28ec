"""`lokifi status`: live host vitals, each component's processes, last probe and errors from the store."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess

from click.testing import CliRunner

from lokifi_tui.cli.main import cli


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_status_reports_a_refused_probe_and_the_live_process(tmp_path):
    exe = tmp_path / "lokifi-web-svc"          # a real process with a name of its own
    shutil.copy(shutil.which("sleep"), exe)
    child = subprocess.Popen([str(exe), "60"])
    try:
        _check_status(tmp_path, exe.name)
    finally:
        child.kill()
        child.wait()


def _check_status(tmp_path, name):
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text(f'[[components]]\nname = "web"\nprocess = "{name}"\n'
                   f'[[components.probes]]\nkind = "tcp"\nhost = "127.0.0.1"\nport = {closed_port()}\n')
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
    assert web["errors_last_hour"] >= 1 and "refused" in web["last_error"].lower()
    human = CliRunner().invoke(cli, [*base, "status"])
    assert human.exit_code == 0 and "refused" in human.output


def test_status_without_config_explains_what_to_do(tmp_path):
    r = CliRunner().invoke(cli, ["--db", str(tmp_path / "x.duckdb"), "status"])
    assert r.exit_code == 0, r.output
    assert "lokifi config init" in r.output


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


def test_cold_read_commands_leave_the_heavy_libraries_unloaded(tmp_path):
    """`status --json`, `recs list --json` and `ai learn --json` answer without polars, pyarrow, numpy or rich
    (about half a second of a cold start between them): the modules they load are checked in a new process."""
    import subprocess
    import sys

    db = tmp_path / "l.duckdb"
    code = (
        "import sys\n"
        "from lokifi_tui.cli.entry import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "heavy = sorted({k.split('.')[0] for k in sys.modules} & {'polars', 'pyarrow', 'numpy', 'rich'})\n"
        "sys.stderr.write('HEAVY:' + ','.join(heavy) + '\\n')\n"
    )
    for args in (["status", "--json"], ["recs", "list", "--json"], ["ai", "learn", "--json"]):
        r = subprocess.run([sys.executable, "-c", code, "--db", str(db), *args], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        assert "HEAVY:\n" in r.stderr, (args, r.stderr)
