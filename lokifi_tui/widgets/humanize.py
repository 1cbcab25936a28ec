"""Stored evidence written for people: keys as words, numbers with units and sensible precision, absent
values left out (``baseline_mean_ms: 1118.157536954364`` -> ``Baseline mean: 1,118 ms``)."""

from __future__ import annotations

import math
import re
from typing import Any

#: key endings that carry a unit (the suffix is dropped from the label, the unit goes on the value)
_UNITS = (
    ("_ms", "ms"),
    ("_seconds", "s"),
    ("_s", "s"),
    ("_bytes", "B"),
    ("_mb", "MB"),
    ("_gb", "GB"),
    ("_pct", "%"),
    ("_percent", "%"),
    ("_days", "days"),
    ("_hours", "h"),
)


def label(key: str) -> str:
    k = str(key)
    for suffix, _ in _UNITS:
        if k.lower().endswith(suffix) and len(k) > len(suffix):
            k = k[: -len(suffix)]
            break
    words = k.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else str(key)


def unit_of(key: str) -> str:
    k = str(key).lower()
    if k == "bytes":
        return "B"
    return next((u for suffix, u in _UNITS if k.endswith(suffix) and len(k) > len(suffix)), "")


def number(v: float, unit: str = "") -> str:
    if not math.isfinite(v):
        return "—"
    if unit == "B" and abs(v) >= 1024:  # a size in bytes reads in the largest unit it fills
        for size_unit in ("KB", "MB", "GB", "TB"):
            v /= 1024
            if abs(v) < 1024 or size_unit == "TB":
                return number(round(v, 1), size_unit)
    if v == int(v) and abs(v) < 1e15:
        text = f"{int(v):,}"
    elif abs(v) >= 100:
        text = f"{v:,.0f}"
    elif abs(v) >= 1:
        text = f"{v:,.2f}".rstrip("0").rstrip(".")
    else:
        text = f"{v:.3g}"
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def value(v: Any, key: str = "") -> str | None:
    """The value as text; None when there is nothing to show."""
    if v is None or v == "" or v == [] or v == {}:
        return None
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        return number(float(v), unit_of(key))
    if isinstance(v, dict):
        parts = [f"{label(k)} {t}" for k, x in v.items() if (t := value(x, str(k))) is not None]
        return ", ".join(parts) or None
    if isinstance(v, (list, tuple)):
        parts = [t for x in v if (t := value(x, key)) is not None]
        if len(parts) == 2 and all(_ISO.fullmatch(str(x)) for x in v):
            return " – ".join(parts)  # a time window
        return ", ".join(parts) or None
    if isinstance(v, str) and _ISO.fullmatch(v):
        return v[:16].replace("T", " ")  # a stored timestamp, to the minute
    return str(v)


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")


def rows(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of every key that has something to show."""
    out = []
    for k, v in evidence.items():
        t = value(v, str(k))
        if t is not None:
            out.append((label(str(k)), t))
    return out
