"""A connection to `lokifi collect --metrics-listen` that never sends its request is closed once it has
been silent for the idle time: before, it held a thread and a descriptor of the collector forever, so any
local user could use them all up."""

from __future__ import annotations

import socket
import time
import urllib.request

from prometheus_client import CollectorRegistry, Counter

from analytics.alerts import metrics_http


def test_a_silent_connection_is_closed_and_the_metrics_still_answer(monkeypatch):
    monkeypatch.setattr(metrics_http, "IDLE_SECONDS", 0.5, raising=False)
    registry = CollectorRegistry()
    Counter("lokifi_probe_total", "a figure", registry=registry).inc()
    server = metrics_http.start(registry, "127.0.0.1", 0)
    port = server.server_address[1]
    try:
        silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        started = time.monotonic()
        for s in silent:
            s.settimeout(5)
            assert s.recv(1) == b""  # closed by the listener, not by this end
            s.close()
        assert time.monotonic() - started < 4
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
        assert b"lokifi_probe_total 1.0" in body
    finally:
        server.shutdown()
        server.server_close()
