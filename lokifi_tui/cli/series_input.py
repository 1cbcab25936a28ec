"""The CSV series the harness commands read (``forecast series``, ``anomalies detect``): a file or
stdin, bounded, and the reader's notes printed the same way by both. Imports nothing heavy: those
commands must start fast."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable

from analytics.common.env_settings import env_bytes

#: the most input read (about 250,000 rows of timestamp,value): the detector holds every row, and a
#: process stays under 300 MB resident at this size (bench/bench_input.py)
MAX_INPUT = env_bytes("LOKIFI_MAX_SERIES_BYTES", 8 * 1024 * 1024)

_UNPACK = {"gzip": "zcat", "bz2": "bzcat", "xz": "xzcat", "zstd": "zstdcat"}


def read_series(input_path: str, command: str) -> tuple[str, bytes]:
    """(the name to use in messages, the bytes) of ``input_path`` (``-`` = stdin); an unreadable or too
    large input fails with exit code 3 (bad input) and a message naming it. ``command`` is the command
    line a message suggests (``lokifi anomalies detect``)."""
    from analytics.common.compression import DamagedError
    from analytics.patterns.logread import InputError, open_stream  # stdlib only: starts fast

    source = "<stdin>" if input_path == "-" else input_path
    if input_path != "-" and os.path.isdir(input_path):
        q = shlex.quote(input_path.rstrip("/") or "/")
        loop = f'for f in {q}/*; do echo "== $f"; {command} "$f"; done'
        _fail(f"{source}: is a directory; this reads one series, so give each file: {loop}")
    try:
        # a file, -, a pipe, compressed or not; a FIFO nobody writes and devices refused
        with open_stream(input_path) as fh:
            data = fh.read(MAX_INPUT + 1)
    except InputError as exc:
        _fail(str(exc))
    except DamagedError as exc:
        _fail(f"{source}: {exc}")
    except OSError as exc:
        _fail(f"cannot read {source}: {exc.strerror or exc}")
    if len(data) > MAX_INPUT:
        _fail(_too_large(input_path, source, data, command))
    return source, data


def _too_large(input_path: str, source: str, data: bytes, command: str) -> str:
    """The refusal of more than :data:`MAX_INPUT` bytes, with a command that complies: the last rows
    that fit (at this input's row length), or the variable that raises the limit."""
    from analytics.common.compression import codec_of
    from analytics.common.sizes import human_bytes

    lines = max(1, data.count(b"\n"))
    fit = int(0.9 * lines * MAX_INPUT / len(data))  # a tenth spare: rows are not all as long
    fit = max(1, fit // 1000 * 1000 if fit >= 10_000 else fit)
    keep = f"tail -n {fit}"
    if input_path == "-":
        how = f"put `{keep} |` before `{command}`"
    else:
        codec = codec_of(input_path) if os.path.isfile(input_path) else None  # a FIFO is read once only
        q = shlex.quote(input_path)
        how = f"`{_UNPACK[codec]} {q} | {keep} | {command}`" if codec in _UNPACK else f"`{keep} {q} | {command}`"
    return (
        f"{source}: more than {human_bytes(MAX_INPUT)} of input; pass the recent history only (the last "
        f"{fit:,} rows fit: {how}), or raise the limit with LOKIFI_MAX_SERIES_BYTES (above "
        f"{human_bytes(8 * 1024 * 1024)} the process may pass 300 MB)"
    )


def print_notes(notes: Iterable[str]) -> None:
    """The reader's notes on stderr, one ``note:`` line each (both commands print them so)."""
    notes = list(notes)
    if not notes:
        return
    from lokifi_tui.cli.output import err_console, inert

    for note in notes:
        err_console.print(f"[yellow]note:[/] {inert(note)}")


def _fail(message: str) -> None:
    from lokifi_tui.cli.output import BAD_INPUT, fail

    fail(message, BAD_INPUT)
