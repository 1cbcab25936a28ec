"""The HTTP listener of ``lokifi collect --metrics-listen``: the exposition at ``/metrics``, and nothing
else passed off as it.

prometheus_client's own WSGI app serves the metrics on every path and answers ``HEAD`` with 405; a
health check or a load balancer that asks ``HEAD /metrics`` then reads the endpoint as broken, and a
mistyped path reads as working. Here ``GET /metrics`` is prometheus_client's answer (the format the
``Accept`` header asks for, gzip when accepted, only the series ``?name[]=`` names when it does: the
collector describes its families for that), ``HEAD /metrics`` the same status
and headers without the body, any other path 404 with one line saying where the metrics are, and any
other method 405 naming those allowed. A connection silent for 10 s is closed. Requests are not logged
(a scrape every 15 s would fill the collector's log), nor is a connection that broke or timed out.

Each connection has a thread of its own; at most :data:`MAX_CONNECTIONS` are open at once. When one more
comes, the connection that has waited longest without sending its whole request (line and headers) is
closed to make room, or, when every one has sent it, the oldest (one reading its answer slowly): a
scrape sends its request at once and reads its answer at once, so a local user holding connections open
cannot lock Prometheus out. Before, each held connection kept a thread: 828 of them, dripping a byte
every 2 s, held 828 threads and 40 MB of the collector, and nothing stopped more.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler

from prometheus_client.exposition import ThreadingWSGIServer, make_wsgi_app

from analytics.store.errors import StoreError

log = logging.getLogger("lokifi.metrics")

PATH = "/metrics"
ALLOWED = "GET, HEAD, OPTIONS"
NOT_HERE = f"Not found: Lokifi's metrics are at {PATH}\n".encode()
REFUSED = f"Method not allowed: {PATH} answers {ALLOWED}\n".encode()

StartResponse = Callable[..., Any]


class Gate:
    """Between the scrapes and a stop: one scrape reads the database at a time (they would queue on it
    anyway), and none starts once the listener is stopping (:meth:`_Bounded.close`); a thread inside
    DuckDB when the process exits aborts it (``terminate called ...``, exit 134)."""

    def __init__(self) -> None:
        self.reading = threading.Lock()
        self.stopping = threading.Event()


STOPPING = b"Lokifi is stopping; the metrics are back when it runs again\n"


def metrics_app(registry: Any, gate: Gate | None = None) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI app: ``registry``'s exposition at :data:`PATH` only (``gate``: see :class:`Gate`)."""
    exposition = make_wsgi_app(registry)
    gate = gate or Gate()

    def read(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        with gate.reading:  # the whole answer is made here: prometheus_client reads the registry at once
            if gate.stopping.is_set():
                return _answer(start_response, "503 Service Unavailable", STOPPING, len(STOPPING))
            try:
                return list(exposition(environ, start_response))
            except StoreError as exc:  # busy, locked, damaged: said once a scrape, in one line, not a traceback
                log.warning("/metrics: %s", exc)
                said = f"Lokifi could not read its database: {exc}\n".encode()
                return _answer(start_response, "503 Service Unavailable", said, len(said))

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if environ.get("PATH_INFO") != PATH:
            return _answer(start_response, "404 Not Found", b"" if method == "HEAD" else NOT_HERE, len(NOT_HERE))
        if method == "OPTIONS":
            start_response("200 OK", [("Allow", ALLOWED), ("Content-Length", "0")])
            return [b""]
        if method not in ("GET", "HEAD"):
            return _answer(start_response, "405 Method Not Allowed", REFUSED, len(REFUSED), [("Allow", ALLOWED)])
        if method == "GET":
            return read(environ, start_response)
        # HEAD: the GET's status and headers, its length among them, and no body
        said: list[Any] = []
        body = b"".join(read({**environ, "REQUEST_METHOD": "GET"}, lambda *a: said.extend(a)))
        status, headers = said[0], list(said[1])
        if not any(k.lower() == "content-length" for k, _ in headers):
            headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return []

    return app


def _answer(
    start_response: StartResponse, status: str, body: bytes, length: int, extra: list[tuple[str, str]] | None = None
) -> list[bytes]:
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(length)), *(extra or [])]
    start_response(status, headers)
    return [body]


#: How long a connection may stay silent (before its request, between its reads) before it is closed.
IDLE_SECONDS = 10.0


#: The most connections open at once (each has a thread); see the module's docstring for the one more.
MAX_CONNECTIONS = 32


