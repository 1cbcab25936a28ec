"""An alert whose prediction no longer meets ``[alerts] min_severity`` (raised since) is resolved in
Alertmanager at the next delivery, not left to end at its endsAt; one still waiting for Alertmanager is not
sent (abandoned, not kept pending for ever); lowered again, it fires again. Delivered from a real store to a
loopback server that answers what it is told to, and to Debian's real prometheus-alertmanager by `lokifi
collect --once` processes, as a user runs them."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from alert_servers import AM, Recorder, alerts_config, checked
from hypothesis import HealthCheck, example, given, settings, strategies as st

from analytics.alerts.deliver import deliver
from analytics.alerts.endpoint import DELIVERY_STATES
from analytics.store.database import Store

T0 = dt.datetime(2030, 1, 1, 12, 0, 0)
SEVERITIES = ("LOW", "MEDIUM", "HIGH")


def _config(path: Path, url: str, floor: str):
    return checked(alerts_config(path, url, min_severity=floor, resend_seconds=5))


def _plant(store: Store, now: dt.datetime, severity: str, component: str, due: dt.timedelta) -> int:
    return store.scalar(
        "INSERT INTO predictions (prediction_type, component, host, metric, severity, message, evidence, "
        "prediction_date, due_at) VALUES ('two_sigma', ?, 'web-1', 'response_time_ms', ?, 'slow', '{}', ?, ?) "
        "RETURNING id",
        [component, severity, now - dt.timedelta(minutes=5), now + due],
    )


def _states(store: Store) -> dict[int, str]:
    return dict(store.query("SELECT prediction_id, state FROM alert_deliveries").rows())


def _active(recorder: Recorder, now: dt.datetime) -> set[str]:
    """The prediction ids whose alerts Alertmanager holds active at ``now``: the last accepted post of each
    label set, ending after ``now``."""
    last: dict[frozenset, dict] = {}
    for a in recorder.alerts():
        last[frozenset(a["labels"].items())] = a
    at = now.replace(microsecond=0).isoformat() + "Z"
    return {a["annotations"]["prediction_id"] for a in last.values() if a["endsAt"] > at}


def test_a_firing_alert_below_a_raised_min_severity_is_resolved_at_once_and_fires_again_when_lowered(
    tmp_path, recorder
):
    """It was never re-posted nor resolved: Alertmanager kept it until its endsAt."""
    store = Store(tmp_path / "l.duckdb")
    medium = _plant(store, T0, "MEDIUM", "db", dt.timedelta(hours=6))
    high = _plant(store, T0, "HIGH", "api", dt.timedelta(hours=6))
    r = deliver(store, _config(tmp_path / "lokifi.toml", recorder.url, "MEDIUM"), T0)
    assert (r.posted, r.resolved) == (2, 0) and _active(recorder, T0) == {str(medium), str(high)}
    raised = _config(tmp_path / "lokifi.toml", recorder.url, "HIGH")
    later = T0 + dt.timedelta(seconds=1)  # the high one is not due for a re-post yet: the resolution goes alone
    r = deliver(store, raised, later)
    assert (r.posted, r.resolved, r.waiting, r.error) == (0, 1, 1, "")
    (resolution,) = json.loads(recorder.bodies[-1])
    assert resolution["annotations"]["prediction_id"] == str(medium) and resolution["endsAt"] == "2030-01-01T12:00:01Z"
    assert _active(recorder, later) == {str(high)} and _states(store) == {medium: "resolved", high: "firing"}
    # the next deliveries leave it alone (still live, still below)
    assert deliver(store, raised, later + dt.timedelta(seconds=1)).resolved == 0 and len(recorder.bodies) == 2
    r = deliver(store, _config(tmp_path / "lokifi.toml", recorder.url, "LOW"), later + dt.timedelta(seconds=2))
    assert r.posted == 1 and _states(store) == {medium: "firing", high: "firing"}
    assert _active(recorder, later + dt.timedelta(seconds=2)) == {str(medium), str(high)}


def test_a_pending_one_below_a_raised_min_severity_is_not_sent(tmp_path, recorder):
    """It stayed pending for ever, counted by `lokifi status` as kept for the next try."""
    store = Store(tmp_path / "l.duckdb")
    medium = _plant(store, T0, "MEDIUM", "db", dt.timedelta(hours=6))
    high = _plant(store, T0, "HIGH", "api", dt.timedelta(hours=6))
    recorder.status = 503
    assert deliver(store, _config(tmp_path / "lokifi.toml", recorder.url, "MEDIUM"), T0).error
    assert _states(store) == {medium: "pending", high: "pending"}
    raised = _config(tmp_path / "lokifi.toml", recorder.url, "HIGH")
    r = deliver(store, raised, T0 + dt.timedelta(seconds=10))  # still refused: the high one alone is kept
    assert r.error and r.abandoned == 1 and _states(store) == {medium: "abandoned", high: "pending"}
    assert store.scalar("SELECT undelivered FROM alert_endpoint") == 1
    recorder.status = 200
    r = deliver(store, raised, T0 + dt.timedelta(seconds=20))
    assert (r.posted, r.abandoned) == (1, 0) and _states(store) == {medium: "abandoned", high: "firing"}
    assert [a["annotations"]["prediction_id"] for a in recorder.alerts()] == [str(high)]


def test_one_raised_while_alertmanager_refuses_stays_firing_until_its_resolution_is_taken(tmp_path, recorder):
    store = Store(tmp_path / "l.duckdb")
    medium = _plant(store, T0, "MEDIUM", "db", dt.timedelta(hours=6))
    deliver(store, _config(tmp_path / "lokifi.toml", recorder.url, "MEDIUM"), T0)
    raised = _config(tmp_path / "lokifi.toml", recorder.url, "HIGH")
    recorder.status = 503
    assert deliver(store, raised, T0 + dt.timedelta(seconds=1)).error and _states(store) == {medium: "firing"}
    recorder.status = 200
    assert deliver(store, raised, T0 + dt.timedelta(seconds=2)).resolved == 1 and _states(store) == {medium: "resolved"}
    assert _active(recorder, T0 + dt.timedelta(seconds=2)) == set()


_step = st.tuples(st.sampled_from([200, 503]), st.integers(1, 120), st.sampled_from(SEVERITIES))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(_step, min_size=1, max_size=6),
    planted=st.lists(st.tuples(st.sampled_from(SEVERITIES), st.integers(1, 600)), min_size=1, max_size=4),
)
@example(
    steps=[(200, 1, "LOW"), (503, 1, "HIGH"), (200, 1, "HIGH"), (503, 10, "MEDIUM"), (200, 1, "MEDIUM")],
    planted=[("LOW", 600), ("MEDIUM", 600), ("HIGH", 600)],
)
def test_alertmanager_holds_exactly_the_live_alerts_at_or_above_the_threshold(
    tmp_path_factory, migrated, recorder, steps, planted
):
    """Predictions of each severity, the threshold moved up and down, Alertmanager up or down, time passing:
    after each delivery no alert waits that is below the threshold or over, and once Alertmanager took a
    delivery's post it holds active exactly the live predictions at or above the threshold."""
    tmp = tmp_path_factory.mktemp("steps")
    recorder.bodies.clear()
    store = migrated(tmp / "l.duckdb")  # a copy of the session's migrated database
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    sev = {_plant(store, T0, s, f"c{i}", dt.timedelta(seconds=d)): s for i, (s, d) in enumerate(planted)}
    now = T0
    for status, seconds, floor in steps:
        recorder.status = status
        now += dt.timedelta(seconds=seconds)
        r = deliver(store, _config(tmp / "lokifi.toml", recorder.url, floor), now)
        live = {pid for (pid,) in store.query("SELECT id FROM predictions WHERE due_at > ?", [now]).rows()}
        wanted = {pid for pid in live if rank[sev[pid]] >= rank[floor]}
        assert set(_states(store).values()) <= set(DELIVERY_STATES)  # the states `lokifi status` counts
        pending = {p for p, s in _states(store).items() if s == "pending"}
        assert pending <= wanted
        if not r.error:
            assert _active(recorder, now) == {str(p) for p in wanted}
            assert {p for p, s in _states(store).items() if s == "firing"} == wanted


