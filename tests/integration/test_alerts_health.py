"""An Alertmanager that does not take the alerts is seen: `lokifi status` (and --json) names it, says since
when it fails, how often and why; the dashboard's top bar says it; the log says it once when it starts
failing and once when it works again, never at each attempt. Delivered to a loopback server that answers
what it is told to (or to a port nobody listens on), from a real store."""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from alert_servers import Recorder, alerts_config
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st
from loopback_support import free_port

from analytics.alerts.deliver import deliver
from analytics.config.settings import load_config
from analytics.store.database import Store
from lokifi_tui.cli.main import cli

T0 = dt.datetime(2030, 1, 1, 12, 0, 0)


def _config(tmp_path: Path, url: str) -> Path:
    return alerts_config(tmp_path, url, resend_seconds=5)


def _plant(store: Store, now: dt.datetime, component: str = "api") -> int:
    return store.scalar(
        "INSERT INTO predictions (prediction_type, component, host, metric, severity, message, recommendation, "
        "evidence, prediction_date, due_at) VALUES ('slow_response', ?, 'web-1', 'response_time_ms', 'HIGH', "
        "'slow', 'scale out', '{}', ?, ?) RETURNING id",
        [component, now - dt.timedelta(minutes=5), now + dt.timedelta(days=30)],
    )


