"""Every triage key, pressed in the real app, changes the store as it should (through the real engines)."""

from __future__ import annotations

import datetime as dt

import pytest
from tui_support import (
    H_HOSTILE,
    H_REDIS,
    H_TIMEOUT,
    NOW,
    first_read_shown,
    fixed_vitals,
    screen_text,
    wait_until,
)

from lokifi_tui.app import LokifiApp

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # measured: 38 s in all


def make_app(store) -> LokifiApp:
    return LokifiApp(store.path, vitals=fixed_vitals, collect=False, now=NOW, refresh=0.3)


async def until(pilot, condition, what: str) -> None:
    """Wait until ``condition()`` shows on screen and no worker (the action, a re-read, a details read) is
    left running; never for a fixed time."""
    await wait_until(pilot, lambda: condition() and not pilot.app.workers, what=what)


async def on_top(pilot, name: str) -> None:
    await until(pilot, lambda: type(pilot.app.screen).__name__ == name, f"{name} on top")


def said(app, start: str):
    return lambda: app.last_message.startswith(start)


def detail_shown(app, kind: str) -> bool:
    screen = app.screen
    return type(screen).__name__ == "DetailScreen" and screen.kind == kind and screen.detail is not None


def status_shown(screen, status: str) -> bool:
    """A recommendation's details, re-read after an action, show ``status``."""
    return screen.detail is not None and screen.detail.rec.status == status


def analysed(app) -> bool:
    """A pattern's details are on top with the root-cause analysis' answer (or its error) in them."""
    screen = app.screen
    return (
        detail_shown(app, "pattern")
        and screen.running is None
        and (screen.analysis is not None or screen.analysis_error is not None)
    )


def rec_status(store, rec_id: int) -> tuple[str, dt.datetime | None]:
    row = store.query("SELECT status, snoozed_until FROM smart_recommendations WHERE id = ?", [rec_id]).row(0)
    return row[0], row[1]


async def goto_recs(pilot) -> None:
    await pilot.press("tab", "tab")
    assert pilot.app.dashboard.active_pane == "recommendations"


async def apply_first(pilot, seeded) -> None:
    """On the recommendations pane, a on its first row, and y to the confirmation."""
    await first_read_shown(pilot)
    await goto_recs(pilot)
    await pilot.press("a")
    await on_top(pilot, "ConfirmApply")
    assert rec_status(seeded, 1)[0] == "open"  # nothing written before the answer
    await pilot.press("y")


async def test_a_applies_after_confirmation_and_u_undoes(seeded):
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await apply_first(pilot, seeded)
        table = app.dashboard.box("recommendations").table
        await until(pilot, lambda: said(app, "Applied:")() and table.row_keys == ["2", "3"], "the applied row gone")
        assert rec_status(seeded, 1)[0] == "applied"
        assert table.current_key == "2"  # cursor on the next row
        await pilot.press("u")
        await until(pilot, lambda: said(app, "Undone:")() and "1" in table.row_keys, "the row back")
        assert rec_status(seeded, 1)[0] == "open"
        events = seeded.query("SELECT action, source FROM recommendation_events WHERE rec_id = 1 ORDER BY id")
        assert events["action"].to_list() == ["applied", "undone"]
        assert set(events["source"].to_list()) == {"tui"}
        # its details tell the history in sentences, as `lokifi recs history` does
        await pilot.press("g", "enter")
        await until(pilot, lambda: detail_shown(app, "recommendation"), "the recommendation's details")
        text = screen_text(app)
        assert "Marked applied in the dashboard." in text
        assert "The apply was undone in the dashboard: open again." in text and "undid" not in text
        assert "HIGH" in text.split("Priority", 1)[1].splitlines()[0]  # the CLI's word, not 1


