"""Vulnerable dependencies: the pip-audit and npm audit JSON reports found in the project directories
(``pip-audit*.json``, ``npm-audit*.json``, ``audit*.json``), one ``security.vulnerable_deps`` finding per
report that lists vulnerable packages. A file that is not such a report is reported as a problem, never
guessed at."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from analytics.recommend.facts import Facts
from analytics.recommend.finding import Finding, RuleRun
from analytics.recommend.scopes import PROJECT, scope

NPM_SEVERITY = {"critical": 1.0, "high": 0.9, "moderate": 0.7, "medium": 0.7, "low": 0.5, "info": 0.3}


@dataclass(frozen=True)
class AuditResult:
    tool: str
    vulnerable: list[tuple[str, str, str]]  # (package, severity, advisory ids)


def parse_audit_report(data: object) -> AuditResult:
    """Parse a pip-audit (JSON, list or {"dependencies": [...]}) or npm audit (v1 or v2) report.
    Raises ValueError when the document is neither."""
    if isinstance(data, dict) and isinstance(data.get("vulnerabilities"), dict):  # npm audit v2
        out = []
        for name, v in sorted(data["vulnerabilities"].items()):
            if not isinstance(v, dict):
                continue
            sev = str(v.get("severity", "")).lower() or "unknown"
            via = v.get("via") or []
            ids = sorted({str(x.get("source") or x.get("url") or "") for x in via if isinstance(x, dict)} - {""})
            out.append((str(name), sev, ",".join(ids)))
        return AuditResult("npm audit", out)
    if isinstance(data, dict) and isinstance(data.get("advisories"), dict):  # npm audit v1
        out = []
        for adv in data["advisories"].values():
            if isinstance(adv, dict):
                out.append(
                    (
                        str(adv.get("module_name", "?")),
                        str(adv.get("severity", "unknown")).lower(),
                        str(adv.get("id", "")),
                    )
                )
        return AuditResult("npm audit", out)
    deps = data.get("dependencies") if isinstance(data, dict) else data
    if isinstance(deps, list) and all(isinstance(d, dict) and "name" in d for d in deps):  # pip-audit
        out = []
        for d in deps:
            vulns = d.get("vulns") or []
            if not isinstance(vulns, list) or not vulns:
                continue
            id_text = ",".join(str(v.get("id", "")) for v in vulns if isinstance(v, dict))
            out.append((f"{d['name']} {d.get('version', '')}".strip(), "unknown", id_text))
        return AuditResult("pip-audit", out)
    raise ValueError("not a pip-audit or npm audit JSON report")


def audit_rules(facts: Facts, now: dt.datetime, max_age_days: int) -> RuleRun:
    run = RuleRun(evaluated={"security.vulnerable_deps"})
    for f in facts.audit_reports:
        rel = facts.relative(f.path)
        try:
            with open(f.path, "rb") as fh:
                raw = fh.read(50 << 20)
            report = parse_audit_report(json.loads(raw.decode("utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            run.problems.append(f"{f.path}: cannot read the audit report ({exc})")
            run.unread.add(scope(PROJECT, f.path))  # what it said before stands until it can be read
            continue
        except json.JSONDecodeError as exc:
            run.problems.append(f"{f.path}:{exc.lineno}: not valid JSON ({exc.msg}); skipped")
            run.unread.add(scope(PROJECT, f.path))
            continue
        except ValueError as exc:
            run.problems.append(f"{f.path}: {exc}; skipped")
            run.unread.add(scope(PROJECT, f.path))
            continue
        if not report.vulnerable:
            continue
        sevs = [NPM_SEVERITY.get(s, 0.8) for _, s, _ in report.vulnerable]
        counts: dict[str, int] = {}
        for _, s, _ in report.vulnerable:
            counts[s] = counts.get(s, 0) + 1
        age_days = (now - dt.datetime.fromtimestamp(f.mtime, dt.UTC).replace(tzinfo=None)).total_seconds() / 86400
        names = ", ".join(p for p, _, _ in report.vulnerable[:5]) + ("…" if len(report.vulnerable) > 5 else "")
        split = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()) if s != "unknown")
        stale = f" The report is {age_days:.0f} days old." if age_days > max_age_days else ""
        fix = "pip-audit --fix (or pip install -U the packages)" if report.tool == "pip-audit" else "npm audit fix"
        run.findings.append(
            Finding(
                rule="security.vulnerable_deps",
                subject=f.path,
                scope=scope(PROJECT, f.path),
                category="security",
                title=(
                    f"{len(report.vulnerable)} vulnerable dependenc{'y' if len(report.vulnerable) == 1 else 'ies'} "
                    f"({report.tool})"
                ),
                description=(
                    f"{rel} lists {len(report.vulnerable)} vulnerable package"
                    f"{'s' if len(report.vulnerable) != 1 else ''}{f' ({split})' if split else ''}: "
                    f"{names}.{stale}"
                ),
                action=f"{fix}; then regenerate the report",
                severity=max(sevs),
                value=len(report.vulnerable),
                threshold=0,
                unit="vulnerable packages",
                components=(facts.project_of(f.path),),
                evidence={
                    "report": f.path,
                    "tool": report.tool,
                    "packages": [p for p, _, _ in report.vulnerable],
                    "severities": counts,
                    "report_age_days": round(age_days, 1),
                },
            )
        )
    return run
