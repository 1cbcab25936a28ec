"""A running `lokifi collect` (a real process, a real DuckDB file, a real log) flooded with signals: SIGHUP
while it runs, then SIGTERM alone or interleaved with SIGHUP, as GNU `timeout` or an impatient operator
sends them. Each time it exits within seconds, with status 0 and the log lines it had not yet written
stored. (A handler that set a threading.Event itself could deadlock on the Event's lock, held by the
main thread or by the handler the second signal interrupted: the process then never exited. Run against
that handler, 4 of 12 processes hung on a SIGTERM flood and 3 of 12 on SIGHUP and SIGTERM; 1 and 8 more
ended with a RecursionError (handlers nested) or were killed by a signal that came while Python exited.)"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from collect_support import cli, write_config

from analytics.store.database import Store

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

#: Processes started per kind of burst (each gets several floods); a deadlock is a race, so several.
ROUNDS = int(os.environ.get("LOKIFI_TEST_SIGNAL_ROUNDS", "4"))
FLOOD_SECONDS = 0.15


def _config(tmp_path, log) -> os.PathLike[str]:
    # Nothing is written before the stop (60 s between writes): what is stored, the final write stored.
    body = f"""
[collect]
tail_seconds = 0.05
flush_seconds = 60
event_flush_seconds = 60
refresh_seconds = 3600
[[components]]
name = "api"
logs = ["{log}"]
"""
    path, _ = write_config(tmp_path, body)
    return path


def _flood(pid: int, signals: tuple[signal.Signals, ...], seconds: float = FLOOD_SECONDS) -> int:
    """Send ``signals`` in turn, as fast as they go, for ``seconds``; how many were sent."""
    sent = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for sig in signals:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return sent
            sent += 1
    return sent


def _wait_started(proc: subprocess.Popen[bytes], errors) -> None:
    """Until it says it writes (its sources are started)."""
    end = time.monotonic() + 60
    while time.monotonic() < end and proc.poll() is None:
        if "lokifi collect: writing to" in errors.read_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"lokifi collect did not start (status {proc.poll()}):\n{errors.read_text()}")


def _stored(db) -> list[str]:
    return [m for (m,) in Store(db).query("SELECT message FROM error_events ORDER BY message").iter_rows()]


@pytest.mark.alone
@pytest.mark.parametrize("stop_with", [(signal.SIGTERM,), (signal.SIGHUP, signal.SIGTERM)], ids=["term", "hup-term"])
def test_a_flood_of_signals_ends_the_collector_promptly_and_cleanly(tmp_path, stop_with):
    log = tmp_path / "api.log"
    log.write_text("")
    for rnd in range(ROUNDS):
        db = tmp_path / f"l{rnd}.duckdb"
        cfg = _config(tmp_path, log)
        line = f"ERROR api: round {rnd} lost its connection"
        with log.open("a") as fh:  # read (--from-start) as it starts, written only by its final write
            fh.write(line + "\n")
        errors = tmp_path / f"stderr{rnd}.txt"
        with errors.open("wb") as err_fh:
            argv = cli(db, cfg, "--no-hooks", "--from-start")
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err_fh)
        try:
            _wait_started(proc, errors)
            for _ in range(3):  # a reload asked for many times over while it runs: it keeps running
                _flood(proc.pid, (signal.SIGHUP,))
                time.sleep(0.1)
                assert proc.poll() is None, "SIGHUP ended the collector"
            start = time.monotonic()
            sent = _flood(proc.pid, stop_with)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                pytest.fail(f"round {rnd}: lokifi collect still running 15 s after {sent} signals {stop_with}")
            took = time.monotonic() - start
            err = errors.read_text()
            assert proc.returncode == 0, f"round {rnd}: status {proc.returncode}\n{err}"
            assert took < 10, f"round {rnd}: took {took:.1f} s to stop"
            assert "lokifi collect: stopped; " in err, err
            assert line in _stored(db), f"round {rnd}: the pending line was not written\n{err}"
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
