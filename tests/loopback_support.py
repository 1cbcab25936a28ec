"""Helpers shared by the loopback servers of the tests: a free port, a port where connections are
refused, a GET that returns the status of an error too, a bounded wait, starting a server process and
waiting until it is ready, stopping a child process, a quiet threaded HTTP server and a self-signed
certificate for 127.0.0.1. Every server binds 127.0.0.1 only."""

from __future__ import annotations

import http.server
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STARTUP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_HELD: list[socket.socket] = []


def closed_port() -> int:
    """A loopback port where a connection is refused, and stays refused while this process runs: a socket
    is bound to it but never listens (the kernel answers a connection with a reset) and is kept open, so
    no other process can bind the port meanwhile and the kernel hands it to no outgoing connection either
    (a port found free and closed again could be taken by a server another test starts)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    _HELD.append(s)
    return s.getsockname()[1]


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_until(pred, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if pred():
                return
        except (OSError, ValueError) as exc:
            last = exc
        time.sleep(interval)
    raise TimeoutError(f"{what} not within {timeout:g}s" + (f" (last error: {last})" if last else ""))


def start_server(cmd: Sequence[str], log_path: Path, ready_url: str, name: str) -> subprocess.Popen:
    """Start ``cmd`` in its own session with stdout and stderr appended to ``log_path``, and wait (at most
    :data:`STARTUP_TIMEOUT`) until ``ready_url`` answers 200; raises with the log's tail if it exits first."""
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(list(cmd), stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)

    def ready() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited: {Path(log_path).read_text(errors='replace')[-2000:]}")
        return http_get(ready_url, 1.0)[0] == 200

    try:
        wait_until(ready, STARTUP_TIMEOUT, f"{name} ready")
    except BaseException:
        stop_process(proc)
        raise
    return proc


def stop_process(proc: subprocess.Popen | None, grace: float = 5.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class QuietHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def self_signed_cert(directory: Path) -> tuple[str, str] | None:
    """(cert, key) for 127.0.0.1 made with the openssl CLI, or None when it is not installed."""
    exe = shutil.which("openssl")
    if not exe:
        return None
    cert, key = Path(directory) / "cert.pem", Path(directory) / "key.pem"
    subprocess.run(
        [
            exe,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return str(cert), str(key)