async def test_d_dismisses_and_the_cursor_stays_on_the_next_row(seeded):
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_read_shown(pilot)
        await goto_recs(pilot)
        await pilot.press("j", "d")
        table = app.dashboard.box("recommendations").table
        await until(pilot, lambda: said(app, "Dismissed:")() and table.row_keys == ["1", "3"], "the row gone")
        assert rec_status(seeded, 2)[0] == "dismissed"
        assert rec_status(seeded, 1)[0] == "open" and rec_status(seeded, 3)[0] == "open"
        assert table.current_key == "3"
        assert app.focused is table


async def test_d_pressed_fast_dismisses_one_row_each_and_a_stale_row_is_said_in_words(seeded):
    """`d d d` in one burst acted on the same row three times (the list is re-read after each), and said
    'dismiss failed: BadTransition: …'. Each press now acts on the next row; a row dismissed meanwhile
    (another dashboard, a stale press) is said in words."""
    from lokifi_tui import triage

    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_read_shown(pilot)
        await goto_recs(pilot)
        told: list[str] = []
        say = app.say
        app.say = lambda text, **kw: (told.append(text), say(text, **kw))[1]  # type: ignore[method-assign]
        await pilot.press("d", "d", "d")
        table = app.dashboard.box("recommendations").table
        await until(pilot, lambda: table.row_keys == [], "every row dismissed")
        assert [rec_status(seeded, k)[0] for k in (1, 2, 3)] == ["dismissed"] * 3
        app.dashboard.row_actions._triage("dismiss", triage.dismiss_recommendation, 1, "x", app.action_now)
        await until(pilot, lambda: "dismiss: recommendation 1 is already dismissed" in told, "the stale press said")
        assert not any("BadTransition" in m or "failed" in m for m in told), told


@pytest.mark.parametrize(("key", "hours"), [("1", 1), ("2", 24), ("3", 168)])
async def test_s_snoozes_for_the_chosen_time(seeded, key, hours):
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_read_shown(pilot)
        await goto_recs(pilot)
        await pilot.press("s")
        await on_top(pilot, "SnoozeChoice")
        await pilot.press(key)
        table = app.dashboard.box("recommendations").table
        await until(pilot, lambda: said(app, "Snoozed")() and "1" not in table.row_keys, "the snoozed row gone")
        status, snoozed_until = rec_status(seeded, 1)
        assert status == "snoozed" and snoozed_until == NOW + dt.timedelta(hours=hours)


async def test_escape_cancels_snooze_and_undo_with_nothing_says_so(seeded):
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_read_shown(pilot)
        await goto_recs(pilot)
        await pilot.press("s", "escape")
        await until(pilot, lambda: app.screen is app.dashboard, "the snooze choice closed")
        assert rec_status(seeded, 1)[0] == "open"
        await pilot.press("u")
        await until(pilot, lambda: app.last_message == "Nothing to undo.", "the answer to u")


async def test_triage_survives_a_restart(seeded):
    """Written at once: a new app on the same file sees the dismissal."""
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_read_shown(pilot)
        await goto_recs(pilot)
        await pilot.press("d")
        table = app.dashboard.box("recommendations").table
        await until(pilot, lambda: said(app, "Dismissed:")() and "1" not in table.row_keys, "the row gone")
    app2 = make_app(seeded)
    async with app2.run_test(size=(120, 40)) as pilot:
        await first_read_shown(pilot)
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
    await on_top(pilot, "EditSolution")
    return pilot.app.screen.query_one("TextArea")


def editor_title(app) -> str:
    return str(app.screen.query_one(".modal-body").border_title)


async def goto_pattern(pilot, error_hash: str) -> None:
    await pilot.press("tab", "tab", "tab")
    await goto_pattern_here(pilot, error_hash)


async def goto_pattern_here(pilot, error_hash: str) -> None:
    """The cursor on ``error_hash``'s row of the patterns pane (the active pane)."""
    dash = pilot.app.dashboard
    assert dash.active_pane == "patterns"
    table = dash.box("patterns").table
    await pilot.press("g")
    for _ in range(table.row_count):
        if table.current_key == error_hash:
            return
        await pilot.press("j")
    raise AssertionError(f"{error_hash} not in the patterns pane: {table.row_keys}")


