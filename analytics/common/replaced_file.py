"""A file written whole under a new name, then renamed over the name asked for: what sits at that name
is replaced, never written through.

A command told to write ``/tmp/out.csv`` as root would otherwise open that name and truncate whatever
it leads to: a symbolic link another user planted there (to ``/etc/shadow``), a hard link, their own
file. The text goes to a new file of random name beside it (``O_EXCL``, never through a link; the
umask's mode, or the mode of the user's own file it replaces), is made durable, and is renamed over the
name, which moves only the name. A FIFO or character device at the name (``-o >(gzip > x.gz)``,
``-o /dev/stdout``) is written to as it is: a stream, not a file to replace.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


@contextlib.contextmanager
def replaced(
    path: str | os.PathLike[str], *, encoding: str = "utf-8", newline: str = "", mode: int | None = None
) -> Iterator[TextIO]:
    """A text file to write; on a clean exit it becomes ``path`` (an exception leaves ``path`` as it was).

    ``mode`` is the new file's mode when the caller knows it (a file it moved aside first); otherwise the
    mode of the user's own file at ``path``, or a new file's usual mode (0666 less the umask)."""
    target = Path(path)
    try:
        st = os.stat(target)  # followed: a pipe the shell made is a link in /dev/fd
    except FileNotFoundError:
        st = None
    if st is not None and (stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode)):
        with open(target, "w", encoding=encoding, newline=newline) as stream:
            yield stream
        return
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "Is a directory", str(target))
    if mode is None:
        with contextlib.suppress(OSError):
            own = os.lstat(target)
            if stat.S_ISREG(own.st_mode) and own.st_uid == os.geteuid() and own.st_nlink == 1:
                mode = stat.S_IMODE(own.st_mode)  # the user's own file keeps its mode
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(tmp, flags, 0o666 if mode is None else mode)  # (0o666 less the umask, as any new file)
    try:
        if mode is not None:
            os.fchmod(fd, mode)  # as it was, whatever the umask
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


__all__ = ["replaced"]
