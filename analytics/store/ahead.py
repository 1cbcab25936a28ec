"""A read session opened ahead, on another thread, while a read command's command line still loads.

DuckDB takes ~40 ms to open the store's file, and a read command (``lokifi status``, ``recs list``,
``ai learn``) spends ~100 ms importing its command line before it asks for the store; done one after the
other they add up. The ``lokifi`` executable calls :func:`open_ahead` first thing for such a command: a
thread takes the session lock and opens the file exactly as :meth:`Store.read` would, and the first
session of the process on that file takes it over (:func:`take_ahead`). A write session releases it
first and opens as usual; so does a session that finds the early open failed, which then meets the same
error and reports it as always. Whatever nothing took over is released at exit.

Light at import (no DuckDB): open_ahead imports the store, on the caller's thread.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import threading
from pathlib import Path
from typing import Any


class Ahead:
    """One file's early read session: the session lock's descriptor and the open connection (both None
    when opening failed or has not finished; :func:`take_ahead` waits for it to finish)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None
        self.con: Any = None
        self.thread = threading.Thread(target=self._open, name="lokifi-store-ahead", daemon=True)

    def _open(self) -> None:
        import time

        from analytics.store.database import Store  # imported by open_ahead on the caller's thread

        store = Store(self.path)
        timeout = store.read_timeout
        deadline = time.monotonic() + timeout
        try:
            fd = store._lock_session(deadline, timeout, read_only=True)
        except BaseException:  # noqa: BLE001 — the session that takes over meets it again and reports it
            return
        try:
            con = store._open(max(deadline - time.monotonic(), 0.0), read_only=fd is None)
        except BaseException:  # noqa: BLE001 — as above
            unlock(fd)
            return
        self.fd, self.con = fd, con

    def release(self) -> None:
        """Close the connection and let the lock go (a write session comes first, or nothing took it)."""
        self.thread.join()
        if self.con is not None:
            with contextlib.suppress(Exception):
                self.con.close()
            self.con = None
            unlock(self.fd)
            self.fd = None


def unlock(fd: int | None) -> None:
    """Release and close a session lock's descriptor (None: a read-only session had none)."""
    if fd is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


_pending: dict[str, Ahead] = {}
_guard = threading.Lock()


def _key(path: Path) -> str:
    return str(path.resolve())


def open_ahead(path: str | os.PathLike[str]) -> bool:
    """Start opening a read session on the store at ``path``; False when the file does not exist (the
    command reports that itself) or one is already being opened."""
    p = Path(path).expanduser()
    if not p.is_file():
        return False
    # The store's modules (and DuckDB's extension) are imported here, on the calling thread: the thread
    # only locks and opens. Importing them there while the caller imported its command line failed now
    # and then (about one start in thirty) with a NameError inside importlib on the caller's side.
    import analytics.store.database  # noqa: F401

    key = _key(p)
    with _guard:
        if key in _pending:
            return False
        first = not _pending
        ahead = _pending[key] = Ahead(p)
    if first:
        atexit.register(release_all)
    ahead.thread.start()
    return True


def take_ahead(key: str) -> Ahead | None:
    """The early session for the file with this resolved path, once it has finished opening; None when
    there is none. The caller owns it from here (uses or releases it)."""
    with _guard:
        ahead = _pending.pop(key, None)
    if ahead is not None:
        ahead.thread.join()
    return ahead


def release_all() -> None:
    """Release every early session nothing took over (at exit)."""
    with _guard:
        left = list(_pending.values())
        _pending.clear()
    for ahead in left:
        ahead.release()
