"""`lokifi config init` gives a component whose process name other processes here have the part of its
command line that is its own, so its uptime, CPU and restarts are its own process's: real
`python3 -m http.server` processes on two loopback ports and a `python3` that only sleeps, then the vitals
`lokifi status` reads, with the written file."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import subprocess
import sys
import time
from collections.abc import Iterator

from click.testing import CliRunner
from hypothesis import given, settings, strategies as st
from listen_support import http_server, stable_test_ports

from analytics.config import starter
from analytics.config.listeners import listening
from analytics.config.selectors import own_part, specific
from analytics.config.settings import load_config
from analytics.sources.vitals import vitals_from_config
from lokifi_tui.cli.main import cli


@contextlib.contextmanager
def running(*argv: str) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen([sys.executable, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def _init(tmp_path) -> str:
    (tmp_path / "logs").mkdir(exist_ok=True)
    logs = ["--logs", str(tmp_path / "logs")]
    res = CliRunner().invoke(cli, ["--config", str(tmp_path / "c.toml"), "config", "init", "--min-uptime", "0", *logs])
    assert res.exit_code == 0, res.output
    return (tmp_path / "c.toml").read_text()


def _own_pids(cfg, names: list[str]) -> dict[str, tuple[int, ...]]:
    """The processes the vitals source (what `lokifi status` and the collector read) finds for each name."""
    vitals = vitals_from_config(cfg)
    vitals.prime()
    vitals.poll(dt.datetime.now(dt.UTC).replace(tzinfo=None))
    return {name: vitals.latest.component(name).pids for name in names}


def test_two_servers_of_one_program_and_a_namesake_each_watched_as_its_own_process(tmp_path):
    one, other = sorted(stable_test_ports(2))
    with (
        http_server(one) as (first, _),
        http_server(other) as (second, _),
        running("-c", "import time; time.sleep(120)") as sleeper,
    ):
        text = _init(tmp_path)
        cfg = load_config(tmp_path / "c.toml")
        assert not cfg.issues, cfg.issues
        ours = {c.name: c for c in cfg.components if any(f":{p}/" in pr.url for pr in c.probes for p in (one, other))}
        by_port = {p: next(n for n, c in ours.items() if f":{p}/" in c.probes[0].url) for p in (one, other)}
        for port in (one, other):
            c = ours[by_port[port]]
            assert (c.process, c.cmdline) == ("", f"http.server {port}")
            said = rf'^cmdline = "http.server {port}" +# its own part of its command line: .*python\S* too$'
            assert re.search(said, text, re.M)
        pids = _own_pids(cfg, list(ours))
        assert pids == {by_port[one]: (first.pid,), by_port[other]: (second.pid,)}
        assert sleeper.pid not in {p for ps in pids.values() for p in ps}


SERVER = """
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
time.sleep(120)
"""


def test_a_password_on_the_command_line_is_never_proposed(tmp_path):
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    one, other = sorted(stable_test_ports(2))
    with (
        running(str(script), str(one), "--db-password=hunter2A") as first,
        running(str(script), str(other), "--db-password=hunter2B"),
    ):
        deadline = time.monotonic() + 20
        while not {one, other} <= {x.port for x in listening(0)}:
            assert time.monotonic() < deadline, "the servers did not listen"
            time.sleep(0.1)
        text = _init(tmp_path)
        assert "hunter2" not in text
        cfg = load_config(tmp_path / "c.toml")
        [c] = [c for c in cfg.components if any(p.port == one for p in c.probes)]
        assert c.cmdline == f"{script} {one}"  # the password alone would tell them apart: never proposed
        assert _own_pids(cfg, [c.name]) == {c.name: (first.pid,)}


def test_a_name_no_other_process_has_stays_the_selector():
    f = starter.Found("db", process="pgserver", tcp=[("127.0.0.1", 6000)])
    assert 'process = "pgserver"        # process name' in starter.render([f], host="h")
    f = starter.Found("web", process="python3", tcp=[("127.0.0.1", 6000)], namesakes=2)
    assert 'process = "python3"        # 2 other processes run it too: tell them apart with cmdline' in starter.render(
        [f], host="h"
    )


_WORD = st.text(alphabet="ab1=-/.:", min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(argv=st.lists(_WORD, min_size=1, max_size=6), others=st.lists(st.lists(_WORD, max_size=6), max_size=4))
def test_the_part_proposed_is_its_own_and_found_whenever_there_is_one(argv, others):
    texts = [" ".join(o) for o in others]
    redacted = " ".join(w for w in argv if "==" not in w)  # a word with '==' stands for a password
    found = own_part(tuple(argv), texts, redacted)

    def fits(words: list[str]) -> bool:
        text = " ".join(words)
        return specific(tuple(words)) and text in redacted and not any(text in o for o in texts)

    runs = [argv[i:j] for i in range(len(argv)) for j in range(i + 1, len(argv) + 1)]
    if found:
        assert any(fits(r) and " ".join(r) == found for r in runs)
    else:
        assert not any(fits(r) for r in runs)


def test_a_plain_word_alone_is_not_specific_enough():
    """`collect` would match any command holding the word: the run grows to the words around it."""
    argv = ("/usr/bin/python3", "/opt/venv/bin/lokifi", "collect", "--metrics-listen", "127.0.0.1:19464")
    others = ["/usr/bin/python3 /opt/venv/bin/lokifi", "bash"]
    assert own_part(argv, others, " ".join(argv)) == "/opt/venv/bin/lokifi collect"
    assert not specific(("collect",)) and not specific(("--verbose",)) and not specific(("8765",))
    assert specific(("app.py",)) and specific(("--port=8001",)) and specific(("http.server", "8765"))
