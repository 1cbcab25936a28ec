"""Help lists the product's keys only (no Textual-internal ones), the pane in use first, with its closing
key on the border; at 80 columns the footer keeps `q Quit` and `? Help` in every pane."""

from __future__ import annotations

import pytest

from lokifi_tui.app import LokifiApp
from tui_support import NOW, fixed_vitals, screen_text, seed_store, settle

pytestmark = pytest.mark.anyio

TEXTUAL_KEYS = ("Copy selected text", "Quit the app", "Previous tab", "Next tab", "Page Left", "Cursor left")


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_help_and_footer_at_80x24(tmp_path):
    store = seed_store(tmp_path / "s.duckdb")
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
        assert "esc closes" in text and "Patterns pane" in text and "Record that the selected pattern's fix worked" in text
        assert not [k for k in TEXTUAL_KEYS if k in text]
        await pilot.press("escape")
