"""What `lokifi collect` says while it runs: a refresh hook's failure is said once, again when its error
changes, and `works again` after it ran without one — not at every look (it was every 5 s)."""

from __future__ import annotations

import datetime as dt
import logging

from analytics.collect.loop import Collector
from analytics.collect.reporter import Reporter
from analytics.config.settings import load_config
from analytics.store.database import Store

NOW = dt.datetime(2026, 11, 21, 12)


def test_a_hook_failure_is_said_once_again_when_it_changes_and_when_it_recovers(migrated, tmp_path, caplog):
    failing: list[str | None] = [None]

    def engine(store, config, now):
        if failing[0]:
            raise RuntimeError(failing[0])

    col = Collector(migrated(tmp_path / "l.duckdb"), load_config(None), hooks=[engine], refresh_seconds=3600)
    col.open()
    rep = Reporter(col, quiet=True)
    said: list[str] = []

    def run(times: int = 3) -> None:
        for _ in range(times):
            col.run_hooks(NOW, all_due=True)
            caplog.clear()
            rep.check()
            said.extend(r.getMessage() for r in caplog.records if r.name == "lokifi.collect")

    name = engine.__qualname__
    try:
        with caplog.at_level(logging.INFO, logger="lokifi.collect"):
            run()
            assert said == []
            failing[0] = "the table is locked"
            run()
            failing[0] = "the table is gone"
            run()
            failing[0] = None
            run()
            failing[0] = "the table is locked"
            run()
    finally:
        col.close()
    assert said == [
        f"refresh {name}: RuntimeError: the table is locked",
        f"refresh {name}: RuntimeError: the table is gone",
        f"refresh {name}: works again",
        f"refresh {name}: RuntimeError: the table is locked",
    ]


def test_a_hook_a_reload_removed_takes_its_error_with_it(tmp_path, monkeypatch, caplog):
    """Its last error leaves the collector's stats (the dashboard and `lokifi status` would show it for
    ever), also when the reload came while that hook was running, and the log says it left the config —
    not that it works again."""
    import analytics.collect.hooks as hooks_mod

    cfg = tmp_path / "lokifi.toml"
    both = '[collect]\nhooks = ["lokifi_test.hooks:broken", "lokifi_test.hooks:fine"]\n'
    fine_only = '[collect]\nhooks = ["lokifi_test.hooks:fine"]\n'
    col: Collector | None = None
    reload_inside: list[bool] = [False]

    def broken(store, config, now):
        if reload_inside[0]:  # the file changed while this pass ran: the reload lands mid-pass
            cfg.write_text(fine_only)
            assert col is not None
            col.reconfigure(load_config(cfg))
        raise RuntimeError("the endpoint is gone")

    monkeypatch.setitem(hooks_mod.BUILTIN, "lokifi_test.hooks:broken", broken)
    monkeypatch.setitem(hooks_mod.BUILTIN, "lokifi_test.hooks:fine", lambda store, config, now: None)
    for mid_pass in (False, True):
        cfg.write_text(both)
        col = Collector(Store(tmp_path / f"l{mid_pass}.duckdb"), load_config(cfg), config_file=cfg)
        col.open()
        rep = Reporter(col, quiet=True)
        try:
            col.run_hooks(NOW, all_due=True)
            rep.check()
            assert col.stats.hook_errors == {"lokifi_test.hooks:broken": "RuntimeError: the endpoint is gone"}
            reload_inside[0] = mid_pass
            if mid_pass:
                col.run_hooks(NOW, all_due=True)
            else:
                cfg.write_text(fine_only)
                col.reconfigure(load_config(cfg))
            assert col.stats.hook_errors == {}
            col.run_hooks(NOW, all_due=True)
            assert col.stats.hook_errors == {}
            with caplog.at_level(logging.INFO, logger="lokifi.collect"):
                caplog.clear()
                rep.check()
            said = [r.getMessage() for r in caplog.records if r.name == "lokifi.collect"]
            assert said == ["refresh lokifi_test.hooks:broken: no longer in the config"]
        finally:
            reload_inside[0] = False
            col.close()


def test_a_busy_database_is_said_once_while_only_its_duration_grows(migrated, tmp_path, caplog):
    """The busy-database error says how long the wait lasted (``busy for 5s``); each retry's count differs,
    and the log said the same failure again at each of them. Another error is still said."""
    import time

    store = migrated(tmp_path / "l.duckdb")
    waited: list[float] = [5.0]

    def engine(store, config, now):
        if waited[0] < 0:
            raise RuntimeError("the table is gone")
        raise store._busy(time.monotonic() - waited[0])

    col = Collector(store, load_config(None), hooks=[engine], refresh_seconds=3600)
    col.open()
    rep = Reporter(col, quiet=True)
    said: list[str] = []
    try:
        with caplog.at_level(logging.INFO, logger="lokifi.collect"):
            for wait in (5.0, 12.0, 30.0, 95.5, -1.0):
                waited[0] = wait
                col.run_hooks(NOW, all_due=True)
                caplog.clear()
                rep.check()
                said.extend(r.getMessage() for r in caplog.records if r.name == "lokifi.collect")
    finally:
        col.close()
    assert len(said) == 2, said
    assert "busy for 5s" in said[0]
    assert said[1].endswith("RuntimeError: the table is gone")
