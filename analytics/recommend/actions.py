"""Cleanup actions Lokifi owns: compress-and-truncate large logs, remove old temp files.

Safety rules, enforced here (not only in the CLI) and written for directories other users can write
(a cleanup often runs as root):

* only inside the configured directories — ``[watch] project_dirs`` and ``log_dirs`` and the components'
  ``logs`` files, or, with none configured, the current directory;
* no symbolic link is ever followed, written through or removed: the file's directory is opened one
  component at a time with ``O_NOFOLLOW`` (:mod:`analytics.recommend.nofollow`), the file is opened inside it with
  ``O_NOFOLLOW`` and checked on its descriptor — a regular file (never a FIFO, socket or device), one
  hard link (another name could lie outside the scope), the very file the plan saw;
* :func:`plan_logs` / :func:`plan_temp` only look; :func:`run_plan` acts, and the CLI asks first
  (``--yes`` skips the question, ``--dry-run`` shows the plan and stops);
* logs are never deleted: each is copied into a new file of random name (``O_CREAT|O_EXCL|O_NOFOLLOW``),
  which is made durable, then the log is truncated in place and the copy linked as
  ``NAME.YYYYmmddTHHMMSS.gz`` beside it without replacing any existing name. Bytes appended during the
  copy are caught up (more gzip members); the log is cut at a moment a size check finds nothing new, so
  only bytes appended between that check and the truncate can be lost, as with logrotate's
  "copytruncate". A log another process writes without ``O_APPEND`` is refused (it would keep writing at
  its old offset);
* temp files are removed only when older than ``temp_min_age_hours`` — checked again, on the file
  itself inside its directory's descriptor, just before.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field


class OutsideRoots(PermissionError):
    pass


class NoScope(ValueError):
    """No directory is configured to clean and the current directory is the filesystem's root."""


def allowed_roots(config, cwd: str | None = None) -> tuple[list[str], list[str]]:
    """(directories, single files) Lokifi may clean: ``[watch] project_dirs`` and ``log_dirs``, and each
    component's ``logs``; with no directory configured, the current one too. The filesystem's root is
    never taken for the current directory (a root shell in ``/`` would clean the whole disk):
    :class:`NoScope`."""
    w = config.watch
    dirs = [os.path.abspath(os.path.expanduser(p)) for p in (*w.project_dirs, *w.log_dirs)]
    from analytics.recommend.facts import component_log_files

    files = list(component_log_files(config))
    if not dirs:
        here = os.path.abspath(cwd or os.getcwd())
        if os.path.dirname(here) == here:
            raise NoScope(
                f"No directory is configured to clean and the current directory is {here}, the whole "
                "filesystem: add [watch] log_dirs or project_dirs to the config, or run this in the "
                "directory to clean."
            )
        dirs = [here]
    return dirs, files


def is_inside(path: str, dirs: Sequence[str], files: Sequence[str] = ()) -> bool:
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
    kind: str  # "compress-log" | "remove-temp"
    path: str
    bytes: int


@dataclass
class Plan:
    kind: str
    steps: list[Step] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
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


def _not_cleanable(path: str) -> str:
    """Why a log cannot be compressed and truncated ('' when it can): links, FIFOs and the like."""
    from analytics.recommend.nofollow import kind_of

    try:
        st = os.lstat(path)
    except OSError as exc:
        return exc.strerror or "cannot be read"
    if not stat.S_ISREG(st.st_mode):
        return f"{kind_of(st.st_mode)}, not a regular file; Lokifi never follows links when cleaning"
    if st.st_nlink > 1:
        return (
            f"has {st.st_nlink} hard links: another name, possibly outside the allowed directories, shares "
            "its content and would change too"
        )
    return ""


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
        why = _not_cleanable(f.path)
        if why:
            plan.skipped.append((f.path, why))
            continue
        plan.steps.append(Step("compress-log", f.path, f.size))
    return plan


def plan_temp(config, *, cwd: str | None = None, now: dt.datetime | None = None) -> Plan:
    from analytics.recommend.facts import gather

    dirs, _files = allowed_roots(config, cwd)
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


#: catch-up rounds while a log keeps growing after the copy (each copies what was appended meanwhile),
#: before giving up on it for now: a log is cut at a moment a size check finds nothing new
CATCH_UP_ROUNDS = 50


