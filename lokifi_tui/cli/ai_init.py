"""``lokifi ai init``: create (or migrate) the database and say where it is."""

from __future__ import annotations

import click

from lokifi_tui.cli.context import get_store
from lokifi_tui.cli.options import json_option
from lokifi_tui.cli.output import console, inert, print_json


@click.command()
@json_option
@click.pass_context
def init(ctx: click.Context, as_json: bool) -> None:
    """Initialise the learning database (safe to run again: it only applies missing migrations)."""
    store = get_store(ctx)
    version = store.schema_version()
    tables = store.tables()
    if as_json:
        print_json({"database": str(store.path), "schema_version": version, "tables": tables})
        return
    console.print(f"[green]✓[/] Lokifi database ready: {inert(store.path)}")
    console.print(f"  schema version {version}, {len(tables)} tables")
