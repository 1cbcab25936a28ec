"""A log a reload adds has its recent past read before it is followed — its last 7 days, as `lokifi
backfill` and the first start read — and no line is read twice or skipped; a log taken out and put back
goes on from its stored position (real log files, a real config file, a real DuckDB store)."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from pathlib import Path

from analytics.collect.loop import Collector
from analytics.config.settings import load_config
from analytics.store.database import Store


def stamp(days_ago: float) -> str:
    return (dt.datetime.now() - dt.timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M:%S")


def append(path: Path, *lines: str) -> None:
    with path.open("a") as fh:
        fh.writelines(line + "\n" for line in lines)


def events(store: Store) -> list[tuple[str, str]]:
    """(component, the message after its time and level) of every stored error event, sorted."""
    rows = store.query("SELECT component, message FROM error_events").iter_rows()
    return sorted((c, m.split(" ERROR ", 1)[1]) for c, m in rows)


API = '[collect]\ntail_seconds = 0.1\n[[components]]\nname = "api"\nlogs = ["{api}"]\n'
WEB = '[[components]]\nname = "web"\nlogs = ["{web}"]\n'


class Running:
    """A collector with its config file, stepped as its loop steps it."""

    def __init__(self, store: Store, cfg: Path) -> None:
        self.reload = threading.Event()
        self.store = store
        self.col = Collector(self.store, load_config(cfg), config_file=cfg, reload=self.reload, hooks=())

    def steps(self, until, seconds: float = 30.0) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not until():
            self.col.step(force=True)
            time.sleep(0.05)
        assert until(), events(self.store)

    def tails(self, path: Path) -> bool:
        return any(str(path) in [s.path for s in getattr(src, "specs", ())] for src in self.col.sources)


def test_an_added_log_has_its_last_days_read_then_is_followed(migrated, tmp_path):
    api, web = tmp_path / "api.log", tmp_path / "web.log"
    api.write_text("")
    rotated = tmp_path / "web.log.1"
    rotated.write_text(f"{stamp(9)} ERROR nine days ago\n{stamp(3)} ERROR three days ago\n")
    t = time.time() - 3 * 86400
    os.utime(rotated, (t, t))
    web.write_text(f"{stamp(8)} ERROR eight days ago\n{stamp(2)} ERROR two days ago\n{stamp(0)} ERROR before\n")
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text(API.format(api=api))
    run = Running(migrated(tmp_path / "l.duckdb"), cfg)
    run.col.open()
    try:
        run.col.step(force=True)
        cfg.write_text(cfg.read_text() + WEB.format(web=web))
        run.reload.set()
        run.steps(lambda: run.tails(web))
        append(web, f"{stamp(0)} ERROR after")
        append(api, f"{stamp(0)} ERROR api after")
        run.steps(lambda: ("web", "after") in events(run.store))
    finally:
        run.col.close()
    assert events(run.store) == [
        ("api", "api after"),
        ("web", "after"),
        ("web", "before"),
        ("web", "three days ago"),
        ("web", "two days ago"),
    ]


def test_a_log_taken_out_and_put_back_goes_on_from_its_position(migrated, tmp_path):
    api, web = tmp_path / "api.log", tmp_path / "web.log"
    api.write_text("")
    web.write_text(f"{stamp(1)} ERROR yesterday\n")
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text(API.format(api=api) + WEB.format(web=web))
    run = Running(migrated(tmp_path / "l.duckdb"), cfg)
    run.col.open()
    try:
        run.col.step(force=True)  # followed from its end, as at a start
        append(web, f"{stamp(0)} ERROR one")
        run.steps(lambda: ("web", "one") in events(run.store))
        cfg.write_text(API.format(api=api))
        run.reload.set()
        run.steps(lambda: not run.tails(web))
        append(web, f"{stamp(0)} ERROR while out")
        cfg.write_text(API.format(api=api) + WEB.format(web=web))
        run.reload.set()
        run.steps(lambda: run.tails(web))
        append(web, f"{stamp(0)} ERROR back")
        run.steps(lambda: ("web", "back") in events(run.store))
    finally:
        run.col.close()
    assert events(run.store) == [("web", "back"), ("web", "one"), ("web", "while out")]
