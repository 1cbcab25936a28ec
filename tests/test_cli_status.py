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
