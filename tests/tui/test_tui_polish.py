"""Smaller dashboard promises: the keymap's clashes are reported, the stats line fits 80 columns, the
vitals bar shows this host only, and its first CPU reading is a measurement."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from click.testing import CliRunner
from tui_support import NOW, fixed_vitals, screen_text, wait_until

from analytics.dashboard.view import load_dashboard
from analytics.store.database import Store
from lokifi_tui.bindings import keymap_from_config
from lokifi_tui.cli.main import cli

pytestmark = pytest.mark.anyio


def test_the_help_writes_every_control_key_alike():
    """The help says ``^r`` for ctrl+r, as the footer does; the palette's row too (it said ``ctrl+p``)."""
    from lokifi_tui.bindings import dashboard_help, detail_help

    rows = dashboard_help({}, "patterns") + detail_help({}, "patterns") + detail_help({}, None)
    assert [r[0] for r in rows if "ctrl+" in r[0]] == []
    assert [r[0] for r in rows if r[1] == "Palette"] == ["^p"] * 3


def test_the_help_lists_m_with_the_pane_in_use():
    """m mutes in the patterns and the predictions panes; the help listed it with the predictions pane
    alone, so on the patterns pane the first screen of the help (80x24) did not have it."""
    from lokifi_tui.bindings import dashboard_help

    def group_of(pane: str, title: str) -> str:
        group = ""
        for keys, name, _ in dashboard_help({}, pane):
            group = name if not keys else group
            if name == title:
                return group
        raise AssertionError(f"{title} not in the help")

    assert group_of("patterns", "Mute") == "Patterns pane"
    assert group_of("predictions", "Mute") == "Predictions pane"
    assert group_of("recommendations", "Mute") == "Patterns pane"
    assert [r[1] for r in dashboard_help({}, "patterns")].count("Mute") == 1


def test_keymap_clashes_are_reported_but_keys_of_different_panes_may_share():
    _, problems = keymap_from_config({"apply": "d"})
    assert problems and "'d'" in problems[0] and '"Dismiss the selected recommendation"' in problems[0]
    _, problems = keymap_from_config({"dismiss": "j"})
    assert problems and '"Next row"' in problems[0]
    # named as the help names them, never by internal ids (it said 'also bound to quit, detail.back')
    _, problems = keymap_from_config({"help": "q"})
    assert problems == [
        "[keymap] 'help': key 'q' already does \"Quit Lokifi\" and \"Back to the dashboard (first stops an "
        'analysis running here) on a details screen"; it keeps its default keys'
    ]
    _, problems = keymap_from_config({"refresh": "ctrl+p"})
    assert problems and "command palette" in problems[0]
    # dismiss works in the recommendations pane, fix_failed in the patterns pane: only one is live
    assert keymap_from_config({"dismiss": "n"})[1] == []
    # moving both keys of a pair is fine
    assert keymap_from_config({"dismiss": "x", "fix_failed": "d"})[1] == []
    # a character is the same key as its name
    _, problems = keymap_from_config({"apply": "/"})
    assert problems and "Filter the rows" in problems[0] and "'/'" in problems[0]


def test_config_check_reports_a_keymap_clash_with_its_line(tmp_path):
    p = tmp_path / "lokifi.toml"
    p.write_text('[general]\nrefresh_seconds = 5\n\n[keymap]\napply = "d"\n')
    r = CliRunner().invoke(cli, ["--config", str(p), "config", "check", "--json"])
    assert r.exit_code == 3, r.output
    issues = json.loads(r.output)["issues"]
    clash = [i for i in issues if i["key"] == "keymap.apply"]
    assert clash and "Dismiss the selected recommendation" in clash[0]["message"] and clash[0]["line"] == 5


def test_a_clashing_or_reserved_key_is_not_applied_and_its_action_keeps_its_default():
    """help = "q" made q open the help (no key quit but ctrl+c), mute = "ctrl+p" left m dead while the
    help listed ^p: an entry that clashes or takes a reserved key is reported and not applied."""
    keymap, problems = keymap_from_config({"dismiss": "j", "snooze": "z,f5", "mute": "ctrl+p", "help": "q"})
    assert keymap == {"lokifi.snooze": "z,f5"}
    assert len(problems) == 3 and all(p.endswith("it keeps its default keys") for p in problems)
    from lokifi_tui.bindings import dashboard_help

    rows = {r[1]: r[0] for r in dashboard_help(keymap, "patterns")}
    assert rows["Mute"] == "m" and rows["Quit"] == "q" and rows["Snooze"] == "z, f5"
    assert rows["Help"].startswith("?") and rows["Dismiss"] == "d"


