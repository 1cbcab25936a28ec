"""What ``lokifi status`` reads from the store: each component's latest probe results and its error
counts, and a host's latest stored vitals — over all hosts together, or one host's rows only.

The live readings (psutil) are the collector's business (:mod:`analytics.sources.vitals`); this module
only reads what was stored, which is all there is for a host other than this machine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

#: the host-level vitals ``lokifi status`` shows (component ``host``, as the vitals source stores them)
VITAL_METRICS = ("cpu_percent", "load1", "memory_percent", "swap_percent")
VITALS_WITHIN = dt.timedelta(days=1)   # older readings are not "the host now"


@dataclass(frozen=True)
class ServiceState:
    probes: pl.DataFrame        # the latest result of each (component, probe)
    errors: pl.DataFrame        # per component: errors in the last hour, the last one and when
    # host given: metric -> (latest value, its time), from the last VITALS_WITHIN
    vitals: dict[str, tuple[float, dt.datetime]] = field(default_factory=dict)


def _host_sql(host: str | None, where: bool = False) -> tuple[str, list[Any]]:
    if host is None:
        return "", []
    return (" WHERE host = ?" if where else " AND host = ?"), [host]


def service_state(store: Any, now: dt.datetime, host: str | None = None) -> ServiceState:
    """Probes and errors per component (only ``host``'s rows when given) and, for a host, its latest
    stored vitals."""
    hw, hp = _host_sql(host, where=True)
    ha, _ = _host_sql(host)
    with store.read() as con:
        probes = con.sql(
            "SELECT component, probe, target, ok, status_code, elapsed_ms, error_kind, message, ts FROM ("
            " SELECT *, row_number() OVER (PARTITION BY component, probe ORDER BY ts DESC) AS rn FROM probe_results"
            f"{hw}) WHERE rn = 1 ORDER BY component, probe", params=hp or None).pl()
        errors = con.sql(
            "SELECT component, count(*) FILTER (WHERE ts > ?::TIMESTAMP - INTERVAL 1 HOUR) AS last_hour, "
            f"max(ts) AS last_ts, arg_max(message, ts) AS last_message FROM error_events WHERE true{ha} "
            "GROUP BY component", params=[now, *hp]).pl()
        vitals = {}
        if host is not None:
            rows = con.execute(
                "SELECT metric, arg_max(value, ts), max(ts) FROM metrics WHERE host = ? AND component = 'host' "
                "AND metric IN (SELECT unnest(?)) AND ts > ? AND ts <= ? GROUP BY metric",
                [host, list(VITAL_METRICS), now - VITALS_WITHIN, now]).fetchall()
            vitals = {m: (float(v), ts) for m, v, ts in rows}
    return ServiceState(probes=probes, errors=errors, vitals=vitals)
