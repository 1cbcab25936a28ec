"""Live collection commands — a stub until issue #9 lands; each says so plainly."""

from __future__ import annotations

import click

from lokifi_tui.cli.output import not_built

WHAT = "Live collection"
ISSUE = 9


@click.command("collect", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def collect(args: tuple[str, ...]) -> None:
    """Live collection (not built yet)."""
    not_built(WHAT, ISSUE)


@click.group("config")
def config() -> None:
    """Live collection (not built yet)."""


@config.command("init", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _config_init(args: tuple[str, ...]) -> None:
    """(not built yet)"""
    not_built(WHAT, ISSUE)


@config.command("check", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _config_check(args: tuple[str, ...]) -> None:
    """(not built yet)"""
    not_built(WHAT, ISSUE)


@config.command("show", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _config_show(args: tuple[str, ...]) -> None:
    """(not built yet)"""
    not_built(WHAT, ISSUE)
