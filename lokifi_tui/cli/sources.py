"""Fleet sources commands — a stub until issue #10 lands; each says so plainly."""

from __future__ import annotations

import click

from lokifi_tui.cli.output import not_built

WHAT = "Fleet sources"
ISSUE = 10


@click.command("sources", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def sources(args: tuple[str, ...]) -> None:
    """Fleet sources (not built yet)."""
    not_built(WHAT, ISSUE)
