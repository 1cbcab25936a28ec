"""The recommendation engine: run every rule family over fresh facts and store the findings.

:func:`refresh` is what ``lokifi ai recommendations``, ``lokifi scan``, the collector and the dashboard
call. It walks the watched directories once (:mod:`.facts`), runs the rule families (security,
dependencies, performance, maintenance, system), scores each finding (:mod:`.scoring`, with what this
host's dismissals taught) and upserts them in one transaction (:mod:`.lifecycle`). The database is held
only for that final write and for the few short reads the rules make.

A rule family that fails (an unreadable directory, a busy database for one read) is reported in
``RefreshReport.problems`` and its rules are not counted as evaluated, so its stored findings are left
as they were instead of being marked resolved. Likewise a recommendation from a place this refresh did
not look at (a project directory it does not watch, one it could not read, a scan from another
directory) stays as it is: each records where its facts came from (:mod:`.scopes`) — until the config
file no longer watches that directory: the first refresh with the file that dropped it resolves what
came from there, and only that (:mod:`.watched`).

:func:`refresh_stored` is the refresh for another host (e.g. a fleet host from Prometheus): only the
rules over that host's stored metrics run (the performance family). The project directories, the
dependency and security checks and the live disk/memory/CPU probe are this machine's facts, so they are
not recorded under another host's name (and that host's findings of those rules are left as they are).

The secret scan (detect-secrets over the project files) and the audit reports run when
``security_scan=True`` — that is ``lokifi scan``, which also records when it ran; a plain refresh keeps
their last findings and reports the scan's age instead.

The dashboard's triage calls :func:`list_recs` / :data:`list`, :func:`apply`, :func:`dismiss`,
:func:`snooze` and :func:`undo`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from analytics.recommend import lifecycle, watched
from analytics.recommend.finding import Finding, RuleRun
from analytics.recommend.lifecycle import (
    BadTransition,
    Rec,
    RecNotFound,
    get,
    history,
    list_recs,
    reset_learning,
    utcnow,
)
from analytics.recommend.scopes import Looked
from analytics.recommend.system import Probe, PsutilProbe
from analytics.recommend.upsert import UpsertSummary, upsert
from analytics.store.engine import registered

__all__ = [
    "BadTransition",
    "Probe",
    "PsutilProbe",
    "Rec",
    "RecNotFound",
    "RefreshReport",
    "apply",
    "dismiss",
    "get",
    "history",
    "last_security_scan",
    "learning",
    "list_recs",
    "refresh",
    "refresh_stored",
    "reset_learning",
    "snooze",
    "undo",
]

SCAN_KEY = "recommend.last_security_scan:{host}"


@dataclass
class RefreshReport:
    host: str
    now: dt.datetime
    findings: list[Finding]
    summary: UpsertSummary
    problems: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    security_scan: bool = False
    seconds: float = 0.0

    @classmethod
    def of(
        cls,
        run: RuleRun,
        host: str,
        now: dt.datetime,
        summary: UpsertSummary,
        t0: float,
        *,
        security_scan: bool = False,
    ) -> RefreshReport:
        """The report of a refresh that started at ``t0`` (``time.perf_counter()``) and upserted ``run``."""
        return cls(
            host=host,
            now=now,
            findings=run.findings,
            summary=summary,
            problems=run.problems,
            stats=run.stats,
            security_scan=security_scan,
            seconds=time.perf_counter() - t0,
        )


def last_security_scan(store, host: str) -> dt.datetime | None:
    raw = store.get_kv(SCAN_KEY.format(host=host))
    if not raw:
        return None
    try:
        return dt.datetime.fromisoformat(json.loads(raw)["at"])
    except (ValueError, KeyError, TypeError):
        try:
            return dt.datetime.fromisoformat(raw)
        except ValueError:
            return None


def _load_secret_cache(store, scanner: str) -> dict:
    """The secret scanner's stored verdicts for files it read before (same scanner and baselines only)."""
    from analytics.recommend.security import SecretHit

    with store.read() as con:
        rows = con.execute(
            "SELECT path, size, mtime_ns, hits FROM rec_secret_cache WHERE scanner = ?", [scanner]
        ).fetchall()
    out = {}
    for path, size, mtime_ns, hits in rows:
        try:
            out[path] = (int(size), int(mtime_ns), [SecretHit(str(t), int(n)) for n, t in json.loads(hits)])
        except (ValueError, TypeError):
            continue
    return out


