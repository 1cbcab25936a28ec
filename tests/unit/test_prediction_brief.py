"""A prediction row's brief says what its type and component columns do not; ages read 'now', not '0s'."""

from __future__ import annotations

import datetime as dt
import json
import re

from hypothesis import given, strategies as st

from analytics.predict.brief import prediction_brief
from lokifi_tui.widgets.render import age, ago


def _recurring(count, example):
    return json.dumps({"current": {"count": count, "window_days": 7, "example": example}})


def test_two_recurring_patterns_of_one_component_read_apart():
    a = prediction_brief(
        "recurring_error",
        "redis",
        "connection_error occurring frequently in redis (15 times)",
        _recurring(15, "Error: connect ECONNREFUSED 10.0.3.200:6379"),
    )
    b = prediction_brief(
        "recurring_error",
        "redis",
        "connection_error occurring frequently in redis (18 times)",
        _recurring(18, "redis.exceptions.ConnectionError: Error 111 connecting"),
    )
    assert a == "15× Error: connect ECONNREFUSED 10.0.3.200:6379"
    assert b.startswith("18× redis.exceptions.ConnectionError")
    # a raw line's time/level header is dropped, its words kept
    c = prediction_brief(
        "recurring_error",
        "nginx",
        "",
        _recurring(60, "2026/11/19 14:00:12 [error] 22636#0: *81644 upstream timed out (110)"),
    )
    assert c.startswith("60× ") and "upstream timed out (110)" in c and "2026/11/19" not in c


def test_response_time_rules_show_their_figures():
    ev = json.dumps(
        {
            "current": {"avg_time_ms": 1120.04, "max_time_ms": 3970.08},
            "baseline": {"threshold_ms": 1000.0, "max_over_average_limit": 3.0},
        }
    )
    assert prediction_brief("slow_response", "worker", "m", ev) == "avg 1,120 ms, limit 1,000 ms"
    assert prediction_brief("performance_degradation", "worker", "m", ev) == "max 3.5× avg: 3,970 ms vs 1,120 ms"


def test_otherwise_the_message_without_its_component():
    msg = "cache_hit_rate of redis is 2.3 standard deviations below its baseline (now 0.424, baseline 0.765)"
    assert (
        prediction_brief("two_sigma", "redis", msg, "{}")
        == "cache_hit_rate is 2.3 standard deviations below its baseline (now 0.424, baseline 0.765)"
    )
    # evidence that is not what it should be: the message, untouched otherwise
    for bad in (
        "not json",
        "[1, 2]",
        '{"current": 5}',
        '{"current": {"count": "x", "example": 7}}',
        json.dumps({"current": {"avg_time_ms": float("nan") if False else "12", "max_time_ms": None}}),
    ):
        assert prediction_brief("slow_response", "", "the message", bad) == "the message"


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@given(
    st.text(max_size=20),
    st.text(max_size=12),
    st.text(max_size=80),
    st.one_of(
        st.text(max_size=60),
        st.dictionaries(st.sampled_from(["current", "baseline", "x"]), json_values, max_size=3).map(json.dumps),
    ),
)
def test_any_evidence_gives_one_line_and_never_raises(kind, component, message, evidence):
    out = prediction_brief(kind, component, message, evidence)
    assert isinstance(out, str) and "\n" not in out


def test_ages_under_a_minute_read_now():
    now = dt.datetime(2026, 11, 22, 2, 0)
    assert [age(now - dt.timedelta(seconds=s), now) for s in (0, 59, 60, 3600, 86400 * 15)] == [
        "now",
        "now",
        "1m",
        "1h",
        "2w",
    ]
    assert age(now + dt.timedelta(minutes=5), now) == "in 5m"
    assert ago(now, now) == "just now" and ago(now - dt.timedelta(hours=5), now) == "5h ago"
    assert ago(None, now) == "—"


