"""A running `lokifi collect` (a real process, a real DuckDB file, real log files) and its config file:
a change is taken without a restart, a file that does not parse is reported once and the old config
keeps working, SIGHUP reads the file at once, a log added has its recent past read; and its
recommendations refresh leaves open what it did not look at, and resolves, seconds after the reload,
what came from a project taken out of the config."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from collect_support import cli, fast_tail_config, write_config

from analytics.store.database import Store

pytestmark = pytest.mark.timeout(180)


class Running:
    """A `lokifi collect` process whose log (stderr) is read as it comes."""

    def __init__(self, db: Path, cfg: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            cli(db, cfg, *args), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for("writing to")

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 30.0, after: int = 0) -> str:
        """The first log line from index ``after`` on matching ``pattern``."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for line in self.lines[after:]:
                if re.search(pattern, line):
                    return line
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no log line matching {pattern!r}:\n" + "\n".join(self.lines))

    def count(self, pattern: str) -> int:
        return sum(1 for line in self.lines if re.search(pattern, line))

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        self._reader.join(10)
        assert self.proc.returncode == 0, "\n".join(self.lines)
        return "\n".join(self.lines)


def events(db: Path) -> list[tuple[str, str]]:
    rows = Store(db).query("SELECT component, message FROM error_events ORDER BY ts, message")
    return list(rows.iter_rows())


def wait_rows(db: Path, want: tuple[str, str], timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if want in events(db):
            return
        time.sleep(0.2)
    raise AssertionError(f"{want} not stored; stored: {events(db)}")


def test_a_changed_config_is_taken_and_one_that_does_not_parse_is_not(tmp_path):
    api, web = tmp_path / "api.log", tmp_path / "web.log"
    api.write_text("")
    web.write_text("")
    db = tmp_path / "l.duckdb"
    cfgp, _ = write_config(tmp_path, fast_tail_config(api))
    col = Running(db, cfgp, "--no-hooks")
    try:
        # a component with a log of its own, added while it runs: tailed from then on
        cfgp.write_text(cfgp.read_text() + f'\n[[components]]\nname = "web"\nlogs = ["{web}"]\n')
        said = col.wait_for("INFO .*config .* reloaded:")
        assert f"components: + web (logs {web})" in said
        col.wait_for("sources restarted: tail")
        with web.open("a") as fh:
            fh.write("ERROR web: upstream timed out\n")
        wait_rows(db, ("web", "ERROR web: upstream timed out"))

        # a typo: reported once, with its line, and the configuration in force stays
        good = cfgp.read_text()
        broken = good.replace('name = "web"', 'name = "web', 1)
        line = broken.splitlines().index('name = "web') + 1
        cfgp.write_text(broken)
        said = col.wait_for("config not reloaded")
        assert f"{cfgp}:{line}:" in said
        col.wait_for("still running with the configuration read at")
        with api.open("a") as fh:
            fh.write("ERROR api: database is locked\n")
        with web.open("a") as fh:
            fh.write("ERROR web: upstream timed out again\n")
        wait_rows(db, ("api", "ERROR api: database is locked"))
        wait_rows(db, ("web", "ERROR web: upstream timed out again"))
        os.utime(cfgp)  # looked at again, the same broken content: not said again
        time.sleep(5)
        assert col.count("config not reloaded") == 1

        # SIGHUP: read now, and answered
        n = len(col.lines)
        col.proc.send_signal(signal.SIGHUP)
        col.wait_for("config not reloaded", after=n)  # asked: said again
        cfgp.write_text(good)  # the typo undone: the content in force
        col.wait_for("read again: unchanged", after=n)
        cfgp.write_text(good.replace("tail_seconds = 0.1", "tail_seconds = 0.2"))
        said = col.wait_for("INFO .*config .* reloaded:", after=n)
        assert said.endswith("reloaded: collect.tail_seconds: 0.1 -> 0.2")
        col.wait_for("sources restarted: tail", after=n)
        n = len(col.lines)
        col.proc.send_signal(signal.SIGHUP)
        col.wait_for("read again: unchanged", after=n)
        assert col.proc.poll() is None  # SIGHUP does not end it
    finally:
        log = col.stop()
    assert "Traceback" not in log


def _collecting_api(tmp_path: Path) -> tuple[Path, Path, Running]:
    """A `lokifi collect` tailing an empty api.log: the database, the config file, the process."""
    api = tmp_path / "api.log"
    api.write_text("")
    cfgp, _ = write_config(tmp_path, fast_tail_config(api))
    return tmp_path / "l.duckdb", cfgp, Running(tmp_path / "l.duckdb", cfgp, "--no-hooks")


def test_a_log_added_while_it_runs_has_its_recent_past_read(tmp_path):
    """What the log held before it was added (yesterday's error) is stored, then it is followed."""
    web = tmp_path / "web.log"
    yesterday = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time() - 86400))
    web.write_text(f"{yesterday} ERROR web: upstream timed out yesterday\n")
    db, cfgp, col = _collecting_api(tmp_path)
    try:
        cfgp.write_text(cfgp.read_text() + f'\n[[components]]\nname = "web"\nlogs = ["{web}"]\n')
        said = col.wait_for("read the added logs' history")
        assert "1 error event," in said
        col.wait_for("sources restarted: tail")
        with web.open("a") as fh:
            fh.write("ERROR web: upstream timed out again\n")
        wait_rows(db, ("web", "ERROR web: upstream timed out again"))
    finally:
        col.stop()
    assert [m for c, m in events(db) if c == "web"] == [  # by their time
        f"{yesterday} ERROR web: upstream timed out yesterday",
        "ERROR web: upstream timed out again",
    ]


