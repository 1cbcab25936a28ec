"""The CSV series the harness commands read (``forecast series``, ``anomalies detect``): a file or
stdin, bounded. Imports nothing heavy: those commands must start fast."""

from __future__ import annotations

import sys

MAX_INPUT = 512 * 1024 * 1024


def read_series(input_path: str) -> tuple[str, bytes]:
    """(the name to use in messages, the bytes) of ``input_path`` (``-`` = stdin); an unreadable or too
    large input fails with exit code 3 (bad input) and a message naming it."""
    source = "<stdin>" if input_path == "-" else input_path
    try:
        if input_path == "-":
            data = sys.stdin.buffer.read(MAX_INPUT + 1)
        else:
            with open(input_path, "rb") as fh:
                data = fh.read(MAX_INPUT + 1)
    except OSError as exc:
        _fail(f"cannot read {source}: {exc.strerror or exc}")
    if len(data) > MAX_INPUT:
        _fail(f"{source}: more than {MAX_INPUT // (1024 * 1024)} MB of input; pass the recent history only")
    return source, data


def _fail(message: str) -> None:
    from lokifi_tui.cli.output import BAD_INPUT, fail
    fail(message, BAD_INPUT)
