"""Per-source status of the fleet sources (Prometheus, Loki): what state each is in and how fresh it is.

Owns:

* :class:`FleetHealth` — the live, per-source record a fleet source keeps: its state (``up``, ``slow``,
  ``down``, ``4xx``, ``5xx``, ``partial``; ``never`` before the first poll), the last message, last
  attempt and last success, request latency, the server's clock skew, the hosts seen in the last data,
  how far the data goes (``data_until``), consecutive failures and when the next retry is due
  (exponential backoff across polls, so a dead server is not hammered).
* Persistence *through the checkpoints*: the record is written as the checkpoint key ``_status`` of its
  source, so the collector stores it in the same transaction as the rows and positions (no extra write
  path, and it survives restarts). :func:`read_statuses` reads it back for ``lokifi sources`` and the
  dashboard header; :func:`fleet_summary` adds the number of hosts reporting.
* Clock skew: :func:`measure_skew` compares the server's clock to ours. The sources compute their query
  windows on the *server's* clock, so a host whose clock runs ahead never asks for data that does not
  exist yet and checkpoints past it (which would lose it), and one that runs behind never stalls.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any

STATUS_KEY = "_status"
UP, SLOW, DOWN, CLIENT, SERVER, PARTIAL, NEVER = "up", "slow", "down", "4xx", "5xx", "partial", "never"
#: States worth a warning: not delivering (down, 4xx, 5xx, tls) or delivering badly (slow, partial).
FAILING = {DOWN, CLIENT, SERVER, PARTIAL, SLOW, "tls"}
#: Skew beyond this many seconds is reported (the windows are corrected whatever its size).
SKEW_WARN = 5.0
#: How long without a successful poll before an ``up`` source is shown as stale.
STALE_AFTER = 300.0

EPOCH = dt.datetime(1970, 1, 1)


def to_epoch(t: dt.datetime) -> float:
    """Seconds since the epoch for a naive-UTC (or aware) datetime."""
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC).replace(tzinfo=None)
    return (t - EPOCH).total_seconds()


def from_epoch(s: float) -> dt.datetime:
    """Naive UTC datetime for epoch seconds (microsecond precision)."""
    return EPOCH + dt.timedelta(microseconds=round(s * 1e6))


def measure_skew(server_time: float | None, sent: float, received: float) -> float | None:
    """Server clock minus ours, in seconds, from a response's server time and our send/receive times."""
    if server_time is None:
        return None
    return server_time - (sent + received) / 2


@dataclass
class FleetHealth:
    kind: str
    state: str = NEVER
    message: str = ""
    last_attempt: float | None = None  # epoch seconds (our clock)
    last_success: float | None = None
    latency_ms: float | None = None
    skew_s: float | None = None
    hosts: list[str] = field(default_factory=list)
    data_until: float | None = None  # newest data point stored, server clock
    failures: int = 0
    retry_at: float | None = None  # epoch seconds (our clock)
    rows_last: int = 0
    notes: list[str] = field(default_factory=list)

    # -- transitions ------------------------------------------------------------------------------

    def succeeded(self, now: float, state: str, message: str = "") -> None:
        self.state = state
        self.message = message
        self.last_attempt = now
        self.last_success = now
        self.failures = 0
        self.retry_at = None

    def failed(self, now: float, state: str, message: str, interval: float, max_backoff: float) -> None:
        """Record a failure and schedule the next try: interval × 2^(failures-1), capped."""
        self.state = state
        self.message = message
        self.last_attempt = now
        self.failures += 1
        delay = min(max_backoff, interval * (2 ** (self.failures - 1)))
        self.retry_at = now + delay

    def reached(self, until: float) -> None:
        """Data up to ``until`` (epoch seconds, the server's clock) is stored."""
        self.data_until = max(self.data_until or 0.0, until)

    def due(self, now: float) -> bool:
        return self.retry_at is None or now >= self.retry_at

    # -- (de)serialisation ------------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None, kind: str) -> FleetHealth:
        h = cls(kind=kind)
        if not text:
            return h
        try:
            raw = json.loads(text)
        except ValueError:
            return h
        if not isinstance(raw, dict):
            return h
        for k, v in raw.items():
            if k in h.__dataclass_fields__ and k != "kind":
                setattr(h, k, v)
        # A restart starts retrying at once, whatever the previous process had scheduled.
        h.retry_at = None
        return h

    # -- presentation -----------------------------------------------------------------------------

    def freshness(self, now: float) -> float | None:
        """Seconds between now (server clock, if the skew is known) and the newest data point."""
        if self.data_until is None:
            return None
        return max(0.0, now + (self.skew_s or 0.0) - self.data_until)

    def display_state(self, now: float) -> str:
        """The state a person sees: adds ``stale`` when nothing succeeded for a while."""
        if (
            self.state in (UP, SLOW, PARTIAL)
            and self.last_success is not None
            and now - self.last_success > STALE_AFTER
        ):
            return "stale"
        return self.state

    def skew_note(self) -> str:
        if self.skew_s is None or abs(self.skew_s) < SKEW_WARN:
            return ""
        side = "ahead of" if self.skew_s > 0 else "behind"
        return f"server clock {abs(self.skew_s):.0f}s {side} ours (windows use the server's clock)"