def _project(root: Path) -> None:
    """A directory holding a 60 MB log, old temp files and a stale requirements.txt."""
    root.mkdir(parents=True)
    with open(root / "app.log", "wb") as fh:
        fh.truncate(60 << 20)
    old = time.time() - 3 * 86400
    for i in range(25):
        (root / f"build{i}.tmp").write_text("x")
        os.utime(root / f"build{i}.tmp", (old, old))
    (root / "requirements.txt").write_text("requests==2.31.0\n")
    os.utime(root / "requirements.txt", (old - 90 * 86400, old - 90 * 86400))


@pytest.mark.slow
def test_the_collectors_refresh_leaves_open_what_it_did_not_look_at(tmp_path):
    """`lokifi scan` with a config that watches a project the running collector's config does not: the
    collector's refresh (every 2 s here) must not mark what the scan found there resolved."""
    proj = tmp_path / "x" / "proj"
    _project(proj)
    db = tmp_path / "l.duckdb"
    cfgp, _ = write_config(
        tmp_path,
        '[collect]\nflush_seconds = 1\nhooks = ["analytics.recommend.engine:refresh@2"]\n'
        "[recommendations]\ndb_max_mb = 0.01\n",  # so that each of its refreshes has a finding to write
    )
    other = tmp_path / "scan.toml"
    other.write_text(f'[watch]\nproject_dirs = ["{proj}"]\n')
    col = Running(db, cfgp)
    try:
        scan = subprocess.run(
            [sys.executable, "-m", "lokifi_tui.cli.main", "--db", str(db), "--config", str(other), "scan"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert scan.returncode in (0, 1), scan.stderr
        store = Store(db)
        found = dict(
            store.query(
                "SELECT rule, id FROM smart_recommendations WHERE scope LIKE 'project:%' OR scope LIKE 'logs:%'"
            ).iter_rows()
        )
        assert set(found) == {"maintenance.large_logs", "maintenance.temp_files", "dependencies.stale"}
        scanned = store.scalar("SELECT max(updated_at) FROM smart_recommendations")

        def refreshed() -> bool:  # the collector's refresh has run since: it wrote its database finding
            return bool(store.scalar("SELECT count(*) FROM smart_recommendations WHERE updated_at > ?", [scanned]))

        end = time.monotonic() + 60
        while not refreshed() and time.monotonic() < end:
            time.sleep(0.5)
        assert refreshed(), "\n".join(col.lines)
        time.sleep(4)  # and again
    finally:
        col.stop()
    rows = store.query(
        "SELECT r.rule, r.status, list(e.action ORDER BY e.id) AS actions FROM smart_recommendations r "
        "JOIN recommendation_events e ON e.rec_id = r.id WHERE r.id IN "
        f"({', '.join(str(i) for i in found.values())}) GROUP BY ALL"
    )
    assert sorted(rows.iter_rows()) == sorted((rule, "open", ["created"]) for rule in found)


@pytest.mark.slow
def test_a_project_taken_out_of_the_config_is_resolved_soon_after_the_reload(tmp_path):
    """The recommendations refresh every 15 minutes; the reload that took the project out runs it seconds
    later, and what came from that project is resolved — and nothing else."""
    kept, gone = tmp_path / "kept", tmp_path / "gone"
    for root in (kept, gone):
        _project(root)
    db = tmp_path / "l.duckdb"
    head = '[collect]\nrefresh_seconds = 1\nhooks = ["analytics.recommend.engine:refresh@900"]\n'
    cfgp, _ = write_config(tmp_path, head + f'[watch]\nproject_dirs = ["{kept}", "{gone}"]\n')
    col = Running(db, cfgp)
    store = Store(db)

    def statuses() -> dict[tuple[str, str], str]:
        """(rule, the project its facts came from) -> status, for the recommendations about files."""
        rows = store.query("SELECT rule, scope, status FROM smart_recommendations WHERE scope IS NOT NULL")
        return {(r, sc.split(":", 1)[1].split("/")[-1]): st for r, sc, st in rows.iter_rows()}

    def wait(condition, seconds: float = 60.0) -> None:
        end = time.monotonic() + seconds
        while not condition() and time.monotonic() < end:
            time.sleep(0.3)
        assert condition(), (statuses(), "\n".join(col.lines))

    try:
        wait(lambda: {p for _, p in statuses()} == {"kept", "gone"})  # the first refresh, 1 s in
        rules = {r for r, _ in statuses()}
        assert rules == {"maintenance.large_logs", "maintenance.temp_files", "dependencies.stale"}
        cfgp.write_text(head + f'[watch]\nproject_dirs = ["{kept}"]\n')
        col.wait_for("reloaded: watch.project_dirs: - ")
        wait(lambda: "resolved" in statuses().values(), 30.0)
    finally:
        col.stop()
    assert statuses() == {(r, p): "resolved" if p == "gone" else "open" for r in rules for p in ("kept", "gone")}