def test_a_recurring_errors_example_is_stored_without_the_log_lines_header():
    from analytics.patterns.logline import message_of
    from analytics.predict.rules import RuleConfig, recurring_rules

    raw = "2026-12-05 00:31:53,249 ERROR shop: unhandled error in /cart\nTraceback (most recent call last):"
    row = {"host": "h", "component": "shop", "fingerprint": "f", "type": "general", "count": 9, "message": raw}
    (finding,) = recurring_rules([row], RuleConfig())
    assert finding.current["example"] == "shop: unhandled error in /cart\nTraceback (most recent call last):"
    # lines without a time, or with nothing after the header, are kept as they are
    assert (
        message_of("HTTP 503 from GET http://127.0.0.1:8181/health") == "HTTP 503 from GET http://127.0.0.1:8181/health"
    )
    assert message_of("2026-12-05 00:31:53 ERROR") == "2026-12-05 00:31:53 ERROR"
    assert message_of("") == ""
    # a long example is stored whole (an alert redacts it before shortening it: a cut first could leave half
    # a secret); its brief is cut with an ellipsis, so it does not read as the whole line
    row["message"] = "2026-12-05 00:31:53 ERROR upstream timed out while reading " + "x" * 300
    (finding,) = recurring_rules([row], RuleConfig())
    assert finding.current["example"] == "upstream timed out while reading " + "x" * 300
    brief = prediction_brief("recurring_error", "shop", "", json.dumps({"current": finding.current}))
    assert len(brief) == len("9× ") + 200 and brief.endswith("x…")


def test_a_recurring_errors_message_names_an_errors_kind_for_every_type():
    """Each type reads as the kind of error it is, as the seed names it (``connection_error occurring
    frequently in redis``): ``general occurring frequently in apt`` read as if something general occurred."""
    from analytics.patterns.classify import TYPES
    from analytics.predict.rules import RuleConfig, recurring_rules

    def said(etype):
        row = {"host": "h", "component": "apt", "fingerprint": "f", "type": etype, "count": 6, "message": "x"}
        (finding,) = recurring_rules([row], RuleConfig())
        return finding.message

    assert said("general") == "general_error occurring frequently in apt (6 times)"
    assert said("not_found") == "not_found_error occurring frequently in apt (6 times)"
    assert said("port_conflict") == "port_conflict occurring frequently in apt (6 times)"  # a conflict is one
    assert said("connection_error") == "connection_error occurring frequently in apt (6 times)"  # stored so
    assert said(None) == "error occurring frequently in apt (6 times)"
    for etype in TYPES:  # the type is still there to read: no two say the same
        assert said(etype).startswith(etype)
    assert len({said(t) for t in TYPES}) == len(TYPES)


def test_a_patterns_examples_show_their_time_once():
    from types import SimpleNamespace

    from rich.console import Console

    from lokifi_tui.widgets.detail_pages import render_pattern

    when = dt.datetime(2026, 12, 5, 0, 31)
    p = SimpleNamespace(
        error_type="general",
        component="shop",
        template="unhandled error in /cart for order <*>",
        message="",
        count=2,
        last_seen=when,
        confidence=None,
        lo=None,
        hi=None,
        success=0,
        failure=0,
        auto_approved=False,
        version=0,
        solution=None,
    )
    raw = "2026-12-05 00:31:53,249 ERROR shop: unhandled error in /cart for order 85811"
    d = SimpleNamespace(
        pattern=p,
        examples=(
            (when, "shop", raw, ""),
            (when, "db", "ERROR:  duplicate key", "DETAIL:  Key (id)=(1)\nSTATEMENT:  x"),
        ),
        occurrences=(),
        confidence_over_time=(),
        fixes=(),
        versions=(),
    )
    console = Console(width=160, record=True, color_system=None)
    console.print(render_pattern(d, when))
    text = console.export_text()
    assert "2026-12-05 00:31 shop shop: unhandled error in /cart for order 85811" in text
    assert "00:31:53,249" not in text
    assert "db ERROR:  duplicate key\n    DETAIL:  Key (id)=(1)\n    STATEMENT:  x\n" in text  # its context under it


def _pane_message(template: str, message: str) -> str:
    """The Error patterns pane's message cell of a pattern with this template and example."""
    from types import SimpleNamespace

    from lokifi_tui.widgets.panes import pattern_cells

    row = SimpleNamespace(
        error_type="general",
        count=3,
        confidence=None,
        lo=None,
        hi=None,
        auto_approved=False,
        template=template,
        message=message,
    )
    return pattern_cells(row, dt.datetime(2026, 12, 5), 20)[-1].plain


