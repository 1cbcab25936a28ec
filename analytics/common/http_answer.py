"""An HTTP answer read within bounds: at most ``LOKIFI_MAX_ANSWER_BYTES`` once decompressed, by a deadline.

httpx bounds each read of a socket by its timeout, never the whole answer: a server that drips a byte a
second, or sends gigabytes (or a small gzip that inflates to gigabytes), holds the caller and its memory
for as long as it likes (a Prometheus URL answering an endless body took a collector past 16 GB). So the
answer is read as a stream and counted after decompression, one network read at a time (a read of 64 KB
of gzip inflates to at most about 64 MB), and refused past the limit; and a timer shuts the connection's
socket down when the deadline passes, which ends a read blocked on it, so headers dripped byte by byte
end too. Every socket a request opens is known through httpx's ``trace`` extension.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any

from analytics.common.env_settings import env_bytes

#: The most bytes of one answer (after decompression) Lokifi reads; more is refused, never held.
MAX_ANSWER_BYTES = env_bytes("LOKIFI_MAX_ANSWER_BYTES", 128 << 20)

#: The most bytes of one event of a streamed answer (``text/event-stream``, the model's answer) before its
#: end: the stream's reader holds an event whole, so a line that never ends was held up to the answer's
#: limit (128 MB, 350 MB of the process at its peak) before it was refused. An event is a token or two.
MAX_STREAM_EVENT_BYTES = env_bytes("LOKIFI_MAX_STREAM_EVENT_BYTES", 1 << 20)

_SOCKET_EVENTS = ("connection.connect_tcp.complete", "connection.start_tls.complete")


class AnswerTooLarge(Exception):
    """The answer grew past ``limit`` bytes (after decompression)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the answer is larger than {limit:,} bytes (LOKIFI_MAX_ANSWER_BYTES)")
        self.limit = limit


class AnswerTooSlow(Exception):
    """The answer was not complete within ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the answer was not complete within {seconds:g}s")
        self.seconds = seconds


class EventTooLarge(Exception):
    """One event of a streamed answer grew past ``limit`` bytes without its end (a blank line)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"one event of the stream (a line, or lines without the blank line that ends an event) is larger "
            f"than {limit:,} bytes (LOKIFI_MAX_STREAM_EVENT_BYTES)"
        )
        self.limit = limit


#: What ends one event of a stream (server-sent events): a blank line, in any of its line endings.
_EVENT_ENDS = (b"\r\n\r\n", b"\n\n", b"\r\r")


class EventBound:
    """Counts the bytes of a stream's current event across the chunks it comes in."""

    def __init__(self, limit: int) -> None:
        self.limit, self._pending, self._tail = limit, 0, b""

    def feed(self, chunk: bytes) -> None:
        """Take the next ``chunk``; raise :class:`EventTooLarge` when the event it continues is too large."""
        seen = self._tail + chunk
        end = max((seen.rfind(e) + len(e) for e in _EVENT_ENDS if e in seen), default=-1)
        self._pending = len(seen) - end if end >= 0 else self._pending + len(chunk)
        self._tail = seen[-3:]
        if self._pending > self.limit:
            raise EventTooLarge(self.limit)


class Sockets:
    """The sockets one client's requests opened, known through httpx's ``trace`` extension (pass
    ``{"trace": sockets.trace}`` as each request's ``extensions``; a kept-alive connection opens none).

    One set per client, not per request, because a request on a kept-alive connection opens no socket
    to learn: so a :class:`Deadline` shuts every socket of its client. Each client here runs one request
    at a time (the fleet's :class:`HttpClient` is one per source, the AI client one per call, an alert
    delivery its own set), so that is exactly the request's own socket."""

    def __init__(self) -> None:
        self._socks: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._lock = threading.Lock()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event in _SOCKET_EVENTS:
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(sock, socket.socket):
                with self._lock:
                    self._socks.add(sock)

    def shut_all(self) -> None:
        with self._lock:
            socks = list(self._socks)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a recv blocked on it; close() would not


class Deadline:
    """Shuts down ``sockets`` once ``seconds`` have passed (a context manager around one request);
    ``passed`` says whether the time is up (a failure then reads as slow)."""

    def __init__(self, seconds: float, sockets: Sockets) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self._timer = threading.Timer(seconds, sockets.shut_all)
        self._timer.daemon = True

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.at

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def whole_answer_seconds(each: float) -> float:
    """How long one request may take in all when each read may take ``each`` seconds: a server dripping
    its answer a byte at a time is cut off then."""
    return each * 4 + 5


def answer_head(response: Any, deadline: Deadline, n: int) -> bytes:
    """The first ``n`` bytes of a streamed ``response`` (decompressed) or fewer: what came by the deadline
    (an error's text; the rest is never read)."""
    import httpx

    buf = bytearray()
    with contextlib.suppress(httpx.TransportError):  # cut off: the head that came is all there is
        for chunk in response.iter_bytes():
            buf += chunk
            if len(buf) >= n or deadline.passed:
                break
    return bytes(buf[:n])


