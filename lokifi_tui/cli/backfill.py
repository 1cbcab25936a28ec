"""``lokifi backfill``: read the history already in the configured log files (rotated and compressed
copies too) into the store, once."""

from __future__ import annotations

import click

from lokifi_tui.cli.context import get_config, get_store
from lokifi_tui.cli.options import Finite, json_option
from lokifi_tui.cli.output import console, err_console, fit, inert, print_json


@click.command()
@click.option(
    "--days",
    type=Finite(min=0, max=36500),
    default=7.0,
    show_default=True,
    help="How far back to read (0: everything the files hold).",
)
@click.option("--no-engines", is_flag=True, help="Only import; do not refresh patterns, baselines and forecasts.")
@json_option
@click.pass_context
def backfill(ctx: click.Context, days: float, no_engines: bool, as_json: bool) -> None:
    """Import the history the configured log files already hold: each file with its rotated copies
    (.1, .gz, .bz2, .xz, .zst), oldest first, every line at its own time. Access logs become per-minute
    response time, request rate and 5xx rate of their component; other logs give their error events.
    Then patterns, baselines, predictions and forecasts are refreshed on that history.

    Run it again at any time: what was read is not read twice (a file rotated and compressed since is
    recognised by its content), and the collector's tail goes on from where backfill stopped. A larger
    --days than before reads the older part of the files already read.

    Exit status: 0 when every file was read, 3 when a file could not be read (the others are imported).
    """
    from analytics.collect.backfill import backfill as run, refresh_engines

    config = get_config(ctx)
    store = get_store(ctx)
    bar = None
    if not as_json and err_console.is_terminal:
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(
            TextColumn("backfill"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.description}"),
            console=err_console.get(),
            transient=True,
        )
    task = None

    def progress(done: int, total: int, path: str) -> None:
        nonlocal task
        if bar is None:
            return
        if task is None:
            task = bar.add_task("", total=total)
        bar.update(task, completed=done, description=inert(path[-40:]))

    if bar is not None:
        bar.start()
    try:
        report = run(store, config, days=days or None, progress=progress)
    except KeyboardInterrupt:
        if bar is not None:
            bar.stop()
        err_console.print(
            "Stopped. Every file finished is stored (each in one transaction); `lokifi backfill` again goes on "
            "from the file it was reading."
        )
        ctx.exit(130)
    finally:
        if bar is not None:
            bar.stop()
    problems = list(report.problems)
    engines = [] if no_engines or not (report.events or report.metric_rows) else refresh_engines(store, config)
    if as_json:
        print_json(
            {
                "files": [f.__dict__ for f in report.files],
                "lines": report.lines,
                "events": report.events,
                "metric_rows": report.metric_rows,
                "problems": problems,
                "engine_problems": engines,
            }
        )
    else:
        if not report.files:
            console.print(
                fit(
                    "No log files are configured. `lokifi config init --logs DIR` proposes them "
                    "(or add `logs = [...]` to a component in the config)."
                )
            )
        for f in report.files:
            if f.kind == "skipped" or not (f.lines or f.events or f.metric_rows):  # skipped, or nothing new
                console.print(fit(f"[dim]-[/] {inert(f.path)}: {inert(f.note)}"))
                continue
            span = f" ({f.first:%Y-%m-%d %H:%M} .. {f.last:%Y-%m-%d %H:%M})" if f.first and f.last else ""
            what = _n(f.metric_rows, "metric row") if f.kind == "access" else _n(f.events, "error event")
            note = f" — {inert(f.note)}" if f.note else ""
            left = []
            if f.older:
                unit = "day" if days == 1 else "days"
                left.append(f"{f.older:,} older than {days:g} {unit} (`lokifi backfill --days 0` reads them)")
            if f.untimed:
                left.append(f"{f.untimed:,} with no time written before them")
            if left:
                note += f"; {'requests' if f.kind == 'access' else 'error events'} left out: {', '.join(left)}"
            console.print(fit(f"[green]✓[/] {inert(f.path)}: {_n(f.lines, 'line')}, {what}{span}{note}"))
        if report.files:
            console.print(
                f"{report.lines:,} lines read: {report.events:,} error events, {report.metric_rows:,} metric rows."
            )
        for p in problems:
            err_console.print(f"[bold red]✗[/] {inert(p)}")
        for p in engines:
            err_console.print(f"[yellow]![/] refresh {inert(p)}")
        if report.events or report.metric_rows:
            console.print(fit("Next: `lokifi patterns list`, `lokifi ai forecast`, `lokifi ai predict`, or `lokifi`."))
    if problems:
        ctx.exit(3)


def _n(count: int, word: str) -> str:
    """``1 line``, ``2 lines``."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"