def test_a_json_log_lines_pattern_reads_as_its_message():
    """Pino, bunyan, zap, structlog ... lines are JSON objects: the pane and the brief show their message
    field, not '{"level": <*>, "time": <*>, "pid": <*>, ...' cut at the column's width."""

    from analytics.patterns.json_message import json_message

    line = '{"level":50,"time":1764900000000,"pid":42,"hostname":"web-1","msg":"connect ECONNREFUSED 10.0.0.7:6379"}'
    template = '{"level": <*>, "time": <*>, "pid": <*>, "hostname": "<*>", "msg": "connect ECONNREFUSED <*>"}'
    cell = _pane_message(template, line)
    assert cell == "connect ECONNREFUSED <*>  e.g. connect ECONNREFUSED 10.0.0.7:6379"
    assert prediction_brief("recurring_error", "web", "", _recurring(88, line)) == (
        "88× connect ECONNREFUSED 10.0.0.7:6379"
    )
    # structlog's event, escapes undone; lines that are not JSON objects, or have no message, are left alone
    assert json_message('{"event": "user \\"bob\\" logged in", "level": "info"}') == 'user "bob" logged in'
    assert json_message("ERROR {not json}") is None and json_message('{"level": "info", "n": 3}') is None


#: a real Alertmanager 0.25 line (Debian's prometheus-alertmanager started with a missing config file)
ALERTMANAGER = (
    "ts=2026-12-06T02:09:21.112Z caller=coordinator.go:118 level=error component=configuration "
    'msg="Loading configuration file failed" file=/nonexistent.yml err="open /nonexistent.yml: no such file or '
    'directory"'
)


def test_a_logfmt_lines_pattern_reads_as_its_message_and_error(tmp_path):
    """Go services of the Prometheus ecosystem write logfmt: 'ts=<*> caller=<*> level=error component=...'
    filled the column before the message began. The pane, the brief and `patterns scan` show its msg and,
    after it, its err field (what went wrong)."""

    from click.testing import CliRunner

    from analytics.patterns.json_message import structured_message
    from analytics.patterns.severity import keyed_level
    from lokifi_tui.cli.main import cli

    template = (
        "ts=<*> caller=<*> level=error component=configuration "
        'msg="Loading configuration file failed" file=<*> err="open <*>: no such file or directory"'
    )
    cell = _pane_message(template, ALERTMANAGER)
    assert cell == (
        "Loading configuration file failed: open <*>: no such file or directory  e.g. "
        "Loading configuration file failed: open /nonexistent.yml: no such file or directory"
    )
    assert prediction_brief("recurring_error", "am", "", _recurring(3, ALERTMANAGER)) == (
        "3× Loading configuration file failed: open /nonexistent.yml: no such file or directory"
    )
    assert keyed_level(ALERTMANAGER) == "ERROR"
    # zap's JSON keeps its error apart too; a bare key=value in prose, or a lone pair, is not logfmt
    assert structured_message('{"level":"error","msg":"dial failed","error":"connection refused"}') == (
        "dial failed: connection refused"
    )
    assert structured_message('level=warn msg="retry \\"db\\" soon"') == 'retry "db" soon'
    assert structured_message("upload failed a=b c=d") is None and structured_message("a=b") is None
    assert structured_message('level=info err="x"') is None  # no message: the line is shown as it is

    log = tmp_path / "alertmanager.log"
    log.write_text(ALERTMANAGER + "\n")
    r = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "l.duckdb"), "patterns", "scan", "--errors", str(log)], env={"COLUMNS": "200"}
    )
    assert r.exit_code == 0, r.output
    assert "Loading configuration file failed: open /nonexistent.yml: no such file or directory" in r.output
    assert "caller=" not in r.output
    r = CliRunner().invoke(cli, ["--db", str(tmp_path / "l.duckdb"), "patterns", "scan", "--json", str(log)])
    [p] = json.loads(r.output)["patterns"]
    assert p["example"] == ALERTMANAGER and p["level"] == "ERROR"  # the data itself is kept whole
    # learned, it lists and its last error shows the same way
    cfg = tmp_path / "c.toml"
    cfg.write_text('[general]\nhost = "h1"\n[[components]]\nname = "alertmanager"\n')
    base = ["--db", str(tmp_path / "l.duckdb"), "--config", str(cfg)]
    assert (
        CliRunner()
        .invoke(cli, [*base, "error", "record", ALERTMANAGER, "-c", "alertmanager", "--host", "h1"])
        .exit_code
        == 0
    )
    for args in (["patterns", "list"], ["status"]):
        r = CliRunner().invoke(cli, [*base, *args], env={"COLUMNS": "200"})
        assert r.exit_code == 0, r.output
        assert "Loading configuration file failed: open" in r.output and "caller=" not in r.output, args


_KEYS = st.sampled_from(["ts", "caller", "level", "component", "msg", "err", "file", "x.y", "a_b", "n-1"])
_VALUES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


