"""An alert Alertmanager never took, whose prediction is over before it does -- expired, scored, muted,
pruned -- leaves the pending state: it is abandoned, never sent, said by `lokifi status`, and pruned
with its prediction like every resolved one. Delivered to a loopback server that answers what it is
told to, from a real store; `lokifi status` and `lokifi db prune` run as a user runs them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from alert_servers import Recorder, alerts_config
from hypothesis import HealthCheck, example, given, settings, strategies as st

from analytics.alerts.deliver import deliver
from analytics.config.settings import load_config
from analytics.store.database import Store
from analytics.store.retention import prune

T0 = dt.datetime(2030, 1, 1, 12, 0, 0)
MESSAGE = "invoke-rc.d: policy-rc.d denied execution of start."


@pytest.fixture
def setup(tmp_path, recorder):
    cfg = alerts_config(tmp_path, recorder.url, resend_seconds=5)
    return Store(tmp_path / "l.duckdb"), load_config(cfg), cfg


def _plant(store: Store, now: dt.datetime, due: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    return store.scalar(
        "INSERT INTO predictions (prediction_type, component, host, metric, severity, message, evidence, "
        "prediction_date, due_at) VALUES ('slow_response', 'api', 'web-1', 'response_time_ms', 'HIGH', 'slow', "
        "'{}', ?, ?) RETURNING id",
        [now - dt.timedelta(minutes=5), now + due],
    )


def _states(store: Store) -> dict[int, str]:
    return dict(store.query("SELECT prediction_id, state FROM alert_deliveries").rows())


def _sent(recorder: Recorder) -> list[str]:
    return [a["annotations"]["prediction_id"] for a in recorder.alerts()]


def test_an_alert_whose_prediction_expired_while_alertmanager_refused_is_abandoned(lokifi, setup, recorder):
    """It stayed pending for ever, and `lokifi status` kept counting it as kept for the next try."""
    store, cfg, cfg_path = setup
    pid = _plant(store, T0)
    recorder.status = 503
    assert deliver(store, cfg, T0).error
    assert _states(store) == {pid: "pending"}
    late = T0 + dt.timedelta(minutes=11)  # past its due time: over, Alertmanager still refusing
    r = deliver(store, cfg, late)
    assert (r.posted, r.resolved, r.abandoned, r.error) == (0, 0, 1, "")
    assert _states(store) == {pid: "abandoned"}
    recorder.status = 200
    assert deliver(store, cfg, late + dt.timedelta(minutes=1)).abandoned == 0 and recorder.requests == 1
    assert _sent(recorder) == []  # nothing about it is ever sent
    am = json.loads(lokifi(store, cfg_path, "status", "--json"))["alertmanager"]
    assert am["deliveries"] == {"pending": 0, "posting": 0, "firing": 0, "resolved": 0, "abandoned": 1}
    assert am["undelivered"] == 0  # not kept for the next try any more
    line = next(x for x in lokifi(store, cfg_path, "status").splitlines() if x.startswith("alertmanager:"))
    assert "0 alerts kept for the next try" in line
    assert line.endswith(
        "— alerts: 1 abandoned (its prediction was over, or below min_severity, before Alertmanager took it)"
    )


def test_one_scored_while_waiting_is_abandoned_in_the_failing_post_and_the_others_go_on(setup, recorder):
    store, cfg, _ = setup
    scored, other = _plant(store, T0), _plant(store, T0, due=dt.timedelta(days=1))
    recorder.status = 503
    deliver(store, cfg, T0)
    assert _states(store) == {scored: "pending", other: "pending"}
    store.execute("UPDATE predictions SET outcome_date = ?, accurate = true WHERE id = ?", [T0, scored])
    r = deliver(store, cfg, T0 + dt.timedelta(seconds=10))  # refused again, for the live one alone
    assert r.error and r.abandoned == 1
    assert _states(store) == {scored: "abandoned", other: "pending"}
    assert store.scalar("SELECT undelivered FROM alert_endpoint") == 1
    recorder.status = 200
    r = deliver(store, cfg, T0 + dt.timedelta(seconds=20))
    assert (r.posted, r.resolved, r.abandoned) == (1, 0, 0) and _sent(recorder) == [str(other)]
    assert _states(store) == {scored: "abandoned", other: "firing"}


def test_a_muted_one_is_abandoned_and_fires_when_unmuted(lokifi, setup, recorder, tmp_path):
    store, cfg, cfg_path = setup
    for _ in range(5):
        lokifi(store, cfg_path, "error", "record", MESSAGE, "--component", "apt")
    lokifi(store, cfg_path, "ai", "predict")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    pid = store.scalar("SELECT id FROM predictions WHERE prediction_type = 'recurring_error'")
    recorder.status = 503
    deliver(store, cfg, now)
    assert _states(store) == {pid: "pending"}
    lokifi(store, cfg_path, "patterns", "mute", MESSAGE)
    assert deliver(store, cfg, now + dt.timedelta(seconds=1)).abandoned == 1 and _states(store) == {pid: "abandoned"}
    lokifi(store, cfg_path, "patterns", "unmute", MESSAGE)
    recorder.status = 200
    assert deliver(store, cfg, now + dt.timedelta(seconds=2)).posted == 1  # live again: sent as a new one
    assert _states(store) == {pid: "firing"} and _sent(recorder) == [str(pid)]


def test_a_resolved_one_live_again_that_is_refused_waits_as_pending_then_is_abandoned(setup, recorder):
    store, cfg, _ = setup
    pid = _plant(store, T0, due=dt.timedelta(hours=1))
    deliver(store, cfg, T0)
    store.execute("UPDATE predictions SET outcome_date = ? WHERE id = ?", [T0, pid])
    assert deliver(store, cfg, T0 + dt.timedelta(seconds=1)).resolved == 1 and _states(store) == {pid: "resolved"}
    store.execute("UPDATE predictions SET outcome_date = NULL WHERE id = ?", [pid])  # live again
    recorder.status = 503
    deliver(store, cfg, T0 + dt.timedelta(seconds=2))
    assert _states(store) == {pid: "pending"}  # it said 'resolved', as if Alertmanager knew it was over
    assert deliver(store, cfg, T0 + dt.timedelta(hours=2)).abandoned == 1 and _states(store) == {pid: "abandoned"}


def test_a_firing_one_whose_prediction_was_deleted_is_abandoned(setup, recorder):
    """Its resolution cannot be sent without the prediction's labels: Alertmanager ends it at its endsAt."""
    store, cfg, _ = setup
    pid = _plant(store, T0)
    deliver(store, cfg, T0)
    store.execute("DELETE FROM predictions WHERE id = ?", [pid])
    assert deliver(store, cfg, T0 + dt.timedelta(seconds=1)).abandoned == 1 and _states(store) == {pid: "abandoned"}


