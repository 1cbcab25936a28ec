"""``lokifi demo``: build the bundled demo dataset into its own database and open the dashboard."""

from __future__ import annotations

import sys

import click

from lokifi_tui.cli.options import Finite
from lokifi_tui.cli.output import console, inert
from lokifi_tui.cli.root_options import MIN_REFRESH


@click.command()
@click.option("--reset", is_flag=True, help="Rebuild the demo database from scratch.")
@click.option("--no-open", is_flag=True, help="Only build the demo database; do not open the dashboard.")
@click.option("--refresh", type=Finite(min=MIN_REFRESH), default=None, help="Dashboard refresh interval in seconds.")
@click.option("--theme", default=None, help="Dashboard theme name.")
@click.pass_context
def demo(ctx: click.Context, reset: bool, no_open: bool, refresh: float | None, theme: str | None) -> None:
    """Open the dashboard on 45 days of demo data (six services, planted incidents).

    The demo lives in its own database (see `lokifi locate`), never in yours.
    """
    from analytics.config.paths import demo_config_path, demo_db_path

    path = demo_db_path()
    if reset or not path.exists() or not demo_config_path(path).exists():
        from analytics.demo.data import build_demo

        with console.status("Building the demo database (45 days, six services)…"):
            info = build_demo(path)
        console.print(
            f"[green]✓[/] demo database: {inert(info.path)} ({info.metrics:,} metric rows, "
            f"{info.events:,} error events)"
        )
        if not no_open:
            # Building loaded the engines (polars, templating, learning: ~130 MB the dashboard never uses
            # again); the dashboard opens in a fresh process, as `lokifi demo` on a built demo does.
            from lokifi_tui.cli.entry import reopen

            reopen([a for a in sys.argv[1:] if a != "--reset"])
    from lokifi_tui.cli.dashboard import open_demo, say_demo_commands

    if no_open:
        say_demo_commands(path)
        return
    from lokifi_tui.cli.context import _globals

    open_demo(_globals(ctx), path, refresh=refresh, theme=theme)
