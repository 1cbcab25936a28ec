"""The collector's config reload on real files and a real DuckDB store: what it says changed (and never a
secret), when it reads the file, and that the sources it restarts neither lose nor repeat a line."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

import pytest
from collect_support import hold_database
from hypothesis import given, settings, strategies as st

from analytics.collect.config_changes import changes
from analytics.collect.config_watch import CHECK_SECONDS, SETTLE_SECONDS, ConfigWatch, why_not
from analytics.collect.loop import Collector
from analytics.config.settings import load_config
from analytics.store.database import Store

NOW = dt.datetime(2026, 11, 21, 12)


def conf(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "lokifi.toml"
    p.write_text(body)
    return p


def _settings(tmp_path: Path, flush: int, password: str, log: str, more: str):
    """A config whose alert endpoint, component command line and source URL carry ``password``."""
    return load_config(
        conf(
            tmp_path,
            f"""
[collect]
flush_seconds = {flush}
[alerts.alertmanager]
url = "http://am:{password}@127.0.0.1:9093"
[[sources]]
name = "prom"
type = "prometheus"
url = "http://u:{password}@127.0.0.1:9090"
[[components]]
name = "api"
logs = ["{log}"]
cmdline = "api --password {password}"
{more}""",
        )
    )


def test_changes_say_what_changed_and_never_a_secret(tmp_path):
    before = _settings(tmp_path, 30, "hunter2", "/srv/a.log", '[[components]]\nname = "old"\n')
    web = '[[components]]\nname = "web"\nlogs = ["/srv/web.log"]\n[[components.probes]]\nkind = "tcp"\n'
    after = _settings(
        tmp_path,
        10,
        "swordfish",
        "/srv/b.log",
        web + 'host = "127.0.0.1"\nport = 80\n[watch]\nproject_dirs = ["/srv/app"]\n',
    )
    assert not before.problems and not after.problems, (before.problems, after.problems)
    said = changes(before, after)
    assert said == [
        "collect.flush_seconds: 30.0 -> 10.0",
        "watch.project_dirs: + /srv/app",
        "alerts.alertmanager changed",
        "components: + web (logs /srv/web.log; 1 probe)",
        "components: - old",
        "components.api: logs + /srv/b.log, - /srv/a.log; cmdline",
        "sources.prom changed",
    ]
    text = "\n".join(said)
    assert "hunter2" not in text and "swordfish" not in text
    assert changes(after, after) == []


def test_the_file_is_read_when_it_changed_and_held_still(tmp_path):
    p = conf(tmp_path, "[collect]\nflush_seconds = 30\n")
    w = ConfigWatch(p, load_config(p))
    t = 1000.0
    assert w.check(t) is None  # nothing changed: a stat, nothing read
    os.utime(p)  # touched, same content: no reload
    assert w.check(t + CHECK_SECONDS) is None and w.check(t + 2 * CHECK_SECONDS) is None
    p.write_text("[collect]\nflush_seconds = 10\n")
    assert w.check(t + 3 * CHECK_SECONDS) is None  # just changed: looked at again once it holds still
    assert not w.due(t + 3 * CHECK_SECONDS) and w.due(t + 3 * CHECK_SECONDS + SETTLE_SECONDS)
    got = w.check(t + 3 * CHECK_SECONDS + SETTLE_SECONDS)
    assert got is not None and got.config.collect.flush_seconds == 10.0
    assert w.check(t + 4 * CHECK_SECONDS) is None  # taken: not again

    p.write_text("[collect]\nflush_seconds = \n")  # a typo
    w.check(t + 5 * CHECK_SECONDS)
    bad = w.check(t + 6 * CHECK_SECONDS)
    assert bad is not None and bad.config is None and bad.broken == [f"{p}:2: TOML syntax error (Invalid value)"]
    os.utime(p, ns=(1, 1))
    w.check(t + 7 * CHECK_SECONDS)
    assert w.check(t + 8 * CHECK_SECONDS) is None  # said once
    asked = w.check(t + 9 * CHECK_SECONDS, asked=True)
    assert asked is not None and asked.broken  # asked for: answered
    assert w.config.collect.flush_seconds == 10.0  # the one in force stays

    p.unlink()
    w.check(t + 10 * CHECK_SECONDS)
    gone = w.check(t + 11 * CHECK_SECONDS)
    assert gone is not None and gone.broken == [f"{p}: no config file there, or it cannot be read"]


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_why_not_never_raises_and_names_the_file(raw):
    p = Path("/etc/lokifi/lokifi.toml")
    for problem in why_not(p, raw):
        assert problem.startswith(f"{p}:")


def _events(store: Store) -> list[tuple[str, str]]:
    return sorted(store.query("SELECT component, message FROM error_events").iter_rows())


def _append(path: Path, *lines: str) -> None:
    with path.open("a") as fh:
        fh.writelines(line + "\n" for line in lines)


def test_a_reload_restarts_only_changed_sources_and_no_line_is_lost_or_repeated(migrated, tmp_path):
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text("")
    b.write_text("")
    p = conf(tmp_path, f'[[components]]\nname = "api"\nlogs = ["{a}"]\n')
    store = migrated(tmp_path / "l.duckdb")
    col = Collector(store, load_config(p), hooks=(), flush_seconds=3600, config_file=p)
    col.open()
    try:
        vitals, tail = col.sources
        col.step(NOW, force=True)
        _append(a, "ERROR one", "ERROR two")
        col.step(NOW, force=True)  # "one", "two" and their position written
        _append(a, "ERROR three")
        col.poll_source(tail, NOW)  # read, waiting for the next write
        _append(a, "ERROR four")  # not read yet
        p.write_text(p.read_text() + f'[[components]]\nname = "web"\nlogs = ["{b}"]\n')
        said = col.reconfigure(load_config(p))
        assert said == [f"components: + web (logs {b})"]
        assert col.sources[0] is vitals  # its settings did not change: it runs on
        assert [s.name for s in col.sources] == ["vitals", "tail"] and col.sources[1] is not tail
        col.step(NOW, force=True)  # a log new to the collector is read from its end, as at a start
        _append(a, "ERROR five")
        _append(b, "ERROR six")
        col.step(NOW, force=True)
    finally:
        col.close()
    assert _events(store) == [("api", f"ERROR {n}") for n in ("five", "four", "one", "three", "two")] + [
        ("web", "ERROR six")
    ]


@pytest.mark.timeout(60)
def test_a_restart_put_off_while_the_database_was_busy_starts_where_the_spool_says(tmp_path):
    """The reload comes while another process holds the database: what the tail read is spooled, the
    restart waits; once the database can be read (the spool not applied yet) the new tail starts after
    the spooled lines, not at the older position stored."""
    a = tmp_path / "a.log"
    a.write_text("")
    p = conf(tmp_path, f'[collect]\ntail_seconds = 2\n[[components]]\nname = "api"\nlogs = ["{a}"]\n')
    db = tmp_path / "l.duckdb"
    store = Store(db, write_timeout=0.3, read_timeout=0.3)
    reload = threading.Event()
    col = Collector(store, load_config(p), hooks=(), config_file=p, reload=reload)
    col.open()
    try:
        col.step(NOW, force=True)
        _append(a, "ERROR zero")
        col.step(NOW, force=True)  # written, with its position
        tail = col.sources[1]
        _append(a, "ERROR one")
        col.poll_source(tail, NOW)  # held back a moment (a traceback may follow)
        holder = hold_database(db, 2)
        p.write_text(p.read_text().replace("tail_seconds = 2", "tail_seconds = 1"))
        reload.set()  # SIGHUP
        col.step(NOW)
        assert col.config.collect.tail_seconds == 1.0
        assert col.sources[1] is tail and store.spooled() == 1  # "one" spooled; the restart waits
        holder.wait()
        reload.set()
        col.step(NOW)
        assert col.sources[1] is not tail and store.spooled() == 1
        _append(a, "ERROR two")
        col.step(NOW, force=True)
    finally:
        col.close()
    assert _events(store) == [("api", "ERROR one"), ("api", "ERROR two"), ("api", "ERROR zero")]


def test_whoever_asked_is_told_what_each_look_at_the_file_gave(migrated, tmp_path):
    """The dashboard's way to say it: one line per reload, refusal or file back as it was."""
    p = conf(tmp_path, "[collect]\nflush_seconds = 30\n")
    reload = threading.Event()
    told: list = []
    col = Collector(
        migrated(tmp_path / "l.duckdb"), load_config(p), hooks=(), config_file=p, reload=reload, on_config=told.append
    )
    col.open()
    try:
        p.write_text("[collect]\nflush_seconds = 10\n")
        reload.set()
        col.step(NOW)
        p.write_text("[collect]\nflush_seconds = \n")
        reload.set()
        col.step(NOW)
        p.write_text("[collect]\nflush_seconds = 10\n")
        reload.set()
        col.step(NOW)
    finally:
        col.close()
    taken, refused, back = told
    assert (taken.text, taken.refused) == ("Config reloaded: collect.flush_seconds: 30.0 -> 10.0", False)
    assert taken.config is col.config and col.flush_seconds == 10.0
    assert refused.refused and refused.config is None
    assert refused.text.startswith(f"Config not reloaded: {p}:2: TOML syntax error (Invalid value); still using")
    assert (back.text, back.config, back.refused) == (
        "Config read again: unchanged, the configuration in force",
        None,
        False,
    )
