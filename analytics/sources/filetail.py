"""Following one log file byte-exactly: :class:`FileTailer` and the :class:`Position` it keeps.

Only complete lines are read (a partial last line waits for its newline), very long ones are cut at
``max_line`` bytes, invalid UTF-8 is replaced. The :class:`Position` (device, inode, offset, a hash of the
file's head) is stored by the collector *in the same transaction* as the rows read up to it, so a restart
neither reads a line twice nor skips one. Rotation by rename is followed (the old file is drained, also
after a restart, found by inode); copytruncate and in-place truncation are detected (size below the
offset, or a changed head) and the lines written before the truncation are recovered from the rotated
copy when it can be found (same head); files rotated after the one being read are found among the
rotated siblings by modification time and read whole. Limits: with copytruncate, lines written between
the copy and the truncate are lost (copytruncate's own race); compressed rotated files are left to
``lokifi backfill``, which reads from where the position says the tail began.

Reading lines from a position in one open file is :mod:`analytics.sources.line_reader`'s.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from analytics.sources.line_reader import CHUNK, HEAD_BYTES, MAX_LINE, Line, LineReader, Position, head_of

__all__ = ["HEAD_BYTES", "MAX_LINE", "FileTailer", "Line", "Position"]  # Position and Line are a tail's too

MAX_BYTES_PER_POLL = 8 * 1024 * 1024
#: After a rename rotation the old file is still drained for this long (writers reopen lazily).
ROTATE_GRACE = 5.0
_COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".lz4", ".zip")


def _rotated_candidates(path: Path) -> list[Path]:
    """Files beside ``path`` that look like its rotated copies — ``app.log.1``, ``app.log-20260101``,
    ``app.1.log``, ``app-2026-01-01.log`` — newest first. Another log that merely shares the stem
    (``app.error.log``) is not one: the inserted part must be a number or a date."""
    d = path.parent
    suffix = path.suffix
    stem = path.stem if suffix else path.name
    pat = re.compile(
        rf"^(?:{re.escape(path.name)}[.\-_][\w.\-]+|{re.escape(stem)}[.\-_][0-9][0-9_.\-T]*{re.escape(suffix)})$"
    )
    found: list[Path] = []
    try:
        entries = list(os.scandir(d))
    except OSError:
        return []
    for e in entries:
        name = e.name
        if name == path.name or name.endswith(_COMPRESSED) or not pat.match(name):
            continue
        try:
            if e.is_file(follow_symlinks=False):
                found.append(Path(e.path))
        except OSError:
            continue
    found.sort(key=lambda p: _mtime(p), reverse=True)
    return found[:64]


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


class FileTailer:
    """Follows one path. Not thread-safe: one poller at a time."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        position: Position | dict[str, Any] | None = None,
        *,
        from_start: bool = False,
        max_line: int = MAX_LINE,
        max_bytes: int = MAX_BYTES_PER_POLL,
        rotate_grace: float = ROTATE_GRACE,
    ) -> None:
        self.path = Path(path)
        self.key = str(self.path)
        self.from_start = from_start
        self.max_bytes = max_bytes
        self.rotate_grace = rotate_grace
        self._reader = LineReader(self.key, max_line)
        self._saved = position  # the stored checkpoint (used only on first open)
        self._fd: int | None = None
        self._pos: Position | None = None
        # An old file still being drained after a rename rotation: (fd, position, last time it grew).
        self._old: tuple[int, Position, float] | None = None
        self.has_more = False
        self.notes: list[str] = []  # things worth telling the operator (lost bytes, unreadable file)
        self.error: str | None = None

    # -- public -------------------------------------------------------------------------------------

    @property
    def position(self) -> dict[str, Any] | None:
        """What to store as the checkpoint (current file, plus an old file still being drained)."""
        if self._pos is None:
            saved = self._saved  # not opened yet: keep what was stored
            return {"cur": saved.to_dict()} if isinstance(saved, Position) else saved
        d: dict[str, Any] = {"cur": self._pos.to_dict()}
        if self._old is not None:
            d["prev"] = self._old[1].to_dict()
        return d

    def anchor(self) -> None:
        """Open a file followed from its end now, at the end it has now (no stored position): what is
        written to it from here on is read by the first poll. Does nothing to a file read from a stored
        position, read whole, or already open."""
        if self._fd is None and self._saved is None and not self.from_start:
            self._open_first([], 0)

    def poll(self, now_mono: float | None = None) -> list[Line]:
        now_mono = time.monotonic() if now_mono is None else now_mono
        out: list[Line] = []
        budget = self.max_bytes
        self.error = None
        try:
            budget -= self._drain_old(out, budget, now_mono)
            if self._fd is None:
                budget -= self._open_first(out, budget)
                if self._fd is None:
                    self.has_more = False
                    return out
            budget -= self._poll_current(out, budget, now_mono)
        except PermissionError as exc:
            self.error = f"cannot read {self.key}: permission denied ({exc.strerror})"
        except OSError as exc:
            self.error = f"cannot read {self.key}: {exc.strerror or exc}"
        self.has_more = budget <= 0
        return out

    def close(self) -> None:
        for fd in (self._fd, self._old[0] if self._old else None):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._fd = None
        self._old = None

    # -- internals ----------------------------------------------------------------------------------

    def _open(self) -> tuple[int, os.stat_result] | None:
        try:
            fd = os.open(self.key, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            return None
        st = os.fstat(fd)
        if not _is_regular(st):
            os.close(fd)
            self.error = f"{self.key} is not a regular file"
            return None
        return fd, st

    def _update_head(self, fd: int, pos: Position) -> None:
        if pos.head_len < HEAD_BYTES and pos.offset > pos.head_len:
            pos.head, pos.head_len = head_of(fd, min(HEAD_BYTES, pos.offset))

    def _head_matches(self, fd: int, pos: Position) -> bool:
        if pos.head_len == 0:
            return True
        return head_of(fd, pos.head_len) == (pos.head, pos.head_len)

    def _open_first(self, out: list[Line], budget: int) -> int:
        saved = self._saved
        self._saved = None
        used = 0
        cur = prev = None
        if isinstance(saved, dict):
            cur = Position.from_dict(saved.get("cur"))
            prev = Position.from_dict(saved.get("prev"))
        elif isinstance(saved, Position):
            cur = saved
        # An old file that was still being drained when we stopped: finish it from its rotated name. (When
        # nothing had replaced it yet, it is ``cur`` too, and drained below as the file that moved away.)
        if prev is not None and (cur is None or (prev.dev, prev.ino) != (cur.dev, cur.ino)):
            used += self._drain_rotated(prev, out, budget)
        opened = self._open()
        if opened is None:
            self.from_start = True  # it does not exist (now): when it appears, all of it is new
            if cur is not None and self._pos is None:
                self._pos = cur
            if cur is not None:
                # The file moved away and nothing replaced it yet: drain it under its rotated name.
                found = self._find_by_inode(cur)
                if found is not None:
                    used += self._drain_rotated(cur, out, budget - used)
                    self._pos = replace(cur, offset=_size(found))
            return used
        fd, st = opened
        if cur is None:
            pos = Position(st.st_dev, st.st_ino, 0)
            if not self.from_start:
                pos.offset = pos.start = _first_open_at(fd, st.st_size)
        elif (cur.dev, cur.ino) == (st.st_dev, st.st_ino):
            if st.st_size >= cur.offset and self._head_matches(fd, cur):
                pos = cur
            else:
                used += self._recover_truncated(cur, out, budget - used)
                pos = Position(st.st_dev, st.st_ino, 0)
        else:
            # A new file at the path: finish the one we were reading (now rotated), then any rotated after
            # it, then read this one from 0.
            found = self._find_by_inode(cur)
            if found is not None:
                used += self._drain_rotated(cur, out, budget - used)
                self._drain_between(cur, _mtime(found), st.st_ino, out)
            elif cur.offset > 0:
                self.notes.append(
                    f"{self.key} was replaced while Lokifi was stopped and the old file (inode {cur.ino}) "
                    "was not found beside it; lines written to it after the last read may be missing"
                )
            pos = Position(st.st_dev, st.st_ino, 0)
        self._fd = fd
        self._pos = pos
        self._update_head(fd, pos)
        return used

    def _find_by_inode(self, pos: Position) -> Path | None:
        for p in [self.path, *_rotated_candidates(self.path)]:
            try:
                st = p.stat()
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == (pos.dev, pos.ino):
                return p
        return None

    def _drain_between(self, old: Position, old_mtime: float, new_ino: int | None, out: list[Line]) -> None:
        """Files rotated *after* ``old`` and before the current one (two rotations between two polls, or
        while Lokifi was stopped): read each whole, oldest first. They are the rotated siblings written
        later than ``old`` was last written."""
        between = []
        for cand in _rotated_candidates(self.path):
            try:
                st = cand.stat()
            except OSError:
                continue
            if st.st_ino in (old.ino, new_ino) or st.st_mtime <= old_mtime:
                continue
            between.append((st.st_mtime, cand, st))
        for _, cand, st in sorted(between, key=lambda t: t[0]):
            try:
                fd = os.open(str(cand), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            except OSError:
                continue
            try:
                self._reader.read(fd, Position(st.st_dev, st.st_ino, 0), out, 1 << 62, final=True)
            finally:
                os.close(fd)

    def _drain_rotated(self, pos: Position, out: list[Line], budget: int) -> int:
        """Read the rest of a rotated file (found by inode) from ``pos`` to its end, partial line included."""
        found = self._find_by_inode(pos)
        if found is None:
            return 0
        try:
            fd = os.open(str(found), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return 0
        try:
            p = replace(pos)
            if os.fstat(fd).st_size < p.offset:
                return 0
            return self._reader.read(fd, p, out, max(budget, CHUNK), final=True)
        finally:
            os.close(fd)

    def _recover_truncated(self, pos: Position, out: list[Line], budget: int) -> int:
        """After copytruncate: read what was written past our offset from the copy (same head)."""
        if pos.offset <= 0 or pos.head_len == 0:
            return 0
        for cand in _rotated_candidates(self.path):
            try:
                fd = os.open(str(cand), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            except OSError:
                continue
            try:
                st = os.fstat(fd)
                if (st.st_dev, st.st_ino) == (pos.dev, pos.ino) or st.st_size < pos.offset:
                    continue
                if not self._head_matches(fd, pos):
                    continue
                p = replace(pos)
                return self._reader.read(fd, p, out, max(budget, CHUNK), final=True)
            finally:
                os.close(fd)
        if pos.offset > 0:
            self.notes.append(f"{self.key} was truncated; no rotated copy was found to recover unread lines from")
        return 0

    def _poll_current(self, out: list[Line], budget: int, now_mono: float) -> int:
        fd, pos = self._fd, self._pos
        assert fd is not None and pos is not None  # noqa: S101 - only called while a file is open
        used = 0
        st = os.fstat(fd)
        if st.st_size < pos.offset or (st.st_size > pos.offset and not self._head_matches(fd, pos)):
            used += self._recover_truncated(pos, out, budget)
            pos = self._pos = Position(pos.dev, pos.ino, 0)
        used += self._reader.read(fd, pos, out, budget - used)
        self._update_head(fd, pos)
        if budget - used <= 0:
            return used
        try:
            pst = os.stat(self.key)
        except FileNotFoundError:
            pst = None
        if pst is not None and (pst.st_dev, pst.st_ino) == (pos.dev, pos.ino):
            return used
        # Renamed away (rotation): keep draining the old file for a grace period, switch to the new one.
        if self._old is not None:
            self._finish_old(out)
        self._old = (fd, pos, now_mono)
        self._old_size = st.st_size
        self._fd = None
        if pst is None:
            # Between the rename and the new file: whatever appears at the path next is all new (else the
            # next poll would open it as a first open, at its end, and skip the lines already in it).
            self.from_start = True
            return used
        opened = self._open()
        if opened is None:
            return used
        nfd, nst = opened
        self._drain_between(pos, os.fstat(fd).st_mtime, nst.st_ino, out)
        self._fd = nfd
        self._pos = Position(nst.st_dev, nst.st_ino, 0)
        used += self._reader.read(nfd, self._pos, out, max(0, budget - used))
        self._update_head(nfd, self._pos)
        return used

    def _drain_old(self, out: list[Line], budget: int, now_mono: float) -> int:
        if self._old is None:
            return 0
        fd, pos, since = self._old
        before = os.fstat(fd).st_size
        used = self._reader.read(fd, pos, out, budget)
        grew = os.fstat(fd).st_size != getattr(self, "_old_size", None)
        self._old_size = before
        if grew:
            self._old = (fd, pos, now_mono)
        elif now_mono - since >= self.rotate_grace:
            self._finish_old(out)
        return used

    def _finish_old(self, out: list[Line]) -> None:
        assert self._old is not None  # noqa: S101 - only called while a rotated file is draining
        fd, pos, _ = self._old
        self._reader.read(fd, pos, out, MAX_BYTES_PER_POLL, final=True)
        try:
            os.close(fd)
        except OSError:
            pass
        self._old = None
        if self._pos is None:
            self._pos = pos


def _is_regular(st: os.stat_result) -> bool:
    import stat as _stat

    return _stat.S_ISREG(st.st_mode)


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except OSError:
        return 0


def _first_open_at(fd: int, size: int) -> int:
    """Where the first open of a file without a checkpoint starts reading: at its end (the start of a
    half-written last line), or for an access log at the first line of its last minute — that minute is
    read whole, with the lines appended to it, and written once (the store keeps a minute's first row),
    and backfill reads the file up to exactly there, also when it runs after the collector started."""
    end = _line_start_before(fd, size)
    if end == 0 or os.pread(fd, 1, end - 1) != b"\n":
        return end
    from analytics.sources.access_log import last_minute_start

    cut = last_minute_start(fd, 0, end)
    return end if cut is None else cut[0]


def _line_start_before(fd: int, size: int) -> int:
    """Offset just after the last newline before ``size`` (so a half-written last line is read whole)."""
    if size == 0:
        return 0
    back = min(size, MAX_LINE)
    data = os.pread(fd, back, size - back)
    nl = data.rfind(b"\n")
    if nl < 0:
        return size - back if back == size else size
    return size - back + nl + 1


# --------------------------------------------------------------------------------------------------
# Error-line selection and timestamps
# --------------------------------------------------------------------------------------------------
