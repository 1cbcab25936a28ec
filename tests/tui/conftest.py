"""tests/tui: the Textual app, driven by Pilot, compared with snapshots, run in a real tmux pane.

The fixtures every Pilot test here shares: anyio runs them on asyncio, and ``seeded`` is the store
:func:`tui_support.seed_store` fills (recommendations, patterns, predictions, metrics at ``NOW``)."""

from __future__ import annotations

import shutil

import pytest
from tui_support import seed_store


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="session")
def _seeded_file(tmp_path_factory):
    """The seeded database, filled once per session (a second or so a test, on a busy machine)."""
    path = seed_store(tmp_path_factory.mktemp("seeded") / "seed.duckdb").path
    assert not path.with_name(path.name + ".wal").exists()  # all of it is in the one file copied below
    return path


@pytest.fixture
def seeded(tmp_path, _seeded_file):
    """A copy of the seeded database of this test's own: tests change it (dismiss, snooze, mute, ...)."""
    from analytics.store.database import Store

    path = tmp_path / "seed.duckdb"
    shutil.copy(_seeded_file, path)
    return Store(path)
