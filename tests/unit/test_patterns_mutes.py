"""Muting an expected error: its pattern raises no prediction, the dashboard's live predictions and the
metrics exposition leave out the ones it raised, and unmuting (or the mute's end) brings them back. Its
events are still stored and counted."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from analytics.alerts.exposition import StoreCollector
from analytics.patterns.mutes import active_mutes, mute
from analytics.predict.reads import live_predictions
from analytics.store.database import Store
from lokifi_tui.cli.main import cli

MESSAGE = "invoke-rc.d: policy-rc.d denied execution of start."


def run(db, *args):
    r = CliRunner().invoke(cli, ["--db", str(db), *args])
    assert r.exit_code == 0, r.output
    return r.output


def recorded(path: Path, hosts: tuple[str, ...]) -> Path:
    """The database at ``path`` (empty, migrated) where ``MESSAGE`` was then recorded five times on each host
    (``""``: no --host), through the command, in its own home; everything is in the one file the fixtures
    copy (no WAL, no spool)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LOKIFI_HOME", str(path.parent / "home"))
        for host in hosts:
            for _ in range(5):
                run(path, "error", "record", MESSAGE, "--component", "apt", *(("--host", host) if host else ()))
    assert not path.with_name(path.name + ".wal").exists()
    assert not any(path.with_name(path.name + ".spool").glob("*"))
    return path


@pytest.fixture(scope="module")
def _db_file(tmp_path_factory, migrated):
    """Recorded once per module (15 seconds of setup over the module on a busy machine when it was per
    test); the records are minutes old at most when a test reads them, well inside the last hour."""
    return recorded(migrated(tmp_path_factory.mktemp("mutes-db") / "m.duckdb").path, ("",))


@pytest.fixture
def db(tmp_path, _isolated_home, _db_file):
    path = tmp_path / "m.duckdb"
    shutil.copy(_db_file, path)
    return path


def recurring(db) -> list[dict]:
    preds = json.loads(run(db, "ai", "predict", "--json"))["predictions"]
    return [p for p in preds if p["type"] == "recurring_error"]


def test_a_muted_pattern_raises_no_prediction_until_unmuted(db):
    assert len(recurring(db)) == 1  # 5 times in the window: over the threshold of 3
    (row,) = json.loads(run(db, "patterns", "list", "--json"))
    assert row["muted"] is False
    out = run(db, "patterns", "mute", row["error_hash"][:8], "--reason", "expected in containers")
    assert "muted until unmuted (expected in containers)" in out
    assert recurring(db) == []
    (row,) = json.loads(run(db, "patterns", "list", "--json"))
    assert row["muted"] is True and row["muted_until"] is None and row["occurrence_count"] == 5
    assert "muted until unmuted" in run(db, "patterns", "show", row["error_hash"])
    run(db, "error", "record", MESSAGE, "--component", "apt")  # still stored and counted while muted
    (row,) = json.loads(run(db, "patterns", "list", "--json"))
    assert row["occurrence_count"] == 6
    assert "unmuted" in run(db, "patterns", "unmute", row["error_hash"])
    assert len(recurring(db)) == 1
    assert "was not muted" in run(db, "patterns", "unmute", row["error_hash"])


def test_the_live_predictions_and_the_exposition_leave_a_muted_pattern_out(db):
    store = Store(db)
    run(db, "ai", "predict")  # stores the prediction, as the collector does
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with store.read() as con:
        assert [p.type for p in live_predictions(con, now, 50)] == ["recurring_error"]

    def live_series() -> list:
        fams = {f.name: f for f in StoreCollector(store).collect()}
        return [s for s in fams["lokifi_predictions_live"].samples if s.value > 0]

    assert live_series()
    mute(store, MESSAGE, now=now, until=now + dt.timedelta(minutes=1))  # a message names its pattern too
    with store.read() as con:
        assert live_predictions(con, now, 50) == ()
        assert set(active_mutes(con, now)) and not active_mutes(con, now + dt.timedelta(minutes=2))
        # the mute's end brings the prediction back
        assert [p.type for p in live_predictions(con, now + dt.timedelta(seconds=61), 50)] == ["recurring_error"]
    assert live_series() == []


