"""Where Lokifi keeps its files: config, data (the DuckDB store), cache, spool.

Precedence for the database: ``--db`` > ``$LOKIFI_DB`` > the platform data directory. The config file:
``--config`` > ``$LOKIFI_CONFIG`` > the platform config directory. ``$LOKIFI_HOME`` (used by tests and
by people who want everything in one folder) moves the data, config and cache directories under it.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "lokifi"


def _home() -> Path | None:
    home = os.environ.get("LOKIFI_HOME")
    return Path(home).expanduser() if home else None


def data_dir() -> Path:
    home = _home()
    if home:
        return home / "data"
    import platformdirs  # not imported when --db / --config / LOKIFI_* say where

    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    home = _home()
    if home:
        return home / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def cache_dir() -> Path:
    home = _home()
    if home:
        return home / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def resolve_db(db: str | os.PathLike[str] | None = None) -> Path:
    if db:
        return Path(db).expanduser()
    env = os.environ.get("LOKIFI_DB")
    if env:
        return Path(env).expanduser()
    return data_dir() / "lokifi.duckdb"


def resolve_config(path: str | os.PathLike[str] | None = None) -> Path:
    if path:
        return Path(path).expanduser()
    env = os.environ.get("LOKIFI_CONFIG")
    if env:
        return Path(env).expanduser()
    return config_dir() / "lokifi.toml"


def demo_db_path() -> Path:
    return data_dir() / "demo" / "demo.duckdb"


def demo_config_path(db_path: str | os.PathLike[str]) -> Path:
    """The demo's own config file, beside its database: its host name and watched directories."""
    return Path(db_path).with_name("lokifi.toml")


def spool_dir(db_path: str | os.PathLike[str]) -> Path:
    """Batches that could not be written while another process held the database wait here."""
    p = Path(db_path)
    return p.with_name(p.name + ".spool")
