"""A WAL someone else put beside the database (a directory others can write: ``--db /tmp/x.duckdb``)
is refused before DuckDB opens it by name: DuckDB wrote its WAL into a planted hard link (the victim
file's content replaced) and would into a file another user owns and reads."""

from __future__ import annotations

import os

import pytest

from analytics.store.database import Store, StoreError


def _store_with_a_row(tmp_path):
    db = tmp_path / "db.duckdb"
    Store(db).set_kv("k", "v")
    assert not (tmp_path / "db.duckdb.wal").exists()
    return db


def test_a_hard_link_planted_as_the_wal_is_refused_and_its_file_kept(tmp_path):
    db = _store_with_a_row(tmp_path)
    victim = tmp_path / "victim"
    victim.write_text("root:secret\n")
    os.link(victim, tmp_path / "db.duckdb.wal")
    with pytest.raises(StoreError, match=r"db\.duckdb\.wal is a file with 2 hard links"):
        Store(db).set_kv("k", "w")
    assert victim.read_text() == "root:secret\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user takes root")
def test_a_wal_another_user_owns_is_refused_and_gets_no_rows(tmp_path):
    db = _store_with_a_row(tmp_path)
    theirs = tmp_path / "db.duckdb.wal"
    theirs.touch()
    os.chown(theirs, 65534, 65534)  # nobody: kept open by them, it would show every row written
    with pytest.raises(StoreError, match=r"owned by uid 65534, not by the database's owner"):
        Store(db).set_kv("secret", "hunter2")
    assert theirs.stat().st_size == 0


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_wal_that_is_no_file_is_refused_at_once(tmp_path, kind):
    db = _store_with_a_row(tmp_path)
    wal = tmp_path / "db.duckdb.wal"
    if kind == "fifo":
        os.mkfifo(wal)
    else:
        wal.mkdir()
    with pytest.raises(StoreError, match=rf"db\.duckdb\.wal is a {'FIFO' if kind == 'fifo' else 'directory'}"):
        Store(db).get_kv("k")


def test_a_hard_link_planted_as_the_collectors_lock_or_its_handover_request_is_not_written(tmp_path):
    """`lokifi collect` truncated the file under `<db>.collector.lock` (and `.want`) and wrote its pid in it:
    through a planted hard link, the victim file's content was lost (a link to nothing was refused)."""
    import threading

    from analytics.collect.writer_lock import WriterLock

    victim = tmp_path / "victim"
    victim.write_text("root:secret\n")
    db = tmp_path / "db.duckdb"
    os.link(victim, tmp_path / "db.duckdb.collector.lock")
    with pytest.raises(StoreError, match=r"collector\.lock is a file with 2 hard links"):
        WriterLock(db).acquire()
    assert victim.read_text() == "root:secret\n"
    (tmp_path / "db.duckdb.collector.lock").unlink()
    os.link(victim, tmp_path / "db.duckdb.collector.lock.want")
    with pytest.raises(StoreError, match=r"lock\.want is a file with 2 hard links"):
        WriterLock(db).wait_for_handover(threading.Event())
    assert victim.read_text() == "root:secret\n"
