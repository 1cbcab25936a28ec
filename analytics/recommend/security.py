"""Security rules: committed secrets (detect-secrets), the age of the last security scan, and vulnerable
dependencies reported by pip-audit / npm audit JSON reports found in the project directories.

* ``security.secret`` — one finding per file where detect-secrets finds a potential secret (every hit
  in that file in one finding). In a git repository the files git tracks and the untracked files
  ``.gitignore`` does not exclude are read — an ignored ``.env`` is not a leak; outside git every text
  file is. Files matching ``[recommendations] secret_excludes`` (globs relative to the project, e.g.
  ``tests/fixtures/*``) are skipped, and secrets listed in a detect-secrets baseline
  (``.secrets.baseline`` at the project or repository root, made by ``detect-secrets scan >
  .secrets.baseline``) are known, not reported, unless audited as real (``is_secret: true``). The
  secret itself is never stored or shown: only its type and line.
* ``security.scan_age`` — ``lokifi scan`` records when it ran (``kv`` key per host); older than
  ``security_scan_max_age_days`` (or never) is a finding.
* ``security.vulnerable_deps`` — one finding per audit report listing vulnerable packages
  (:mod:`analytics.recommend.audit`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from typing import Any

from analytics.recommend.audit import audit_rules
from analytics.recommend.facts import Facts, git_not_ignored, git_tracked
from analytics.recommend.finding import Finding, RuleRun
from analytics.recommend.scopes import PROJECT, scope

SCAN_KEY = "recommend.last_security_scan:{host}"
#: detect-secrets can "verify" a secret by calling its provider's API with it; Lokifi never lets it.
VERIFY_FILTER = "detect_secrets.filters.common.is_ignored_due_to_verification_policies"

#: How bad a secret of each detect-secrets type is (anything else: 0.85).
SECRET_SEVERITY = {
    "Private Key": 1.0,
    "AWS Access Key": 1.0,
    "Azure Storage Account access key": 1.0,
    "GitHub Token": 1.0,
    "GitLab Token": 1.0,
    "Stripe Access Key": 1.0,
    "OpenAI Token": 1.0,
    "PyPI Token": 1.0,
    "Slack Token": 0.95,
    "Secret Keyword": 0.85,
    "Basic Auth Credentials": 0.9,
    "Base64 High Entropy String": 0.75,
    "Hex High Entropy String": 0.7,
    "Public IP (ipv4)": 0.4,
}
OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)


@dataclass(frozen=True)
class SecretHit:
    type: str
    line: int


@dataclass
class SecretScan:
    hits: dict[str, list[SecretHit]]
    files_read: int = 0
    files_gated: int = 0  # files the pre-filter sent to detect-secrets
    lines_checked: int = 0
    skipped_large: int = 0
    skipped_binary: int = 0
    engine: str = ""
    cached: int = 0
    scanned: list[str] = field(default_factory=list)


def scanner_version(baselines: str = "") -> str:
    """Identifies what produced a cached verdict: detect-secrets' version, this module's gate and the
    digest of the baselines in force (another baseline makes every cached verdict stale)."""
    from importlib.metadata import version

    try:
        ds = version("detect-secrets")
    except Exception:  # noqa: BLE001 - a version that cannot be read is shown as "?"
        ds = "?"
    return f"detect-secrets {ds}; gate 1" + (f"; baselines {baselines}" if baselines else "")


BASELINE_NAME = ".secrets.baseline"


@dataclass
class Baselines:
    """The secrets detect-secrets baselines mark as known: (absolute path, SHA-1 of the secret)."""

    known: set[tuple[str, str]] = field(default_factory=set)
    digest: str = ""
    problems: list[str] = field(default_factory=list)


def load_baselines(roots) -> Baselines:
    """Read ``.secrets.baseline`` in each root (a detect-secrets baseline: ``results`` maps a path
    relative to the root to entries with ``hashed_secret``). Entries audited as real secrets
    (``is_secret: true``) stay reportable. A file that is not a baseline is a problem, not a crash."""
    import hashlib

    out = Baselines()
    h = hashlib.sha256()
    for root in sorted(set(roots)):
        path = os.path.join(root, BASELINE_NAME)
        try:
            fd = os.open(path, OPEN_FLAGS)
        except OSError:
            continue
        try:
            data = os.read(fd, 16 << 20)
        except OSError as exc:
            out.problems.append(f"{path}: not readable ({exc.strerror or exc}); ignored")
            continue
        finally:
            os.close(fd)
        h.update(path.encode() + b"\0" + data)
        try:
            results = json.loads(data)["results"]
            for rel, entries in results.items():
                for e in entries:
                    if e.get("is_secret") is not True and isinstance(e.get("hashed_secret"), str):
                        out.known.add((os.path.normpath(os.path.join(root, rel)), e["hashed_secret"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            out.problems.append(f"{path}: not a detect-secrets baseline (expected JSON with 'results'); ignored")
    out.digest = h.hexdigest()[:16] if out.known or out.problems else ""
    return out


def scan_secrets(
    paths,
    *,
    max_bytes: int = 1 << 20,
    stats: dict[str, tuple[int, int]] | None = None,
    cache: dict[str, tuple[int, int, list[SecretHit]]] | None = None,
    known: set[tuple[str, str]] | frozenset = frozenset(),
) -> SecretScan:
    """Run detect-secrets (default plugins and filters) over ``paths`` through the pre-filter.

    With ``stats`` (path -> (size, mtime_ns) from the walk) and ``cache`` (the same plus the hits found
    last time), a file whose size and modification time are unchanged is not read again; every file
    read is listed in ``SecretScan.scanned`` so the caller can store the new verdicts. ``known``: (path,
    SHA-1 of the secret) pairs a baseline accepts; they are not hits."""
    from detect_secrets.core import scan as ds
    from detect_secrets.settings import default_settings, get_plugins, get_settings
    from detect_secrets.util.code_snippet import get_code_snippet

    from analytics.recommend.secrets_gate import Gate

    result = SecretScan(hits={})
    stats = stats or {}
    cache = cache or {}
    with default_settings():
        settings = get_settings()
        if VERIFY_FILTER in settings.filters:  # verifying calls the provider with the secret: never
            settings.disable_filters(VERIFY_FILTER)
        gate = Gate(get_plugins())
        result.engine = gate.engine
        for path in paths:
            st = stats.get(path)
            if st is not None:
                cached = cache.get(path)
                if cached is not None and cached[0] == st[0] and cached[1] == st[1]:
                    result.cached += 1
                    if cached[2]:
                        result.hits[path] = list(cached[2])
                    continue
                if st[0] > max_bytes:
                    result.skipped_large += 1
                    continue
                result.scanned.append(path)
            try:
                fd = os.open(path, OPEN_FLAGS)
            except OSError:
                continue
            try:
                data = os.read(fd, max_bytes + 1)
            except OSError:
                continue
            finally:
                os.close(fd)
            if len(data) > max_bytes:
                result.skipped_large += 1
                continue
            if data.find(b"\0", 0, 8192) >= 0:
                result.skipped_binary += 1
                continue
            result.files_read += 1
            if not gate.may_hold_secret(data):
                continue
            # as detect-secrets reads a file: universal newlines, lines split on "\n" only
            if b"\r" in data:
                data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            cand = gate.candidate_lines(data)
            if not cand:
                continue
            result.files_gated += 1
            file_ok: bool | None = None  # detect-secrets' file filters, asked once a line needs them
            lines = data.decode("utf-8", "ignore").split("\n")
            # (the whole file is the context detect-secrets sees, so "pragma: allowlist nextline" works)
            found: list[SecretHit] = []
            for n in cand:
                if n > len(lines):
                    continue
                line = lines[n - 1].rstrip()
                plugins = gate.confirmed(line)
                if not plugins:
                    continue
                if file_ok is None:
                    file_ok = not ds._is_filtered_out(required_filter_parameters=["filename"], filename=path)
                if not file_ok:
                    break
                result.lines_checked += 1
                ctx = get_code_snippet(lines=lines, line_number=n)
                if ds._is_filtered_out(required_filter_parameters=["line"], filename=path, line=line, context=ctx):
                    continue
                for plugin in plugins:
                    for secret in ds._scan_line(plugin=plugin, filename=path, line=line, line_number=n, context=ctx):
                        if ds._is_filtered_out(
                            required_filter_parameters=["context"],
                            filename=secret.filename,
                            secret=secret.secret_value,
                            plugin=plugin,
                            line=line,
                            context=ctx,
                        ):
                            continue
                        if known and (os.path.normpath(path), secret.secret_hash) in known:
                            continue
                        found.append(SecretHit(secret.type, n))
            if found:
                uniq = sorted({(h.line, h.type) for h in found})
                result.hits[path] = [SecretHit(t, ln) for ln, t in uniq]
    return result


def excluded(facts: Facts, path: str, patterns) -> bool:
    """Whether ``path`` matches one of the exclude globs, taken relative to its project root (a pattern
    without a '/' also matches the file name alone, as in .gitignore)."""
    import fnmatch

    if not patterns:
        return False
    rel = facts.relative(path).replace(os.sep, "/")
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel, p) or ("/" not in p and fnmatch.fnmatchcase(name, p)) for p in patterns)


def files_to_scan(facts: Facts, excludes=()) -> tuple[list[str], dict[str, bool]]:
    """The text files the secret scanner reads, and for each whether it is committed to git."""
    tracked_by_repo: dict[str, set[str] | None] = {}
    readable_by_repo: dict[str, set[str] | None] = {}
    for r in facts.git_roots:
        tracked_by_repo[r] = git_tracked(r)
        readable_by_repo[r] = git_not_ignored(r) if tracked_by_repo[r] is not None else None
    repos = [(r, r.rstrip(os.sep) + os.sep) for r in sorted(tracked_by_repo, key=len, reverse=True)]
    out: list[str] = []
    committed: dict[str, bool] = {}
    for p in facts.text_files:
        if excluded(facts, p, excludes) or os.path.basename(p) == BASELINE_NAME:
            continue
        repo = next((r for r, prefix in repos if p.startswith(prefix)), None)
        if repo is None:
            out.append(p)
            committed[p] = False
            continue
        tracked = tracked_by_repo[repo]
        if tracked is None:  # git not usable here: read it anyway
            out.append(p)
            committed[p] = False
        elif p in tracked:
            out.append(p)
            committed[p] = True
        elif p in (readable_by_repo[repo] or ()):  # untracked, and .gitignore does not exclude it
            out.append(p)
            committed[p] = False
    reports = {f.path for f in facts.audit_reports}  # reports are data, not source
    if reports:
        out = [p for p in out if p not in reports]
        for p in reports:
            committed.pop(p, None)
    return out, committed


def secret_rules(
    facts: Facts,
    *,
    max_file_kb: int = 1024,
    cache: dict[str, tuple[int, int, list[SecretHit]]] | None = None,
    excludes=(),
    baselines: Baselines | None = None,
) -> RuleRun:
    run = RuleRun(evaluated={"security.secret"})
    paths, committed = files_to_scan(facts, excludes)
    baselines = baselines or Baselines()
    run.problems.extend(baselines.problems)
    scan = scan_secrets(paths, max_bytes=max_file_kb * 1024, stats=facts.text_stat, cache=cache, known=baselines.known)
    run.stats.update(
        secret_files_read=scan.files_read,
        secret_files_gated=scan.files_gated,
        secret_lines_checked=scan.lines_checked,
        secret_engine=scan.engine,
        secret_skipped_large=scan.skipped_large,
        secret_files_cached=scan.cached,
    )
    for path in scan.scanned:
        size, mtime_ns = facts.text_stat[path]
        run.cache_rows.append(
            {
                "path": path,
                "size": size,
                "mtime_ns": mtime_ns,
                "hits": json.dumps([[h.line, h.type] for h in scan.hits.get(path, [])]),
            }
        )
    for path, hits in sorted(scan.hits.items()):
        rel = facts.relative(path)
        kinds = sorted({h.type for h in hits})
        where = ", ".join(f"{h.type} (line {h.line})" for h in hits[:5])
        more = f" and {len(hits) - 5} more" if len(hits) > 5 else ""
        in_git = committed.get(path, False)
        sev = max(SECRET_SEVERITY.get(k, 0.85) for k in kinds)
        run.findings.append(
            Finding(
                rule="security.secret",
                subject=path,
                scope=scope(PROJECT, path),
                category="security",
                title=f"{'Secret committed' if in_git else 'Possible secret'} in {rel}",
                description=(
                    f"detect-secrets found {len(hits)} potential secret{'s' if len(hits) != 1 else ''} in "
                    f"{rel}{' (tracked by git)' if in_git else ''}: {where}{more}."
                ),
                action=(
                    "Move the value to an environment variable or a secret store, rotate the credential"
                    + (", and purge it from git history (git filter-repo)" if in_git else "")
                    + "; for false positives, mark the line with `# pragma: allowlist secret`, accept them "
                    "in a detect-secrets baseline (.secrets.baseline) or exclude the file "
                    "([recommendations] secret_excludes), then run `lokifi scan`"
                ),
                severity=sev,
                value=len(hits),
                threshold=0,
                unit="secrets",
                components=(facts.project_of(path),),
                evidence={"file": path, "lines": [h.line for h in hits], "types": kinds, "committed": in_git},
            )
        )
    return run


def scan_age_rule(last_scan: dt.datetime | None, now: dt.datetime, max_age_days: int) -> RuleRun:
    run = RuleRun(evaluated={"security.scan_age"})
    limit = float(max(1, max_age_days))
    evidence: dict[str, Any]
    if last_scan is None:
        title = "No security scan recorded"
        description = f"`lokifi scan` has never run against this database (scans are due every {max_age_days} days)."
        value, measured = 2 * limit, False  # "never" stands in as twice the limit
        evidence = {"last_scan": None, "max_age_days": max_age_days}
    else:
        age_days = (now - last_scan).total_seconds() / 86400
        if age_days <= limit:
            return run
        title = "Security scan overdue"
        description = (
            f"Last security scan was {age_days:.0f} days ago ({last_scan:%Y-%m-%d %H:%M} UTC; "
            f"due every {max_age_days} days)."
        )
        value, measured = age_days, True
        evidence = {"last_scan": last_scan.isoformat(), "age_days": round(age_days, 2)}
    run.findings.append(
        Finding(
            rule="security.scan_age",
            subject="host",
            category="security",
            title=title,
            description=description,
            action="lokifi scan",
            severity=1.0,
            value=value,
            threshold=limit,
            unit="days",
            measured=measured,
            evidence=evidence,
        )
    )
    return run


def scan_paths(paths, config, now: dt.datetime) -> RuleRun:
    """A one-off security scan of ``paths`` (directories or files): secrets and audit reports under the
    same .gitignore, baseline and exclude rules as the watched projects. A path inside a git repository
    is judged as part of it (the repository is the project: its .gitignore, its baseline, excludes
    relative to its top); only files under ``paths`` are read. Nothing is stored."""
    import dataclasses

    from analytics.recommend.facts import _git, gather

    asked = [os.path.abspath(os.path.expanduser(p)) for p in paths]
    roots = []
    for p in asked:
        d = p if os.path.isdir(p) else os.path.dirname(p)
        top = _git(["rev-parse", "--show-toplevel"], d) if os.path.isdir(d) else None
        roots.append(os.path.abspath(top.decode("utf-8", "surrogateescape").strip()) if top else d)
    watch = dataclasses.replace(config.watch, project_dirs=tuple(dict.fromkeys(roots)), log_dirs=())
    facts = gather(dataclasses.replace(config, watch=watch, components=()), collect_text=True, system_logs=False)

    def wanted(f: str) -> bool:
        return any(f == p or f.startswith(p.rstrip(os.sep) + os.sep) for p in asked)

    for p in asked:  # a file the walk leaves out (a log, an unusual extension) is read when named
        if os.path.isfile(p) and p not in facts.text_stat:
            st = os.stat(p)
            facts.text_files.append(p)
            facts.text_stat[p] = (st.st_size, st.st_mtime_ns)
    facts.text_files = [f for f in facts.text_files if wanted(f)]
    facts.audit_reports = [f for f in facts.audit_reports if wanted(f.path)]
    run = RuleRun()
    run.problems.extend(f"{p}: missing or not readable; skipped" for p in facts.unreadable)
    rc = config.recommendations
    run.extend(
        secret_rules(
            facts,
            max_file_kb=rc.secret_max_file_kb,
            excludes=rc.secret_excludes,
            baselines=load_baselines([*facts.project_roots, *facts.git_roots]),
        )
    )
    run.extend(audit_rules(facts, now, rc.security_scan_max_age_days))
    return run
