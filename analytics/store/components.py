"""The components the store knows, and the check a ``--component NAME`` filter of a report goes through.

A report filtered on a component with no rows (a typo: ``-c bakend``) would say "no issues predicted" or
"0 days of data", which reads as "all is well there"; :func:`require_component` refuses it instead, naming
the components there are. "Known" means: the component has rows in the hourly metrics rollup, the error
events, the probe results, the baselines or the predictions.
"""

from __future__ import annotations

from typing import Any

from analytics.store.hosts import unknown_name_message

COMPONENT_TABLES = ("metrics_hourly", "error_events", "probe_results", "performance_baselines", "predictions")


class UnknownComponent(LookupError):
    """A component filter names a component with no rows in the store; the message lists the known ones."""

    def __init__(self, component: str, known: list[str]) -> None:
        self.component = component
        self.known = known
        super().__init__(unknown_name_message("component", component, known))


def known_components(store: Any) -> list[str]:
    """Every component with rows in those tables, sorted."""
    sql = (
        "SELECT DISTINCT component FROM ("
        + " UNION ".join(f"SELECT DISTINCT component FROM {t}" for t in COMPONENT_TABLES)
        + ") WHERE component IS NOT NULL AND component <> '' ORDER BY component"
    )
    with store.read() as con:
        return [str(r[0]) for r in con.execute(sql).fetchall()]


def require_component(store: Any, component: str) -> str:
    """``component`` if the store has rows of it; else :class:`UnknownComponent` naming those it has."""
    known = known_components(store)
    if component not in known:
        raise UnknownComponent(component, known)
    return component
