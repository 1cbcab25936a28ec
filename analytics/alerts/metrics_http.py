"""The HTTP listener of ``lokifi collect --metrics-listen``: the exposition at ``/metrics``, and nothing
else passed off as it.

prometheus_client's own WSGI app serves the metrics on every path and answers ``HEAD`` with 405; a
health check or a load balancer that asks ``HEAD /metrics`` then reads the endpoint as broken, and a
mistyped path reads as working. Here ``GET /metrics`` is prometheus_client's answer (the format the
``Accept`` header asks for, gzip when accepted, only the series ``?name[]=`` names when it does: the
collector describes its families for that), ``HEAD /metrics`` the same status
and headers without the body, any other path 404 with one line saying where the metrics are, and any
other method 405 naming those allowed. A connection silent for 10 s is closed. Requests are not logged
(a scrape every 15 s would fill the collector's log).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client.exposition import ThreadingWSGIServer, make_wsgi_app

PATH = "/metrics"
ALLOWED = "GET, HEAD, OPTIONS"
NOT_HERE = f"Not found: Lokifi's metrics are at {PATH}\n".encode()
REFUSED = f"Method not allowed: {PATH} answers {ALLOWED}\n".encode()

StartResponse = Callable[..., Any]


def metrics_app(registry: Any) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI app: ``registry``'s exposition at :data:`PATH` only."""
    exposition = make_wsgi_app(registry)

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
            return exposition(environ, start_response)
        # HEAD: the GET's status and headers, its length among them, and no body
        said: list[Any] = []
        body = b"".join(exposition({**environ, "REQUEST_METHOD": "GET"}, lambda *a: said.extend(a)))
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


class _Quiet(WSGIRequestHandler):
    # A connection that sends nothing (or a byte now and then) held its thread forever: any local user
    # opening a few thousand of them used up the collector's file descriptors and threads.
    @property
    def timeout(self) -> float:  # type: ignore[override]
        return IDLE_SECONDS

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing: Prometheus scrapes every few seconds."""


def start(registry: Any, addr: str, port: int) -> Any:
    """Serve :func:`metrics_app` on ``addr``:``port`` (an IPv4 or IPv6 address, or a name) in a daemon
    thread; returns the server (``shutdown()``, ``server_close()``). Raises OSError when it cannot listen."""
    family = socket.getaddrinfo(addr, port, type=socket.SOCK_STREAM)[0][0]

    class Server(ThreadingWSGIServer):
        address_family = family

    httpd = make_server(addr, port, metrics_app(registry), Server, handler_class=_Quiet)
    threading.Thread(target=httpd.serve_forever, name="lokifi-metrics", daemon=True).start()
    return httpd


__all__ = ["PATH", "metrics_app", "start"]
