"""Touching files inside a directory without ever following a symbolic link.

Lokifi's cleanups often run as root in directories other users can write (a service's log directory).
A path checked and then opened by name can be swapped in between for a symbolic link to any file
(``/etc/shadow``); so every cleanup here works on *file descriptors*:

* :func:`open_dir` opens a directory component by component from ``/`` with ``O_NOFOLLOW``: the
  descriptor it returns is that directory, and no link was followed to reach it;
* files are then opened, created and unlinked relative to that descriptor (``dir_fd``), with
  ``O_NOFOLLOW`` and ``O_EXCL`` where a file is made, and checked with ``fstat`` on the descriptor
  itself (type, link count, identity) -- never by a second lookup of the name;
* :func:`writers_without_append` finds processes holding a file open for writing without
  ``O_APPEND`` (from ``/proc``), which a copy-and-truncate would leave writing past the end.

POSIX (Linux, macOS); the ``/proc`` check is Linux only and reports nothing elsewhere.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class Refused(OSError):
    """A file the cleanup will not touch, with the reason in words."""


def open_dir(path: str) -> int:
    """A descriptor for directory ``path`` (absolute, without symbolic links: pass a realpath),
    opened one component at a time with ``O_NOFOLLOW``. Raises :class:`Refused` when a component is a
    symbolic link (it was swapped in after the path was checked) or not a directory."""
    if not os.path.isabs(path):
        raise ValueError(f"{path}: not an absolute path")
    fd = os.open("/", _DIR_FLAGS)
    try:
        for part in path.split(os.sep):
            if not part or part == ".":
                continue
            if part == "..":
                raise Refused(errno.EINVAL, f"{path}: contains '..'")
            try:
                nfd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                    raise Refused(exc.errno, f"{path}: '{part}' is a symbolic link or not a directory") from None
                raise
            os.close(fd)
            fd = nfd
        return fd
    except BaseException:
        os.close(fd)
        raise


def kind_of(mode: int) -> str:
    """'a regular file', 'a FIFO', ... for messages."""
    for test, name in (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def open_regular(name: str, dir_fd: int, flags: int = os.O_RDONLY) -> tuple[int, os.stat_result]:
    """Open ``name`` in ``dir_fd`` without following a link or blocking (FIFOs), and check with fstat
    that it is a regular file with a single name. Returns (fd, its stat). Raises :class:`Refused`."""
    try:
        fd = os.open(
            name, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0), dir_fd=dir_fd
        )
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused(exc.errno, "is a symbolic link; Lokifi never follows links when cleaning") from None
        if exc.errno == errno.ENXIO:  # a socket, or a FIFO nobody reads, opened for writing
            raise Refused(exc.errno, "is a socket or FIFO, not a regular file") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(errno.EINVAL, f"is {kind_of(st.st_mode)}, not a regular file")
        if st.st_nlink > 1:
            raise Refused(
                errno.EMLINK,
                f"has {st.st_nlink} hard links: another name, possibly outside the allowed "
                "directories, shares its content and would change too",
            )
        return fd, st
    except BaseException:
        os.close(fd)
        raise


def same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


@dataclass(frozen=True)
class Writer:
    pid: int
    name: str


def writers_without_append(st: os.stat_result, proc: str = "/proc") -> list[Writer]:
    """Processes (other than this one) holding the file ``st`` describes open for writing without
    ``O_APPEND``: after a truncate they would go on writing at their old offset, leaving a hole.
    Empty where ``/proc`` is not available."""
    out: list[Writer] = []
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return out
    me = os.getpid()
    for pid in pids:
        if int(pid) == me:
            continue
        fd_dir = os.path.join(proc, pid, "fd")
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for n in fds:
            try:
                target = os.stat(os.path.join(fd_dir, n))
            except OSError:
                continue
            if not same_file(target, st):
                continue
            try:
                with open(os.path.join(proc, pid, "fdinfo", n), encoding="ascii", errors="replace") as fh:
                    flags = next((int(line.split()[1], 8) for line in fh if line.startswith("flags:")), 0)
            except (OSError, ValueError, IndexError):
                continue
            if flags & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR) and not flags & os.O_APPEND:
                try:
                    with open(os.path.join(proc, pid, "comm"), encoding="utf-8", errors="replace") as fh:
                        name = fh.read().strip()
                except OSError:
                    name = "?"
                out.append(Writer(int(pid), name))
                break
    return out


__all__ = ["Refused", "Writer", "kind_of", "open_dir", "open_regular", "same_file", "writers_without_append"]
