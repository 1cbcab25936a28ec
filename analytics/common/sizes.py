"""Sizes as people read them: bytes in B, KB, MB, GB or TB (steps of 1024)."""

from __future__ import annotations


def human_bytes(n: float) -> str:
    """``512 B``, ``1.5 KB``, ``2.0 GB``: whole bytes below a kilobyte, one decimal above."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"