def _store_secret_cache(con, rows: Sequence[dict], now: dt.datetime, scanner: str) -> None:
    import polars as pl

    df = pl.DataFrame(rows, schema={"path": pl.String, "size": pl.Int64, "mtime_ns": pl.Int64, "hits": pl.String})
    df = df.with_columns(pl.lit(scanner).alias("scanner"), pl.lit(now).cast(pl.Datetime("us")).alias("scanned_at"))
    with registered(con, "_secret_cache_batch", df):
        con.execute(
            "INSERT INTO rec_secret_cache SELECT path, size, mtime_ns, hits, scanner, scanned_at "
            "FROM _secret_cache_batch "
            "ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, "
            "hits = excluded.hits, "
            "scanner = excluded.scanner, scanned_at = excluded.scanned_at"
        )


class _SharedRead:
    """A store whose ``read()`` hands out one already-open connection (for a burst of small reads)."""

    def __init__(self, store, con) -> None:
        self.path = store.path
        self._con = con

    @contextlib.contextmanager
    def read(self, timeout: float | None = None):
        yield self._con


def _family(run: RuleRun, name: str, fn, *args, **kwargs) -> None:
    try:
        run.extend(fn(*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - one family failing must not hide the others' findings
        run.problems.append(f"{name} rules failed: {type(exc).__name__}: {exc}")


def refresh(
    store,
    config,
    now: dt.datetime | None = None,
    *,
    security_scan: bool = False,
    probe: Probe | None = None,
    cwd: str | None = None,
    host: str | None = None,
    background: bool = False,
) -> RefreshReport:
    """Run all rules and upsert their findings. Returns what was found and what changed. ``background``:
    the collector's refresh, which walks only the configured directories and the logs (never the
    directory the process started in)."""
    from analytics.recommend.audit import audit_rules
    from analytics.recommend.dependencies import dependency_rules
    from analytics.recommend.facts import gather
    from analytics.recommend.maintenance import maintenance_rules
    from analytics.recommend.performance import performance_rules
    from analytics.recommend.security import load_baselines, scan_age_rule, scanner_version, secret_rules
    from analytics.recommend.system import system_rules

    t0 = time.perf_counter()
    now = now or utcnow()
    host = host or config.host
    rc = config.recommendations
    facts = gather(config, cwd, collect_text=security_scan, projects_from_cwd=not background)
    run = RuleRun()
    run.stats.update(
        files_seen=facts.files_seen,
        dirs_seen=facts.dirs_seen,
        logs=len(facts.logs),
        manifests=len(facts.manifests),
        unreadable=len(facts.unreadable),
    )
    configured_roots = {
        os.path.abspath(os.path.expanduser(d)) for d in (*config.watch.project_dirs, *config.watch.log_dirs)
    }
    for d in facts.unreadable:
        if d in configured_roots:
            run.problems.append(f"{d}: in [watch] of the config but missing or not readable; skipped")
    if facts.truncated:
        from analytics.recommend.facts import MAX_FILES

        run.problems.append(
            f"{', '.join(facts.project_roots)}: stopped after {MAX_FILES:,} files; set "
            "[watch] project_dirs in lokifi.toml to the projects to watch"
        )
    if security_scan:
        baselines = load_baselines([*facts.project_roots, *facts.git_roots])
        scanner = scanner_version(baselines.digest)
        cache = _load_secret_cache(store, scanner)
        _family(
            run,
            "secret",
            secret_rules,
            facts,
            max_file_kb=rc.secret_max_file_kb,
            cache=cache,
            excludes=rc.secret_excludes,
            baselines=baselines,
        )
        _family(run, "audit report", audit_rules, facts, now, rc.security_scan_max_age_days)
        last: dt.datetime | None = now
    else:
        last = last_security_scan(store, host)
    _family(run, "security scan age", scan_age_rule, last, now, rc.security_scan_max_age_days)
    _family(run, "dependency", dependency_rules, facts, now, rc.dependency_max_age_days)
    probe = probe or PsutilProbe()
    with store.read() as con:  # the rules' few reads share one short-lived connection
        shared = _SharedRead(store, con)
        _family(run, "performance", performance_rules, shared, config, host, now)
        _family(run, "maintenance", maintenance_rules, facts, shared, config, now)
        _family(run, "system", system_rules, shared, config, host, now, probe)
    current = watched.is_current(config)  # read before the write: the file, not the database
    with store.write() as con:
        looked = facts.looked
        looked.unread_scopes |= run.unread
        looked.dropped = watched.take(con, config, host, current)
        looked.kept = watched.Watched.of(config).scopes()
        summary = upsert(con, host, now, run.findings, run.evaluated, rc.worse_factor, looked)
        if security_scan and run.cache_rows:
            _store_secret_cache(con, run.cache_rows, now, scanner)
        if security_scan:
            con.execute(
                "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                [
                    SCAN_KEY.format(host=host),
                    json.dumps(
                        {
                            "at": now.isoformat(),
                            "files": run.stats.get("secret_files_read", 0),
                            "secrets": sum(1 for f in run.findings if f.rule == "security.secret"),
                            "problems": len(run.problems),
                        }
                    ),
                    now,
                ],
            )
    return RefreshReport.of(run, host, now, summary, t0, security_scan=security_scan)


def refresh_stored(store, config, host: str, now: dt.datetime | None = None) -> RefreshReport:
    """Run only the rules over ``host``'s stored metrics (performance) and upsert their findings under
    ``host``: the refresh for a host other than this machine (see the module docstring)."""
    from analytics.recommend.performance import performance_rules

    t0 = time.perf_counter()
    now = now or utcnow()
    run = RuleRun()
    with store.read() as con:
        _family(run, "performance", performance_rules, _SharedRead(store, con), config, host, now)
    with store.write() as con:
        summary = upsert(con, host, now, run.findings, run.evaluated, config.recommendations.worse_factor, Looked())
    run.stats["scope"] = "stored metrics"
    return RefreshReport.of(run, host, now, summary, t0)


# -- triage ---------------------------------------------------------------------------------------


def apply(store, rec_id: int, *, now: dt.datetime | None = None, source: str = "cli") -> Rec:
    """Mark applied (the caller shows ``rec.action``; nothing is run here)."""
    return lifecycle.transition(store, rec_id, "applied", now=now, source=source)


def dismiss(store, rec_id: int, *, now: dt.datetime | None = None, source: str = "cli") -> Rec:
    return lifecycle.transition(store, rec_id, "dismissed", now=now, source=source)


def snooze(store, rec_id: int, delta: dt.timedelta, *, now: dt.datetime | None = None, source: str = "cli") -> Rec:
    now = now or utcnow()
    if delta.total_seconds() <= 0:
        raise BadTransition("a snooze needs a positive duration")
    return lifecycle.transition(store, rec_id, "snoozed", now=now, until=now + delta, source=source)


def undo(store, rec_id: int, *, now: dt.datetime | None = None, source: str | None = None) -> Rec:
    return lifecycle.undo(store, rec_id, now=now, source=source)


def learning(store, host: str) -> dict[str, dict[str, Any]]:
    """Per rule: dismissals, applications since the last reset, and the factor applied to its impact."""
    with store.read() as con:
        return lifecycle.learning_counts(con, host)


list = list_recs  # the dashboard's name for it; this module never uses the builtin
