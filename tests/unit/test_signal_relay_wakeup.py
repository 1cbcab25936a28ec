"""The signal relay shares the process's one wakeup fd with an asyncio loop that has signal handlers (as
the dashboard's or any library's loop may): set before the relay, the loop keeps getting its signals
and has its wakeup fd back when the relay is done; set after it, the relay's signals still reach their
actions. Each case runs in a process of its own (real signals, a real asyncio loop, the real relay)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

COMMON = """
import asyncio, os, signal, threading
from analytics.common.signal_relay import ignore_signals, relay_signals

stop, reload = threading.Event(), threading.Event()
reloads = []
loop = asyncio.new_event_loop()
heard = []

def loop_has_its_signal_handler():
    loop.add_signal_handler(signal.SIGUSR1, heard.append, "usr1")

def relay():
    relay_signals({signal.SIGTERM: stop.set, signal.SIGHUP: lambda: (reloads.append(1), reload.set())})

def the_loop_hears_sigusr1():
    os.kill(os.getpid(), signal.SIGUSR1)
    loop.run_until_complete(asyncio.sleep(0.3))
    print("loop heard SIGUSR1:", heard == ["usr1"])

def the_relay_acts():
    os.kill(os.getpid(), signal.SIGHUP)
    os.kill(os.getpid(), signal.SIGTERM)
    print("relay acted:", stop.wait(5) and reload.wait(5))
"""

LOOP_FIRST = """
loop_has_its_signal_handler()
theirs = signal.set_wakeup_fd(-1); signal.set_wakeup_fd(theirs)
relay()
the_relay_acts()
the_loop_hears_sigusr1()
import time; time.sleep(1.2)  # the relay's thread has looked at the handler's notes since
print("SIGHUP acted on:", len(reloads), "time(s)")  # by its byte, not again by its handler's note
ignore_signals([signal.SIGTERM, signal.SIGHUP])
print("wakeup fd given back:", signal.set_wakeup_fd(-1) == theirs != -1)
"""

RELAY_FIRST = """
relay()
loop_has_its_signal_handler()  # takes the wakeup fd
the_loop_hears_sigusr1()
the_relay_acts()
loop.close()  # removes its handlers: no wakeup fd at all now
stop.clear(); reload.clear()
the_relay_acts()
"""


def run(script: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", COMMON + script], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX signals")
def test_a_loop_that_set_the_wakeup_fd_first_keeps_its_signals_and_gets_it_back():
    assert run(LOOP_FIRST) == [
        "relay acted: True",
        "loop heard SIGUSR1: True",
        "SIGHUP acted on: 1 time(s)",
        "wakeup fd given back: True",
    ]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX signals")
def test_a_loop_that_takes_the_wakeup_fd_later_does_not_take_the_relays_signals():
    assert run(RELAY_FIRST) == ["loop heard SIGUSR1: True", "relay acted: True", "relay acted: True"]
