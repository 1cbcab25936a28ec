"""The collector's config file, watched: a changed file is read again; one that does not parse is not.

:class:`ConfigWatch` looks at the file's signature (``stat``: modification time, size, inode) every
:data:`CHECK_SECONDS` on the collector's own polls — nothing else wakes for it, and while the file stays
as it is nothing more than that ``stat`` is done. A file whose signature changed is read once it has held
still for :data:`SETTLE_SECONDS` (an editor that writes in two steps is not caught half way), and only a
change of its content (SHA-256) counts: a ``touch`` is not a reload.

A file that no longer parses (a TOML syntax error, not UTF-8, too large, gone) is reported once — what is
wrong, and where — and the configuration in force stays: a collector is never left with the defaults
because of a typo. Saving the file again (or a reload asked for, ``SIGHUP`` for ``lokifi collect``)
tries again. What a reload changes is said by :func:`analytics.collect.config_changes.changes`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analytics.config.settings import MAX_CONFIG_BYTES, load_config
from analytics.config.toml_lines import parse_salvaging

#: How often the file's signature is looked at (on a poll that happens anyway).
CHECK_SECONDS = 2.0
#: A changed file is read when its signature has not moved for this long.
SETTLE_SECONDS = 0.5


def signature(path: Path) -> tuple[int, int, int] | None:
    """The file's modification time (ns), size and inode; None when there is no file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _read(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read(MAX_CONFIG_BYTES + 1)
    except OSError:
        return None


def why_not(path: Path, raw: bytes | None) -> list[str]:
    """Why the file's content cannot be taken as the new configuration (empty: it parses)."""
    if raw is None:
        return [f"{path}: no config file there, or it cannot be read"]
    if len(raw) > MAX_CONFIG_BYTES:
        return [f"{path}: larger than a config can be ({MAX_CONFIG_BYTES >> 20} MB)"]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [f"{path}:{line}: not UTF-8 text (byte {exc.start})"]
    problems: list[str] = []
    parse_salvaging(text, problems)
    out = []
    for p in problems:  # "line 12: TOML syntax error (...); this line is ignored" -> path:12: TOML syntax ...
        p = p.split("; this line is ignored")[0].split("; using defaults for everything")[0]
        head, sep, rest = p.partition(": ")
        num = head.removeprefix("line ")
        if sep and head.startswith("line ") and num.isdigit():
            out.append(f"{path}:{num}: {rest}")
        elif "(at end of document)" in p:  # a value left open: say the last line that holds something
            last = len(text.rstrip().splitlines())
            out.append(f"{path}:{last}: {p.replace(' (at end of document)', ' at the end of the file')}")
        else:
            out.append(f"{path}: {p}")
    return out


@dataclass
class Outcome:
    """What one look at the file found: a new configuration, or why the file was not taken."""

    config: Any = None
    broken: list[str] = field(default_factory=list)
    asked: bool = False  # a reload was asked for (not only noticed)
    same: bool = False  # the content is what is in force (asked for, or back after one that did not parse)


class ConfigWatch:
    """Watches ``path``, the file ``config`` was read from (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str], config: Any) -> None:
        self.path = Path(path)
        self.config = config
        self.loaded_at = dt.datetime.now().astimezone()
        self._sig = signature(self.path)
        raw = _read(self.path) if self._sig is not None else None
        self._digest = hashlib.sha256(raw).hexdigest() if raw is not None else None
        self._seen: tuple[int, int, int] | None = self._sig  # the signature at the last look
        self._refused: str | None = None  # the digest of content reported as not parsing
        self._next = time.monotonic() + CHECK_SECONDS

    def due(self, now_m: float) -> bool:
        return now_m >= self._next

    def check(self, now_m: float | None = None, *, asked: bool = False) -> Outcome | None:
        """Look at the file: None when there is nothing to report. ``asked``: a reload was asked for —
        read the file now, and answer even when nothing changed or it still does not parse."""
        now_m = time.monotonic() if now_m is None else now_m
        self._next = now_m + CHECK_SECONDS
        sig = signature(self.path)
        if not asked:
            if sig == self._sig:
                self._seen = sig
                return None
            if sig != self._seen:  # still moving: look again shortly
                self._seen = sig
                self._next = now_m + SETTLE_SECONDS
                return None
        self._seen = self._sig = sig
        raw = _read(self.path) if sig is not None else None
        digest = hashlib.sha256(raw).hexdigest() if raw is not None else "gone"
        if digest == self._digest:  # back to what is in force (a typo undone), or asked for: answered
            answer = asked or self._refused is not None
            self._refused = None
            return Outcome(asked=asked, same=True) if answer else None
        if digest == self._refused and not asked:
            return None  # said already
        broken = why_not(self.path, raw)
        if broken:
            self._refused = digest
            return Outcome(broken=broken, asked=asked)
        config = load_config(self.path)
        self._digest, self._refused = digest, None
        self.config = config
        self.loaded_at = dt.datetime.now().astimezone()
        return Outcome(config=config, asked=asked)
