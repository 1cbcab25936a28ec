"""Error-pattern commands: patterns scan/group/list/show (group's input: :mod:`lokifi_tui.cli.pattern_input`;
error record: :mod:`lokifi_tui.cli.error_record`;
fixes: :mod:`lokifi_tui.cli.fixes`).

The engine is analytics.patterns.templates / classify / patterns / learning_stats; this module only parses
options and prints. Every piece of data text (messages, templates, solutions) is printed through
``output.inert`` so Rich markup and terminal escapes in log lines stay inert. ``patterns group`` imports
nothing but the templating engine, so it starts fast and never touches the store unless ``--learn``.
"""

from __future__ import annotations

import datetime as dt
import re
import sys

import click

from lokifi_tui.cli.options import host_option, json_option
from lokifi_tui.cli.pattern_input import (
    bad_input_on_error,
    component_of,
    grouped_lines,
    input_name,
    learn_lines,
    left_out_note,
    read_input_lines,
)
from lokifi_tui.cli.pattern_mutes import mute_fields, muted_cell, mutes_of, patterns_mute, patterns_unmute

# -- lokifi patterns ------------------------------------------------------------------------------------


@click.group("patterns")
def patterns() -> None:
    """Error patterns: group lines into templates, scan log files, list the learned ones, show one, mute
    and unmute one."""


patterns.add_command(patterns_mute)
patterns.add_command(patterns_unmute)


@patterns.command("group")
@click.argument("files", nargs=-1, type=click.Path(allow_dash=True))
@click.option(
    "--raw/--content",
    "raw",
    default=False,
    help="Lines are raw log lines whose header (time, level, [component], pid) is stripped first.",
)
@click.option(
    "--learn",
    is_flag=True,
    help="Also record the lines as error events and learn them (writes the store); with --raw each at the "
    "time it was written.",
)
@click.option(
    "--component",
    default=None,
    help="Component for --learn.  [default: each FILE's name; stdin for lines on stdin]",
)
@click.option(
    "--errors",
    "errors_only",
    is_flag=True,
    help="Only lines that look like errors (level or wording, each line alone): the others print as an "
    "empty line and are neither grouped nor learned.",
)
@click.option("--templates", "show_templates", is_flag=True, help="Print the group template instead of its id.")
@click.pass_context
def patterns_group(
    ctx: click.Context,
    files: tuple[str, ...],
    raw: bool,
    learn: bool,
    component: str | None,
    errors_only: bool,
    show_templates: bool,
) -> None:
    """Read the lines of each FILE, one after the other (or of stdin); print one pattern id per line (the
    same order).

    A FILE may be compressed (gzip, bz2, xz or zstd, known by its content); without one, or with `-`,
    the lines come from stdin. The id is the first 16 hex digits of the SHA-256 of the line's group
    template. Nothing is written unless --learn is given.
    """
    out = sys.stdout.buffer
    paths = list(files) or ["-"]
    if learn:  # the lines are stored too: read them all (each line bounded)
        read = [(read_input_lines(p), component or component_of(p)) for p in paths]
        lines = [line for got, _ in read for line in got]
        from analytics.patterns.logread import error_lines

        keep = error_lines(lines) if errors_only and lines else None
        out.write(grouped_lines(lines, keep, raw, show_templates))
        out.flush()
        if lines:
            learn_lines(ctx, read, raw, keep)
        return
    # streamed: memory stays near one block of input plus the distinct templates, whatever the size
    from analytics.patterns.logread import LineStats, group_ids_bytes, group_stream, line_chunks

    stats = [LineStats() for _ in paths]
    chunks = (chunk for p, st in zip(paths, stats, strict=True) for chunk in line_chunks(p, st))
    sg = bad_input_on_error(group_stream, chunks, raw=raw, errors=errors_only)
    if show_templates:
        from lokifi_tui.cli.output import plain

        shown = [(plain(t) + "\n").encode("utf-8") for t in sg.groups] + [b"\n"]  # [-1]: a line left out
        for i in range(0, len(sg.ids), 1 << 16):
            out.write(b"".join(shown[j] for j in sg.ids[i : i + (1 << 16)]))
    else:
        out.write(group_ids_bytes(sg))
    out.flush()
    for p, st in zip(paths, stats, strict=True):
        for note in st.notes(input_name(p), empty=False):
            click.echo(f"note: {note}", err=True)
    if errors_only:
        left = sg.ids.count(-1)
        click.echo(left_out_note(len(sg.ids) - left, left), err=True)


