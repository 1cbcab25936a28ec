"""The dashboard's read model: one function that reads everything one refresh of the dashboard shows.

:func:`load_dashboard` opens the store once, runs the few queries the dashboard needs (host vitals history,
learning statistics, live predictions, forecast sparkline data, the recommendation queue, error patterns),
copies the results into frozen dataclasses and lets the file go. The TUI calls it from a thread worker; the
benchmarks call it directly. Nothing here imports textual, rich or lokifi_tui.

Each pane's data says whether its engine exists (checked with importlib, never by crashing): a pane whose
engine is not built yet shows that plainly instead of rows. The detail loaders at the end read one item
(a pattern, a recommendation, a prediction, a component) for the detail screens, the same way.

Every figure is read or counted from the store; the only arithmetic here is presentation (a Wilson
interval around a stored success/failure count, a percentage of scored predictions).
"""

from __future__ import annotations

import datetime as dt
import contextlib
import importlib
import importlib.util
import json
import math
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analytics.predict.brief import prediction_brief

#: Which engine module backs which pane, and which issue builds it (for the "not built yet" note).
ENGINES: dict[str, tuple[str, str]] = {
    "patterns": ("analytics.patterns.learning", "issue 3"),
    "learning": ("analytics.patterns.learning_stats", "issue 3"),
    "predictions": ("analytics.predict.predictions", "issue 4"),
    "forecast": ("analytics.forecast.sparklines", "issue 5"),
    "recommendations": ("analytics.recommend.engine", "issue 6"),
    "rca": ("analytics.rca.analyze", "issue 8"),
    "collector": ("analytics.collect.loop", "issue 9"),
}

PANE_TITLES = {
    "predictions": "Predictions",
    "forecast": "Forecast",
    "recommendations": "Recommendations",
    "patterns": "Error patterns",
}


def engine_available(name: str) -> bool:
    """True when the engine module for ``name`` can be imported (looked up, not imported)."""
    module = ENGINES[name][0]
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def engine_note(name: str) -> str:
    module, issue = ENGINES[name]
    return f"Not built yet: this pane needs {module} ({issue})."


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# -- rows ------------------------------------------------------------------------------------------


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
    model_fixes_worked: int = 0     # outcomes of the model's proposed solutions
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
class PredictionRow:
    key: str
    id: int
    severity: str
    type: str
    component: str
    host: str
    message: str
    confidence: float | None
    confidence_kind: str
    recommendation: str
    made_at: dt.datetime | None
    due_at: dt.datetime | None
    evidence: str
    brief: str = ""  # what a table row says beside type and component (analytics.predict.brief)


@dataclass(frozen=True)
class ForecastRow:
    key: str
    component: str
    metric: str
    history: tuple[float, ...]
    forecast: tuple[float, ...]
    lo: tuple[float, ...]
    hi: tuple[float, ...]
    current: float | None
    predicted: float | None
    pct_change: float | None
    trend: str  # increasing | decreasing | stable | unknown
    significant: bool
    colour: str  # red | yellow | green (seed: > 20 % degradation red, 10-20 % yellow)
    model: str
    backtest_error: float | None
    note: str = ""


@dataclass(frozen=True)
class RecommendationRow:
    key: str
    id: int
    priority: int
    impact: float | None
    title: str
    category: str
    description: str
    action: str
    status: str
    created_at: dt.datetime | None


@dataclass(frozen=True)
class PatternRow:
    key: str  # the error hash
    error_type: str
    component: str
    message: str
    template: str
    solution: str
    count: int
    last_seen: dt.datetime | None
    success: int
    failure: int
    confidence: float | None
    lo: float | None  # uncertainty of the confidence (95 % Wilson interval on the stored outcomes)
    hi: float | None
    auto_approved: bool
    version: int


