"""Where things are, for a test in any folder under tests/: the repository's root, tests/ itself (where
the support modules live) and tests/data."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
DATA = TESTS / "data"