@patterns.command("scan")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--errors", "errors_only", is_flag=True, help="Only lines that look like errors (level or wording).")
@click.option("--limit", type=click.IntRange(min=1), default=30, show_default=True, help="Patterns to show.")
@json_option
def patterns_scan(files: tuple[str, ...], errors_only: bool, limit: int, as_json: bool) -> None:
    """The patterns in log FILEs: count, type, first/last seen and an example, most frequent first.

    A FILE may be compressed (gzip, bz2, xz or zstd, as logrotate leaves them: known by its content) or
    a directory: every text file under it, rotations included (`lokifi patterns scan /var/log`).

    Nothing is stored. To learn a file's lines (they then count in `lokifi patterns list` and `lokifi ai
    learn`): `lokifi patterns group --raw --learn [--errors] --component NAME FILE`. To learn the error lines of
    the logs in a directory as they are written, add it to [watch] log_dirs (`lokifi backfill` reads
    what they already hold).
    """
    from analytics.patterns.log_scan import InputError, scan_paths
    from lokifi_tui.cli.output import BAD_INPUT, fail, print_json

    try:
        result = scan_paths(list(files), errors_only=errors_only)
    except InputError as exc:
        fail(str(exc), BAD_INPUT)
    rows = result["patterns"]
    if as_json:
        print_json(
            {
                "files": result["files"],
                "lines": result["lines"],
                "scanned": result["scanned"],
                "patterns": rows[:limit] if limit else rows,
                "total_patterns": len(rows),
                "warnings": result.get("warnings", []),
            }
        )
        return
    _print_scan(result, rows[:limit])
    if rows:
        from lokifi_tui.cli.output import err_console

        if len(rows) > limit:
            err_console.print(
                f"[dim]{limit:,} of {len(rows):,} patterns shown, the most frequent; "
                f"--limit {len(rows)} shows every one[/]",
                highlight=False,
            )
        err_console.print(
            "[dim]A scan stores nothing; to learn these lines: "
            f"lokifi patterns group --raw --learn{' --errors' * errors_only} --component NAME FILE[/]",
            highlight=False,
        )


def _print_scan(result: dict, rows: list[dict]) -> None:
    from rich.table import Table

    from analytics.patterns.logline import shown_message
    from lokifi_tui.cli.output import console, inert

    t = Table(
        title=f"{len(result['patterns'])} patterns in {result['lines']:,} lines "
        f"({len(result['files'])} file{'s' if len(result['files']) != 1 else ''})",
        expand=False,
        show_lines=False,
    )

    wide = console.width >= 200  # piped or a very wide window: whole values, as --json has them

    def when(r: dict, end: str) -> str:
        shown = _to_second(r[f"{end}_seen"]) or "-"
        place = _LINE_OF.fullmatch(shown)
        if place:  # a line of a file with no time on it: FILE:LINE, cut from the left so the name shows
            shown = f"{place.group(2)}:{place.group(1)}"
        shown = ("~" if r.get(f"{end}_seen_inferred") else "") + shown
        if not wide and len(shown) > 32:
            shown = "…" + shown[-31:] if place else shown[:31] + "…"
        return inert(shown)

    # Widths are set, not left to the table: it sized its columns by their longest words and overflowed an
    # 80-column tmux pane (87 columns, 101 at 100), each row's right border wrapping onto a line of its own.
    # Below 110 columns first and last seen share one column, one above the other.
    stacked = console.width < 110
    cells = [
        (
            r["id"],
            f"{r['count']:,}",
            r["type"],
            *([when(r, "first") + "\n" + when(r, "last")] if stacked else [when(r, "first"), when(r, "last")]),
            inert(shown_message(r["example"]), 160),  # the whole line is in --json
        )
        for r in rows
    ]
    heads = ["id", "count", "type", *(["first / last seen"] if stacked else ["first seen", "last seen"])]

    def longest(j: int, cap: int) -> int:
        return min(cap, max([len(heads[j]), *(len(x) for c in cells for x in c[j].split("\n"))]))

    seen_cap = 1000 if wide else 21
    widths = [12, longest(1, 13), longest(2, 13)] + [longest(j, seen_cap) for j in range(3, len(heads))]
    room = console.width - sum(widths) - 3 * (len(heads) + 1) - 1  # borders and a space each side of a cell
    for j, (head, w) in enumerate(zip(heads, widths, strict=True)):
        t.add_column(head, width=w, overflow="fold", no_wrap=j < 2, justify="right" if j == 1 else "left")
    t.add_column("example", overflow="fold", max_width=max(12, room), min_width=min(12, max(room, 1)))
    for c in cells:
        t.add_row(*c)
    console.print(t)
    if any(r.get("first_seen_inferred") or r.get("last_seen_inferred") for r in rows):
        console.print("[dim]~ a line without a time: the time of the last line before it that has one[/]")
    for w in result.get("warnings", []):
        console.print(f"[yellow]note:[/] {inert(w)}")


