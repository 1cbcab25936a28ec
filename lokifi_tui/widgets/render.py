"""Small text renderers shared by the panes: sparklines, confidence bars, ages, severities.

They return ``rich.text.Text`` (never markup strings), so data can't smuggle markup in. Colours are
semantic names resolved by the theme (``$error``/``$warning``/``$success`` equivalents); under
``NO_COLOR`` Textual drops them and the glyphs alone still carry the meaning (arrows, ``!``, ``✓``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from rich.text import Text

from analytics.forecast.sparklines import one_scale
from analytics.recommend.scoring import PRIORITY_NAMES
from lokifi_tui.widgets.safe import clean

BLOCKS = "▁▂▃▄▅▆▇█"

SEVERITY_STYLE = {
    "CRITICAL": "bold red",
    "HIGH": "red",
    "MEDIUM": "yellow",
    "LOW": "green",
    "INFO": "dim",
}
TREND_ARROW = {"increasing": "↑", "decreasing": "↓", "stable": "→"}
COLOUR_STYLE = {"red": "bold red", "yellow": "yellow", "green": "green"}


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def resample(values: Sequence[float], width: int) -> list[float]:
    """Average ``values`` down (or keep them) to at most ``width`` points."""
    vals = _finite(values)
    if width <= 0 or not vals:
        return []
    if len(vals) <= width:
        return vals
    step = len(vals) / width
    out = []
    for i in range(width):
        chunk = vals[int(i * step) : max(int((i + 1) * step), int(i * step) + 1)]
        out.append(sum(chunk) / len(chunk))
    return out


def spark(values: Sequence[float], width: int, lo: float | None = None, hi: float | None = None) -> str:
    """A one-line block sparkline of ``values`` scaled to ``[lo, hi]`` (their own range by default)."""
    vals = resample(values, width)
    if not vals:
        return ""
    low = min(vals) if lo is None else lo
    high = max(vals) if hi is None else hi
    span = high - low
    chars = []
    for v in vals:
        idx = 0 if span <= 0 else int((min(max(v, low), high) - low) / span * (len(BLOCKS) - 1) + 0.5)
        chars.append(BLOCKS[idx])
    return "".join(chars)


def _cells(values: Sequence[float | None], lo: float, hi: float) -> str:
    """One block per value on ``[lo, hi]``; a value without data (``None``) a space. A range within float
    rounding of the values (whole days of a daily cycle) is flat, not rounding noise drawn full height."""
    span = hi - lo
    if span <= 1e-9 * max(abs(lo), abs(hi)):
        span = 0.0
    return "".join(
        " "
        if v is None
        else BLOCKS[0 if span <= 0 else int((min(max(v, lo), hi) - lo) / span * (len(BLOCKS) - 1) + 0.5)]
        for v in values
    )


def history_and_forecast(
    history: Sequence[float | None], forecast: Sequence[float | None], width: int, style: str = "", note: str = ""
) -> Text:
    """History then forecast on one time scale (as many hours per cell on both sides, whole buckets per cell:
    :func:`analytics.forecast.sparklines.one_scale`) and one value scale; the forecast part is dimmed/italic
    after a ``┊``, right-aligned in ``width`` so the dividers of rows line up. With no forecast path,
    ``note`` (why there is none) follows a short history, dim."""
    h, f = _finite(history), _finite(forecast)
    if not h and not f:
        return Text(note or "no data", style="dim")
    if not f and note:
        hs, _ = one_scale(history, (), 8)
        shown = _finite(hs)
        text = Text(_cells(hs, min(shown), max(shown)) + " ")
        text.append(note, style="dim")
        return text
    hs, fs = one_scale(history, forecast if f else (), width)
    shown = _finite(hs + fs)
    lo, hi = min(shown), max(shown)
    text = Text(" " * max(width - len(hs) - len(fs) - (1 if fs else 0), 0) + _cells(hs, lo, hi), style="")
    if fs:
        text.append("┊", style="dim")
        text.append(_cells(fs, lo, hi), style=style or "italic")
    return text


def confidence_bar(conf: float | None, lo: float | None, hi: float | None, width: int = 10) -> Text:
    """``███▒▒··· 62% ±18``: solid up to the lower bound, shaded across the uncertainty, dots above."""
    if conf is None:
        return Text("·" * width + "  n/a", style="dim")
    if lo is None or hi is None:  # no outcomes yet: the stored value is a prior, not a measurement
        return Text("·" * width + f" {conf * 100:3.0f}% n=0", style="dim")
    low = conf if lo is None else lo
    high = conf if hi is None else hi
    cells = []
    for i in range(width):
        centre = (i + 0.5) / width
        cells.append("█" if centre <= low else "▒" if centre <= high else "·")
    style = "green" if conf >= 0.7 else "yellow" if conf >= 0.4 else "red"
    text = Text("".join(cells), style=style)
    text.append(f" {conf * 100:3.0f}%")
    text.append(f" ±{(hi - lo) * 50:2.0f}", style="dim")
    return text


def age(when: dt.datetime | None, now: dt.datetime) -> str:
    """Compact age: ``now``, ``12m``, ``5h``, ``3d``, ``10w`` (``in 5m`` ahead). Under a minute is ``now``:
    the dashboard re-draws ages once a minute, so seconds would be stale the moment they were shown."""
    if when is None:
        return "—"
    secs = (now - when).total_seconds()
    if abs(secs) < 60:
        return "now"
    if secs < 0:
        return "in " + age(now, when)
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600)):
        if secs >= size * (2 if unit == "w" else 1):
            return f"{int(secs // size)}{unit}"
    return f"{int(secs // 60)}m"


def ago(when: dt.datetime | None, now: dt.datetime) -> str:
    """``5h ago``, ``just now``, ``in 5m`` — an age in a sentence."""
    text = age(when, now)
    return "just now" if text == "now" else text if text.startswith(("in ", "—")) else f"{text} ago"


SEVERITY_SHORT = {"CRITICAL": "CRIT", "MEDIUM": "MED"}

SHORT_NAMES = {
    "performance_degradation": "degradation",
    "slow_response": "slow response",
    "recurring_error": "recurring",
    "port_conflict": "port conflict",
    "not_found_error": "not found",
}


def short_name(name: str) -> str:
    """``connection_error`` → ``connection``; the seed's prediction types to a few words."""
    if name in SHORT_NAMES:
        return SHORT_NAMES[name]
    return name.removesuffix("_error").replace("_", " ")


