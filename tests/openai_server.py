"""A small, real OpenAI-compatible chat-completions server on loopback, for tests.

It speaks just enough of the OpenAI HTTP API (``POST /v1/chat/completions`` streaming and
non-streaming, ``GET /v1/models``) for the real ``openai`` client to talk to it, and it can
be scripted to misbehave the way real servers do: hang past the client's timeout, refuse
the key (401), rate-limit with ``Retry-After`` (429), fail (5xx), cut a stream off halfway,
answer with prose instead of JSON, or reject ``response_format`` like servers that lack
structured output.

Every request is kept in :attr:`OpenAIServer.requests` (raw body bytes, parsed JSON, headers)
so tests can prove what did -- and did not -- leave the host.
"""

from __future__ import annotations

import atexit
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GOOD_ANSWER: dict[str, Any] = {
    "analysis": "Clients cannot reach the service on its port because the process is not running.",
    "probable_root_cause": "The service process crashed or was never started after the last deploy.",
    "confidence": 0.9,
    "reasoning": "Connection refused (not a timeout) means nothing listens on the port; "
    "the error started right after a restart and CPU fell to zero.",
    "recommended_commands": ["systemctl status backend", "systemctl restart backend"],
}


@dataclass
class Behaviour:
    """What the server does with one chat-completions request.

    kind: ``good`` (answer ``content``), ``status`` (HTTP ``status`` with ``headers``),
    ``hang`` (sleep ``delay`` seconds before answering), ``cut`` (stream a few chunks, then
    drop the connection), ``reject_format`` (400 when the request carries ``response_format``,
    otherwise answer like ``good``), ``reject_stream_options`` (the same for ``stream_options``),
    ``no_stream`` (answer one plain JSON completion even when a stream is asked for, as several
    OpenAI-compatible servers and proxies do).
    """

    kind: str = "good"
    content: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    usage: tuple[int, int] | None = (420, 180)


@dataclass
class LoggedRequest:
    method: str
    path: str
    headers: dict[str, str]
    raw: bytes
    body: Any


class OpenAIServer:
    """Threaded HTTP server; use :meth:`script` to queue behaviours, :attr:`requests` to inspect."""

    def __init__(self, api_key: str = "sk-test-loopback-key") -> None:
        self.api_key = api_key
        self.requests: list[LoggedRequest] = []
        self._queue: list[Behaviour] = []
        self.default = Behaviour()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _read(self) -> bytes:
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _log(self, raw: bytes) -> Any:
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                with server._lock:
                    server.requests.append(
                        LoggedRequest(
                            self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, raw, body
                        )
                    )
                return body

            def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                return self.headers.get("Authorization", "") == f"Bearer {server.api_key}"

            def do_GET(self) -> None:
                self._log(b"")
                if not self._authorised():
                    self._json(401, _error("Incorrect API key provided", "invalid_api_key"))
                    return
                if self.path.split("?")[0].rstrip("/").endswith("/models"):
                    self._json(
                        200,
                        {
                            "object": "list",
                            "data": [{"id": "test-model", "object": "model", "created": 0, "owned_by": "tests"}],
                        },
                    )
                else:
                    self._json(404, _error("not found", "not_found"))

            def do_POST(self) -> None:
                raw = self._read()
                body = self._log(raw)
                if not self.path.split("?")[0].rstrip("/").endswith("/chat/completions") or not isinstance(body, dict):
                    self._json(404, _error("not found", "not_found"))
                    return
                behaviour = server._next()
                if not self._authorised():
                    # like a careless server, echo the key back: the client must scrub it
                    got = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    self._json(401, _error(f"Incorrect API key provided: {got}", "invalid_api_key"))
                    return
                if behaviour.kind == "hang":
                    time.sleep(behaviour.delay)
                if behaviour.kind == "status":
                    self._json(behaviour.status, _error(f"scripted {behaviour.status}", "scripted"), behaviour.headers)
                    return
                if behaviour.kind == "reject_stream_options" and "stream_options" in body:
                    self._json(
                        400,
                        _error(
                            "Unrecognized request argument supplied: stream_options",
                            "invalid_request_error",
                            param="stream_options",
                        ),
                    )
                    return
                if behaviour.kind == "reject_format" and "response_format" in body:
                    self._json(
                        400,
                        _error(
                            "response_format is not supported by this server",
                            "invalid_request_error",
                            param="response_format",
                        ),
                    )
                    return
                content = behaviour.content if behaviour.content is not None else json.dumps(GOOD_ANSWER)
                model = body.get("model", "test-model")
                if body.get("stream") and behaviour.kind != "no_stream":
                    self._stream(model, content, behaviour, body)
                else:
                    usage = _usage(behaviour.usage)
                    self._json(
                        200,
                        {
                            "id": "chatcmpl-test",
                            "object": "chat.completion",
                            "created": int(time.time()),
                            "model": model,
                            "choices": [
                                {
                                    "index": 0,
                                    "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": content},
                                }
                            ],
                            **({"usage": usage} if usage else {}),
                        },
                    )

            def _stream(self, model: str, content: str, behaviour: Behaviour, body: dict) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                size = max(24, len(content) // 40)
                pieces = [content[i : i + size] for i in range(0, len(content), size)] or [""]
                if behaviour.kind == "cut":
                    pieces = pieces[: max(1, len(pieces) // 2)]

                def chunk(delta: dict, finish: str | None = None, usage: dict | None = None) -> None:
                    obj = {
                        "id": "chatcmpl-test",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                    }
                    if usage is not None:
                        obj = {**obj, "choices": [], "usage": usage}
                    self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
                    self.wfile.flush()

                chunk({"role": "assistant", "content": ""})
                for piece in pieces:
                    chunk({"content": piece})
                if behaviour.kind == "cut":
                    # Drop the connection mid-answer: no finish_reason, no [DONE].
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                chunk({}, finish="stop")
                usage = _usage(behaviour.usage)
                if usage and (body.get("stream_options") or {}).get("include_usage"):
                    chunk({}, usage=usage)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="openai-test-server", daemon=True)

    # -- control -----------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> OpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next requests; after they run out, :attr:`default` applies."""
        with self._lock:
            self._queue.extend(behaviours)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.default = Behaviour()

    def chat_requests(self) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.rstrip("/").endswith("/chat/completions")]

    def _next(self) -> Behaviour:
        with self._lock:
            return self._queue.pop(0) if self._queue else self.default


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up (timeouts, cancels) are part of the script, not server errors."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def _error(message: str, code: str, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": code, "param": param, "code": code}}


def _usage(usage: tuple[int, int] | None) -> dict | None:
    if usage is None:
        return None
    return {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}


_SHARED: OpenAIServer | None = None


def shared_server() -> OpenAIServer:
    """One server for the whole test session (started on first use, stopped at exit)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = OpenAIServer().start()
        atexit.register(_SHARED.stop)
    return _SHARED