def _vitals_rows(store: Store, host: str, cpu: float, at: dt.datetime) -> None:
    with store.write() as con:
        for i in range(5):
            con.execute(
                "INSERT INTO metrics (ts, host, component, metric, value) VALUES (?, ?, 'host', 'cpu_percent', ?)",
                [at - dt.timedelta(seconds=10 * i), host, cpu],
            )


def test_vitals_history_is_this_hosts_only(migrated, tmp_path):
    class Cfg:
        host = "here"

    store = migrated(tmp_path / "v.duckdb")
    _vitals_rows(store, "elsewhere", 99.0, NOW)
    assert load_dashboard(store, now=NOW, config=Cfg()).vitals == {}
    _vitals_rows(store, "here", 7.0, NOW)
    assert set(load_dashboard(store, now=NOW, config=Cfg()).vitals["cpu"]) == {7.0}


@pytest.mark.alone
def test_the_first_cpu_reading_is_measured_not_a_bare_zero(monkeypatch):
    from analytics.sources import vitals_glance
    from lokifi_tui.widgets import topbar

    monkeypatch.setattr(vitals_glance, "_primed", False)
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


@pytest.mark.slow
async def test_stats_line_at_80_columns_keeps_accuracy_and_ai_status(seeded, monkeypatch):
    from lokifi_tui.app import LokifiApp

    app = LokifiApp(seeded.path, vitals=fixed_vitals, collect=False, now=NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        stats = screen_text(app).splitlines()
        line = next(x for x in stats if "Patterns" in x)
        assert " acc " in line and "AI offline" in line and "n=" in line.split("AI offline")[1]
    async with LokifiApp(seeded.path, vitals=fixed_vitals, collect=False, now=NOW).run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert "prediction accuracy" in screen_text(pilot.app)


@pytest.mark.slow
async def test_vitals_sampling_pauses_while_the_dashboard_is_covered(tmp_path):
    from lokifi_tui.app import LokifiApp

    calls = []

    def counting():
        calls.append(time.monotonic())
        return fixed_vitals()

    app = LokifiApp(tmp_path / "v.duckdb", vitals=counting, collect=False, now=NOW, vitals_interval=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: len(calls) >= 3, 30, "three samples")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: app.screen is not app.dashboard, 30, "the help screen")
        await pilot.wait_for_scheduled_animations()
        covered = len(calls)
        await pilot.pause(0.6)  # the assertion is about a span of time: 12 sampling intervals covered
        assert len(calls) <= covered + 1  # at most one sample already under way
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: len(calls) >= covered + 3, 30, "sampling again once uncovered")


def test_own_sample_flushes_are_told_apart_from_other_writers(migrated, tmp_path):
    from analytics.collect.flushing import explained_by
    from analytics.collect.loop import Collector
    from analytics.config.settings import load_config
    from analytics.store.file_signature import file_signature

    store = migrated(tmp_path / "c.duckdb")
    store.execute("SELECT 1")
    collector = Collector(store, load_config(None), persist=True, flush_seconds=1000, refresh_seconds=10_000)
    collector.open()
    try:
        start = file_signature(store.path)
        collector.step(force=True)
        collector.step(force=True)
        assert len(collector.writes) == 2 and not any(w.events for w in collector.writes)
        after = file_signature(store.path)
        assert after != start
        assert explained_by(collector.writes, start, after)
        store.execute("INSERT INTO kv (key, value) VALUES ('someone', 'else')")
        assert not explained_by(collector.writes, start, file_signature(store.path))
        assert not explained_by(collector.writes, start, start)  # nothing changed: nothing to explain
    finally:
        collector.close()


@pytest.mark.parametrize("theme", ["lokifi", "textual-light", "nord"])
def test_the_starting_theme_is_what_textuals_watcher_would_set(tmp_path, theme):
    from textual.app import App

    from lokifi_tui.app import LokifiApp
    from lokifi_tui.theme import LOKIFI_THEME

    app = LokifiApp(tmp_path / "t.duckdb", theme=theme, collect=False)
    ref = App()
    ref.register_theme(LOKIFI_THEME)
    ref.theme = theme  # Textual's own path: the watcher (its CSS refresh is queued, never run here)
    assert app.theme == ref.theme == theme
    assert {c for c in app.classes if c.startswith("-")} == {c for c in ref.classes if c.startswith("-")}
    assert app.stylesheet._variables == ref.get_css_variables()
    assert [getattr(f, "enabled", None) for f in app._filters] == [getattr(f, "enabled", None) for f in ref._filters]


