"""A database another user could read or swap is not opened (analytics.store.trusted). Before, a
database another user had made at the chosen path was written into (root's log lines, readable by them;
only `db info` and `status` warned), and in a directory others can write the check for a planted WAL and
DuckDB's open were two steps, with time between them to plant one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from analytics.store import trusted
from analytics.store.database import Store, StoreError

NOBODY = 65534
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="files of another user need root to make")


def _kernel(tmp_path, level: int):
    d = tmp_path / f"sysctl{level}"
    d.mkdir()
    for name in ("protected_symlinks", "protected_regular", "protected_fifos", "protected_hardlinks"):
        (d / name).write_text(f"{level}\n")
    return d


@pytest.fixture
def db(migrated, tmp_path):
    d = tmp_path / "data"
    d.mkdir(mode=0o700)
    migrated(d / "l.duckdb").set_kv("kept", "yes")
    return d / "l.duckdb"


@as_root
def test_a_database_another_user_owns_is_neither_written_nor_read(db):
    os.chown(db, NOBODY, NOBODY)
    before = db.read_bytes()
    for use in (lambda s: s.set_kv("k", "secret"), lambda s: s.get_kv("kept")):
        with pytest.raises(StoreError) as refused:
            use(Store(db))
        said = str(refused.value)
        assert said.startswith(f"{db}: the database belongs to uid {NOBODY}")
        assert "`chown` it to you" in said and "--db or LOKIFI_DB" in said
    assert db.read_bytes() == before


@pytest.mark.parametrize("mode", [0o777, 0o773, 0o757])
def test_a_directory_others_can_write_is_refused_with_the_chmod_that_ends_it(db, mode):
    os.chmod(db.parent, mode)
    with pytest.raises(StoreError) as refused:
        Store(db).set_kv("k", "v")
    said = str(refused.value)
    assert said.startswith(f"{db.parent}: the database's directory can be written by every local user")
    assert f"(mode {mode:04o})" in said and f"`chmod go-w {db.parent}`" in said
    os.chmod(db.parent, mode & ~0o022)
    assert Store(db).get_kv("kept") == "yes"


@as_root
def test_a_directory_another_group_can_write_is_refused_and_its_owners_own_group_is_not(db):
    os.chmod(db.parent, 0o770)  # noqa: S103 - the directory under test
    os.chown(db.parent, 0, NOBODY)  # nogroup: not root's own
    with pytest.raises(StoreError, match="can be written by its group"):
        Store(db).get_kv("kept")
    os.chown(db.parent, 0, 0)  # root's own group, of its name and no other member
    assert Store(db).get_kv("kept") == "yes"


@as_root
def test_a_directory_another_user_owns_is_refused_and_so_is_one_above(db, tmp_path):
    os.chown(db.parent, NOBODY, NOBODY)
    with pytest.raises(StoreError, match=rf"^{db.parent}: the database's directory belongs to uid {NOBODY}"):
        Store(db).get_kv("kept")
    os.chown(db.parent, 0, 0)
    os.chmod(tmp_path, 0o777)  # noqa: S103 - the directory under test
    with pytest.raises(StoreError, match=rf"^{tmp_path}: {tmp_path}, above the database's directory, can be"):
        Store(db).get_kv("kept")
    os.chmod(tmp_path, 0o1777)  # noqa: S103 - sticky: nobody renames what is ours in it
    assert Store(db).get_kv("kept") == "yes"


def test_a_sticky_directory_holds_a_database_only_where_the_kernel_guards_it(db, tmp_path, monkeypatch):
    os.chmod(db.parent, 0o1777)  # noqa: S103 - the directory under test
    monkeypatch.setattr(trusted, "_SYSCTL", _kernel(tmp_path, 0))
    with pytest.raises(StoreError, match="is sticky but can be written by every local user"):
        Store(db).get_kv("kept")
    monkeypatch.setattr(trusted, "_SYSCTL", _kernel(tmp_path, 1))
    assert Store(db).get_kv("kept") == "yes"


def test_a_database_made_through_a_link_is_checked_where_the_link_leads(db, tmp_path):
    elsewhere = tmp_path / "open"
    elsewhere.mkdir()
    os.chmod(elsewhere, 0o777)  # noqa: S103 - the directory under test
    shutil.move(db, elsewhere / "l.duckdb")
    db.symlink_to(elsewhere / "l.duckdb")
    with pytest.raises(StoreError, match=rf"^{elsewhere}: the database's directory can be written"):
        Store(db).get_kv("kept")


def test_the_command_line_says_what_where_and_how_to_fix_it(db):
    os.chmod(db.parent, 0o777)  # noqa: S103 - the directory under test
    r = subprocess.run(
        [sys.executable, "-m", "lokifi_tui.cli.main", "--db", str(db), "error", "record", "boom", "-c", "x"],
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert f"{db.parent}: the database's directory can be written by every local user (mode 0777)" in r.stderr
    assert f"`chmod go-w {db.parent}`" in r.stderr