async def open_pattern(pilot, error_hash: str):
    """From the first read: ``error_hash``'s details, read and shown; the details screen."""
    await first_read_shown(pilot)
    await goto_pattern(pilot, error_hash)
    await pilot.press("enter")
    await until(pilot, lambda: detail_shown(pilot.app, "pattern"), "the pattern's details")
    return pilot.app.screen


@pytest.mark.parametrize(("key", "worked"), [("y", True), ("n", False)])
async def test_y_and_n_record_the_fix_outcome_and_confidence_moves(seeded, key, worked):
    before = pattern_row(seeded, H_TIMEOUT)
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_read_shown(pilot)
        await goto_pattern(pilot, H_TIMEOUT)
        await pilot.press(key)
        box = app.dashboard.box("patterns")

        def shown_confidence():
            return next(r for r in box.rows if r.key == H_TIMEOUT).confidence

        await until(
            pilot,
            lambda: "→" in app.last_message and shown_confidence() != pytest.approx(before["confidence_score"]),
            "the new confidence in the pane",
        )
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
        keys = box.table.row_keys
        assert box.table.current_key == keys[min(keys.index(H_TIMEOUT) + 1, len(keys) - 1)]
        assert shown_confidence() == pytest.approx(after["confidence_score"])


async def test_e_saves_a_new_solution_version(seeded):
    before = pattern_row(seeded, H_TIMEOUT)
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_read_shown(pilot)
        await goto_pattern(pilot, H_TIMEOUT)
        area = await open_editor(pilot)
        assert type(app.screen).__name__ == "EditSolution"
        # starts from the current solution, kept, with the cursor on a new line after it: typing adds a step
        assert area.text.strip() == "raise proxy_read_timeout"
        assert "v1 → v2" in editor_title(app)
        await pilot.press(*"then restart nginx")
        await pilot.press("ctrl+s")
        await until(pilot, said(app, "Solution saved"), "the saved solution")
        after = pattern_row(seeded, H_TIMEOUT)
        assert after["solution"] == "raise proxy_read_timeout\nthen restart nginx"
        assert before["version"] == 1 and after["version"] == 2
        assert "v2" in app.last_message
        versions = seeded.query(
            "SELECT version, solution FROM pattern_versions WHERE error_hash = ? ORDER BY version", [H_TIMEOUT]
        ).rows()
        assert versions == [(1, "raise proxy_read_timeout"), (2, "raise proxy_read_timeout\nthen restart nginx")]
        # esc discards
        await pilot.press("e")
        await on_top(pilot, "EditSolution")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.dashboard, "the editor closed")
        assert pattern_row(seeded, H_TIMEOUT)["solution"] == after["solution"]


async def test_r_runs_root_cause_analysis_in_a_worker_and_shows_the_result(seeded):
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_read_shown(pilot)
        await goto_pattern(pilot, H_REDIS)
        await pilot.press("r")
        await until(pilot, lambda: analysed(app) and "Root-cause analysis" in screen_text(app), "the analysis shown")
        text = screen_text(app)  # its section, scrolled into view at the page's end
        # no model configured in the test home: the built-in playbook is the answer, said plainly, and no
        # model is named as if it had run
        assert "no model configured" in text and "Fallback" in text and "Run " not in text
        assert "(none yet" not in text


async def test_r_inside_details_shows_progress_and_the_result_in_place(seeded):
    app = make_app(seeded)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_pattern(pilot, H_REDIS)
        screen.show_progress("looking in the cache")  # what the worker reports, shown in place
        await until(
            pilot, lambda: "running: looking in the cache (esc cancels)" in screen_text(app), "the progress in place"
        )
        screen.running = None
        await pilot.press("r")
        await until(pilot, lambda: analysed(app) and "1) Check that the service" in screen_text(app), "the analysis")
        text = screen_text(app)
        assert "no model configured" in text and "(esc cancels)" not in text and app.screen is screen
        assert "Root-cause analysis" in text and "1) Check that the service" in text  # scrolled into view


