"""A prediction's brief: the one line a table row shows beside its type and component columns.

The stored message follows the seed ("connection_error occurring frequently in redis (15 times)"); in a row that
already says "recurring · redis" it is cut before it says anything, and two recurring patterns of one
component read alike. The brief says what the columns do not: the pattern's own words and its count, the
figures behind a slow or spiky component, or the message without its component. Built from the stored
evidence; anything malformed there falls back to the message.
"""

from __future__ import annotations

import json
import math
from typing import Any

from analytics.common.clipping import clipped

EXAMPLE_SHOWN = 200  # characters of a recurring error's example in its brief


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _evidence(evidence: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    if isinstance(evidence, str):
        try:
            evidence = json.loads(evidence)
        except ValueError:
            return {}, {}
    if not isinstance(evidence, dict):
        return {}, {}
    current, baseline = evidence.get("current"), evidence.get("baseline")
    return (current if isinstance(current, dict) else {}), (baseline if isinstance(baseline, dict) else {})


def _ms(value: float) -> str:
    return f"{value:,.0f} ms"


def example_context(evidence: Any) -> list[str]:
    """The lines a recurring pattern's example came with (its DETAIL, its STATEMENT), as many as are shown."""
    from analytics.patterns.multiline import context_lines

    context = _evidence(evidence)[0].get("example_context")
    return context_lines(context) if isinstance(context, str) else []


def pattern_words(evidence: Any) -> str:
    """A recurring error's own words and count (``8× invoke-rc.d: ...``), from its evidence; "" when the
    evidence quotes no line. The example in the evidence is whole: redact it before this shortens it."""
    current = _evidence(evidence)[0]
    example = current.get("example")
    if not isinstance(example, str) or not example.strip():
        return ""
    count = _number(current.get("count"))
    from analytics.patterns.logline import shown_message  # header: stored before examples were kept without it

    # one line: the stored example is whole (a long one ends in an ellipsis here)
    example = clipped(" ".join(shown_message(example).split()), EXAMPLE_SHOWN)
    return f"{count:.0f}× {example}" if count is not None else example


def prediction_brief(kind: str, component: str, message: str, evidence: Any) -> str:
    words = pattern_words(evidence)
    if words:
        return words
    current, baseline = _evidence(evidence)
    avg, peak = _number(current.get("avg_time_ms")), _number(current.get("max_time_ms"))
    limit = _number(baseline.get("threshold_ms"))
    if kind == "slow_response" and avg is not None and limit is not None:
        return f"avg {_ms(avg)}, limit {_ms(limit)}"
    if kind == "performance_degradation" and avg and peak is not None:
        return f"max {peak / avg:.1f}× avg: {_ms(peak)} vs {_ms(avg)}"
    text = message or ""
    if component:
        for joint in (" of ", " in ", " on "):
            text = text.replace(f"{joint}{component} ", " ").replace(f"{joint}{component}", "")
    return " ".join(text.split())
