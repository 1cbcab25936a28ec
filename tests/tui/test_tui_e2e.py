"""End to end: `lokifi demo` in a real tmux pane, driven with send-keys and read with capture-pane.

Uses its own tmux server socket (never the user's) and its own LOKIFI_HOME. Skips, saying why, only
when tmux is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"),
    pytest.mark.slow,
]  # measured: 68 s in all


def lokifi_command() -> str:
    exe = shutil.which("lokifi")
    if exe:
        return exe
    return f"{sys.executable} -m lokifi_tui.cli.main"


class Tmux:
    def __init__(self, socket: str, home: Path, width: int, height: int) -> None:
        self.socket = socket
        self.home = home
        self.width, self.height = width, height

    def run(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=check)
        return out.stdout

    def start(self, command: str) -> None:
        # the pane gets tmux's own TERM; sizes come from the pane, not from COLUMNS/LINES of this process
        names = {k for k in os.environ if k.startswith("LOKIFI_")} | {"COLUMNS", "LINES", "NO_COLOR"}
        unset = [arg for k in sorted(names) for arg in ("-u", k)]
        self.run(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            "env",
            *unset,
            f"LOKIFI_HOME={self.home}",
            "sh",
            "-c",
            f"{command}; echo LOKIFI-EXITED $?; sleep 30",
        )

    def size(self) -> str:
        return self.run("display", "-p", "-t", "e2e", "#{window_width}x#{window_height}", check=False).strip()

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "e2e", check=False)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "e2e", *keys)

    def wait_gone(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        screen = self.screen()
        while text in screen and time.monotonic() < deadline:
            time.sleep(0.2)
            screen = self.screen()
        assert text not in screen, f"{text!r} still on screen after {timeout}s:\n{screen}"
        return screen

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            if "LOKIFI-EXITED" in screen or "Traceback" in screen:
                break
            time.sleep(0.2)
        raise AssertionError(f"{text!r} did not appear within {timeout}s; the {self.size()} pane shows:\n{screen}")

    def socket_path(self) -> Path:
        """Where ``tmux -L`` puts the server's socket: a dead server leaves it behind."""
        return Path(os.environ.get("TMUX_TMPDIR") or "/tmp", f"tmux-{os.getuid()}", self.socket)

    def kill(self) -> None:
        self.run("kill-server", check=False)
        self.socket_path().unlink(missing_ok=True)


@pytest.fixture
def tmux(tmp_path):
    sessions = []

    def make(width: int, height: int) -> Tmux:
        t = Tmux(f"lokifi-e2e-{os.getpid()}-{uuid.uuid4().hex[:8]}", tmp_path / "home", width, height)
        sessions.append(t)
        return t

    yield make
    for t in sessions:
        t.kill()


@pytest.mark.parametrize(("width", "height"), [(120, 40), (80, 24)])
def test_lokifi_demo_in_tmux_triage_and_quit(tmux, tmp_path, width, height, monkeypatch):
    # One retry, in a fresh tmux server and home: on a loaded machine (a full suite run beside other jobs)
    # the pane has occasionally stopped answering keys for a minute. Both attempts failing fails the test.
    t1 = tmux(width, height)
    try:
        _drive(t1, width, height, monkeypatch)
    except AssertionError as first:
        t1.kill()
        t = Tmux(f"lokifi-e2e-{os.getpid()}-{uuid.uuid4().hex[:8]}", tmp_path / "home-retry", width, height)
        try:
            _drive(t, width, height, monkeypatch)
        except AssertionError as second:
            raise AssertionError(f"failed twice.\nfirst attempt: {first}\nsecond attempt: {second}") from None
        finally:
            t.kill()


def _drive(t: Tmux, width: int, height: int, monkeypatch) -> None:
    t.start(f"{lokifi_command()} demo")
    assert t.size() == f"{width}x{height}"
    # the demo database is built first (tens of seconds on a busy machine), then the dashboard opens
    screen = t.wait_for("CPU", timeout=240)
    screen = t.wait_for("Patterns", timeout=60)
    assert "Traceback" not in screen
    if width < 110:
        assert "Recommendations" in screen and "Error patterns" in screen  # the tab strip
    # to the recommendation queue, dismiss the first one; the queue shrinks and a message confirms it
    t.keys("Tab")
    t.keys("Tab")
    screen = t.wait_for("Recommendations", timeout=60)
    t.keys("d")
    screen = t.wait_for("Dismissed", timeout=60)
    # undo it
    t.keys("u")
    t.wait_for("Undone", timeout=60)
    # help is built from the bindings
    t.keys("?")
    screen = t.wait_for("Keys", timeout=60)
    assert "Dismiss the selected recommendation" in screen
    # `?` closes it again (a lone ESC byte through tmux is ambiguous with an escape sequence and has
    # been seen not to arrive as a key in CI; `escape` itself is covered by the Pilot tests)
    t.keys("?")
    t.wait_gone("─ Keys ─", timeout=60)
    t.keys("q")
    screen = t.wait_for("LOKIFI-EXITED 0", timeout=60)
    assert "Traceback" not in screen
    # the dismissal and its undo were written to the demo's database
    from analytics.config.paths import demo_db_path
    from analytics.store.database import Store

    monkeypatch.setenv("LOKIFI_HOME", str(t.home))
    events = (
        Store(demo_db_path())
        .query("SELECT action FROM recommendation_events WHERE source = 'tui' ORDER BY id")["action"]
        .to_list()
    )
    assert events == ["dismissed", "undone"]
