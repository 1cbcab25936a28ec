"""Hermetic tests: every test gets its own LOKIFI_HOME (config, data, cache) and no stray LOKIFI_* env.

The test modules live in tests/unit, tests/tui and tests/integration; the support modules they share
(tui_support, loki_server, ...) live here in tests/, which pyproject.toml puts on sys.path.
The suite's own knobs (KNOBS) are kept: they configure the tests, not the product."""

from __future__ import annotations

import os

import pytest
from rca_support import server  # noqa: F401 - the loopback OpenAI-API server fixture, for every test that names it

KNOBS = ("LOKIFI_TEST_", "LOKIFI_CONCURRENCY_SECONDS", "LOKIFI_FUZZ_EXAMPLES")


@pytest.fixture(scope="session", autouse=True)
def _session_home(tmp_path_factory):
    """A LOKIFI_HOME for session fixtures too (they run before the per-test home is set): building the demo
    once for a module saves its last known state under the home's cache, never under the user's."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LOKIFI_HOME", str(tmp_path_factory.mktemp("lokifi-session-home")))
        yield


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("lokifi-home")
    for key in list(os.environ):
        if (key.startswith("LOKIFI_") and not key.startswith(KNOBS)) or key in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LOKIFI_HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    yield home


@pytest.fixture
def store(tmp_path):
    from analytics.store.database import Store

    return Store(tmp_path / "test.duckdb")
