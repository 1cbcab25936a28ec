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

# Each reading in the window: a probe's result (what: its name) or a process count (what: NULL; up: any
# running). Per (component, what) the latest one's state and time and the last good one's time; a failure
# began at the first reading after the last good one; a component's outage, at the earliest of its own.
_DOWN = """
WITH r AS (
  SELECT component, probe AS what, ts, ok AS up FROM probe_results WHERE host = ? AND ts > ? AND ts <= ?
  UNION ALL
  SELECT component, NULL, ts, value > 0 FROM metrics WHERE host = ? AND metric = ? AND ts > ? AND ts <= ?),
s AS (SELECT component, what, max(ts) AS last, arg_max(up, ts) AS up_now, max(ts) FILTER (WHERE up) AS last_up
      FROM r GROUP BY component, what)
SELECT s.component, min(r.ts) AS since FROM s JOIN r ON r.component = s.component AND r.what IS NOT DISTINCT FROM s.what
WHERE NOT s.up_now AND s.last > ? AND (s.last_up IS NULL OR r.ts > s.last_up)
GROUP BY s.component ORDER BY since, s.component
"""


def services_down(con: Any, now: dt.datetime, host: str | None) -> tuple[tuple[str, dt.datetime], ...]:
    """(component, since) for each component of ``host`` down at ``now``: its latest probe failed or its
    processes were last counted at none, since the first such reading after its last good one (for a
    component with both, the earlier). Longest down first."""
    if not host:
        return ()
    window = [now - WINDOW, now]
    rows = con.execute(_DOWN, [host, *window, host, PROC_COUNT, *window, now - STALE]).fetchall()
    return tuple((component, since) for component, since in rows)
