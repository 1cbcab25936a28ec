"""Tailed lines into multi-line events, with a checkpoint that never passes an event still being written.

The lines a :class:`~analytics.sources.filetail.FileTailer` returns are folded by
:class:`analytics.patterns.multiline.MultilineFolder` — the rules ``lokifi patterns scan`` uses — one folder per
file (device and inode), so a rotated file still being drained and the file that replaced it never mix.

An event whose last line has been read may still grow (the rest of its traceback is being written), so
at the end of a poll the open event of each file is *held*. It is emitted when the next event starts;
when no line has arrived in its file for ``quiet`` seconds (at the default 2-s poll, the next poll); when
its file is finished (a rotated file drained) or truncated; when it has been open for ``max_hold``
seconds or spans ``max_bytes`` (a log made only of indented lines is not held for ever); and at the
collector's final poll.

While an event is held, the checkpoint stored with the poll's rows is the tailer's position moved back
to the held event's first line (that position's offset; the head hash stays valid since it covers bytes
before the old offset). The rows of that poll are the events before it, so after a crash (SIGKILL) the
restarted tailer reads the held event again, whole, and folds it as it would have: nothing is lost and
nothing is stored twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analytics.patterns.multiline import Event, MultilineFolder

if TYPE_CHECKING:
    from analytics.sources.line_reader import Line

#: Emit a held event once no line has arrived in its file for this long.
QUIET_SECONDS = 1.0
#: Emit a held event that has been open this long, however its lines keep coming.
MAX_HOLD_SECONDS = 30.0
#: Emit a held event that spans this many bytes (bounds what a restart reads again).
MAX_HOLD_BYTES = 4 * 1024 * 1024


class _FileEvents:
    """The folding state of one file."""

    __slots__ = ("at", "end", "folder", "opened_at")

    def __init__(self) -> None:
        self.folder: MultilineFolder[Line] = MultilineFolder()
        self.end = 0  # where reading went on after the last line fed
        self.at = 0.0  # when the last line arrived (monotonic)
        self.opened_at = 0.0  # when the open event's first line arrived


class TailEvents:
    """The events of one tailed path. Call :meth:`feed` with each poll's lines, then :meth:`settle`."""

    def __init__(
        self, quiet: float = QUIET_SECONDS, max_hold: float = MAX_HOLD_SECONDS, max_bytes: int = MAX_HOLD_BYTES
    ) -> None:
        self.quiet = quiet
        self.max_hold = max_hold
        self.max_bytes = max_bytes
        self._files: dict[tuple[int, int], _FileEvents] = {}

    def feed(self, lines: list[Line], now_mono: float) -> list[Event[Line]]:
        """Fold the lines of one poll; returns the events they finished."""
        out: list[Event[Line]] = []
        i, n = 0, len(lines)
        while i < n:
            key = (lines[i].dev, lines[i].ino)
            f = self._files.get(key)
            if f is None:
                f = self._files[key] = _FileEvents()
            elif lines[i].offset < f.end:
                out += f.folder.flush()  # the file was truncated: what follows is new text
            # the run of lines that follow each other in this file
            j = i + 1
            while j < n and (lines[j].dev, lines[j].ino) == key and lines[j].offset >= lines[j - 1].end:
                j += 1
            run = lines[i:j]
            before = f.folder.pending_start
            out += f.folder.feed_lines([ln.text for ln in run], run)
            if f.folder.pending_start is not before:
                f.opened_at = now_mono
            f.end, f.at = run[-1].end, now_mono
            i = j
        return out

    def settle(
        self, position: dict[str, Any] | None, now_mono: float, *, final: bool = False
    ) -> tuple[list[Event[Line]], dict[str, Any] | None]:
        """The held events that may wait no longer, and the checkpoint to store with this poll's rows:
        the tailer's ``position`` with each file that still holds an event moved back to that event's
        first line. ``final``: emit every held event (the collector is stopping)."""
        out: list[Event[Line]] = []
        entries = {name: p for name, p in position.items() if isinstance(p, dict)} if position else {}
        moved: dict[str, dict[str, Any]] = {}
        for key, f in list(self._files.items()):
            names = [name for name, p in entries.items() if (p.get("dev"), p.get("ino")) == key]
            start = f.folder.pending_start
            if start is not None:
                # Held only where the position is still past everything fed (not reset by a truncation).
                where = [name for name in names if int(entries[name].get("offset", -1)) >= f.end]
                if (
                    final
                    or not where
                    or now_mono - f.at >= self.quiet
                    or now_mono - f.opened_at >= self.max_hold
                    or f.end - start.offset >= self.max_bytes
                ):
                    out += f.folder.flush()
                else:
                    for name in where:
                        moved[name] = {**entries[name], "offset": start.offset, "discard": False}
            if not names and not f.folder.pending:
                del self._files[key]  # a finished file (drained after rotation): nothing more comes from it
        if not moved:
            return out, position
        return out, {**position, **moved}  # type: ignore[dict-item]
