"""What the store raises, and the first error of a failed transaction that a later one hides.

Every DuckDB (or OS) error met while using the database becomes a :class:`StoreError` that says what
happened, where and what to do (:func:`store_error`). A transaction that failed leaves its connection
saying only "transaction is aborted" to whatever comes next, so :func:`rollback` remembers the first
error per connection (:data:`causes`) and :func:`store_error` names it.
"""

from __future__ import annotations

import contextlib
import weakref
from pathlib import Path

from analytics.store.engine import duckdb


class StoreError(Exception):
    """A problem with the database file; the message says what, where and what to do."""


class StoreBusy(StoreError):
    pass


class StoreTooNew(StoreError):
    pass


class StoreCorrupt(StoreError):
    pass


class StoreFull(StoreError):
    """The disk (or quota) holding the database is full."""


class StoreReadOnly(StoreError):
    """The database or its directory cannot be written (read-only filesystem, permissions)."""


def is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.Error) and "Could not set lock" in str(exc)


_CORRUPT_WORDS = (
    "not a valid DuckDB database",
    "corrupt",
    "checksum",
    "Could not read enough bytes",
    "database has been invalidated",
    "Failed to load metadata",
    "invalid block",
)
_FULL_WORDS = ("No space left", "Disk quota exceeded", "File too large")
_READONLY_WORDS = ("Read-only file system", "read-only", "Permission denied", "read only")


def first_error(exc: BaseException) -> BaseException:
    """The earliest DuckDB/OS error ``exc`` was raised while handling (itself when there is none)."""
    first, seen = exc, 0
    ctx = exc.__context__
    while ctx is not None and seen < 20:
        if isinstance(ctx, (duckdb.Error, OSError)):
            first = ctx
        ctx, seen = ctx.__context__, seen + 1
    return first


def store_error(path: Path, exc: BaseException, cause: BaseException | None = None) -> StoreError:
    """A DuckDB (or OS) error met while using the database at ``path`` as the StoreError that says what
    happened, where, and what to do. ``cause`` is an earlier error of the same operation (the
    no-space write behind a later "transaction is aborted")."""
    if isinstance(exc, StoreError):
        return exc
    first = first_error(cause if cause is not None else exc)
    msg = str(first).strip().splitlines()[0] if str(first).strip() else type(first).__name__
    every = f"{first} {exc}"
    low = every.lower()
    if (isinstance(first, OSError) and first.errno in (28, 122, 27)) or any(w.lower() in low for w in _FULL_WORDS):
        return StoreFull(
            f"{path}: the disk holding the database is full ({msg}). Nothing already stored was "
            "lost; free some space (or `lokifi db prune`) and run the command again."
        )
    if (isinstance(first, OSError) and first.errno in (30, 13, 1)) or any(w.lower() in low for w in _READONLY_WORDS):
        return StoreReadOnly(
            f"{path}: the database cannot be written ({msg}). Read-only commands still work; "
            "run writing commands where the file and its directory are writable."
        )
    if any(w.lower() in low for w in _CORRUPT_WORDS) or isinstance(
        first, (duckdb.SerializationException, duckdb.InternalException)
    ):
        return StoreCorrupt(
            f"{path} is not a readable Lokifi database ({msg.split(': ', 1)[-1]}). "
            "Move it aside and Lokifi will create a new one, or point --db / LOKIFI_DB elsewhere."
        )
    if "newer" in low and "version" in low:
        return StoreTooNew(f"{path} was written by a newer DuckDB ({msg}). Upgrade Lokifi to open it.")
    return StoreError(f"{path}: the database failed ({msg})")


#: per open connection, the first error of its failed transaction (what a later "transaction is aborted" hides)
causes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def rollback(con: duckdb.DuckDBPyConnection, exc: BaseException) -> None:
    """Roll back after ``exc``; a rollback that fails too (the file is unwritable) never hides ``exc``,
    which is remembered as the cause of what the connection says next ("transaction is aborted")."""
    if con not in causes and isinstance(exc, (duckdb.Error, OSError)):
        causes[con] = exc
    with contextlib.suppress(Exception):
        con.execute("ROLLBACK")


def commit(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("COMMIT")
    except duckdb.Error as exc:
        rollback(con, exc)
        raise
