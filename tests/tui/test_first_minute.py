"""Useful from the first minute: a first start without a config proposes one (found on a planted
/var/log), `y` writes it, reads the logs' history and starts watching; empty panes say why and what fills
them; the top bar shows the collector's state."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

import pytest
from planted_host import plant
from tui_support import fixed_vitals, screen_text, wait_until

from analytics.config import starter as config_init
from analytics.config.settings import load_config
from analytics.dashboard.setup_state import Busy, SetupState, busiest
from lokifi_tui.app import LokifiApp
from lokifi_tui.widgets.empty_state import collector_text, empty_text

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # measured: 9 s in all


async def test_first_start_proposes_writes_and_backfills(tmp_path, monkeypatch, _isolated_home):
    facts = plant(tmp_path / "log")
    real = config_init.discover
    monkeypatch.setattr(config_init, "discover", lambda *a, **k: real([str(tmp_path / "log")], services=False))
    cfg = load_config(None)
    assert cfg.path is None
    db = tmp_path / "first.duckdb"
    app = LokifiApp(db, config=cfg, vitals=fixed_vitals, collect=True, propose_setup=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: "Watch this host?" in screen_text(app), 60, "the proposal")
        text = screen_text(app)
        assert "nginx" in text and "access.log" in text and "error.log" in text
        await pilot.press("y")
        written = _isolated_home / "config" / "lokifi.toml"
        await wait_until(pilot, written.exists, 60, "the config file")
        await wait_until(pilot, lambda: app.store.scalar("SELECT count(*) FROM backfill_files") >= 7, 120, "backfill")
        await wait_until(pilot, lambda: "connect() failed" in screen_text(app), 60, "the learned pattern")
        await wait_until(pilot, lambda: "● collecting" in screen_text(app), 60, "the collector's state")
    assert app.store.scalar("SELECT count(*) FROM error_events") == 140
    n = app.store.scalar("SELECT sum(value) FROM metrics WHERE metric = 'requests_per_min'")
    assert n == pytest.approx(facts["access_lines"] * 7 / 8, rel=0.01)
    assert "nginx" in written.read_text()


async def test_not_now_is_remembered_and_suggests_only_what_works_without_a_config(
    tmp_path, monkeypatch, _isolated_home
):
    monkeypatch.setattr(config_init, "discover", lambda *a, **k: ([], None))
    db = tmp_path / "n.duckdb"
    app = LokifiApp(db, config=load_config(None), vitals=fixed_vitals, collect=True, propose_setup=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: "Watch this host?" in screen_text(app), 60, "the proposal")
        await pilot.press("n")
        await wait_until(pilot, lambda: app.store.get_kv("setup.proposal_declined") is not None, 60, "the answer")
    # it suggested `lokifi backfill`, which then said "No log files are configured": each command it names
    # now does what it says with no config file
    commands = re.findall(r"`(lokifi [^`]+)`", app.last_message)
    assert commands == ["lokifi config init"], app.last_message
    written = _isolated_home / "config" / "lokifi.toml"
    assert not written.exists()
    env = {**os.environ, "LOKIFI_DB": str(db)}
    for command in commands:
        args = [sys.executable, "-m", "lokifi_tui.cli.entry", *command.split()[1:], "--no-detect"]
        run = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
        assert run.returncode == 0, run.stderr
    assert written.exists()
    app = LokifiApp(db, config=load_config(None), vitals=fixed_vitals, collect=True, propose_setup=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.data_loads >= 1, 60, "the first read")
        # a proposal would be discovered in a "setup" worker started with the first read, then pushed as a
        # screen (the live collector's worker runs on; an empty list would mean every worker)
        setup = [w for w in app.workers if w.group == "setup"]
        if setup:
            await app.workers.wait_for_complete(setup)
        await pilot.wait_for_scheduled_animations()
        assert "Watch this host?" not in screen_text(app)


def test_empty_panes_say_why_and_the_next_step():
    nothing = SetupState(busiest=(Busy("postgres", 42, 37.0, 120.0),))
    text = empty_text("predictions", nothing)
    assert "lokifi config init" in text and "Busiest processes now: postgres 37% CPU" in text
    # the first reading has no CPU figure yet: the largest processes, by memory, not '0% CPU'
    first = SetupState(busiest=(Busy("python", 7, None, 373.0), Busy("lokifi", 8, None, 200.0)))
    text = empty_text("predictions", first)
    assert "Largest processes now: python 373 MB, lokifi 200 MB." in text and "CPU" not in text
    assert "lokifi backfill" in empty_text("patterns", nothing)
    logs = SetupState(config_file=True, components=1, log_paths=2)
    assert "lokifi backfill" in empty_text("forecast", logs)
    assert "Watching 2 log path(s)" in empty_text("patterns", logs)
    waiting = SetupState(config_file=True, components=1, log_paths=2, backfilled_files=3, unlearned_events=1219)
    assert "1,219 error event(s) recorded: learning their patterns" in empty_text("patterns", waiting)
    done = SetupState(config_file=True, components=1, log_paths=2, backfilled_files=3, history_hours=30, project_dirs=1)
    assert "30 h" in empty_text("forecast", done) and "backfill" not in empty_text("forecast", done)
    assert "project_dirs" not in empty_text("recommendations", done)
    for name in ("predictions", "forecast", "recommendations", "patterns"):
        assert empty_text(name, None)


def test_collector_state_text():
    now = dt.datetime(2026, 12, 1, 12, 0, 0)
    assert "not collecting" in collector_text(SetupState(), now)[0]
    here = SetupState(collector_pid=os.getpid(), collector_here=True, last_write=now - dt.timedelta(seconds=12))
    assert collector_text(here, now)[0] == "● collecting, wrote just now"
    other = SetupState(collector_pid=4321, last_write=now - dt.timedelta(minutes=5))
    assert collector_text(other, now)[0] == "● collector pid 4321, wrote 5m ago"
    assert collector_text(other, now, short=True)[0] == "● pid 4321"
    # the dashboard's own collector, before the store has been read again since it started
    assert collector_text(SetupState(), now, here="starting")[0] == "◌ starting to collect…"
    assert collector_text(SetupState(), now, here="write")[0] == "● collecting, started just now"
    assert "not collecting" in collector_text(SetupState(), now, here="stopped")[0]
    assert collector_text(other, now, here="view")[0] == "● collector pid 4321, wrote 5m ago"


@pytest.mark.alone
def test_busiest_names_a_process_that_burns_cpu():
    """The share it gives a spinning process is that process' own CPU over the same second, and the list
    is in order of it. Measured against the process itself, not a fixed share: on a loaded machine a
    spinning process may get far less than a core (it used to need 30 %)."""
    import subprocess
    import sys
    import time

    import psutil

    p = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        proc = psutil.Process(p.pid)
        busiest()
        t0, m0 = sum(proc.cpu_times()[:2]), time.monotonic()
        time.sleep(1.0)
        top = busiest(100_000)
        t1, m1 = sum(proc.cpu_times()[:2]), time.monotonic()
        truth = 100.0 * (t1 - t0) / (m1 - m0)
        mine = next((b for b in top if b.pid == p.pid), None)
        assert truth > 1.0 and mine is not None and mine.cpu is not None, (truth, top)
        assert abs(mine.cpu - truth) <= max(0.25 * truth, 3.0), (mine, truth)
        shares = [b.cpu or 0.0 for b in top]
        assert shares == sorted(shares, reverse=True) and min(shares) >= 0.5
    finally:
        p.kill()
        p.wait()


async def test_the_top_bar_never_says_not_collecting_while_its_collector_starts(tmp_path):
    """A configured host: the dashboard collects while it is open. Before its collector has taken the
    database the top bar says it is starting (it used to say "not collecting (lokifi collect)" until the
    next read of the store, up to 20 s later), and the collecting state follows without a re-read."""
    log = tmp_path / "app.log"
    log.write_text("")
    toml = tmp_path / "lokifi.toml"
    toml.write_text(f'[[components]]\nname = "app"\nlogs = ["{log}"]\n')
    app = LokifiApp(tmp_path / "c.duckdb", config=load_config(toml), vitals=fixed_vitals, collect=True)
    seen: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.data_loads >= 1, 60, "the first read")
        seen.append(screen_text(app).splitlines()[0])
        await wait_until(pilot, lambda: "● collecting" in screen_text(app).splitlines()[0], 30, "collecting")
        assert app.data_loads == 1  # shown from the collector itself, not from a later read of the store
    assert "not collecting" not in seen[0] and ("◌ starting to collect…" in seen[0] or "● collecting" in seen[0])
