"""The systemd journal as a source of error events, read through `journalctl -o json`.

This machine has no journal, so the tests put a stand-in `journalctl` first on PATH: a small program that
answers the options Lokifi uses (`-o json`, `--priority`, `-n`, `--after-cursor`, `--since=@EPOCH`,
`--until=@EPOCH`) from
a file of entries, as journalctl prints them (binary fields as byte lists, cursors opaque)."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import sys

import pytest

from analytics.collect.backfill import backfill
from analytics.config.settings import load_config
from analytics.sources.journal import JournalSource, read

FAKE = r"""#!{python}
import json, os, sys
args = sys.argv[1:]
if os.environ.get("FAKE_JOURNAL_FAIL"):
    print("Failed to open journal: Permission denied", file=sys.stderr); sys.exit(1)
if os.environ.get("FAKE_JOURNAL_PIDS"):
    with open(os.environ["FAKE_JOURNAL_PIDS"], "a") as f: f.write(f"{os.getpid()}\n")
if os.environ.get("FAKE_JOURNAL_SLEEP"):  # a journal big enough that reading it takes this long
    import time; time.sleep(float(os.environ["FAKE_JOURNAL_SLEEP"]))
rows = [json.loads(l) for l in open(os.environ["FAKE_JOURNAL"]) if l.strip()]
prio = 7; limit = None; after = None; since = None; until = None
for i, a in enumerate(args):
    if a.startswith("--priority="): prio = int(a.split("=")[1])
    if a == "-n": limit = int(args[i + 1])
    if a == "--after-cursor": after = args[i + 1]
    if a.startswith("--since=@"): since = int(a.split("@")[1]) * 1000000
    if a.startswith("--until=@"): until = int(a.split("@")[1]) * 1000000
out = [r for r in rows if int(r.get("PRIORITY", 6)) <= prio]
if after is not None:
    idx = [r["__CURSOR"] for r in out].index(after) if after in [r["__CURSOR"] for r in out] else -1
    out = out[idx + 1:]
elif since is not None:
    out = [r for r in out if int(r["__REALTIME_TIMESTAMP"]) >= since]
if until is not None:
    out = [r for r in out if int(r["__REALTIME_TIMESTAMP"]) <= until]
if limit is not None and after is None and since is None:
    out = out[-limit:]
elif limit is not None:
    out = out[:limit]
for r in out:
    print(json.dumps(r))