async def test_u_after_saving_a_solution_says_it_is_kept_and_does_not_undo_an_older_action(seeded):
    """Apply a recommendation, then save a solution, then u: it undid the apply, on another pane, and said
    nothing of the solution. It now says that the solution is kept; u again undoes the apply."""
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await apply_first(pilot, seeded)
        await until(pilot, lambda: rec_status(seeded, 1)[0] == "applied", "the recommendation applied")
        await pilot.press("tab")
        await goto_pattern_here(pilot, H_TIMEOUT)
        (await open_editor(pilot)).text = "restart nginx"
        await pilot.press("ctrl+s")
        await until(pilot, said(app, "Solution saved"), "the saved solution")
        await pilot.press("u")
        await until(pilot, said(app, "The last action (edit solution) is kept"), "u said so")
        assert rec_status(seeded, 1)[0] == "applied"
        await pilot.press("u")
        await until(pilot, lambda: rec_status(seeded, 1)[0] == "open", "the apply undone by the second u")
        assert pattern_row(seeded, H_TIMEOUT)["solution"] == "restart nginx"


async def test_e_without_a_solution_starts_from_the_playbook_and_saves_v1(seeded):
    from analytics.patterns.playbooks import playbook_for

    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_read_shown(pilot)
        await goto_pattern(pilot, H_HOSTILE)
        area = await open_editor(pilot)
        assert area.text == playbook_for("general_error").as_text()
        assert "built-in playbook → v1" in editor_title(app)
        await pilot.press("ctrl+s")  # unchanged: nothing is saved
        await until(pilot, lambda: app.screen is app.dashboard, "the editor closed")
        assert pattern_row(seeded, H_HOSTILE)["solution"] is None
        # the playbook is a suggestion, selected: what is typed replaces it (it was glued before its first
        # step, the cursor at the start)
        await open_editor(pilot)
        await pilot.press(*"restart the worker pool")
        await pilot.press("ctrl+s")
        await until(pilot, said(app, "Solution saved"), "the saved solution")
        row = pattern_row(seeded, H_HOSTILE)
        assert row["solution"] == "restart the worker pool" and row["version"] == 1


async def test_an_arrow_key_keeps_the_playbook_to_edit_it(seeded):
    from analytics.patterns.playbooks import playbook_for

    playbook = playbook_for("general_error").as_text()
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await first_read_shown(pilot)
        await goto_pattern(pilot, H_HOSTILE)
        area = await open_editor(pilot)
        assert "typing replaces the playbook" in screen_text(app)
        await pilot.press("right", "enter", *"restart the worker pool")  # → ends the selection at the end
        await pilot.press("ctrl+s")
        await until(pilot, said(app, "Solution saved"), "the saved solution")
        assert area.text == playbook + "\nrestart the worker pool"
        assert pattern_row(seeded, H_HOSTILE)["solution"] == playbook.strip() + "\nrestart the worker pool"


def palette_titles(app, screen) -> set[str]:
    return {cmd.title for cmd in app.get_system_commands(screen)}


async def test_the_palette_offers_what_the_screen_shows_and_acts_on_it(seeded):
    """The palette acted on a row of another pane, unseen (Snooze from a pattern's details snoozed a
    recommendation for 7 days). It now offers the active pane's row actions and the ones that act
    anywhere; on a details screen, what its keys do to its item, and runs them there."""
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_read_shown(pilot)
        assert app.dashboard.active_pane == "predictions"
        titles = palette_titles(app, app.dashboard)
        assert {"Mute", "Undo", "Filter", "Refresh", "Next pane", "Details"} <= titles
        assert not titles & {"Worked", "Failed", "Apply", "Dismiss", "Snooze", "Edit fix"}
        await goto_pattern(pilot, H_TIMEOUT)
        titles = palette_titles(app, app.dashboard)
        assert {"Worked", "Failed", "Edit fix", "Root cause", "Mute"} <= titles and "Snooze" not in titles
        app._palette_run(app.dashboard, "fix_worked")
        await until(pilot, said(app, "Fix worked recorded"), "the outcome recorded")
        judged = seeded.query("SELECT error_hash FROM fix_history ORDER BY id DESC LIMIT 1").item()
        assert judged == H_TIMEOUT and app.dashboard.active_pane == "patterns"
        await pilot.press("enter")
        await until(pilot, lambda: detail_shown(app, "pattern"), "the pattern's details")
        titles = palette_titles(app, app.screen)
        assert {"Worked", "Failed", "Root cause", "Back"} <= titles
        assert not titles & {"Apply", "Dismiss", "Snooze", "Next pane", "Filter"}
        recs = seeded.query("SELECT count(*) FROM smart_recommendations WHERE status <> 'open'").item()
        shown = app.screen.key
        app._palette_run(app.screen, "fix_failed")
        await until(pilot, said(app, "Fix failed recorded"), "the outcome recorded on the shown pattern")
        assert seeded.query("SELECT error_hash FROM fix_history ORDER BY id DESC LIMIT 1").item() == shown
        assert seeded.query("SELECT count(*) FROM smart_recommendations WHERE status <> 'open'").item() == recs


