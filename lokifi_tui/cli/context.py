"""What every command gets from the root group: the database and the configuration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click


@dataclass
class Globals:
    db: str | None = None
    config: str | None = None
    refresh: float | None = None
    theme: str | None = None


def _globals(ctx: click.Context) -> Globals:
    root = ctx.find_root()
    if not isinstance(root.obj, Globals):
        root.obj = Globals()
    return root.obj


def db_path(ctx: click.Context) -> Path:
    from analytics.paths import resolve_db
    return resolve_db(_globals(ctx).db)


def get_store(ctx: click.Context):
    from analytics.store import Store
    return Store(db_path(ctx))


def get_config(ctx: click.Context):
    """The loaded config; its problems are printed once to stderr (a bad config never stops a command)."""
    from analytics.config import load_config
    g = _globals(ctx)
    cfg = getattr(g, "_config", None)
    if cfg is None:
        cfg = load_config(g.config)
        g._config = cfg  # type: ignore[attr-defined]
        if cfg.problems:
            from lokifi_tui.cli.output import err_console, inert
            for p in cfg.problems:
                err_console.print(f"[yellow]config:[/] {inert(p)}")
    return cfg
