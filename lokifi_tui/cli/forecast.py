"""Performance forecasting commands — a stub until issue #5 lands; each says so plainly."""

from __future__ import annotations

import click

from lokifi_tui.cli.output import not_built

WHAT = "Performance forecasting"
ISSUE = 5


@click.group("forecast")
def forecast() -> None:
    """Performance forecasting (not built yet)."""


@forecast.command("series", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _forecast_series(args: tuple[str, ...]) -> None:
    """(not built yet)"""
    not_built(WHAT, ISSUE)


@click.command("forecast", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def ai_forecast(args: tuple[str, ...]) -> None:
    """Performance forecasting (not built yet)."""
    not_built(WHAT, ISSUE)
