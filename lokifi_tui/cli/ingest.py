"""``lokifi ingest FILE...``: import metrics and error events from CSV, JSONL or Parquet."""

from __future__ import annotations

import click

from lokifi_tui.cli.context import get_config, get_store
from lokifi_tui.cli.options import json_option
from lokifi_tui.cli.output import BAD_INPUT, console, err_console, inert, print_json

SHOW_ERRORS = 20


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "jsonl", "parquet"]), help="Force the format (default: detect)."
)
@click.option(
    "--kind", type=click.Choice(["metrics", "events"]), help="What the rows are (default: detect from columns)."
)
@click.option("--strict", is_flag=True, help="Reject a whole file (write nothing) if any row is bad.")
@click.option("--force", is_flag=True, help="Read a file again even if this exact content was ingested before.")
@click.option("--host", help="Host for rows without one (default: this machine).")
@click.option("--component", help="Component for rows without one (e.g. a timestamp,value file).")
@click.option("--metric", help="Metric name for rows without one.")
@json_option
@click.pass_context
def ingest(
    ctx: click.Context,
    files: tuple[str, ...],
    fmt: str | None,
    kind: str | None,
    strict: bool,
    force: bool,
    host: str | None,
    component: str | None,
    metric: str | None,
    as_json: bool,
) -> None:
    """Import metrics (timestamp, component, metric, value[, host]) and error events (timestamp,
    component, message[, host, level, type]). Bad rows are reported with file, line and field and
    skipped (or, with --strict, the file is rejected). Re-ingesting a file adds nothing twice.
    A FILE may be compressed (gzip, bz2, xz, zstd: .csv.gz, .jsonl.zst) or a pipe, read once
    (`<(zcat old.csv.gz)`);
    rows over 1 MB or 10,000 fields are bad rows, devices are refused.

    Exit status: 0 when every file was read (bad rows skipped are reported), 3 when a file could not be
    ingested or was rejected by --strict.
    """
    from analytics.collect.ingest import ingest_and_learn
    from analytics.store.ingest import IngestError

    store = get_store(ctx)
    reports = []
    failed = False
    for f in files:
        try:
            r = ingest_and_learn(
                store, f, fmt=fmt, kind=kind, strict=strict, force=force, host=host, component=component, metric=metric
            )
        except IngestError as exc:
            failed = True
            reports.append({"path": f, "error": str(exc)})
            if not as_json:
                err_console.print(f"[bold red]✗[/] {inert(exc)}")
            continue
        failed = failed or r.rejected
        reports.append(r)
        if as_json:
            continue
        if r.already_ingested:
            console.print(
                f"[dim]=[/] {inert(f)}: already ingested (same content); nothing added. Use --force to re-read it."
            )
            continue
        mark = "[bold red]✗[/]" if r.rejected else ("[yellow]![/]" if r.rows_bad else "[green]✓[/]")
        kept = r.rows_valid - r.rows_routine - r.rows_written - r.rows_spooled  # stored already, or repeated
        verdict = (
            "rejected (--strict): nothing written"
            if r.rejected
            else f"{r.rows_written + r.rows_spooled:,} {r.kind} rows"
            + (f" ({kept:,} already stored or repeated in the file, not written twice)" if kept else "")
        )
        routine = (
            f", {r.rows_routine:,} not errors by their level (info, debug, a plain warning)" if r.rows_routine else ""
        )
        console.print(f"{mark} {inert(f)} ({r.format}): {verdict}; {r.rows_read:,} read, {r.rows_bad:,} bad{routine}")
        _retention_note(ctx, r)
        if r.rows_spooled:
            console.print(
                f"  {r.rows_spooled:,} rows were queued because the database was busy; they are written "
                "by the next Lokifi process that opens it (or `lokifi db flush-spool`)."
            )
        for e in r.errors[:SHOW_ERRORS]:
            console.print(f"  [red]{inert(e.file)}:{e.line}[/] {inert(e.field)}: {inert(e.message)}")
        if r.rows_bad > SHOW_ERRORS:
            console.print(f"  … and {r.rows_bad - SHOW_ERRORS:,} more bad rows")
    if as_json:
        print_json(
            [
                r
                if isinstance(r, dict)
                else {
                    "oldest": r.oldest.isoformat() if r.oldest else None,
                    "path": r.path,
                    "format": r.format,
                    "kind": r.kind,
                    "rows_read": r.rows_read,
                    "rows_valid": r.rows_valid,
                    "rows_written": r.rows_written,
                    "rows_bad": r.rows_bad,
                    "rows_routine": r.rows_routine,
                    "rows_spooled": r.rows_spooled,
                    "already_ingested": r.already_ingested,
                    "rejected": r.rejected,
                    "errors": [
                        {"file": e.file, "line": e.line, "field": e.field, "message": e.message} for e in r.errors
                    ],
                }
                for r in reports
            ]
        )
    if failed:
        raise SystemExit(BAD_INPUT)


def _retention_note(ctx: click.Context, r) -> None:
    """Say so when imported rows are older than the retention window: kept, and what would delete them."""
    import datetime as dt

    if r.oldest is None or r.rejected:
        return
    ret = get_config(ctx).retention
    days = ret.metrics_days if r.kind == "metrics" else ret.events_days
    if r.oldest < dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=days):
        console.print(
            f"  [dim]rows go back to {r.oldest:%Y-%m-%d}, older than the {days}-day retention of {r.kind}: "
            "they are kept (the collector never prunes imported rows); `lokifi db prune` would delete "
            "them, after asking.[/]"
        )
