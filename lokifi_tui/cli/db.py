"""``lokifi db``: facts about the database, retention and vacuum."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from lokifi_tui.cli.context import get_config, get_store, stored_store
from lokifi_tui.cli.db_export import export
from lokifi_tui.cli.db_series import series
from lokifi_tui.cli.options import json_option, yes_option
from lokifi_tui.cli.output import BAD_INPUT, USAGE, console, fail, inert, print_json


def _confirm(question: str) -> None:
    """Ask, or refuse plainly when there is no terminal to ask on (scripts pass --yes)."""
    if not sys.stdin.isatty():
        fail("refusing without a terminal to ask on; pass --yes to confirm", USAGE)
    click.confirm(question, abort=True)


@click.group()
def db() -> None:
    """The database: info, series (the stored metric series), export (one as CSV), prune (retention), vacuum,
    flush-spool (write what was spooled while it was busy)."""


db.add_command(series)
db.add_command(export)


@db.command()
@json_option
@click.pass_context
def info(ctx: click.Context, as_json: bool) -> None:
    """Path, size, schema version and row counts."""
    from analytics.store.retention import db_info, human_bytes

    store = stored_store(ctx)
    i = db_info(store)
    if as_json:
        print_json(i)
        return
    console.print(f"[bold]database[/]       {inert(i.path)}")
    console.print(f"[bold]size[/]           {human_bytes(i.size_bytes)} (+ {human_bytes(i.wal_bytes)} WAL)")
    console.print(f"[bold]schema version[/] {i.schema_version} (this Lokifi knows up to {i.known_version})")
    waiting = i.spooled_batches - i.refused_batches
    if waiting:
        console.print(f"[bold]spooled[/]        {waiting} batch(es) waiting to be written")
    if i.refused_batches:
        console.print(f"[bold]spooled[/]        {i.refused_batches} batch(es) never applied as they are (below)")
    for w in i.warnings:
        console.print(f"[yellow]warning[/]        {inert(w)}")
    if i.oldest_metric:
        console.print(
            f"[bold]metrics span[/]   {i.oldest_metric:%Y-%m-%d %H:%M} → {i.newest_metric:%Y-%m-%d %H:%M} UTC"
        )
    t = Table(show_edge=False, box=None, pad_edge=False)
    t.add_column("table")
    t.add_column("rows", justify="right")
    for name, n in i.row_counts.items():
        t.add_row(name, f"{n:,}")
    console.print(t)


@db.command()
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@yes_option
@json_option
@click.pass_context
def prune(ctx: click.Context, dry_run: bool, yes: bool, as_json: bool) -> None:
    """Delete raw rows older than the retention settings ([retention] in the config)."""
    from analytics.alerts.endpoint import kept, owner
    from analytics.store.retention import prune as do_prune

    cfg = get_config(ctx)
    r = cfg.retention
    store = stored_store(ctx)
    days = dict(
        metrics_days=r.metrics_days,
        events_days=r.events_days,
        predictions_days=r.predictions_days,
        fix_history_days=r.fix_history_days,
    )
    # Only the endpoint records this config's deliveries made: the collector's own, when it reads another
    # file, are its (its retention drops them); a config read from no file made none.
    made_by = owner(cfg)
    endpoints = kept(cfg) if made_by else None
    counted = do_prune(store, **days, endpoints=endpoints, owner=made_by, dry_run=True)
    total = (
        counted.metrics
        + counted.error_events
        + counted.predictions
        + counted.fix_history
        + counted.alert_deliveries
        + counted.prediction_notices
        + counted.alert_endpoints
    )
    if not dry_run and total and not yes:
        _confirm(
            f"Delete {counted.metrics:,} metric rows older than {r.metrics_days} d, {counted.error_events:,} error "
            f"events older than {r.events_days} d, {counted.predictions:,} predictions older than "
            f"{r.predictions_days} d (and {counted.alert_deliveries:,} records of their alerts, resolved or "
            f"abandoned, and {counted.prediction_notices:,} of their terminal notices) and "
            f"{counted.fix_history:,} fix outcomes of replaced solutions older than "
            f"{r.fix_history_days} d"
            + (
                f", and the recorded health of {counted.alert_endpoints:,} Alertmanager endpoint(s) no longer "
                "configured"
                if counted.alert_endpoints
                else ""
            )
            + "?"
            + (
                f" ({counted.imported:,} of the metric rows and error events were imported with `lokifi ingest`.)"
                if counted.imported
                else ""
            )
        )
    result = counted if dry_run or not total else do_prune(store, **days, endpoints=endpoints, owner=made_by)
    if as_json:
        print_json(result)
        return
    verb = "would delete" if dry_run else "deleted"
    console.print(
        f"{verb} {result.metrics:,} metric rows, {result.error_events:,} error events, "
        f"{result.predictions:,} predictions, {result.alert_deliveries:,} alert records, "
        f"{result.prediction_notices:,} notice records, {result.alert_endpoints:,} endpoint records, "
        f"{result.fix_history:,} fix outcomes"
    )


@db.command()
@yes_option
@click.pass_context
def vacuum(ctx: click.Context, yes: bool) -> None:
    """Reclaim disk space (checkpoint + vacuum)."""
    from analytics.store.retention import human_bytes, vacuum as do_vacuum

    store = stored_store(ctx)
    if not yes:
        _confirm(f"Vacuum {store.path}? Other Lokifi processes wait while it runs.")
    before, after = do_vacuum(store)
    console.print(f"{human_bytes(before)} → {human_bytes(after)}")


@db.command("flush-spool")
@click.pass_context
def flush_spool(ctx: click.Context) -> None:
    """Write batches that were spooled while the database was busy, and learn the error events among them."""
    store = get_store(ctx)
    n = store.flush_spool()
    console.print(f"applied {n} spooled batch(es)")
    left = store.spooled()
    if store.problems or left:  # refused (the reasons went to stderr) or still waiting: not done
        console.print(
            f"{left} batch(es) left in the spool"
            + (f"; {len(store.problems)} problem(s) above" if store.problems else "")
            + " (`lokifi db info` lists them)"
        )
    if n:
        from analytics.patterns.learning import learn_from_events

        r = learn_from_events(store)  # a spooled `error record` says it is learned when it is written
        if r.events:
            console.print(
                f"learned {r.events} error event(s): {r.new_patterns} new patterns, {r.updated_patterns} updated"
            )
    if store.problems or left:
        raise SystemExit(BAD_INPUT)
