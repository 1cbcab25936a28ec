"""Fleet sources: Prometheus and Loki pulled over HTTP, with their shared client, settings and status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from analytics.sources.base import BaseSource


class FleetFactory(Protocol):
    """A fleet source's ``from_config``: a source from a ``[[sources]]`` entry."""

    def __call__(self, source: Any, config: Any = None, where: str | None = None) -> BaseSource: ...


def fleet_factory(kind: str) -> FleetFactory:
    """The ``from_config`` of the fleet source named by a ``[[sources]]`` table's ``type``; KeyError if unknown."""
    if kind == "prometheus":
        from analytics.sources.fleet.prometheus import from_config as prometheus

        return prometheus
    if kind == "loki":
        from analytics.sources.fleet.loki import from_config as loki

        return loki
    raise KeyError(kind)
