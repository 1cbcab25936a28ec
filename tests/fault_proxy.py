"""A reverse proxy on loopback in front of a fleet server (Prometheus, Loki) that can turn into a source
that is down, slow, answering 4xx/5xx, cutting answers off, or sending a skewed ``Date``."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
import urllib.parse
from email.utils import formatdate
from typing import Any

from loopback_support import QuietHandler, QuietServer


class FaultProxy:
    """A loopback reverse proxy: ``mode`` = ok | down | slow | status | cut | skew.

    * ``down``: connections are accepted and closed at once (as a dead upstream behind a proxy);
    * ``slow``: waits ``delay`` seconds before forwarding;
    * ``status``: answers ``status_code`` with a Prometheus/Loki-style error body;
    * ``cut``: forwards, but sends only the first half of the body (Content-Length stays whole);
    * ``skew``: forwards, but the ``Date`` header is shifted by ``skew`` seconds;
    * ``warn``: forwards, adding ``"warnings"`` to range-query answers (how Prometheus flags a partial
      result) and dropping their last series.
    ``fail_times`` > 0 applies the mode to that many requests only, then behaves as ``ok``; ``ok_first`` > 0
    forwards that many requests untouched first (a fault in the middle of a pull: its later pages).
    """

    def __init__(self, upstream: str, *, tls: tuple[str, str] | None = None, require_auth: str | None = None) -> None:
        self.upstream = upstream
        self.tls = tls
        self.require_auth = require_auth  # the exact Authorization header to demand (else 401)
        self.mode = "ok"
        self.delay = 0.0
        self.status_code = 500
        self.skew = 0.0
        self.fail_times = 0
        self.ok_first = 0
        self.requests = 0
        self.requests_at_set = 0
        self.faults_served = 0
        proxy = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                proxy.requests += 1
                mode = proxy.mode
                if proxy.fail_times > 0 and proxy.faults_served >= proxy.fail_times:
                    mode = "ok"
                if proxy.requests - proxy.requests_at_set <= proxy.ok_first:
                    mode = "ok"
                if mode != "ok":
                    proxy.faults_served += 1
                if proxy.require_auth is not None and self.headers.get("Authorization") != proxy.require_auth:
                    body = b"401 Unauthorized\n"
                    self.send_response(401)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("WWW-Authenticate", 'Basic realm="lokifi-test"')
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if mode == "down":
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if mode == "status":
                    body = json.dumps(
                        {"status": "error", "errorType": "internal", "error": f"injected HTTP {proxy.status_code}"}
                    ).encode()
                    self.send_response(proxy.status_code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if mode == "slow":
                    time.sleep(proxy.delay)
                u = urllib.parse.urlsplit(proxy.upstream)
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                try:
                    fwd = {
                        k: v
                        for k, v in self.headers.items()
                        if k.lower() not in ("host", "connection", "accept-encoding")
                    }  # identity bodies
                    conn.request("GET", self.path, headers=fwd)
                    r = conn.getresponse()
                    body = r.read()
                    headers = [
                        (k, v)
                        for k, v in r.getheaders()
                        if k.lower() not in ("content-length", "connection", "transfer-encoding", "date")
                    ]
                    status = r.status
                except OSError as exc:
                    body = f"upstream error: {exc}".encode()
                    headers, status = [("Content-Type", "text/plain")], 502
                finally:
                    conn.close()
                if mode == "warn" and "query_range" in self.path and status == 200:
                    obj = json.loads(body)
                    obj["warnings"] = ["injected: a remote store did not answer"]
                    obj["data"]["result"] = obj["data"]["result"][:-1]
                    body = json.dumps(obj).encode()
                self.send_response_only(status)
                date = time.time() + (proxy.skew if mode == "skew" else 0.0)
                self.send_header("Date", formatdate(date, usegmt=True))
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                if mode == "cut":
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if mode == "cut" else body)

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        if tls:
            import ssl

            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls[0], tls[1])
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def set(self, mode: str, **kw: Any) -> None:
        for k, v in kw.items():
            setattr(self, k, v)
        self.faults_served = 0
        self.ok_first = kw.get("ok_first", 0)
        self.requests_at_set = self.requests
        self.mode = mode

    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
