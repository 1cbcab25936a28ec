"""Reading complete lines of one open file from where reading stopped: the :class:`Position` a tail keeps
(device, inode, offset, a hash of the file's head) and the :class:`LineReader` that reads on from it.

Only complete lines are read (a partial last line waits for its newline unless the file is being read to
its end for the last time), a line longer than ``max_line`` bytes is cut there and the rest of it skipped,
a CR before the newline is dropped, invalid UTF-8 is replaced. Following a path across rotation and
truncation, which decides which file and offset to read, is :mod:`analytics.sources.filetail`'s.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from typing import Any

from analytics.common.escapes import as_displayed, without_escapes

HEAD_BYTES = 1024  # a Position's head hash covers at most this many leading bytes
CHUNK = 256 * 1024  # bytes read per system call
MAX_LINE = 64 * 1024  # the default cut for an over-long line


@dataclass
class Position:
    """Where reading stopped in one file: always at a line start, or inside an over-long line (discard)."""

    dev: int
    ino: int
    offset: int
    head: str = ""  # sha1 of the first head_len bytes
    head_len: int = 0
    discard: bool = False  # inside a line longer than max_line whose start was already emitted
    # where reading this content began: 0, or where the first open without a checkpoint began — the end of
    # the file, or for an access log the first line of its last minute (what came before is not the
    # tail's: `lokifi backfill` reads it). None: unknown (older checkpoints).
    start: int | None = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Position | None:
        if not d:
            return None
        try:
            start = d.get("start")
            return cls(
                int(d["dev"]),
                int(d["ino"]),
                int(d["offset"]),
                str(d.get("head", "")),
                int(d.get("head_len", 0)),
                bool(d.get("discard", False)),
                None if start is None else int(start),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class Line:
    """One line read: its text and where it is (the file's device and inode, the offset of its first byte
    and the offset reading went on from after it)."""

    path: str
    offset: int
    text: str
    truncated: bool = False
    dev: int = 0
    ino: int = 0
    end: int = 0


def _hash(b: bytes) -> str:
    return hashlib.sha1(b, usedforsecurity=False).hexdigest()


def _decode(raw: bytes) -> str:
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    return as_displayed(without_escapes(raw.decode("utf-8", "replace").replace("\x00", "\ufffd")))


def head_of(fd: int, n: int) -> tuple[str, int]:
    """The hash and length of a file's first ``n`` bytes (what tells a truncated or replaced file apart)."""
    data = os.pread(fd, n, 0)
    return _hash(data), len(data)


class LineReader:
    """Reads complete lines from an open file descriptor from ``pos``; updates ``pos`` as it goes."""

    def __init__(self, path: str, max_line: int) -> None:
        self.path = path
        self.max_line = max_line

    def read(self, fd: int, pos: Position, out: list[Line], budget: int, *, final: bool = False) -> int:
        """Read up to ``budget`` bytes; returns bytes read. ``final``: emit a trailing partial line too."""
        buf = b""
        buf_start = pos.offset  # file offset of buf[0]
        used = 0
        while used < budget:
            chunk = os.pread(fd, min(CHUNK, budget - used), buf_start + len(buf))
            if not chunk:
                break
            used += len(chunk)
            buf += chunk
            start = 0
            while True:
                nl = buf.find(b"\n", start)
                if nl < 0:
                    break
                if pos.discard:
                    pos.discard = False
                else:
                    raw = buf[start:nl]
                    cut = len(raw) > self.max_line
                    out.append(
                        Line(
                            self.path,
                            buf_start + start,
                            _decode(raw[: self.max_line]),
                            cut,
                            pos.dev,
                            pos.ino,
                            buf_start + nl + 1,
                        )
                    )
                start = nl + 1
                pos.offset = buf_start + start
            buf = buf[start:]
            buf_start += start
            if pos.discard:
                pos.offset = buf_start + len(buf)
                buf_start = pos.offset
                buf = b""
            elif len(buf) > self.max_line:
                out.append(
                    Line(
                        self.path,
                        buf_start,
                        _decode(buf[: self.max_line]),
                        True,
                        pos.dev,
                        pos.ino,
                        buf_start + len(buf),
                    )
                )
                pos.offset = buf_start + len(buf)
                buf_start = pos.offset
                buf = b""
                pos.discard = True
        if final and buf and not pos.discard:
            out.append(Line(self.path, buf_start, _decode(buf), False, pos.dev, pos.ino, buf_start + len(buf)))
            pos.offset = buf_start + len(buf)
        return used
