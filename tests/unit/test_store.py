"""The store: migrations, refusal of newer files, corrupt files, lock retry and the durable spool."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
import time

import duckdb
import polars as pl
import pytest

from analytics.store import database as store_mod
from analytics.store.database import Store, StoreBusy, StoreCorrupt, StoreTooNew, known_version
from analytics.store.metrics import append_events, append_metrics

T0 = dt.datetime(2026, 1, 1)


def metrics_frame(n: int, start: dt.datetime = T0, component: str = "backend") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ts": [start + dt.timedelta(minutes=i) for i in range(n)],
            "host": "h1",
            "component": component,
            "metric": "response_time_ms",
            "value": [float(i) for i in range(n)],
        }
    )


def test_fresh_database_has_every_migration(tmp_path):
    store = Store(tmp_path / "fresh.duckdb")  # a new file, not the ``store`` fixture's migrated copy
    assert store.schema_version() == known_version()
    tables = set(store.tables())
    for t in (
        "error_patterns",
        "fix_history",
        "performance_baselines",
        "predictions",
        "smart_recommendations",
        "ai_analysis_cache",
        "predictive_alerts",
        "pattern_versions",
        "metrics",
        "error_events",
    ):
        assert t in tables


def test_older_file_is_migrated_on_open(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (number INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
    first = store_mod.migrations()[0]
    con.execute(first[2].read_text())
    con.execute("INSERT INTO schema_migrations VALUES (1, 'initial', now()::TIMESTAMP)")
    con.execute("INSERT INTO kv (key, value) VALUES ('kept', 'yes')")
    con.close()
    store_mod._migrated.clear()
    s = Store(path)
    assert s.get_kv("kept") == "yes"
    assert s.schema_version() == known_version()
    applied = s.query("SELECT number FROM schema_migrations ORDER BY 1")["number"].to_list()
    assert applied == [n for n, _, _ in store_mod.migrations()]


def test_newer_file_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "new.duckdb"
    Store(path).schema_version()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations (number, name) VALUES (999, 'from_the_future')")
    con.close()
    store_mod._migrated.clear()
    with pytest.raises(StoreTooNew, match="newer than this Lokifi knows"):
        Store(path).schema_version()


def test_corrupt_file_is_reported_not_overwritten(tmp_path):
    path = tmp_path / "junk.duckdb"
    path.write_bytes(b"\x00not a database\xff" * 300)
    before = path.read_bytes()
    with pytest.raises(StoreCorrupt, match="not a readable Lokifi database"):
        Store(path).query("SELECT 1")
    assert path.read_bytes() == before


def test_metrics_are_deduplicated_and_rolled_up(store):
    append_metrics(store, metrics_frame(180))
    append_metrics(store, metrics_frame(180))  # the same rows again
    append_metrics(store, metrics_frame(120, T0 + dt.timedelta(minutes=120)))  # half overlapping
    assert store.scalar("SELECT count(*) FROM metrics") == 240
    roll = store.query("SELECT hour, n, sum, min, max FROM metrics_hourly ORDER BY hour")
    assert roll["n"].to_list() == [60, 60, 60, 60]
    assert roll["sum"][0] == sum(range(60))
    assert roll["max"][3] == 119.0  # the new rows (values 60..119) of the overlapping batch


def test_events_are_deduplicated(store):
    ev = pl.DataFrame({"ts": [T0, T0], "host": "h", "component": "redis", "message": ["Connection refused", "other"]})
    append_events(store, ev)
    append_events(store, ev)
    assert store.scalar("SELECT count(*) FROM error_events") == 2


HOLDER = textwrap.dedent(
    """
    import duckdb, sys, time
    con = duckdb.connect(sys.argv[1])
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
    """
)


def _hold(path, seconds):
    p = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "holding"
    return p


@pytest.mark.slow
def test_a_briefly_locked_file_is_waited_for(tmp_path):
    s = Store(tmp_path / "db.duckdb")
    s.schema_version()
    holder = _hold(s.path, 0.5)
    t = time.monotonic()
    append_metrics(s, metrics_frame(10))
    assert time.monotonic() - t >= 0.3
    holder.wait()
    assert s.scalar("SELECT count(*) FROM metrics") == 10
    assert s.spooled() == 0


@pytest.mark.slow
def test_a_long_lock_spools_and_the_next_writer_applies_it_once(tmp_path):
    s = Store(tmp_path / "db.duckdb", write_timeout=0.3, read_timeout=0.3)
    s.schema_version()
    holder = _hold(s.path, 3)
    assert append_metrics(s, metrics_frame(50)) is False  # spooled, not lost
    s.execute_named("kv.set", ["when", dt.datetime(2026, 5, 1, 12, 0)])  # spooled by name, never as SQL
    assert s.spooled() == 2
    with pytest.raises(StoreBusy, match="busy"):
        s.execute("INSERT INTO kv (key, value) VALUES ('raw', 'sql')")  # SQL text waits or fails; never spooled
    assert s.spooled() == 2
    with pytest.raises(StoreBusy, match="busy"):
        s.query("SELECT 1")
    holder.wait()
    s2 = Store(s.path)
    append_metrics(s2, metrics_frame(5, T0 + dt.timedelta(days=1)))  # any write drains the spool first
    assert s2.spooled() == 0
    assert s2.scalar("SELECT count(*) FROM metrics") == 55
    assert s2.get_kv("when") == "2026-05-01 12:00:00"


@pytest.mark.slow
def test_a_spooled_batch_is_never_applied_twice(tmp_path):
    """A crash after commit but before the spool file is removed must not duplicate rows."""
    s = Store(tmp_path / "db.duckdb", write_timeout=0.2)
    s.schema_version()
    holder = _hold(s.path, 1.5)
    s.append("kv", pl.DataFrame({"key": ["a"], "value": ["1"]}))
    holder.wait()
    spool = store_mod.spool_dir(s.path)
    saved = {p.name: p.read_bytes() for p in spool.iterdir()}
    s.flush_spool()
    for name, data in saved.items():  # the "crash": the files come back
        (spool / name).write_bytes(data)
    assert s.flush_spool() == 1  # seen, recognised as applied, removed
    assert s.scalar("SELECT count(*) FROM kv WHERE key = 'a'") == 1
    assert not any(spool.iterdir())


def test_a_damaged_spool_manifest_is_set_aside(tmp_path):
    s = Store(tmp_path / "db.duckdb")
    s.schema_version()
    spool = store_mod.spool_dir(s.path)
    spool.mkdir()
    (spool / "0001-bad.json").write_text("{not json")
    s.flush_spool()
    assert (spool / "0001-bad.bad").exists()
    assert json.loads("1") == 1


def test_retention_prunes_only_old_raw_rows(store):
    from analytics.config.settings import Config, Retention
    from analytics.store.retention import apply_retention, prune

    now = T0 + dt.timedelta(days=100)
    append_metrics(store, metrics_frame(10, T0))  # 100 days old
    append_metrics(store, metrics_frame(10, now - dt.timedelta(days=1)))  # fresh
    dry = prune(store, metrics_days=90, events_days=180, predictions_days=365, now=now, dry_run=True)
    assert dry.metrics == 10 and store.scalar("SELECT count(*) FROM metrics") == 20
    r = apply_retention(store, Config(retention=Retention(metrics_days=90)), now=now)
    assert r.metrics == 10
    assert store.scalar("SELECT count(*) FROM metrics") == 10
    assert store.scalar("SELECT count(*) FROM metrics_hourly") == 2  # the rollup keeps the summary


@pytest.mark.slow
def test_the_busy_message_says_how_long_the_wait_lasted(tmp_path):
    """Lokifi's lock held for a while, then the file by another process: the message says how long the
    whole wait lasted, not the time left after the lock was taken (it said 0s after 15 s)."""
    import fcntl
    import threading

    s = Store(tmp_path / "db.duckdb", read_timeout=2.4)
    s.schema_version()
    holder = _hold(s.path, 5)
    lock = open(s.path.with_name("db.duckdb.lock"), "w")  # released by the timer below
    fcntl.flock(lock, fcntl.LOCK_EX)  # Lokifi's own lock, held for the first 1.8 s of the wait
    threading.Timer(1.8, lock.close).start()
    # the whole wait (2.4 s, more on a loaded machine), not the 0.6 s left after the lock (the old message)
    with pytest.raises(StoreBusy, match=r"busy for [2-9]s"):
        s.query("SELECT 1")
    holder.wait()
