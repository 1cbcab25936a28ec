"""What an alert carries off the host is redacted: a recurring error's prediction quotes its log line in
the evidence, and whatever the line holds -- a JSON object, double quotes, a URL -- Alertmanager (here a
loopback HTTP server that records every body it is sent) never receives a password. The lines are
recorded with ``lokifi error record`` and predicted with ``lokifi ai predict``, as a user would."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from analytics.alerts.deliver import deliver
from analytics.common.clipping import clipped
from analytics.config.settings import load_config
from analytics.store.database import Store
from lokifi_tui.cli.main import cli


class Recorder:
    """An HTTP server on loopback that accepts every POST and keeps its body."""

    def __init__(self) -> None:
        bodies: list[bytes] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.bodies = bodies
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def text(self) -> str:
        return b"".join(self.bodies).decode()

    def alerts(self) -> list[dict]:
        return [a for body in self.bodies for a in json.loads(body)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder():
    r = Recorder()
    yield r
    r.close()


def _config(tmp_path, url: str):
    path = tmp_path / "lokifi.toml"
    path.write_text(f'[alerts]\nmin_severity = "MEDIUM"\n[alerts.alertmanager]\nurl = "{url}"\ntimeout = 3.0\n')
    return path


def _record_and_deliver(tmp_path, url: str, line: str, times: int = 12) -> None:
    db, cfg = tmp_path / "l.duckdb", _config(tmp_path, url)
    base = ["--db", str(db), "--config", str(cfg)]
    for _ in range(times):
        r = CliRunner().invoke(cli, [*base, "error", "record", line, "-c", "api"], catch_exceptions=False)
        assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, [*base, "ai", "predict"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    report = deliver(Store(db), load_config(cfg))
    assert report is not None and report.posted >= 1, report


def _leaks(body: str, secret: str) -> bool:
    """The secret in the body in any of the forms it can take there: as is or JSON-escaped once or twice."""
    once = json.dumps(secret)[1:-1]
    return secret in body or once in body or json.dumps(once)[1:-1] in body


# the review's lines: quoted and JSON-style passwords, which the serialised evidence used to escape
QUOTED_LINES = [
    ('login failed for {"user": "bob", "password": "Hunter2xyz"} at db', "Hunter2xyz"),
    ('request {"api_key": "Kx9Hunter2api"} refused', "Kx9Hunter2api"),
    ('bad config {"secret":"Hunter2sec"}', "Hunter2sec"),
    ('upstream said {"token": "Hunter2tok"} is invalid', "Hunter2tok"),
    ('login failed: invalid password "Hunter2inv" for bob', "Hunter2inv"),
    ('connect failed password="Hunter2pq" host=db', "Hunter2pq"),
    ('ALTER USER app IDENTIFIED BY "Hunter2idb"; failed', "Hunter2idb"),
    ("login failed, the password is Hunter2prose for bob", "Hunter2prose"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("line", "secret"), QUOTED_LINES, ids=[s for _, s in QUOTED_LINES])
def test_a_quoted_password_in_a_recurring_line_never_reaches_alertmanager(recorder, tmp_path, line, secret):
    _record_and_deliver(tmp_path, recorder.url, line)
    body = recorder.text()
    assert not _leaks(body, secret), body
    (alert,) = [a for a in recorder.alerts() if a["labels"]["alertname"] == "lokifi_recurring_error"]
    evidence = json.loads(alert["annotations"]["evidence"])  # still JSON, each string redacted
    assert "[REDACTED:" in evidence["current"]["example"]
    assert evidence["current"]["count"] == 12


@pytest.mark.slow
def test_a_url_password_past_the_old_cut_reaches_alertmanager_redacted_whole(recorder, tmp_path):
    """The stored example used to be cut at 200 characters before the alert redacted it; a cut inside a
    URL's password (before its '@') left the start of the password out. It is now stored whole and
    redacted before it is shortened."""
    line = "pool exhausted while " + "retrying " * 17 + "postgres://app:Sup3rS3cretPassw0rd@db.internal:5432/app"
    assert line.index("Sup3r") < 199 < line.index("@db")  # where the old cut fell
    _record_and_deliver(tmp_path, recorder.url, line)
    body = recorder.text()
    assert "Sup3r" not in body and "[REDACTED:url_password]" in body


@pytest.mark.slow
def test_an_example_stored_cut_before_this_release_is_redacted_too(recorder, tmp_path):
    """Predictions stored before the example was kept whole hold it cut (an ellipsis after half a URL's
    password): the cut password is still recognised as one."""
    store = Store(tmp_path / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    example = clipped("pool exhausted: " + "x" * 160 + " postgres://app:Sup3rS3cretPassw0rd@db/app", 200)
    assert example.endswith("app:Sup3rS3…")
    store.execute(
        "INSERT INTO predictions (prediction_type, component, host, severity, message, recommendation, evidence, "
        "prediction_date, due_at) VALUES ('recurring_error', 'api', 'web-1', 'HIGH', 'm', 'r', ?, ?, ?)",
        [json.dumps({"current": {"example": example}}), now, now + dt.timedelta(hours=6)],
    )
    r = deliver(store, load_config(_config(tmp_path, recorder.url)), now)
    assert r.posted == 1, r.error
    assert "Sup3r" not in recorder.text() and "[REDACTED:url_password]" in recorder.text()


def test_message_action_and_every_string_of_the_evidence_are_redacted(recorder, tmp_path):
    """Every annotation, and strings anywhere in the evidence (lists, nested objects, member names), and
    members named as secrets whatever they hold; the evidence stays JSON."""
    store = Store(tmp_path / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    evidence = {
        "current": {"example_context": 'DETAIL: {"password": "Hunter2ctx"}', "lines": ['pwd is "Hunter2lst"']},
        "baseline": {"db_password": "two words Hunter2", "note": "card 4111 1111 1111 1111", "threshold": 3},
    }
    store.execute(
        "INSERT INTO predictions (prediction_type, component, host, severity, message, recommendation, evidence, "
        "prediction_date, due_at) VALUES ('recurring_error', 'api', 'web-1', 'HIGH', ?, ?, ?, ?, ?)",
        [
            'api failing: {"token": "Hunter2msg"}',
            'rotate the key: export GITHUB_AUTH="Hunter2act"',
            json.dumps(evidence),
            now,
            now + dt.timedelta(hours=6),
        ],
    )
    assert deliver(store, load_config(_config(tmp_path, recorder.url)), now).posted == 1
    body = recorder.text()
    for secret in ("Hunter2ctx", "Hunter2lst", "two words", "4111", "Hunter2msg", "Hunter2act"):
        assert not _leaks(body, secret), secret
    (alert,) = recorder.alerts()
    ev = json.loads(alert["annotations"]["evidence"])
    assert ev["baseline"]["threshold"] == 3 and ev["baseline"]["db_password"] == "[REDACTED:password]"


def test_a_component_and_host_named_by_a_log_source_are_redacted_in_the_labels(recorder, tmp_path):
    """A log source names its own component (a syslog tag, a container's name): a hostile one that puts a
    password there does not get it into the alert's labels. Lokifi's own identifiers stay as they are, and a
    pattern id that is not hex is not sent."""
    store = Store(tmp_path / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    store.execute(
        "INSERT INTO predictions (prediction_type, component, host, severity, message, recommendation, evidence, "
        "prediction_date, due_at) VALUES ('recurring_error', ?, ?, 'HIGH', 'm', 'r', ?, ?, ?)",
        [
            "api password=Hunter2cmp\nnext",
            "web-1 password Hunter2host",
            json.dumps({"pattern": "pwd is Hunter2pat"}),
            now,
            now + dt.timedelta(hours=6),
        ],
    )
    store.execute(
        "INSERT INTO predictions (prediction_type, component, host, severity, message, recommendation, evidence, "
        "prediction_date, due_at) VALUES ('recurring_error', 'db', 'web-2', 'HIGH', 'm', 'r', ?, ?, ?)",
        [json.dumps({"error_hash": "9f86d081884c7d659a2f"}), now, now + dt.timedelta(hours=6)],
    )
    assert deliver(store, load_config(_config(tmp_path, recorder.url)), now).posted == 2
    body = recorder.text()
    for secret in ("Hunter2cmp", "Hunter2host", "Hunter2pat"):
        assert not _leaks(body, secret), secret
    hostile, plain = sorted(recorder.alerts(), key=lambda a: a["labels"]["component"])
    assert hostile["labels"]["component"] == "api password=[REDACTED:password] next"
    assert hostile["labels"]["host"] == "web-1 password [REDACTED:password]"
    assert "pattern" not in hostile["labels"] and hostile["labels"]["alertname"] == "lokifi_recurring_error"
    assert plain["labels"]["component"] == "db" and plain["labels"]["host"] == "web-2"
    assert plain["labels"]["pattern"] == "9f86d081884c" and plain["labels"]["severity"] == "high"
