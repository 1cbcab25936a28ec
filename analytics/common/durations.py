"""Durations as people write them: ``90`` (seconds), ``"250ms"``, ``"15s"``, ``"5m"``, ``"6h"``, ``"7d"``,
``"2w"``, also with the unit as a word (``"10 min"``, ``"4.5 days"``: as messages say them) — for the
configuration file and the command line alike; and as messages say them (:func:`spoken_seconds`:
``12 s``, ``10 min``, ``4.5 days``)."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]+)?\s*$", re.IGNORECASE)
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
#: the units as messages say them (:func:`spoken_seconds`: ``10 min``, ``4.5 days``) and people write them
_WORDS = {
    **{w: "s" for w in ("sec", "secs", "second", "seconds")},
    **{w: "m" for w in ("min", "mins", "minute", "minutes")},
    **{w: "h" for w in ("hr", "hrs", "hour", "hours")},
    **{w: "d" for w in ("day", "days")},
    **{w: "w" for w in ("week", "weeks")},
}


def parse_seconds(text: str, *, unit_required: bool = False) -> float:
    """The seconds ``text`` stands for; ValueError when it is not a duration, or has no unit where one is
    required (a command-line option whose bare number would be ambiguous)."""
    m = _DURATION.match(text)
    unit = (m.group(2) or "s").lower() if m else ""
    unit = _WORDS.get(unit, unit)
    if not m or unit not in _UNIT or (unit_required and not m.group(2)):
        raise ValueError(f"{text!r} is not a duration")
    return float(m.group(1)) * _UNIT[unit]


_SPOKEN = ((60.0, 1.0, "s"), (3600.0, 60.0, "min"), (48 * 3600.0, 3600.0, "h"), (float("inf"), 86400.0, "days"))


def spoken_seconds(seconds: float) -> str:
    """A duration in the largest unit that keeps it readable: ``45 s``, ``2.5 min``, ``1 h``, ``10 h``,
    ``4.5 days`` (one decimal below ten, none above; hours up to two days)."""
    _, size, unit = next((x for x in _SPOKEN if abs(seconds) < x[0]), _SPOKEN[-1])
    v = seconds / size
    text = f"{v:.1f}".removesuffix(".0") if abs(v) < 10 else f"{v:,.0f}"
    return f"{text} {unit}"
