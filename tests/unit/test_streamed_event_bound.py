"""A model server streaming one line with no end: the stream's reader holds an event whole, so the line
was held up to the answer's limit (128 MB; `lokifi ai analyze` peaked at 350 MB and took 15 s) before it
was refused. One event of a streamed answer is bounded now, refused with a message naming the endpoint;
events that end reset the count, and an answer that is not streamed keeps the answer's bound only."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from analytics.common import http_answer
from analytics.rca.client import CallFailed, Endpoint, chat, forget_capabilities

EVENT_LIMIT = 64 << 10


def _chunk(b: bytes) -> bytes:
    return b"%x\r\n" % len(b) + b + b"\r\n"


def _event(content: str, finish: str | None = None) -> bytes:
    delta = {"choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]}
    return (
        b"data: " + json.dumps({"id": "c", "object": "chat.completion.chunk", "model": "m", **delta}).encode() + b"\n\n"
    )


class _Model(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mode = ""

    def log_message(self, *a):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.mode == "plain":
            body = json.dumps(
                {
                    "id": "c",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "m",
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": "y" * 90_000}, "finish_reason": "stop"}
                    ],
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            if self.mode == "endless-line":
                self.wfile.write(_chunk(b'data: {"a":"'))
                for _ in range(200):  # 12.5 MB, past the answer's limit the test sets
                    self.wfile.write(_chunk(b"x" * (1 << 16)))
            else:  # many small events, together past the event limit, split mid-event between chunks
                whole = b"".join(_event("ab") for _ in range(3000)) + _event("", "stop") + b"data: [DONE]\n\n"
                for i in range(0, len(whole), 997):
                    self.wfile.write(_chunk(whole[i : i + 997]))
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass


@pytest.fixture
def model(monkeypatch):
    monkeypatch.setattr(http_answer, "MAX_ANSWER_BYTES", 8 << 20)
    monkeypatch.setattr(http_answer, "MAX_STREAM_EVENT_BYTES", EVENT_LIMIT, raising=False)
    forget_capabilities()
    servers = []

    def start(mode: str) -> Endpoint:
        handler = type("H", (_Model,), {"mode": mode})
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
        return Endpoint(base_url=url, model="m", configured=True, timeout=10, max_retries=0, response_format="none")

    yield start
    forget_capabilities()
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def _ask(endpoint: Endpoint):
    return chat(endpoint, [{"role": "user", "content": "q"}], {"type": "object"})


def test_a_streamed_line_without_end_is_refused_at_the_event_bound(model):
    endpoint = model("endless-line")
    with pytest.raises(CallFailed) as failed:
        _ask(endpoint)
    assert failed.value.status == "bad_request"
    assert endpoint.base_url in failed.value.message
    assert f"larger than {EVENT_LIMIT:,} bytes (LOKIFI_MAX_STREAM_EVENT_BYTES)" in failed.value.message


def test_small_events_past_the_bound_together_are_read(model):
    result = _ask(model("events"))
    assert result.content == "ab" * 3000


def test_an_answer_not_streamed_keeps_only_the_answers_bound(model):
    result = _ask(model("plain"))
    assert len(result.content) == 90_000 > EVENT_LIMIT


@pytest.mark.parametrize("ending", [b"\n\n", b"\r\n\r\n", b"\r\r"])
def test_an_event_end_split_between_chunks_resets_the_count(ending):
    bound = http_answer.EventBound(10)
    bound.feed(b"data: 12" + ending[:1])
    bound.feed(ending[1:] + b"data")  # ended, then 4 bytes of the next event
    bound.feed(b": 123")
    with pytest.raises(http_answer.EventTooLarge):
        bound.feed(b"45")
