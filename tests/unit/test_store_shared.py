"""One session for a command's quick steps (``Store.shared``, analytics/store/kept.py): the file is opened
once, each step is still its own transaction seen by the next, the lock is held for the block and free
after it, a step that failed in the store makes the next open afresh, a write that finds the file busy is
still spooled, and a kept read-only session serves no write. The commands a person types open the file
once."""

from __future__ import annotations

import threading
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from analytics.patterns.learning import record_error
from analytics.store.database import Store, StoreBusy, StoreError, StoreReadOnly
from lokifi_tui.cli.main import cli


@pytest.fixture
def opens(monkeypatch) -> list[Path]:
    """Every time a session on the test's own thread opens a database file (its path)."""
    seen: list[Path] = []
    real = Store._open
    mine = threading.current_thread()

    def counted(self, *args, **kwargs):
        if threading.current_thread() is mine:
            seen.append(self.path)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "_open", counted)
    return seen


@pytest.fixture
def store(migrated, tmp_path) -> Store:
    s = migrated(tmp_path / "s.duckdb")
    s.execute("CREATE TABLE t (x INTEGER)")
    return s


def _busy_elsewhere(path: Path) -> bool:
    """Whether another thread of this process finds the file's session lock held."""
    found: list[bool] = []

    def try_read() -> None:
        try:
            with Store(path, read_timeout=0.2).read():
                found.append(False)
        except StoreBusy:
            found.append(True)

    t = threading.Thread(target=try_read)
    t.start()
    t.join()
    return found[0]


def test_the_steps_of_a_block_share_one_open_and_each_commits(store, opens):
    with store.shared():
        with store.write() as con:
            con.execute("INSERT INTO t VALUES (1)")
        store.execute("INSERT INTO t VALUES (2)")
        assert store.scalar("SELECT sum(x) FROM t") == 3  # each write committed when its own block ended
        store.append("t", pl.DataFrame({"x": [4]}))
        assert store.query("SELECT x FROM t ORDER BY x")["x"].to_list() == [1, 2, 4]
        assert _busy_elsewhere(store.path)  # the lock is held for the whole block
    assert len(opens) == 1
    assert not _busy_elsewhere(store.path)  # and let go when it ends
    assert Store(store.path).scalar("SELECT count(*) FROM t") == 3  # what the block wrote is in the file


def test_a_step_that_failed_rolls_back_and_the_next_opens_afresh(store, opens):
    with store.shared():
        with pytest.raises(StoreError), store.write() as con:
            con.execute("INSERT INTO t VALUES (1)")
            con.execute("INSERT INTO no_such_table VALUES (1)")
        assert store.scalar("SELECT count(*) FROM t") == 0  # the failed step's insert rolled back
        store.execute("INSERT INTO t VALUES (5)")
        assert store.scalar("SELECT sum(x) FROM t") == 5
    assert len(opens) == 2  # the failed step's session was closed, the next one opened the file again
    assert not _busy_elsewhere(store.path)


def test_nested_blocks_keep_the_session_until_the_outer_one_ends(store, opens):
    with store.shared():
        with store.shared():
            pass
        assert opens == [] and not _busy_elsewhere(store.path)  # a block opens nothing until a step needs it
        with store.shared():
            store.execute("INSERT INTO t VALUES (1)")
        assert _busy_elsewhere(store.path)
        store.execute("INSERT INTO t VALUES (2)")
    assert len(opens) == 1
    assert not _busy_elsewhere(store.path)


def test_a_write_that_finds_the_file_busy_is_still_spooled(store, opens):
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with Store(store.path).read():
            holding.set()
            done.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    holding.wait(10)
    quick = Store(store.path, write_timeout=0.1)
    try:
        with quick.shared():
            assert quick.submit("append", pl.DataFrame({"x": [7]}), table="t") is False  # spooled, as outside
            assert quick.spooled() == 1
            done.set()
            t.join()
            quick.flush_spool()  # the file is free again: the next steps open it, once
            assert quick.spooled() == 0 and quick.scalar("SELECT sum(x) FROM t") == 7
    finally:
        done.set()
        t.join()
    assert len(opens) == 1  # the block's, after the spooled write (which never opened the file)


def test_a_kept_read_only_session_serves_reads_and_a_write_meets_the_read_only_directory(store, opens, monkeypatch):
    """Where the lock cannot be created (a read-only directory), reads open the file read-only; a write in
    the block does not borrow that session, it is refused as outside a block."""

    def no_lock(self, deadline, timeout, read_only=False):
        if read_only:
            return None
        raise StoreReadOnly(f"{self.path}: cannot write beside the database to lock it")

    monkeypatch.setattr(Store, "_lock_session", no_lock)
    with store.shared():
        assert store.scalar("SELECT count(*) FROM t") == 0
        with pytest.raises(StoreReadOnly):
            store.execute("INSERT INTO t VALUES (1)")
        assert store.scalar("SELECT count(*) FROM t") == 0
    assert len(opens) == 1


@pytest.fixture
def recorded(migrated, tmp_path) -> Store:
    s = migrated(tmp_path / "l.duckdb")
    for _ in range(3):
        record_error(s, "connect ECONNREFUSED 10.0.0.5:5432", component="api")
    return s


SEEN = "connect ECONNREFUSED 10.0.0.9:5432"
COMMANDS = {
    "error record": ["error", "record", "connect ECONNREFUSED 10.0.0.7:5432", "-c", "api"],
    "error record new": ["error", "record", "a new kind of failure in module 7", "-c", "api"],
    "patterns list": ["patterns", "list"],
    "patterns show": ["patterns", "show", SEEN],
    "patterns mute": ["patterns", "mute", SEEN, "--for", "1h"],
    "patterns unmute": ["patterns", "unmute", SEEN],
    "fix record": ["fix", "record", SEEN, "--worked", "--solution", "systemctl start postgresql"],
    "ai autofix": ["ai", "autofix"],
    "ai predict": ["ai", "predict"],
    "ai forecast": ["ai", "forecast"],
    "baselines": ["baselines"],
}


@pytest.mark.parametrize("args", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_command_opens_the_database_once(recorded, opens, tmp_path, args):
    r = CliRunner().invoke(cli, ["--db", str(recorded.path), "--config", str(tmp_path / "none.toml"), *args])
    assert r.exit_code == 0, r.output
    assert len(opens) == 1, opens
    assert not _busy_elsewhere(recorded.path)
