"""Hermetic tests: every test gets its own LOKIFI_HOME (config, data, cache) and no stray LOKIFI_* env.

The test modules live in tests/unit, tests/tui and tests/integration; the support modules they share
(tui_support, loki_server, ...) live here in tests/, which pyproject.toml puts on sys.path.
The suite's own knobs (KNOBS) are kept: they configure the tests, not the product.

Run in parallel (pytest-xdist, ``-n`` in pyproject.toml), each worker gets its own session fixtures and
temporary directories. A test marked ``alone`` (it bounds wall or CPU time) runs while no other test of the
run does: see :func:`pytest_runtest_protocol`."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil

import pytest
from hypothesis import settings
from rca_support import server  # noqa: F401 - the loopback OpenAI-API server fixture, for every test that names it

# Property tests are judged by what they assert, not by how fast one example ran: Hypothesis' 200 ms
# deadline per example fails a pure function's test on a loaded 2-core machine (CI, or the suite run
# beside other work). A hung test is still stopped by pytest-timeout.
settings.register_profile("lokifi", deadline=None)
settings.load_profile("lokifi")

KNOBS = ("LOKIFI_TEST_", "LOKIFI_CONCURRENCY_SECONDS", "LOKIFI_FUZZ_EXAMPLES")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist, in the run's own process: hands each worker this process's COLUMNS (or none)."""
    node.workerinput["lokifi_columns"] = os.environ.get("COLUMNS")


def pytest_configure(config):
    """In an xdist worker: COLUMNS as the run's own process has it. Workers start with COLUMNS=80, which
    a serial run does not have; the CLI's console reads it when first imported (piped output is not cut
    to a width when COLUMNS is unset) and tables would wrap in a worker only."""
    columns = getattr(config, "workerinput", {}).get("lokifi_columns", os.environ.get("COLUMNS"))
    if columns is None:
        os.environ.pop("COLUMNS", None)
    else:
        os.environ["COLUMNS"] = columns


@contextlib.contextmanager
def _turn(item):
    """Under xdist, every test holds a shared lock on a file of the run's; a test marked ``alone`` holds it
    exclusively, so it bounds its time while the other workers wait between tests. A second lock is the
    turnstile: an ``alone`` test waiting for the exclusive lock holds it, so new tests queue behind it
    instead of starving it. Without xdist, nothing."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    run_dir = item.config._tmp_path_factory.getbasetemp().parent  # shared by the run's workers
    alone = item.get_closest_marker("alone") is not None
    with open(run_dir / "lokifi-turnstile.lock", "a") as gate, open(run_dir / "lokifi-alone.lock", "a") as room:
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(room, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:
            if not alone:
                fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(room, fcntl.LOCK_UN)
            fcntl.flock(gate, fcntl.LOCK_UN)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    with _turn(item):
        return (yield)


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


def _whole_file(path):
    """``path``, checked to hold the whole database (no WAL beside it), for the fixtures to copy."""
    assert not path.with_name(path.name + ".wal").exists()
    return path


def _copy_of(template, path):
    """A :class:`Store` on a copy of ``template`` at ``path``, the test's own to change."""
    from analytics.store.database import Store

    shutil.copy(template, path)
    return Store(path)


@pytest.fixture(scope="session")
def _empty_store_file(tmp_path_factory):
    """A database with every migration applied, made once per session: migrating a new file costs about
    half a second on a busy machine, copying this one a millisecond. Migrating a new file is tested on
    its own (tests/unit/test_store.py)."""
    from analytics.store.database import Store

    path = tmp_path_factory.mktemp("empty-store") / "empty.duckdb"
    Store(path).schema_version()
    return _whole_file(path)


@pytest.fixture
def store(tmp_path, _empty_store_file):
    """An empty store of this test's own, every migration applied (a copy of the session's)."""
    return _copy_of(_empty_store_file, tmp_path / "test.duckdb")


@pytest.fixture(scope="session")
def migrated(_empty_store_file):
    """``migrated(path, **store_args)``: ``path`` made a copy of the session's empty migrated database (as
    the ``store`` fixture's), and a :class:`Store` on it; for a test that needs several, or its own path
    (session-scoped: it holds nothing of a test's, so hypothesis tests may use it too)."""

    def make(path, **store_args):
        from analytics.store.database import Store

        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(_empty_store_file, path)
        return Store(path, **store_args)

    return make


@pytest.fixture(scope="session")
def _seeded_file(tmp_path_factory):
    """The store :func:`tui_support.seed_store` fills (recommendations, patterns, predictions, metrics at
    its ``NOW``), filled once per session (a second or so a test, on a busy machine)."""
    from tui_support import seed_store

    return _whole_file(seed_store(tmp_path_factory.mktemp("seeded") / "seed.duckdb").path)


@pytest.fixture
def seeded(tmp_path, _seeded_file):
    """A copy of the seeded database of this test's own: tests change it (dismiss, snooze, mute, ...)."""
    return _copy_of(_seeded_file, tmp_path / "seed.duckdb")
