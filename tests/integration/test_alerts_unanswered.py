"""A post Alertmanager took but did not answer in time may have been accepted: the alert is kept as possibly
delivered (``posting``), never abandoned, and resolved once its prediction is over -- through a refusal in
between. Against a loopback server that keeps each post it takes and answers late or refuses when told."""

from __future__ import annotations

import datetime as dt

from alert_servers import alerts_config

from analytics.alerts.deliver import deliver
from analytics.config.settings import load_config
from analytics.store.database import Store

T0 = dt.datetime(2030, 1, 1, 12, 0, 0)


def test_an_alert_whose_post_got_no_answer_is_resolved_not_abandoned(tmp_path, recorder):
    cfg_path = alerts_config(tmp_path, recorder.url, min_severity=None, resend_seconds=5, timeout=0.5)
    store, cfg = Store(tmp_path / "l.duckdb"), load_config(cfg_path)
    pid = store.scalar(
        "INSERT INTO predictions (prediction_type, component, host, metric, severity, message, evidence, "
        "prediction_date, due_at) VALUES ('slow_response', 'api', 'web-1', 'response_time_ms', 'HIGH', 'slow', "
        "'{}', ?, ?) RETURNING id",
        [T0 - dt.timedelta(minutes=5), T0 + dt.timedelta(minutes=10)],
    )

    def state() -> str:
        return store.scalar("SELECT state FROM alert_deliveries WHERE prediction_id = ?", [pid])

    recorder.delay = 1.5  # takes the post, answers after the client gave up
    r = deliver(store, cfg, T0)
    assert "no answer within 0.5s" in r.error and len(recorder.alerts()) == 1  # it arrived
    assert state() == "posting"
    recorder.delay, recorder.status = 0.0, 503
    assert deliver(store, cfg, T0 + dt.timedelta(seconds=10)).error and state() == "posting"  # refused: still held
    late = T0 + dt.timedelta(minutes=11)  # its prediction expired while Alertmanager refused
    r = deliver(store, cfg, late)
    assert (r.abandoned, state()) == (0, "posting")
    recorder.status = 200
    r = deliver(store, cfg, late + dt.timedelta(seconds=1))
    assert (r.resolved, r.abandoned, r.error) == (1, 0, "") and state() == "resolved"
    last = recorder.alerts()[-1]
    assert last["annotations"]["prediction_id"] == str(pid)
    assert last["endsAt"] == (T0 + dt.timedelta(minutes=10)).isoformat() + "Z"  # ended when it expired
