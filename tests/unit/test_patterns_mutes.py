"""Muting an expected error: its pattern raises no prediction, the dashboard's live predictions and the
metrics exposition leave out the ones it raised, and unmuting (or the mute's end) brings them back. Its
events are still stored and counted."""

from __future__ import annotations

import datetime as dt
import json

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


@pytest.fixture
def db(tmp_path, _isolated_home):
    path = tmp_path / "m.duckdb"
    for _ in range(5):
        run(path, "error", "record", MESSAGE, "--component", "apt")
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
        fams = {f.name: f for f in StoreCollector(store, "h").collect()}
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
