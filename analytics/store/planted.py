"""What someone else may have put beside a database: refused before DuckDB opens it by name.

DuckDB opens the database and its WAL by name, following links, and writes into a WAL it finds: the
log lines it holds go wherever that name leads. In a directory another user can write (``--db
/tmp/x.duckdb``, a shared data directory) they could plant there

* a symbolic link as the WAL, or as a database that does not exist yet (DuckDB would create it where
  the link points);
* a hard link as the WAL, to a file of theirs (they read what is written) or of the victim's (it is
  overwritten: a ``protected_hardlinks = 0`` kernel lets anyone link root's files);
* a WAL of their own (a file they own and keep open reads every row written), or a FIFO or device (the
  open hangs or writes to the device).

A WAL Lokifi's own sessions leave (after a crash) is a regular file of one link owned by the
database's owner, this user or root (none of whom needs to plant one); anything else is refused, saying
what it is. A link to an existing database is the user's own choice and is followed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from analytics.store.errors import StoreError

_ADVICE = (
    "Lokifi does not write a database's WAL there (someone may have put it there). Remove it, and keep "
    "the database in a directory only you can write."
)


def refuse_planted(db: Path) -> None:
    """Raise :class:`StoreError` when the WAL beside ``db`` (or ``db`` itself) is not what a Lokifi
    session would have left there."""
    wal = db.with_name(db.name + ".wal")
    try:
        st = os.lstat(wal)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise StoreError(f"{wal}: cannot check it ({exc.strerror or exc}); {_ADVICE}") from None
    if st is not None:
        what = _unlike_own_wal(st, _owner(db))
        if what:
            raise StoreError(f"{wal} is {what}. {_ADVICE}")
    if db.is_symlink() and not db.exists():
        raise StoreError(
            f"{db} is a symbolic link to {os.readlink(db)}, which does not exist; Lokifi does not create a "
            "database through a link (someone may have put it there). Remove it, or point it at an existing "
            "database."
        )


def _owner(db: Path) -> int:
    """Who a WAL beside ``db`` should belong to: the database's owner, or this process for a new one."""
    try:
        return os.stat(db).st_uid
    except OSError:
        return os.geteuid()


def _unlike_own_wal(st: os.stat_result, owner: int) -> str:
    if stat.S_ISLNK(st.st_mode):
        return "a symbolic link"
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode) else "not a file"
        return f"{kind}, not a WAL"
    if st.st_nlink != 1:
        return f"a file with {st.st_nlink} hard links (another name of it may be read or be someone's file)"
    if st.st_uid not in (owner, os.geteuid(), 0):  # root's own (a crashed root session), or this user's
        return f"owned by uid {st.st_uid}, not by the database's owner (uid {owner})"
    return ""


def refuse_shared_file(fd: int, path: Path) -> None:
    """Raise :class:`StoreError` (closing ``fd``) when the file just opened at ``path`` beside the database
    is no regular file of one link: a hard link planted under a lock's name would have the lock's pid
    written over the file it shares (truncated first), wherever its other name is."""
    st = os.fstat(fd)
    what = ""
    if not stat.S_ISREG(st.st_mode):
        what = "not a regular file"
    elif st.st_nlink != 1:
        what = f"a file with {st.st_nlink} hard links (another name of it may be someone's file)"
    if what:
        os.close(fd)
        raise StoreError(
            f"{path} is {what}; Lokifi does not write it (someone may have put it there). Remove it, and keep "
            "the database in a directory only you can write."
        )


__all__ = ["refuse_planted", "refuse_shared_file"]
