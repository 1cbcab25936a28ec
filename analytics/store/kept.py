"""One session kept open for a command's few quick steps on the store (:meth:`Store.shared`).

Every store operation is a session of its own: the ownership and planted-file checks, the session lock,
DuckDB's open (and the schema check), and at close the checkpoint. A command that takes several quick
steps one after the other (``lokifi error record`` appends the event, learns it, reads its pattern back)
paid that for each step. Inside ``with store.shared():`` the first session of the thread opens the file as
any session does and keeps it open, the session lock held, until the block ends; every later session of
that thread on that file is nested in it, as a session inside a session always was: a cursor on the open
database with its own transaction, committed (or rolled back) when its own block ends and seen by the
next. A write session still drains the spool first; a write that finds the file busy when the kept session
is first opened is still spooled.

The lock is held for the whole block, so the collector and the dashboard wait for it meanwhile: a block
holds a command's quick steps only, never slow work (an HTTP request, a model call, a wait for a person),
and never work that waits for another thread's session on the same file (that thread would wait for the
lock until the block ends). A step that failed in the store closes the kept session: the next step opens
the file afresh. A kept session opened read-only (a read-only filesystem) serves reads only; a write in
the block opens as usual, and meets the read-only filesystem as it always does.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analytics.store.ahead import unlock
from analytics.store.engine import duckdb
from analytics.store.errors import store_error
from analytics.store.private import session_umask


class Kept:
    """The session a :meth:`Store.shared` block keeps open: the session lock's descriptor (None when the
    file was opened read-only, unlocked), the connection, and what restores the umask it runs under."""

    def __init__(self, fd: int | None, con: Any, umask: contextlib.ExitStack) -> None:
        self.fd, self.con, self._umask = fd, con, umask

    @classmethod
    def open(cls, store: Any, key: str, timeout: float, read_only: bool) -> Kept:
        """Open ``store``'s file as a session does (:meth:`Store._begin`), under the session's umask until
        it is closed."""
        umask = contextlib.ExitStack()
        umask.enter_context(session_umask(store.path))
        try:
            fd, con = store._begin(key, timeout, read_only)
            return cls(fd, con, umask)
        except BaseException:
            umask.close()
            raise

    @property
    def read_only(self) -> bool:
        return self.fd is None

    def close(self, path: Path, *, quiet: bool = False) -> None:
        """Close the connection (its checkpoint writes), let the lock go and put the umask back. An error
        of the close is raised as the store's error, unless ``quiet`` (the block already failed)."""
        try:
            self.con.close()
        except duckdb.Error as exc:
            if not quiet:
                raise store_error(path, exc) from None
        finally:
            unlock(self.fd)
            self._umask.close()


@dataclass
class Held:
    """One thread's sessions of one database file: how deep the thread is in them (a nested read inside a
    write does not wait for the lock its own thread holds), the outermost one's connection (a nested one
    is a cursor on it), how many :meth:`Store.shared` blocks it is in, and the session they keep open."""

    depth: int = 0
    con: Any = None
    blocks: int = 0
    kept: Kept | None = None


_threads = threading.local()


def held_of(key: str) -> Held:
    """This thread's :class:`Held` for the database file ``key`` (its resolved path)."""
    files: dict[str, Held] = _threads.__dict__.setdefault("files", {})
    return files.setdefault(key, Held())


@contextlib.contextmanager
def sharing(path: Path, held: Held) -> Iterator[None]:
    """:meth:`Store.shared` for the file ``path`` (``held``: this thread's sessions of it): counts the
    blocks this thread is in; the last one to end closes the kept session, if a step opened one."""
    held.blocks += 1
    failed = True
    try:
        yield
        failed = False
    finally:
        held.blocks -= 1
        kept = None if held.blocks else held.kept
        if kept is not None:
            held.kept = None
            kept.close(path, quiet=failed)
