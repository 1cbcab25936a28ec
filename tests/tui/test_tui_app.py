"""Pilot tests of the dashboard: layout, navigation, help, palette, filter, inert text,
store problems shown as messages, refresh pausing, cursor kept across updates, details and the apply modal."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from tui_support import NOW, fixed_vitals, screen_text, wait_until

from lokifi_tui import app as app_module
from lokifi_tui.app import LokifiApp
from lokifi_tui.bindings import ACTIONS
from lokifi_tui.widgets.panes import PANES

pytestmark = pytest.mark.anyio


def make_app(path, **kwargs) -> LokifiApp:
    return LokifiApp(path, vitals=fixed_vitals, collect=False, now=NOW, **kwargs)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_empty_store_still_shows_live_vitals(tmp_path):
    app = make_app(tmp_path / "fresh.duckdb")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "CPU" in text and "12%" in text and "LOAD" in text
        assert "Patterns 0" in text
        assert app.animation_level == "none"


@pytest.mark.slow
async def test_tab_moves_between_panes_and_small_terminals_get_tabs(seeded):
    app = make_app(seeded.path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        dash = app.dashboard
        assert dash.narrow
        shown = [box.pane for box in dash.query("PaneBox") if box.display]
        assert shown == ["predictions"]
        await pilot.press("tab")
        assert dash.active_pane == "forecast"
        await pilot.press("tab", "tab")
        assert dash.active_pane == "patterns"
        assert [box.pane for box in dash.query("PaneBox") if box.display] == ["patterns"]
        await pilot.press("shift+tab")
        assert dash.active_pane == "recommendations"
        assert app.focused is dash.box("recommendations").table
    app = make_app(seeded.path)
    async with app.run_test(size=(180, 40)) as pilot:
        await settle(pilot)
        assert not app.dashboard.narrow
        assert all(box.display for box in app.dashboard.query("PaneBox"))
    app = make_app(seeded.path)
    async with app.run_test(size=(120, 40)) as pilot:  # a grid would leave each message 17 characters
        await settle(pilot)
        assert app.dashboard.narrow


async def test_vim_keys_move_the_cursor(seeded):
    app = make_app(seeded.path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.dashboard.box("predictions").table
        assert table.cursor_row == 0
        await pilot.press("j")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1 == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("g")
        assert table.cursor_row == 0


@pytest.mark.slow
async def test_help_is_built_from_the_bindings_and_follows_the_keymap(seeded):
    config = {"keymap": {"dismiss": "x", "nonsense": "z"}}
    app = make_app(seeded.path, config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert any("nonsense" in p for p in app.config_problems)
        await pilot.press("tab", "tab")  # recommendations: the dismiss key is active here
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        assert "Dismiss the selected recommendation" in text
        dismiss_line = next(line for line in text.splitlines() if "Dismiss the selected" in line)
        assert " x " in f" {dismiss_line} " and " d " not in f" {dismiss_line} "
        assert "Snooze" in text and "Undo the last triage action" in text
        await pilot.press("escape")
        assert app.screen is app.dashboard


def test_palette_offers_every_action_of_some_pane(tmp_path):
    """Each dashboard action is offered by the palette on the pane it acts on (everywhere when none)."""
    app = make_app(tmp_path / "x.duckdb")
    titles: set[str] = set()
    for pane in PANES:
        app.dashboard.active_pane = pane
        titles |= {cmd.title for cmd in app.get_system_commands(app.dashboard)}
    for spec in ACTIONS:
        assert spec.title in titles or spec.name in ("quit",), spec.name


@pytest.mark.slow
async def test_filter_narrows_every_pane(seeded):
    app = make_app(seeded.path)
    async with app.run_test(size=(180, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"backend")
        await pilot.pause()
        assert app.dashboard.box("predictions").table.row_count == 1
        assert app.dashboard.box("patterns").table.row_count == 0
        assert app.dashboard.box("recommendations").table.row_count == 0
        assert "no rows match" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.dashboard.box("predictions").table.row_count == 3


@pytest.mark.slow
async def test_hostile_text_is_shown_never_interpreted(seeded):
    app = make_app(seeded.path)
    async with app.run_test(size=(180, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "[bold red]PWNED[/]" in text  # markup shown as typed
        assert "\\x1b[2J\\x1b]0;owned\\x07" in text  # the escapes are visible, not executed
        assert "\x1b" not in text and "\x07" not in text
        assert "PWNED" in text.replace("[bold red]", "")  # and nothing was swallowed
        # the same inside a detail screen and the apply modal
        await pilot.press("tab", "tab", "G", "enter")
        await settle(pilot)
        detail = screen_text(app)
        assert "[bold red]PWNED[/]" in detail and "\x1b" not in detail
        await pilot.press("escape", "a")
        await pilot.pause()
        modal = screen_text(app)
        assert "rm -rf $(echo boom \\x1b[2J" in modal and "\x1b" not in modal
        await pilot.press("n")


async def test_unreadable_database_is_a_message_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"this is not a duckdb file at all" * 100)
    app = make_app(bad)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "bad.duckdb" in text and "Traceback" not in text
        assert "CPU" in text and "12%" in text  # vitals keep going
        assert app.is_running


HOLDER = textwrap.dedent(
    """
    import duckdb, sys, time
    con = duckdb.connect(sys.argv[1])
    print("held", flush=True)
    time.sleep(60)
    """
)


@pytest.mark.slow
async def test_locked_database_shows_busy_banner_then_recovers(seeded, monkeypatch):
    monkeypatch.setattr(app_module, "STORE_READ_TIMEOUT", 0.5)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(seeded.path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        app = make_app(seeded.path, refresh=0.5)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            text = screen_text(app)
            assert "busy" in text and "seed.duckdb" in text and "retrying" in text
            holder.kill()
            holder.wait()
            await wait_until(pilot, lambda: app.data_loads >= 1, 30, "a read after the lock was released")
            await settle(pilot)
            assert app.data_loads >= 1
            assert "busy" not in screen_text(app)
    finally:
        holder.kill()


@pytest.mark.slow
async def test_refresh_pauses_while_a_modal_is_open(seeded, monkeypatch):
    """No read while a modal covers the dashboard, even one asked for; that one runs as soon as the modal
    closes, not at the dashboard's next tick (it waited a refresh interval)."""
    app = make_app(seeded.path, refresh=0.2)
    ticks = []  # each data tick asks whether the dashboard is covered
    real_paused = app.paused
    monkeypatch.setattr(app, "paused", lambda: (ticks.append(1), real_paused())[1])
    async with app.run_test(size=(180, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        loads = app.data_loads
        seeded.execute("UPDATE smart_recommendations SET title = 'changed while paused' WHERE id = 1")
        app.reload_now()
        ticks.clear()
        await wait_until(pilot, lambda: len(ticks) >= 4, 30, "four data ticks while covered")
        app.refresh_interval = 3600  # the next tick is an hour away
        await wait_until(pilot, lambda: len(ticks) >= 5, 30, "a data tick while covered")
        await app.workers.wait_for_complete()
        assert app.data_loads == loads
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.data_loads > loads, 10, "the read asked for while covered")
        await settle(pilot)
        assert app.data_loads > loads
        assert "changed while paused" in screen_text(app)


@pytest.mark.slow
async def test_updates_keep_the_cursor_on_its_row(seeded):
    app = make_app(seeded.path, refresh=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("tab", "tab", "j")
        table = app.dashboard.box("recommendations").table
        assert table.current_key == "2"
        # a cell changes: same rows, only that cell is rewritten, cursor stays
        seeded.execute("UPDATE smart_recommendations SET impact_score = 7.5 WHERE id = 2")
        loads = app.data_loads
        app.reload_now()
        await wait_until(pilot, lambda: app.data_loads > loads, 30, "the read after the change")
        await settle(pilot)
        assert table.current_key == "2" and "7.5" in screen_text(app)
        # the row above disappears (dismissed elsewhere): the cursor follows its row
        seeded.execute("UPDATE smart_recommendations SET status = 'dismissed' WHERE id = 1")
        loads = app.data_loads
        app.reload_now()
        await wait_until(pilot, lambda: app.data_loads > loads, 30, "the read after the change")
        await settle(pilot)
        assert table.row_keys == ["2", "3"] and table.current_key == "2"
        # its own row disappears: the cursor lands on the next one
        seeded.execute("UPDATE smart_recommendations SET status = 'dismissed' WHERE id = 2")
        loads = app.data_loads
        app.reload_now()
        await wait_until(pilot, lambda: app.data_loads > loads, 30, "the read after the change")
        await settle(pilot)
        assert table.current_key == "3"


@pytest.mark.slow
async def test_enter_opens_details_for_each_pane(seeded):
    app = make_app(seeded.path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "Rule precision" in text and "310" in text and "1,234" in text  # numbers as people read them
        assert "Summary" in text  # the row's own words above the stored message
        await pilot.press("escape", "tab", "tab", "enter")
        await settle(pilot)
        text = screen_text(app)
        assert "Security Scan Overdue" in text and "lokifi scan" in text
        await pilot.press("escape", "tab", "enter")
        await settle(pilot)
        text = screen_text(app)
        assert "Fix history" in text and "systemctl restart redis" in text and "9 worked, 1 failed" in text
        await pilot.press("q")
        assert app.screen is app.dashboard


@pytest.mark.slow
async def test_apply_asks_first_and_copies_the_command(seeded):
    app = make_app(seeded.path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a")  # not on the recommendations pane: nothing happens
        assert app.screen is app.dashboard
        await pilot.press("tab", "tab", "a")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmApply"
        assert "lokifi scan" in screen_text(app)
        await pilot.press("c")
        assert app.clipboard == "lokifi scan"
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is app.dashboard
        status = seeded.query("SELECT status FROM smart_recommendations WHERE id = 1").item()
        assert status == "open"  # cancelled: nothing written


async def test_q_quits(tmp_path):
    app = make_app(tmp_path / "x.duckdb")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running


@pytest.mark.slow
async def test_an_open_details_screen_renders_once_and_then_idles(seeded, monkeypatch):
    from lokifi_tui.screens import details

    renders = []
    original = details.DetailScreen.render_detail
    monkeypatch.setattr(details.DetailScreen, "render_detail", lambda self: (renders.append(1), original(self)))
    app = make_app(seeded.path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for keys in (("enter",), ("escape", "tab", "tab", "enter"), ("escape", "tab", "enter")):
            await pilot.press(*keys)
            await settle(pilot)
            renders.clear()
            await pilot.pause(1.0)  # nothing changes while the screen is open: nothing is drawn again
            assert len(renders) <= 1, f"{type(app.screen).__name__} rendered {len(renders)} times in 1 s"


async def test_a_json_logs_pattern_is_titled_by_its_message(tmp_path):
    """Details of a pattern learned from JSON lines: the title is the message field, not the JSON's start."""
    from click.testing import CliRunner

    from lokifi_tui.cli.main import cli

    db = tmp_path / "j.duckdb"
    lines = "".join(
        f'{{"time": "2026-03-02T11:5{i}:00Z", "level": "error", "msg": "upstream 10.0.0.{i}:80 refused"}}\n'
        for i in range(3)
    )
    learn = ["--db", str(db), "patterns", "group", "--raw", "--learn", "--component", "api"]
    r = CliRunner().invoke(cli, learn, input=lines)
    assert r.exit_code == 0, r.output
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("shift+tab", "enter")
        await settle(pilot)
        title = str(app.screen.query_one("#detail-body").border_title)
        assert title.startswith("Pattern: upstream <*> refused"), title
