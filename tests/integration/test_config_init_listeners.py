"""`lokifi config init` proposes probes only for listeners that will still be there: a real
`python3 -m http.server` up for seconds, on a port of its own or on one the kernel picked, is left out,
said so, and written commented out (uncommented, it is a valid probe); with `--min-uptime 0`, or once it
has run for the minimum, the one on its own port is proposed."""

from __future__ import annotations

import re
import time

import psutil
import pytest
from click.testing import CliRunner
from listen_support import http_server, stable_test_port

from analytics.config import starter as config_init
from analytics.config.listeners import RANDOM_PORT, YOUNG, ephemeral_ports, listening
from analytics.config.settings import load_config
from lokifi_tui.cli.main import cli


def probed(toml: str, port: int) -> str:
    """How the proposal holds a probe of the port: 'on', 'commented out', or '' (not at all)."""
    url = re.escape(f'url = "http://127.0.0.1:{port}/"')
    if re.search(rf"^ *{url}", toml, re.M):
        return "on"
    return "commented out" if re.search(rf"^# *{url}", toml, re.M) else ""


def _init(tmp_path, *args):
    return CliRunner().invoke(
        cli, ["--config", str(tmp_path / "c.toml"), "config", "init", "--logs", str(tmp_path), *args]
    )


@pytest.mark.slow  # measured: 1.7 s (two servers, three discoveries of this machine)
def test_short_lived_servers_are_skipped_said_and_commented_out(tmp_path):
    with http_server(stable_test_port()) as (_, port), http_server(0) as (_, random_port):
        lo, hi = ephemeral_ports()
        assert lo <= random_port <= hi
        by_port = {x.port: x for x in listening()}
        assert by_port[port].skipped == YOUNG and by_port[port].uptime < 60
        assert by_port[random_port].skipped == RANDOM_PORT

        res = _init(tmp_path, "--dry-run")
        assert res.exit_code == 0, res.output
        toml, said = res.stdout, " ".join(res.stderr.split())
        # no probe for either: each is commented out, with why
        assert probed(toml, port) == probed(toml, random_port) == "commented out"
        assert re.search(rf'# name = "python[\d.]*-{port}" +# python[\d.]* on 127\.0\.0\.1:{port}: up \d', toml)
        assert re.search(rf"skipped \d+ listeners? up for less than 10 min .*127\.0\.0\.1:{port} \(up \d", said)
        assert "skipped" in said and f"picks at random ({lo}-{hi}; another one at each start)" in said
        assert f"127.0.0.1:{random_port}" in said
        assert "`lokifi config init --dry-run --min-uptime 0`" in said

        # adding one by hand, as the file says: remove the "# " before its lines
        block = re.search(rf'(# \[\[components\]\]\n# name = "python[\d.]*-{port}".*?)\n\n', toml, re.S).group(1)
        own = "\n".join(line.removeprefix("# ").removeprefix("#") for line in block.splitlines())
        cfg_path = tmp_path / "by-hand.toml"
        cfg_path.write_text(toml.replace(block, own))
        cfg = load_config(cfg_path)
        assert not cfg.problems and not cfg.issues
        assert [p.url for c in cfg.components for p in c.probes if str(port) in (p.url or "")] == [
            f"http://127.0.0.1:{port}/"
        ]

        # --min-uptime 0: the one on its own port is proposed, the random port still is not
        res = _init(tmp_path, "--dry-run", "--min-uptime", "0")
        assert probed(res.stdout, port) == "on" and probed(res.stdout, random_port) == "commented out"
        assert "up for less than" not in res.stderr

        # written: the same said on stdout, and the file checks clean
        res = _init(tmp_path)
        assert res.exit_code == 0 and "skipped" in res.stdout and "--force --min-uptime 0" in res.stdout
        assert CliRunner().invoke(cli, ["--config", str(tmp_path / "c.toml"), "config", "check"]).exit_code == 0


@pytest.mark.slow  # measured: 1.1 s (it waits for the server to be up for a second)
def test_a_listener_up_for_the_minimum_is_proposed(tmp_path):
    with http_server(stable_test_port()) as (proc, port):
        time.sleep(max(0.0, 1.2 - (time.time() - psutil.Process(proc.pid).create_time())))
        assert {x.port: x.skipped for x in listening(min_uptime=1.0)}[port] == ""
        found = [f for f in config_init.detect(min_uptime=1.0) if f"http://127.0.0.1:{port}/" in f.http]
        assert len(found) == 1 and not found[0].skipped and not found[0].left_out


def test_the_age_is_the_oldest_process_holding_the_socket():
    """A master that has run for days and the worker it restarted a second ago: the service is old."""
    from analytics.config.listeners import _uptime

    with http_server(stable_test_port()) as (proc, _):
        now = time.time()
        young = now - psutil.Process(proc.pid).create_time()
        oldest = now - psutil.Process(1).create_time()
        assert _uptime({proc.pid}, now) == young
        assert _uptime({1, proc.pid}, now) == oldest >= young
        assert _uptime(set(), now) is None


def test_the_option_and_the_rule_say_the_same_minimum():
    from analytics.common.durations import parse_seconds
    from analytics.config.listeners import MIN_UPTIME

    res = CliRunner().invoke(cli, ["config", "init", "--help"])
    assert "[default: 10m]" in " ".join(res.output.split()) and parse_seconds("10m") == MIN_UPTIME
    bad = CliRunner().invoke(cli, ["config", "init", "--dry-run", "--min-uptime", "soon"])
    assert bad.exit_code == 2 and "not a duration" in bad.output


def test_the_dashboards_first_start_names_what_it_left_out():
    from analytics.config.listeners import Listener
    from analytics.config.starter import Found
    from lokifi_tui.first_start import summary

    young = Listener("127.0.0.1", 8765, "python3", 42, 12.0, YOUNG)
    lines = summary(
        [Found("nginx", http=["http://127.0.0.1:80/"]), Found("python3", left_out=[(young, "")], skipped=True)], None
    )
    assert lines[0] == "• nginx: http://127.0.0.1:80/" and not any(line.startswith("• python3") for line in lines)
    assert "skipped 1 listener up for less than 10 min" in lines[1]
    assert "python3 on 127.0.0.1:8765 (up 12 s)" in lines[1]
    assert lines[1].endswith("(written commented out)")


def test_lokifi_itself_is_no_service_to_propose(tmp_path):
    """A running `lokifi collect --metrics-listen` is Lokifi's own /metrics and its log the collector's own
    output: `config init` proposed it as a component named lokifi, tailing that log."""
    import subprocess
    import sys

    port = stable_test_port()
    argv = [sys.executable, "-m", "lokifi_tui.cli.main", "--db", str(tmp_path / "l.duckdb"), "collect"]
    proc = subprocess.Popen(
        [*argv, "--metrics-listen", f"127.0.0.1:{port}", "--duration", "60", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 30
        while time.time() < deadline and not any(
            c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
            for c in psutil.net_connections(kind="inet")
        ):
            time.sleep(0.2)
        assert psutil.pid_exists(proc.pid)
        assert port not in {x.port for x in listening(min_uptime=0)}
        res = _init(tmp_path, "--dry-run", "--min-uptime", "0")
        assert res.exit_code == 0 and f":{port}" not in res.stdout, res.stdout
    finally:
        proc.terminate()
        proc.wait(20)
