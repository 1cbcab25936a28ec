"""Locate the Textual stylesheets, installed (``lokifi_tui/styles``) or in a checkout (``styles/``)."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def styles_dir() -> Path:
    for candidate in (_PKG / "styles", _PKG.parent / "styles"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"Lokifi's styles folder is missing (looked in {_PKG / 'styles'}); reinstall the package")


def stylesheets() -> list[Path]:
    """All .tcss files, in a stable order."""
    return sorted(styles_dir().glob("*.tcss"))
