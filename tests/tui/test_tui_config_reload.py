"""The dashboard's own collector takes a changed config file as `lokifi collect` does, and the dashboard
says so in one message: what changed, or why the file was not taken (a real config file, a real log,
the real collector in its worker)."""

from __future__ import annotations

import pytest
from tui_support import fixed_vitals, screen_text, wait_until

from analytics.config.settings import load_config
from lokifi_tui.app import LokifiApp

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # measured: 13 s


async def test_a_changed_config_is_taken_by_the_dashboards_collector_and_said(tmp_path):
    api, web = tmp_path / "api.log", tmp_path / "web.log"
    api.write_text("")
    web.write_text("")
    toml = tmp_path / "lokifi.toml"
    toml.write_text(f'[[components]]\nname = "api"\nlogs = ["{api}"]\n')
    app = LokifiApp(
        tmp_path / "c.duckdb", config=load_config(toml), vitals=fixed_vitals, collect=True, config_file=toml
    )

    def tails() -> list[str]:
        col = app._collector
        return [s.path for src in (col.sources if col else ()) for s in getattr(src, "specs", ())]

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: "● collecting" in screen_text(app).splitlines()[0], 60, "collecting")
        good = toml.read_text() + f'[[components]]\nname = "web"\nlogs = ["{web}"]\n'
        toml.write_text(good)
        await wait_until(pilot, lambda: app.last_message.startswith("Config reloaded"), 30, "the reload said")
        assert app.last_message == f"Config reloaded: components: + web (logs {web})"
        await wait_until(pilot, lambda: str(web) in tails(), 30, "the added log followed")
        assert [c.name for c in app.config.components] == ["api", "web"]  # the panes' config too

        toml.write_text(good + '[[components]\nname = "db"\n')  # a typo: not taken
        await wait_until(pilot, lambda: app.last_message.startswith("Config not reloaded"), 30, "the refusal")
        assert f"{toml}:7: TOML syntax error" in app.last_message
        assert "still using the one read at" in app.last_message
        assert [c.name for c in app.config.components] == ["api", "web"] and str(web) in tails()

        toml.write_text(good)  # the typo undone
        await wait_until(pilot, lambda: app.last_message.startswith("Config read again"), 30, "the file back")
