"""A read session opened ahead on another thread (analytics/store/ahead.py): the first read takes it
over, a write releases it first, nothing is left locked, and the executable starts it only for the read
commands, on the database the command line names."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.store import ahead as ahead_mod
from analytics.store.database import Store
from lokifi_tui.cli import entry


@pytest.fixture
def store(migrated, tmp_path: Path) -> Store:
    s = migrated(tmp_path / "a.duckdb")
    with s.write() as con:
        con.execute("CREATE TABLE t (x INTEGER)")
        con.execute("INSERT INTO t VALUES (1), (2)")
    return s


def _lock_is_free(store: Store) -> bool:
    fd = os.open(store.path.with_name(store.path.name + ".lock"), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_the_first_read_takes_over_the_session_opened_ahead(store):
    assert ahead_mod.open_ahead(store.path)
    key = str(store.path.resolve())
    early = ahead_mod._pending[key]
    early.thread.join()
    assert early.con is not None and not _lock_is_free(store)  # held, as a read session holds it
    with store.read() as con:
        assert con is early.con
        assert con.execute("SELECT sum(x) FROM t").fetchall() == [(3,)]
    assert key not in ahead_mod._pending
    assert _lock_is_free(store)
    with store.read() as con:  # the next read opens as usual
        assert con is not early.con
        assert con.execute("SELECT count(*) FROM t").fetchall() == [(2,)]


def test_a_write_first_releases_it_and_writes(store):
    assert ahead_mod.open_ahead(store.path)
    with store.write(timeout=5) as con:  # no wait on this process's own early session
        con.execute("INSERT INTO t VALUES (3)")
    with store.read() as con:
        assert con.execute("SELECT sum(x) FROM t").fetchall() == [(6,)]
    assert _lock_is_free(store)


def test_nothing_taken_over_is_released(store):
    assert ahead_mod.open_ahead(store.path)
    assert not ahead_mod.open_ahead(store.path)  # one per file
    ahead_mod.release_all()
    assert _lock_is_free(store) and not ahead_mod._pending


def test_a_missing_file_is_left_to_the_command(tmp_path):
    assert not ahead_mod.open_ahead(tmp_path / "none.duckdb")
    assert not (tmp_path / "none.duckdb").exists()


def test_a_failed_early_open_is_met_again_by_the_read(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"not a database" * 100)
    assert ahead_mod.open_ahead(bad)
    from analytics.store.database import StoreError

    with pytest.raises(StoreError, match=r"bad\.duckdb"), Store(bad).read():
        pass
    assert not ahead_mod._pending


@pytest.mark.parametrize(
    ("argv", "db", "started"),
    [
        (["recs", "list"], None, True),
        (["--db", "X.duckdb", "ai", "learn", "--json"], "X.duckdb", True),
        (["--db=Y.duckdb", "status", "--json"], "Y.duckdb", True),
        (["--config", "c.toml", "status"], None, True),
        (["recs", "apply", "abc"], None, False),  # a write
        (["recs", "list", "--help"], None, False),
        (["patterns", "scan", "f.log"], None, False),
        ([], None, False),
    ],
)
def test_the_executable_opens_ahead_only_for_read_commands(monkeypatch, tmp_path, argv, db, started):
    calls = []
    monkeypatch.setattr(ahead_mod, "open_ahead", lambda p: calls.append(p) or True)
    monkeypatch.delenv("LOKIFI_DB", raising=False)
    monkeypatch.setenv("LOKIFI_HOME", str(tmp_path))
    from analytics.config.paths import resolve_db

    assert entry.open_store_ahead(argv) is started
    assert calls == ([resolve_db(db)] if started else [])


def _lokifi(code: str, store, home, *args: str) -> subprocess.CompletedProcess:
    """``code`` (which runs the command line) in a new process on ``store``, with ``args`` after ``--db``."""
    env = {**os.environ, "NO_COLOR": "1", "LOKIFI_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-c", code, "--db", str(store.path), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_a_read_command_answers_with_it(store, tmp_path):
    out = _lokifi("from lokifi_tui.cli.entry import main; main()", store, tmp_path, "recs", "list", "--json")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("[")
    assert _lock_is_free(store)


@pytest.mark.parametrize(("args", "rc"), [(["recs", "list", "--json"], 0), (["recs", "list", "--bogus"], 2)])
def test_the_executable_ends_a_read_command_quickly_with_its_output_and_code(store, tmp_path, args, rc):
    """`run()` (the installed `lokifi`) ends a read command without the interpreter's teardown: the
    output is complete, the exit code kept, the exit handlers run and the store's lock is free."""
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('exit handlers ran', file=sys.stderr))\n"
        "from lokifi_tui.cli.entry import run; run()\n"
    )
    out = _lokifi(code, store, tmp_path, *args)
    assert out.returncode == rc, out.stderr
    assert "exit handlers ran" in out.stderr
    if rc == 0:
        assert out.stdout.strip().startswith("[") and out.stdout.strip().endswith("]")
    assert _lock_is_free(store)


@pytest.mark.parametrize(("entry_point", "torn_down"), [("run", False), ("main", True)])
def test_only_the_executable_skips_the_interpreters_teardown(store, tmp_path, entry_point, torn_down):
    """The interpreter's teardown begins by shutting its threads down, which runs the callbacks registered
    for it: after `main()` (in-process callers) it does, after `run()` (the installed `lokifi`) a read
    command ends before it. (Not an object left to be finalised: once a command has run half a second the
    start-up's objects are frozen out of the collector, and the teardown may leave such an object be.)"""
    code = (
        "import os, threading\n"
        "threading._register_atexit(lambda w=os.write: w(2, b'torn down\\n'))\n"
        f"from lokifi_tui.cli.entry import {entry_point}; {entry_point}()\n"
    )
    out = _lokifi(code, store, tmp_path, "recs", "list", "--json")
    assert out.returncode == 0, out.stderr
    assert ("torn down" in out.stderr) is torn_down, out.stderr
