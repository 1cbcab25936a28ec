"""The CSV series the harness commands read (``forecast series``, ``anomalies detect``): a file or
stdin, bounded, and the reader's notes printed the same way by both. Imports nothing heavy: those
commands must start fast."""

from __future__ import annotations

from collections.abc import Iterable

from analytics.common.env_settings import env_bytes

#: the most input read (about 250,000 rows of timestamp,value): the detector holds every row, and a
#: process stays under 300 MB resident at this size (bench/bench_input.py)
MAX_INPUT = env_bytes("LOKIFI_MAX_SERIES_BYTES", 8 * 1024 * 1024)


def read_series(input_path: str) -> tuple[str, bytes]:
    """(the name to use in messages, the bytes) of ``input_path`` (``-`` = stdin); an unreadable or too
    large input fails with exit code 3 (bad input) and a message naming it."""
    from analytics.common.compression import DamagedError
    from analytics.patterns.logread import InputError, open_stream  # stdlib only: starts fast

    source = "<stdin>" if input_path == "-" else input_path
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
        from analytics.common.sizes import human_bytes

        _fail(f"{source}: more than {human_bytes(MAX_INPUT)} of input; pass the recent history only")
    return source, data


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