class _Quiet(WSGIRequestHandler):
    # A connection that sends nothing (or a byte now and then) held its thread forever: any local user
    # opening a few thousand of them used up the collector's file descriptors and threads.
    @property
    def timeout(self) -> float:  # type: ignore[override]
        return IDLE_SECONDS

    def parse_request(self) -> bool:
        parsed = bool(super().parse_request())  # the request line's words and the headers, all read
        self.server.requested(self.request)  # type: ignore[attr-defined]
        return parsed

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing: Prometheus scrapes every few seconds."""


class _Bounded(ThreadingWSGIServer):
    """At most :data:`MAX_CONNECTIONS` connections (threads) at once; when one more comes, the oldest
    still waiting for its request (else the oldest of all, one whose answer is read slowly) is closed."""

    request_queue_size = 128  # the listen backlog; at 5, in a burst of connections some waited 1 s to get in

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.gate = Gate()  # between this server's scrapes (its app is given it in start()) and close()
        self._conns_lock = threading.Lock()
        self._ended = threading.Condition(self._conns_lock)  # notified as each connection's thread ends
        self._open: dict[Any, float] = {}  # connection -> when it came, until its thread ends
        self._waiting: set[Any] = set()  # those whose request (line and headers) has not all come
        self._closing: set[Any] = set()  # those shut down to make room, their threads ending
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            if len(self._open) - len(self._closing) >= MAX_CONNECTIONS:
                if len(self._open) >= 2 * MAX_CONNECTIONS:  # the closed ones' threads have not ended yet
                    self.shutdown_request(request)
                    return
                live = [c for c in self._open if c not in self._closing]
                victim = min((c for c in live if c in self._waiting), key=self._open.__getitem__, default=None)
                if victim is None:
                    victim = min(live, key=self._open.__getitem__)
                self._closing.add(victim)
                with contextlib.suppress(OSError):
                    victim.shutdown(socket.SHUT_RDWR)  # ends the read or write its thread is blocked in
            self._open[request] = time.monotonic()
            self._waiting.add(request)
        try:
            super().process_request(request, client_address)
        except BaseException:  # no thread to be had: the connection is not served
            self._release(request)
            self.shutdown_request(request)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release(request)

    def requested(self, request: Any) -> None:
        with self._conns_lock:
            self._waiting.discard(request)

    def _release(self, request: Any) -> None:
        with self._conns_lock:
            self._open.pop(request, None)
            self._waiting.discard(request)
            self._closing.discard(request)
            self._ended.notify_all()

    def close(self, wait: float = IDLE_SECONDS) -> bool:
        """Stop listening and end every connection: no scrape starts reading the database from now on
        (those waiting answer 503), the one reading finishes (up to ``wait`` seconds), the answers are
        given a second to go out, then every connection still open is hung up and its thread waited for
        (a second more). True when every one has ended: a thread still inside DuckDB when the process
        exits aborts it, as a SIGTERM during a scrape did every time."""
        self.gate.stopping.set()
        self.shutdown()
        self.server_close()
        read_done = self.gate.reading.acquire(timeout=wait)  # after it, no thread enters DuckDB
        if read_done:
            self.gate.reading.release()  # those queued behind it see the stop and answer 503
        with self._conns_lock:
            self._hang_up(self._waiting)  # no request yet: nothing to answer
            for hang_up in (True, False):
                deadline = time.monotonic() + 1.0  # the queued ones answer at once; a slow reader does not
                while self._open and (left := deadline - time.monotonic()) > 0:
                    self._ended.wait(left)
                if hang_up:
                    self._hang_up(self._open)
            return read_done and not self._open

    @staticmethod
    def _hang_up(conns: Iterable[Any]) -> None:
        for conn in list(conns):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)  # the read or write its thread is blocked in ends now

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):  # a connection that timed out or broke: not news
            return
        super().handle_error(request, client_address)


def start(registry: Any, addr: str, port: int) -> Any:
    """Serve :func:`metrics_app` on ``addr``:``port`` (an IPv4 or IPv6 address, or a name) in a daemon
    thread; returns the server (``close()`` ends it). Raises OSError when it cannot listen."""
    family = socket.getaddrinfo(addr, port, type=socket.SOCK_STREAM)[0][0]

    class Server(_Bounded):
        address_family = family

    httpd = Server((addr, port), _Quiet)  # what wsgiref's make_server does, the app given the server's gate
    httpd.set_app(metrics_app(registry, httpd.gate))
    threading.Thread(target=httpd.serve_forever, name="lokifi-metrics", daemon=True).start()
    return httpd


__all__ = ["MAX_CONNECTIONS", "PATH", "Gate", "metrics_app", "start"]
