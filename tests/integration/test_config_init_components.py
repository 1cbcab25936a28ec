"""`lokifi config init` proposes one component per service (:mod:`analytics.config.listeners` decides
which listeners are one, from the processes), each named the same whether it is proposed or left out
and no two alike: real `python3 -m http.server` processes and small servers of one program on two ports.
Other programs (other Pythons too) may be listening on the machine running the tests: only the tests' own
ports are looked at."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from listen_support import TWO_PORTS, http_server, python_server, stable_test_ports

from analytics.config import starter as config_init
from analytics.config.listeners import RANDOM_PORT, ephemeral_ports
from analytics.config.settings import load_config
from lokifi_tui.cli.main import cli


def _init(tmp_path, *args):
    res = CliRunner().invoke(
        cli, ["--config", str(tmp_path / "c.toml"), "config", "init", "--logs", str(tmp_path / "logs"), *args]
    )
    assert res.exit_code == 0, res.output
    return res


def entries(toml: str) -> dict[str, tuple[str, list[int | str]]]:
    """Each [[components]] entry of the file by name: 'on' or 'commented out', and the ports its probes
    (HTTP or TCP: a loaded machine may answer HTTP late) reach, each as ``'PORT (commented out)'`` when only
    its probe is commented out."""
    out = {}
    toml = toml.split("# Fleet sources")[0]
    for block in re.split(r"\n(?=(?:# )?\[\[components\]\])", toml):
        m = re.match(r'(# )?\[\[components\]\]\n(?:# )?name = "([^"]+)"', block)
        if m:
            probes = re.findall(r'^(# )?#? *(?:url = "http://[^"]+:(\d+)/"|port = (\d+))', block, re.M)
            out[m.group(2)] = (
                "commented out" if m.group(1) else "on",
                [
                    f"{url_port or port} (commented out)" if commented and not m.group(1) else int(url_port or port)
                    for commented, url_port, port in probes
                ],
            )
    return out


def _ports(f: config_init.Found) -> list[int]:
    return [int(u.rsplit(":", 1)[1].rstrip("/")) for u in f.http] + [p for _, p in f.tcp]


def test_two_servers_started_apart_are_two_components_named_alike_either_way(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "docs").mkdir()
    one, other = sorted(stable_test_ports(2))
    with http_server(one, cwd=tmp_path / "site"), http_server(other, cwd=tmp_path / "docs"):
        young = entries(_init(tmp_path, "--dry-run").stdout)
        res = _init(tmp_path, "--dry-run", "--min-uptime", "0")
        proposed = entries(res.stdout)
        ours = {name: e for name, e in proposed.items() if e[1] and e[1][0] in (one, other)}
        # two components, each with its own probe, named after the program and its port
        assert sorted(ours.values()) == [("on", [one]), ("on", [other])]
        names = {e[1][0]: name for name, e in ours.items()}
        assert re.fullmatch(rf"python[\d.]*-{one}", names[one]) and re.fullmatch(rf"python[\d.]*-{other}", names[other])
        # up for seconds, they are left out under the same names
        assert {name: young[name] for name in ours} == {name: ("commented out", e[1]) for name, e in ours.items()}
        # one program: each entry finds its own process by its command line, and says the other runs it too
        for name in ours:
            other_name = next(x for x in ours if x != name)
            line = re.search(rf'name = "{name}".*\n((?:cmdline|process) = .*)', res.stdout).group(1)
            assert line.startswith(f'cmdline = "http.server {ours[name][1][0]}"        # its own part'), line
            assert re.search(rf"command line: (\S+, )*(\S+ and )?\b{other_name}\b.* runs? python\S* too$", line), line

        written = _init(tmp_path, "--min-uptime", "0")
        for name in ours:
            assert re.search(rf"^  {re.escape(name)}: (http://)?127\.0\.0\.1:\d+/?$", written.stdout, re.M)
        cfg = load_config(tmp_path / "c.toml")
        assert not cfg.problems and not cfg.issues
        assert len({c.name for c in cfg.components}) == len(cfg.components)  # no two alike


@pytest.mark.slow  # measured: 1.1 s (two proposals; its ports do not speak HTTP, each asked once)
def test_one_process_on_two_ports_is_one_component_either_way(tmp_path):
    with python_server(TWO_PORTS, *stable_test_ports(2)) as (_, line):
        a, b = sorted(int(x) for x in line.split())  # (the probes come in port order)
        young = entries(_init(tmp_path, "--dry-run").stdout)
        proposed = entries(_init(tmp_path, "--dry-run", "--min-uptime", "0").stdout)
        [name] = [name for name, e in proposed.items() if a in e[1]]
        assert proposed[name] == ("on", [a, b])
        assert young[name] == ("commented out", [a, b])


def test_a_port_the_kernel_picked_is_left_out_of_its_services_entry(tmp_path):
    (stable,) = stable_test_ports(1)
    with python_server(TWO_PORTS, stable, 0) as (_, line):
        a, random_port = (int(x) for x in line.split())
        lo, hi = ephemeral_ports()
        assert lo <= random_port <= hi
        found = config_init.detect(min_uptime=0)
        [f] = [f for f in found if a in _ports(f)]
        assert not f.skipped and [(x.port, x.skipped) for x, _ in f.left_out] == [(random_port, RANDOM_PORT)]
        text = config_init.render(found)
        assert entries(text)[f.name] == ("on", [a, f"{random_port} (commented out)"])
        assert re.search(
            rf"^#   \[\[components\.probes\]\] +# left out, \S+ on 127\.0\.0\.1:{random_port}: a port", text, re.M
        )
        (tmp_path / "c.toml").write_text(text)
        assert not load_config(tmp_path / "c.toml").issues


def test_a_young_service_found_another_way_is_one_entry_its_probe_commented_out(tmp_path):
    """A service just restarted, with a log directory of its name: one entry, with its logs and its
    probe commented out (not a second entry of the same name); with --min-uptime 0 the probe is on."""
    (port,) = stable_test_ports(1)
    with http_server(port):
        [name] = [f.name for f in config_init.detect(min_uptime=0) if port in _ports(f)]
        (tmp_path / "logs" / name).mkdir(parents=True)
        (tmp_path / "logs" / name / "app.log").write_text("started\n")
        young = entries(_init(tmp_path, "--dry-run").stdout)
        proposed = entries(_init(tmp_path, "--dry-run", "--min-uptime", "0").stdout)
        assert young[name] == ("on", [f"{port} (commented out)"]) and proposed[name] == ("on", [port])