#: where a pattern was seen in a multi-file scan, when its line has no time: ``line 22 of app.log``
_LINE_OF = re.compile(r"line (\d+) of (.+)")


def _to_second(when: str | None) -> str | None:
    """A time as the log wrote it, without its fraction of a second and with a zero UTC offset written
    ``Z`` (the column has room for a date and a time to the second: ``2025-12-05T02:00:14.399Z`` ->
    ``2025-12-05T02:00:14Z``; journalctl's ``2026-12-05T10:00:00+0000`` -> ``2026-12-05T10:00:00Z``,
    postgres's ``2026-12-05 09:00:36.123 UTC`` -> ``2026-12-05 09:00:36Z``)."""
    import re

    if not when:
        return when
    when = re.sub(r"(\d{2}:\d{2}:\d{2})[.,:]\d{1,9}", r"\1", when, count=1)
    return re.sub(r"(\d{2}:\d{2}:\d{2})(?:[+-]00:?00| ?\b(?:UTC|GMT))$", r"\1Z", when)


_PATTERN_HOST = (
    "Only patterns with stored error events from this host, with its own count, first/last seen "
    "and components (fixes and confidence stay the pattern's, fleet-wide)."
)


@patterns.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=30, show_default=True)
@click.option("--type", "error_type", default=None, help="Only this error type.")
@click.option(
    "--sort", "order", type=click.Choice(["last_seen", "count", "confidence", "first_seen"]), default="last_seen"
)
@host_option(_PATTERN_HOST)
@click.option("--muted", is_flag=True, help="Only patterns muted now (on any host).")
@json_option
@click.pass_context
def patterns_list(
    ctx: click.Context, limit: int, error_type: str | None, order: str, host: str | None, muted: bool, as_json: bool
) -> None:
    """Learned patterns with count, type, confidence (and its 95% interval), auto-approval and mutes.

    With --host the --json rows carry host, host_count, host_first_seen, host_last_seen, host_components."""
    from rich import box
    from rich.table import Table

    from analytics.common.clock import utcnow
    from analytics.patterns.learning import list_patterns
    from analytics.patterns.logline import shown_message
    from lokifi_tui.cli.context import stored_store
    from lokifi_tui.cli.output import console, inert, print_json

    store = stored_store(ctx)
    now = utcnow()
    with store.shared():  # the patterns and their mutes: the file opened once
        df = list_patterns(
            store, limit=limit, order=order, error_type=error_type, host=host, muted_at=now if muted else None
        )
        mutes = mutes_of(store)
    if as_json:
        rows = df.to_dicts()
        print_json([{**r, **mute_fields(mutes, r)} for r in rows])
        return
    if df.height == 0:
        if host or error_type or muted:
            said = (" is muted now" if muted else "") + (" and" if muted and host else "")
            console.print(
                "No learned pattern"
                + (f" of type {inert(error_type)}" if error_type else "")
                + said
                + (f" has stored error events from host {inert(host)}" if host else "")
                + "."
            )
            return
        console.print(
            'No patterns learned yet. Record one with `lokifi error record "message" --component C`, '
            "or let `lokifi collect` tail your logs."
        )
        return
    rows = df.to_dicts()
    # no vertical rules, one blank between columns, the id never cut, auto-approval beside the fixes and a
    # mute before the template (as the dashboard says them): at 80 columns the template keeps room to be read
    t = Table(
        title="Learned error patterns" + (f" seen on host {inert(host)}" if host else ""),
        box=box.SIMPLE_HEAD,
        padding=0,
        show_edge=False,
    )
    t.add_column("id", no_wrap=True, min_width=12)
    t.add_column("type", overflow="ellipsis", max_width=13)
    t.add_column("count" + (" on host" if host else ""), no_wrap=True, justify="right")
    t.add_column("confidence", no_wrap=True)
    t.add_column("fixes", no_wrap=True)
    t.add_column("template", overflow="fold", min_width=20, ratio=1)
    for r in rows:
        n = (r["success_count"] or 0) + (r["failure_count"] or 0)
        count = r["host_count"] if host else r["occurrence_count"]
        # the confidence with its 95 % interval once outcomes are stored; before, the prior it starts from
        interval = f"{r['confidence_lo'] * 100:.0f}-{r['confidence_hi']:.0%}" if n else "prior"
        t.add_row(
            r["error_hash"][:12],
            r["error_type"],
            f"{count or 0:,}",
            f"{r['confidence_score']:.0%} ({interval})",
            f"{r['success_count'] or 0}/{n}" + (" auto" if r["auto_approved"] else ""),
            _muted_tag(muted_cell(mutes, r)) + inert(shown_message(r["template"] or r["error_message"]), 120),
        )
    console.print(t)


