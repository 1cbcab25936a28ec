"""The bell for a new HIGH prediction rings at most once, whatever moment the process is killed at: the
notice is recorded before the bell rings. Recorded after it, a collector SIGKILLed between the two rang it
again at its next run (and one whose record failed, at every run). Here a real process is SIGKILLed just
before and just after the bell reaches a real terminal (a pseudo-terminal whose other end the test
reads), then a second one runs as the next collector would."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap

import pytest

from analytics.store.database import Store

pytestmark = pytest.mark.slow  # a Python process per run

# one notify, SIGKILLed (as by the OOM killer) just before or just after it rings the bell on argv[3]
_KILLED = textwrap.dedent(
    """
    import os, signal, sys
    from analytics.alerts import deliver as d
    from analytics.config.settings import load_config
    from analytics.store.database import Store

    real, when = d._ring, sys.argv[4]

    def ring_and_die(*args):
        if when == "before the bell":
            os.kill(os.getpid(), signal.SIGKILL)
        real(*args)
        if when == "after the bell":
            os.kill(os.getpid(), signal.SIGKILL)

    d._ring = ring_and_die
    print(d.notify(Store(sys.argv[1]), load_config(sys.argv[2]), tty=sys.argv[3]))
    """
)


def _bells(master: int) -> int:
    """The bells the terminal received since last asked."""
    got = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except BlockingIOError:
            return got.count(b"\a")
        got += chunk


@pytest.mark.parametrize("when", ["before the bell", "after the bell", "never"])
def test_a_notice_killed_around_its_bell_rings_at_most_once(tmp_path, when):
    store = Store(tmp_path / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    pid = store.scalar(
        "INSERT INTO predictions (prediction_type, component, host, severity, message, evidence, prediction_date, "
        "due_at) VALUES ('slow_response', 'api', 'web-1', 'HIGH', 'api slow', '{}', ?, ?) RETURNING id",
        [now - dt.timedelta(minutes=5), now + dt.timedelta(hours=6)],
    )
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text("[notify]\nbell = true\ntmux = false\n")
    master, slave = os.openpty()
    os.set_blocking(master, False)
    env = {k: v for k, v in os.environ.items() if k != "TMUX"}
    try:
        args = [str(store.path), str(cfg), os.ttyname(slave)]
        first = subprocess.run([sys.executable, "-c", _KILLED, *args, when], capture_output=True, text=True, env=env)
        if when == "never":
            assert (first.returncode, first.stdout) == (0, "1\n"), first.stderr
        else:
            assert first.returncode == -9, first.stderr  # killed where it was told, not failed before
        rung = _bells(master)
        assert rung == (0 if when == "before the bell" else 1)
        again = subprocess.run([sys.executable, "-c", _KILLED, *args, "never"], capture_output=True, text=True, env=env)
        assert again.returncode == 0, again.stderr
        assert rung + _bells(master) <= 1  # never twice
        assert again.stdout == "0\n"  # the next run: nothing new, the notice was recorded before the bell
        assert store.query("SELECT prediction_id FROM prediction_notices").rows() == [(pid,)]
    finally:
        os.close(master)
        os.close(slave)
