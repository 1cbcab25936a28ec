"""Prometheus as a collector source: PromQL ``query_range`` pulls mapped to (host, component, metric).

Owns reading metrics from a Prometheus server for a fleet:

* settings (:meth:`PrometheusSettings.from_config`): base URL, auth, TLS, ``step``, ``lag``,
  ``backfill``, ``max_points``, ``query_timeout`` and a list of queries, each mapped to a component
  and a metric (both may use ``{label}`` placeholders filled from the series' labels); the host is
  the first of ``host_labels`` a series carries (``host``, ``hostname``, ``nodename``, ``instance``).
* windows on a step-aligned grid: every pull asks for whole steps ``(checkpoint, server_now - lag]``,
  so the same timestamps come back after any restart and a stored row is never stored again. The
  window is computed on the *server's* clock (``time()`` evaluated by Prometheus), so clock skew
  between hosts cannot make us checkpoint past data that is not there yet. ``lag`` leaves the newest
  scrapes time to land.
* limits: Prometheus refuses more than 11,000 points per series in one ``query_range``; windows are
  cut into chunks of at most ``max_points`` steps, and a chunk that times out or is refused as too
  big is halved and retried. A first run backfills at most ``backfill`` (bounded), and one poll
  reads at most ``max_rows_per_poll`` rows (``has_more`` asks the collector to come back at once).
* faults: each failure is classified (down/slow/4xx/5xx/partial/tls) in the source's
  :class:`~analytics.sources.fleet.status.FleetHealth`; the next try is scheduled with exponential
  backoff; an answer carrying Prometheus ``warnings`` (a partial result) is stored but does not move
  the checkpoint, so the same window is asked again and the missing rows arrive (duplicates are
  skipped by the store's natural key) — after ``partial_retries`` tries it is accepted and reported.

The rows and the checkpoint of each chunk go out in one :class:`~analytics.sources.base.Batch`, which
the collector writes in one transaction: a crash anywhere loses and repeats nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import time
from dataclasses import dataclass
from typing import Any

from analytics.sources.base import Batch
from analytics.sources.fleet import config as fleet_config
from analytics.sources.fleet.client import ConfigProblem, FetchError, HttpClient
from analytics.sources.fleet.config import FleetSettings
from analytics.sources.fleet.source import FleetSource, PollTally, build
from analytics.sources.fleet.status import (
    SLOW,
    from_epoch,
    measure_skew,
)

#: Prometheus' hard limit on points per series in one query_range.
PROMETHEUS_MAX_POINTS = 11_000
#: Halving a chunk that times out stops here; below it the failure is reported as it is.
MIN_CHUNK = 16
#: Steps asked for in the first request of a query (before the number of series is known).
FIRST_CHUNK = 720
DEFAULT_HOST_LABELS = ("host", "hostname", "nodename", "instance")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class PromQuery:
    query: str
    component: str
    metric: str
    host_labels: tuple[str, ...] = DEFAULT_HOST_LABELS

    @property
    def key(self) -> str:
        """Checkpoint key: changes when the query or its mapping changes (a new query backfills)."""
        key = f"{self.query}\x00{self.component}\x00{self.metric}"
        h = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16]
        return f"q:{h}"


@dataclass
class PrometheusSettings(FleetSettings):
    queries: list[PromQuery]
    backfill: float = 6 * 3600.0
    max_rows_per_poll: int = 200_000
    step: float = 15.0
    max_points: int = PROMETHEUS_MAX_POINTS
    query_timeout: float = 20.0
    chunk_rows: int = 50_000
    partial_retries: int = 3

    OWN_KEYS = frozenset({"step", "max_points", "query_timeout", "partial_retries", "chunk_rows"})
    DURATIONS = ("step", "lag", "backfill", "query_timeout", "interval", "max_backoff")
    WHOLE_NUMBERS = ("max_rows_per_poll", "partial_retries", "chunk_rows")
    WHOLE_MIN = 0
    QUERY_KEYS = ("query", "component", "metric")
    HOST_LABELS = DEFAULT_HOST_LABELS
    SAME_QUERY = "query and mapping"

    def _check(self, d: dict[str, Any], where: str) -> None:
        if self.step < 0.001:
            raise ConfigProblem(f"{where}.step: must be at least 1ms")
        if "max_points" in d:
            self.max_points = fleet_config.whole_number(
                d["max_points"], f"{where}.max_points", 2, PROMETHEUS_MAX_POINTS
            )

    def _query(self, q: dict[str, Any], where: str, host_labels: tuple[str, ...]) -> PromQuery:
        return PromQuery(q["query"].strip(), q["component"].strip(), q["metric"].strip(), host_labels)


def _url_host(url: str) -> str:
    """A host name for series that carry none of the host labels: the server's own host:port."""
    from urllib.parse import urlsplit

    u = urlsplit(url)
    return f"{u.hostname}:{u.port}" if u.port else (u.hostname or url)