def test_a_mute_must_name_a_pattern_and_end_after_it_starts(db):
    r = CliRunner().invoke(cli, ["--db", str(db), "patterns", "mute", "abcdef123456"])
    assert r.exit_code == 3 and "no learned pattern matches" in r.output
    r = CliRunner().invoke(cli, ["--db", str(db), "patterns", "mute", MESSAGE, "--for", "soon"])
    assert r.exit_code == 2 and "--for" in r.output
    store = Store(db)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with pytest.raises(ValueError):
        mute(store, MESSAGE, now=now, until=now)


@pytest.fixture(scope="module")
def _fleet_file(tmp_path_factory, migrated):
    return recorded(migrated(tmp_path_factory.mktemp("mutes-fleet") / "f.duckdb").path, ("ct-1", "vm-1"))


@pytest.fixture
def fleet(tmp_path, _isolated_home, _fleet_file):
    """The same expected error on two hosts: the container host ``ct-1`` and the VM ``vm-1``."""
    path = tmp_path / "f.duckdb"
    shutil.copy(_fleet_file, path)
    return path


def at_80_columns(db, *args) -> str:
    """The command's output in a new process whose terminal is 80 columns wide (the console's width is
    read once per process)."""
    env = {**os.environ, "COLUMNS": "80", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    code = "import sys; sys.argv = ['lokifi', *sys.argv[1:]]; from lokifi_tui.cli.entry import run; run()"
    r = subprocess.run(
        [sys.executable, "-c", code, "--db", str(db), *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def recurring_hosts(db) -> list[str]:
    preds = json.loads(run(db, "ai", "predict", "--json"))["predictions"]
    return sorted(p["host"] for p in preds if p["type"] == "recurring_error")


def test_a_mute_on_one_host_leaves_the_pattern_alive_on_the_others(fleet):
    assert recurring_hosts(fleet) == ["ct-1", "vm-1"]
    out = run(fleet, "patterns", "mute", MESSAGE, "--host", "ct-1", "--reason", "containers deny restarts")
    assert "muted on ct-1 until unmuted (containers deny restarts)" in out
    assert recurring_hosts(fleet) == ["vm-1"]
    # one prediction left, of a host that is not this machine: it says whose it is
    assert "recurring_error - apt on vm-1" in run(fleet, "ai", "predict")
    (row,) = json.loads(run(fleet, "patterns", "list", "--json"))
    assert row["muted"] is True and row["muted_on"] == ["ct-1"] and row["muted_until"] is None
    out = at_80_columns(fleet, "patterns", "list")
    lines = out.splitlines()
    assert max(map(len, lines)) <= 80 and any(row["error_hash"][:12] in ln for ln in lines)
    assert "(muted on ct-1) invoke-rc.d:" in out  # the template keeps room at 80 columns
    assert "no predictions or alerts on ct-1" in run(fleet, "patterns", "show", row["error_hash"])
    # the stored prediction of vm-1 stays live; ct-1's (stored before the mute) leaves the live set
    store = Store(fleet)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with store.read() as con:
        assert [p.host for p in live_predictions(con, now, 50)] == ["vm-1"]
    fams = {f.name: f for f in StoreCollector(store).collect()}  # /metrics: vm-1's alone
    assert {s.labels["host"] for s in fams["lokifi_predictions_live"].samples if s.value > 0} == {"vm-1"}
    assert "was not muted on vm-1" in run(fleet, "patterns", "unmute", MESSAGE, "--host", "vm-1")
    run(fleet, "patterns", "mute", MESSAGE, "--for", "1d")  # and every host besides
    assert recurring_hosts(fleet) == []
    (row,) = json.loads(run(fleet, "patterns", "list", "--json"))
    assert row["muted_on"] == [] and row["muted_until"] is not None
    assert "unmuted (2 mutes)" in run(fleet, "patterns", "unmute", MESSAGE)
    assert recurring_hosts(fleet) == ["ct-1", "vm-1"]


def test_a_mute_names_a_host_the_store_knows(fleet):
    r = CliRunner().invoke(cli, ["--db", str(fleet), "patterns", "mute", MESSAGE, "--host", "ct1"])
    assert r.exit_code == 3 and "no data from host 'ct1'" in r.output and "did you mean 'ct-1'" in r.output
    (row,) = json.loads(run(fleet, "patterns", "list", "--json"))
    assert row["muted"] is False


def test_undoing_a_dashboard_mute_keeps_a_mute_on_one_host(fleet):
    from lokifi_tui.triage import mute_pattern

    store = Store(fleet)
    run(fleet, "patterns", "mute", MESSAGE, "--host", "ct-1")
    (row,) = json.loads(run(fleet, "patterns", "list", "--json"))
    result = mute_pattern(store, row["error_hash"], dt.timedelta(hours=1))  # the dashboard's `m`: every host
    assert recurring_hosts(fleet) == []
    result.undo(store)
    assert recurring_hosts(fleet) == ["vm-1"]


def test_status_counts_a_muted_patterns_errors_apart(fleet, tmp_path):
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text('[general]\nhost = "ct-1"\n[[components]]\nname = "apt"\n')
    run(fleet, "patterns", "mute", MESSAGE, "--host", "ct-1")
    r = CliRunner().invoke(cli, ["--db", str(fleet), "--config", str(cfg), "status", "--host", "ct-1", "--json"])
    (apt,) = json.loads(r.output)["components"]
    assert (apt["errors_last_hour"], apt["muted_errors_last_hour"], apt["last_error_muted"]) == (0, 5, True)
    r = CliRunner().invoke(cli, ["--db", str(fleet), "--config", str(cfg), "status", "--host", "vm-1", "--json"])
    (apt,) = json.loads(r.output)["components"]
    assert (apt["errors_last_hour"], apt["muted_errors_last_hour"], apt["last_error_muted"]) == (5, 0, False)
    r = CliRunner().invoke(
        cli, ["--db", str(fleet), "--config", str(cfg), "status", "--host", "ct-1"], env={"COLUMNS": "200"}
    )
    assert "0 +5 muted" in r.output and "(muted)" in r.output


def test_a_mute_stored_before_hosts_mutes_every_host(tmp_path):
    """A store whose mutes predate the host column keeps them, as mutes on every host."""
    import duckdb

    from analytics.store import database as store_mod

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (number INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
    for number, name, p in store_mod.migrations():
        if number < 98:
            con.execute(p.read_text())
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)", [number, name])
    con.execute("INSERT INTO pattern_mutes VALUES ('abc', TIMESTAMP '2026-12-01 10:00', NULL, 'expected')")
    con.close()
    store_mod._migrated.clear()
    with Store(path).read() as c:
        (m,) = active_mutes(c, dt.datetime(2026, 12, 2))["abc"]
    assert (m.host, m.reason, m.until) == ("", "expected", None)


def test_the_error_patterns_pane_says_where_a_pattern_is_muted(fleet):
    from analytics.patterns.rows import pane_rows
    from lokifi_tui.widgets.panes import _muted

    store = Store(fleet)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    run(fleet, "patterns", "mute", MESSAGE, "--host", "ct-1")
    with store.read() as con:
        (row,) = pane_rows(con, 10, now)
    assert row.muted and row.muted_on == ("ct-1",) and _muted(row).plain == "muted on ct-1 "
    # with H showing one host, the row is muted or not as it is there
    from lokifi_tui.widgets.panes import _pattern_cells_on

    assert _pattern_cells_on("ct-1", row, now, width=78)[4].plain.startswith("muted invoke-rc.d")
    assert not _pattern_cells_on("vm-1", row, now, width=78)[4].plain.startswith("muted")
    run(fleet, "patterns", "mute", MESSAGE, "--host", "vm-1")
    with store.read() as con:
        (row,) = pane_rows(con, 10, now)
    assert _muted(row).plain == "muted on 2 hosts "
    run(fleet, "patterns", "mute", MESSAGE, "--for", "2h")
    with store.read() as con:
        (row,) = pane_rows(con, 10, now)
    assert row.muted_on == () and _muted(row).plain.startswith("muted to ")
    # muted everywhere: its message is dim (expected, nothing to act on); muted on some hosts: as before
    from lokifi_tui.widgets.panes import pattern_cells

    message = pattern_cells(row, now, width=78)[4]  # the message column of a 120-column terminal
    assert message.plain.startswith("muted to ") and "invoke-rc.d" in message.plain
    at = message.plain.index("invoke-rc.d")
    assert any(sp.start <= at < sp.end and "dim" in str(sp.style) for sp in message.spans) or "dim" in str(
        message.style
    )


def test_a_narrow_patterns_pane_says_muted_alone_and_keeps_the_message(fleet):
    """At 80 columns ``muted to 12-06 04:57 `` took 21 of the message column's 38 characters: below about
    100 columns the row says ``muted`` (its details say until when, and where); from there, all of it."""
    from analytics.patterns.rows import pane_rows
    from lokifi_tui.widgets.panes import MUTED_IN_FULL, pattern_cells

    store = Store(fleet)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    run(fleet, "patterns", "mute", MESSAGE, "--for", "2h")
    run(fleet, "patterns", "mute", MESSAGE, "--host", "ct-1")
    with store.read() as con:
        (row,) = pane_rows(con, 10, now)
    narrow = pattern_cells(row, now, width=38)[4]  # an 80-column terminal's message column
    assert narrow.plain.startswith("muted invoke-rc.d: policy-rc.d denied")
    assert pattern_cells(row, now, width=MUTED_IN_FULL - 1)[4].plain.startswith("muted invoke-rc.d")
    assert pattern_cells(row, now, width=MUTED_IN_FULL)[4].plain.startswith(f"muted to {row.muted_until:%m-%d %H:%M} ")
    run(fleet, "patterns", "unmute", MESSAGE, "--host", "")
    with store.read() as con:
        (row,) = pane_rows(con, 10, now)
    assert pattern_cells(row, now, width=38)[4].plain.startswith("muted invoke-rc.d")
    assert pattern_cells(row, now, width=58)[4].plain.startswith("muted on ct-1 invoke-rc.d")


def test_a_patterns_details_say_where_and_until_when_it_is_muted_and_what_ends_it(fleet):
    """A muted pattern's details said nothing of the mute. They say each mute in force (host, end, reason),
    and what ends it: keys the details screen has."""
    from rich.console import Console

    from analytics.dashboard.details import load_pattern_detail
    from lokifi_tui.bindings import bindings_for, key_names
    from lokifi_tui.widgets.detail_pages import render_pattern

    store = Store(fleet)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    (row,) = json.loads(run(fleet, "patterns", "list", "--json"))
    fp = row["error_hash"]

    def page() -> str:
        detail = load_pattern_detail(store, fp, now=now)
        console = Console(width=100, record=True, file=io.StringIO(), color_system=None)
        console.print(render_pattern(detail, now))
        return " ".join(console.export_text().split())

    assert "Muted" not in page() and load_pattern_detail(store, fp, now=now).mutes == ()
    run(fleet, "patterns", "mute", MESSAGE, "--host", "ct-1", "--reason", "containers deny restarts")
    text = page()
    assert "Muted on ct-1 until unmuted (containers deny restarts): no predictions or alerts there" in text
    assert "m then 0 unmutes it (with H showing one host: there)" in text
    detail = load_pattern_detail(store, fp, now=now)
    assert detail.pattern.muted and detail.pattern.muted_on == ("ct-1",)
    run(fleet, "patterns", "mute", MESSAGE, "--for", "2h")
    detail = load_pattern_detail(store, fp, now=now)
    until = detail.pattern.muted_until
    assert until is not None and [m.host for m in detail.mutes] == ["", "ct-1"]
    text = page()
    assert f"Muted until {until:%Y-%m-%d %H:%M} UTC; on ct-1 until unmuted (containers deny restarts): " in text
    assert "no predictions or alerts m then 0 unmutes it" in text  # not "there": on every host
    # every key the page names for the mute is one the details screen answers to
    keys = {key: b.action for b in bindings_for("detail") for key in key_names(b.key)}
    assert keys["m"] == "mute" and keys["u"] == "undo"
    assert "m then 1/2/3 mutes it anew from now · u undoes the last triage action" in text


def test_patterns_list_muted_shows_the_muted_ones(fleet):
    run(fleet, "error", "record", "disk full on /var", "--component", "apt", "--host", "vm-1")
    assert len(json.loads(run(fleet, "patterns", "list", "--json"))) == 2
    assert "No learned pattern is muted now." in run(fleet, "patterns", "list", "--muted")
    assert "No learned pattern of type memory is muted now." in run(
        fleet, "patterns", "list", "--muted", "--type", "memory"
    )
    run(fleet, "patterns", "mute", MESSAGE, "--host", "ct-1")
    (row,) = json.loads(run(fleet, "patterns", "list", "--muted", "--json"))
    assert row["error_message"] == MESSAGE and row["muted_on"] == ["ct-1"]
    out = run(fleet, "patterns", "list", "--muted", "--host", "vm-1")  # muted on ct-1, events on vm-1 too
    assert "policy-rc.d" in out and "disk full" not in out
