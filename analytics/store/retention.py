"""Retention and housekeeping of the store: facts about its size, pruning old raw rows, vacuum.

Raw metrics and error events grow without bound; analyses read the hourly rollup, so raw rows past
their retention are deleted (the rollup keeps their summary, and ``metrics_pruned`` how many of each
series' readings went). Predictions go after theirs, and with them what was said about them: the record
of what Alertmanager was told, once nothing more is to be told, and of the terminal notices (the bell,
tmux) they rang. The health recorded for an Alertmanager endpoint goes once it is no longer configured.
Learned knowledge (patterns, fixes) is kept.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

from analytics.common.epoch_time import TS_MAX, TS_MIN
from analytics.common.sizes import human_bytes  # noqa: F401  (re-exported: `lokifi db` prints sizes with it)
from analytics.config.paths import spool_dir
from analytics.store.database import Store
from analytics.store.private import exposure
from analytics.store.spool_files import inspect

ROW_TABLES = (
    "metrics",
    "metrics_hourly",
    "error_events",
    "error_patterns",
    "fix_history",
    "pattern_versions",
    "performance_baselines",
    "predictions",
    "alert_deliveries",
    "prediction_notices",
    "alert_endpoint",
    "predictive_alerts",
    "smart_recommendations",
    "recommendation_events",
    "ai_analysis_cache",
    "ai_calls",
    "ingested_files",
    "source_checkpoints",
    "probe_results",
    "source_status",
)


@dataclass(frozen=True)
class DbInfo:
    path: str
    size_bytes: int
    wal_bytes: int
    schema_version: int
    known_version: int
    row_counts: dict[str, int]
    spooled_batches: int  # in the spool, the refused ones included
    oldest_metric: dt.datetime | None
    newest_metric: dt.datetime | None
    #: what other users can read or change, and what the spool's next drain would refuse
    warnings: list[str] = field(default_factory=list)
    #: of spooled_batches, those the next drain would refuse (the warnings say why)
    refused_batches: int = 0


def db_info(store: Store) -> DbInfo:
    from analytics.store.database import known_version

    with store.read() as con:
        existing = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        }
        counts = {}
        for t in ROW_TABLES:
            if t in existing:
                counts[t] = int(con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0])
        version = int(con.execute("SELECT coalesce(max(number), 0) FROM schema_migrations").fetchall()[0][0])
        # rows stored before timestamps were range-checked at ingest (year 0, year 9999) are left out: the
        # years ingest reads (analytics.common.epoch_time)
        # the hourly roll-up reaches furthest back; the raw rows give the newest reading to the second
        lo, hi = con.execute(
            "SELECT min(t), max(t) FROM ("
            " SELECT unnest([min(hour), max(hour)]) AS t FROM metrics_hourly WHERE hour >= $lo AND hour < $hi"
            " UNION ALL SELECT min(ts) FROM metrics WHERE ts >= $lo AND ts < $hi"
            " UNION ALL SELECT max(ts) FROM metrics WHERE ts >= $lo AND ts < $hi)",
            {"lo": TS_MIN, "hi": TS_MAX},
        ).fetchall()[0]
    spool_notes, refused = inspect(spool_dir(store.path))
    size = store.path.stat().st_size if store.path.exists() else 0
    wal = store.path.with_name(store.path.name + ".wal")
    return DbInfo(
        path=str(store.path),
        size_bytes=size,
        wal_bytes=wal.stat().st_size if wal.exists() else 0,
        schema_version=version,
        known_version=known_version(),
        row_counts=counts,
        spooled_batches=store.spooled(),
        oldest_metric=lo,
        newest_metric=hi,
        warnings=exposure(store.path) + spool_notes,
        refused_batches=refused,
    )


@dataclass(frozen=True)
class PruneResult:
    metrics: int
    error_events: int
    predictions: int
    dry_run: bool
    fix_history: int = 0
    imported: int = 0  # of the metrics and error events counted, rows imported with `lokifi ingest`
    alert_deliveries: int = 0  # records of alerts resolved or abandoned whose predictions are pruned or gone
    prediction_notices: int = 0  # records of the terminal notices of predictions pruned or gone
    alert_endpoints: int = 0  # the recorded health of Alertmanager endpoints no longer configured


#: What was said about a prediction goes with it -- once it is past retention, or gone already: what
#: Alertmanager was told, once there is nothing more to tell it (resolved, or abandoned: analytics.alerts.deliver),
#: and which predictions rang the terminal's bell or showed in tmux (analytics.alerts.deliver.notify).
_SAID = {"alert_deliveries": "state IN ('resolved', 'abandoned') AND ", "prediction_notices": ""}


def _said_done(table: str) -> str:
    return (
        f"{_SAID[table]}NOT EXISTS (SELECT 1 FROM predictions p WHERE p.id = {table}.prediction_id "
        "AND p.prediction_date >= ?)"
    )


#: Before raw metric rows are deleted, how many of each series' go: `lokifi db series` counts the readings
#: stored as the hourly rollup's less these (:mod:`analytics.store.stored_series`).
_COUNT_PRUNED = (
    "INSERT INTO metrics_pruned SELECT host, component, metric, count(*) FROM metrics WHERE {where} GROUP BY ALL "
    "ON CONFLICT (host, component, metric) DO UPDATE SET n = metrics_pruned.n + excluded.n"
)


def _unconfigured(endpoints: tuple[str, ...]) -> str:
    return "endpoint NOT IN (" + ", ".join("?" * len(endpoints)) + ")" if endpoints else "true"


#: fix outcomes that carry a pattern's current confidence: never pruned (the current solution version's)
_OLD_VERSIONS_ONLY = (
    "NOT EXISTS (SELECT 1 FROM error_patterns p WHERE p.error_hash = fix_history.error_hash "
    "AND coalesce(fix_history.solution_version, 1) = CASE WHEN coalesce(p.solution, '') = '' "
    "THEN 0 ELSE coalesce(p.version, 1) END)"
)


def prune(
    store: Store,
    *,
    metrics_days: int,
    events_days: int,
    predictions_days: int,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    fix_history_days: int | None = None,
    keep_imported: bool = False,
    endpoints: tuple[str, ...] | None = None,
    owner: str | None = None,
) -> PruneResult:
    """Delete raw rows older than their retention, and the resolved or abandoned alert records and the
    terminal notices of the predictions past theirs (or gone). With ``dry_run`` only count them.

    ``fix_history_days``: also fix outcomes older than that -- except those of each pattern's current
    solution, whose confidence and approval they carry (None keeps fix history). ``keep_imported``: leave
    metrics and error events imported with ``lokifi ingest`` (source ``ingest:...``) alone -- the
    collector's automatic retention; ``lokifi db prune`` (which asks first) deletes them too.
    ``endpoints``: the Alertmanager endpoints configured (:func:`analytics.alerts.endpoint.kept`; empty:
    none), whose recorded health is kept, that of any other going (None: every one is kept); with ``owner``
    (:func:`analytics.alerts.endpoint.owner`), only the records the deliveries made with that config file
    go: a record another config's deliveries made is that config's to drop."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    cuts = {
        "metrics": ("ts", now - dt.timedelta(days=metrics_days)),
        "error_events": ("ts", now - dt.timedelta(days=events_days)),
        "predictions": ("prediction_date", now - dt.timedelta(days=predictions_days)),
    }
    extra = {}
    if fix_history_days is not None:
        cuts["fix_history"] = ("applied_at", now - dt.timedelta(days=fix_history_days))
        extra["fix_history"] = " AND " + _OLD_VERSIONS_ONLY
    imported = " AND coalesce(source, '') LIKE 'ingest:%'"
    if keep_imported:
        for table in ("metrics", "error_events"):
            extra[table] = " AND coalesce(source, '') NOT LIKE 'ingest:%'"
    counts = {}
    n_imported = 0
    ctx = store.read() if dry_run else store.write()
    with ctx as con:
        if not keep_imported:
            for table in ("metrics", "error_events"):
                col, cut = cuts[table]
                n_imported += int(
                    con.execute(f"SELECT count(*) FROM {table} WHERE {col} < ?{imported}", [cut]).fetchall()[0][0]
                )
        for table, (col, cut) in cuts.items():
            where = f"{col} < ?" + extra.get(table, "")
            counts[table] = int(con.execute(f"SELECT count(*) FROM {table} WHERE {where}", [cut]).fetchall()[0][0])
            if not dry_run and counts[table]:
                if table == "metrics":
                    con.execute(_COUNT_PRUNED.format(where=where), [cut]).fetchall()
                con.execute(f"DELETE FROM {table} WHERE {where}", [cut]).fetchall()
        # after the predictions: the same count whether they were deleted (a prune) or not (a dry run); a
        # file only read, of a Lokifi from before alerts, has no such tables
        _, cut = cuts["predictions"]
        for table in _SAID:
            counts[table] = 0
            if _has(con, table):
                counts[table] = int(
                    con.execute(f"SELECT count(*) FROM {table} WHERE {_said_done(table)}", [cut]).fetchall()[0][0]
                )
            if not dry_run and counts[table]:
                con.execute(f"DELETE FROM {table} WHERE {_said_done(table)}", [cut]).fetchall()
        counts["alert_endpoint"] = 0
        if endpoints is not None and _has(con, "alert_endpoint"):
            gone, args = _unconfigured(endpoints), list(endpoints)
            if owner is not None:
                gone, args = f"{gone} AND config = ?", [*args, owner]
            counts["alert_endpoint"] = int(
                con.execute(f"SELECT count(*) FROM alert_endpoint WHERE {gone}", args).fetchall()[0][0]
            )
            if not dry_run and counts["alert_endpoint"]:
                con.execute(f"DELETE FROM alert_endpoint WHERE {gone}", args).fetchall()
    return PruneResult(
        metrics=counts["metrics"],
        error_events=counts["error_events"],
        predictions=counts["predictions"],
        dry_run=dry_run,
        fix_history=counts.get("fix_history", 0),
        imported=n_imported,
        alert_deliveries=counts["alert_deliveries"],
        prediction_notices=counts["prediction_notices"],
        alert_endpoints=counts["alert_endpoint"],
    )