def read_answer(response: Any, deadline: Deadline, limit: int | None = None) -> bytes:
    """The body of a streamed httpx ``response``, decompressed, refused past ``limit`` bytes or once
    ``deadline`` has passed (:class:`AnswerTooLarge`, :class:`AnswerTooSlow`)."""
    limit = MAX_ANSWER_BYTES if limit is None else limit
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and not response.headers.get("Content-Encoding") and int(declared) > limit:
        raise AnswerTooLarge(limit)
    buf = bytearray()
    for chunk in response.iter_bytes():
        buf += chunk
        if len(buf) > limit:
            raise AnswerTooLarge(limit)
        if deadline.passed:
            raise AnswerTooSlow(deadline.seconds)
    if deadline.passed:  # the socket shut down at the deadline reads as the end of an unsized answer
        raise AnswerTooSlow(deadline.seconds)
    return bytes(buf)


def bounded_client(each: float, limit: int | None = None) -> Any:
    """An httpx client whose every answer is bounded as :func:`read_answer` bounds one, for a library
    that reads answers itself (the openai client): it asks for an uncompressed answer and refuses one
    compressed anyway (its size could not be bounded before inflating it), stops reading past ``limit``
    bytes, and a streamed answer (``text/event-stream``) past :data:`MAX_STREAM_EVENT_BYTES` of one
    event, and cuts each request off at :func:`whole_answer_seconds` of ``each``."""
    import httpx

    return httpx.Client(transport=_BoundedTransport(each, limit), follow_redirects=False)


@functools.cache
def _bounded_transport_class() -> type:
    import httpx

    class AnswerRefused(httpx.TransportError):
        """An answer too large or compressed against the request: not read further."""

        refused = True

    class BoundedStream(httpx.SyncByteStream):
        def __init__(self, inner: Any, limit: int, deadline: Deadline, events: EventBound | None) -> None:
            self._inner, self._limit, self._deadline, self._events = inner, limit, deadline, events

        def __iter__(self) -> Iterator[bytes]:
            got = 0
            try:
                for chunk in self._inner:
                    got += len(chunk)
                    if got > self._limit:
                        raise AnswerRefused(str(AnswerTooLarge(self._limit)))
                    if self._events is not None:
                        try:
                            self._events.feed(chunk)
                        except EventTooLarge as exc:
                            raise AnswerRefused(str(exc)) from None
                    yield chunk
            except httpx.TransportError:
                if self._deadline.passed:
                    raise httpx.ReadTimeout(str(AnswerTooSlow(self._deadline.seconds))) from None
                raise
            if self._deadline.passed:
                raise httpx.ReadTimeout(str(AnswerTooSlow(self._deadline.seconds)))

        def close(self) -> None:
            self._deadline.__exit__()
            self._inner.close()

    class BoundedTransport(httpx.BaseTransport):
        def __init__(self, each: float, limit: int | None) -> None:
            self._each, self._limit = each, limit
            self._inner = httpx.HTTPTransport(trust_env=True)
            self._sockets = Sockets()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            request.headers["Accept-Encoding"] = "identity"
            request.extensions = {**request.extensions, "trace": self._sockets.trace}
            each = _read_timeout(request, self._each)
            deadline = Deadline(whole_answer_seconds(each), self._sockets).__enter__()
            try:
                response = self._inner.handle_request(request)
            except httpx.TransportError:
                deadline.__exit__()
                if deadline.passed:
                    raise httpx.ReadTimeout(str(AnswerTooSlow(deadline.seconds)), request=request) from None
                raise
            coding = response.headers.get("Content-Encoding", "identity").strip().lower()
            if coding not in ("", "identity"):
                response.close()
                deadline.__exit__()
                raise AnswerRefused(f"the answer came {coding}-compressed though an uncompressed one was asked for")
            limit = MAX_ANSWER_BYTES if self._limit is None else self._limit
            streamed = response.headers.get("Content-Type", "").split(";")[0].strip().lower() == "text/event-stream"
            events = EventBound(MAX_STREAM_EVENT_BYTES) if streamed else None
            response.stream = BoundedStream(response.stream, limit, deadline, events)
            return response

        def close(self) -> None:
            self._inner.close()

    return BoundedTransport


def refusal(exc: BaseException | None) -> str | None:
    """Why a :func:`bounded_client` refused an answer, when ``exc`` (or what caused it) says it did."""
    while exc is not None:
        if getattr(exc, "refused", False):
            return str(exc)
        exc = exc.__cause__ or exc.__context__
    return None


def _read_timeout(request: Any, default: float) -> float:
    timeout = request.extensions.get("timeout") or {}
    read = timeout.get("read")
    return float(read) if isinstance(read, (int, float)) and read > 0 else default


def _BoundedTransport(each: float, limit: int | None) -> Any:
    return _bounded_transport_class()(each, limit)


__all__ = [
    "MAX_ANSWER_BYTES",
    "MAX_STREAM_EVENT_BYTES",
    "AnswerTooLarge",
    "AnswerTooSlow",
    "Deadline",
    "EventBound",
    "EventTooLarge",
    "Sockets",
    "answer_head",
    "bounded_client",
    "read_answer",
    "refusal",
    "whole_answer_seconds",
]
