"""The named write statements: the only SQL a spooled batch can run.

A write that may be spooled (:meth:`Store.execute_named`) is handed to the store as a statement's *name*
and its parameters. When the database stays busy, the spool's manifest records that name and those
parameters — never SQL text — and the process that applies it later looks the text up here, in its own
code. So a manifest can only ever run one of these statements with bound parameters: whoever could
write into a spool cannot make the process that applies it (possibly root) run SQL of their choosing.

Before this registry a spooled statement was its SQL text (the ``"sql"`` writer). Such a manifest is
never run: the store reports it and leaves it in place (:func:`analytics.store.writers.is_raw_sql`).
Statements with no name here (tests, one-off tools) go through :meth:`Store.execute`, which writes now
or fails as busy, and is never spooled.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from analytics.store.writers import UnknownWriter

#: Statement name -> its SQL (``?`` parameters only).
STATEMENTS: dict[str, str] = {
    "kv.set": (
        "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, now()::TIMESTAMP) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
    ),
    "ingested_files.record": (
        "INSERT INTO ingested_files (sha256, path, size, kind, rows, ingested_at) "
        "VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP) "
        "ON CONFLICT (sha256) DO UPDATE SET path = excluded.path, rows = excluded.rows, "
        "ingested_at = excluded.ingested_at"
    ),
    "probe_results.prune": "DELETE FROM probe_results WHERE ts < ?",
    "error_patterns.ai_enhanced": (
        "UPDATE error_patterns SET ai_enhanced = true, ai_confidence = ? WHERE error_hash = ? AND solution = ?"
    ),
}

_SCALARS = (str, int, float, bool, dt.date, type(None))  # dt.datetime is a dt.date


class UnknownStatement(UnknownWriter):
    """A batch names no registered statement, or gives it parameters it does not take."""


def check(name: Any, params: Any) -> tuple[str, list[Any]]:
    """The statement's SQL and its parameters, when ``name`` is registered and ``params`` are as many
    plain values as it has ``?``. Raises :class:`UnknownStatement`."""
    sql = STATEMENTS.get(name) if isinstance(name, str) else None
    if sql is None:
        raise UnknownStatement(f"no store statement is registered as {name!r}")
    if not isinstance(params, (list, tuple)) or len(params) != sql.count("?"):
        raise UnknownStatement(f"statement {name!r} takes {sql.count('?')} parameters")
    if not all(isinstance(p, _SCALARS) for p in params):
        raise UnknownStatement(f"statement {name!r} takes plain values (text, numbers, times) as parameters")
    return sql, list(params)


def run_statement(con: Any, df: Any, *, name: str, params: list[Any] | None = None) -> int:
    """The writer of named statements (``"statement"``): run ``STATEMENTS[name]`` with ``params``."""
    sql, values = check(name, params or [])
    con.execute(sql, values)
    return 0