def _lokifi(tmp_path: Path, *args: str) -> str:
    db, cfg = str(tmp_path / "l.duckdb"), str(tmp_path / "lokifi.toml")
    cmd = [sys.executable, "-m", "lokifi_tui.cli.main", "--db", db, "--config", cfg, *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.slow
@pytest.mark.skipif(AM is None, reason="prometheus-alertmanager is not installed")
def test_raising_min_severity_resolves_the_alert_in_alertmanager(am, tmp_path):
    """As a user meets it: the collector delivers, min_severity is raised in the config, the next
    `lokifi collect --once` resolves the alert that no longer meets it (the other stays active); lowered
    again, it is active again."""
    store = Store(tmp_path / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    medium = _plant(store, now, "MEDIUM", "db", dt.timedelta(hours=6))
    high = _plant(store, now, "HIGH", "api", dt.timedelta(hours=6))
    del store  # the processes below open the file

    def active() -> set[str]:
        return {a["annotations"]["prediction_id"] for a in am.alerts() if a["status"]["state"] == "active"}

    _config(tmp_path / "lokifi.toml", am.url, "MEDIUM")
    _lokifi(tmp_path, "collect", "--once", "-q")
    assert active() == {str(medium), str(high)}
    _config(tmp_path / "lokifi.toml", am.url, "HIGH")
    _lokifi(tmp_path, "collect", "--once", "-q")
    assert active() == {str(high)}
    shown = json.loads(_lokifi(tmp_path, "status", "--json"))["alertmanager"]["deliveries"]
    assert shown == {"pending": 0, "posting": 0, "firing": 1, "resolved": 1, "abandoned": 0}
    _config(tmp_path / "lokifi.toml", am.url, "MEDIUM")
    _lokifi(tmp_path, "collect", "--once", "-q")
    assert active() == {str(medium), str(high)}
