"""What ``lokifi status`` reads from the store: each component's latest probe results and its error
counts, and a host's latest stored vitals — one host's rows (this machine's, or a fleet host's) — and
whether the configured Alertmanager takes the alerts (:mod:`analytics.alerts.endpoint`).

The live readings (psutil) are the collector's business (:mod:`analytics.sources.vitals`); this module
only reads what was stored, which is all there is for a host other than this machine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from analytics.alerts.endpoint import EndpointHealth, read as read_endpoint
from analytics.patterns.mutes import muted_sql
from analytics.sources.vital_names import CPU_PERCENT, HOST_COMPONENT, LOAD1, MEMORY_PERCENT

#: the host-level vitals ``lokifi status`` shows (component ``host``, as the vitals source stores them;
#: ``swap_percent`` has no name in :mod:`analytics.sources.vital_names` yet)
VITAL_METRICS = (CPU_PERCENT, LOAD1, MEMORY_PERCENT, "swap_percent")
VITALS_WITHIN = dt.timedelta(days=1)  # older readings are not "the host now"
_MUTED = muted_sql("coalesce(fingerprint, md5(message))", "host")  # an error of a pattern muted there


@dataclass(frozen=True)
class ServiceState:
    # plain rows, not frames: ``lokifi status`` answers without importing polars (~0.2 s of a cold start)
    probes: list[dict[str, Any]]  # the latest result of each (component, probe), by component and probe
    # component -> last_hour (count, muted patterns' errors left out), muted_last_hour, last_ts, last_message
    # (the last error not muted; the last muted one when every error is), last_muted
    errors: dict[str, dict[str, Any]]
    # stored_vitals: metric -> (latest value, its time), from the last VITALS_WITHIN
    vitals: dict[str, tuple[float, dt.datetime]] = field(default_factory=dict)
    # the configured Alertmanager as the last delivery found it (None: none configured, or never posted to)
    alertmanager: EndpointHealth | None = None


def service_state(
    store: Any, now: dt.datetime, host: str, *, stored_vitals: bool = False, alert_endpoint: str | None = None
) -> ServiceState:
    """``host``'s probes and errors per component and, with ``stored_vitals`` (a host other than this
    machine, whose live readings cannot be taken here), its latest stored vitals; the health of
    ``alert_endpoint`` (:func:`analytics.alerts.endpoint.configured`) when one is configured."""
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
            c: {
                "last_hour": int(n),
                "muted_last_hour": int(nm),
                "last_ts": ts if ts is not None else ts_m,
                "last_message": msg if ts is not None else msg_m,
                "last_muted": ts is None,
            }
            for c, n, nm, ts, msg, ts_m, msg_m in con.execute(
                "SELECT component, count(*) FILTER (WHERE recent AND NOT muted), "
                "count(*) FILTER (WHERE recent AND muted), "
                "max(ts) FILTER (WHERE NOT muted), arg_max(message, ts) FILTER (WHERE NOT muted), "
                "max(ts), arg_max(message, ts) "
                "FROM (SELECT component, ts, message, ts > ?::TIMESTAMP - INTERVAL 1 HOUR AS recent, "
                f"{_MUTED} AS muted FROM error_events WHERE host = ?) GROUP BY component",
                [now, now, now, host],
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
        alertmanager = read_endpoint(con, alert_endpoint)
    return ServiceState(probes=probes, errors=errors, vitals=vitals, alertmanager=alertmanager)