def _rows(db: Any, sql: str, params: list[Any]) -> list[tuple]:
    """Rows from a :class:`~analytics.store.database.Store` or from an open DuckDB connection (``store.read()``)."""
    if hasattr(db, "submit"):
        return list(db.query(sql, params).iter_rows())
    return db.execute(sql, params).fetchall()


def read_statuses(db: Any, names: list[tuple[str, str]] | None = None) -> dict[str, FleetHealth]:
    """The stored status of every fleet source (``names``: (name, kind) of the configured ones).

    ``db`` is a Store or a connection already open (the dashboard's read model passes its ``con``).
    """
    out: dict[str, FleetHealth] = {}
    try:
        rows = _rows(db, "SELECT source, position FROM source_checkpoints WHERE key = ?", [STATUS_KEY])
    except Exception:  # noqa: BLE001 - a store problem shows as "never polled", it must not break a view
        rows = []
    if rows:
        for source, position in rows:
            kind = ""
            try:
                kind = json.loads(position or "{}").get("kind", "")
            except (ValueError, AttributeError):
                pass
            out[source] = FleetHealth.from_json(position, kind)
    for name, kind in names or []:
        out.setdefault(name, FleetHealth(kind=kind))
    return out


def hosts_reporting(db: Any, since: dt.datetime) -> dict[str, list[str]]:
    """Hosts with fleet data newer than ``since``, per source (``prometheus:NAME`` / ``loki:NAME``)."""
    sql = """
        SELECT source, list(DISTINCT host ORDER BY host) AS hosts FROM (
            SELECT source, host FROM metrics WHERE ts >= ? AND (source LIKE 'prometheus:%' OR source LIKE 'loki:%')
            UNION ALL
            SELECT source, host FROM error_events WHERE ts >= ? AND (source LIKE 'prometheus:%' OR source LIKE 'loki:%')
        ) GROUP BY source
    """
    try:
        rows = _rows(db, sql, [since, since])
    except Exception:  # noqa: BLE001 - the header must never break on a store problem
        return {}
    return {s: list(h) for s, h in rows}


def fleet_summary(db: Any, now: dt.datetime, names: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """What the dashboard header shows: hosts reporting, and each source's state and freshness.

    ``{"hosts": N, "sources": [{"name", "kind", "state", "freshness_s", "message", "skew"}]}``.
    Hosts come from the statuses (hosts in each source's latest data) — no table scan.
    """
    t = to_epoch(now)
    statuses = read_statuses(db, names)
    hosts: set[str] = set()
    rows = []
    for name, h in sorted(statuses.items()):
        state = h.display_state(t)
        if state in (UP, SLOW, PARTIAL):
            hosts.update(h.hosts)
        rows.append(
            {
                "name": name,
                "kind": h.kind,
                "state": state,
                "freshness_s": h.freshness(t),
                "message": h.message,
                "skew": h.skew_note(),
                "hosts": list(h.hosts),
            }
        )
    return {"hosts": len(hosts), "sources": rows}


def format_age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    s = int(seconds)
    if s < 120:
        return f"{s}s"
    if s < 7200:
        return f"{s // 60}m"
    if s < 172800:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def as_source_status(name: str, kind: str, base: Any, h: FleetHealth, now: float) -> Any:
    """The collector's :class:`~analytics.sources.base.SourceStatus` for a fleet source.

    ``state`` is ``ok`` or the fleet state (down, slow, 4xx, 5xx, partial, tls); ``last_error`` carries
    the message while something is wrong; ``detail`` says hosts, data age and clock skew.
    """
    from analytics.sources.base import SourceStatus

    parts = [f"{len(h.hosts)} host(s)"]
    age = h.freshness(now)
    if age is not None:
        parts.append(f"data {format_age(age)} old")
    if h.skew_note():
        parts.append(h.skew_note())
    failing = h.state in FAILING
    if h.message and not failing:
        parts.append(h.message)
    state = "ok" if h.state == UP else h.state
    return SourceStatus(
        name,
        kind,
        state,
        base.last_poll,
        base.last_success,
        h.message if failing else None,
        base.rows_total,
        "; ".join(parts),
    )