@dataclass(frozen=True)
class Pane:
    """One pane's rows, or why there are none."""

    name: str
    available: bool
    rows: tuple[Any, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class DashboardView:
    now: dt.datetime
    db_path: str
    learning: LearningSummary | None
    learning_note: str
    panes: dict[str, Pane]
    vitals: dict[str, tuple[float, ...]] = field(default_factory=dict)
    ai_status: str = "offline"
    hosts: tuple[str, ...] = ()
    # each configured fleet source: name, state (up, slow, down, 4xx, 5xx, partial, never) and seconds
    # since its newest data (None: none yet)
    sources: tuple[tuple[str, str, float | None], ...] = ()
    load_ms: float = 0.0
    # the next moment the panes change without a write: a shown prediction falls due, a snooze ends
    next_change: dt.datetime | None = None
    # how far this host's setup is (what empty panes say, the collector's state in the top bar)
    setup: Any = None

    def pane(self, name: str) -> Pane:
        return self.panes[name]


# -- helpers ---------------------------------------------------------------------------------------


def wilson(successes: int, failures: int, z: float = 1.96) -> tuple[float, float] | None:
    """95 % Wilson score interval for a success rate; None when there are no outcomes."""
    n = successes + failures
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _columns(con: Any, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    return {r[0] for r in rows}


def _col(cols: set[str], name: str, default_sql: str = "NULL") -> str:
    return name if name in cols else f"{default_sql} AS {name}"


def _dicts(con: Any, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _str(v: Any) -> str:
    return "" if v is None else str(v)


def _float(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _call_engine(module: str, names: tuple[str, ...], *args: Any, **kwargs: Any) -> Any:
    """Call the first of ``names`` that ``module`` defines; raise LookupError when none exists."""
    mod = importlib.import_module(module)
    for name in names:
        fn = getattr(mod, name, None)
        if callable(fn):
            return fn(*args, **kwargs)
    raise LookupError(f"{module} has none of {', '.join(names)}")


class _Borrowed:
    """A read-only Store look-alike over the connection already open, so the engines' own read functions
    (learning_stats, list_patterns, sparkline_data) run inside this one visit instead of opening again."""

    def __init__(self, con: Any, path: Path) -> None:
        self._con = con
        self.path = path

    @contextlib.contextmanager
    def read(self, timeout: float | None = None) -> Iterator[Any]:
        yield self._con

    def query(self, sql: str, params: Any = None) -> Any:
        return self._con.sql(sql, params=params or None).pl()

    def scalar(self, sql: str, params: Any = None) -> Any:
        row = self._con.execute(sql, params or []).fetchone()
        return None if row is None else row[0]

    def write(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the dashboard's read model never writes")


# -- sections --------------------------------------------------------------------------------------


def _learning_engine(borrowed: Any, config: Any = None) -> LearningSummary:
    """The same figures as ``lokifi ai learn`` (analytics.patterns.learning_stats, issue 3)."""
    from analytics.config.settings import Patterns

    need = int((getattr(config, "patterns", None) or Patterns()).auto_approve_min_samples)
    ls = _call_engine("analytics.patterns.learning_stats", ("learning_stats",), borrowed, min_samples=need)
    return LearningSummary(
        patterns=int(ls.patterns),
        high_confidence=int(ls.high_confidence),
        fixes_worked=int(ls.successful_fixes),
        fixes_failed=int(ls.failed_fixes),
        predictions_made=int(ls.predictions),
        predictions_scored=int(ls.predictions_scored),
        predictions_accurate=int(ls.predictions_accurate),
        recommendations_applied=int(ls.recommendations_applied),
        model_fixes_worked=int(getattr(ls, "model_fixes_worked", 0)),
        model_fixes_failed=int(getattr(ls, "model_fixes_failed", 0)),
    )


def _learning(con: Any) -> LearningSummary:
    """Fallback counts while the learning engine is not built (a pattern without outcomes is never "high")."""
    p = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE coalesce(success_count, 0) + coalesce(failure_count, 0) > 0 "
        "AND confidence_score >= 0.7) FROM error_patterns"
    ).fetchone()
    f = con.execute(
        "SELECT count(*) FILTER (WHERE success), count(*) FILTER (WHERE NOT success) FROM fix_history"
    ).fetchone()
    pr = con.execute(
        "SELECT count(*), count(accurate), count(*) FILTER (WHERE accurate) FROM predictions"
    ).fetchone()
    rcols = _columns(con, "smart_recommendations")
    applied_sql = "status = 'applied'" if "status" in rcols else "applied"
    r = con.execute(f"SELECT count(*) FILTER (WHERE {applied_sql}) FROM smart_recommendations").fetchone()
    return LearningSummary(
        patterns=int(p[0]),
        high_confidence=int(p[1]),
        fixes_worked=int(f[0]),
        fixes_failed=int(f[1]),
        predictions_made=int(pr[0]),
        predictions_scored=int(pr[1]),
        predictions_accurate=int(pr[2]),
        recommendations_applied=int(r[0]),
    )


_SEVERITY_ORDER = "CASE upper(coalesce(severity,'')) WHEN 'CRITICAL' THEN 0 WHEN 'HIGH' THEN 1 WHEN 'MEDIUM' THEN 2 WHEN 'LOW' THEN 3 ELSE 4 END"


def _predictions(con: Any, now: dt.datetime, limit: int) -> tuple[PredictionRow, ...]:
    """Live predictions: not yet scored, not past due, the newest per (type, component, host, subject) —
    two recurring patterns or two metrics' anomalies on one component are two rows, as in `ai predict`."""
    cols = _columns(con, "predictions")
    subject = ("coalesce(subject, metric, '')" if "subject" in cols else
               ("coalesce(metric, '')" if "metric" in cols else "''"))
    due = "due_at" if "due_at" in cols else "NULL"
    rows = _dicts(
        con,
        f"""
        SELECT id, prediction_type, component, {_col(cols, 'host', "''")}, {_col(cols, 'severity')},
               {_col(cols, 'message')}, confidence_score, {_col(cols, 'confidence_kind')},
               {_col(cols, 'recommendation')}, prediction_date, {due} AS due_at, {_col(cols, 'evidence')}
        FROM predictions
        WHERE outcome_date IS NULL AND accurate IS NULL
          AND prediction_type <> 'forecast'
          AND ({due} IS NULL OR {due} >= ?)
          AND prediction_date <= ?
        QUALIFY row_number() OVER (PARTITION BY prediction_type, component, host, {subject}
                                   ORDER BY prediction_date DESC, id DESC) = 1
        ORDER BY {_SEVERITY_ORDER}, confidence_score DESC NULLS LAST, id
        LIMIT ?
        """,
        [now, now, limit],
    )
    return tuple(
        PredictionRow(
            key=str(r["id"]),
            id=int(r["id"]),
            severity=_str(r["severity"]).upper() or "INFO",
            type=_str(r["prediction_type"]),
            component=_str(r["component"]),
            host=_str(r["host"]),
            message=_str(r["message"]),
            confidence=_float(r["confidence_score"]),
            confidence_kind=_str(r["confidence_kind"]) or "prior",
            recommendation=_str(r["recommendation"]),
            made_at=r["prediction_date"],
            due_at=r["due_at"],
            evidence=_str(r["evidence"]),
            brief=prediction_brief(_str(r["prediction_type"]), _str(r["component"]), _str(r["message"]),
                                   _str(r["evidence"])),
        )
        for r in rows
    )


def _recommendations(con: Any, now: dt.datetime, limit: int) -> tuple[RecommendationRow, ...]:
    cols = _columns(con, "smart_recommendations")
    if "status" in cols:
        where = "(status = 'open' OR (status = 'snoozed' AND snoozed_until IS NOT NULL AND snoozed_until <= ?))"
        params: list[Any] = [now]
        status = "status"
    else:
        where, params, status = "NOT dismissed AND NOT applied", [], "'open'"
    rows = _dicts(
        con,
        f"""
        SELECT id, priority, impact_score, title, {_col(cols, 'category', "''")}, description,
               {_col(cols, 'action', "''")}, {status} AS status, created_at
        FROM smart_recommendations
        WHERE {where}
        ORDER BY CASE status WHEN 'open' THEN 0 ELSE 1 END, priority ASC NULLS LAST,
                 impact_score DESC NULLS LAST, id
        LIMIT ?
        """,
        [*params, limit],
    )
    return tuple(
        RecommendationRow(
            key=str(r["id"]),
            id=int(r["id"]),
            priority=int(r["priority"] or 3),
            impact=_float(r["impact_score"]),
            title=_str(r["title"]),
            category=_str(r["category"]),
            description=_str(r["description"]),
            action=_str(r["action"]),
            status="open" if r["status"] == "snoozed" else _str(r["status"]),
            created_at=r["created_at"],
        )
        for r in rows
    )


def _pattern_row(r: dict[str, Any]) -> PatternRow:
    s, f = int(r.get("success_count") or 0), int(r.get("failure_count") or 0)
    interval = wilson(s, f)
    return PatternRow(
        key=_str(r["error_hash"]),
        error_type=_str(r["error_type"]),
        component=_str(r["component"]),
        message=_str(r["error_message"]),
        template=_str(r.get("template")),
        solution=_str(r.get("solution")),
        count=int(r.get("occurrence_count") or 0),
        last_seen=r.get("last_seen"),
        success=s,
        failure=f,
        confidence=_float(r.get("confidence_score")),
        lo=interval[0] if interval else None,
        hi=interval[1] if interval else None,
        auto_approved=bool(r.get("auto_approved")),
        version=int(r.get("version") or 1),
    )


def _patterns_engine(con: Any, limit: int) -> tuple[PatternRow, ...]:
    """Patterns with the engine's confidence and interval (analytics.patterns.rows: plain rows, so the
    pane's first read does not import the analysis libraries)."""
    from analytics.patterns.rows import pattern_rows

    out = []
    for r in pattern_rows(con, limit):
        row = _pattern_row(r)
        lo, hi = _float(r.get("confidence_lo")), _float(r.get("confidence_hi"))
        if int(r.get("success_count") or 0) + int(r.get("failure_count") or 0) == 0:
            lo = hi = None  # no outcomes: the confidence is the prior, not a measurement
        out.append(PatternRow(**{**row.__dict__, "lo": lo, "hi": hi}))
    return tuple(out)


def _patterns(con: Any, limit: int) -> tuple[PatternRow, ...]:
    rows = _dicts(
        con,
        """
        SELECT * FROM error_patterns
        ORDER BY last_seen DESC NULLS LAST, occurrence_count DESC, error_hash
        LIMIT ?
        """,
        [limit],
    )
    return tuple(_pattern_row(r) for r in rows)


_VITAL_NAMES = {
    "cpu": ("cpu_percent", "cpu", "cpu_pct"),
    "mem": ("memory_percent", "mem_percent", "memory", "mem"),
    "disk": ("disk_percent", "disk_used_percent", "disk"),
    "load": ("load1", "load_1", "load"),
}


def _vitals(con: Any, now: dt.datetime, host: str | None, points: int = 60) -> dict[str, tuple[float, ...]]:
    """The last few minutes of this host's vitals the collector stored, to seed the top bar's sparklines
    (the top bar shows the local machine: another host's readings in the same store must not seed it)."""
    if not host:
        return {}
    names = sorted({n for v in _VITAL_NAMES.values() for n in v})
    rows = con.execute(
        """
        SELECT metric, list(value ORDER BY ts) FROM (
            SELECT metric, value, ts, row_number() OVER (PARTITION BY metric ORDER BY ts DESC) AS rn
            FROM metrics
            WHERE ts >= ? AND ts <= ? AND component = 'host' AND host = ? AND metric IN (SELECT unnest(?))
        ) WHERE rn <= ? GROUP BY metric
        """,
        [now - dt.timedelta(minutes=10), now, host, names, points],
    ).fetchall()
    found = {m: tuple(float(x) for x in vals) for m, vals in rows}
    out: dict[str, tuple[float, ...]] = {}
    for key, candidates in _VITAL_NAMES.items():
        for c in candidates:
            if c in found:
                out[key] = found[c]
                break
    return out


def _next_change(con: Any, now: dt.datetime, predictions: Pane | None) -> dt.datetime | None:
    """When the panes next change by the clock alone (a shown prediction falls due, a snooze ends)."""
    times = [r.due_at for r in (predictions.rows if predictions else ()) if getattr(r, "due_at", None)]
    if "snoozed_until" in _columns(con, "smart_recommendations"):
        ends = con.execute("SELECT min(snoozed_until) FROM smart_recommendations "
                           "WHERE status = 'snoozed' AND snoozed_until > ?", [now]).fetchall()
        if ends and ends[0][0] is not None:
            times.append(ends[0][0])
    later = [t for t in times if t > now]
    return min(later) if later else None


def _local_host(config: Any) -> str | None:
    """The name this machine's collector stores its readings under (``[general] host`` or the hostname)."""
    if config is None:
        return socket.gethostname()
    try:
        return str(config.host)
    except AttributeError:
        return socket.gethostname()


def _fleet_sources(con: Any, now: dt.datetime, config: Any) -> tuple[tuple[str, str, float | None], ...]:
    """State and freshness of each fleet source (what the collector stored with its checkpoints)."""
    from analytics.sources.fleet.status import fleet_summary

    names = [(s.name, s.type) for s in getattr(config, "sources", ()) or ()]
    summary = fleet_summary(con, now, names)
    return tuple((r["name"], r["state"], r["freshness_s"]) for r in summary["sources"])


def _hosts(con: Any) -> tuple[str, ...]:
    rows = con.execute(
        "SELECT DISTINCT host FROM metrics_hourly WHERE hour >= (SELECT max(hour) FROM metrics_hourly) - INTERVAL 1 DAY "
        "ORDER BY host LIMIT 50"
    ).fetchall()
    return tuple(r[0] for r in rows if r[0])


def _forecasts(store: Any, con: Any, now: dt.datetime, limit: int) -> tuple[ForecastRow, ...]:
    """Sparkline data from the forecasting engine (issue 5), normalised to ForecastRow."""
    data = _call_engine(
        "analytics.forecast.sparklines",
        ("dashboard_sparklines", "sparkline_data", "sparklines"),
        store,
        now=now,
    )
    rows = data.to_dicts() if hasattr(data, "to_dicts") else list(data)
    out = []
    for item in rows[:limit]:
        r = item if isinstance(item, dict) else getattr(item, "__dict__", {})
        history = tuple(float(x) for x in (r.get("history") or ()) if x is not None)
        forecast = tuple(float(x) for x in (r.get("forecast") or ()) if x is not None)
        pct = _float(r.get("pct_change", r.get("percent_change")))
        trend = _str(r.get("trend")) or "unknown"
        colour = _str(r.get("colour", r.get("color")))
        if not colour:
            colour = "green" if pct is None or pct <= 10 else "yellow" if pct <= 20 else "red"
        out.append(
            ForecastRow(
                key=f"{r.get('host', '')}/{r.get('component')}/{r.get('metric')}",
                component=_str(r.get("component")),
                metric=_str(r.get("metric")),
                history=history,
                forecast=forecast,
                lo=tuple(float(x) for x in (r.get("lo") or ()) if x is not None),
                hi=tuple(float(x) for x in (r.get("hi") or ()) if x is not None),
                current=_float(r.get("current")),
                predicted=_float(r.get("predicted", r.get("forecast_value"))),
                pct_change=pct,
                trend=trend,
                significant=bool(r.get("significant")),
                colour=colour,
                model=_str(r.get("model")),
                backtest_error=_float(r.get("backtest_error", r.get("mase"))),
                note=_str(r.get("note")),
            )
        )
    return tuple(out)


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


def _pane(name: str, available: bool, loader: Callable[[], tuple[Any, ...]]) -> Pane:
    """Run one pane's loader; a failure of that pane (not of the store) is shown in the pane only."""
    from analytics.store.database import StoreError

    if not available:
        return Pane(name, False, (), engine_note(name))
    try:
        return Pane(name, True, loader())
    except StoreError:
        raise
    except Exception as exc:  # an engine's bug or an unexpected schema must not blank the whole dashboard
        return Pane(name, False, (), f"Could not load this pane: {type(exc).__name__}: {exc}")


# -- the one read ----------------------------------------------------------------------------------


def load_dashboard(
    store_or_path: Any,
    *,
    now: dt.datetime | None = None,
    limit: int = 200,
    config: Any = None,
    engines: Callable[[str], bool] | None = None,
) -> DashboardView:
    """Read everything one dashboard refresh shows, in one short visit to the store.

    ``store_or_path`` is an :class:`analytics.store.database.Store` or a database path. Raises the store's
    ``StoreError`` subclasses (busy, corrupt, too new) for the caller to show as a message.
    """
    from analytics.store.database import Store

    started = time.perf_counter()
    store = store_or_path if isinstance(store_or_path, Store) else Store(Path(store_or_path))
    at = now or utcnow()
    check = engines or engine_available
    have = {name: check(name) for name in ENGINES}
    panes: dict[str, Pane] = {}
    with store.read() as con:
        borrowed = _Borrowed(con, store.path)
        learning = _learning_engine(borrowed, config) if have["learning"] else _learning(con)
        vitals = _vitals(con, at, _local_host(config))
        hosts = _hosts(con)
        sources = _fleet_sources(con, at, config)
        patterns = (lambda: _patterns_engine(con, limit)) if have["patterns"] else (lambda: _patterns(con, limit))
        for name, loader in (
            ("predictions", lambda: _predictions(con, at, limit)),
            ("recommendations", lambda: _recommendations(con, at, limit)),
            ("patterns", patterns),
            ("forecast", lambda: _forecasts(borrowed, None, at, limit)),
        ):
            panes[name] = _pane(name, have[name], loader)
        next_change = _next_change(con, at, panes.get("predictions"))
        setup = _setup(con, config, store.path)
    return DashboardView(
        now=at,
        db_path=str(store.path),
        learning=learning,
        learning_note="" if have["learning"] else engine_note("learning"),
        panes=panes,
        vitals=vitals,
        ai_status=ai_status(config),
        hosts=hosts,
        sources=sources,
        load_ms=(time.perf_counter() - started) * 1000.0,
        next_change=next_change,
        setup=setup,
    )


def _setup(con: Any, config: Any, path: Any) -> Any:
    from analytics.dashboard.setup_state import read_setup

    try:
        return read_setup(con, config, path, _local_host(config))
    except Exception:  # noqa: BLE001 — the hints are extras: never let them stop a refresh
        return None


def db_signature(path: str | os.PathLike[str]) -> tuple[int, int, int, int] | None:
    """A cheap fingerprint of the database files (:func:`analytics.store.database.file_signature`).

    The dashboard re-reads the store only when this changes, so an idle dashboard costs one ``stat``
    per refresh instead of a query.
    """
    from analytics.store.file_signature import file_signature

    return file_signature(path)


# -- details ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatternDetail:
    pattern: PatternRow
    examples: tuple[tuple[dt.datetime, str, str], ...]  # ts, component, message
    occurrences: tuple[float, ...]  # per day, oldest first
    fixes: tuple[tuple[dt.datetime | None, bool, str, int | None], ...]  # applied_at, success, fix, version
    versions: tuple[tuple[int, str, str, dt.datetime | None], ...]  # version, solution, source, created
    confidence_over_time: tuple[float, ...]  # running success rate after each outcome
    analysis: dict[str, Any] | None


@dataclass(frozen=True)
class RecommendationDetail:
    rec: RecommendationRow
    evidence: str
    history: tuple[tuple[dt.datetime | None, str, str], ...]  # when, action, note
    snoozed_until: dt.datetime | None


@dataclass(frozen=True)
class PredictionDetail:
    prediction: PredictionRow
    evidence: dict[str, Any]
    rule_scored: int
    rule_accurate: int
    baseline: dict[str, Any] | None

    @property
    def rule_precision(self) -> float | None:
        return self.rule_accurate / self.rule_scored if self.rule_scored else None


@dataclass(frozen=True)
class ComponentDetail:
    component: str
    metrics: tuple[tuple[str, float | None, tuple[float, ...]], ...]  # metric, latest, hourly means (72 h)
    baselines: tuple[dict[str, Any], ...]
    forecasts: tuple[ForecastRow, ...]


def load_pattern_detail(store: Any, error_hash: str, *, now: dt.datetime | None = None) -> PatternDetail | None:
    at = now or utcnow()
    with store.read() as con:
        rows = _dicts(con, "SELECT * FROM error_patterns WHERE error_hash = ?", [error_hash])
        if not rows:
            return None
        pattern = _pattern_row(rows[0])
        examples = con.execute(
            "SELECT ts, component, message FROM error_events WHERE fingerprint = ? ORDER BY ts DESC LIMIT 5",
            [error_hash],
        ).fetchall()
        per_day = dict(
            con.execute(
                "SELECT date_trunc('day', ts) AS d, count(*) FROM error_events WHERE fingerprint = ? "
                "AND ts >= ? GROUP BY d",
                [error_hash, at - dt.timedelta(days=30)],
            ).fetchall()
        )
        fixes = con.execute(
            "SELECT applied_at, success, fix_applied, solution_version FROM fix_history WHERE error_hash = ? "
            "ORDER BY applied_at, id",
            [error_hash],
        ).fetchall()
        versions = con.execute(
            "SELECT version, solution, coalesce(source, ''), created_at FROM pattern_versions WHERE error_hash = ? "
            "ORDER BY version DESC",
            [error_hash],
        ).fetchall()
        cache_cols = _columns(con, "ai_analysis_cache")
        key_col = "error_hash" if "error_hash" in cache_cols else "error_signature"
        analysis_row = _dicts(
            con,
            "SELECT analysis, root_cause, confidence, reasoning, recommendations, model, tokens_used, cost, "
            f"hit_count, created_at FROM ai_analysis_cache WHERE {key_col} = ? "
            "AND (expires_at IS NULL OR expires_at > ?) ORDER BY last_used_at DESC LIMIT 1",
            [error_hash, at],
        )
    start = (at - dt.timedelta(days=29)).replace(hour=0, minute=0, second=0, microsecond=0)
    occurrences = tuple(float(per_day.get(start + dt.timedelta(days=i), 0)) for i in range(30))
    running, ok, n = [], 0, 0
    for _, success, _, _ in fixes:
        n += 1
        ok += bool(success)
        running.append((ok + 1) / (n + 2))  # Laplace-smoothed running rate, for the trend only
    return PatternDetail(
        pattern=pattern,
        examples=tuple((r[0], _str(r[1]), _str(r[2])) for r in examples),
        occurrences=occurrences,
        fixes=tuple((r[0], bool(r[1]), _str(r[2]), r[3]) for r in fixes),
        versions=tuple((int(r[0]), _str(r[1]), _str(r[2]), r[3]) for r in versions),
        confidence_over_time=tuple(running),
        analysis=analysis_row[0] if analysis_row else None,
    )


def load_recommendation_detail(store: Any, rec_id: int) -> RecommendationDetail | None:
    with store.read() as con:
        cols = _columns(con, "smart_recommendations")
        rows = _dicts(con, "SELECT * FROM smart_recommendations WHERE id = ?", [rec_id])
        if not rows:
            return None
        r = rows[0]
        history = con.execute(
            "SELECT event_at, action, coalesce(note, '') FROM recommendation_events WHERE rec_id = ? "
            "ORDER BY event_at, id",
            [rec_id],
        ).fetchall()
    rec = RecommendationRow(
        key=str(r["id"]),
        id=int(r["id"]),
        priority=int(r.get("priority") or 3),
        impact=_float(r.get("impact_score")),
        title=_str(r.get("title")),
        category=_str(r.get("category")),
        description=_str(r.get("description")),
        action=_str(r.get("action")),
        status=_str(r.get("status")) if "status" in cols else ("applied" if r.get("applied") else "open"),
        created_at=r.get("created_at"),
    )
    return RecommendationDetail(
        rec=rec,
        evidence=_str(r.get("evidence")),
        history=tuple((h[0], _str(h[1]), _str(h[2])) for h in history),
        snoozed_until=r.get("snoozed_until"),
    )


def load_prediction_detail(store: Any, prediction_id: int) -> PredictionDetail | None:
    with store.read() as con:
        rows = _dicts(con, "SELECT * FROM predictions WHERE id = ?", [prediction_id])
        if not rows:
            return None
        r = rows[0]
        rule = r.get("rule") or r.get("prediction_type")
        scored = con.execute(
            "SELECT count(accurate), count(*) FILTER (WHERE accurate) FROM predictions "
            "WHERE coalesce(rule, prediction_type) = ? AND accurate IS NOT NULL",
            [rule],
        ).fetchone()
        base = _dicts(
            con,
            "SELECT * FROM performance_baselines WHERE component = ? AND metric_name = ? LIMIT 1",
            [r.get("component"), r.get("metric") or ""],
        )
    try:
        evidence = json.loads(r.get("evidence") or "{}")
        if not isinstance(evidence, dict):
            evidence = {"evidence": evidence}
    except ValueError:
        evidence = {"evidence": r.get("evidence")}
    row = PredictionRow(
        key=str(r["id"]),
        id=int(r["id"]),
        severity=_str(r.get("severity")).upper() or "INFO",
        type=_str(r.get("prediction_type")),
        component=_str(r.get("component")),
        host=_str(r.get("host")),
        message=_str(r.get("message")),
        confidence=_float(r.get("confidence_score")),
        confidence_kind=_str(r.get("confidence_kind")) or "prior",
        recommendation=_str(r.get("recommendation")),
        made_at=r.get("prediction_date"),
        due_at=r.get("due_at"),
        evidence=_str(r.get("evidence")),
        brief=prediction_brief(_str(r.get("prediction_type")), _str(r.get("component")), _str(r.get("message")),
                               _str(r.get("evidence"))),
    )
    return PredictionDetail(
        prediction=row,
        evidence=evidence,
        rule_scored=int(scored[0]),
        rule_accurate=int(scored[1]),
        baseline=base[0] if base else None,
    )


def load_component_detail(store: Any, component: str, *, now: dt.datetime | None = None) -> ComponentDetail:
    at = now or utcnow()
    with store.read() as con:
        rows = con.execute(
            """
            SELECT metric, list(sum / n ORDER BY hour), arg_max(sum / n, hour)
            FROM metrics_hourly WHERE component = ? AND hour >= ? AND hour <= ?
            GROUP BY metric ORDER BY metric
            """,
            [component, at - dt.timedelta(hours=72), at],
        ).fetchall()
        baselines = _dicts(
            con,
            "SELECT * FROM performance_baselines WHERE component = ? ORDER BY metric_name",
            [component],
        )
    forecasts: tuple[ForecastRow, ...] = ()
    if engine_available("forecast"):
        try:
            forecasts = tuple(f for f in _forecasts(store, None, at, 500) if f.component == component)
        except LookupError:
            forecasts = ()
    return ComponentDetail(
        component=component,
        metrics=tuple((m, _float(last), tuple(float(v) for v in vals)) for m, vals, last in rows),
        baselines=tuple(baselines),
        forecasts=forecasts,
    )
