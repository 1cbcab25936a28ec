"""The top bar names this machine's services that are down, first, in an 80-column pane: read from the
store's probe results (a real DuckDB file) as the dashboard reads it, the time moving on between reads."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from tui_support import NOW, fixed_vitals, screen_text, wait_until

from analytics.config.machine import this_host

pytestmark = pytest.mark.anyio


def _failing(store, components, since_s: int):
    rows = [(c, s) for c in components for s in (since_s, 5)]
    store.append(
        "probe_results",
        pl.DataFrame(
            {
                "ts": [NOW - dt.timedelta(seconds=s) for _, s in rows],
                "host": this_host(),
                "component": [c for c, _ in rows],
                "probe": "127.0.0.1:5432",
                "kind": "tcp",
                "target": "127.0.0.1:5432",
                "ok": False,
            },
            schema_overrides={"ts": pl.Datetime("us")},
        ),
    )


async def test_the_services_down_come_first_in_the_top_bar_at_80_columns(migrated, tmp_path):
    from lokifi_tui.app import LokifiApp

    store = migrated(tmp_path / "d.duckdb")
    _failing(store, ["postgres"], 190)
    app = LokifiApp(store.path, vitals=fixed_vitals, collect=False, now=NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: "down" in screen_text(app), what="the services down")
        stats = screen_text(app).splitlines()[1]
        assert stats.strip().startswith("✗ postgres down 3m  Patterns"), stats
        app.dashboard.rerender(NOW + dt.timedelta(minutes=4))  # no read: the time it has been down moves on
        await pilot.pause()
        assert "✗ postgres down 7m" in screen_text(app).splitlines()[1]


async def test_two_are_named_and_the_rest_counted(migrated, tmp_path):
    from lokifi_tui.app import LokifiApp

    store = migrated(tmp_path / "d.duckdb")
    _failing(store, ["api", "[red]db[/red]", "cache", "queue"], 60)
    app = LokifiApp(store.path, vitals=fixed_vitals, collect=False, now=NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: "down" in screen_text(app), what="the services down")
        stats = screen_text(app).splitlines()[1]
        assert stats.strip().startswith("✗ [red]db[/red] down 60s, api down 60s +2 more"), stats