async def test_a_d_s_u_work_inside_a_recommendations_details(seeded):
    """Every action of a row is available from its details; the details reload to show the new status."""
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_read_shown(pilot)
        await goto_recs(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: detail_shown(app, "recommendation"), "the recommendation's details")
        screen = app.screen
        key = int(screen.key)
        await pilot.press("s")
        await on_top(pilot, "SnoozeChoice")
        await pilot.press("2")  # the snooze choice's second option
        await until(pilot, lambda: status_shown(screen, "snoozed"), "the details' new status")
        assert rec_status(seeded, key)[0] == "snoozed"
        assert "until" in screen_text(app)  # the details show the new status
        await pilot.press("u")
        await until(pilot, lambda: status_shown(screen, "open"), "the details' new status")
        assert rec_status(seeded, key)[0] == "open"
        await pilot.press("d")
        await until(pilot, lambda: status_shown(screen, "dismissed"), "the details' new status")
        assert rec_status(seeded, key)[0] == "dismissed"
        await pilot.press("u", "a")
        await on_top(pilot, "ConfirmApply")
        await pilot.press("y")
        await until(pilot, lambda: status_shown(screen, "applied"), "the details' new status")
        assert rec_status(seeded, key)[0] == "applied" and app.screen is screen


async def mute_for(pilot, key: str, span: str) -> None:
    """``m`` on the selected row, then the time picked by ``key``: the mute is said."""
    await pilot.press("m")
    await on_top(pilot, "SnoozeChoice")
    await pilot.press(key)
    await until(pilot, said(pilot.app, f"Muted for {span}"), "the mute said")


async def test_m_mutes_the_selected_pattern_and_u_unmutes_it(seeded):
    """An expected error's pattern muted from the dashboard: for the time picked, no prediction or alert."""
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_read_shown(pilot)
        await goto_pattern(pilot, H_TIMEOUT)
        await mute_for(pilot, "2", "1d")
        rows = seeded.query("SELECT until FROM pattern_mutes WHERE fingerprint = ?", [H_TIMEOUT])
        assert rows["until"].to_list() == [NOW + dt.timedelta(days=1)]

        def shown_muted() -> bool:
            return next(r for r in app.dashboard.box("patterns").rows if r.key == H_TIMEOUT).muted

        await until(pilot, shown_muted, "the row says muted")
        assert "muted to" in screen_text(app)
        await pilot.press("u")
        await until(pilot, lambda: said(app, "Undone: mute")() and not shown_muted(), "the undo said and shown")
        assert seeded.query("SELECT count(*) FROM pattern_mutes").item() == 0


