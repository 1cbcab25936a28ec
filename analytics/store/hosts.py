"""The hosts the store knows, and the check every ``--host NAME`` filter goes through.

A fleet store (Prometheus, Loki, several collectors) holds rows of many hosts; the per-host tables
carry a ``host`` column. A filter on a host that has no rows would print an empty table, which reads
as "all is well on that host"; :func:`require_host` refuses it instead, naming the hosts there are.

"Known" means: the host has rows in the hourly metrics rollup, the error events, the probe results,
the baselines, the predictions or the recommendations (raw ``metrics`` rows are covered by the rollup,
which every metrics write maintains). The empty host ``''`` (the seed's "all hosts together") is not a host.
"""

from __future__ import annotations

import difflib
from typing import Any

HOST_TABLES = (
    "metrics_hourly",
    "error_events",
    "probe_results",
    "performance_baselines",
    "predictions",
    "smart_recommendations",
)
MAX_LISTED = 20


class UnknownHost(LookupError):
    """A host filter names a host with no rows in the store; the message lists the known ones."""

    def __init__(self, host: str, known: list[str]) -> None:
        self.host = host
        self.known = known
        super().__init__(_message(host, known))


def _message(host: str, known: list[str]) -> str:
    return unknown_name_message("host", host, known)


def unknown_name_message(what: str, name: str, known: list[str], where: str = "in the store") -> str:
    """Why a filter on ``what`` (host, component) named ``name`` shows nothing: the names the store knows
    (``where``: of what they are, when not of the whole store), and the nearest one when it looks like a slip."""
    if not known:
        return (
            f"no data from {what} {name!r}: the store has no rows from any {what} yet "
            "(`lokifi collect` records this machine; `lokifi sources pull` the fleet)"
        )
    shown = ", ".join(known[:MAX_LISTED]) + (f" and {len(known) - MAX_LISTED} more" if len(known) > MAX_LISTED else "")
    close = difflib.get_close_matches(name.lower(), [k.lower() for k in known], n=1, cutoff=0.6)
    hint = ""
    if close:
        hint = f"; did you mean {next(k for k in known if k.lower() == close[0])!r}?"
    return f"no data from {what} {name!r} {where}; the {what}s it knows: {shown}{hint}"


def known_hosts(store_or_con: Any) -> list[str]:
    """Every host with rows in the per-host tables, sorted. Takes a Store or an open connection."""
    sql = (
        "SELECT DISTINCT host FROM ("
        + " UNION ".join(f"SELECT DISTINCT host FROM {t}" for t in HOST_TABLES)
        + ") WHERE host IS NOT NULL AND host <> '' ORDER BY host"
    )
    if hasattr(store_or_con, "read"):
        with store_or_con.read() as con:
            rows = con.execute(sql).fetchall()
    else:
        rows = store_or_con.execute(sql).fetchall()
    return [str(r[0]) for r in rows]


def require_host(store: Any, host: str) -> str:
    """``host`` if the store has rows from it; else :class:`UnknownHost` naming the hosts it has."""
    known = known_hosts(store)
    if host not in known:
        raise UnknownHost(host, known)
    return host
