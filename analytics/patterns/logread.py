"""Reading log text as a bounded stream: ``patterns scan`` (:mod:`analytics.patterns.log_scan`) and
``patterns group`` on inputs of any size.

* Input is read in blocks of :data:`CHUNK_BYTES`; a line longer than :data:`MAX_LINE_CHARS` is cut
  there (the rest is read past, never held) and the cut is counted, so memory stays near one block
  whatever the file's size, its longest line, or whether it ends at all (``/dev/zero``).
* A file, ``-`` (stdin), a pipe or a FIFO is read exactly once. A FIFO that nobody writes to is refused
  after :data:`PIPE_WAIT` seconds instead of hanging; devices and sockets are refused.
* Scanning and grouping run per block on the templating engine (:mod:`analytics.patterns.templates`) and merge
  the distinct templates at the end, which is what :func:`analytics.patterns.templates.group` does on one batch:
  the templates are context-free and the merge looks at the distinct templates only. Small inputs (one
  block) go through ``group`` itself.
"""

from __future__ import annotations

import os
import select
import stat
import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field

from analytics.common.env_settings import env_seconds
from analytics.common.escapes import as_displayed, without_escapes

CHUNK_BYTES = 4 << 20
MAX_LINE_CHARS = 64 << 10
#: how much of a stream's start is looked at for a \n before its lines are taken to end with \r
LINE_END_SNIFF = 64 << 10
PIPE_WAIT = env_seconds("LOKIFI_PIPE_WAIT", 30.0, allow_zero=True)


class InputError(ValueError):
    """An input that cannot be read; the message names it and says why."""


class ScanInputError(InputError):
    """A file given to ``patterns scan`` cannot be read."""


@dataclass
class LineStats:
    lines: int = 0  # physical lines read
    cut: int = 0  # lines longer than MAX_LINE_CHARS, cut there
    first_cut: int = 0
    binary: int = 0  # lines holding NUL bytes or bytes that are not UTF-8 (read with U+FFFD in their place)
    first_binary: int = 0
    damaged: str = ""  # a compressed input that ended in damage: what was read stands, this says where

    def notes(self, name: str, empty: bool = True) -> list[str]:
        """What a reader should know about the input ``name``: empty (with ``empty``), lines cut, bytes
        that are not text."""
        out = []
        if self.damaged:
            out.append(f"{name}: {self.damaged}")
        if empty and not self.lines and not self.damaged:
            out.append(f"{name}: empty")
        if self.cut:
            out.append(
                f"{name}: {self.cut:,} line(s) longer than {MAX_LINE_CHARS >> 10} KB were cut there "
                f"(the first at line {self.first_cut:,})"
            )
        if self.binary:
            most = " -- this looks like a binary file, not a log" if looks_binary(self) else ""
            out.append(
                f"{name}: {self.binary:,} of {self.lines:,} line(s) hold bytes that are not text (NUL or not "
                f"UTF-8; the first at line {self.first_binary:,}){most}"
            )
        return out


def open_stream(path: str):
    """A binary file object to read ``path`` once (``-``: stdin, not closed by the caller's ``with``),
    its content decompressed when it is gzip, bz2, xz or zstd (known by its first bytes)."""
    if path == "-":
        _refuse_device_stdin()
        return _decompressed(_Unclosed(sys.stdin.buffer), "<stdin>")
    return _decompressed(_open_file(path), path)


def _decompressed(f, name: str):
    from analytics.common.compression import MAGIC_BYTES, CompressionError, codec_of_head, decompressing

    peek = getattr(f, "peek", None)
    try:
        head = peek(MAGIC_BYTES)[:MAGIC_BYTES] if peek is not None else b""
    except OSError:
        head = b""  # the read that follows says what is wrong
    try:
        return decompressing(f, codec_of_head(head), name)
    except CompressionError as exc:
        raise InputError(str(exc)) from None


