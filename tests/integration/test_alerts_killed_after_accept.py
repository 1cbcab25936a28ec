"""A collector killed after Alertmanager accepted its post and before the store recorded it: the alert is
not forgotten. A delivery runs in a process of its own that SIGKILLs itself the moment the post returns
2xx from Debian's real ``prometheus-alertmanager`` on loopback -- deterministically inside that window --
and the next run, with the prediction over, must end the alert Alertmanager holds; with it still live,
re-post it as the same alert."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap

import pytest
from alert_servers import AM, Alertmanager, alerts_config

from analytics.alerts.deliver import deliver
from analytics.config.settings import load_config
from analytics.store.database import Store

pytestmark = [
    pytest.mark.skipif(
        AM is None, reason="prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)"
    ),
    pytest.mark.slow,
]

# one delivery, killed (SIGKILL, as by the OOM killer) as soon as Alertmanager answered 2xx to its post
_KILLED_AFTER_ACCEPT = textwrap.dedent(
    """
    import os, signal, sys
    from analytics.alerts import deliver as d
    from analytics.config.settings import load_config
    from analytics.store.database import Store

    real = d._post

    def post_then_die(settings, alerts):
        real(settings, alerts)  # raised: not accepted, the process goes on as a collector does
        os.kill(os.getpid(), signal.SIGKILL)

    d._post = post_then_die
    d.deliver(Store(sys.argv[1]), load_config(sys.argv[2]))
    """
)


def _setup(tmp_path, url: str):
    cfg = alerts_config(tmp_path, url)
    store = Store(tmp_path / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    pid = store.scalar(
        "INSERT INTO predictions (prediction_type, component, host, metric, severity, message, evidence, "
        "prediction_date, due_at) VALUES ('slow_response', 'api', 'web-1', 'response_time_ms', 'HIGH', "
        "'api response time will exceed 2000 ms', ?, ?, ?) RETURNING id",
        [json.dumps({"current": 1800}), now - dt.timedelta(minutes=5), now + dt.timedelta(hours=6)],
    )
    return store, cfg, pid


def _killed_delivery(store: Store, cfg) -> None:
    r = subprocess.run(
        [sys.executable, "-c", _KILLED_AFTER_ACCEPT, str(store.path), str(cfg)], capture_output=True, text=True
    )
    assert r.returncode == -9, r.stderr  # killed after the accept, not failed before it


def _active(am: Alertmanager) -> list[str]:
    return [a["annotations"]["prediction_id"] for a in am.alerts() if a["status"]["state"] == "active"]


@pytest.mark.parametrize("before", ["new", "refused once"])
def test_an_alert_accepted_by_alertmanager_then_killed_is_resolved_when_its_prediction_is_over(am, tmp_path, before):
    """The collector knew nothing of the alert Alertmanager held (no row, or a pending one -- refused once
    before -- abandoned when the prediction ended): it stayed active there until its endsAt, hours away."""
    store, cfg, pid = _setup(tmp_path, am.url)
    if before == "refused once":
        assert deliver(store, load_config(_bad(tmp_path, am.url)), None).error
        assert store.scalar("SELECT state FROM alert_deliveries") == "pending"
    _killed_delivery(store, cfg)
    assert _active(am) == [str(pid)]  # Alertmanager took it
    scored = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # (Alertmanager reads endsAt on its own clock)
    store.execute("UPDATE predictions SET outcome_date = ?, accurate = true WHERE id = ?", [scored, pid])
    r = deliver(store, load_config(cfg), scored)
    assert (r.resolved, r.abandoned, r.error) == (1, 0, "")
    assert _active(am) == []
    assert dict(store.query("SELECT prediction_id, state FROM alert_deliveries").rows()) == {pid: "resolved"}


def test_a_live_one_killed_after_accept_is_posted_again_and_a_new_label_set_is_not_forgotten(am, tmp_path):
    """Killed after the accept while live: the next run re-posts it, one alert in Alertmanager. Killed again
    after the post that moved it to a new label set (its severity re-evaluated: the old set resolved, the
    new one fired): the store said firing with the old set only, and the new one stayed active once the
    prediction was scored."""
    store, cfg, pid = _setup(tmp_path, am.url)
    _killed_delivery(store, cfg)
    (first,) = am.alerts()
    r = deliver(store, load_config(cfg))
    assert (r.posted, r.error) == (1, "")
    (again,) = am.alerts()  # one alert: Alertmanager merged the re-post by its labels
    assert again["fingerprint"] == first["fingerprint"] and again["status"]["state"] == "active"
    row = store.query("SELECT state, labels FROM alert_deliveries").rows()
    assert row == [("firing", json.dumps(first["labels"], sort_keys=True))]
    store.execute("UPDATE predictions SET severity = 'MEDIUM' WHERE id = ?", [pid])
    _killed_delivery(store, cfg)
    assert [a["labels"]["severity"] for a in am.alerts() if a["status"]["state"] == "active"] == ["medium"]
    scored = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    store.execute("UPDATE predictions SET outcome_date = ?, accurate = true WHERE id = ?", [scored, pid])
    assert deliver(store, load_config(cfg), scored).resolved == 1
    assert _active(am) == []


def _bad(tmp_path, url: str):
    return alerts_config(tmp_path / "refused.toml", f"{url}/nowhere", min_severity=None, resend_seconds=None)
