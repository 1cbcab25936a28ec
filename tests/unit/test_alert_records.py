"""The states of an alert delivery (analytics.alerts.records) on a real store: written ahead as posting
before a post, firing once accepted, back as it was when refused, kept possibly delivered when no answer
came, and the label sets Alertmanager may hold -- what a resolution must end."""

from __future__ import annotations

import datetime as dt
import json

from analytics.alerts import records
from analytics.store.database import Store

NOW = dt.datetime(2030, 1, 1, 12, 0, 0)
HIGH = {"alertname": "lokifi_slow_response", "component": "api", "severity": "high"}
MEDIUM = HIGH | {"severity": "medium"}


def _row(store: Store, pid: int) -> dict:
    cur = store.query(
        f"SELECT d.prediction_id AS id, {records.COLUMNS} FROM alert_deliveries d WHERE prediction_id = ?", [pid]
    )
    rows = cur.to_dicts()
    return rows[0] if rows else {"id": pid, "d_state": None, "d_labels": None, "d_posting": None}


def _step(store: Store, pid: int, fn, *args, **kw) -> dict:
    with store.write() as con:
        fn(con, *args, **kw)
    return _row(store, pid)


def test_a_new_alert_is_posting_before_the_post_and_firing_once_accepted(migrated, tmp_path):
    store = migrated(tmp_path / "l.duckdb")
    p = _step(store, 1, records.write_ahead, [(_row(store, 1), HIGH)])
    assert p["d_state"] == "posting" and json.loads(p["d_posting"]) == [HIGH] and p["d_labels"] is None
    assert records.held(p, HIGH) == [HIGH]  # possibly delivered: a resolution ends it
    p = _step(store, 1, records.accepted, NOW, [(p, HIGH)], [])
    assert (p["d_state"], json.loads(p["d_labels"]), p["d_posting"]) == ("firing", HIGH, None)
    assert not records.needs_ahead([(p, HIGH)])  # a re-post of what Alertmanager holds writes nothing ahead
    p = _step(store, 1, records.accepted, NOW, [], [1])
    assert (p["d_state"], p["d_posting"], records.held(p, HIGH)) == ("resolved", None, [])


def test_refused_it_is_as_before_the_post_and_unanswered_it_stays_possibly_delivered(migrated, tmp_path):
    store = migrated(tmp_path / "l.duckdb")
    store.execute("INSERT INTO alert_deliveries (prediction_id, state, attempts) VALUES (1, 'pending', 1)")
    before = _row(store, 1)
    ahead = _step(store, 1, records.write_ahead, [(before, HIGH)])
    assert ahead["d_state"] == "posting"
    p = _step(store, 1, records.refused, "HTTP 503", [(before, HIGH)], [], answered=True)
    assert (p["d_state"], p["d_posting"]) == ("pending", None)  # refused: nothing reached Alertmanager
    p = _step(store, 1, records.refused, "no answer", [(before, HIGH)], [], answered=False)
    assert (p["d_state"], json.loads(p["d_posting"])) == ("posting", [HIGH])
    # posting from an earlier run, then refused: still possibly delivered, not pending (abandoned later)
    again = _step(store, 1, records.write_ahead, [(p, HIGH)])
    p = _step(store, 1, records.refused, "HTTP 503", [(p, HIGH)], [], answered=True)
    assert p == again and p["d_state"] == "posting"
    # refused while resolving: it stays held, the resolution is sent again
    p = _step(store, 1, records.refused, "HTTP 503", [], [p], answered=True)
    assert records.held(p, HIGH) == [HIGH]
    assert _step(store, 1, records.abandon, [(1, "posting")])["d_state"] == "abandoned"


def test_a_firing_alert_moving_to_new_labels_holds_both_until_accepted(migrated, tmp_path):
    store = migrated(tmp_path / "l.duckdb")
    store.execute(
        "INSERT INTO alert_deliveries (prediction_id, state, labels) VALUES (1, 'firing', ?)",
        [json.dumps(HIGH, sort_keys=True)],
    )
    p = _row(store, 1)
    assert records.stale(p, MEDIUM) == [HIGH] and records.needs_ahead([(p, MEDIUM)])
    p = _step(store, 1, records.write_ahead, [(p, MEDIUM)])
    assert p["d_state"] == "firing" and records.held(p, MEDIUM) == [HIGH, MEDIUM]  # killed now: both resolved
    assert records.stale(p, MEDIUM) == [HIGH]
    p = _step(store, 1, records.accepted, NOW, [(p, MEDIUM)], [])
    assert records.held(p, MEDIUM) == [MEDIUM] and p["d_posting"] is None
