"""Fleet sources: Prometheus and Loki pulled over HTTP, with their shared client, settings and status."""


def fleet_factory(kind: str):
    """The ``from_config`` of the fleet source named by a ``[[sources]]`` table's ``type``; KeyError if unknown."""
    if kind == "prometheus":
        from analytics.sources.fleet.prometheus import from_config
    elif kind == "loki":
        from analytics.sources.fleet.loki import from_config
    else:
        raise KeyError(kind)
    return from_config
