"""Open the dashboard from the CLI (bare ``lokifi`` and ``lokifi demo``). Click-free: the bare
``lokifi`` path reaches it without importing click (:mod:`lokifi_tui.cli.entry`)."""

from __future__ import annotations

import sys
from pathlib import Path

from lokifi_tui.cli.context import Globals


def open_dashboard(
    g: Globals,
    *,
    refresh: float | None = None,
    theme: str | None = None,
    db: Path | None = None,
    demo: bool = False,
    config=None,
) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        from lokifi_tui.cli.output import UNAVAILABLE, err_console

        err_console.print(
            "The dashboard needs a terminal (stdin and stdout are not one). Every analysis is also "
            "a command: `lokifi --help`; `lokifi demo --no-open` only builds the demo database."
        )
        raise SystemExit(UNAVAILABLE)
    from analytics.config.paths import resolve_config
    from lokifi_tui.app import run_dashboard

    run_dashboard(
        db or g.db_path(),
        config=config or g.load_config(),
        refresh=refresh or g.refresh,
        theme=theme or g.theme,
        demo=demo,
        propose_setup=not demo and not g.config,
        config_file=None if demo else resolve_config(g.config),  # watched while it collects, as by `lokifi collect`
    )


def say_demo_commands(path: Path) -> Path:
    """Say how to run commands on the demo database at ``path``; its config file."""
    from analytics.config.paths import demo_config_path
    from lokifi_tui.cli.output import console, inert

    config = demo_config_path(path)
    console.print(f"  commands on the demo: lokifi --db {inert(path)} --config {inert(config)} …")
    return config


def open_demo(g: Globals, path: Path, *, refresh: float | None = None, theme: str | None = None) -> None:
    """Say how to run commands on the demo database at ``path`` (built), then open the dashboard on it
    with its own config (``lokifi demo``; the executable's click-free way in shares it)."""
    from analytics.config.settings import load_config

    config = say_demo_commands(path)
    open_dashboard(g, db=path, demo=True, refresh=refresh, theme=theme, config=load_config(config))
