"""The dashboard's read model: one function that reads everything one refresh of the dashboard shows.

:func:`load_dashboard` opens the store once, asks each engine for its pane's rows on that one connection
(:mod:`analytics.predict.reads`, :mod:`analytics.recommend.reads`, :mod:`analytics.patterns.rows`,
:mod:`analytics.forecast.sparklines`, :mod:`analytics.patterns.learning_stats`), adds the host's vitals and
fleet state, and lets the file go. The results are frozen dataclasses. The TUI calls it from a thread
worker; the benchmarks call it directly. Nothing here imports textual, rich or lokifi_tui, nor the analysis
libraries (polars, NumPy): the first paint must not wait for them.

The row types and the detail loaders (:mod:`analytics.dashboard.details`) are re-exported here: the TUI
reads the dashboard through this one module.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analytics.common.clock import utcnow
from analytics.config.machine import this_host
from analytics.dashboard import PANE_TITLES  # re-exported (__all__); defined where the TUI's start can read it
from analytics.dashboard.details import (  # re-exported (__all__): the TUI reads details here
    ComponentDetail,
    load_component_detail,
    load_pattern_detail,
    load_prediction_detail,
    load_recommendation_detail,
)
from analytics.forecast.sparklines import ForecastRow, forecast_rows
from analytics.patterns import rows as pattern_reads
from analytics.patterns.learning_stats import learning_stats_in
from analytics.patterns.rows import PatternDetail, PatternRow
from analytics.predict import reads as predict_reads
from analytics.predict.reads import PredictionDetail, PredictionRow
from analytics.recommend import reads as recommend_reads
from analytics.recommend.reads import RecommendationDetail, RecommendationRow
from analytics.sources.vital_names import CPU_PERCENT, HOST_COMPONENT, LOAD1, MEMORY_PERCENT, ROOT_MOUNT, disk_percent

__all__ = [
    "PANE_TITLES",
    "ComponentDetail",
    "DashboardView",
    "ForecastRow",
    "LearningSummary",
    "Pane",
    "PatternDetail",
    "PatternRow",
    "PredictionDetail",
    "PredictionRow",
    "RecommendationDetail",
    "RecommendationRow",
    "ai_status",
    "db_signature",
    "load_component_detail",
    "load_dashboard",
    "load_pattern_detail",
    "load_prediction_detail",
    "load_recommendation_detail",
    "utcnow",
]


@dataclass(frozen=True)
class LearningSummary:
    patterns: int = 0
    high_confidence: int = 0
    fixes_worked: int = 0
    fixes_failed: int = 0
    predictions_made: int = 0
    predictions_scored: int = 0
    predictions_accurate: int = 0
    recommendations_applied: int = 0
    model_fixes_worked: int = 0  # outcomes of the model's proposed solutions
    model_fixes_failed: int = 0

    @property
    def model_accuracy(self) -> float | None:
        """Share of the model's proposals' outcomes that worked, as a percentage (None before any)."""
        n = self.model_fixes_worked + self.model_fixes_failed
        return 100.0 * self.model_fixes_worked / n if n else None

    @property
    def effectiveness(self) -> float | None:
        """Seed 000: high-confidence patterns / all patterns, as a percentage (None with no patterns)."""
        return 100.0 * self.high_confidence / self.patterns if self.patterns else None

    @property
    def prediction_accuracy(self) -> float | None:
        """Share of scored predictions that came true (None until one has been scored)."""
        if not self.predictions_scored:
            return None
        return 100.0 * self.predictions_accurate / self.predictions_scored


@dataclass(frozen=True)
class Pane:
    """One pane's rows, or why there are none (its read failed: ``available`` is False and ``note`` says why)."""

    name: str
    available: bool
    rows: tuple[Any, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class DashboardView:
    now: dt.datetime
    db_path: str
    learning: LearningSummary
    panes: dict[str, Pane]
    vitals: dict[str, tuple[float, ...]] = field(default_factory=dict)
    ai_status: str = "offline"
    hosts: tuple[str, ...] = ()
    # each configured fleet source: name, state (up, slow, down, 4xx, 5xx, partial, never) and seconds
    # since its newest data (None: none yet)
    sources: tuple[tuple[str, str, float | None], ...] = ()
    # the configured Alertmanager as the last delivery found it (analytics.alerts.endpoint.EndpointHealth;
    # None: none configured, or nothing posted to it yet)
    alertmanager: Any = None
    load_ms: float = 0.0
    # the next moment the panes change without a write: a shown prediction falls due, a snooze ends
    next_change: dt.datetime | None = None
    # how far this host's setup is (what empty panes say, the collector's state in the top bar)
    setup: Any = None
    # this machine's services down now: (component, since when), longest down first (services_down.py)
    down: tuple[tuple[str, dt.datetime], ...] = ()

    def pane(self, name: str) -> Pane:
        return self.panes[name]


# -- sections --------------------------------------------------------------------------------------


def _learning(con: Any, config: Any = None) -> LearningSummary:
    """The same figures as ``lokifi ai learn`` (:func:`analytics.patterns.learning_stats.learning_stats`)."""
    from analytics.config.settings import Patterns

    need = int((getattr(config, "patterns", None) or Patterns()).auto_approve_min_samples)
    ls = learning_stats_in(con, min_samples=need)
    return LearningSummary(
        patterns=ls.patterns,
        high_confidence=ls.high_confidence,
        fixes_worked=ls.successful_fixes,
        fixes_failed=ls.failed_fixes,
        predictions_made=ls.predictions,
        predictions_scored=ls.predictions_scored,
        predictions_accurate=ls.predictions_accurate,
        recommendations_applied=ls.recommendations_applied,
        model_fixes_worked=ls.model_fixes_worked,
        model_fixes_failed=ls.model_fixes_failed,
    )


# -- the host ------------------------------------------------------------------------------------


#: The top bar's sparklines and the metric the vitals source stores each under (the disk: the root mount).
_VITAL_METRICS = {
    "cpu": CPU_PERCENT,
    "mem": MEMORY_PERCENT,
    "disk": disk_percent(ROOT_MOUNT),
    "load": LOAD1,
}


def _vitals(con: Any, now: dt.datetime, host: str | None, points: int = 60) -> dict[str, tuple[float, ...]]:
    """The last few minutes of this host's vitals the collector stored, to seed the top bar's sparklines
    (the top bar shows the local machine: another host's readings in the same store must not seed it)."""
    if not host:
        return {}
    names = sorted(_VITAL_METRICS.values())
    rows = con.execute(
        """
        SELECT metric, list(value ORDER BY ts) FROM (
            SELECT metric, value, ts, row_number() OVER (PARTITION BY metric ORDER BY ts DESC) AS rn
            FROM metrics
            WHERE ts >= ? AND ts <= ? AND component = ? AND host = ? AND metric IN (SELECT unnest(?))
        ) WHERE rn <= ? GROUP BY metric
        """,
        [now - dt.timedelta(minutes=10), now, HOST_COMPONENT, host, names, points],
    ).fetchall()
    found = {m: tuple(float(x) for x in vals) for m, vals in rows}
    return {key: found[metric] for key, metric in _VITAL_METRICS.items() if metric in found}


def _next_change(con: Any, now: dt.datetime, predictions: Pane | None) -> dt.datetime | None:
    """When the panes next change by the clock alone (a shown prediction falls due, a snooze ends)."""
    times = [r.due_at for r in (predictions.rows if predictions else ()) if getattr(r, "due_at", None)]
    snooze_end = recommend_reads.next_snooze_end(con, now)
    if snooze_end is not None:
        times.append(snooze_end)
    later = [t for t in times if t > now]
    return min(later) if later else None


def _local_host(config: Any) -> str | None:
    """The name this machine's collector stores its readings under (``[general] host`` or the hostname)."""
    if config is None:
        return this_host()
    try:
        return str(config.host)
    except AttributeError:
        return this_host()


def _fleet_sources(con: Any, now: dt.datetime, config: Any) -> tuple[tuple[str, str, float | None], ...]:
    """State and freshness of each fleet source (what the collector stored with its checkpoints)."""
    from analytics.sources.fleet.status import fleet_summary

    names = [(s.name, s.type) for s in getattr(config, "sources", ()) or ()]
    summary = fleet_summary(con, now, names)
    return tuple((r["name"], r["state"], r["freshness_s"]) for r in summary["sources"])


def _alertmanager(con: Any, config: Any) -> Any:
    """Whether the configured Alertmanager takes the alerts (None: none configured, or never posted to)."""
    from analytics.alerts.endpoint import configured, read

    return read(con, configured(config))


def _hosts(con: Any) -> tuple[str, ...]:
    """The hosts H cycles through: those with metrics or error events in the last day of each, and those a
    pattern is muted on (so that a mute on a host that reports only errors can be ended there)."""
    rows = con.execute(
        "SELECT host FROM ("
        " SELECT DISTINCT host FROM metrics_hourly"
        " WHERE hour >= (SELECT max(hour) FROM metrics_hourly) - INTERVAL 1 DAY"
        " UNION SELECT DISTINCT host FROM error_events"
        " WHERE ts >= (SELECT max(ts) FROM error_events) - INTERVAL 1 DAY"
        " UNION SELECT DISTINCT host FROM pattern_mutes"
        ") WHERE coalesce(host, '') <> '' ORDER BY host LIMIT 50"
    ).fetchall()
    return tuple(r[0] for r in rows if r[0])


def ai_status(config: Any = None) -> str:
    """One line: the configured model and endpoint, or "offline". Never contacts the endpoint."""
    ai = None
    if config is not None:
        ai = config.get("ai") if isinstance(config, dict) else getattr(config, "ai", None)
    get = (ai.get if isinstance(ai, dict) else (lambda k, d=None: getattr(ai, k, d))) if ai is not None else None
    model = get("model") if get else None
    base_url = get("base_url") if get else None
    key_present = bool(os.environ.get("OPENAI_API_KEY") or os.environ.get("LOKIFI_OPENAI_API_KEY"))
    if get and (get("api_key_file") or get("key_file")):
        key_present = True
    if not model or not (base_url or key_present):
        return "offline"
    where = base_url or "api.openai.com"
    return f"{model} @ {where}"


def _pane(name: str, loader: Callable[[], tuple[Any, ...]]) -> Pane:
    """Run one pane's loader; a failure of that pane (not of the store) is shown in the pane only."""
    from analytics.store.database import StoreError

    try:
        return Pane(name, True, loader())
    except StoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - an engine's bug or an unexpected schema must not blank the dashboard
        return Pane(name, False, (), f"Could not load this pane: {type(exc).__name__}: {exc}")


# -- the one read ----------------------------------------------------------------------------------


def load_dashboard(
    store_or_path: Any,
    *,
    now: dt.datetime | None = None,
    limit: int = 200,
    config: Any = None,
) -> DashboardView:
    """Read everything one dashboard refresh shows, in one short visit to the store.

    ``store_or_path`` is an :class:`analytics.store.database.Store` or a database path. Raises the store's
    ``StoreError`` subclasses (busy, corrupt, too new) for the caller to show as a message.
    """
    from analytics.store.database import Store

    started = time.perf_counter()
    store = store_or_path if isinstance(store_or_path, Store) else Store(Path(store_or_path))
    at = now or utcnow()
    with store.read() as con:
        learning = _learning(con, config)
        vitals = _vitals(con, at, _local_host(config))
        hosts = _hosts(con)
        sources = _fleet_sources(con, at, config)
        loaders: dict[str, Callable[[], tuple[Any, ...]]] = {
            "predictions": lambda: predict_reads.live_predictions(con, at, limit),
            "recommendations": lambda: recommend_reads.queue(con, at, limit),
            "patterns": lambda: pattern_reads.pane_rows(con, limit, at),
            "forecast": lambda: forecast_rows(con, at, limit),
        }
        panes = {name: _pane(name, load) for name, load in loaders.items()}
        next_change = _next_change(con, at, panes.get("predictions"))
        setup = _setup(con, config, store.path)
        alertmanager = _alertmanager(con, config)
        down = _down(con, at, config)
    return DashboardView(
        now=at,
        db_path=str(store.path),
        learning=learning,
        panes=panes,
        vitals=vitals,
        ai_status=ai_status(config),
        hosts=hosts,
        sources=sources,
        alertmanager=alertmanager,
        load_ms=(time.perf_counter() - started) * 1000.0,
        next_change=next_change,
        setup=setup,
        down=down,
    )


def _setup(con: Any, config: Any, path: Any) -> Any:
    from analytics.dashboard.setup_state import read_setup

    try:
        return read_setup(con, config, path, _local_host(config))
    except Exception:  # noqa: BLE001 — the hints are extras: never let them stop a refresh
        return None


def _down(con: Any, now: dt.datetime, config: Any) -> tuple[tuple[str, dt.datetime], ...]:
    from analytics.dashboard.services_down import services_down

    try:
        return services_down(con, now, _local_host(config))
    except Exception:  # noqa: BLE001 — an older store without the tables: nothing known to be down
        return ()


def db_signature(path: str | os.PathLike[str]) -> tuple[int, int, int, int] | None:
    """A cheap fingerprint of the database files (:func:`analytics.store.database.file_signature`).

    The dashboard re-reads the store only when this changes, so an idle dashboard costs one ``stat``
    per refresh instead of a query.
    """
    from analytics.store.file_signature import file_signature

    return file_signature(path)
