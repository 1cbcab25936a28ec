"""What the store creates is its user's alone, whatever the umask; an existing database keeps its mode.

Run under umask 022, where everything used to come out world-readable: the data directory, the
database, its WAL, DuckDB's spill directory, the locks, the demo's database, the collector's lock —
each checked on the real file, in this process and in a real ``lokifi`` process.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from analytics.collect.writer_lock import WriterLock
from analytics.store.database import Store, StoreError
from analytics.store.private import exposure, session_umask


def mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


@pytest.fixture(autouse=True)
def umask_022():
    old = os.umask(0o022)
    yield
    assert os.umask(old) == 0o022  # every session put the umask back


def _wal_during_a_write(s: Store) -> int:
    with s._session(5) as con:
        con.execute("INSERT INTO kv (key, value) VALUES ('wal', 'now')")  # committed: the WAL holds it
        return mode(s.path.with_name(s.path.name + ".wal"))


def test_a_new_store_is_private_directories_database_wal_and_lock(tmp_path):
    s = Store(tmp_path / "data" / "lokifi" / "lokifi.duckdb")
    s.set_kv("k", "a line with a password")
    assert [mode(d) for d in (tmp_path / "data", tmp_path / "data" / "lokifi")] == [0o700, 0o700]
    assert mode(s.path) == 0o600
    assert mode(s.path.with_name("lokifi.duckdb.lock")) == 0o600
    assert _wal_during_a_write(s) == 0o600


@pytest.mark.slow
def test_duckdbs_spill_directory_is_private(tmp_path):
    s = Store(tmp_path / "db.duckdb")
    with s._session(5) as con:
        con.execute("SET memory_limit = '64MB'")
        con.execute("SET preserve_insertion_order = false")
        con.execute("CREATE TABLE big AS SELECT range AS i, md5(range::VARCHAR) AS h FROM range(1500000)")
        con.execute("SELECT h, i FROM big ORDER BY h").fetchall()
        spill = tmp_path / "db.duckdb.tmp"
        assert spill.is_dir() and mode(spill) == 0o700
        assert all(mode(p) == 0o600 for p in spill.iterdir())


@pytest.mark.parametrize("given", [0o644, 0o640, 0o600])
def test_an_existing_database_keeps_its_mode_and_what_is_made_beside_it_follows(tmp_path, given):
    s = Store(tmp_path / "db.duckdb")
    s.schema_version()
    os.chmod(s.path, given)
    s.path.with_name("db.duckdb.lock").unlink()
    s.set_kv("k", "v")
    assert mode(s.path) == given
    assert mode(s.path.with_name("db.duckdb.lock")) == given
    assert _wal_during_a_write(s) == given


def test_the_umask_is_shared_by_concurrent_sessions_and_put_back_by_the_last(tmp_path):
    a, b = Store(tmp_path / "a.duckdb"), Store(tmp_path / "b.duckdb")
    a.schema_version()
    b.schema_version()
    os.chmod(b.path, 0o644)
    inside, go = threading.Event(), threading.Event()

    def hold():
        with session_umask(b.path):  # the 0644 database's session: umask 022 ...
            inside.set()
            go.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    inside.wait(10)
    with session_umask(a.path):  # ... a 0600 one's beside it: never less private than either asks
        assert os.umask(0o077) == 0o077
        os.umask(0o077)
    assert os.umask(0o022) == 0o077  # the other session still runs: what it set stays
    os.umask(0o077)
    go.set()
    t.join()
    assert os.umask(0o022) == 0o022


def test_the_demo_database_is_private(tmp_path):
    from analytics.demo.data import build_demo

    db = tmp_path / "new" / "demo" / "demo.duckdb"
    build_demo(db, files=False, engines=False)
    assert mode(tmp_path / "new") == 0o700 and mode(db.parent) == 0o700 and mode(db) == 0o600


def test_the_collectors_lock_and_its_directory_are_private(tmp_path):
    db = tmp_path / "fresh" / "db.duckdb"
    lk = WriterLock(db)
    assert lk.acquire()
    try:
        assert mode(db.parent) == 0o700 and mode(lk.path) == 0o600
    finally:
        lk.release()


def test_links_planted_beside_the_database_are_never_followed(tmp_path):
    """A root collector truncated and wrote its pid into whatever `<db>.collector.lock` pointed to."""
    victim = tmp_path / "shadow"
    victim.write_text("root:secret\n")
    db = tmp_path / "db.duckdb"
    for name in ("db.duckdb.lock", "db.duckdb.collector.lock", "db.duckdb.collector.lock.want"):
        (tmp_path / name).symlink_to(victim)
    with pytest.raises(StoreError, match="is a symbolic link; Lokifi does not follow links"):
        Store(db).set_kv("k", "v")
    with pytest.raises(StoreError, match=r"collector\.lock is a symbolic link; Lokifi does not follow links"):
        WriterLock(db).acquire()
    (tmp_path / "db.duckdb.collector.lock").unlink()
    lk = WriterLock(db)
    assert lk.wait_for_handover(threading.Event())  # asks by writing its pid: not through the planted link
    lk.release()
    assert victim.read_text() == "root:secret\n"


def test_a_planted_wal_or_a_link_to_nothing_is_refused_a_link_to_a_database_is_not(tmp_path):
    """DuckDB would replay or write a WAL that is a link, and create a database where a dangling link
    points; a link to an existing database (the user's own layout) still opens."""
    victim = tmp_path / "shadow"
    victim.write_text("root:secret\n")
    db = tmp_path / "db.duckdb"
    Store(db).set_kv("k", "v")
    wal = tmp_path / "db.duckdb.wal"
    wal.unlink(missing_ok=True)
    wal.symlink_to(victim)
    with pytest.raises(StoreError, match=r"db\.duckdb\.wal is a symbolic link"):
        Store(db).set_kv("k", "w")
    with pytest.raises(StoreError, match=r"db\.duckdb\.wal is a symbolic link"):
        Store(db).get_kv("k")
    assert victim.read_text() == "root:secret\n"
    wal.unlink()
    dangling = tmp_path / "planted.duckdb"
    dangling.symlink_to(tmp_path / "etc-cron.d-job")
    with pytest.raises(StoreError, match="which does not exist"):
        Store(dangling).set_kv("k", "v")
    assert not (tmp_path / "etc-cron.d-job").exists()
    mine = tmp_path / "mine.duckdb"
    mine.symlink_to(db)
    assert Store(mine).get_kv("k") == "v"


def test_exposure_names_a_world_readable_database_and_a_directory_others_write(tmp_path):
    import shutil
    import tempfile

    top = Path(tempfile.mkdtemp(prefix="lokifi-reach-"))  # under /tmp: others can get there (tmp_path's parents: no)
    try:
        os.chmod(top, 0o755)  # noqa: S103 - a directory others can search, as a home often is
        s = Store(top / "db.duckdb")
        s.set_kv("k", "v")
        assert exposure(s.path) == []
        os.chmod(s.path, 0o644)
        os.chmod(top, 0o1777)  # noqa: S103 - the shared directory under test
        try:
            found = exposure(s.path)
        finally:
            os.chmod(top, 0o755)  # noqa: S103
        assert found[0].startswith(f"{s.path}: the database is readable by every local user (mode 0644)")
        assert f"`chmod o-rw {s.path}`" in found[0]
        assert found[1].startswith(f"{top}: the database's directory can be written by every local user")
        os.chmod(top, 0o700)  # a private home: a 0644 database in it is out of others' reach
        assert exposure(s.path) == []
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_a_real_command_makes_the_default_data_directory_and_database_private(tmp_path):
    import shutil
    import tempfile

    top = Path(tempfile.mkdtemp(prefix="lokifi-home-"))  # under /tmp: others can get there (tmp_path's parents: no)
    os.chmod(top, 0o755)  # noqa: S103 - a directory others can search, as a home often is
    try:
        _private_data_directory(top / "home")
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _private_data_directory(home: Path) -> None:
    env = {**os.environ, "LOKIFI_HOME": str(home)}
    r = subprocess.run(
        [sys.executable, "-c", "import os; os.umask(0o022); from lokifi_tui.cli.main import cli; cli()", "error"]
        + ["record", "password=hunter2 rejected", "-c", "db"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    db = home / "data" / "lokifi.duckdb"
    assert mode(home) == 0o700 and mode(home / "data") == 0o700
    assert mode(db) == 0o600 and mode(db.with_name("lokifi.duckdb.lock")) == 0o600
    os.chmod(db, 0o644)  # as an older Lokifi made it: kept; out of others' reach in the 0700 directory
    info = subprocess.run(
        [sys.executable, "-m", "lokifi_tui.cli.main", "db", "info"], capture_output=True, text=True, env=env
    )
    assert "readable by every local user" not in info.stdout
    for d in (home, home / "data"):
        os.chmod(d, 0o755)  # noqa: S103 - ... and as an older Lokifi made its directories: named
    info = subprocess.run(
        [sys.executable, "-m", "lokifi_tui.cli.main", "db", "info"], capture_output=True, text=True, env=env
    )
    assert "the database is readable by every local user (mode 0644)" in " ".join(info.stdout.split())
    assert mode(db) == 0o644
