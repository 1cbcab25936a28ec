"""DuckDB in two layers, each loaded when it is needed, so a read command answers without the second.

The ``duckdb`` package is DuckDB's C++ extension, ``_duckdb`` (connections, ``execute``/``fetch*``,
``register``, the exception classes; about 12 ms to import here), wrapped in a Python layer that adds
the relational API (``con.sql(...)`` and its ``.pl()``), Arrow scanning and version metadata (about 130 ms
more with duckdb 2, measured by ``python -X importtime``). Importing the package attaches that layer to
the connection class, so connections already open gain it too.

``lokifi status --json``, ``recs list`` and ``ai learn`` need only the extension: their cold start is
budgeted at 0.25 s (``bench/bench_cli.py``), which the package alone nearly spends. So the store opens
connections with :data:`duckdb` below, and everything that wants the Python layer loads it first:
:func:`frame` (a query into a Polars frame) and the store's write sessions (:func:`full`). Code outside
this module never calls ``con.sql`` itself (``tests/unit/test_store_engine.py`` checks).

Where the installed duckdb has no separate extension module, :data:`duckdb` is the package itself.

A frame handed to SQL is registered on the connection for one block only (:func:`registered`), and a
writer's scratch table lives for one block only (:func:`temp_table`), whether the block's statements
succeed or fail.
"""

from __future__ import annotations

import contextlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

try:
    import _duckdb as duckdb
except ImportError:  # a duckdb without the separate extension module: the package is the extension
    import duckdb  # type: ignore[no-redef]

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    import polars as pl

__all__ = ["duckdb", "frame", "full", "registered", "temp_table"]


def full() -> ModuleType:
    """The whole ``duckdb`` package, its Python layer attached to every connection (imported once)."""
    import duckdb as package

    return package


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | dict | None = None) -> pl.DataFrame:
    """Run ``sql`` on ``con`` and return the result as a Polars frame."""
    full()
    return con.sql(sql, params=params or None).pl()


@contextlib.contextmanager
def _undone_at_end(undo: Callable[[], object]) -> Iterator[None]:
    """Run ``undo`` when the block ends, failed or not. After a failure it may fail itself (a statement
    that failed can leave the connection's transaction aborted: "transaction is aborted"); that error is
    not raised over the block's own (the rollback that follows undoes what the transaction made)."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            undo()
        raise
    undo()


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, data: Any) -> Iterator[str]:
    """``data`` (a Polars or Arrow frame) readable by ``con``'s SQL as the view ``name`` inside the block,
    and unregistered when it ends, failed or not: on a connection that goes on, a failed write leaves no
    view behind that holds its frame or answers to the next write of that name. Inside the block the name
    may be registered again (a narrowed frame); it is unregistered once, at the end."""
    con.register(name, data)
    with _undone_at_end(lambda: con.unregister(name)):
        yield name


@contextlib.contextmanager
def temp_table(con: duckdb.DuckDBPyConnection, name: str) -> Iterator[str]:
    """A temporary table ``name`` the block may create (and replace) on ``con``, dropped when the block
    ends, failed or not, as :func:`registered` unregisters its view."""
    with _undone_at_end(lambda: con.execute(f"DROP TABLE IF EXISTS {name}")):
        yield name
