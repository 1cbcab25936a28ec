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


def test_a_hook_failure_is_said_once_again_when_it_changes_and_when_it_recovers(tmp_path, caplog):
    failing: list[str | None] = [None]

    def engine(store, config, now):
        if failing[0]:
            raise RuntimeError(failing[0])

    col = Collector(Store(tmp_path / "l.duckdb"), load_config(None), hooks=[engine], refresh_seconds=3600)
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