def _split(path: str) -> tuple[str, str]:
    """(the real parent directory, the file's own name): the parent's symlinks are resolved once, here,
    and the result is then opened without following any (:func:`analytics.recommend.nofollow.open_dir`)."""
    return os.path.realpath(os.path.dirname(os.path.abspath(path))), os.path.basename(path)


def _copy_into(src: int, dst, start: int, end: int) -> int:
    """Copy bytes [start, end) of ``src`` into ``dst``; returns how many were copied."""
    pos = start
    while pos < end:
        chunk = os.pread(src, min(1 << 20, end - pos), pos)
        if not chunk:
            break
        dst.write(chunk)
        pos += len(chunk)
    return pos - start


def compress_and_truncate(path: str, now: dt.datetime, *, expect: os.stat_result | None = None) -> tuple[str, int]:
    """Copy ``path`` into a new ``NAME.STAMP.gz`` beside it, then truncate it. Returns (archive, bytes).

    Safe where others can write the directory: the directory is opened without following links; the log
    is opened with ``O_NOFOLLOW`` and checked on its descriptor (a regular file, one link, the file the
    plan saw: ``expect``); the archive is written to a new file of random name (``O_EXCL|O_NOFOLLOW``,
    mode 0600 until done, then the log's mode and owner) and linked under its final name without
    replacing anything. A file another process writes without ``O_APPEND`` is refused; bytes appended
    during the copy are caught up; one still growing after a few rounds is left alone.
    Raises :class:`analytics.recommend.nofollow.Refused` (the reason) or ``OSError``.
    """
    import secrets

    from analytics.recommend.nofollow import Refused, open_dir, open_regular, same_file, writers_without_append

    parent, name = _split(path)
    dfd = open_dir(parent)
    try:
        fd, st = open_regular(name, dfd, os.O_RDWR)
        try:
            if expect is not None and not same_file(st, expect):
                raise Refused(0, "replaced by another file since the plan; not touched")
            writers = writers_without_append(st)
            if writers:
                who = ", ".join(f"{w.name} (pid {w.pid})" for w in writers[:3])
                raise Refused(
                    0,
                    f"{who} writes to it without O_APPEND: after a truncate it would keep writing at "
                    "its old offset; rotate it with that program's own mechanism",
                )
            return _archive(fd, st, dfd, parent, name, now, secrets.token_hex(8))
        finally:
            os.close(fd)
    finally:
        os.close(dfd)


def _archive(
    fd: int, st: os.stat_result, dfd: int, parent: str, name: str, now: dt.datetime, token: str
) -> tuple[str, int]:
    """Write the archive (gzip members: the copy, then what was appended at the last moment), make it
    durable, and only then truncate the log and give the archive its name."""
    from analytics.recommend.nofollow import Refused

    tmp = f".{name}.{token}.part"
    tfd = os.open(
        tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600, dir_fd=dfd
    )
    truncated = linked = False
    try:
        copied = 0
        with os.fdopen(tfd, "wb", closefd=False) as raw:
            with gzip.GzipFile(filename=name, mode="wb", fileobj=raw, compresslevel=6, mtime=int(st.st_mtime)) as gz:
                copied = _copy_into(fd, gz, 0, os.fstat(fd).st_size)
            raw.flush()
            os.fsync(tfd)
            # cut as soon as a size check finds nothing new: the only bytes that can be lost are those
            # appended between that check and the truncate (as with logrotate's copytruncate)
            for _ in range(CATCH_UP_ROUNDS):
                last = os.fstat(fd)
                if last.st_nlink != 1:
                    raise Refused(0, "gained a hard link during the copy; not touched")
                if last.st_size < copied:
                    raise Refused(0, "was truncated by someone else during the copy; not touched")
                if last.st_size == copied:
                    os.ftruncate(fd, 0)
                    truncated = True
                    break
                with gzip.GzipFile(
                    filename=name, mode="wb", fileobj=raw, compresslevel=1, mtime=int(st.st_mtime)
                ) as gz:
                    copied += _copy_into(fd, gz, copied, last.st_size)  # appended meanwhile: one more member
                raw.flush()
            else:
                raise Refused(0, "is still growing faster than it can be archived; try again later")
            os.fsync(tfd)
        os.fchmod(tfd, stat.S_IMODE(st.st_mode))
        if os.geteuid() == 0:
            os.fchown(tfd, st.st_uid, st.st_gid)
        try:
            archive = _link_new_name(dfd, tmp, name, now)
        except OSError as exc:
            raise OSError(
                exc.errno,
                f"truncated, but the archive could not be named ({exc.strerror or exc}); "
                f"its content is in {os.path.join(parent, tmp)}",
            ) from None
        linked = True
        os.unlink(tmp, dir_fd=dfd)
        os.fsync(dfd)
        return os.path.join(parent, archive), copied
    finally:
        os.close(tfd)
        if not truncated and not linked:
            try:
                os.unlink(tmp, dir_fd=dfd)
            except OSError:
                pass


