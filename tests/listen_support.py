"""Real listeners for the `lokifi config init` tests: a free loopback port below the kernel's ephemeral
range (a port a service is configured with, not one the kernel picks), and `python3 -m http.server`
started on one, as a person trying something starts it."""

from __future__ import annotations

import contextlib
import random
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


@contextlib.contextmanager
def http_server(port: int = 0) -> Iterator[tuple[subprocess.Popen, int]]:
    """``python3 -m http.server PORT --bind 127.0.0.1`` (port 0: the kernel picks one), until it answers;
    killed on exit. Yields the process and its port."""
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
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
