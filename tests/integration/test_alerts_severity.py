"""Alertmanager knows an alert by its label set, and severity is one of its labels: when a firing
prediction's severity changes, the label set Alertmanager holds is resolved and the new one fires in the
same delivery (not two alerts of one prediction, the old one until its endsAt), and a prediction lowered
below ``min_severity`` ends the label set that was sent. Against Debian's real prometheus-alertmanager."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from alert_servers import AM, alerts_config, checked

from analytics.alerts.deliver import deliver
from analytics.predict import predictions as P, rules as R
from analytics.store.database import Store
from analytics.store.metrics import append_events

pytestmark = [
    pytest.mark.skipif(
        AM is None, reason="prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)"
    ),
    pytest.mark.slow,
]


def _now() -> dt.datetime:  # Alertmanager reads startsAt and endsAt on its own clock
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _active(am) -> list[tuple[str, str]]:
    return sorted(
        (a["annotations"]["prediction_id"], a["labels"]["severity"])
        for a in am.alerts()
        if a["status"]["state"] == "active"
    )


def _plant(store, now) -> int:
    return store.scalar(
        "INSERT INTO predictions (prediction_type, component, host, metric, severity, message, evidence, "
        "prediction_date, due_at) VALUES ('two_sigma', 'api', 'web-1', 'response_time_ms', 'HIGH', 'slow', '{}', "
        "?, ?) RETURNING id",
        [now - dt.timedelta(minutes=5), now + dt.timedelta(hours=6)],
    )


def test_a_changed_severity_resolves_the_old_label_set_and_fires_the_new(am, tmp_path):
    store = Store(tmp_path / "l.duckdb")
    cfg = checked(alerts_config(tmp_path, am.url, timeout=None))
    pid = _plant(store, _now())
    assert deliver(store, cfg, _now()).posted == 1
    assert _active(am) == [(str(pid), "high")]
    store.execute("UPDATE predictions SET severity = 'MEDIUM' WHERE id = ?", [pid])
    r = deliver(store, cfg, _now())  # before its re-post is due: a new alert is not left waiting
    assert (r.posted, r.waiting, r.error) == (1, 0, "")
    assert _active(am) == [(str(pid), "medium")]  # one alert, not the old one besides it
    assert deliver(store, cfg, _now()).waiting == 1  # then re-posted as any firing alert


def test_lowered_below_min_severity_it_ends_the_alert_that_was_sent(am, tmp_path):
    store = Store(tmp_path / "l.duckdb")
    cfg = checked(alerts_config(tmp_path, am.url, timeout=None))
    pid = _plant(store, _now())
    deliver(store, cfg, _now())
    store.execute("UPDATE predictions SET severity = 'LOW' WHERE id = ?", [pid])
    assert deliver(store, cfg, _now()).resolved == 1
    assert _active(am) == []  # the high one is resolved, not a low one Alertmanager never had


def test_a_re_evaluated_prediction_whose_severity_changed_moves_its_alert(am, tmp_path, monkeypatch):
    """The rules give each finding its severity; an open prediction found again takes the one its rule
    gives now (a rule whose severity is changed, here by hand, as a Lokifi upgrade could), and its alert
    follows."""
    store = Store(tmp_path / "l.duckdb")
    now = _now()
    events = [
        {
            "ts": now - dt.timedelta(hours=k + 1),
            "host": "web-1",
            "component": "redis",
            "message": f"ECONNREFUSED #{k}",
            "fingerprint": "fp1",
            "type": "connection",
        }
        for k in range(5)
    ]
    append_events(store, pl.DataFrame(events))
    first = P.refresh(store, now=now, detector=False)
    (pred,) = [p for p in first.predictions if p.type == "recurring_error"]
    assert pred.severity == "HIGH"
    cfg = checked(alerts_config(tmp_path, am.url, timeout=None))
    deliver(store, cfg, _now())
    assert _active(am) == [(str(pred.id), "high")]

    found = R.recurring_rules

    def medium(rows, c):
        out = found(rows, c)
        for f in out:
            f.severity = "MEDIUM"
        return out

    monkeypatch.setattr(R, "recurring_rules", medium)
    again = P.refresh(store, now=now + dt.timedelta(minutes=1), detector=False)
    assert [p.id for p in again.predictions if p.type == "recurring_error"] == [pred.id]  # the same prediction
    stored = store.query(
        "SELECT p.severity, a.severity FROM predictions p JOIN predictive_alerts a ON a.prediction_id = p.id "
        f"WHERE p.id = {pred.id}"
    ).row(0)
    assert stored == ("MEDIUM", "MEDIUM")
    deliver(store, cfg, _now())
    assert _active(am) == [(str(pred.id), "medium")]
