"""The named batch writers ``Store.submit`` runs: each registered once here, under a stable name.

A write is handed to the store as a writer's *name* plus a frame and plain arguments, never as a
function, so a batch spooled while the database was busy can be applied later by any process (the
manifest records the name). A writer is ``fn(con, df, **args)`` and runs inside the store's
transaction. Its module is imported only when a batch for it is written or applied, so naming one
costs a read command nothing.

Manifests spooled before this registry named their writer ``"module:function"`` (possibly a module's
home before the capability packages, :mod:`analytics.common.moved`); those names still resolve.

No writer runs SQL text given to it: a spooled manifest is data anyone who could write the spool chose,
so single statements are spooled by name (:mod:`analytics.store.statements`). The former raw-SQL writer
(``"sql"``) is gone; :func:`is_raw_sql` recognises its manifests so the store can refuse them by name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from analytics.common.moved import current as current_module

#: Stable name -> where the writer lives ("module:function").
WRITERS: dict[str, str] = {
    "statement": "analytics.store.statements:run_statement",
    "append": "analytics.store.database:append_table",
    "metrics": "analytics.store.metrics:write_metrics",
    "events": "analytics.store.metrics:write_events",
    "collected": "analytics.store.metrics:write_collected",
    "forecasts": "analytics.forecast.stored:write_forecasts",
    "rca-outcome": "analytics.rca.analyze:write_outcome",
}
assert len(set(WRITERS.values())) == len(WRITERS), "a writer is registered under one name only"  # noqa: S101 - checks the table above

#: Writers that moved after their ``"module:function"`` was written into spool manifests.
_FORMER_PATHS = {
    "analytics.collect.loop:write_collected": "collected",
}
_BY_PATH = {path: name for name, path in WRITERS.items()} | _FORMER_PATHS
#: What older Lokifis named the writer that ran a manifest's SQL text.
_RAW_SQL = ("sql", "analytics.store.database:run_sql")


class UnknownWriter(LookupError):
    """A batch names no registered writer."""


def writer_name(name: str) -> str:
    """The stable name for ``name``: itself, or the writer a former ``"module:function"`` named."""
    if name in WRITERS:
        return name
    module, sep, attr = name.partition(":")
    if sep:
        found = _BY_PATH.get(f"{current_module(module)}:{attr}")
        if found is not None:
            return found
    raise UnknownWriter(f"no store writer is registered as {name!r}")


def quote_ident(name: str) -> str:
    """``name`` as a quoted SQL identifier: a table or column a spooled batch names (its frame's columns,
    its arguments' keys) is only ever a name, never more SQL."""
    return '"' + str(name).replace('"', '""') + '"'


def is_raw_sql(name: str) -> bool:
    """Whether ``name`` is the removed writer that ran SQL text from the manifest (never run now)."""
    module, sep, attr = name.partition(":")
    return name in _RAW_SQL or (bool(sep) and f"{current_module(module)}:{attr}" in _RAW_SQL)


def resolve_writer(name: str) -> Callable[..., Any]:
    """The writer function registered as ``name`` (or named by a former ``"module:function"``)."""
    module, _, attr = WRITERS[writer_name(name)].partition(":")
    return getattr(importlib.import_module(module), attr)