def test_resolved_and_abandoned_records_are_pruned_with_their_predictions(lokifi, setup, recorder):
    store, cfg, cfg_path = setup
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # `lokifi db prune` prunes from now
    old = now - dt.timedelta(days=400)  # past predictions_days = 365
    resolved, abandoned, firing = _plant(store, old), _plant(store, old), _plant(store, old, dt.timedelta(days=500))
    recent = _plant(store, now - dt.timedelta(days=1))
    for pid, state in ((resolved, "resolved"), (abandoned, "abandoned"), (firing, "firing"), (recent, "resolved")):
        store.execute("INSERT INTO alert_deliveries (prediction_id, state) VALUES (?, ?)", [pid, state])
    store.execute("INSERT INTO alert_deliveries (prediction_id, state) VALUES (999, 'abandoned')")  # gone already
    days = {"metrics_days": 90, "events_days": 180, "predictions_days": 365}
    dry = prune(store, **days, now=now, dry_run=True)
    assert (dry.predictions, dry.alert_deliveries) == (3, 3) and len(_states(store)) == 5
    out = lokifi(store, cfg_path, "db", "prune", "--yes")
    assert "3 predictions, 3 alert records" in out
    # the firing one's prediction is gone with the others: the next delivery abandons it, the next prune drops it
    assert _states(store) == {firing: "firing", recent: "resolved"}
    assert deliver(store, cfg, now).abandoned == 1
    assert prune(store, **days, now=now).alert_deliveries == 1 and _states(store) == {recent: "resolved"}


def test_the_collectors_retention_prunes_them_too(setup):
    from analytics.collect.hooks import apply_retention

    store, cfg, _ = setup
    pid = _plant(store, T0 - dt.timedelta(days=400))
    store.execute("INSERT INTO alert_deliveries (prediction_id, state) VALUES (?, 'resolved')", [pid])
    apply_retention(store, cfg, now=T0)
    assert _states(store) == {}


_step = st.tuples(st.sampled_from([200, 503]), st.integers(1, 400), st.booleans())


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(_step, min_size=1, max_size=4), dues=st.lists(st.integers(1, 3600), min_size=1, max_size=3))
@example(steps=[(503, 1, False), (503, 900, False), (200, 1, False)], dues=[60, 3600])
def test_no_alert_waits_for_a_prediction_that_is_over(tmp_path_factory, migrated, recorder, steps, dues):
    """Alertmanager up or down, time passing, predictions scored: after each delivery no alert is pending
    whose prediction is over, and every live one is firing once Alertmanager took a post."""
    tmp = tmp_path_factory.mktemp("steps")
    cfg_path = alerts_config(tmp, recorder.url, min_severity=None, resend_seconds=5)
    store, cfg = migrated(tmp / "l.duckdb"), load_config(cfg_path)  # a copy of the migrated database
    pids = [_plant(store, T0, dt.timedelta(seconds=d)) for d in dues]
    now = T0
    for status, seconds, score in steps:
        recorder.status = status
        now += dt.timedelta(seconds=seconds)
        if score:
            store.execute("UPDATE predictions SET outcome_date = ? WHERE id = ?", [now, pids[0]])
        r = deliver(store, cfg, now)
        live = {
            pid
            for (pid,) in store.query(
                "SELECT id FROM predictions WHERE outcome_date IS NULL AND due_at > ?", [now]
            ).rows()
        }
        states = _states(store)
        assert not {p for p, s in states.items() if s == "pending"} - live
        if status == 200 and not r.error:
            assert {p for p in live if states.get(p) != "firing"} == set()
