"""AI root-cause analysis commands — a stub until issue #8 lands; each says so plainly."""

from __future__ import annotations

import click

from lokifi_tui.cli.output import not_built

WHAT = "AI root-cause analysis"
ISSUE = 8


@click.command("status", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def ai_status(args: tuple[str, ...]) -> None:
    """AI root-cause analysis (not built yet)."""
    not_built(WHAT, ISSUE)


@click.command("analyze", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def ai_analyze(args: tuple[str, ...]) -> None:
    """AI root-cause analysis (not built yet)."""
    not_built(WHAT, ISSUE)


@click.command("preview", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def ai_preview(args: tuple[str, ...]) -> None:
    """AI root-cause analysis (not built yet)."""
    not_built(WHAT, ISSUE)


@click.group("cache")
def ai_cache() -> None:
    """AI root-cause analysis (not built yet)."""


@ai_cache.command("stats", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _ai_cache_stats(args: tuple[str, ...]) -> None:
    """(not built yet)"""
    not_built(WHAT, ISSUE)