def _status(tmp_path: Path, db: Path, cfg: Path, *args: str):
    r = CliRunner().invoke(cli, ["--db", str(db), "--config", str(cfg), "status", *args], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    return r.output


def _said(caplog, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "lokifi.alerts" and r.levelno == level]


@pytest.mark.slow
def test_a_refusing_alertmanager_shows_in_status_and_is_logged_once(recorder, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="lokifi.alerts")
    db, cfg_path = tmp_path / "l.duckdb", _config(tmp_path, recorder.url)
    store, cfg = Store(db), load_config(cfg_path)
    pid = _plant(store, T0)
    never = json.loads(_status(tmp_path, db, cfg_path, "--json"))["alertmanager"]
    assert never == {"endpoint": recorder.url, "state": "never"}
    assert deliver(store, cfg, T0).posted == 1
    assert json.loads(_status(tmp_path, db, cfg_path, "--json"))["alertmanager"]["state"] == "ok"
    recorder.status = 503
    for i in range(1, 4):  # three re-posts refused
        r = deliver(store, cfg, T0 + dt.timedelta(seconds=10 * i))
        assert r.posted == 0 and "HTTP 503" in r.error
    (warning,) = _said(caplog, logging.WARNING)
    assert recorder.url in warning and "HTTP 503" in warning and "1 alert kept" in warning
    am = json.loads(_status(tmp_path, db, cfg_path, "--json"))["alertmanager"]
    assert am["endpoint"] == recorder.url and am["state"] == "failing"
    assert am["failing_since"].startswith("2030-01-01T12:00:10") and am["failures"] == 3
    assert am["last_error"].startswith("HTTP 503") and am["undelivered"] == 1
    human = _status(tmp_path, db, cfg_path)
    line = next(x for x in human.splitlines() if x.startswith("alertmanager:"))
    assert f"{recorder.url} failing since 2030-01-01 12:00:10 UTC" in line and "3 posts in a row: HTTP 503" in line
    assert "1 alert kept for the next try" in line
    # it takes them again: the alert kept is sent, and that is said once
    recorder.status = 200
    assert deliver(store, cfg, T0 + dt.timedelta(seconds=40)).posted == 1
    assert deliver(store, cfg, T0 + dt.timedelta(seconds=50)).posted == 1
    assert [a["annotations"]["prediction_id"] for a in recorder.alerts()] == [str(pid)] * 3
    assert len(_said(caplog, logging.WARNING)) == 1 and len(_said(caplog, logging.INFO)) == 1
    assert recorder.url in _said(caplog, logging.INFO)[0]
    ok = json.loads(_status(tmp_path, db, cfg_path, "--json"))["alertmanager"]
    assert ok["state"] == "ok" and ok["failing_since"] is None and ok["failures"] == 0 and not ok["last_error"]
    assert "takes the alerts" in _status(tmp_path, db, cfg_path)


def test_an_alertmanager_that_is_down_shows_in_the_dashboards_top_bar(tmp_path):
    from analytics.dashboard.view import load_dashboard
    from lokifi_tui.widgets.topbar import StatsBar

    url = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    db, cfg_path = tmp_path / "l.duckdb", _config(tmp_path, url)
    store, cfg = Store(db), load_config(cfg_path)
    _plant(store, T0)
    view = load_dashboard(store, config=cfg, now=T0 + dt.timedelta(minutes=3))
    assert view.alertmanager is None  # never posted to: nothing to say
    assert "alertmanager" not in StatsBar._stats_text(view, short=False, ai_short=False).plain
    r = deliver(store, cfg, T0)
    assert "cannot deliver" in r.error
    view = load_dashboard(store, config=cfg, now=T0 + dt.timedelta(minutes=3))
    assert view.alertmanager.failing and view.alertmanager.endpoint == url
    assert "cannot deliver" in view.alertmanager.last_error
    assert "alertmanager failing 3m" in StatsBar._stats_text(view, short=False, ai_short=False).plain
    # at 80 columns (the shortest form) it is still there
    tiny = StatsBar._stats_text(view, short=True, ai_short=True, tiny=True)
    assert "AM ✗ 3m" in tiny.plain and tiny.cell_len <= 80


@pytest.mark.slow
@settings(max_examples=15, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=6))
def test_each_change_of_state_is_logged_once_and_the_last_one_is_stored(migrated, outcomes):
    """Posts accepted (True) or refused (False) in any order: one warning per run of refusals, one line
    per recovery from one, and the store says how the last run began and how long it is."""
    recorder = Recorder()
    handler = _Lines()
    logger = logging.getLogger("lokifi.alerts")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with tempfile.TemporaryDirectory() as d:
            store, cfg = migrated(Path(d) / "l.duckdb"), load_config(_config(Path(d), recorder.url))
            _plant(store, T0)
            for i, accepted in enumerate(outcomes):
                recorder.status = 200 if accepted else 500
                deliver(store, cfg, T0 + dt.timedelta(seconds=10 * i))
            row = store.query("SELECT state, failing_since, failures FROM alert_endpoint").rows()
    finally:
        logger.removeHandler(handler)
        recorder.close()
    said = ["ok" if r.levelno == logging.INFO else "failing" for r in handler.records]
    changes, before = [], "ok"
    for accepted in outcomes:
        now = "ok" if accepted else "failing"
        if now != before:
            changes.append(now)
        before = now
    assert said == changes
    run = len(outcomes) - len("".join("x" if a else "." for a in outcomes).rstrip("."))
    (state, since, failures) = row[0]
    assert state == ("ok" if outcomes[-1] else "failing") and failures == run
    assert since == (T0 + dt.timedelta(seconds=10 * (len(outcomes) - run)) if run else None)


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.slow
def test_the_collector_says_once_that_alertmanager_refuses_and_once_that_it_takes_them_again(recorder, tmp_path):
    """A running collector delivering every second: refused posts are said once, the first accepted one
    after them once, and no line is logged per HTTP request."""
    import signal
    import time

    db, cfg_path = tmp_path / "l.duckdb", _config(tmp_path, recorder.url)
    with cfg_path.open("a") as fh:
        fh.write('[collect]\nrefresh_seconds = 1\nflush_seconds = 1\nhooks = ["analytics.alerts.deliver:deliver@1"]\n')
    _plant(Store(db), dt.datetime.now(dt.UTC).replace(tzinfo=None))
    recorder.status = 503
    cmd = [sys.executable, "-m", "lokifi_tui.cli.main", "--db", str(db), "--config", str(cfg_path), "collect"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait(lambda: recorder.requests >= 3)
        recorder.status = 200
        _wait(lambda: len(recorder.bodies) >= 1)
        time.sleep(1.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert err.count("does not take the alerts") == 1 and "HTTP 503" in err, err
    assert err.count("takes the alerts again") == 1, err
    assert err.index("does not take") < err.index("takes the alerts again")
    assert "HTTP Request" not in err and "httpx" not in err, err


def _wait(done, limit: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + limit
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.slow
def test_each_collector_process_says_once_that_alertmanager_is_down(tmp_path):
    """A collector started while Alertmanager is down says so in its own log, even when an earlier
    process saw the failure begin."""
    db, cfg_path = tmp_path / "l.duckdb", _config(tmp_path, f"http://127.0.0.1:{free_port()}")
    _plant(Store(db), dt.datetime.now(dt.UTC).replace(tzinfo=None))
    cmd = [sys.executable, "-m", "lokifi_tui.cli.main", "--db", str(db), "--config", str(cfg_path), "collect"]
    for _ in range(2):
        r = subprocess.run([*cmd, "--once"], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert r.stderr.count("does not take the alerts") == 1, r.stderr
    assert Store(db).scalar("SELECT failures FROM alert_endpoint") == 2
