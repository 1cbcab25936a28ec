"""Real listeners for the `lokifi config init` tests: a free loopback port below the kernel's ephemeral
range (a port a service is configured with, not one the kernel picks), `python3 -m http.server`
started on one, as a person trying something starts it, and small servers of one program on two ports
(one process; a master and the worker it forked)."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

from analytics.config.listeners import ephemeral_ports


def stable_test_port() -> int:
    """A loopback port free now, from 20000 up to the ephemeral range (neither well known nor random)."""
    top = min(ephemeral_ports()[0], 32768)
    for port in random.sample(range(20000, top), 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port between 20000 and the ephemeral range")


def stable_test_ports(n: int) -> list[int]:
    """``n`` different ports of :func:`stable_test_port`."""
    ports: list[int] = []
    while len(ports) < n:
        port = stable_test_port()
        if port not in ports:
            ports.append(port)
    return ports


@contextlib.contextmanager
def http_server(port: int = 0, cwd: str | os.PathLike[str] | None = None) -> Iterator[tuple[subprocess.Popen, int]]:
    """``python3 -m http.server PORT --bind 127.0.0.1`` (port 0: the kernel picks one), serving ``cwd``,
    until it answers; killed on exit. Yields the process and its port."""
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=cwd,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""  # "Serving HTTP on 127.0.0.1 port N (...) ..."
        port = int(line.split(" port ")[1].split()[0])
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield proc, port
    finally:
        proc.kill()
        proc.wait()


#: one process listening on two ports (a daemon with a second port: admin, metrics)
TWO_PORTS = """
import socket, sys, time
socks = []
for port in sys.argv[1:]:
    s = socket.socket()
    s.bind(("127.0.0.1", int(port)))
    s.listen()
    socks.append(s)
print(*(s.getsockname()[1] for s in socks), flush=True)
time.sleep(120)
"""

#: a master on one port, and a worker it forks (the same program, no new command) on a port of its own;
#: the master waits ``sys.argv[3]`` seconds before forking, so the worker is the younger
FORKED_WORKER = """
import os, socket, sys, time
master = socket.socket()
master.bind(("127.0.0.1", int(sys.argv[1])))
master.listen()
time.sleep(float(sys.argv[3]))
if os.fork() == 0:
    master.close()
    worker = socket.socket()
    worker.bind(("127.0.0.1", int(sys.argv[2])))
    worker.listen()
    print(os.getpid(), flush=True)
    time.sleep(120)
    os._exit(0)
time.sleep(120)
"""


@contextlib.contextmanager
def python_server(code: str, *args: object) -> Iterator[tuple[subprocess.Popen, str]]:
    """``python3 -c CODE ARGS...`` until it prints its first line (its ports, or a pid); the process and
    every process it forked killed on exit. Yields the process and that line."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        yield proc, (proc.stdout.readline() if proc.stdout else "").strip()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.stdout:
            proc.stdout.close()
