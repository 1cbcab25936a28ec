"""A prediction row's brief says what its type and component columns do not; ages read 'now', not '0s'."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, strategies as st

from analytics.predict.brief import prediction_brief
from lokifi_tui.widgets.render import age, ago


def _recurring(count, example):
    return json.dumps({"current": {"count": count, "window_days": 7, "example": example}})


def test_two_recurring_patterns_of_one_component_read_apart():
    a = prediction_brief(
        "recurring_error",
        "redis",
        "connection occurring frequently in redis (15 times)",
        _recurring(15, "Error: connect ECONNREFUSED 10.0.3.200:6379"),
    )
    b = prediction_brief(
        "recurring_error",
        "redis",
        "connection occurring frequently in redis (18 times)",
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
        {"current": {"avg_time_ms": 1120.04, "max_time_ms": 3970.08}, "baseline": {"threshold_ms": 1000.0, "k": 3.0}}
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
    # a long example is cut with an ellipsis, so it does not read as the whole line (it ended mid-URL)
    row["message"] = "2026-12-05 00:31:53 ERROR upstream timed out while reading " + "x" * 300
    (finding,) = recurring_rules([row], RuleConfig())
    assert len(finding.current["example"]) == 200 and finding.current["example"].endswith("x…")


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


def test_a_json_log_lines_pattern_reads_as_its_message():
    """Pino, bunyan, zap, structlog ... lines are JSON objects: the pane and the brief show their message
    field, not '{"level": <*>, "time": <*>, "pid": <*>, ...' cut at the column's width."""
    from types import SimpleNamespace

    from analytics.patterns.json_message import json_message
    from lokifi_tui.widgets.panes import pattern_cells

    line = '{"level":50,"time":1764900000000,"pid":42,"hostname":"web-1","msg":"connect ECONNREFUSED 10.0.0.7:6379"}'
    template = '{"level": <*>, "time": <*>, "pid": <*>, "hostname": "<*>", "msg": "connect ECONNREFUSED <*>"}'
    row = SimpleNamespace(
        error_type="connection",
        count=88,
        confidence=None,
        lo=None,
        hi=None,
        auto_approved=False,
        template=template,
        message=line,
    )
    cell = pattern_cells(row, dt.datetime(2026, 12, 5), 20)[-1].plain
    assert cell == "connect ECONNREFUSED <*>  e.g. connect ECONNREFUSED 10.0.0.7:6379"
    assert prediction_brief("recurring_error", "web", "", _recurring(88, line)) == (
        "88× connect ECONNREFUSED 10.0.0.7:6379"
    )
    # structlog's event, escapes undone; lines that are not JSON objects, or have no message, are left alone
    assert json_message('{"event": "user \\"bob\\" logged in", "level": "info"}') == 'user "bob" logged in'
    assert json_message("ERROR {not json}") is None and json_message('{"level": "info", "n": 3}') is None


def test_a_recurring_predictions_example_context_is_a_row_of_its_own():
    from types import SimpleNamespace

    from rich.console import Console

    from lokifi_tui.widgets.detail_pages import render_prediction

    when = dt.datetime(2026, 12, 5, 0, 31)
    p = SimpleNamespace(
        severity="HIGH",
        type="recurring_error",
        component="postgres",
        host="db-1",
        brief="5× duplicate key",
        message="general occurring frequently in postgres (5 times)",
        confidence=0.9,
        confidence_kind="prior",
        made_at=when,
        due_at=when,
        recommendation="Review error logs",
    )
    ev = {
        "current": {"count": 5, "example": "duplicate key", "example_context": "DETAIL:  Key (id)=(5)\nSTATEMENT:  x"}
    }
    d = SimpleNamespace(prediction=p, rule_precision=None, rule_scored=0, evidence=ev, baseline=None)
    console = Console(width=100, record=True, color_system=None)
    console.print(render_prediction(d, when))
    text = console.export_text()
    lines = [line.rstrip() for line in text.splitlines()]
    assert lines[-2:] == ["With it  DETAIL:  Key (id)=(5)", "         STATEMENT:  x"]
    assert "Example context" not in text