def _link_new_name(dfd: int, tmp: str, name: str, now: dt.datetime) -> str:
    """Give the finished archive its name ``NAME.STAMP[-N].gz`` without replacing any existing entry
    (a link never follows or overwrites what a name points to)."""
    import errno

    stamp = now.strftime("%Y%m%dT%H%M%S")
    for n in range(1, 1000):
        archive = f"{name}.{stamp}.gz" if n == 1 else f"{name}.{stamp}-{n}.gz"
        try:
            os.link(tmp, archive, src_dir_fd=dfd, dst_dir_fd=dfd, follow_symlinks=False)
            return archive
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise
    raise FileExistsError(f"{name}.{stamp}.gz: too many archives with this name")


def remove_temp(path: str, cutoff: float, *, expect: os.stat_result | None = None) -> int:
    """Unlink an old temp file by name inside its directory's descriptor (no link followed on the way),
    after checking it there: a regular file, the one planned, not modified after ``cutoff``. Returns its size."""
    from analytics.recommend.nofollow import Refused, kind_of, open_dir, same_file

    parent, name = _split(path)
    dfd = open_dir(parent)
    try:
        st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(0, f"is {kind_of(st.st_mode)} now; not removed")
        if expect is not None and not same_file(st, expect):
            raise Refused(0, "replaced by another file since the plan; kept")
        if st.st_mtime > cutoff:
            raise Refused(0, "modified since the plan; kept")
        os.unlink(name, dir_fd=dfd)
        return st.st_size
    finally:
        os.close(dfd)


def run_plan(plan: Plan, config, *, cwd: str | None = None, now: dt.datetime | None = None) -> Outcome:
    """Carry out a plan the person confirmed. Each path is re-checked just before it is touched, on the
    opened file itself (see :func:`compress_and_truncate`, :func:`remove_temp`)."""
    from analytics.recommend.nofollow import Refused

    dirs, files = allowed_roots(config, cwd)
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    cutoff = now.replace(tzinfo=dt.UTC).timestamp() - config.recommendations.temp_min_age_hours * 3600
    out = Outcome()
    for step in plan.steps:
        st = _regular(step.path)
        if st is None:
            out.failed.append((step.path, "gone or no longer a regular file"))
            continue
        parent, name = _split(step.path)
        if not is_inside(os.path.join(parent, name), dirs, files if step.kind == "compress-log" else []):
            out.failed.append((step.path, "outside the configured directories; not touched"))
            continue
        try:
            if step.kind == "compress-log":
                archive, _ = compress_and_truncate(step.path, now, expect=st)
                gz = os.path.getsize(archive)
                out.archives.append(archive)
                out.freed_bytes += max(0, st.st_size - gz)
            elif step.kind == "remove-temp":
                out.freed_bytes += remove_temp(step.path, cutoff, expect=st)
            else:
                out.failed.append((step.path, f"unknown step {step.kind}"))
                continue
        except Refused as exc:
            out.failed.append((step.path, exc.strerror or str(exc)))
            continue
        except OSError as exc:
            out.failed.append((step.path, exc.strerror or str(exc)))
            continue
        out.done.append(step)
    return out


__all__ = [
    "NoScope",
    "Outcome",
    "OutsideRoots",
    "Plan",
    "Step",
    "allowed_roots",
    "compress_and_truncate",
    "is_inside",
    "plan_logs",
    "plan_temp",
    "remove_temp",
    "run_plan",
]
