"""A dashboard that found `lokifi collect` writing takes over collecting when that collector is gone."""

from __future__ import annotations

import time

import pytest

from analytics.collect import loop as C
from analytics.config.settings import parse_config

pytestmark = pytest.mark.slow  # measured: 2 s in all


def test_view_mode_becomes_the_writer_when_the_other_collector_stops(migrated, tmp_path, monkeypatch):
    monkeypatch.setattr(C, "TAKEOVER_SECONDS", 0.3)
    cfg = parse_config({"general": {"collect_seconds": 0.5}})
    store = migrated(tmp_path / "db.duckdb")
    first = C.Collector(store, cfg, persist=True, hooks=())
    first.open()
    assert first.mode == "write"
    dash = C.Collector(store, cfg, persist="auto", hooks=())
    dash.open()
    assert dash.mode == "view" and "another collector" in dash.busy_reason
    dash.step(force=True)
    time.sleep(0.4)
    dash.step()
    assert dash.mode == "view"  # still held: nothing changes
    first.close()
    deadline = time.monotonic() + 10
    while dash.mode != "write" and time.monotonic() < deadline:
        time.sleep(0.35)
        dash.step()
    assert dash.mode == "write" and dash.busy_reason is None
    dash.step(force=True)
    dash.close()
    assert store.scalar("SELECT count(*) FROM metrics WHERE component = 'host'") > 0
