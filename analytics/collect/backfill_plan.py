"""Which files backfill reads: the logs the collector tails, each with its rotated copies beside it
(``app.log.1``, ``app.log.2.gz``, ``app.log-20260101.bz2``, ...), oldest first, then the current file."""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analytics.common.compression import SUFFIXES, codec_of
from analytics.sources.tail import LogSpec


@dataclass(frozen=True)
class Planned:
    """One file to read: its component, whether it is the live one, and its compression."""

    component: str
    path: Path
    current: bool
    codec: str | None
    size: int
    log: str = ""  # the configured file whose rotations this is one of (itself for the current file)


def specs_from_config(config: Any) -> list[LogSpec]:
    """The logs the collector tails (the same list), so backfill and tailing meet."""
    out = [LogSpec(c.name, p) for c in config.components for p in c.logs]
    for d in getattr(config.watch, "log_dirs", ()):
        out.append(LogSpec("", str(Path(os.path.expanduser(d)) / "*.log")))
    return out


def rotations(path: Path) -> list[Path]:
    """``path``'s rotated copies beside it, oldest first: ``name.N[.gz]`` by N descending, dated names
    (``name-20260101``, ``name.2026-01-01.gz``) by date, then anything else by modification time."""
    pat = re.compile(rf"^{re.escape(path.name)}[.\-_](?P<tag>[0-9][0-9_.\-T]*?)(?:\.(?:gz|bz2|xz|zst))?$")
    found: list[tuple[tuple, Path]] = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return []
    for e in entries:
        m = pat.match(e.name)
        if not m or e.name == path.name:
            continue
        try:
            if not e.is_file(follow_symlinks=False):
                continue
            mtime = e.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        tag = m.group("tag")
        # a small number is a logrotate index (higher = older); a long one is a date (higher = newer)
        key = (0, -int(tag), 0.0) if tag.isdigit() and len(tag) < 6 else (1, 0, mtime)
        found.append((key, Path(e.path)))
    found.sort(key=lambda t: t[0])
    return [p for _, p in found][:400]


def plan(specs: list[LogSpec], component_names: list[str] | tuple[str, ...] = ()) -> list[Planned]:
    """Every file to read, per configured path oldest first (rotations, then the current file)."""
    names = sorted(component_names, key=len, reverse=True)
    out: list[Planned] = []
    seen: set[str] = set()
    for spec in specs:
        pattern = os.path.expanduser(spec.path)
        paths = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        for raw in paths:
            cur = Path(raw).absolute()
            if str(cur) in seen or cur.suffix in SUFFIXES:
                continue
            seen.add(str(cur))
            comp = spec.component or _component_for(cur.name, names)
            for p in [*rotations(cur), cur]:
                try:
                    st = p.stat()
                except OSError:
                    continue
                if not p.is_file():
                    continue
                out.append(Planned(comp, p, p == cur, codec_of(p), st.st_size, str(cur)))
    return out


def _component_for(fname: str, names: list[str]) -> str:
    low = fname.lower()
    for n in names:
        if low.startswith(n.lower()):
            return n
    return low.split(".")[0] or "logs"
