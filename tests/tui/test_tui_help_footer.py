"""Help lists the product's keys only (no Textual-internal ones), the pane in use first, with its closing
key on the border; at 80 columns the footer keeps `q Quit` and `? Help` in every pane."""

from __future__ import annotations

import pytest
from tui_support import NOW, fixed_vitals, screen_text, settle

from lokifi_tui.app import LokifiApp

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # measured: 3 s in all

TEXTUAL_KEYS = ("Copy selected text", "Quit the app", "Previous tab", "Next tab", "Page Left", "Cursor left")


async def test_help_and_footer_at_80x24(seeded):
    store = seeded
    app = LokifiApp(store.path, vitals=fixed_vitals, collect=False, now=NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(4):
            footer = screen_text(app).splitlines()[-1]
            assert "q Quit" in footer and "? Help" in footer, footer
            await pilot.press("tab")
            await pilot.pause()
        # on the patterns pane: its keys come first in the help
        while app.dashboard.active_pane != "patterns":
            await pilot.press("tab")
            await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        assert (
            "esc closes" in text and "Patterns pane" in text and "Record that the selected pattern's fix worked" in text
        )
        assert not [k for k in TEXTUAL_KEYS if k in text]
        await pilot.press("escape")


async def test_a_detail_screens_keys_are_in_the_table_remapped_and_in_its_help(seeded):
    """The detail screen answers to the dashboard's triage keys under their ids (one remap moves both), its
    own keys are remappable too, and `?` there lists them at 80x24 with the closing key on the border."""
    store = seeded
    config = {"keymap": {"fix_worked": "W", "detail.back": "b,escape"}}
    app = LokifiApp(store.path, config=config, vitals=fixed_vitals, collect=False, now=NOW)
    assert app.config_problems == []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        while app.dashboard.active_pane != "patterns":
            await pilot.press("tab")
            await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "DetailScreen" and app.screen.kind == "pattern"
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        assert "esc closes" in text and "Back to the dashboard" in text and "Scroll down" in text
        worked = next(line for line in text.splitlines() if "fix worked" in line)
        assert " W " in worked and " y " not in worked
        assert "Dismiss" not in text  # a pattern's page: the recommendation keys do not apply
        assert not [k for k in TEXTUAL_KEYS if k in text]
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("W")
        await settle(pilot)
        assert app.last_message.startswith("Fix worked recorded")
        await pilot.press("b")
        await pilot.pause()
        assert app.screen is app.dashboard


async def test_the_footer_follows_the_terminal_width_both_ways(seeded):
    """Narrower than 100 columns the footer drops the palette key so that every other key stays; wider,
    it shows it again — on a resize too, not only at start."""
    store = seeded
    app = LokifiApp(store.path, vitals=fixed_vitals, collect=False, now=NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "^p palette" in screen_text(app).splitlines()[-1]
        for size, palette in (((80, 24), False), ((120, 40), True), ((90, 30), False)):
            await pilot.resize_terminal(*size)
            await settle(pilot)
            footer = screen_text(app).splitlines()[-1]
            assert ("^p palette" in footer) is palette, (size, footer)
            assert "q Quit" in footer and "? Help" in footer, (size, footer)