def _open_file(path: str):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is a directory; give the files in it (e.g. {path}/*)")
    fifo = stat.S_ISFIFO(st.st_mode)
    if not fifo and not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: not a regular file (a device or socket); give a file, a pipe or -")
    try:
        fd = os.open(path, os.O_RDONLY | (os.O_NONBLOCK if fifo else 0) | getattr(os, "O_CLOEXEC", 0))
    except PermissionError:
        raise InputError(f"{path}: permission denied (run as a user who can read it)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if fifo:
        poll = select.poll()
        poll.register(fd, select.POLLIN | select.POLLHUP)
        if not poll.poll(PIPE_WAIT * 1000):
            os.close(fd)
            raise InputError(f"{path}: nothing was written to this pipe in {PIPE_WAIT:g}s; is anything writing to it?")
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _refuse_device_stdin() -> None:
    """stdin redirected from a device other than a terminal or /dev/null (``< /dev/zero``) never ends."""
    try:
        st = os.fstat(sys.stdin.fileno())
    except (OSError, ValueError, AttributeError):
        return  # not a real descriptor (tests, embedding): read it as given
    if not stat.S_ISCHR(st.st_mode) or sys.stdin.isatty():
        return
    try:
        if os.path.samestat(st, os.stat(os.devnull)):
            return
    except OSError:
        pass
    raise InputError("<stdin>: a device (such as /dev/zero), not a file or a pipe; redirect a file or pipe into it")


class _Unclosed:
    def __init__(self, f) -> None:
        self.read = f.read
        self.peek = getattr(f, "peek", None)

    def close(self) -> None:
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


def line_chunks(path: str, stats: LineStats | None = None, chunk_bytes: int = CHUNK_BYTES) -> Iterator[list[str]]:
    """The lines of ``path`` (``-``: stdin) in lists of about ``chunk_bytes``, decoded as UTF-8 with bad
    bytes replaced, line ends (``\\n``, ``\\r\\n``, ``\\r``) removed, each cut to :data:`MAX_LINE_CHARS`."""
    stats = stats if stats is not None else LineStats()
    with open_stream(path) as f:
        compressed = getattr(f, "decompressing", False)
        carry = b""
        skipping = False  # inside a line already cut: read past it
        # Lines end with \n (\r\n); a \r inside one is progress written over itself. Only a stream whose
        # first LINE_END_SNIFF bytes (or all of it) hold no \n but a \r is read as ending its lines with \r (an old
        # Mac file): decided once, so the lines do not depend on where blocks happen to end.
        cr: bool | None = None
        while True:
            if compressed:
                block, damage = _read_decompressed(f, chunk_bytes)
                if damage:  # a cut or damaged .gz/.bz2/.xz/.zst (logrotate still compressing it)
                    stats.damaged = damage
            else:
                try:
                    block = f.read(chunk_bytes)
                except OSError as exc:
                    raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
            if skipping:
                nl = block.find(b"\r" if cr else b"\n")
                if nl < 0 and block:
                    continue
                skipping = False
                block = block[nl + 1 :] if nl >= 0 else b""
                if not block:
                    continue
            data = carry + block
            if cr is None:
                if b"\n" in data:
                    cr = False
                elif block and len(data) < LINE_END_SNIFF:
                    carry = data
                    continue
                else:
                    cr = b"\r" in data
            if not block:
                if data:
                    yield _decode(_split(data, cr), stats)
                return
            # a \r as the last byte may be half of a \r\n split across blocks: not a line end yet
            end = data.rfind(b"\r", 0, len(data) - 1) if cr else data.rfind(b"\n")
            if end < 0:
                if len(data) > MAX_LINE_CHARS * 4:  # a line longer than any we keep: keep its start only
                    yield _decode([data[: MAX_LINE_CHARS * 4]], stats)
                    carry, skipping = b"", True
                else:
                    carry = data
                continue
            carry = data[end + 1 :]
            yield _decode(_split(data[: end + 1], cr), stats)


#: a compressed input is read this much at a time (decompressed), so damage loses at most this much before it
DECOMPRESSED_PIECE = 256 << 10


def _read_decompressed(f, n: int) -> tuple[bytes, str]:
    """Up to ``n`` bytes of a decompressing stream and, when it ends in damage (cut short, bad data), what
    went wrong: the pieces before the damage are kept."""
    from analytics.common.compression import DamagedError

    pieces: list[bytes] = []
    got = 0
    while got < n:
        try:
            piece = f.read(min(DECOMPRESSED_PIECE, n - got))
        except DamagedError as exc:
            return b"".join(pieces), f"{exc}; read up to there"
        if not piece:
            break
        pieces.append(piece)
        got += len(piece)
    return b"".join(pieces), ""


def _split(data: bytes, cr: bool) -> list[bytes]:
    """Lines at \n (\r\n), or at \r in a stream read as ending its lines with \r. A \r left inside a line
    is read as the terminal showed it (:func:`as_displayed`, on the decoded text)."""
    data = data.replace(b"\r\n", b"\n")
    parts = data.split(b"\r" if cr else b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    return parts


def _decode(raw: list[bytes], stats: LineStats) -> list[str]:
    out = []
    for b in raw:
        try:
            s = b.decode("utf-8")
            bad = "\x00" in s
        except UnicodeDecodeError:
            s, bad = b.decode("utf-8", errors="replace"), True
        s = as_displayed(without_escapes(s))
        stats.lines += 1
        if bad:
            stats.binary += 1
            stats.first_binary = stats.first_binary or stats.lines
        if len(s) > MAX_LINE_CHARS:
            s = s[:MAX_LINE_CHARS]
            stats.cut += 1
            stats.first_cut = stats.first_cut or stats.lines
        out.append(s)
    return out


def read_lines(path: str, stats: LineStats | None = None) -> list[str]:
    """Every line of a (small) input at once; the bounds of :func:`line_chunks` apply."""
    return [ln for chunk in line_chunks(path, stats) for ln in chunk]


def looks_binary(stats: LineStats) -> bool:
    """Most lines read held bytes that are not text: a binary file, not a log."""
    return 2 * stats.binary > stats.lines


# -- patterns group ------------------------------------------------------------------------------------


@dataclass
class StreamGroups:
    """Per input line the index of its template (``ids``; -1: a line left out), the distinct templates and
    their groups."""

    ids: array = field(default_factory=lambda: array("i"))
    templates: dict[str, int] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)


def group_stream(chunks: Iterator[list[str]], raw: bool = False, errors: bool = False) -> StreamGroups:
    """:func:`analytics.patterns.templates.group` over a stream of line chunks: each chunk's context-free
    templates, then one merge over every distinct template. With ``errors`` only the lines that look like
    errors (:func:`analytics.patterns.severity.error_mask`, each line read alone) are grouped; the others
    get id -1 and have no say in the merge."""
    import numpy as np

    from analytics.patterns.fingerprint import CURRENT
    from analytics.patterns.templates import group, merge_templates

    out = StreamGroups()
    for lines in chunks:
        if not lines:
            continue
        keep = error_lines(lines) if errors else None
        kept = lines if keep is None else [ln for ln, k in zip(lines, keep, strict=True) if k]
        ids = np.full(len(lines), -1, dtype=np.int32)
        if kept:
            g = group(kept, raw=raw, merge=False)
            local = np.array(
                [out.templates.setdefault(t, len(out.templates)) for t in g.distinct_templates.to_list()],
                dtype=np.int32,
            )
            ids[slice(None) if keep is None else keep] = local[np.asarray(g.index)]
        out.ids.frombytes(ids.tobytes())
    names = list(out.templates)
    if CURRENT.merge_min_values >= 2 and names:
        mapping = merge_templates(names, CURRENT.merge_min_values, CURRENT.merge_context, CURRENT.merge_growth)
        out.groups = [mapping.get(t, t) for t in names]
    else:
        out.groups = names
    return out


def error_lines(lines: list[str]):
    """Which of ``lines`` look like errors, each read alone (a Boolean numpy array)."""
    import polars as pl

    from analytics.patterns.severity import error_mask

    return error_mask(pl.Series(lines, dtype=pl.String)).to_numpy()


def group_ids_bytes(sg: StreamGroups, length: int = 16) -> bytes:
    """One line per input line: its group's id (``length`` hex digits), or an empty line for one left out."""
    import numpy as np

    from analytics.patterns.fingerprint import fingerprint

    if not sg.ids:
        return b""
    # the last row is a line left out's: its id's place is NUL bytes, taken out below (an id is hex digits)
    table = np.frombuffer(
        b"".join(fingerprint(g)[:length].encode("ascii") + b"\n" for g in sg.groups) + b"\0" * length + b"\n",
        dtype=np.uint8,
    ).reshape(-1, length + 1)
    ids = np.frombuffer(sg.ids, dtype=np.int32)  # -1 picks the last row
    out = table[ids]
    return out.tobytes() if ids.min() >= 0 else out[out != 0].tobytes()


# -- patterns scan -------------------------------------------------------------------------------------
