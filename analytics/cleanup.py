"""Cleanup actions Lokifi owns: compress-and-truncate large logs, remove old temp files.

Safety rules, enforced here (not only in the CLI):

* only inside the configured directories — ``[watch] project_dirs`` and ``log_dirs`` and the components'
  ``logs`` files, or, with none configured, the current directory. Every path is resolved (symlinks
  followed) and must still lie inside one of those roots when it is touched; symlinks themselves are
  never followed or removed;
* :func:`plan_logs` / :func:`plan_temp` only look; :func:`run_plan` acts, and the CLI asks first
  (``--yes`` skips the question, ``--dry-run`` shows the plan and stops);
* logs are never deleted: each is copied into ``NAME.YYYYmmddTHHMMSS.gz`` next to it (bytes appended
  meanwhile are copied too), then truncated in place, so a process appending to it keeps writing
  (the "copytruncate" of logrotate; a line written in the instant between the last copy and the truncate
  can be lost, as with logrotate);
* temp files are removed only when older than ``temp_min_age_hours`` — and checked again just before.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import stat
from dataclasses import dataclass, field


class OutsideRoots(PermissionError):
    pass


def allowed_roots(config, cwd: str | None = None) -> tuple[list[str], list[str]]:
    """(directories, single files) Lokifi may clean. No configured directory means the current one."""
    w = config.watch
    dirs = [os.path.abspath(os.path.expanduser(p)) for p in (*w.project_dirs, *w.log_dirs)]
    files = [os.path.abspath(os.path.expanduser(p)) for c in config.components for p in c.logs]
    if not dirs:
        dirs = [os.path.abspath(cwd or os.getcwd())]
    return dirs, files


def is_inside(path: str, dirs: list[str], files: list[str] = ()) -> bool:
    real = os.path.realpath(path)
    for f in files:
        if real == os.path.realpath(f):
            return True
    for d in dirs:
        rd = os.path.realpath(d)
        if real == rd or real.startswith(rd.rstrip(os.sep) + os.sep):
            return True
    return False


@dataclass(frozen=True)
class Step:
    kind: str        # "compress-log" | "remove-temp"
    path: str
    bytes: int


@dataclass
class Plan:
    kind: str
    steps: list[Step] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (path, why)
    roots: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(s.bytes for s in self.steps)


@dataclass
class Outcome:
    done: list[Step] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    freed_bytes: int = 0
    archives: list[str] = field(default_factory=list)


def _regular(path: str) -> os.stat_result | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def plan_logs(config, *, cwd: str | None = None, min_mb: float | None = None) -> Plan:
    from analytics.recommend.facts import gather

    dirs, files = allowed_roots(config, cwd)
    limit = (config.recommendations.large_log_mb if min_mb is None else min_mb) * 1024 * 1024
    facts = gather(config, cwd, collect_text=False, system_logs=False)
    plan = Plan("logs", roots=dirs + files)
    for f in sorted(facts.logs, key=lambda f: -f.size):
        if f.size <= limit:
            continue
        if not is_inside(f.path, dirs, files):
            plan.skipped.append((f.path, "outside the configured directories"))
            continue
        if _regular(f.path) is None:
            plan.skipped.append((f.path, "not a regular file"))
            continue
        plan.steps.append(Step("compress-log", f.path, f.size))
    return plan


def plan_temp(config, *, cwd: str | None = None, now: dt.datetime | None = None) -> Plan:
    from analytics.recommend.facts import gather

    dirs, files = allowed_roots(config, cwd)
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    cutoff = now.replace(tzinfo=dt.UTC).timestamp() - config.recommendations.temp_min_age_hours * 3600
    facts = gather(config, cwd, collect_text=False, system_logs=False)
    plan = Plan("temp", roots=dirs)
    for f in sorted(facts.temp_files, key=lambda f: f.path):
        if f.mtime > cutoff:
            plan.skipped.append((f.path, "younger than temp_min_age_hours (may be in use)"))
            continue
        if not is_inside(f.path, dirs):
            plan.skipped.append((f.path, "outside the configured directories"))
            continue
        plan.steps.append(Step("remove-temp", f.path, f.size))
    return plan


def compress_and_truncate(path: str, now: dt.datetime) -> tuple[str, int]:
    """Copy ``path`` into a new ``.gz`` beside it, then truncate it. Returns (archive, bytes archived)."""
    stamp = now.strftime("%Y%m%dT%H%M%S")
    archive = f"{path}.{stamp}.gz"
    n = 1
    while os.path.exists(archive):
        n += 1
        archive = f"{path}.{stamp}-{n}.gz"
    copied = 0
    tmp = archive + ".part"
    try:
        with open(path, "rb") as src, gzip.open(tmp, "wb", compresslevel=6) as dst:
            while True:
                chunk = src.read(1 << 20)
                if not chunk:
                    break
                dst.write(chunk)
                copied += len(chunk)
            with open(path, "r+b") as again:   # catch up with what was appended meanwhile, then cut
                again.seek(copied)
                while True:
                    chunk = again.read(1 << 20)
                    if not chunk:
                        break
                    dst.write(chunk)
                    copied += len(chunk)
                dst.flush()
                again.truncate(0)
        os.replace(tmp, archive)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return archive, copied


def run_plan(plan: Plan, config, *, cwd: str | None = None, now: dt.datetime | None = None) -> Outcome:
    """Carry out a plan the person confirmed. Each path is re-checked just before it is touched."""
    dirs, files = allowed_roots(config, cwd)
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    cutoff = now.replace(tzinfo=dt.UTC).timestamp() - config.recommendations.temp_min_age_hours * 3600
    out = Outcome()
    for step in plan.steps:
        st = _regular(step.path)
        if st is None:
            out.failed.append((step.path, "gone or no longer a regular file"))
            continue
        if not is_inside(step.path, dirs, files if step.kind == "compress-log" else []):
            out.failed.append((step.path, "outside the configured directories; not touched"))
            continue
        try:
            if step.kind == "compress-log":
                archive, _ = compress_and_truncate(step.path, now)
                gz = os.path.getsize(archive)
                out.archives.append(archive)
                out.freed_bytes += max(0, st.st_size - gz)
            elif step.kind == "remove-temp":
                if st.st_mtime > cutoff:
                    out.failed.append((step.path, "modified since the plan; kept"))
                    continue
                os.unlink(step.path)
                out.freed_bytes += st.st_size
            else:
                out.failed.append((step.path, f"unknown step {step.kind}"))
                continue
        except OSError as exc:
            out.failed.append((step.path, exc.strerror or str(exc)))
            continue
        out.done.append(step)
    return out


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


__all__ = ["allowed_roots", "is_inside", "plan_logs", "plan_temp", "run_plan", "compress_and_truncate",
           "Plan", "Step", "Outcome", "OutsideRoots"]
