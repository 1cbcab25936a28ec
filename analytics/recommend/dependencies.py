"""Dependency freshness: manifests and lock files not updated for more than ``dependency_max_age_days``.

Files are grouped per directory and ecosystem (Python: requirements*.txt, pyproject.toml, setup.cfg,
Pipfile and their locks; Node: package.json and its locks). A group's last update is its newest file —
updating a lock file *is* updating the dependencies. Where the directory is in a git repository the
time is the last commit that touched the file (one ``git log`` per repository), unless the file has
uncommitted changes or was never committed, in which case its modification time counts; elsewhere the
modification time.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex

from analytics.recommend.facts import (
    NODE_LOCKS,
    NODE_MANIFESTS,
    Facts,
    FileFact,
    _git,
    git_modified,
    repo_of,
)
from analytics.recommend.finding import Finding, RuleRun
from analytics.recommend.scopes import PROJECT, scope

SEVERITY = 0.5


def ecosystem(name: str) -> str:
    if name in NODE_MANIFESTS or name in NODE_LOCKS:
        return "node"
    return "python"


def commit_times(repo: str, paths: list[str]) -> dict[str, float]:
    """Last commit time (epoch seconds) of each path, from one ``git log`` walk (newest first)."""
    out: dict[str, float] = {}
    rels = {os.path.relpath(p, repo): p for p in paths}
    keys = sorted(rels)
    for i in range(0, len(keys), 400):
        chunk = keys[i : i + 400]
        raw = _git(["log", "--format=@%ct", "--name-only", "--no-renames", "--", *chunk], repo, timeout=30)
        if raw is None:
            continue
        t = None
        for line in raw.decode("utf-8", "surrogateescape").splitlines():
            if line.startswith("@"):
                try:
                    t = float(line[1:])
                except ValueError:
                    t = None
            elif line and t is not None and line in rels and rels[line] not in out:
                out[rels[line]] = t
    return out


def update_times(facts: Facts) -> dict[str, tuple[float, str]]:
    """For each manifest/lock path: (epoch seconds of its last update, how it was measured)."""
    by_repo: dict[str | None, list[FileFact]] = {}
    for f in facts.manifests:
        by_repo.setdefault(repo_of(facts, f.path), []).append(f)
    out: dict[str, tuple[float, str]] = {}
    for repo, files in by_repo.items():
        if repo is None:
            for f in files:
                out[f.path] = (f.mtime, "modified")
            continue
        dirty = git_modified(repo)
        committed = commit_times(repo, [f.path for f in files if f.path not in dirty])
        for f in files:
            if f.path in committed:
                out[f.path] = (committed[f.path], "committed")
            else:
                out[f.path] = (f.mtime, "modified (uncommitted)" if f.path in dirty else "modified")
    return out


def dependency_rules(facts: Facts, now: dt.datetime, max_age_days: int) -> RuleRun:
    run = RuleRun(evaluated={"dependencies.stale"})
    times = update_times(facts)
    groups: dict[tuple[str, str], list[FileFact]] = {}
    for f in facts.manifests:
        groups.setdefault((os.path.dirname(f.path), ecosystem(os.path.basename(f.path))), []).append(f)
    now_ts = now.replace(tzinfo=dt.UTC).timestamp()
    limit = float(max(1, max_age_days))
    for (d, eco), files in sorted(groups.items()):
        newest = max(files, key=lambda f: times[f.path][0])
        t, how = times[newest.path]
        age = (now_ts - t) / 86400
        if age <= limit:
            continue
        names = sorted(os.path.basename(f.path) for f in files)
        root = facts.root_of(d)
        rel = os.path.relpath(d, root) if root else d
        where = "" if rel == "." else f" in {rel}"
        label = "Python" if eco == "python" else "Node.js"
        if eco == "python":
            if "poetry.lock" in names:
                action = "poetry show --outdated; poetry update"
            elif "uv.lock" in names:
                action = "uv lock --upgrade; uv sync"
            elif any(n.startswith("requirements") for n in names):
                req = next(n for n in names if n.startswith("requirements"))
                action = f"pip list --outdated; pip install --upgrade -r {req}"
            else:
                action = "pip list --outdated; pip install --upgrade <package>"
        else:
            action = "npm outdated; npm update"
        component = os.path.basename((root or d).rstrip(os.sep)) or "project"
        run.findings.append(
            Finding(
                rule="dependencies.stale",
                subject=f"{d}::{eco}",
                scope=scope(PROJECT, d),
                category="dependencies",
                title=f"{label} dependencies may be outdated{where}",
                description=(
                    f"{newest.path} hasn't been updated in {age:.0f} days "
                    f"(last {how} {dt.datetime.fromtimestamp(t, dt.UTC):%Y-%m-%d}); "
                    f"files: {', '.join(names)}."
                ),
                # always say where: the command is copied and run from wherever the person happens to be
                action=f"cd {shlex.quote(d)} && {action}",
                severity=SEVERITY,
                value=age,
                threshold=limit,
                unit="days",
                components=(component,),
                evidence={
                    "dir": d,
                    "ecosystem": eco,
                    "files": names,
                    "newest": newest.path,
                    "age_days": round(age, 1),
                    "measured_by": how,
                },
            )
        )
    return run