async def test_first_frame_parses_the_stylesheets_once_and_collection_resumes_frozen(tmp_path, monkeypatch):
    import gc

    from textual.css.stylesheet import Stylesheet

    from lokifi_tui.app import LokifiApp

    reparses = []
    original = Stylesheet.reparse
    monkeypatch.setattr(Stylesheet, "reparse", lambda self: (reparses.append(1), original(self))[1])
    app = LokifiApp(tmp_path / "g.duckdb", theme="textual-light", vitals=fixed_vitals, collect=False, now=NOW)
    gc.disable()  # as the ``lokifi`` entry point does
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: app.first_paint_at is not None, 30, "the first frame")
            assert reparses == []
            assert gc.isenabled() and gc.get_freeze_count() > 0
            from textual.color import Color

            light = Color.parse(app.get_css_variables()["background"])
            assert app.screen.styles.background.hex == light.hex and light.brightness > 0.5
    finally:
        gc.unfreeze()
        gc.enable()


def test_the_first_frames_disk_figure_is_the_one_the_next_reading_shows():
    """The instant reading (standard library, before psutil loads) counts the disk as psutil and df do:
    a root filesystem with reserved blocks read 18 % in the first frame and 44 % two seconds later."""
    import psutil

    from analytics.sources import vitals_glance

    first = vitals_glance.glance(instant=True).disk
    assert first == pytest.approx(psutil.disk_usage("/").percent, abs=0.5)


def test_effectiveness_waits_for_the_first_fix_outcome():
    """The share of high-confidence patterns said 'eff 0%' (coloured as bad) on a host where no fix had
    been judged yet: a confidence is measured from outcomes, so before the first one it says nothing."""
    from types import SimpleNamespace

    from analytics.dashboard.view import LearningSummary
    from lokifi_tui.widgets.topbar import StatsBar

    def shown(**counts: int) -> str:
        view = SimpleNamespace(learning=LearningSummary(**counts), ai_status="offline", hosts=())
        return StatsBar._stats_text(view, short=True, ai_short=True).plain

    assert "eff —" in shown(patterns=4)
    assert "eff 25%" in shown(patterns=4, high_confidence=1, fixes_worked=3)
    assert "eff 0%" in shown(patterns=4, fixes_failed=2)  # judged, and none is trusted yet: that is a figure


def test_a_small_number_shows_its_first_digit_not_minus_zero():
    """A component page's error-rate band read '-0.00 … 0.01': mean - 2σ of a rate near 0 is a small
    negative number, which two decimals showed as minus zero."""
    from lokifi_tui.widgets.render import number

    assert [number(x) for x in (0.0, 0.004, -0.0042, 0.005, 0.42, 12.34)] == [
        "0.00",
        "0.004",
        "-0.004",
        "0.01",
        "0.42",
        "12.3",
    ]


async def test_the_first_start_dialog_shows_its_keys_and_note_at_80x24(tmp_path):
    """A long proposal pushed the dialog's key line (and part of its note) below its bottom edge at 80x24;
    the keys are on its border now and the list scrolls within 40% of the height."""
    from lokifi_tui.app import LokifiApp
    from lokifi_tui.screens.modals import KEYS_SETUP, SetupProposal

    found = [f"• service{i} — logs: /var/log/service{i}/access.log, /var/log/service{i}/error.log" for i in range(12)]
    path = "/home/someone/.config/lokifi/lokifi.toml"
    app = LokifiApp(tmp_path / "p.duckdb", vitals=fixed_vitals, collect=False, now=NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(SetupProposal(found, path))
        await wait_until(pilot, lambda: type(app.screen).__name__ == "SetupProposal", what="the dialog")
        await pilot.pause()
        text = screen_text(app)
        assert KEYS_SETUP in text
        note = " ".join(x.strip(" │") for x in text.splitlines() if "│" in x)
        assert "y writes " + path in note and "validates it)." in note
        assert "service0" in text and "service11" not in text  # the list scrolls
        await pilot.press("end")
        await pilot.pause()
        assert "service11" in screen_text(app) and KEYS_SETUP in screen_text(app)
