"""tests/tui: the Textual app, driven by Pilot, compared with snapshots, run in a real tmux pane.

The fixtures every Pilot test here shares: anyio runs them on asyncio, and ``seeded`` is the store
:func:`tui_support.seed_store` fills (recommendations, patterns, predictions, metrics at ``NOW``)."""

from __future__ import annotations

import pytest
from tui_support import seed_store


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def seeded(tmp_path):
    return seed_store(tmp_path / "seed.duckdb")
