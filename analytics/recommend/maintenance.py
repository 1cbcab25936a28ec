"""Maintenance rules: large log files, accumulated temp files, and the Lokifi database needing cleanup.

* ``maintenance.large_logs`` — per watched directory, the log files over ``large_log_mb``; the measure is
  their total size against the threshold, so two 60 MB logs weigh more than one.
* ``maintenance.temp_files`` — per watched project directory, temp files (``*.tmp``, ``*.swp``, ``*~``,
  ``.#*`` ...) older than ``temp_min_age_hours``: fires at ``temp_min_files`` of them or ``temp_min_mb``.
* ``maintenance.database`` — this database: raw rows past their retention (counted by
  :func:`analytics.store.retention.prune` with ``dry_run``) at ``db_stale_rows_min`` or more, or a file larger
  than ``db_max_mb``.

Actions point at ``lokifi clean logs`` / ``lokifi clean temp`` / ``lokifi db prune`` + ``vacuum``, which
ask before they touch anything (see :mod:`analytics.recommend.actions`).
"""

from __future__ import annotations

import datetime as dt
import os
import shlex

from analytics.recommend.facts import Facts, FileFact, component_log_files
from analytics.recommend.finding import Finding, RuleRun
from analytics.recommend.scopes import LOGS, PROJECT, scope

MB = 1024 * 1024


def _mb(n: float) -> str:
    return f"{n / MB:,.1f}MB"


def _components_for_logs(named: dict[str, str], files: list[FileFact], fallback: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(named.get(f.path, fallback) for f in files))


def _here(facts: Facts, root: str, command: str) -> str:
    """The cleanup command for files found under ``root``: as it is when directories are configured (the
    cleanup acts inside them); otherwise it acts in the directory it is run in, so it says where."""
    return command if facts.configured else f"cd {shlex.quote(root)} && {command}"


def large_log_rule(facts: Facts, config) -> RuleRun:
    rc = config.recommendations
    run = RuleRun(evaluated={"maintenance.large_logs"})
    limit = rc.large_log_mb * MB
    by_root: dict[str, list[FileFact]] = {}
    for f in facts.logs:
        if f.size > limit:
            by_root.setdefault(f.root, []).append(f)
    named = component_log_files(config)  # (globs expanded once, not per root)
    for root, files in sorted(by_root.items()):
        files.sort(key=lambda f: -f.size)
        total = sum(f.size for f in files)
        names = ", ".join(f"{os.path.relpath(f.path, root)} ({_mb(f.size)})" for f in files[:4])
        more = f" and {len(files) - 4} more" if len(files) > 4 else ""
        n = len(files)
        # the cleanup acts in configured directories, on the components' named log files, and (with no
        # directory configured) in the directory it is run in
        listed = all(f.path in named for f in files)
        owned = facts.configured or listed or root in facts.project_roots
        run.findings.append(
            Finding(
                rule="maintenance.large_logs",
                subject=root,
                scope=scope(LOGS, root),
                category="maintenance",
                title="Large log files detected",
                description=(
                    f"{n} log file{'s' if n != 1 else ''} in {root} exceed{'s' if n == 1 else ''} "
                    f"{rc.large_log_mb:g}MB (total: {_mb(total)}): {names}{more}."
                ),
                action=(
                    ("lokifi clean logs" if listed else _here(facts, root, "lokifi clean logs"))
                    if owned
                    else "sudo logrotate --force /etc/logrotate.conf"
                ),
                severity=0.35,
                value=total / MB,
                threshold=rc.large_log_mb,
                unit="MB",
                components=_components_for_logs(named, files, os.path.basename(root.rstrip(os.sep)) or root),
                evidence={
                    "root": root,
                    "files": [{"path": f.path, "bytes": f.size} for f in files],
                    "total_bytes": total,
                    "threshold_mb": rc.large_log_mb,
                },
            )
        )
    return run


