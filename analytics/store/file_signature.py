"""A database file's signature: size and mtime of the file and its WAL, read with two ``stat`` calls.

It changes when anything is written, not on reads, so a dashboard can tell "nothing new" without opening
the database. Kept apart from :mod:`analytics.store.database` so checking it never imports duckdb or polars.
"""

from __future__ import annotations

import os
from pathlib import Path

Signature = tuple[int, int, int, int]


def file_signature(path: str | os.PathLike[str]) -> Signature | None:
    """``(size, mtime_ns, wal_size, wal_mtime_ns)``; None when the database file does not exist."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return None
    try:
        wal = Path(str(p) + ".wal").stat()
        w = (wal.st_size, wal.st_mtime_ns)
    except OSError:
        w = (0, 0)
    return (st.st_size, st.st_mtime_ns, *w)
