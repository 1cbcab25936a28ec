"""``lokifi db series``: the metric series stored, the names ``lokifi db export COMPONENT METRIC`` takes,
with each one's readings and first and last hour, read from the hourly rollup."""

from __future__ import annotations

import click

from lokifi_tui.cli.options import component_option, host_option, json_option
from lokifi_tui.cli.output import console, inert, print_json


@click.command("series")
@host_option()
@component_option()
@json_option
@click.pass_context
def series(ctx: click.Context, host: str | None, component: str | None, as_json: bool) -> None:
    """List the stored metric series: host, component, metric, readings, hours, first and last hour (UTC),
    the names `lokifi db export COMPONENT METRIC` writes as CSV.

    Read from the hourly rollup: readings are the raw rows stored now (those retention deleted are not
    counted; their hours are, and `lokifi db export --hourly` writes their hourly means)."""
    from rich.table import Table

    from analytics.store.stored_series import list_series
    from lokifi_tui.cli.context import stored_store

    found = list_series(stored_store(ctx), host=host, component=component)
    if as_json:
        print_json(found)
        return
    if not found:
        scope = " ".join(f"{k} {v!r}" for k, v in (("host", host), ("component", component)) if v)
        console.print(f"no metric series stored{' for ' + scope if scope else ''} (only error events or probe results)")
        return
    t = Table(show_edge=False, box=None, pad_edge=False)
    for name in ("host", "component", "metric"):
        t.add_column(name)
    for name in ("readings", "hours", "first hour", "last hour"):
        t.add_column(name, justify="right")
    for s in found:
        t.add_row(
            inert(s.host),
            inert(s.component),
            inert(s.metric),
            f"{s.readings:,}",
            f"{s.hours:,}",
            f"{s.first_hour:%Y-%m-%d %H:00}",
            f"{s.last_hour:%Y-%m-%d %H:00}",
        )
    console.print(t)
    console.print(f"{len(found)} series; `lokifi db export COMPONENT METRIC [--host NAME]` writes one as CSV")
