"""The fleet in the dashboard: H narrows the predictions to one host at a time (then back to all), the
header names the host and counts the hosts, and each fleet source's freshness stands in the header."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from tui_support import NOW, fixed_vitals, screen_text, settle

from analytics.sources.fleet.status import to_epoch
from lokifi_tui.app import LokifiApp

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # measured: 2 s in all


@pytest.fixture
def fleet(migrated, tmp_path):
    store = migrated(tmp_path / "fleet.duckdb")
    for i, (host, comp) in enumerate([("web-1", "api"), ("web-2", "api"), ("web-2", "db")]):
        store.execute(
            "INSERT INTO predictions (prediction_type, component, host, severity, message, confidence_score, "
            "confidence_kind, prediction_date, due_at) "
            "VALUES ('slow_response', ?, ?, 'HIGH', ?, 0.7, 'measured', ?, ?)",
            [
                comp,
                host,
                f"{comp} on {host} will be slow #{i}",
                NOW - dt.timedelta(minutes=5),
                NOW + dt.timedelta(hours=6),
            ],
        )
    health = {
        "kind": "prometheus",
        "state": "up",
        "last_success": to_epoch(NOW - dt.timedelta(seconds=40)),
        "data_until": to_epoch(NOW - dt.timedelta(seconds=40)),
        "hosts": ["web-1", "web-2"],
    }
    store.execute(
        "INSERT INTO source_checkpoints (source, key, position, updated_at) VALUES ('prom', '_status', ?, ?)",
        [json.dumps(health), NOW],
    )
    return store


async def test_h_cycles_the_hosts_and_the_header_says_which(fleet):
    app = LokifiApp(fleet.path, vitals=fixed_vitals, collect=False, now=NOW, refresh=0.3)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        table = app.dashboard.box("predictions").table
        assert len(table.row_keys) == 3
        text = screen_text(app)
        assert "prom 40s" in text  # the source's freshness in the header
        assert "web-1 api on web-1 will be slow" in text  # every host shown: each row says whose it is
        await pilot.press("H")
        await settle(pilot)
        assert len(table.row_keys) == 1 and "host web-1" in screen_text(app)
        assert "web-1 api on web-1" not in screen_text(app)  # one host shown: the header says whose
        assert app.dashboard.box("predictions").border_subtitle == "1/3 on web-1"
        await pilot.press("H")
        await settle(pilot)
        assert len(table.row_keys) == 2 and "host web-2" in screen_text(app)
        await pilot.press("H")
        await settle(pilot)
        assert len(table.row_keys) == 3 and "host web-" not in screen_text(app)
