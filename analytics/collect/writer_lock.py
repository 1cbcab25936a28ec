"""The single-writer lock: an advisory ``flock`` beside the database, held by the one collector that
writes to it, the hand-over a waiting ``lokifi collect`` asks of it, and the test ``lokifi status`` /
``lokifi sources`` make for a running collector.

Its own module so that the read commands can ask "is a collector running?" without importing the
collector (and polars with it).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from pathlib import Path

from analytics.store.database import StoreError
from analytics.store.planted import refuse_shared_file
from analytics.store.private import mkdir_private, mode_beside

#: Files beside the database are never reached through a symbolic link (one planted there by another
#: user would make a root collector truncate and write whatever file it points to).
_NOFOLLOW = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def lock_path(db_path: str | os.PathLike[str]) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + ".collector.lock")


class WriterLock:
    """An advisory ``flock`` beside the database: held by the one collector that writes to it."""

    def __init__(self, db_path: str | os.PathLike[str]) -> None:
        self._db = Path(db_path)
        self.path = lock_path(db_path)
        self._fd: int | None = None

    def acquire(self) -> bool:
        try:
            mkdir_private(self.path.parent)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, mode_beside(self._db))
        except OSError as exc:
            if self.path.is_symlink():  # (ELOOP, or EACCES where the kernel protects links in sticky directories)
                raise StoreError(
                    f"{self.path} is a symbolic link; Lokifi does not follow links beside the database (someone "
                    "may have put it there). Remove it, and keep the database in a directory only you can write."
                ) from None
            raise StoreError(
                f"Cannot create the collector lock {self.path} ({exc.strerror or exc}); the collector needs to "
                "write beside the database. Check the directory's permissions or point --db elsewhere."
            ) from None
        refuse_shared_file(fd, self.path)  # a planted hard link: its file would be truncated below
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    @property
    def want_path(self) -> Path:
        """Where a waiting ``lokifi collect`` asks the holder to hand over (its pid)."""
        return self.path.with_name(self.path.name + ".want")

    def holder(self) -> int | None:
        """The pid written by the current holder (None if unknown)."""
        try:
            return int(self.path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    # -- handing over: a waiting ``lokifi collect`` asks the holder (a dashboard) to let go ----------

    def wait_for_handover(self, stop: threading.Event) -> bool:
        """Ask the holder to hand over (our pid in :attr:`want_path`) and wait for the lock. Returns
        False if ``stop`` was set first."""
        want = self.want_path
        while not stop.is_set():
            with contextlib.suppress(OSError):
                fd = os.open(want, os.O_WRONLY | os.O_CREAT | _NOFOLLOW, mode_beside(self._db))
                refuse_shared_file(fd, want)  # truncated only once known to be no one else's file
                os.ftruncate(fd, 0)
                with os.fdopen(fd, "w") as f:
                    f.write(f"{os.getpid()}\n")
            if self.acquire():
                with contextlib.suppress(OSError):
                    if want.read_text().split()[0] == str(os.getpid()):
                        want.unlink()
                return True
            stop.wait(1.0)
        with contextlib.suppress(OSError, IndexError):
            if want.read_text().split()[0] == str(os.getpid()):
                want.unlink()
        return False

    def handover_wanted(self) -> bool:
        """Another live process is waiting for this lock's holder to hand over (a stale request from a
        process that is gone is removed)."""
        try:
            pid = int(self.want_path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return False
        if pid == os.getpid():
            return False
        try:
            import psutil

            alive = psutil.pid_exists(pid)
        except Exception:  # noqa: BLE001
            alive = True
        if not alive:
            with contextlib.suppress(OSError):
                self.want_path.unlink()
        return alive


def collector_running(db_path: str | os.PathLike[str]) -> int | None:
    """The pid of the collector writing to this database, or None when none is."""
    lk = WriterLock(db_path)
    try:
        got = lk.acquire()
    except StoreError:  # the directory cannot be written (read-only): test an existing lock read-only
        try:
            fd = os.open(lk.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return None  # no lock file, so no collector
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return None
        except OSError:
            return lk.holder() or -1
        finally:
            os.close(fd)
    if got:
        lk.release()
        return None
    return lk.holder() or -1