def _logfmt(value: str) -> str:
    """A value written as Go's logfmt writers write it: bare when it can be, else quoted (strconv.Quote)."""
    bare = value and not any(c.isspace() or c in '"=\\' for c in value) and value.isprintable()
    return value if bare else json.dumps(value, ensure_ascii=False)


@given(st.lists(st.tuples(_KEYS, _VALUES), min_size=2, max_size=8))
def test_logfmt_fields_read_back_what_was_written(pairs):
    from analytics.patterns.json_message import logfmt_fields, structured_message

    line = " ".join(f"{k}={_logfmt(v)}" for k, v in pairs)
    expected: dict[str, str] = {}
    for k, v in pairs:
        expected.setdefault(k, v)
    got = logfmt_fields(line)
    if len(expected) < 2:
        assert got is None
        return
    assert got == expected
    msg, err = expected.get("msg", ""), expected.get("err", "")
    want = (f"{msg}: {err}" if err.strip() and err not in msg else msg) if msg.strip() else None
    assert structured_message(line) == want


WHEN = dt.datetime(2026, 12, 5, 0, 31)


def _prediction_page(
    rule: str, evidence: dict, *, brief: str = "", message: str = "m", width: int = 100, baseline: dict | None = None
) -> str:
    """The text of a prediction's details page, for a prediction of ``rule`` with ``evidence``."""
    from types import SimpleNamespace

    from rich.console import Console

    from lokifi_tui.widgets.detail_pages import render_prediction

    p = SimpleNamespace(
        severity="HIGH",
        type=rule,
        component="postgres",
        host="db-1",
        brief=brief,
        message=message,
        confidence=0.9,
        confidence_kind="prior",
        made_at=WHEN,
        due_at=WHEN,
        recommendation="Review error logs",
    )
    d = SimpleNamespace(prediction=p, rule_precision=None, rule_scored=0, evidence=evidence, baseline=baseline)
    console = Console(width=width, record=True, color_system=None)
    console.print(render_prediction(d, WHEN))
    return console.export_text()


def test_a_recurring_predictions_example_context_is_a_row_of_its_own():
    ev = {
        "current": {"count": 5, "example": "duplicate key", "example_context": "DETAIL:  Key (id)=(5)\nSTATEMENT:  x"}
    }
    text = _prediction_page(
        "recurring_error",
        ev,
        brief="5× duplicate key",
        message="general_error occurring frequently in postgres (5 times)",
    )
    lines = [line.rstrip() for line in text.splitlines()]
    assert lines[-2:] == ["With it  DETAIL:  Key (id)=(5)", "         STATEMENT:  x"]
    assert "Example context" not in text


def test_a_predictions_deviation_says_what_it_measures():
    """A recurring error counted 6 times against a threshold of 3 showed `Deviation 2`, beside `Threshold 3`
    (2 is neither the count nor its distance from the threshold: it is the count over the threshold)."""

    def shown(rule: str, deviation: float) -> list[str]:
        ev = {"current": {"count": 6}, "baseline": {"threshold": 3}, "deviation": deviation}
        lines = _prediction_page(rule, ev, width=120).splitlines()
        return [line.split(None, 1)[1].rstrip() for line in lines if line.startswith("Deviation")]

    assert shown("recurring_error", 2.0) == ["2× the threshold (the count over it)"]
    assert shown("two_sigma", -2.5) == ["-2.5 standard deviations from the baseline mean"]
    assert shown("performance_degradation", 3.14159) == ["3.14× the mean (the largest response over the average)"]
    assert shown("some_new_rule", 1.5) == ["1.5"]


def test_a_predictions_baseline_reads_as_the_evidence_does():
    """The baseline under a prediction showed `Mad` and `Sample count 8064` under evidence that said
    `Baseline samples 8,064`."""
    base = {
        "metric_name": "response_time_ms",
        "baseline_value": 268.2,
        "std_deviation": 76.62,
        "median_value": 267.0,
        "mad_value": 51.12,
        "sample_count": 8064,
    }
    text = _prediction_page("performance_degradation", {}, baseline=base)
    rows = [re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in text[text.index("Baseline") :].splitlines()[1:]]
    assert [tuple(r) for r in rows] == [
        ("Metric", "response_time_ms"),
        ("Mean", "268 ms"),
        ("Std deviation", "76.62 ms"),
        ("Median", "267 ms"),
        ("MAD", "51.12 ms"),
        ("Samples", "8,064"),
    ]
