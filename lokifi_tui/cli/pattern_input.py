"""The input of ``lokifi patterns group``: the lines of the files (or stdin) it is given, read with what a
reader should know said on stderr, and with ``--learn`` stored as error events and learned (each file's
lines under its own component, at the times that file gives them; with ``--errors`` only the lines that
look like errors)."""

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


def left_out_note(kept: int, left: int) -> str:
    """What ``--errors`` left out, for stderr."""
    return (
        f"note: {kept:,} line{'s' * (kept != 1)} look like errors; the other {left:,} were left out "
        "(an empty line each)"
    )


def grouped_lines(lines: list[str], keep, raw: bool, show_templates: bool) -> bytes:
    """What ``patterns group`` prints for ``lines`` read whole: a line each, its group's id (or template);
    an empty line for a line ``keep`` (a Boolean array; None: every line) leaves out."""
    from analytics.patterns.templates import group
    from lokifi_tui.cli.output import plain

    kept = lines if keep is None else [ln for ln, k in zip(lines, keep, strict=True) if k]
    g = group(kept, raw=raw)
    if keep is None and not show_templates:
        return g.group_ids_bytes()
    shown = iter([plain(t) for t in g.groups.to_list()] if show_templates else g.group_ids())
    every = [True] * len(lines) if keep is None else keep
    return "".join((next(shown) if k else "") + "\n" for k in every).encode("utf-8")


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


def learn_lines(ctx: click.Context, read: list[tuple[list[str], str]], raw: bool, keep=None) -> None:
    """Store each input's lines (``read``: its lines and their component) as error events and learn them;
    with ``keep`` (a Boolean array over all the inputs' lines, in order) only the lines it keeps."""
    import polars as pl

    from analytics.config.machine import this_host
    from analytics.patterns.learning import learn_from_events
    from analytics.patterns.logline import strip_headers
    from analytics.patterns.outcomes import MAX_STORED_MESSAGE
    from lokifi_tui.cli.context import get_store
    from lokifi_tui.cli.output import err_console

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    frames, blank, left, start = [], 0, 0, 0
    for lines, component in read:
        lines_s = pl.Series(lines, dtype=pl.String)
        msgs = strip_headers(lines_s) if raw else lines_s
        # --errors: a line left out has no event, though a time it shows carries on
        chosen = pl.Series(
            keep[start : start + len(lines)] if keep is not None else [True] * len(lines), dtype=pl.Boolean
        )
        start += len(lines)
        nonblank = msgs.str.strip_chars() != ""  # a stanza break is no event
        stored = nonblank & chosen
        left += len(lines) - int(chosen.sum())
        blank += int((~nonblank & chosen).sum())
        # raw lines are stored as they are, as backfill stores them: the learning pass strips their header
        # as `patterns group --raw` does, so the ids printed are the ids learned, however long the line
        msgs = lines_s.filter(stored)
        times = pl.Series(_line_times(lines, now), dtype=pl.Datetime("us")).filter(stored) if raw else None
        frames.append(
            pl.DataFrame(
                {
                    "ts": times if raw else [now] * len(msgs),  # each file's own times
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
    why = [f"{blank} blank line{'s' * (blank != 1)}"] * bool(blank)
    why += [f"{left:,} line{'s' * (left != 1)} that do not look like errors"] * bool(left)
    skipped = f" ({' and '.join(why)} left out)" if why else ""
    err_console.print(f"learned {r.events} lines{skipped}: {r.new_patterns} new patterns, {r.updated_patterns} updated")
