"""Compressed logs: which codec a file's first bytes name, and a stream of its content decompressed.

Rotated logs are gzip (logrotate's default), bz2, xz (``/var/log/apt/eipp.log.xz``) or zstd; the codec is
read from the content's magic bytes, never from the name (a ``.gz`` that is plain text is read as text).
Reading stays a stream: a block at a time, whatever the file's size once decompressed.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
from typing import BinaryIO

#: the longest magic below: how many bytes to look at
MAGIC_BYTES = 6
MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"))
#: the names compressed files usually end with (the content decides; the name is only stripped)
SUFFIXES = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd"}


class CompressionError(ValueError):
    """The content is compressed and cannot be read (the message names the file and the codec)."""


class DamagedError(CompressionError):
    """A compressed stream that is damaged or cut short, raised by a read: what came before was read."""


def codec_of_head(head: bytes) -> str | None:
    """``gzip`` | ``bz2`` | ``xz`` | ``zstd`` when ``head`` (a file's first bytes) starts with that
    format's magic, else ``None``."""
    for magic, name in MAGIC:
        if head.startswith(magic):
            return name
    return None


def codec_of(path: str | os.PathLike[str]) -> str | None:
    """The codec a regular file's first bytes name (``None``: not compressed, or not readable)."""
    try:
        with open(path, "rb") as f:
            return codec_of_head(f.read(MAGIC_BYTES))
    except OSError:
        return None


def decompressing(raw: BinaryIO, codec: str | None, name: str) -> BinaryIO:
    """``raw``'s content decompressed with ``codec`` (``raw`` itself when ``None``); closing the result
    closes ``raw``."""
    if codec is None:
        return raw
    if codec == "gzip":
        return _Closing(gzip.GzipFile(fileobj=raw), raw)  # type: ignore[return-value]
    if codec == "bz2":
        return _Closing(bz2.BZ2File(raw), raw)  # type: ignore[return-value]
    if codec == "xz":
        return _Closing(lzma.LZMAFile(raw), raw)  # type: ignore[return-value]
    if codec == "zstd":
        try:
            import zstandard
        except ImportError as exc:
            raw.close()
            raise CompressionError(f"{name}: zstd-compressed, and the zstandard module is not installed") from exc
        return _Closing(io.BufferedReader(_ZstdFrames(raw, zstandard)), raw)  # type: ignore[return-value]
    raw.close()
    raise CompressionError(f"{name}: unknown compression {codec!r}")


def _decompress_errors() -> tuple[type[BaseException], ...]:
    """What reading a damaged or cut compressed stream raises, for every codec above (a cut gzip or xz
    stream raises EOFError; bad data OSError / LZMAError; zstandard its own ZstdError)."""
    out: tuple[type[BaseException], ...] = (EOFError, OSError, lzma.LZMAError)
    try:
        import zstandard
    except ImportError:
        return out
    return (*out, zstandard.ZstdError)


class _Closing:
    """A decompressing reader (``decompressing`` says so) that also closes the file under it (GzipFile,
    BZ2File and LZMAFile given a file object leave it open)."""

    decompressing = True

    def __init__(self, inner, raw) -> None:
        self._inner, self._raw = inner, raw

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes decompressed; a damaged or cut stream raises :class:`DamagedError` (one type
        for every codec, never EOFError, which command-line frameworks take for an end of input)."""
        try:
            return self._inner.read(n)
        except _decompress_errors() as exc:
            raise DamagedError(f"compressed content is damaged or cut short ({exc})") from None

    def readline(self, size: int = -1) -> bytes:
        try:
            return self._inner.readline(size)
        except _decompress_errors() as exc:
            raise DamagedError(f"compressed content is damaged or cut short ({exc})") from None

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _ZstdFrames(io.RawIOBase):
    """zstd content, frame after frame, that knows when it was cut: zstandard's stream reader ends quietly
    in the middle of a frame, which would pass a truncated file off as a short one. Input is fed 8 KiB at
    a time, so one read holds at most what 8 KiB decompress to."""

    FEED = 8192

    def __init__(self, raw, zstandard) -> None:
        super().__init__()
        self._raw, self._new = raw, zstandard.ZstdDecompressor().decompressobj
        self._d = self._new()
        self._fed = False  # the current frame has had input
        self._buf, self._pos = b"", 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while self._pos >= len(self._buf):
            chunk = self._raw.read(self.FEED)
            if not chunk:
                if self._fed and not self._d.eof:
                    raise EOFError("zstd content ended in the middle of a frame")
                return 0
            out = []
            while chunk:
                if self._d.eof:  # the next frame
                    self._d, self._fed = self._new(), False
                self._fed = True
                out.append(self._d.decompress(chunk))
                chunk = self._d.unused_data if self._d.eof else b""
            self._buf, self._pos = b"".join(out), 0
        n = min(len(b), len(self._buf) - self._pos)
        b[:n] = self._buf[self._pos : self._pos + n]
        self._pos += n
        return n
