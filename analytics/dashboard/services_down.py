"""The services down now, for the dashboard's top bar: each component whose latest probe failed or whose
processes the collector last counted at none, with when that began.

Read from what the collector stored for this machine (probe results, and the process counts it writes with
the vitals); a failure or a recovery is written within seconds (:mod:`analytics.collect.flushing`). A
latest reading older than :data:`STALE` says nothing about now (the collector stopped, and the top bar says
so), and is left out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from analytics.sources.vital_names import PROC_COUNT

#: A reading older than this is no news of now. Probes run every few seconds and process counts are
#: written at least once a minute by default; ten minutes outlasts any interval a config is likely to set.
STALE = dt.timedelta(minutes=10)
#: How far back the start of a failure is looked for: one that began earlier shows as this long.
WINDOW = dt.timedelta(days=1)

# Per (component, probe): its readings in the window, the latest one's state and time, and the last good
# one's time; a failure began at the first reading after the last good one.
_PROBES = """
WITH r AS (SELECT component, probe, ts, ok FROM probe_results WHERE host = ? AND ts > ? AND ts <= ?),
s AS (SELECT component, probe, max(ts) AS last, arg_max(ok, ts) AS ok_now, max(ts) FILTER (WHERE ok) AS last_ok
      FROM r GROUP BY component, probe)
SELECT s.component, 'probe', min(r.ts) FROM s JOIN r ON r.component = s.component AND r.probe = s.probe
WHERE NOT s.ok_now AND s.last > ? AND (s.last_ok IS NULL OR r.ts > s.last_ok) GROUP BY s.component, s.probe
"""
_PROCESSES = """
WITH r AS (SELECT component, ts, value FROM metrics WHERE host = ? AND metric = ? AND ts > ? AND ts <= ?),
s AS (SELECT component, max(ts) AS last, arg_max(value, ts) AS now_n, max(ts) FILTER (WHERE value > 0) AS last_up
      FROM r GROUP BY component)
SELECT s.component, 'process', min(r.ts) FROM s JOIN r ON r.component = s.component
WHERE s.now_n = 0 AND s.last > ? AND (s.last_up IS NULL OR r.ts > s.last_up) GROUP BY s.component
"""


def services_down(con: Any, now: dt.datetime, host: str | None) -> tuple[tuple[str, dt.datetime], ...]:
    """(component, since) for each component of ``host`` down at ``now``: its latest probe failed or its
    processes were last counted at none, since the first such reading after its last good one (for a
    component with both, the earlier). Longest down first."""
    if not host:
        return ()
    fresh = now - STALE
    rows = con.execute(_PROBES, [host, now - WINDOW, now, fresh]).fetchall()
    rows += con.execute(_PROCESSES, [host, PROC_COUNT, now - WINDOW, now, fresh]).fetchall()
    since: dict[str, dt.datetime] = {}
    for component, _, began in rows:
        since[component] = min(began, since.get(component, began))
    return tuple(sorted(since.items(), key=lambda kv: (kv[1], kv[0])))
