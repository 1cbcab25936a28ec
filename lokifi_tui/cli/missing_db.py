"""The refusal of a ``--db`` that names no database, for a command that needs what is already stored.

``lokifi --db ~/lokfi.duckdb patterns list`` made an empty database at the misspelt path and answered
"no patterns learned yet", which reads as the truth about the real one. Such a command now says that
nothing is there, names the database file beside it that the path most likely meant, and says which
commands create one. Click-free: the quick read commands (:mod:`lokifi_tui.cli.quick`) refuse the same way.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import NoReturn

#: bytes 8-11 of a DuckDB database file
_DUCKDB_MAGIC = b"DUCK"
#: directory entries looked at for a near name (a path in a large directory such as /tmp stays quick)
_MAX_ENTRIES = 2000


def _is_duckdb(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(12)[8:12] == _DUCKDB_MAGIC
    except OSError:
        return False


def near_database(path: Path) -> Path | None:
    """The DuckDB database in ``path``'s directory whose name is closest to ``path``'s, when one is close
    enough to be the file it misspells; None otherwise."""
    names: list[str] = []
    try:
        with os.scandir(path.parent) as entries:
            for i, e in enumerate(entries):
                if i >= _MAX_ENTRIES:
                    break
                if e.name != path.name and e.is_file() and not e.name.endswith((".wal", ".lock")):
                    names.append(e.name)
    except OSError:
        return None
    for name in difflib.get_close_matches(path.name, names, n=3, cutoff=0.75):
        if _is_duckdb(os.path.join(path.parent, name)):
            return path.parent / name
    return None


def refuse_missing(path: Path) -> NoReturn:
    """Refuse (exit 2) a command that reads what is stored in ``path``, a database that does not exist."""
    from lokifi_tui.cli.output import USAGE, fail, shell_word

    near = near_database(path)
    link = f" (a link to {os.readlink(path)}, which does not exist)" if path.is_symlink() else ""
    hint = f"; did you mean {shell_word(str(near))}?" if near else "."
    fail(
        f"{path}: no database there{link}; check --db (or LOKIFI_DB){hint} Nothing was created. "
        "A database is made by the commands that store data: `lokifi collect`, `lokifi ingest FILE`, "
        "or `lokifi ai init` for an empty one.",
        USAGE,
    )
