"""Error-pattern learning commands — a stub until issue #3 lands; each says so plainly."""

from __future__ import annotations

import click

from lokifi_tui.cli.output import not_built

WHAT = "Error-pattern learning"
ISSUE = 3


@click.group("patterns")
def patterns() -> None:
    """Error-pattern learning (not built yet)."""


@patterns.command("scan", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _patterns_scan(args: tuple[str, ...]) -> None:
    """(not built yet)"""
    not_built(WHAT, ISSUE)


@patterns.command("group", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _patterns_group(args: tuple[str, ...]) -> None:
    """(not built yet)"""
    not_built(WHAT, ISSUE)


@click.group("fix")
def fix() -> None:
    """Error-pattern learning (not built yet)."""


@fix.command("suggest", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _fix_suggest(args: tuple[str, ...]) -> None:
    """(not built yet)"""
    not_built(WHAT, ISSUE)


@fix.command("record", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _fix_record(args: tuple[str, ...]) -> None:
    """(not built yet)"""
    not_built(WHAT, ISSUE)


@click.group("error")
def error() -> None:
    """Error-pattern learning (not built yet)."""


@error.command("record", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _error_record(args: tuple[str, ...]) -> None:
    """(not built yet)"""
    not_built(WHAT, ISSUE)


@click.command("autofix", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def ai_autofix(args: tuple[str, ...]) -> None:
    """Error-pattern learning (not built yet)."""
    not_built(WHAT, ISSUE)


@click.command("learn", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def ai_learn(args: tuple[str, ...]) -> None:
    """Error-pattern learning (not built yet)."""
    not_built(WHAT, ISSUE)
