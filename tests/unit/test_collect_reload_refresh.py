"""A reload that changed the config brings the recommendations' next refresh forward — once, seconds after
it — instead of leaving a project added or removed unseen until the refresh 15 minutes later (a real
config file, a real DuckDB store, the real recommendations engine)."""

from __future__ import annotations

import threading
import time

import pytest
from recs_support import temp_project

import analytics.collect.reload as reload_mod
from analytics.collect.loop import Collector
from analytics.config.settings import load_config
from analytics.recommend import engine
from analytics.store.database import Store

HOOKS = '[collect]\nhooks = ["analytics.recommend.engine:refresh@900"]\n'


def temp_recs(store: Store) -> dict[str, str]:
    return {
        r.subject: r.status for r in engine.list_recs(store, include_all=True) if r.rule == "maintenance.temp_files"
    }


def test_a_reload_runs_the_recommendations_refresh_soon_and_once(migrated, tmp_path, monkeypatch):
    monkeypatch.setattr(reload_mod, "REFRESH_AFTER_RELOAD_SECONDS", 0.3)
    a = temp_project(tmp_path / "a")
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text(HOOKS)
    store = migrated(tmp_path / "l.duckdb")
    reload = threading.Event()
    col = Collector(store, load_config(cfg), config_file=cfg, reload=reload, refresh_seconds=3600)

    def steps(seconds: float, until=lambda: False) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not until():
            col.step()
            if col._hook_thread is not None:
                col._hook_thread.join(60)
            time.sleep(0.05)

    col.open()
    try:
        steps(1.0)
        assert col.stats.hook_runs == 0  # due 15 minutes after the start
        cfg.write_text(HOOKS + f'[watch]\nproject_dirs = ["{a}"]\n')
        reload.set()
        steps(30.0, until=lambda: col.stats.hook_runs > 0)
        assert col.stats.hook_runs == 1 and temp_recs(store) == {str(a): "open"}
        steps(1.5)
        assert col.stats.hook_runs == 1  # once: then on its own interval again

        reload.set()  # read again, nothing changed: no refresh
        steps(1.5)
        assert col.stats.hook_runs == 1

        cfg.write_text(HOOKS)  # the project leaves the config: its recommendation goes with it
        reload.set()
        steps(30.0, until=lambda: col.stats.hook_runs > 1)
        assert col.stats.hook_runs == 2 and temp_recs(store) == {str(a): "resolved"}
    finally:
        col.close()


RETENTION = "analytics.collect.hooks:apply_retention"
RECS = "analytics.recommend.engine:refresh"


def test_a_hook_a_reload_removed_leaves_no_schedule_behind(migrated, tmp_path, monkeypatch):
    monkeypatch.setattr(reload_mod, "REFRESH_AFTER_RELOAD_SECONDS", 3000.0)
    both = f'[collect]\nhooks = ["{RETENTION}@21600", "{RECS}@900"]\n'
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text(both)
    store = migrated(tmp_path / "l.duckdb")
    col = Collector(store, load_config(cfg), config_file=cfg, reload=threading.Event(), refresh_seconds=60)

    def due(name: str, every: float) -> float:
        return col._hook_due_at(name, every) - col._hooks_origin

    col.open()
    try:
        col.run_hooks(col.clock(), all_due=True)  # both ran: next due in 15 minutes and 6 hours
        assert due(RECS, 900) > 800 and due(RETENTION, 21600) > 21000
        col.reconfigure(_cfg(tmp_path, HOOKS))  # retention removed; the refresh brought forward
        assert RETENTION not in col._hook_last and RECS in col._hook_soon
        col.reconfigure(_cfg(tmp_path, f'[collect]\nhooks = ["{RETENTION}@21600"]\n'))  # the refresh removed
        assert RECS not in col._hook_last and RECS not in col._hook_soon
        col.reconfigure(_cfg(tmp_path, both))  # both put back: due as new hooks, refresh_seconds after the start
        assert due(RECS, 900) == pytest.approx(60) and due(RETENTION, 21600) == pytest.approx(60)
    finally:
        col.close()


def _cfg(tmp_path, text: str):
    other = tmp_path / "other.toml"
    other.write_text(text)
    return load_config(other)
