"""Whether Alertmanager takes Lokifi's alerts: the endpoint's health, shown to people who read no logs.

Each delivery that posts (:func:`analytics.alerts.deliver.deliver`) records how the post went with
:func:`record`, in the transaction that records the alerts themselves: ``ok``, or ``failing`` with since
when, how many posts failed in a row, the last error and how many alerts that post carried (kept for the
next one). One row per endpoint, named by its URL without credentials (:func:`endpoint_name`).
``lokifi status`` and the dashboard's top bar read it with :func:`read`: None until a post was made to the
configured endpoint (a delivery with nothing to send contacts nobody).

A change of state is logged once, not at each attempt (:func:`announce`): a warning when posts start
failing -- also at a collector's first failed post when an earlier process saw the failure start, since
this process's log has not said it -- and one line when a post is accepted again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analytics.config.http_settings import redact_url

log = logging.getLogger("lokifi.alerts")
OK, FAILING = "ok", "failing"


@dataclass(frozen=True)
class EndpointHealth:
    endpoint: str  # its URL without credentials
    state: str  # ok | failing
    failing_since: dt.datetime | None  # the first failed post of the current failure
    failures: int  # posts that failed in a row
    last_error: str
    undelivered: int  # alerts the last failed post carried
    last_attempt: dt.datetime | None
    last_success: dt.datetime | None
    #: the alerts recorded by state (:data:`DELIVERY_STATES`, each present): pending (not accepted yet),
    #: posting (posted, the answer not recorded: possibly delivered), firing, resolved, abandoned (its
    #: prediction was over, or below min_severity, before Alertmanager took it)
    deliveries: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def failing(self) -> bool:
        return self.state == FAILING

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_COLUMNS = "endpoint, state, failing_since, failures, last_error, undelivered, last_attempt, last_success"
#: the states of an alert in alert_deliveries (what each means, and what moves a row between them: at the
#: head of analytics.alerts.records, which writes them)
DELIVERY_STATES = ("pending", "posting", "firing", "resolved", "abandoned")


def endpoint_name(url: str) -> str:
    """How an endpoint is recorded and shown: its URL without user-info, query or trailing slash."""
    return redact_url(url.strip()).rstrip("/")


def configured(config: Any) -> str | None:
    """The configured Alertmanager (``[alerts.alertmanager] url``) as :func:`endpoint_name` names it."""
    am = getattr(getattr(config, "alerts", None), "alertmanager", None)
    url = am.get("url") if isinstance(am, dict) else None
    return endpoint_name(url) if isinstance(url, str) and url.strip() else None


def kept(config: Any) -> tuple[str, ...]:
    """The endpoints whose recorded health retention keeps (:func:`analytics.store.retention.prune`): the
    configured one, or none (every record goes)."""
    name = configured(config)
    return (name,) if name else ()


def owner(config: Any) -> str | None:
    """The config file ``config`` was read from (resolved), as the endpoint records its deliveries make
    name it; None when it was read from no file."""
    path = getattr(config, "path", None)
    return str(Path(path).resolve()) if path else None


def record(
    con: Any, endpoint: str, now: dt.datetime, error: str = "", undelivered: int = 0, config: str | None = None
) -> str | None:
    """Record one post's outcome (``error`` empty: accepted) on an open write connection, made with the
    config file ``config`` (:func:`owner`); returns the state recorded before it (None: the first post to
    this endpoint)."""
    row = con.execute("SELECT state FROM alert_endpoint WHERE endpoint = ?", [endpoint]).fetchone()
    before = row[0] if row else None
    if error:
        con.execute(
            "INSERT INTO alert_endpoint (endpoint, state, failing_since, failures, last_error, undelivered, "
            "last_attempt, config) VALUES (?, 'failing', ?, 1, ?, ?, ?, ?) ON CONFLICT (endpoint) DO UPDATE SET "
            "state = 'failing', failures = alert_endpoint.failures + 1, last_error = excluded.last_error, "
            "config = excluded.config, "
            "undelivered = excluded.undelivered, last_attempt = excluded.last_attempt, failing_since = CASE "
            "WHEN alert_endpoint.state = 'failing' THEN alert_endpoint.failing_since ELSE excluded.failing_since END",
            [endpoint, now, error, undelivered, now, config],
        )
    else:
        con.execute(
            "INSERT INTO alert_endpoint (endpoint, state, failures, undelivered, last_attempt, last_success, "
            "config) VALUES (?, 'ok', 0, 0, ?, ?, ?) ON CONFLICT (endpoint) DO UPDATE SET state = 'ok', "
            "failing_since = NULL, failures = 0, last_error = NULL, undelivered = 0, "
            "last_attempt = excluded.last_attempt, last_success = excluded.last_success, config = excluded.config",
            [endpoint, now, now, config],
        )
    return before


def read(con: Any, endpoint: str | None) -> EndpointHealth | None:
    """The endpoint's recorded health on an open connection (None: no endpoint, or never posted to; a
    database from before this table reads as never posted to)."""
    if not endpoint:
        return None
    try:
        row = con.execute(f"SELECT {_COLUMNS} FROM alert_endpoint WHERE endpoint = ?", [endpoint]).fetchone()
        counts = dict.fromkeys(DELIVERY_STATES, 0)
        counts.update(con.execute("SELECT state, count(*) FROM alert_deliveries GROUP BY state").fetchall())
    except Exception:  # noqa: BLE001 - a store without the table (not migrated yet) must not break a view
        return None
    if row is None:
        return None
    name, state, since, failures, error, undelivered, attempt, success = row
    return EndpointHealth(
        name, state, since, int(failures or 0), error or "", int(undelivered or 0), attempt, success, counts
    )


_announced: dict[tuple[str, str], str] = {}  # (database, endpoint) -> the state this process last logged
_lock = threading.Lock()


def announce(where: tuple[str, str], before: str | None, error: str = "", *, undelivered: int = 0) -> None:
    """Log a change of the endpoint's state once: ``where`` is (database, endpoint), ``before`` the state
    recorded before this post, ``error`` why it failed (empty: accepted)."""
    state = FAILING if error else OK
    with _lock:
        said = _announced.get(where)
        _announced[where] = state
    endpoint = where[1]
    if state == FAILING and said != FAILING:
        log.warning(
            "Alertmanager %s does not take the alerts (%s); %d alert%s kept, sent again at each delivery until "
            "it does (`lokifi status` shows since when)",
            endpoint,
            error,
            undelivered,
            "" if undelivered == 1 else "s",
        )
    elif state == OK and (said == FAILING or (said is None and before == FAILING)):
        log.info("Alertmanager %s takes the alerts again", endpoint)


__all__ = [
    "DELIVERY_STATES",
    "FAILING",
    "OK",
    "EndpointHealth",
    "announce",
    "configured",
    "endpoint_name",
    "kept",
    "read",
    "record",
]
