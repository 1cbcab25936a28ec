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
import socket
import threading
import time
import weakref
from typing import Any

from analytics.common.env_settings import env_bytes

#: The most bytes of one answer (after decompression) Lokifi reads; more is refused, never held.
MAX_ANSWER_BYTES = env_bytes("LOKIFI_MAX_ANSWER_BYTES", 128 << 20)

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


class Sockets:
    """The sockets one client's requests opened, known through httpx's ``trace`` extension (pass
    ``{"trace": sockets.trace}`` as each request's ``extensions``; a kept-alive connection opens none)."""

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


__all__ = [
    "MAX_ANSWER_BYTES",
    "AnswerTooLarge",
    "AnswerTooSlow",
    "Deadline",
    "Sockets",
    "answer_head",
    "read_answer",
    "whole_answer_seconds",
]
