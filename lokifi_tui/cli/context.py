"""What every command gets from the root group: the database and the configuration.

Click-free at import: the bare ``lokifi`` path (:mod:`lokifi_tui.cli.entry`) builds a :class:`Globals`
without click and opens the dashboard from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import click


@dataclass
class Globals:
    db: str | None = None
    config: str | None = None
    refresh: float | None = None
    theme: str | None = None
    _loaded: Any = field(default=None, repr=False, compare=False)

    def db_path(self) -> Path:
        from analytics.config.paths import resolve_db

        return resolve_db(self.db)

    def load_config(self):
        """The loaded config; its problems are printed once to stderr (a bad config never stops a command)."""
        from analytics.config.settings import load_config

        if self._loaded is None:
            self._loaded = load_config(self.config)
            if self._loaded.problems:
                from lokifi_tui.cli.output import err_console, inert

                for p in self._loaded.problems[:20]:
                    err_console.print(f"[yellow]config:[/] {inert(p)}")
                if len(self._loaded.problems) > 20:
                    err_console.print(
                        f"[yellow]config:[/] … and {len(self._loaded.problems) - 20:,} more "
                        "(`lokifi config check` lists them)"
                    )
        return self._loaded


def _globals(ctx: click.Context) -> Globals:
    root = ctx.find_root()
    if not isinstance(root.obj, Globals):
        root.obj = Globals()
    return root.obj


def db_path(ctx: click.Context) -> Path:
    path = _globals(ctx).db_path()
    if _globals(ctx).db and not path.parent.is_dir():
        # a path given by --db whose directory does not exist is a typo far more often than a new place:
        # say so, and create nothing (every command would make the directories, a database and its locks)
        from lokifi_tui.cli.output import USAGE, fail

        fail(f"{path}: the directory {path.parent} does not exist (create it, or check --db)", USAGE)
    return path


def get_store(ctx: click.Context):
    from analytics.store.database import Store

    return Store(db_path(ctx))


def config_path(ctx: click.Context) -> Path:
    """The config file this command reads (``--config``, ``LOKIFI_CONFIG`` or the platform's), existing or not."""
    from analytics.config.paths import resolve_config

    return resolve_config(_globals(ctx).config)


def get_config(ctx: click.Context):
    """The loaded config; its problems are printed once to stderr (a bad config never stops a command)."""
    return _globals(ctx).load_config()
