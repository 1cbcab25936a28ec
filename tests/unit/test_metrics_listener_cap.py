"""`lokifi collect --metrics-listen` holds at most MAX_CONNECTIONS connections (a thread each): before,
every connection a local user held open (a byte now and then) kept a thread of the collector, 828 of
them 828 threads and 40 MB, with nothing to stop more. The connection waiting longest for its request
gives way, so a scrape still answers while they are held; and a connection that times out is not
written to the collector's log as a traceback."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request

import pytest
from prometheus_client import CollectorRegistry, Counter

from analytics.alerts import metrics_http


def _closed_by_server(s: socket.socket) -> bool:
    s.settimeout(0.05)
    try:
        return s.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def _server(monkeypatch, cap: int, idle: float = 30.0):
    monkeypatch.setattr(metrics_http, "MAX_CONNECTIONS", cap, raising=False)
    monkeypatch.setattr(metrics_http, "IDLE_SECONDS", idle)
    registry = CollectorRegistry()
    Counter("lokifi_probe_total", "a figure", registry=registry).inc()
    server = metrics_http.start(registry, "127.0.0.1", 0)
    return server, server.server_address[1]


@pytest.mark.parametrize(
    "begun",
    [b"G", b"GET /metrics HTTP/1.1\r\nX-Drip: a\r\n"],  # a request line begun; one sent, its headers not
    ids=["request-line", "headers"],
)
def test_held_connections_are_capped_and_a_scrape_still_answers(monkeypatch, begun):
    server, port = _server(monkeypatch, cap=4)
    threads_before = threading.active_count()
    held = []
    try:
        for _ in range(40):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(begun)  # a request begun, never finished
            held.append(s)
        time.sleep(0.5)
        still_open = [s for s in held if not _closed_by_server(s)]
        assert len(still_open) <= 4
        assert threading.active_count() - threads_before <= 4 + 1
        started = time.monotonic()
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
        assert b"lokifi_probe_total 1.0" in body
        assert time.monotonic() - started < 2
    finally:
        for s in held:
            s.close()
        server.shutdown()
        server.server_close()


def test_a_timed_out_connection_leaves_no_traceback(monkeypatch, capfd):
    server, port = _server(monkeypatch, cap=4, idle=0.2)
    try:
        s = socket.create_connection(("127.0.0.1", port))
        s.settimeout(5)
        assert s.recv(1) == b""  # closed by the listener at the idle time
        s.close()
        time.sleep(0.2)
        assert "Traceback" not in capfd.readouterr().err
    finally:
        server.shutdown()
        server.server_close()
