"""``lokifi locate``: where Lokifi keeps its config, data, cache and database."""

from __future__ import annotations

import click

from lokifi_tui.cli.options import json_option
from lokifi_tui.cli.output import console, inert, print_json


@click.command()
@json_option
@click.pass_context
def locate(ctx: click.Context, as_json: bool) -> None:
    """Print the paths Lokifi uses (config file, data and cache directories, database, spool, the
    dashboard's last known state)."""
    from analytics.config import paths
    from analytics.dashboard.snapshot import snapshot_path
    from lokifi_tui.cli.context import _globals

    g = _globals(ctx)
    db = paths.resolve_db(g.db)
    info = {
        "config_file": str(paths.resolve_config(g.config)),
        "config_dir": str(paths.config_dir()),
        "data_dir": str(paths.data_dir()),
        "cache_dir": str(paths.cache_dir()),
        "database": str(db),
        "spool": str(paths.spool_dir(db)),
        "last_view": str(snapshot_path(db)),
        "demo_database": str(paths.demo_db_path()),
    }
    if as_json:
        print_json(info)
        return
    width = max(len(k) for k in info)
    for k, v in info.items():
        console.print(f"{k.replace('_', ' '):<{width}}  {inert(v)}")
