"""Numbers and sizes from ``LOKIFI_*`` environment variables, read once where a module needs them.

A value that is not what the variable takes (``LOKIFI_LOCK_TIMEOUT=abc``, ``LOKIFI_MAX_SERIES_BYTES=-1``)
is said once on stderr — the variable, its value, what it must be and the default used instead — and the
default is used: a typo in the environment never ends a command, nor starts one with a traceback.
Standard library only (read at import by modules every command loads).
"""

from __future__ import annotations

import math
import os
import re
import sys

_said: set[str] = set()

#: DuckDB's memory_limit forms: a number and a unit (``512MB``, ``1.5 GiB``)
_MEMORY = re.compile(r"(?i)\d+(?:\.\d+)?\s*(?:[KMGT]i?B|B|bytes?)")


def _fallback(name: str, raw: str, want: str, default: object) -> None:
    if name in _said:
        return
    _said.add(name)
    try:
        sys.stderr.write(f"lokifi: {name}={raw!r} is not {want}; using {default}\n")
    except (OSError, ValueError):  # no stderr to say it on: the default is used all the same
        pass


def env_seconds(name: str, default: float, *, allow_zero: bool = False) -> float:
    """A number of seconds from ``name``: finite and above 0 (or 0 too with ``allow_zero``)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if math.isfinite(value) and (value > 0 or (allow_zero and value == 0)):
        return value
    _fallback(name, raw, "a number of seconds " + ("of 0 or more" if allow_zero else "above 0"), default)
    return default


def env_bytes(name: str, default: int) -> int:
    """A whole number of bytes from ``name``, at least 1."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value >= 1:
        return value
    _fallback(name, raw, "a whole number of bytes of 1 or more", default)
    return default


def env_memory(name: str, default: str) -> str:
    """A memory size for DuckDB from ``name`` (a number and a unit: ``512MB``, ``2GB``, ``1.5GiB``)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    if _MEMORY.fullmatch(raw.strip()):
        return raw.strip()
    _fallback(name, raw, "a memory size such as 512MB or 2GB", default)
    return default