def _muted_tag(cell: str) -> str:
    """``(muted on ct-1)`` before a muted pattern's template; nothing for one not muted."""
    from lokifi_tui.cli.output import inert

    if not cell:
        return ""
    return f"[yellow](muted{'' if cell == 'yes' else ' ' + inert(cell)})[/] "


@patterns.command("show")
@click.argument("pattern")
@host_option(
    "Also this host's share of the pattern: its count, first/last seen, components and samples "
    "(refused when the pattern has no stored events from it)."
)
@json_option
@click.pass_context
def patterns_show(ctx: click.Context, pattern: str, host: str | None, as_json: bool) -> None:
    """One pattern: template, components, samples (each with the lines its server wrote with it: a
    DETAIL, a STATEMENT), solution versions, recent fixes and confidence."""
    from analytics.patterns.learning import PatternNotFound, get_pattern
    from lokifi_tui.cli.context import stored_store
    from lokifi_tui.cli.output import BAD_INPUT, console, fail, inert, print_json

    store = stored_store(ctx)
    with store.shared():  # the pattern and its mutes: the file opened once
        try:
            p = get_pattern(store, pattern, host=host)
        except PatternNotFound as exc:
            fail(str(exc), BAD_INPUT)
        ms = mutes_of(store).get(p["error_hash"], ())
    p["muted"] = "; ".join(m.describe() for m in ms) or None
    p["mutes"] = list(ms)
    if as_json:
        print_json(p)
        return
    _print_pattern(p, console, inert)


def _print_pattern(p: dict, console, inert) -> None:
    from analytics.patterns.confidence import assess
    from analytics.patterns.multiline import context_lines
    from lokifi_tui.cli.output import fit

    def when(t) -> str:
        return f"{t:%Y-%m-%d %H:%M:%S}" if isinstance(t, dt.datetime) else inert(t)

    def say(markup: str) -> None:  # wrapped at words under its label (a log line is long)
        console.print(fit(markup))

    c = assess(p["success_count"] or 0, p["failure_count"] or 0)
    say(
        f"[bold]Pattern {p['error_hash'][:12]}[/]  type: {p['error_type']}  "
        f"seen {p['occurrence_count'] or 0:,}x ({when(p['first_seen'])} .. {when(p['last_seen'])})"
    )
    say(f"  template: {inert(p['template'], 300)}")
    if "<*>" in (p["template"] or "") and p.get("error_message"):
        say(f"  example:  {inert(p['error_message'], 300)}")
    comps = ", ".join(f"{x['component']} ({x['count']})" for x in p["components"])
    say(f"  components: {inert(comps)}")
    say(f"  confidence: {inert(c.describe())}{'  [green]auto-approved[/]' if p['auto_approved'] else ''}")
    for m in p.get("mutes") or ():
        there = f" on {inert(m.host)}" if m.host else ""
        say(f"  [yellow]{inert(m.describe())}[/]: no predictions or alerts{there} (`lokifi patterns unmute` ends it)")
    if p["solution"]:
        say(f"  solution v{p['version']}: {inert(p['solution'], 500)}")

    def context(s: dict, indent: str) -> None:  # what the server wrote with it (its DETAIL, its STATEMENT)
        for line in context_lines(s.get("context")):
            say(f"{indent}{inert(line, 200)}")

    for s in p["samples"][:3]:
        say(f"  sample: {inert(s['message'], 200)}")
        context(s, "          ")
    for f in p["fixes"][:5]:
        say(f"  {when(f['applied_at'])}  {'worked' if f['success'] else 'failed'}  v{f['solution_version']}")
    if "host_count" in p:
        say(
            f"  [bold]on host {inert(p['host'])}[/]: seen {p['host_count']:,}x "
            f"({when(p['host_first_seen'])} .. {when(p['host_last_seen'])}) "
            f"in {inert(p['host_components'])}"
        )
        for s in p["host_samples"][:3]:
            say(f"    sample: {inert(s['message'], 200)}")
            context(s, "            ")
