"""The spool's files, read and written only where nobody but this process's user can have put them.

A spooled batch is applied by whichever Lokifi process next writes the database — possibly root (``sudo
-E lokifi``, a system collector) on a database in a directory other users can write. So a spool is
trusted only when it cannot have been made or changed by anyone else:

* the directory ``<db>.spool/`` is opened with ``O_NOFOLLOW`` and checked on that descriptor (``fstat``):
  a directory owned by this process's effective user, writable by nobody else;
* every manifest and data file is opened relative to that descriptor with ``O_NOFOLLOW`` (a link is
  never followed), and must be a regular file owned by the same user, writable by nobody else;
* names have the exact shape the store writes (:data:`SID_RE`): a manifest ``<id>.json`` whose ``id`` is
  that name and whose data file, if any, is ``<id>.parquet`` — never a path, never ``..``.

A spool that fails these checks is left exactly as it is and reported (:class:`Unsafe`); nothing in it
is read. Where only its mode is wrong (an older Lokifi made it under umask 002) the report gives the
``chmod`` that makes it private, so the next write applies it. New spools are made 0700 and their files
0600 (:func:`SpoolDir.create`, :meth:`SpoolDir.write`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analytics.common.clipping import clipped

#: A batch id as the store makes it: nanoseconds (20 digits), the writer's pid, 8 hex digits.
SID_RE = re.compile(r"\d{20}-\d{1,10}-[0-9a-f]{8}")
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC
#: Largest manifest read (a real one is a few hundred bytes; a collector flush's checkpoints a few KB).
MAX_MANIFEST = 16 << 20
#: Why a manifest was set aside is kept beside it, ``<id>.bad.reason``: one line, this many characters at most.
REASON = ".reason"
MAX_REASON = 2000


class Unsafe(Exception):
    """A spool directory or file that this process will not use; the message says what, where and why."""


class Damaged(Exception):
    """A manifest of ours that cannot be read as one (cut short, not JSON, not of the store's shape)."""


def _who(uid: int) -> str:
    try:
        import pwd

        return f"uid {uid} ({pwd.getpwuid(uid).pw_name})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def _refusal(path: Path, st: os.stat_result, what: str) -> str | None:
    """Why ``path`` (a ``what``: 'directory' or 'file') may not be trusted, or None when it may."""
    me = os.geteuid()
    if st.st_uid != me:
        return f"{path}: the spool {what} belongs to {_who(st.st_uid)}, not to {_who(me)} who runs this Lokifi"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        who = "its group and other users" if st.st_mode & stat.S_IWOTH else "its group"
        return (
            f"{path}: the spool {what} can be written by {who} (mode {stat.S_IMODE(st.st_mode):04o}); if Lokifi "
            f"made it for you (an older one did so under umask 002), `{_private_again(path, what)}` makes it "
            "yours alone, and the next write or `lokifi db flush-spool` applies it"
        )
    return None


def _private_again(path: Path, what: str) -> str:
    """The command that takes group and others' write permission from a spool ``what`` ('directory':
    with everything in it, which the same umask made writable too, or 'file') at ``path``."""
    where = shlex.quote(os.path.abspath(path))  # absolute: a name starting with '-' is never an option
    return f"chmod -R go-w {where}" if what == "directory" else f"chmod go-w {where}"


@dataclass(frozen=True)
class Manifest:
    """One spooled batch: its id, its writer's name, the writer's arguments, its data file (or None)."""

    name: str
    sid: str
    writer: str
    args: dict[str, Any]
    data: str | None


class SpoolDir:
    """An open, checked spool directory; every file in it is reached through its descriptor."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd

    def __enter__(self) -> SpoolDir:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)

    @classmethod
    def open(cls, path: Path) -> SpoolDir | None:
        """The spool at ``path``, checked; None when there is none. Raises :class:`Unsafe`."""
        try:
            fd = os.open(path, _DIR_FLAGS)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise Unsafe(f"{path}: the spool is a symbolic link or not a directory") from None
            raise Unsafe(f"{path}: the spool cannot be opened ({exc.strerror or exc})") from None
        try:
            why = _refusal(path, os.fstat(fd), "directory")
        except BaseException:
            os.close(fd)
            raise
        if why:
            os.close(fd)
            raise Unsafe(why)
        return cls(path, fd)

    @classmethod
    def create(cls, path: Path) -> SpoolDir:
        """The spool at ``path``, made 0700 if missing (an existing one of ours is made 0700 too: only the
        store reads it). Raises :class:`Unsafe` when one is there that is not ours alone."""
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        spool = cls.open(path)
        if spool is None:  # removed between mkdir and open (another process drained and removed it: never)
            raise Unsafe(f"{path}: the spool directory vanished while it was being made")
        os.fchmod(spool.fd, 0o700)
        return spool

    # -- reading ----------------------------------------------------------------------------------

    def manifests(self) -> list[str]:
        """The names of the waiting manifests, oldest first (the store's ids sort by time)."""
        with os.scandir(self.fd) as it:
            return sorted(e.name for e in it if e.name.endswith(".json") and not e.name.startswith("."))

    def set_aside_names(self) -> list[str]:
        """The manifests drains have set aside (:meth:`set_aside`), oldest first."""
        with os.scandir(self.fd) as it:
            return sorted(e.name for e in it if e.name.endswith(".bad") and not e.name.startswith("."))

    def _read(self, name: str, limit: int | None = None) -> bytes:
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC, dir_fd=self.fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise Unsafe(f"{self.path / name}: a symbolic link in the spool (never followed)") from None
            raise
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise Unsafe(f"{self.path / name}: not a regular file")
            why = _refusal(self.path / name, st, "file")
            if why:
                raise Unsafe(why)
            data = f.read() if limit is None else f.read(limit + 1)
        if limit is not None and len(data) > limit:
            raise Damaged(f"{self.path / name}: larger than {limit >> 20} MB")
        return data

    def manifest(self, name: str) -> Manifest:
        """The manifest ``name``, checked. Raises :class:`Unsafe`, :class:`Damaged` or FileNotFoundError."""
        where = self.path / name
        raw = self._read(name, MAX_MANIFEST)
        try:
            m = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: arrays nested deeper than Python's stack
            raise Damaged(f"{where}: not a readable manifest (cut short or not JSON)") from None
        sid = m.get("id") if isinstance(m, dict) else None
        if not isinstance(sid, str) or not SID_RE.fullmatch(sid) or name != f"{sid}.json":
            raise Damaged(f"{where}: its id is not of the shape the store writes, or not its file's name")
        data = m.get("data")
        if data is not None and data != f"{sid}.parquet":
            raise Damaged(f"{where}: its data file {data!r} is not {sid}.parquet, the only name the store gives it")
        writer, args = m.get("writer"), m.get("args", {})
        if not isinstance(writer, str) or not isinstance(args, dict):
            raise Damaged(f"{where}: no writer name, or arguments that are not a JSON object")
        return Manifest(name, sid, writer, args, data)

    def data(self, m: Manifest) -> bytes | None:
        """The batch's data file, checked as the manifest was (None when it has none)."""
        return None if m.data is None else self._read(m.data)

    # -- changing ---------------------------------------------------------------------------------

    def write(self, name: str, body: bytes) -> None:
        """Write ``name`` (mode 0600) durably: a temporary file, fsynced, renamed into place."""
        tmp = f".tmp-{name}"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp, dir_fd=self.fd)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC, 0o600, dir_fd=self.fd)
        with os.fdopen(fd, "wb") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        os.fsync(self.fd)

    def remove(self, name: str) -> None:
        try:
            os.unlink(name, dir_fd=self.fd)
        except FileNotFoundError:
            pass

    def set_aside(self, name: str, reason: str) -> str:
        """Rename a damaged manifest ``x.json`` to ``x.bad`` (kept for a person to look at) and write why
        beside it, as ``x.bad.reason`` (one line: :func:`inspect` shows it). Returns the new name."""
        bad = name.removesuffix(".json") + ".bad"
        try:
            os.replace(name, bad, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except FileNotFoundError:
            return bad  # another thread of ours set it aside, and wrote why
        self.write(bad + REASON, (clipped(" ".join(reason.split()), MAX_REASON) + "\n").encode())
        return bad

    def reason(self, bad: str) -> str | None:
        """Why the set-aside manifest ``bad`` was set aside (None: a Lokifi that did not write it set it
        aside, or the file is not one this spool can trust or read as text)."""
        try:
            text = self._read(bad + REASON, MAX_REASON * 8).decode("utf-8", "replace")
        except (OSError, Unsafe, Damaged):
            return None
        return " ".join(text.split()) or None


def raw_sql_note(path: Path) -> str:
    """What the store says of a manifest an older Lokifi spooled as SQL text (never run)."""
    return (
        f"{path}: a statement spooled as SQL text by an older Lokifi; it was not run and is left in place "
        "(Lokifi no longer runs SQL from the spool). Read it, apply it by hand if you wrote it, and delete it."
    )


def count(path: Path) -> int:
    """How many batches (manifests) the spool at ``path`` holds, trusted or not; 0 when there is none."""
    try:
        return sum(1 for e in os.scandir(path) if e.name.endswith(".json") and not e.name.startswith("."))
    except OSError:
        return 0


def _set_aside_note(path: Path, spool: SpoolDir, name: str) -> str:
    """What ``lokifi db info`` says of a manifest a drain set aside: why, when the drain wrote it down."""
    why = spool.reason(name)
    if why is None:
        return (
            f"{path / name}: a spooled batch set aside because it can never be applied (the command that met "
            "it said why); read it, then delete it and its .parquet if it has one"
        )
    return (
        f"{path / name}: a spooled batch set aside because it can never be applied: {why} (said in "
        f"{name}{REASON} beside it); read it, then delete it, its {REASON} and its .parquet if it has one"
    )


def inspect(path: Path) -> tuple[list[str], int]:
    """What the next drain of the spool at ``path`` would refuse, without applying or moving anything
    (``lokifi db info``): the reasons, and how many batches they keep from being written; then the
    batches drains have set aside (not counted: they are no longer waiting)."""
    from analytics.store.writers import is_raw_sql

    try:
        spool = SpoolDir.open(path)
    except Unsafe as exc:
        return [f"{exc}; its batches are not applied"], count(path)
    if spool is None:
        return [], 0
    found = []
    with spool:
        for name in spool.manifests():
            try:
                m = spool.manifest(name)
            except FileNotFoundError:
                continue
            except (Unsafe, Damaged) as exc:
                found.append(f"{exc}; not applied")
                continue
            if is_raw_sql(m.writer):
                found.append(raw_sql_note(path / name))
        refused = len(found)
        found += [_set_aside_note(path, spool, name) for name in spool.set_aside_names()]
    return found, refused
