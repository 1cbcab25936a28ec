"""Smart recommendations commands — a stub until issue #6 lands; each says so plainly."""

from __future__ import annotations

import click

from lokifi_tui.cli.output import not_built

WHAT = "Smart recommendations"
ISSUE = 6


@click.command("recommendations", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def ai_recommendations(args: tuple[str, ...]) -> None:
    """Smart recommendations (not built yet)."""
    not_built(WHAT, ISSUE)


@click.group("recs")
def recs() -> None:
    """Smart recommendations (not built yet)."""


@recs.command("list", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _recs_list(args: tuple[str, ...]) -> None:
    """(not built yet)"""
    not_built(WHAT, ISSUE)


@recs.command("apply", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _recs_apply(args: tuple[str, ...]) -> None:
    """(not built yet)"""
    not_built(WHAT, ISSUE)


@recs.command("dismiss", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _recs_dismiss(args: tuple[str, ...]) -> None:
    """(not built yet)"""
    not_built(WHAT, ISSUE)


@recs.command("snooze", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _recs_snooze(args: tuple[str, ...]) -> None:
    """(not built yet)"""
    not_built(WHAT, ISSUE)


@click.command("scan", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def scan(args: tuple[str, ...]) -> None:
    """Smart recommendations (not built yet)."""
    not_built(WHAT, ISSUE)


@click.group("clean")
def clean() -> None:
    """Smart recommendations (not built yet)."""


@clean.command("logs", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _clean_logs(args: tuple[str, ...]) -> None:
    """(not built yet)"""
    not_built(WHAT, ISSUE)


@clean.command("temp", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _clean_temp(args: tuple[str, ...]) -> None:
    """(not built yet)"""
    not_built(WHAT, ISSUE)