def _has(con, table: str) -> bool:
    """Whether the database has ``table`` (a file only read, of an older Lokifi, may not)."""
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]).fetchall()[0][0])


def vacuum(store: Store) -> tuple[int, int]:
    """Reclaim space (CHECKPOINT + VACUUM). Returns (size before, size after) in bytes."""
    before = store.path.stat().st_size if store.path.exists() else 0
    with store.read() as con:
        con.execute("VACUUM").fetchall()
        con.execute("FORCE CHECKPOINT").fetchall()
    after = store.path.stat().st_size if store.path.exists() else 0
    return before, after


def file_size(path: str | os.PathLike[str]) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def apply_retention(
    store: Store, config=None, now: dt.datetime | None = None, endpoints: tuple[str, ...] | None = None
) -> PruneResult:
    """The collector's housekeeping: prune the raw rows it gathered past the configured retention
    (rows imported with ``lokifi ingest`` are left to ``lokifi db prune``, which asks first), and the
    health of Alertmanager endpoints not among ``endpoints`` (see :func:`prune`)."""
    from analytics.config.settings import Retention

    r = getattr(config, "retention", None) or Retention()
    return prune(
        store,
        metrics_days=r.metrics_days,
        events_days=r.events_days,
        predictions_days=r.predictions_days,
        now=now,
        fix_history_days=r.fix_history_days,
        keep_imported=True,
        endpoints=endpoints,
    )
