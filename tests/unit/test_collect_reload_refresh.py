"""A reload that changed the config brings the recommendations' next refresh forward — once, seconds after
it — instead of leaving a project added or removed unseen until the refresh 15 minutes later (a real
config file, a real DuckDB store, the real recommendations engine)."""

from __future__ import annotations

import threading
import time

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


def test_a_reload_runs_the_recommendations_refresh_soon_and_once(tmp_path, monkeypatch):
    monkeypatch.setattr(reload_mod, "REFRESH_AFTER_RELOAD_SECONDS", 0.3)
    a = temp_project(tmp_path / "a")
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text(HOOKS)
    store = Store(tmp_path / "l.duckdb")
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
