"""A listener whose process cannot be seen (another user's: without root, /proc does not say which process
holds a socket) is proposed, and the proposal says that its process and uptime could not be seen, so
`--min-uptime` could not be applied: a real `python3 -m http.server` of this user, and `lokifi config
init --dry-run` run as another user (nobody), as a person without root runs it on a server."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from listen_support import http_server, stable_test_port

from analytics.config.listeners import Listener
from analytics.config.starter import Found

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534
SETPRIV = shutil.which("setpriv")  # (util-linux; Python's subprocess(user=) cannot run this venv's python here)


def _as_nobody(argv: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([SETPRIV, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv], **kw)


@contextlib.contextmanager
def _python_environment_open_to_nobody():
    """The other user must reach this Python's packages and the repository: a virtualenv made under a
    private temporary directory (as CI makes one) is out of its reach. Directories on the way that others
    cannot search are opened for the test (search only, o+x) and closed again."""
    import click

    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO)}
    changed = []
    try:
        for top in (Path(click.__file__).parent, REPO, Path(sys.executable).parent):
            for d in (top, *top.parents):
                st = os.stat(d)
                if not st.st_mode & stat.S_IXOTH:
                    os.chmod(d, stat.S_IMODE(st.st_mode) | stat.S_IXOTH)
                    changed.append((d, stat.S_IMODE(st.st_mode)))
        probe = _as_nobody([sys.executable, "-c", "import click, duckdb, lokifi_tui"], env=env, capture_output=True)
        if probe.returncode != 0:
            pytest.skip(f"the other user cannot run this Python environment: {probe.stderr.decode()[-200:]}")
        yield
    finally:
        for d, mode in reversed(changed):
            os.chmod(d, mode)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="starting a command as another user needs root"
)
def test_another_users_listener_is_proposed_saying_its_uptime_is_unknown():
    with (
        _python_environment_open_to_nobody(),
        tempfile.TemporaryDirectory() as home,
        http_server(stable_test_port()) as (_, port),
    ):
        os.chown(home, NOBODY, NOBODY)  # (the other user's Lokifi home)
        res = _as_nobody(
            [sys.executable, "-m", "lokifi_tui.cli.entry", "--config", f"{home}/c.toml"]
            + ["config", "init", "--dry-run", "--logs", home],
            cwd=home,
            env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "LOKIFI_HOME": home, "NO_COLOR": "1"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert res.returncode == 0, res.stderr
        toml, said = res.stdout, " ".join(res.stderr.split())
        # proposed: its entry and its probe are on, and the entry says why it is proposed unchecked
        entry = re.search(rf'^\[\[components\]\]\nname = "port{port}"\n((?:#.*\n)*)', toml, re.M)
        assert entry, toml
        assert re.search(rf'^  url = "http://127\.0\.0\.1:{port}/"', toml, re.M)
        comment = " ".join(line.removeprefix("# ") for line in entry.group(1).splitlines())
        assert comment.startswith(
            "Its process could not be seen (another user's, or another container's), so its uptime is unknown "
            "and the --min-uptime check (10 min) could not be applied: proposed all the same. Remove this entry "
            "if it is not a lasting service."
        )
        # and the person is told, naming it
        assert re.search(
            r"proposed \d+ listeners? whose process(es)? could not be seen \(another user's, or another "
            r"container's\), so (its uptime is|their uptimes are) unknown and the --min-uptime check \(10 min\) "
            rf"could not be applied: .*?\bport{port} \(127\.0\.0\.1:{port}\)",
            said,
        ), said
        assert f"127.0.0.1:{port} (up" not in said  # (not said to be young: nothing is known of its age)


def test_the_dashboards_first_start_says_it_too():
    from lokifi_tui.first_start import summary

    unseen = Listener("127.0.0.1", 5432, "", None, None)
    lines = summary([Found("postgres", tcp=[("127.0.0.1", 5432)], unseen=[unseen])], None)
    assert lines[0] == "• postgres: 127.0.0.1:5432"
    assert lines[1].startswith("• proposed 1 listener whose process could not be seen (")
    assert lines[1].endswith(
        "so its uptime is unknown and the 10 min uptime check could not be applied: postgres (127.0.0.1:5432). "
        "Remove its entry if it is not a lasting service"
    )
