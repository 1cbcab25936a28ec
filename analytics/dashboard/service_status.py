"""What ``lokifi status`` reads from the store: each component's latest probe results and its error
counts, and a host's latest stored vitals — one host's rows (this machine's, or a fleet host's).

The live readings (psutil) are the collector's business (:mod:`analytics.sources.vitals`); this module
only reads what was stored, which is all there is for a host other than this machine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from analytics.sources.vital_names import CPU_PERCENT, HOST_COMPONENT, LOAD1, MEMORY_PERCENT

#: the host-level vitals ``lokifi status`` shows (component ``host``, as the vitals source stores them;
#: ``swap_percent`` has no name in :mod:`analytics.sources.vital_names` yet)
VITAL_METRICS = (CPU_PERCENT, LOAD1, MEMORY_PERCENT, "swap_percent")
VITALS_WITHIN = dt.timedelta(days=1)  # older readings are not "the host now"


@dataclass(frozen=True)
class ServiceState:
    # plain rows, not frames: ``lokifi status`` answers without importing polars (~0.2 s of a cold start)
    probes: list[dict[str, Any]]  # the latest result of each (component, probe), by component and probe
    errors: dict[str, dict[str, Any]]  # component -> last_hour (count), last_ts, last_message
    # stored_vitals: metric -> (latest value, its time), from the last VITALS_WITHIN
    vitals: dict[str, tuple[float, dt.datetime]] = field(default_factory=dict)


def service_state(store: Any, now: dt.datetime, host: str, *, stored_vitals: bool = False) -> ServiceState:
    """``host``'s probes and errors per component and, with ``stored_vitals`` (a host other than this
    machine, whose live readings cannot be taken here), its latest stored vitals."""
    with store.read() as con:
        cur = con.execute(
            "SELECT component, probe, target, ok, status_code, elapsed_ms, error_kind, message, ts FROM ("
            " SELECT *, row_number() OVER (PARTITION BY component, probe ORDER BY ts DESC) AS rn FROM probe_results"
            " WHERE host = ?) WHERE rn = 1 ORDER BY component, probe",
            [host],
        )
        names = [d[0] for d in cur.description]
        probes = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        errors = {
            c: {"last_hour": int(n), "last_ts": ts, "last_message": msg}
            for c, n, ts, msg in con.execute(
                "SELECT component, count(*) FILTER (WHERE ts > ?::TIMESTAMP - INTERVAL 1 HOUR) AS last_hour, "
                "max(ts) AS last_ts, arg_max(message, ts) AS last_message FROM error_events WHERE host = ? "
                "GROUP BY component",
                [now, host],
            ).fetchall()
        }
        vitals = {}
        if stored_vitals:
            rows = con.execute(
                "SELECT metric, arg_max(value, ts), max(ts) FROM metrics WHERE host = ? AND component = ? "
                "AND metric IN (SELECT unnest(?)) AND ts > ? AND ts <= ? GROUP BY metric",
                [host, HOST_COMPONENT, list(VITAL_METRICS), now - VITALS_WITHIN, now],
            ).fetchall()
            vitals = {m: (float(v), ts) for m, v, ts in rows}
    return ServiceState(probes=probes, errors=errors, vitals=vitals)
