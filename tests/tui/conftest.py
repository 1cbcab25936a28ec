"""tests/tui: the Textual app, driven by Pilot, compared with snapshots, run in a real tmux pane.

The fixture every Pilot test here shares: anyio runs them on asyncio. ``seeded``, the store
:func:`tui_support.seed_store` fills, is in tests/conftest.py."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend():
    return "asyncio"
