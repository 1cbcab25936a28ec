"""What an alert carries off the host is redacted: a recurring error's prediction quotes its log line in
the evidence, and whatever the line holds -- a JSON object, double quotes, a URL -- Alertmanager (here a
loopback HTTP server that records every body it is sent) never receives a password, nor an IP address or
a host name while the ``[ai]`` settings redact them from a prompt. The lines are recorded with ``lokifi
error record`` and predicted with ``lokifi ai predict``, as a user would."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from alert_servers import alerts_config
from click.testing import CliRunner

from analytics.alerts.deliver import deliver
from analytics.common.clipping import clipped
from analytics.config.settings import load_config
from analytics.store.database import Store
from lokifi_tui.cli.main import cli


def _config(tmp_path, url: str, extra: str = ""):
    return alerts_config(tmp_path, url, resend_seconds=None, extra=extra)


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


AUTH = "ERROR auth failed for user 'deploy' with password \"Tr0ub4dor&3\" from 192.168.7.9 try {}"
POOL = "ERROR pool exhausted connecting to postgresql://admin:S3cretPw@10.1.2.3:5432/app attempt {}"


@pytest.mark.slow
def test_two_patterns_of_a_component_arrive_told_apart_with_their_addresses_redacted_as_in_a_prompt(recorder, tmp_path):
    """`lokifi ai preview` shows a client's address as [IP] (redact_ips is on by default); the alert sent
    it as it was, summed both patterns up as "general/permission occurring frequently in myapp", and
    carried no pattern label. Now: [IP] in the alert too, the summary in the pattern's own words (what the
    dashboard's row says), and the pattern id that `lokifi ai preview` takes as a label."""
    db, cfg = tmp_path / "l.duckdb", _config(tmp_path, recorder.url)
    base = ["--db", str(db), "--config", str(cfg)]
    for line, times in ((AUTH, 4), (POOL, 5)):
        for n in range(1, times + 1):
            r = CliRunner().invoke(cli, [*base, "error", "record", line.format(n), "-c", "myapp"])
            assert r.exit_code == 0, r.output
    assert CliRunner().invoke(cli, [*base, "ai", "predict"]).exit_code == 0
    assert deliver(Store(db), load_config(cfg)).posted == 2
    body = recorder.text()
    for leaked in ("192.168.7.9", "10.1.2.3", "Tr0ub4dor", "S3cretPw"):
        assert leaked not in body, leaked
    by_summary = {a["annotations"]["summary"]: a for a in recorder.alerts()}
    auth = by_summary["4× ERROR auth failed for user 'deploy' with password \"[REDACTED:password]\" from [IP] try 4"]
    pool = by_summary[
        "5× ERROR pool exhausted connecting to postgresql://admin:[REDACTED:url_password]@[IP]:5432/app attempt 5"
    ]
    assert auth["annotations"]["description"] == "permission_error occurring frequently in myapp (4 times)"
    assert "from [IP] try 4" in json.loads(auth["annotations"]["evidence"])["current"]["example"]
    ids = {a["labels"]["pattern"] for a in (auth, pool)}
    assert len(ids) == 2 and all(len(i) == 12 for i in ids)
    assert auth["labels"].keys() == {"alertname", "component", "host", "severity", "pattern", "source"}
    preview = CliRunner().invoke(cli, [*base, "ai", "preview", auth["labels"]["pattern"]])
    assert preview.exit_code == 0 and "from [IP] try" in preview.output and "192.168" not in preview.output


def _plant_quoting(store, line: str, component: str = "api") -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    evidence = {"current": {"count": 6, "example": line}, "subject": "9f86d081884c7d659a2f"}
    store.execute(
        "INSERT INTO predictions (prediction_type, component, host, severity, message, recommendation, evidence, "
        "prediction_date, due_at) VALUES ('recurring_error', ?, 'web-1', 'HIGH', 'm', 'r', ?, ?, ?)",
        [component, json.dumps(evidence), now, now + dt.timedelta(hours=6)],
    )


@pytest.mark.parametrize(
    ("ai", "shown", "component"),
    [
        ("", "6× refused [IP] for db.internal.example.com", "[IP]:9100"),
        ("[ai]\nredact_ips = false\n", "6× refused 203.0.113.7 for db.internal.example.com", "203.0.113.7:9100"),
        ("[ai]\nredact_hostnames = true\n", "6× refused [IP] for [HOST]", "[IP]:9100"),
    ],
    ids=["defaults", "ips-kept", "hostnames-redacted"],
)
def test_the_ai_redaction_settings_apply_to_the_alerts_annotations_and_labels(recorder, tmp_path, ai, shown, component):
    store = Store(tmp_path / "l.duckdb")
    _plant_quoting(store, "refused 203.0.113.7 for db.internal.example.com", component="203.0.113.7:9100")
    assert deliver(store, load_config(_config(tmp_path, recorder.url, ai))).posted == 1
    (alert,) = recorder.alerts()
    assert alert["annotations"]["summary"] == shown
    assert alert["labels"]["component"] == component and alert["labels"]["pattern"] == "9f86d081884c"
    assert json.loads(alert["annotations"]["evidence"])["current"]["example"] == shown.removeprefix("6× ")