async def test_a_mute_set_on_a_patterns_details_shows_on_them_and_in_the_list_on_return(seeded):
    """Muted from a pattern's details at 80x24: the details did not say so, and the list showed the row
    unmuted until its next refresh (3-4 s). The details say until when; back on the list (whose refresh
    is an hour away here), the row says muted in the first frame, and its message keeps the column."""
    app = LokifiApp(seeded.path, vitals=fixed_vitals, collect=False, now=NOW, refresh=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_pattern(pilot, H_TIMEOUT)
        assert "Muted" not in screen_text(app)
        await mute_for(pilot, "1", "1h")
        await until(pilot, lambda: screen.detail.pattern.muted, "the details re-read")
        text = screen_text(app)
        assert f"Muted          until {NOW + dt.timedelta(hours=1):%Y-%m-%d %H:%M} UTC" in text
        assert "m then 0 unmutes it" in text
        # the re-read the mute asked for ran under the details: the list is current before it shows again
        assert next(r for r in app.dashboard.box("patterns").rows if r.key == H_TIMEOUT).muted
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.dashboard
        line = next(ln for ln in screen_text(app).splitlines() if "muted" in ln)
        assert "muted upstream timed out after <DUR>" in line and "muted to" not in line


def mute_everywhere(seeded) -> None:
    """H_TIMEOUT muted on every host until unmuted, since a day ("known")."""
    seeded.execute(
        "INSERT INTO pattern_mutes (fingerprint, host, muted_at, until, reason) VALUES (?, '', ?, NULL, 'known')",
        [H_TIMEOUT, NOW - dt.timedelta(days=1)],
    )


async def test_m_then_0_unmutes_a_muted_pattern_and_u_mutes_it_again(seeded):
    """No key unmuted a pattern in the dashboard (only the undo of a mute just set). On a muted pattern the
    picker offers 0 unmute; on one that is not muted it does not, and 0 does nothing."""
    mute_everywhere(seeded)
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await first_read_shown(pilot)
        await goto_pattern(pilot, H_TIMEOUT)
        await pilot.press("m")
        await on_top(pilot, "SnoozeChoice")
        assert "0  unmute" in screen_text(app)
        await pilot.press("0")
        await until(pilot, said(app, "Unmuted on every host"), "the unmute said")
        assert seeded.query("SELECT count(*) FROM pattern_mutes").item() == 0

        def shown_muted() -> bool:
            return next(r for r in app.dashboard.box("patterns").rows if r.key == H_TIMEOUT).muted

        await until(pilot, lambda: not shown_muted(), "the row unmuted")
        await pilot.press("m")
        await on_top(pilot, "SnoozeChoice")
        assert "unmute" not in screen_text(app)
        await pilot.press("0")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "SnoozeChoice"  # 0 is not a choice here
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.dashboard, "the picker closed")
        await pilot.press("u")
        await until(pilot, shown_muted, "the undo muted it again")
        assert seeded.query("SELECT reason, until FROM pattern_mutes").rows() == [("known", None)]


async def test_the_mute_picker_names_every_host_only_in_a_fleet(seeded):
    """With one host's rows in the store "on every host" says nothing, and the picker leaves it out; in a
    store with several hosts it says the mute holds on every host."""
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_read_shown(pilot)
        assert app.dashboard.hosts_known() == ["box"]
        await goto_pattern(pilot, H_TIMEOUT)
        await pilot.press("m")
        await on_top(pilot, "SnoozeChoice")
        assert "every host" not in screen_text(app) and "only" not in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.dashboard, "the picker closed")
        app.dashboard.hosts_known = lambda: ["box", "ct-1"]  # what a fleet's store gives
        await pilot.press("m")
        await on_top(pilot, "SnoozeChoice")
        assert "on every host" in screen_text(app)


async def test_m_with_one_host_shown_mutes_on_that_host_only(seeded):
    """With H showing one host, `m` mutes the pattern there (the picker says so); its undo takes that mute
    away and leaves the every-host mute the pattern had."""
    mute_everywhere(seeded)
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_read_shown(pilot)
        app.dashboard.host_filter = "ct-1"
        await goto_pattern(pilot, H_TIMEOUT)
        await pilot.press("m")
        await on_top(pilot, "SnoozeChoice")
        assert "on host ct-1 only" in screen_text(app)
        await pilot.press("1")
        await until(pilot, said(app, "Muted on ct-1 for 1h"), "the mute said")
        rows = seeded.query("SELECT host, until FROM pattern_mutes WHERE fingerprint = ? ORDER BY host", [H_TIMEOUT])
        assert rows.rows() == [("", None), ("ct-1", NOW + dt.timedelta(hours=1))]
        await pilot.press("u")
        await until(pilot, said(app, "Undone: mute on ct-1"), "the undo said")
        assert seeded.query("SELECT host FROM pattern_mutes").rows() == [("",)]


