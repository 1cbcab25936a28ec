"""Predictive maintenance commands — a stub until issue #4 lands; each says so plainly."""

from __future__ import annotations

import click

from lokifi_tui.cli.output import not_built

WHAT = "Predictive maintenance"
ISSUE = 4


@click.group("anomalies")
def anomalies() -> None:
    """Predictive maintenance (not built yet)."""


@anomalies.command("detect", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _anomalies_detect(args: tuple[str, ...]) -> None:
    """(not built yet)"""
    not_built(WHAT, ISSUE)


@click.command("baselines", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def baselines(args: tuple[str, ...]) -> None:
    """Predictive maintenance (not built yet)."""
    not_built(WHAT, ISSUE)


@click.command("predict", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def ai_predict(args: tuple[str, ...]) -> None:
    """Predictive maintenance (not built yet)."""
    not_built(WHAT, ISSUE)
