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

    def checked_db_path(self, *, stored: bool = False) -> Path:
        """The database file a command uses. A path given with ``--db`` (or ``LOKIFI_DB``) is a typo far
        more often than a new place, so it is checked before anything is created: its directory must exist,
        and with ``stored`` (a command that needs what is already stored: a report, a change to stored
        rows) the file too. A refusal names the path (exit 2) and creates nothing: opening the store would
        make the directories, an empty database and its lock. The platform's default path is not checked
        (a first run creates it there)."""
        path = self.db_path()
        if self.db and not path.parent.is_dir():
            from lokifi_tui.cli.output import USAGE, fail

            fail(f"{path}: the directory {path.parent} does not exist (create it, or check --db)", USAGE)
        if stored and self.db and not path.exists():
            from lokifi_tui.cli.missing_db import refuse_missing

            refuse_missing(path)
        return path

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
    """The database of a command that stores new data (it is created when missing)."""
    return _globals(ctx).checked_db_path()


def stored_db_path(ctx: click.Context) -> Path:
    """The database of a command that needs what is already stored: a ``--db`` that names no file is
    refused (:meth:`Globals.checked_db_path`)."""
    return _globals(ctx).checked_db_path(stored=True)


def get_store(ctx: click.Context):
    """The store of a command that stores new data (collect, ingest, error record...): created when missing."""
    from analytics.store.database import Store

    return Store(db_path(ctx))


def stored_store(ctx: click.Context):
    """The store of a command that reads or changes what is already stored (a report, a list, a change to
    a stored row): a ``--db`` that names no file is refused, and nothing is created."""
    from analytics.store.database import Store

    return Store(stored_db_path(ctx))


def config_path(ctx: click.Context) -> Path:
    """The config file this command reads (``--config``, ``LOKIFI_CONFIG`` or the platform's), existing or not."""
    from analytics.config.paths import resolve_config

    return resolve_config(_globals(ctx).config)


def get_config(ctx: click.Context):
    """The loaded config; its problems are printed once to stderr (a bad config never stops a command)."""
    return _globals(ctx).load_config()