def severity(level: str) -> Text:
    level = (level or "INFO").upper()
    return Text(clean(SEVERITY_SHORT.get(level, level[:4])), style=SEVERITY_STYLE.get(level, ""))


def priority(level: int | None, *, short: bool = True) -> Text:
    """A recommendation's priority in the CLI's words (``HIGH``, ``MEDIUM``, ``LOW``; ``MED`` in a narrow
    column, as a prediction's severity), never its number."""
    name = PRIORITY_NAMES.get(level or 3, "LOW")
    return severity(name) if short else Text(name, style=SEVERITY_STYLE.get(name, ""))


def percent(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:.{digits}f}%"


def number(value: float | None) -> str:
    """Human-sized numbers for table cells: 0.42, 12.3, 345, 12.3k, 4.5M."""
    if value is None or not math.isfinite(value):
        return "—"
    a = abs(value)
    if a >= 1e6:
        return f"{value / 1e6:.1f}M"
    if a >= 1e4:
        return f"{value / 1e3:.1f}k"
    if a >= 100:
        return f"{value:.0f}"
    if a >= 10:
        return f"{value:.1f}"
    if 0 < a < 0.005:  # what two decimals would show as 0.00 or -0.00: its first digit
        return f"{value:.1g}"
    return f"{value:.2f}"
