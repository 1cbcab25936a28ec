"""Every triage key, pressed in the real app, changes the store as it should (through the real engines)."""

from __future__ import annotations

import datetime as dt

import pytest
from tui_support import H_HOSTILE, H_REDIS, H_TIMEOUT, NOW, fixed_vitals, screen_text, seed_store

from lokifi_tui.app import LokifiApp

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def seeded(tmp_path):
    return seed_store(tmp_path / "seed.duckdb")


def make_app(store) -> LokifiApp:
    return LokifiApp(store.path, vitals=fixed_vitals, collect=False, now=NOW, refresh=0.3)


async def settle(pilot, rounds: int = 2) -> None:
    for _ in range(rounds):
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.3)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def rec_status(store, rec_id: int) -> tuple[str, dt.datetime | None]:
    row = store.query("SELECT status, snoozed_until FROM smart_recommendations WHERE id = ?", [rec_id]).row(0)
    return row[0], row[1]


async def goto_recs(pilot) -> None:
    await pilot.press("tab", "tab")
    assert pilot.app.dashboard.active_pane == "recommendations"


async def test_a_applies_after_confirmation_and_u_undoes(seeded):
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await goto_recs(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert rec_status(seeded, 1)[0] == "open"  # nothing written before the answer
        await pilot.press("y")
        await settle(pilot)
        assert rec_status(seeded, 1)[0] == "applied"
        table = app.dashboard.box("recommendations").table
        assert table.row_keys == ["2", "3"] and table.current_key == "2"  # cursor on the next row
        await pilot.press("u")
        await settle(pilot)
        assert rec_status(seeded, 1)[0] == "open"
        events = seeded.query("SELECT action, source FROM recommendation_events WHERE rec_id = 1 ORDER BY id")
        assert events["action"].to_list() == ["applied", "undone"]
        assert set(events["source"].to_list()) == {"tui"}


async def test_d_dismisses_and_the_cursor_stays_on_the_next_row(seeded):
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await goto_recs(pilot)
        await pilot.press("j", "d")
        await settle(pilot)
        assert rec_status(seeded, 2)[0] == "dismissed"
        assert rec_status(seeded, 1)[0] == "open" and rec_status(seeded, 3)[0] == "open"
        table = app.dashboard.box("recommendations").table
        assert table.row_keys == ["1", "3"] and table.current_key == "3"
        assert app.focused is table


@pytest.mark.parametrize(("key", "hours"), [("1", 1), ("2", 24), ("3", 168)])
async def test_s_snoozes_for_the_chosen_time(seeded, key, hours):
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await goto_recs(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert type(app.screen).__name__ == "SnoozeChoice"
        await pilot.press(key)
        await settle(pilot)
        status, until = rec_status(seeded, 1)
        assert status == "snoozed" and until == NOW + dt.timedelta(hours=hours)
        assert "1" not in app.dashboard.box("recommendations").table.row_keys


async def test_escape_cancels_snooze_and_undo_with_nothing_says_so(seeded):
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await goto_recs(pilot)
        await pilot.press("s", "escape")
        await settle(pilot)
        assert rec_status(seeded, 1)[0] == "open"
        await pilot.press("u")
        await pilot.pause(0.3)
        assert app.last_message == "Nothing to undo."


async def test_triage_survives_a_restart(seeded):
    """Written at once: a new app on the same file sees the dismissal."""
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await goto_recs(pilot)
        await pilot.press("d")
        await settle(pilot)
    app2 = make_app(seeded)
    async with app2.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app2.dashboard.box("recommendations").table.row_keys == ["2", "3"]


def pattern_row(store, error_hash: str) -> dict:
    return store.query(
        "SELECT success_count, failure_count, confidence_score, solution, version FROM error_patterns "
        "WHERE error_hash = ?",
        [error_hash],
    ).to_dicts()[0]


async def open_editor(pilot):
    """Press `e` on the selected pattern; the solution editor's text area."""
    await pilot.press("e")
    await pilot.pause()
    return pilot.app.screen.query_one("TextArea")


def editor_title(app) -> str:
    return str(app.screen.query_one(".modal-body").border_title)


async def goto_pattern(pilot, error_hash: str) -> None:
    await pilot.press("tab", "tab", "tab")
    dash = pilot.app.dashboard
    assert dash.active_pane == "patterns"
    table = dash.box("patterns").table
    await pilot.press("g")
    for _ in range(table.row_count):
        if table.current_key == error_hash:
            return
        await pilot.press("j")
    raise AssertionError(f"{error_hash} not in the patterns pane: {table.row_keys}")


@pytest.mark.parametrize(("key", "worked"), [("y", True), ("n", False)])
async def test_y_and_n_record_the_fix_outcome_and_confidence_moves(seeded, key, worked):
    before = pattern_row(seeded, H_TIMEOUT)
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await goto_pattern(pilot, H_TIMEOUT)
        await pilot.press(key)
        await settle(pilot)
        after = pattern_row(seeded, H_TIMEOUT)
        fixes = seeded.query("SELECT count(*) FROM fix_history WHERE error_hash = ?", [H_TIMEOUT]).item()
        assert fixes == 1  # written at once, through the patterns engine
        moved = (
            after["confidence_score"] > before["confidence_score"]
            if worked
            else (after["confidence_score"] < before["confidence_score"])
        )
        assert moved
        last = seeded.query(
            "SELECT success FROM fix_history WHERE error_hash = ? ORDER BY applied_at DESC, id DESC LIMIT 1",
            [H_TIMEOUT],
        ).item()
        assert last is worked
        assert "confidence" in app.last_message and "→" in app.last_message
        # the cursor moved on to the next pattern to judge, and the pane shows the new figure
        box = app.dashboard.box("patterns")
        keys = box.table.row_keys
        assert box.table.current_key == keys[min(keys.index(H_TIMEOUT) + 1, len(keys) - 1)]
        row = next(r for r in box.rows if r.key == H_TIMEOUT)
        assert row.confidence == pytest.approx(after["confidence_score"])


async def test_e_saves_a_new_solution_version(seeded):
    before = pattern_row(seeded, H_TIMEOUT)
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await goto_pattern(pilot, H_TIMEOUT)
        area = await open_editor(pilot)
        assert type(app.screen).__name__ == "EditSolution"
        assert area.text == "raise proxy_read_timeout"  # starts from the current solution
        assert "v1 → v2" in editor_title(app)
        area.text = "raise proxy_read_timeout to 60s and restart nginx"
        await pilot.press("ctrl+s")
        await settle(pilot)
        after = pattern_row(seeded, H_TIMEOUT)
        assert after["solution"] == "raise proxy_read_timeout to 60s and restart nginx"
        assert before["version"] == 1 and after["version"] == 2
        assert "v2" in app.last_message
        versions = seeded.query(
            "SELECT version, solution FROM pattern_versions WHERE error_hash = ? ORDER BY version", [H_TIMEOUT]
        ).rows()
        assert versions == [(1, "raise proxy_read_timeout"), (2, "raise proxy_read_timeout to 60s and restart nginx")]
        # esc discards
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert pattern_row(seeded, H_TIMEOUT)["solution"] == after["solution"]


async def test_r_runs_root_cause_analysis_in_a_worker_and_shows_the_result(seeded):
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await goto_pattern(pilot, H_REDIS)
        await pilot.press("r")
        for _ in range(50):
            await pilot.pause(0.1)
            if type(app.screen).__name__ == "DetailScreen":
                break
        await settle(pilot, rounds=3)
        assert type(app.screen).__name__ == "DetailScreen"
        text = screen_text(app)
        assert "Root-cause analysis" in text  # its section, scrolled into view at the page's end
        # no model configured in the test home: the built-in playbook is the answer, said plainly, and no
        # model is named as if it had run
        assert "no model configured" in text and "Fallback" in text and "Run " not in text
        assert "(none yet" not in text


async def test_r_inside_details_shows_progress_and_the_result_in_place(seeded):
    app = make_app(seeded)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await goto_pattern(pilot, H_REDIS)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "DetailScreen"
        screen.show_progress("looking in the cache")  # what the worker reports, shown in place
        await pilot.pause(0.2)
        assert "running: looking in the cache (esc cancels)" in screen_text(app)
        screen.running = None
        await pilot.press("r")
        await settle(pilot, rounds=3)
        text = screen_text(app)
        assert "no model configured" in text and "(esc cancels)" not in text and app.screen is screen
        assert "Root-cause analysis" in text and "1) Check that the service" in text  # scrolled into view


async def test_e_without_a_solution_starts_from_the_playbook_and_saves_v1(seeded):
    from analytics.patterns.playbooks import playbook_for

    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await goto_pattern(pilot, H_HOSTILE)
        area = await open_editor(pilot)
        assert area.text == playbook_for("general_error").as_text()
        assert "built-in playbook → v1" in editor_title(app)
        await pilot.press("ctrl+s")  # unchanged: nothing is saved
        await settle(pilot)
        assert pattern_row(seeded, H_HOSTILE)["solution"] is None
        (await open_editor(pilot)).text = "restart the worker pool"
        await pilot.press("ctrl+s")
        await settle(pilot)
        row = pattern_row(seeded, H_HOSTILE)
        assert row["solution"] == "restart the worker pool" and row["version"] == 1


async def test_palette_outcome_moves_to_the_patterns_pane_and_names_the_pattern(seeded):
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.dashboard.active_pane == "predictions"
        app._palette_run("fix_worked")
        await settle(pilot)
        assert app.dashboard.active_pane == "patterns"
        judged = seeded.query("SELECT error_hash FROM fix_history ORDER BY id DESC LIMIT 1").item()
        row = next(r for r in app.dashboard.box("patterns").rows if r.key == judged)
        assert "Fix worked recorded" in app.last_message
        assert f"— {row.error_type}: " in app.last_message


async def test_a_d_s_u_work_inside_a_recommendations_details(seeded):
    """Every action of a row is available from its details; the details reload to show the new status."""
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await goto_recs(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "DetailScreen" and app.screen.kind == "recommendation"
        key = int(app.screen.key)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("2")  # the snooze choice's second option
        await settle(pilot)
        assert rec_status(seeded, key)[0] == "snoozed"
        assert "until" in screen_text(app)  # the details show the new status
        await pilot.press("u")
        await settle(pilot)
        assert rec_status(seeded, key)[0] == "open"
        await pilot.press("d")
        await settle(pilot)
        assert rec_status(seeded, key)[0] == "dismissed"
        await pilot.press("u", "a")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmApply"
        await pilot.press("y")
        await settle(pilot)
        assert rec_status(seeded, key)[0] == "applied" and type(app.screen).__name__ == "DetailScreen"
