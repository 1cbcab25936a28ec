"""Smaller dashboard promises: the keymap's clashes are reported, the stats line fits 80 columns, the
vitals bar shows this host only, and its first CPU reading is a measurement."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from click.testing import CliRunner

from analytics.dashboard_view import load_dashboard
from analytics.store import Store
from lokifi_tui.bindings import keymap_from_config
from lokifi_tui.cli.main import cli
from tui_support import NOW, fixed_vitals, screen_text, seed_store

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


def test_keymap_clashes_are_reported_but_keys_of_different_panes_may_share():
    _, problems = keymap_from_config({"apply": "d"})
    assert problems and "'d'" in problems[0] and "dismiss" in problems[0]
    _, problems = keymap_from_config({"dismiss": "j"})
    assert problems and "down" in problems[0]
    _, problems = keymap_from_config({"refresh": "ctrl+p"})
    assert problems and "command palette" in problems[0]
    # dismiss works in the recommendations pane, fix_failed in the patterns pane: only one is live
    assert keymap_from_config({"dismiss": "n"})[1] == []
    # moving both keys of a pair is fine
    assert keymap_from_config({"dismiss": "x", "fix_failed": "d"})[1] == []
    # a character is the same key as its name
    _, problems = keymap_from_config({"apply": "/"})
    assert problems and "filter" in problems[0]


def test_config_check_reports_a_keymap_clash_with_its_line(tmp_path):
    p = tmp_path / "lokifi.toml"
    p.write_text('[general]\nrefresh_seconds = 5\n\n[keymap]\napply = "d"\n')
    r = CliRunner().invoke(cli, ["--config", str(p), "config", "check", "--json"])
    assert r.exit_code == 3, r.output
    issues = json.loads(r.output)["issues"]
    clash = [i for i in issues if i["key"] == "keymap"]
    assert clash and "dismiss" in clash[0]["message"] and clash[0]["line"] == 4


def _vitals_rows(store: Store, host: str, cpu: float, at: dt.datetime) -> None:
    with store.write() as con:
        for i in range(5):
            con.execute("INSERT INTO metrics (ts, host, component, metric, value) VALUES (?, ?, 'host', 'cpu_percent', ?)",
                        [at - dt.timedelta(seconds=10 * i), host, cpu])


def test_vitals_history_is_this_hosts_only(tmp_path):
    class Cfg:
        host = "here"

    store = Store(tmp_path / "v.duckdb")
    _vitals_rows(store, "elsewhere", 99.0, NOW)
    assert load_dashboard(store, now=NOW, config=Cfg()).vitals == {}
    _vitals_rows(store, "here", 7.0, NOW)
    assert set(load_dashboard(store, now=NOW, config=Cfg()).vitals["cpu"]) == {7.0}


def test_the_first_cpu_reading_is_measured_not_a_bare_zero(monkeypatch):
    from lokifi_tui.widgets import topbar

    monkeypatch.setattr(topbar, "_primed", False)
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            pass

    busy = threading.Thread(target=spin, daemon=True)
    busy.start()
    try:
        time.sleep(0.05)
        first = topbar.sample_vitals()
    finally:
        stop.set()
        busy.join()
    assert first.cpu > 10.0  # one core of two spinning: ~50 %


async def test_stats_line_at_80_columns_keeps_accuracy_and_ai_status(tmp_path, monkeypatch):
    from analytics import dashboard_view as dv
    from lokifi_tui.app import LokifiApp

    monkeypatch.setattr(dv, "engine_available", lambda name: name in ("predictions", "recommendations", "patterns"))
    seeded = seed_store(tmp_path / "s.duckdb")
    app = LokifiApp(seeded.path, vitals=fixed_vitals, collect=False, now=NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        stats = screen_text(app).splitlines()
        line = next(x for x in stats if "Patterns" in x)
        assert "pred acc" in line and "AI offline" in line
    async with LokifiApp(seeded.path, vitals=fixed_vitals, collect=False, now=NOW).run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert "prediction accuracy" in screen_text(pilot.app)
