"""Open the dashboard from the CLI (bare ``lokifi`` and ``lokifi demo``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import click

from lokifi_tui.cli.context import db_path, get_config
from lokifi_tui.cli.output import UNAVAILABLE, err_console


def open_dashboard(ctx: click.Context, *, refresh: float | None = None, theme: str | None = None,
                   db: Path | None = None, demo: bool = False, config=None) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        err_console.print("The dashboard needs a terminal (stdin and stdout are not one). Every analysis is also "
                          "a command: `lokifi --help`; `lokifi demo --no-open` only builds the demo database.")
        raise SystemExit(UNAVAILABLE)
    if importlib.util.find_spec("lokifi_tui.app") is None:
        err_console.print("The dashboard is not built yet (issue #7). Every analysis is available as a command: "
                          "`lokifi --help`.")
        raise SystemExit(UNAVAILABLE)
    from lokifi_tui.app import run_dashboard
    run_dashboard(db or db_path(ctx), config=config or get_config(ctx), refresh=refresh, theme=theme, demo=demo)
