"""Which files ``lokifi config init`` proposes as logs: text a person would read, written by a service.

Two sources: the files a listening process is writing (:func:`written_logs`: its stdout or stderr sent
to a file, a log it opened), and the current logs in a log directory (:func:`logs_in`: ``/var/log`` or
each ``--logs DIR``). A file is proposed only when

* it holds text: no NUL byte and valid UTF-8 in its first and last 4 KB (a database's write-ahead file,
  a binary journal or a file that turned binary are not logs, whatever the process does with them);
  an empty file proves nothing, so it is proposed only when its role says log (the process's stdout or
  stderr) or its name does (``*.log``, ``*_log``);
* it is not Lokifi's own: nothing in Lokifi's data, cache or config directories nor beside its
  database (``lokifi.duckdb.wal``, its spool and locks) is a service's log, and watching them would
  feed Lokifi's own writes back into it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import psutil

#: a log directory's name -> the service it belongs to (the name itself when not listed)
DIR_SERVICE = {"apache2": "apache", "httpd": "apache", "postgresql": "postgres", "mariadb": "mysql"}
#: the host's own logs at the top of a log directory: one "system" component
SYSTEM_LOGS = ("syslog", "messages", "auth.log", "secure", "kern.log", "daemon.log")
_ROTATED = re.compile(r"(?:[.\-_][0-9][0-9_.\-T]*)(?:\.(?:gz|bz2|xz|zst|lz4|zip))?$|\.(?:gz|bz2|xz|zst|lz4|zip)$")
SNIFF = 4096  # bytes read at each end of a file to tell text from binary


class OwnFiles:
    """Lokifi's own files: its data, cache and config directories, and the database ``db`` (default: the
    one ``LOKIFI_DB`` or the data directory names) with every file beside it that carries its name."""

    def __init__(self, db: str | os.PathLike[str] | None = None) -> None:
        from analytics.config.paths import cache_dir, config_dir, data_dir, resolve_db

        self.dirs = [_real(d) for d in (data_dir(), cache_dir(), config_dir())]
        path = _real(resolve_db(db))
        self.db_dir, self.db_name = path.parent, path.name

    def __contains__(self, path: str | os.PathLike[str]) -> bool:
        p = _real(Path(path))
        beside = p.is_relative_to(self.db_dir) and p != self.db_dir
        if beside and p.relative_to(self.db_dir).parts[0].startswith(self.db_name):  # lokifi.duckdb.spool/...
            return True
        return any(p.is_relative_to(d) for d in self.dirs)


def _real(p: Path) -> Path:
    try:
        return Path(os.path.realpath(os.path.expanduser(p)))
    except (OSError, ValueError):
        return Path(os.path.abspath(p))


def _readable_file(p: Path) -> bool:
    try:
        return p.is_file() and not p.is_symlink() and os.access(p, os.R_OK)
    except OSError:
        return False


def _is_text(chunk: bytes, *, cut_start: bool = False) -> bool:
    """No NUL and valid UTF-8, but for a character cut at the chunk's end (or, ``cut_start``, its start)."""
    if cut_start:
        skip = 0
        while skip < min(3, len(chunk)) and 0x80 <= chunk[skip] <= 0xBF:
            skip += 1
        chunk = chunk[skip:]
    if b"\x00" in chunk:
        return False
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(chunk) - 3
    return True


def holds_text(p: Path, *, empty_ok: bool = False) -> bool:
    """The file's first and last :data:`SNIFF` bytes are text: a log, not a database's write-ahead file or
    a binary journal the process also appends to. An empty file holds nothing to tell: ``empty_ok``."""
    try:
        with open(p, "rb") as f:
            head = f.read(SNIFF)
            size = os.fstat(f.fileno()).st_size
            tail = b""
            if size > SNIFF:
                f.seek(max(SNIFF, size - SNIFF))
                tail = f.read(SNIFF)
    except OSError:
        return False
    if not head:
        return empty_ok
    return _is_text(head) and (not tail or _is_text(tail, cut_start=True))


def _log_named(name: str) -> bool:
    return name.endswith((".log", "_log")) or name in SYSTEM_LOGS


def written_logs(pid: int | None, own: OwnFiles | None = None) -> list[str]:
    """The log files process ``pid`` is writing now: files it holds open for appending (its stdout or
    stderr sent to a file, as ``pg_ctl -l`` and ``app >> app.log`` do; a log file it opened) or for writing
    under a ``.log`` name, that hold text and are not Lokifi's own (``own``, default: this user's).
    Wherever the service was told to log, this is where its errors are. Empty without the rights to see
    the process's files."""
    if not pid:
        return []
    try:
        files = psutil.Process(pid).open_files()
    except (psutil.Error, OSError):
        return []
    own = own if own is not None else OwnFiles()
    out: list[str] = []
    for f in files:
        mode = getattr(f, "mode", "") or ""
        path = f.path
        named = _log_named(os.path.basename(path))
        writes = "a" in mode or (("w" in mode or "+" in mode) and named)
        if not writes or path.startswith(("/dev/", "/proc/", "/sys/")) or path in out or path in own:
            continue
        stdio = getattr(f, "fd", -1) in (1, 2)
        if _readable_file(Path(path)) and holds_text(Path(path), empty_ok=stdio or named):
            out.append(path)
    return out


def _current_logs(d: Path, own: OwnFiles) -> list[str]:
    """The current (not rotated, not compressed) text log files in ``d``: ``*.log`` and ``*_log``."""
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return []
    return [str(d / n) for n in names if not _ROTATED.search(n) and _log_named(n) and _text_log(d / n, own)]


def _text_log(p: Path, own: OwnFiles) -> bool:
    """A file found by its log name: readable, not Lokifi's, text (or empty: a log not written to yet)."""
    return _readable_file(p) and p not in own and holds_text(p, empty_ok=True)


def logs_in(dirs: Iterable[str], own: OwnFiles | None = None) -> dict[str, list[str]]:
    """Service -> its current log files, found in each of ``dirs`` (a host's /var/log or a copy of one):
    every subdirectory holding readable current logs is a service (``nginx/``, ``postgresql/``, an
    application's own directory); the host's syslog/messages/auth/kern logs at the top are ``system``."""
    own = own if own is not None else OwnFiles()
    found: dict[str, list[str]] = {}
    for raw in dirs:
        d = Path(os.path.expanduser(raw))
        system = [str(d / n) for n in SYSTEM_LOGS if _text_log(d / n, own)]
        if system:
            found.setdefault("system", []).extend(system)
        try:
            subdirs = sorted((e for e in os.scandir(d) if e.is_dir(follow_symlinks=False)), key=lambda e: e.name)
        except OSError:
            continue
        for e in subdirs:
            files = _current_logs(Path(e.path), own)
            if files:
                found.setdefault(DIR_SERVICE.get(e.name, e.name), []).extend(files)
    return found