def fill(template: str, labels: dict[str, str]) -> str:
    """``"disk_{mountpoint}"`` with the series' labels (a missing label becomes empty)."""
    return _PLACEHOLDER.sub(lambda m: labels.get(m.group(1), ""), template)


def pick_host(labels: dict[str, str], host_labels: tuple[str, ...], default: str) -> str:
    for name in host_labels:
        v = labels.get(name)
        if v:
            return v
    return default


def matrix_rows(data: Any, q: PromQuery, default_host: str, source: str) -> tuple[list[dict[str, Any]], int, set[str]]:
    """Rows from a ``query_range`` answer: (rows, colliding series dropped, hosts seen).

    Raises ``ValueError`` when the answer is not a matrix (a query for a scalar/string, or a broken body).
    """
    if not isinstance(data, dict) or data.get("status") != "success":
        raise ValueError("the answer has no status=success")
    body = data.get("data")
    if not isinstance(body, dict) or body.get("resultType") != "matrix":
        kind = body.get("resultType") if isinstance(body, dict) else None
        raise ValueError(f"expected a range vector (matrix), got {kind!r}: use an instant-vector PromQL expression")
    seen: set[tuple] = set()
    rows: list[dict[str, Any]] = []
    collisions = 0
    hosts: set[str] = set()
    for series in body.get("result") or []:
        labels = {str(k): str(v) for k, v in (series.get("metric") or {}).items()}
        host = pick_host(labels, q.host_labels, default_host)
        component = fill(q.component, labels) or q.component
        metric = fill(q.metric, labels) or q.metric
        ident = (host, component, metric)
        if ident in seen:
            collisions += 1  # two series map to the same row key: keep the first, report it
            continue
        seen.add(ident)
        hosts.add(host)
        for pair in series.get("values") or []:
            try:
                t, v = float(pair[0]), float(pair[1])
            except (TypeError, ValueError, IndexError):
                continue
            if not math.isfinite(v):
                continue
            rows.append(
                {
                    "ts": from_epoch(t),
                    "host": host,
                    "component": component,
                    "metric": metric,
                    "value": v,
                    "source": source,
                }
            )
    return rows, collisions, hosts


