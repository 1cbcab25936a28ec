"""Live predictions reach a real Prometheus Alertmanager (Debian's prometheus-alertmanager, on loopback):
labels and annotations, re-posting, resolution when scored, a prediction made again as the same alert, an
Alertmanager stopped (shown by `lokifi status`) and restarted, a refused post retried from the store, and
the terminal bell in another tmux window."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import time

import pytest
from alert_servers import AM, alerts_config, checked

from analytics.alerts.deliver import deliver, notify
from analytics.config.settings import load_config
from analytics.store.database import Store

pytestmark = [
    pytest.mark.skipif(
        AM is None, reason="prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)"
    ),
    pytest.mark.slow,
]  # measured: 26 s in all


def plant(store, now, severity, ptype="slow_response", component="api", hours=6, evidence=None) -> int:
    return store.scalar(
        "INSERT INTO predictions (prediction_type, component, host, severity, message, recommendation, "
        "confidence_score, confidence_kind, evidence, prediction_date, due_at) VALUES (?, ?, 'web-1', ?, ?, ?, 0.72, "
        "'measured', ?, ?, ?) RETURNING id",
        [
            ptype,
            component,
            severity,
            f"{component} response time will exceed 2000 ms",
            "scale out the api pool",
            json.dumps(evidence or {"current": 1800}),
            now - dt.timedelta(minutes=5),
            now + dt.timedelta(hours=hours),
        ],
    )


def test_live_predictions_arrive_with_labels_resolve_when_scored_and_survive_a_restart(am, tmp_path):
    store = Store(tmp_path / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    high = plant(store, now, "HIGH", evidence={"error_hash": "abc123def4567890"})
    med = plant(store, now, "MEDIUM", ptype="recurring_error", component="db")
    plant(store, now, "LOW", component="cache")  # below min_severity: not sent
    cfg = checked(alerts_config(tmp_path, am.url))
    r = deliver(store, cfg, now)
    assert (r.posted, r.resolved, r.error) == (2, 0, "")
    got = {a["annotations"]["prediction_id"]: a for a in am.alerts()}
    assert set(got) == {str(high), str(med)}
    a = got[str(high)]
    assert (
        a["labels"].items()
        >= {
            "alertname": "lokifi_slow_response",
            "component": "api",
            "host": "web-1",
            "severity": "high",
            "pattern": "abc123def456",
        }.items()
    )
    assert a["annotations"]["confidence"] == "0.72 (measured)" and "scale out" in a["annotations"]["action"]
    assert deliver(store, cfg, now + dt.timedelta(seconds=5)).waiting == 2  # not due for a re-post
    again = deliver(store, cfg, now + dt.timedelta(seconds=40))
    assert again.posted == 2 and len(am.alerts()) == 2  # re-posted, not duplicated
    # scored: resolved
    store.execute("UPDATE predictions SET outcome_date = ?, accurate = true WHERE id = ?", [now, med])
    r = deliver(store, cfg, now + dt.timedelta(seconds=41))
    assert r.resolved == 1
    active = [x for x in am.alerts() if x["status"]["state"] == "active"]
    assert [x["annotations"]["prediction_id"] for x in active] == [str(high)]
    # Alertmanager restarts (its alerts are in memory): the next re-post brings the live one back
    am.stop()
    down = deliver(store, cfg, now + dt.timedelta(seconds=80))
    assert down.error and "cannot deliver" in down.error and down.posted == 0
    shown = _alertmanager_status(tmp_path)  # down: `lokifi status` says so
    assert shown["endpoint"] == am.url and shown["state"] == "failing" and "cannot deliver" in shown["last_error"]
    assert shown["failing_since"].startswith((now + dt.timedelta(seconds=80)).isoformat(timespec="seconds"))
    am.start()
    assert am.alerts() == []
    back = deliver(store, cfg, now + dt.timedelta(seconds=81))
    assert back.posted == 1 and [x["annotations"]["prediction_id"] for x in am.alerts()] == [str(high)]
    assert _alertmanager_status(tmp_path)["state"] == "ok"


def lokifi(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """The `lokifi` command on the test's database and config, in a process of its own; it must succeed."""
    db, cfg = str(tmp_path / "l.duckdb"), str(tmp_path / "lokifi.toml")
    cmd = [sys.executable, "-m", "lokifi_tui.cli.main", "--db", db, "--config", cfg, *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r


def _alertmanager_status(tmp_path) -> dict:
    return json.loads(lokifi(tmp_path, "status", "--json").stdout)["alertmanager"]


def test_a_prediction_made_again_about_the_same_pattern_is_the_same_alert(am, tmp_path):
    """An alert's identity in Alertmanager is its label set: the prediction's number is an annotation, so
    the prediction made again once the last one was scored fires the same alert again (one alert, active,
    carrying the new number) -- its predecessor's resolution, in the same post, is not sent to end it."""
    store = Store(tmp_path / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    fp = "0123456789abcdef" * 4
    first = plant(store, now, "HIGH", ptype="recurring_error", component="apt")
    store.execute("UPDATE predictions SET subject = ? WHERE id = ?", [fp, first])
    cfg = checked(alerts_config(tmp_path, am.url))
    assert deliver(store, cfg, now).posted == 1
    (a,) = am.alerts()
    assert a["labels"]["pattern"] == fp[:12] and "prediction_id" not in a["labels"]
    # (Alertmanager reads startsAt and endsAt on its own clock: these happen now)
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    store.execute("UPDATE predictions SET outcome_date = ?, accurate = true WHERE id = ?", [later, first])
    again = plant(store, later, "HIGH", ptype="recurring_error", component="apt")
    store.execute("UPDATE predictions SET subject = ?, prediction_date = ? WHERE id = ?", [fp, later, again])
    r = deliver(store, cfg, later)
    assert (r.posted, r.resolved, r.error) == (1, 1, "")
    (b,) = am.alerts()
    assert b["fingerprint"] == a["fingerprint"] and b["status"]["state"] == "active"
    assert b["annotations"]["prediction_id"] == str(again)
    rows = dict(store.query("SELECT prediction_id, state FROM alert_deliveries").rows())
    assert rows == {first: "resolved", again: "firing"}


def test_muting_a_pattern_resolves_its_firing_alert(am, tmp_path):
    """`lokifi patterns mute` on an expected error: the alert its recurring prediction fires is resolved at
    the next delivery (a mute on another host leaves it), and fires again once unmuted."""
    from analytics.patterns.mutes import mute, unmute

    store = Store(tmp_path / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    fp = "0123456789abcdef" * 4
    store.execute(
        "INSERT INTO error_patterns (error_hash, error_type, error_message, template, component) "
        "VALUES (?, 'general', ?, ?, 'apt')",
        [fp, "policy-rc.d denied execution of start.", "policy-rc.d denied execution of start."],
    )
    pid = plant(store, now, "HIGH", ptype="recurring_error", component="apt")
    store.execute("UPDATE predictions SET subject = ? WHERE id = ?", [fp, pid])
    cfg = checked(alerts_config(tmp_path, am.url))
    assert deliver(store, cfg, now).posted == 1
    mute(store, fp[:8], now=now, host="web-2")  # expected on another host: web-1's alert keeps firing
    assert deliver(store, cfg, now).resolved == 0
    mute(store, fp[:8], now=now, reason="expected in containers", host="web-1")
    # (delivered at the real time: a resolution ends the alert then, and Alertmanager reads that on its clock)
    r = deliver(store, cfg, now)
    assert (r.resolved, r.posted) == (1, 0)
    assert [x for x in am.alerts() if x["status"]["state"] == "active"] == []
    unmute(store, fp[:8])
    assert deliver(store, cfg, now + dt.timedelta(seconds=2)).posted == 1
    mute(store, fp[:8], now=now)  # on every host
    assert deliver(store, cfg, now + dt.timedelta(seconds=3)).resolved == 1


def test_secrets_in_a_quoted_log_line_never_reach_alertmanager(am, tmp_path):
    """An error pattern's prediction quotes its last log line as evidence, and the alert carries the
    evidence to Alertmanager -- off the host. What arrives is redacted like a model prompt."""
    store = Store(tmp_path / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    line = "backup failed: mysqldump -u root -pHunter2xyz app | curl -u ops:Tr0ub4dor https://bk.example.com"
    plant(store, now, "HIGH", ptype="recurring_error", evidence={"error_hash": "feedbeef00112233", "example": line})
    r = deliver(store, checked(alerts_config(tmp_path, am.url)), now)
    assert r.posted == 1, r.error
    (got,) = am.alerts()
    text = json.dumps(got)
    assert "Hunter2xyz" not in text and "Tr0ub4dor" not in text
    assert "[REDACTED:password]" in got["annotations"]["evidence"] and "backup failed" in got["annotations"]["evidence"]


def test_a_refused_post_is_retried_from_the_store(am, tmp_path):
    store = Store(tmp_path / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    pid = plant(store, now, "HIGH")
    bad = checked(alerts_config(tmp_path, am.url + "/nowhere"))
    r = deliver(store, bad, now)
    assert r.error and "HTTP 404" in r.error
    assert store.scalar("SELECT state FROM alert_deliveries WHERE prediction_id = ?", [pid]) == "pending"
    r = deliver(store, checked(alerts_config(tmp_path, am.url)), now)
    assert r.posted == 1 and len(am.alerts()) == 1


def test_a_refused_alert_whose_prediction_is_scored_meanwhile_never_reaches_alertmanager(am, tmp_path):
    """Refused while live, scored before Alertmanager took it: abandoned, not sent late as a firing alert
    nor kept pending for ever; the live one beside it arrives."""
    store = Store(tmp_path / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    scored, live = plant(store, now, "HIGH"), plant(store, now, "HIGH", component="db")
    assert deliver(store, checked(alerts_config(tmp_path, am.url + "/nowhere")), now).error
    store.execute("UPDATE predictions SET outcome_date = ?, accurate = true WHERE id = ?", [now, scored])
    r = deliver(store, checked(alerts_config(tmp_path, am.url)), now + dt.timedelta(seconds=1))
    assert (r.posted, r.resolved, r.abandoned) == (1, 0, 1)
    assert [a["annotations"]["prediction_id"] for a in am.alerts()] == [str(live)]
    rows = dict(store.query("SELECT prediction_id, state FROM alert_deliveries").rows())
    assert rows == {scored: "abandoned", live: "firing"}


def test_the_collector_delivers_them(am, tmp_path):
    store = Store(tmp_path / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    pid = plant(store, now, "HIGH")
    checked(alerts_config(tmp_path, am.url))
    lokifi(tmp_path, "collect", "--once")
    assert [a["annotations"]["prediction_id"] for a in am.alerts()] == [str(pid)]


def test_a_recorded_error_reaches_alertmanager_in_its_own_words_with_its_pattern_and_no_address(am, tmp_path):
    """As a user meets it: lines recorded, `lokifi ai predict`, the collector delivers. Alertmanager's API
    shows the pattern's id as a label and its own words as the summary, the client's address as [IP]."""
    cfg = checked(alerts_config(tmp_path, am.url))
    assert cfg.ai.redact_ips  # the default, as for a prompt
    line = "ERROR auth failed for user 'deploy' with password \"Tr0ub4dor&3\" from 192.168.7.9 try {}"
    for n in range(1, 5):
        lokifi(tmp_path, "error", "record", line.format(n), "-c", "myapp")
    lokifi(tmp_path, "ai", "predict")
    lokifi(tmp_path, "collect", "--once", "-q")
    (a,) = am.alerts()
    assert "192.168.7.9" not in json.dumps(a) and "Tr0ub4dor" not in json.dumps(a)
    summary = "4× ERROR auth failed for user 'deploy' with password \"[REDACTED:password]\" from [IP] try 4"
    assert a["annotations"]["summary"] == summary
    fp = Store(tmp_path / "l.duckdb").scalar("SELECT subject FROM predictions")
    assert a["labels"]["pattern"] == fp[:12] and a["labels"]["component"] == "myapp"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_a_high_prediction_rings_the_bell_in_another_tmux_window(tmp_path):
    store = Store(tmp_path / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    plant(store, now, "HIGH")
    (tmp_path / "lokifi.toml").write_text("[notify]\nbell = true\ntmux = true\n")
    sock = str(tmp_path / "tmux.sock")
    tmux = ["tmux", "-S", sock]
    subprocess.run(tmux + ["new-session", "-d", "-s", "t", "-x", "100", "-y", "20"], check=True)
    try:
        subprocess.run(tmux + ["new-window", "-d", "-t", "t:1"], check=True)
        cmd = (
            f"{sys.executable} -m lokifi_tui.cli.main --db {store.path} --config {tmp_path / 'lokifi.toml'} "
            f"collect --once; touch {tmp_path / 'collected'}; sleep 30"
        )
        subprocess.run(tmux + ["send-keys", "-t", "t:1", cmd, "Enter"], check=True)
        flag = ""
        for _ in range(300):
            flag = subprocess.run(
                tmux + ["display", "-p", "-t", "t:1", "#{window_bell_flag}"], capture_output=True, text=True
            ).stdout.strip()
            if flag == "1":
                break
            time.sleep(0.1)
        assert flag == "1"
        # the bell rings as the notice is sent; the row recording it is committed when the command ends
        deadline = time.monotonic() + 60
        while not (tmp_path / "collected").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.scalar("SELECT count(*) FROM prediction_notices") == 1
        assert notify(store, load_config(tmp_path / "lokifi.toml"), now) == 0  # once per prediction
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)


def test_collector_sigkills_lose_and_duplicate_no_alert(am, tmp_path):
    """A collector delivering every second is SIGKILLed at random moments five times while predictions
    are planted and some expire: after a last round every live one is active in Alertmanager exactly once,
    every expired one is resolved there, and the store has one delivery row per prediction."""
    import os
    import random
    import signal

    store = Store(tmp_path / "l.duckdb")
    hooks = '[collect]\nrefresh_seconds = 1\nflush_seconds = 1\nhooks = ["analytics.alerts.deliver:deliver@1"]\n'
    checked(alerts_config(tmp_path, am.url, extra=hooks))
    ids, expiring = [], []
    rng = random.Random(7)
    cmd = [
        sys.executable,
        "-m",
        "lokifi_tui.cli.main",
        "--db",
        str(store.path),
        "--config",
        str(tmp_path / "lokifi.toml"),
        "collect",
        "-q",
    ]
    for round_ in range(5):
        live_now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        ids.append(plant(store, live_now, "HIGH", component=f"svc{round_}"))
        if round_ < 2:  # these expire while the collector comes and goes: they must end up resolved
            expiring.append(plant(store, live_now, "MEDIUM", component=f"short{round_}", hours=0.006))
            live_at_last_expiring = live_now
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        started = time.monotonic()
        if round_ < 2:
            # An expiring one must be sent while it is live (one never sent is abandoned, not resolved): on
            # a loaded machine the collector can take longer to start than the random kill below allows.
            # (A kill between Alertmanager's accept and the store's record of it leaves the row written
            # ahead of the post, 'posting': the last round resolves it like a firing one.)
            sent_by = started + 20
            while str(expiring[-1]) not in {a["annotations"]["prediction_id"] for a in am.alerts()}:
                assert time.monotonic() < sent_by, "the collector sent no alert within 20 s"
                time.sleep(0.1)
        time.sleep(max(0.0, rng.uniform(1.5, 4.0) - (time.monotonic() - started)))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    # the last round comes after the short ones have expired, however fast the rounds above went
    expired_by = live_at_last_expiring + dt.timedelta(hours=0.006, seconds=1)
    while dt.datetime.now(dt.UTC).replace(tzinfo=None) < expired_by:
        time.sleep(0.2)
    r = subprocess.run([*cmd[:-2], "collect", "--once"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    alerts = am.alerts()
    by_id: dict[str, list[dict]] = {}
    for a in alerts:
        by_id.setdefault(a["annotations"]["prediction_id"], []).append(a)
    assert all(len(v) == 1 for v in by_id.values())  # none duplicated
    active = {k for k, v in by_id.items() if v[0]["status"]["state"] == "active"}
    assert active == {str(i) for i in ids}  # none lost
    rows = store.query("SELECT prediction_id, state FROM alert_deliveries ORDER BY prediction_id").rows()
    assert len(rows) == len({p for p, _ in rows}) == len(ids) + len(expiring)
    states = dict(rows)
    assert all(states[i] == "firing" for i in ids) and all(states[i] == "resolved" for i in expiring)
    assert not active & {str(i) for i in expiring}  # expired: not active there