def temp_rule(facts: Facts, config, now: dt.datetime) -> RuleRun:
    rc = config.recommendations
    run = RuleRun(evaluated={"maintenance.temp_files"})
    cutoff = now.replace(tzinfo=dt.UTC).timestamp() - rc.temp_min_age_hours * 3600
    by_root: dict[str, list[FileFact]] = {}
    for f in facts.temp_files:
        if f.mtime <= cutoff:
            by_root.setdefault(f.root, []).append(f)
    for root, files in sorted(by_root.items()):
        count, total = len(files), sum(f.size for f in files)
        by_count = count / max(1, rc.temp_min_files)
        by_size = total / max(1.0, rc.temp_min_mb * MB)
        if by_count < 1.0 and by_size < 1.0:
            continue
        if by_count >= by_size:
            value, threshold, unit = float(count), float(rc.temp_min_files), "files"
        else:
            value, threshold, unit = total / MB, rc.temp_min_mb, "MB"
        run.findings.append(
            Finding(
                rule="maintenance.temp_files",
                subject=root,
                scope=scope(PROJECT, root),
                category="maintenance",
                title="Accumulated temp files",
                description=(
                    f"{count} temp files older than {rc.temp_min_age_hours:g} h in {root} "
                    f"(total: {_mb(total)}), e.g. {', '.join(os.path.relpath(f.path, root) for f in files[:3])}."
                ),
                action=_here(facts, root, "lokifi clean temp"),
                severity=0.25,
                value=value,
                threshold=threshold,
                unit=unit,
                components=(os.path.basename(root.rstrip(os.sep)) or root,),
                evidence={"root": root, "count": count, "total_bytes": total, "sample": [f.path for f in files[:20]]},
            )
        )
    return run


def database_rule(store, config, now: dt.datetime) -> RuleRun:
    from analytics.store.retention import file_size, prune

    rc, ret = config.recommendations, config.retention
    run = RuleRun(evaluated={"maintenance.database"})
    stale = prune(
        store,
        metrics_days=ret.metrics_days,
        events_days=ret.events_days,
        predictions_days=ret.predictions_days,
        now=now,
        dry_run=True,
    )
    rows = stale.metrics + stale.error_events + stale.predictions
    size = file_size(store.path) + file_size(str(store.path) + ".wal")
    by_rows = rows / max(1, rc.db_stale_rows_min)
    by_size = size / max(1.0, rc.db_max_mb * MB)
    if by_rows < 1.0 and by_size < 1.0:
        return run
    parts = []
    if rows:
        parts.append(
            f"{rows:,} raw rows are past retention (metrics {stale.metrics:,}, error events "
            f"{stale.error_events:,}, predictions {stale.predictions:,})"
        )
    parts.append(f"the file is {_mb(size)}" + (f" (limit {rc.db_max_mb:g}MB)" if by_size >= 1.0 else ""))
    value, threshold, unit = (
        (float(rows), float(rc.db_stale_rows_min), "rows past retention")
        if by_rows >= by_size
        else (size / MB, rc.db_max_mb, "MB")
    )
    run.findings.append(
        Finding(
            rule="maintenance.database",
            subject=str(store.path),
            category="maintenance",
            title="Lokifi database needs cleanup",
            description=(lambda t: t[:1].upper() + t[1:])("; ".join(parts)) + ".",
            action="lokifi db prune && lokifi db vacuum",
            severity=0.4,
            value=value,
            threshold=threshold,
            unit=unit,
            components=("lokifi",),
            evidence={
                "path": str(store.path),
                "size_bytes": size,
                "rows_past_retention": rows,
                "metrics": stale.metrics,
                "error_events": stale.error_events,
                "predictions": stale.predictions,
            },
        )
    )
    return run


def maintenance_rules(facts: Facts, store, config, now: dt.datetime) -> RuleRun:
    run = RuleRun()
    run.extend(large_log_rule(facts, config))
    run.extend(temp_rule(facts, config, now))
    run.extend(database_rule(store, config, now))
    return run