async def test_a_mute_on_one_host_ends_with_every_host_shown_and_is_not_offered_elsewhere(seeded):
    """Muted on ct-1 only: with H showing another host the picker offers no unmute (it is not muted
    there); with every host shown, m 0 ends it (a host whose rows do not all show in H's cycle is not a
    dead end), and u puts it back."""
    seeded.execute(
        "INSERT INTO pattern_mutes (fingerprint, host, muted_at, until, reason) VALUES (?, 'ct-1', ?, NULL, 'x')",
        [H_TIMEOUT, NOW - dt.timedelta(days=1)],
    )
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_read_shown(pilot)
        app.dashboard.host_filter = "box"
        await goto_pattern(pilot, H_TIMEOUT)
        await pilot.press("m")
        await on_top(pilot, "SnoozeChoice")
        assert "unmute" not in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.dashboard, "the picker closed")
        app.dashboard.host_filter = ""
        await pilot.press("m")
        await on_top(pilot, "SnoozeChoice")
        await pilot.press("0")
        await until(pilot, said(app, "Unmuted on ct-1"), "the unmute said")
        assert seeded.query("SELECT count(*) FROM pattern_mutes").item() == 0
        await pilot.press("u")
        await until(pilot, said(app, "Undone: unmute on ct-1"), "the undo said")
        assert seeded.query("SELECT host, reason FROM pattern_mutes").rows() == [("ct-1", "x")]


async def test_m_on_a_recurring_prediction_mutes_its_pattern(seeded):
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_read_shown(pilot)
        dash = app.dashboard
        assert dash.active_pane == "predictions"
        table = dash.box("predictions").table
        rows = {r.key: r for r in dash.box("predictions").rows}
        await pilot.press("g")
        for _ in range(table.row_count):
            if rows[table.current_key].type == "recurring_error":
                break
            await pilot.press("j")
        row = rows[table.current_key]
        assert row.type == "recurring_error"
        await mute_for(pilot, "3", "7d")
        await until(pilot, lambda: row.key not in dash.box("predictions").table.row_keys, "the muted row gone")
        assert seeded.query("SELECT count(*) FROM pattern_mutes").item() == 1


def toasts(app) -> list[str]:
    """The toasts on the screen on top, oldest first, as they read."""
    return [str(t.render()) for t in app.screen.query("Toast")]


@pytest.mark.alone
@pytest.mark.parametrize(("size", "at_once"), [((80, 24), 1), ((120, 40), 3)])
async def test_toasts_leave_the_details_readable(seeded, size, at_once):
    """At 80x24 three quick outcomes stacked three toasts over the right half of a pattern's details; a
    small terminal shows the newest alone, a large one at most three."""
    app = make_app(seeded)
    async with app.run_test(size=size, notifications=True) as pilot:
        screen = await open_pattern(pilot, H_HOSTILE)
        for key, start in [("y", "Fix worked"), ("u", "Undone"), ("n", "Fix failed"), ("u", "Undone")]:
            await pilot.press(key)
            await until(pilot, lambda s=start: said(app, s)() and screen.detail is not None, f"{key} done")
            await wait_until(pilot, lambda s=start: toasts(app) and s in toasts(app)[-1], what="its toast")
            await pilot.pause()
            assert len(toasts(app)) <= at_once, toasts(app)  # at once: none of them has timed out yet
        assert len(toasts(app)) == at_once
        rows = sum(t.region.height + 1 for t in app.screen.query("Toast"))  # and the margin above each
        assert rows <= (4 if at_once == 1 else 12)
