"""Quick tab presses move through the panes in order; the tab strip and the shown pane agree (80x24)."""

from __future__ import annotations

import pytest
from tui_support import NOW, first_read_shown, fixed_vitals

from lokifi_tui.app import LokifiApp
from lokifi_tui.widgets.panes import PANES

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # measured: 4 s in all


async def _settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.wait_for_scheduled_animations()


async def test_fast_tabs_do_not_bounce(seeded):
    store = seeded
    app = LokifiApp(store.path, vitals=fixed_vitals, collect=False, now=NOW, refresh=0.3)
    async with app.run_test(size=(80, 24)) as pilot:
        await first_read_shown(pilot)
        order = []
        for _ in range(6):
            dash = app.dashboard
            dash.action_next_pane()  # two presses handled back to back, before the
            dash.action_next_pane()  # tab strip's own messages about the first arrive
            await _settle(pilot)
            assert dash.query_one("#pane-tabs").active == f"tab-{dash.active_pane}"
            order.append(dash.active_pane)
        start = PANES.index(order[0])
        assert order == [PANES[(start + 2 * k) % len(PANES)] for k in range(6)]


@pytest.mark.parametrize("size", [(80, 24), (180, 40)])
async def test_number_keys_show_the_pane_of_that_place_in_the_strip(seeded, size):
    """`1`-`4` go straight to the pane of that place in the tab strip: at 80x24 the strip and the shown pane
    follow, in the grid the pane's rows take the focus; a digit typed in the filter is the filter's."""
    app = LokifiApp(seeded.path, vitals=fixed_vitals, collect=False, now=NOW, refresh=0.3)
    async with app.run_test(size=size) as pilot:
        await first_read_shown(pilot)
        dash = app.dashboard
        for key in "3142":
            await pilot.press(key)
            await _settle(pilot)
            pane = PANES[int(key) - 1]
            assert dash.active_pane == pane
            assert app.focused is dash.box(pane).table
            if size == (80, 24):
                assert dash.query_one("#pane-tabs").active == f"tab-{pane}"
        await pilot.press("slash", "3")
        await _settle(pilot)
        assert dash.active_pane == "forecast" and dash.query_one("#filter").value == "3"
