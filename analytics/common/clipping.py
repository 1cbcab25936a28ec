"""Text cut to a length, saying so: an ellipsis where it was cut, so a cut line does not read as whole."""

from __future__ import annotations


def clipped(text: str, n: int) -> str:
    """``text`` in at most ``n`` characters, an ellipsis saying where it was cut."""
    return text if len(text) <= n else text[: n - 1] + "…"