class PrometheusSource(FleetSource):
    """Pulls the configured PromQL queries; one checkpoint per query (the last step stored)."""

    kind = "prometheus"

    def __init__(self, settings: PrometheusSettings, *, client: HttpClient | None = None) -> None:
        super().__init__(settings, client or HttpClient(settings.http, slow_after=max(1.0, settings.query_timeout / 2)))
        self._ckpt: dict[str, float] = {}
        self._partials: dict[str, int] = {}

    # -- collector interface ----------------------------------------------------------------------

    def _resume(self, key: str, raw: str) -> None:
        # an unreadable checkpoint: that query backfills again (no duplicates: the store's natural key)
        self._ckpt[key] = float(json.loads(raw)["t"])

    # -- internals --------------------------------------------------------------------------------

    def _server_now(self) -> float:
        """The server's clock: ``time()`` evaluated by Prometheus (also a cheap health check)."""
        r = self.client.get_json("/api/v1/query", {"query": "time()"})
        data = r.data
        try:
            result = data["data"]["result"]
            if data["data"].get("resultType") == "vector":  # VictoriaMetrics answers time() as a vector
                result = result[0]["value"]
            server_now = float(result[0])
        except (TypeError, KeyError, IndexError, ValueError):
            if isinstance(data, dict) and data.get("status") == "error":
                raise FetchError(
                    "4xx", f"{self.settings.http.base_url}: {data.get('error')}", retryable=False
                ) from None
            raise ValueError(
                "the answer to time() is not a Prometheus scalar — is this a Prometheus (or VictoriaMetrics) URL?"
            ) from None
        self.health.skew_s = round(measure_skew(server_now, r.sent_at, r.received_at) or 0.0, 3)
        self.health.latency_ms = round(r.elapsed * 1000, 1)
        return server_now

    def _pull(self, batches: list[Batch], wall: float) -> None:
        server_now = self._server_now()
        s = self.settings
        step = s.step
        end = math.floor((server_now - s.lag) / step) * step
        tally = PollTally(budget=s.max_rows_per_poll)
        wall = time.time()
        for q in s.queries:
            last = self._ckpt.get(q.key)
            if last is None:
                start = math.ceil((end - s.backfill) / step) * step
            else:
                start = math.floor(last / step) * step + step
            # The first request of a query asks for a modest span; later ones are sized from the number of
            # series seen so each answer holds about ``chunk_rows`` points (Prometheus caps points per
            # series, not per answer: a query over 1,000 hosts must not ask for 11 million points at once).
            chunk = min(s.max_points, FIRST_CHUNK)
            cap = s.max_points  # lowered when a chunk times out, so it does not grow back into the timeout
            while start <= end and tally.budget > 0:
                c_end = min(end, start + (chunk - 1) * step)
                params = {
                    "query": q.query,
                    "start": _fmt(start),
                    "end": _fmt(c_end),
                    "step": _fmt(step),
                    "timeout": f"{s.query_timeout:g}s",
                }
                try:
                    r = self.client.get_json("/api/v1/query_range", params, timeout=s.query_timeout + 5, retries=1)
                except FetchError as exc:
                    if _too_big(exc) and chunk > MIN_CHUNK:
                        chunk = cap = max(MIN_CHUNK, chunk // 2)  # timed out or refused as too large: halve it
                        continue
                    if tally.refused(exc, q.query):  # a bad query must not stop the other queries
                        break
                    raise
                tally.took(r.elapsed)
                try:
                    rows, collisions, seen = matrix_rows(
                        r.data, q, s.default_host or _url_host(s.http.base_url), self.source_tag
                    )
                except ValueError as exc:
                    tally.notes.append(f"query {q.query!r}: {exc}")
                    break
                if collisions:
                    tally.notes.append(
                        f"query {q.query!r}: {collisions} series share a (host, component, metric) "
                        "— add a {label} to the metric name or aggregate with sum by (...)"
                    )
                tally.hosts |= seen
                n_series = len({(x["host"], x["component"], x["metric"]) for x in rows}) or 1
                chunk = max(min(MIN_CHUNK, cap), min(cap, s.chunk_rows // n_series))
                warnings = r.data.get("warnings") if isinstance(r.data, dict) else None
                batch = Batch(source=self.name, metrics=rows)
                if warnings:
                    tally.partial = True
                    n = self._partials.get(q.key, 0) + 1
                    self._partials[q.key] = n
                    tally.notes.append(f"partial answer ({'; '.join(map(str, warnings))[:200]})")
                    if n <= s.partial_retries:
                        batches.append(batch)  # store what came; ask for the same window next poll
                        break
                self._partials.pop(q.key, None)
                batch.checkpoints[q.key] = json.dumps({"t": c_end, "step": step})
                self._ckpt[q.key] = c_end
                batches.append(batch)
                tally.budget -= len(rows)
                if rows:
                    newest = max(r_["ts"] for r_ in rows)
                    self.health.reached((newest - dt.datetime(1970, 1, 1)).total_seconds())
                start = c_end + step
            if start <= end and tally.budget <= 0:
                self._more = True
        self._finish(wall, sum(len(b.metrics) for b in batches), tally)


def _too_big(exc: FetchError) -> bool:
    text = str(exc).lower()
    return (
        exc.kind == SLOW
        or "timeout" in text
        or "timed out" in text
        or "exceeded maximum resolution" in text
        or "too many samples" in text
        or "query processing would load too many samples" in text
    )


def _fmt(t: float) -> str:
    return f"{t:.3f}".rstrip("0").rstrip(".")


def from_config(source: Any, config: Any = None, where: str | None = None) -> PrometheusSource:
    """The collector's factory (``analytics.collect.wiring.build_sources``): a source from a ``[[sources]]`` entry."""
    return build(PrometheusSettings, PrometheusSource, source, config, where)
