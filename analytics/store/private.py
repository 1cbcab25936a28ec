"""Who may read what the store writes: what it creates is its user's alone; what exists keeps its mode.

The database holds raw log lines, and a log line can carry a password; the collector reads logs with
rights other users may lack (the README's systemd unit gives it the ``adm`` group). So every file and
directory Lokifi creates for a database is private to the user that runs it, whatever the umask:

* directories 0700: the data directory (and any missing parent Lokifi makes for it), the demo's
  directory, the spool, DuckDB's spill directory ``<db>.tmp``;
* files 0600: the database, its WAL, the session lock ``<db>.lock``, the collector's lock and
  hand-over request, the spool's manifests and data files.

A database that already exists keeps the mode its owner gave it (Lokifi never chmods a file it did not
create), and what the store creates beside it afterwards (its WAL, its locks) gets the same mode: a
database shared with a group on purpose stays readable by that group, WAL included. ``lokifi db info``
and ``lokifi status`` say when a database is readable by every local user (:func:`exposure`).

DuckDB creates its files itself (the database at the first open, the WAL when a session first writes,
the spill directory under memory pressure) with mode 0666 less the process umask, so a session runs
under a umask that takes away whatever the database does not grant (:func:`session_umask`). The umask is
the process's, not the thread's: a file another thread creates during a session is made at least as
private, never less.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def mkdir_private(path: Path) -> None:
    """Create directory ``path`` and every missing parent, each 0700; an existing one is left as it is."""
    missing = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir(mode=DIR_MODE)


def mode_beside(db: Path) -> int:
    """The mode for a file the store creates beside the database ``db``: 0600 for a new database, the
    database's own read/write bits for an existing one (its owner's always included)."""
    try:
        return (os.stat(db).st_mode & 0o666) | FILE_MODE
    except OSError:
        return FILE_MODE


_lock = threading.Lock()
_depth = 0
_saved = 0


@contextlib.contextmanager
def session_umask(db: Path) -> Iterator[None]:
    """Run a session on ``db`` under a umask that gives what DuckDB creates :func:`mode_beside` (and its
    directories the same, with search permission where read is granted). Nested and concurrent sessions
    (threads) share the process's umask: each adds what it takes away, the first one's is put back when
    the last ends."""
    mode = mode_beside(db)
    mask = 0o777 & ~(mode | ((mode & 0o444) >> 2))
    global _depth, _saved
    with _lock:
        current = os.umask(0o077)
        if _depth == 0:
            _saved = current
        os.umask(current | mask)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                os.umask(_saved)


def _others_reach(d: Path) -> bool:
    """Whether every local user can get to ``d``'s entries: each directory from the root down to it lets
    others search it (a database in a 0700 home is out of their reach whatever its own mode)."""
    for p in (d, *d.parents):
        try:
            if not os.stat(p).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


def exposure(db: Path) -> list[str]:
    """What about the database ``db`` other local users can read or change, in words (empty: nothing)."""
    found: list[str] = []
    if not _others_reach(db.absolute().parent):
        return found
    for p, what in ((db, "the database"), (db.with_name(db.name + ".wal"), "its WAL")):
        try:
            st = os.stat(p)
        except OSError:
            continue
        if st.st_mode & stat.S_IROTH:
            found.append(
                f"{p}: {what} is readable by every local user (mode {stat.S_IMODE(st.st_mode):04o}) and holds raw "
                f"log lines; `chmod o-rw {p}` stops that (Lokifi never changes an existing database's mode)"
            )
    try:
        st = os.stat(db.parent)
    except OSError:
        return found
    if st.st_mode & stat.S_IWOTH:
        found.append(
            f"{db.parent}: the database's directory can be written by every local user (mode "
            f"{stat.S_IMODE(st.st_mode):04o}); they can put files beside it. Keep the database in a directory "
            "only its user can write"
        )
    return found