"""


def entry(i: int, t: dt.datetime, unit: str, msg, prio: int = 3) -> dict:
    return {
        "__CURSOR": f"s=abc;i={i:x}",
        "__REALTIME_TIMESTAMP": str(int(t.replace(tzinfo=dt.UTC).timestamp() * 1e6)),
        "PRIORITY": str(prio),
        "_SYSTEMD_UNIT": unit,
        "MESSAGE": msg,
    }


@pytest.fixture
def journal(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "journalctl"
    exe.write_text(FAKE.replace("{python}", sys.executable))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    data = tmp_path / "journal.jsonl"
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_JOURNAL", str(data))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    rows = [
        entry(1, now - dt.timedelta(days=9), "nginx.service", "too old"),
        entry(2, now - dt.timedelta(days=2), "nginx.service", "upstream timed out (110: Connection timed out)"),
        entry(3, now - dt.timedelta(days=1), "nginx.service", "started", prio=6),
        entry(
            4,
            now - dt.timedelta(hours=5),
            "postgresql@15-main.service",
            list(b'FATAL:  password authentication failed for user "app"'),
        ),
        entry(5, now - dt.timedelta(hours=1), "nginx.service", "upstream timed out (110: Connection timed out)"),
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return data, now


@pytest.mark.slow
def test_journal_backfill_then_live_reads_each_entry_once(migrated, journal, tmp_path, _isolated_home):
    data, now = journal
    cfgfile = _isolated_home / "config" / "lokifi.toml"
    cfgfile.parent.mkdir(parents=True, exist_ok=True)
    cfgfile.write_text("[watch]\njournal = true\n")
    cfg = load_config(cfgfile)
    store = migrated(tmp_path / "j.duckdb")
    rep = backfill(store, cfg, days=7)
    assert not rep.problems and rep.events == 3
    rows = store.query("SELECT component, message, level FROM error_events ORDER BY ts")
    assert rows["component"].to_list() == ["nginx", "postgresql@15-main", "nginx"]
    assert rows["message"][1].startswith("FATAL:  password authentication failed")
    assert backfill(store, cfg, days=7).events == 0  # the cursor: never twice
    with open(data, "a") as f:
        f.write(
            json.dumps(entry(6, now, "redis-server.service", "Can't save in background: fork: Cannot allocate memory"))
            + "\n"
        )
    from analytics.collect.loop import collect_once

    collect_once(store, cfg)
    assert store.scalar("SELECT count(*) FROM error_events") == 4
    collect_once(store, cfg)
    assert store.scalar("SELECT count(*) FROM error_events") == 4
    assert (
        store.scalar("SELECT component FROM error_events WHERE source = 'journal' ORDER BY ts DESC LIMIT 1")
        == "redis-server"
    )


def test_live_without_backfill_starts_now(journal):
    data, now = journal
    src = JournalSource("h")
    src.start({})
    assert not any(b.events for b in src.poll(now))
    with open(data, "a") as f:
        f.write(json.dumps(entry(7, now + dt.timedelta(seconds=30), "app.service", "boom")) + "\n")
    (b,) = src.poll(now + dt.timedelta(minutes=1))
    assert [e["message"] for e in b.events] == ["boom"] and b.checkpoints["cursor"] == "s=abc;i=7"


def test_journalctl_failure_is_a_clear_problem(migrated, journal, monkeypatch, tmp_path, _isolated_home):
    monkeypatch.setenv("FAKE_JOURNAL_FAIL", "1")
    cfgfile = _isolated_home / "config" / "lokifi.toml"
    cfgfile.parent.mkdir(parents=True, exist_ok=True)
    cfgfile.write_text("[watch]\njournal = true\n")
    rep = backfill(migrated(tmp_path / "f.duckdb"), load_config(cfgfile), days=7)
    assert rep.problems == ["journal: journalctl exited 1: Failed to open journal: Permission denied"]
    with pytest.raises(Exception, match="exited 1"):
        read(None, None)


def _journal_store(migrated, tmp_path, home):
    cfgfile = home / "config" / "lokifi.toml"
    cfgfile.parent.mkdir(parents=True, exist_ok=True)
    cfgfile.write_text("[watch]\njournal = true\n")
    return migrated(tmp_path / "w.duckdb"), load_config(cfgfile)


def _messages(store):
    return store.query("SELECT message FROM error_events ORDER BY ts")["message"].to_list()


@pytest.mark.parametrize("batch", [20000, 1])
def test_a_larger_days_reads_the_older_part_once(migrated, journal, tmp_path, _isolated_home, monkeypatch, batch):
    import analytics.sources.journal as J

    monkeypatch.setattr(J, "MAX_ENTRIES", batch)  # 1: every read goes on from a cursor, batch after batch
    data, now = journal
    store, cfg = _journal_store(migrated, tmp_path, _isolated_home)
    assert backfill(store, cfg, days=0.5, now=now).events == 2  # the last 5 hours
    assert backfill(store, cfg, days=7, now=now).events == 1  # 2 days ago, not read before
    assert backfill(store, cfg, days=7, now=now).events == 0
    assert backfill(store, cfg, days=0, now=now).events == 1  # all the journal holds
    assert backfill(store, cfg, days=0, now=now).events == 0
    assert _messages(store)[0] == "too old" and len(_messages(store)) == 4


def test_backfill_after_the_collector_reads_what_came_before_it(migrated, journal, tmp_path, _isolated_home):
    from analytics.collect.loop import collect_once

    data, now = journal
    store, cfg = _journal_store(migrated, tmp_path, _isolated_home)
    collect_once(store, cfg)  # the collector's first poll: it reads from now on, and says so
    assert store.scalar("SELECT count(*) FROM error_events") == 0
    assert backfill(store, cfg, days=7).events == 3
    with open(data, "a") as f:
        f.write(json.dumps(entry(8, dt.datetime.now(dt.UTC).replace(tzinfo=None), "app.service", "late")) + "\n")
    collect_once(store, cfg)
    assert _messages(store)[-1] == "late" and len(_messages(store)) == 4  # nothing twice


def test_with_a_collector_running_backfill_leaves_new_entries_to_it(migrated, journal, tmp_path, _isolated_home):
    from analytics.sources.journal import backfill_journal

    data, now = journal
    store, _cfg = _journal_store(migrated, tmp_path, _isolated_home)
    assert backfill_journal(store, "h", now - dt.timedelta(days=0.5)) == (2, None)
    with open(data, "a") as f:
        f.write(json.dumps(entry(9, now + dt.timedelta(seconds=1), "app.service", "new")) + "\n")
    assert backfill_journal(store, "h", now - dt.timedelta(days=7), forward=False) == (1, None)
    assert "new" not in _messages(store)


def test_backfill_before_the_collector_stored_its_start_says_to_run_again(migrated, journal, tmp_path, _isolated_home):
    from analytics.sources.journal import backfill_journal

    data, now = journal
    store, _cfg = _journal_store(migrated, tmp_path, _isolated_home)
    n, problem = backfill_journal(store, "h", now - dt.timedelta(days=7), forward=False)
    assert n == 0 and "run `lokifi backfill` again" in (problem or "")


def test_the_journal_a_reload_turns_on_has_its_last_days_read_then_is_followed(migrated, journal, tmp_path):
    """As a log a reload adds (tests/unit/test_collect_added_logs.py): the journal's last 7 days are read
    once, then it is followed from the cursor after them, nothing read twice."""
    import threading
    import time

    from analytics.collect.loop import Collector

    data, now = journal
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text("[collect]\ntail_seconds = 0.1\n")
    reload = threading.Event()
    store = migrated(tmp_path / "r.duckdb")
    col = Collector(store, load_config(cfg), config_file=cfg, reload=reload, hooks=())

    def steps(until) -> None:
        end = time.monotonic() + 30
        while time.monotonic() < end and not until():
            col.step(force=True)
            time.sleep(0.05)
        assert until(), _messages(store)

    col.open()
    try:
        col.step(force=True)
        cfg.write_text("[collect]\ntail_seconds = 0.1\n[watch]\njournal = true\n")
        reload.set()
        steps(lambda: any(s.kind == "journal" for s in col.sources))
        steps(lambda: len(_messages(store)) >= 3)
        with open(data, "a") as f:
            f.write(json.dumps(entry(10, now + dt.timedelta(seconds=1), "app.service", "after")) + "\n")
        steps(lambda: "after" in _messages(store))
        col.step(force=True)
        col.flush()
    finally:
        col.close()
    assert _messages(store) == [
        "upstream timed out (110: Connection timed out)",
        'FATAL:  password authentication failed for user "app"',
        "upstream timed out (110: Connection timed out)",
        "after",
    ]


@pytest.mark.alone
@pytest.mark.slow
def test_a_stop_ends_the_reading_of_the_journals_history_at_once(migrated, journal, tmp_path, monkeypatch):
    """The journal a reload turns on is being read (journalctl slow on a large journal): stopping the
    collector (what SIGTERM does) kills journalctl and ends the reading at once, as it ends an added log's;
    nothing half read is stored, and the journal is read from its start next time (`lokifi backfill`)."""
    import threading
    import time

    from analytics.collect.loop import Collector
    from analytics.store.metrics import read_checkpoint

    pids = tmp_path / "journalctl.pids"
    monkeypatch.setenv("FAKE_JOURNAL_SLEEP", "60")
    monkeypatch.setenv("FAKE_JOURNAL_PIDS", str(pids))
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text("[collect]\ntail_seconds = 0.1\n")
    reload = threading.Event()
    store = migrated(tmp_path / "r.duckdb")
    col = Collector(store, load_config(cfg), config_file=cfg, reload=reload, hooks=())
    col.open()
    try:
        col.step(force=True)
        cfg.write_text("[collect]\ntail_seconds = 0.1\n[watch]\njournal = true\n")
        reload.set()
        end = time.monotonic() + 30
        while not pids.exists() and time.monotonic() < end:
            col.step(force=True)
            time.sleep(0.05)
        assert pids.exists(), "journalctl never ran"
    finally:
        t0 = time.monotonic()
        col.stop()
        took = time.monotonic() - t0
    assert took < 5, f"the stop waited {took:.1f}s for the journal's history"
    for pid in map(int, pids.read_text().split()):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # journalctl killed (and reaped), not left running
    assert _messages(store) == []
    with store.read() as con:
        assert read_checkpoint(con, "journal", "cursor") is None
