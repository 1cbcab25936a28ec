"""The input of ``lokifi patterns group``: the lines of the files (or stdin) it is given, read with what a
reader should know said on stderr, and with ``--learn`` stored as error events and learned (each file's
lines under its own component, at the times that file gives them)."""

from __future__ import annotations

import datetime as dt
import os

import click


def read_input_lines(path: str) -> list[str]:
    """The lines of ``path`` (``-``: stdin), to be learned: a binary input is refused (it would be learned
    as hundreds of patterns of garbage), and what else a reader should know about it is said on stderr."""
    from analytics.patterns.logread import LineStats, looks_binary, read_lines
    from lokifi_tui.cli.output import BAD_INPUT, fail

    stats = LineStats()
    lines = bad_input_on_error(read_lines, path, stats)
    if looks_binary(stats):
        fail(
            f"{input_name(path)}: {stats.binary:,} of {stats.lines:,} line(s) hold bytes that are not text: this "
            "looks like a binary file, not a log; nothing was learned",
            BAD_INPUT,
        )
    for note in stats.notes(input_name(path), empty=False):
        click.echo(f"note: {note}", err=True)
    return lines


def input_name(path: str) -> str:
    return "stdin" if path == "-" else path


def bad_input_on_error(fn, *args, **kwargs):
    """``fn(...)``; an input that cannot be read (a device on stdin ...) fails with exit 3 and its message."""
    from analytics.patterns.logread import InputError

    try:
        return fn(*args, **kwargs)
    except InputError as exc:
        from lokifi_tui.cli.output import BAD_INPUT, fail

        fail(str(exc), BAD_INPUT)


def component_of(path: str) -> str:
    """The component lines learned from ``path`` are stored under by default: the file's name."""
    return "stdin" if path == "-" else os.path.basename(path.rstrip(os.sep)) or path


def _line_times(lines: list[str], now: dt.datetime) -> list[dt.datetime]:
    """When each raw line was written: its own time, else the last one before it (apt's stanzas), else
    now. Lines from an old file keep their dates, so they count where they happened (a week-old error is
    no recurring error today)."""
    from analytics.patterns.line_time import line_time

    out: list[dt.datetime] = []
    last: dt.datetime | None = None
    for line in lines:
        last = line_time(line, now) or last
        out.append(last or now)
    return out


def learn_lines(ctx: click.Context, read: list[tuple[list[str], str]], raw: bool) -> None:
    """Store each input's lines (``read``: its lines and their component) as error events and learn them."""
    import polars as pl

    from analytics.config.machine import this_host
    from analytics.patterns.learning import learn_from_events
    from analytics.patterns.logline import strip_headers
    from analytics.patterns.outcomes import MAX_STORED_MESSAGE
    from lokifi_tui.cli.context import get_store
    from lokifi_tui.cli.output import err_console

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    frames, blank = [], 0
    for lines, component in read:
        lines_s = pl.Series(lines, dtype=pl.String)
        msgs = strip_headers(lines_s) if raw else lines_s
        keep = pl.Series((msgs.str.strip_chars() != "").to_list(), dtype=pl.Boolean)  # a stanza break is no event
        # raw lines are stored as they are, as backfill stores them: the learning pass strips their header
        # as `patterns group --raw` does, so the ids printed are the ids learned, however long the line
        msgs = lines_s.filter(keep)
        blank += len(lines) - len(msgs)
        frames.append(
            pl.DataFrame(
                {
                    "ts": _line_times(msgs.to_list(), now) if raw else [now] * len(msgs),  # each file's own times
                    "host": this_host(),
                    "component": component,
                    "message": msgs.str.slice(0, MAX_STORED_MESSAGE),
                    "source": "patterns group --raw" if raw else "patterns group",
                },
                schema_overrides={"ts": pl.Datetime("us")},
            )
        )
    store = get_store(ctx)
    df = pl.concat(frames)
    if len(df):
        store.append("error_events", df)
    r = learn_from_events(store)
    skipped = f" ({blank} blank line{'s' * (blank != 1)} left out)" if blank else ""
    err_console.print(f"learned {r.events} lines{skipped}: {r.new_patterns} new patterns, {r.updated_patterns} updated")
