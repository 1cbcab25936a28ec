"""The dashboard's read model (analytics/dashboard/view.py) on a seeded store: what each pane gets."""

from __future__ import annotations

import datetime as dt

import pytest
from tui_support import H_HOSTILE, H_REDIS, H_TIMEOUT, HOSTILE_ESCAPE, HOSTILE_MARKUP, NOW

from analytics.dashboard import view as dv


def test_learning_stats_are_counted_from_the_store(seeded):
    view = dv.load_dashboard(seeded, now=NOW)
    learning = view.learning
    assert learning.patterns == 3
    assert learning.high_confidence == 1  # only h-redis is >= 0.7
    assert learning.effectiveness == pytest.approx(100 / 3)
    assert (learning.fixes_worked, learning.fixes_failed) == (9, 1)
    # 3 predictions scored, 2 accurate: the accuracy shown is the measured one
    assert learning.predictions_scored == 3
    assert learning.prediction_accuracy == pytest.approx(200 / 3)


def test_no_scored_predictions_means_no_accuracy(tmp_path):
    view = dv.load_dashboard(tmp_path / "empty.duckdb", now=NOW)
    assert view.learning.prediction_accuracy is None
    assert view.learning.effectiveness is None
    assert all(len(p.rows) == 0 for p in view.panes.values())


def test_live_predictions_exclude_scored_and_overdue(seeded):
    rows = dv.load_dashboard(seeded, now=NOW).pane("predictions").rows
    assert [r.message for r in rows if r.message == "old, scored"] == []
    assert {r.component for r in rows} == {"backend", "redis", "frontend"}
    assert rows[0].severity == "HIGH" and rows[-1].severity == "MEDIUM"
    # a day later every prediction is past due: none is live any more
    later = dv.load_dashboard(seeded, now=NOW + dt.timedelta(days=2))
    assert later.pane("predictions").rows == ()


def test_recommendation_queue_order_and_snooze(seeded):
    rows = dv.load_dashboard(seeded, now=NOW).pane("recommendations").rows
    assert [r.priority for r in rows] == [1, 2, 3]
    assert rows[2].title == HOSTILE_MARKUP  # stored and returned as is; the view makes it inert
    seeded.execute(
        "UPDATE smart_recommendations SET status='snoozed', snoozed_until=? WHERE id=?",
        [NOW + dt.timedelta(hours=1), rows[0].id],
    )
    now_rows = dv.load_dashboard(seeded, now=NOW).pane("recommendations").rows
    assert rows[0].id not in [r.id for r in now_rows]
    back = dv.load_dashboard(seeded, now=NOW + dt.timedelta(hours=2))
    assert rows[0].id in [r.id for r in back.pane("recommendations").rows]


def test_pattern_confidence_carries_its_uncertainty(seeded):
    rows = {r.key: r for r in dv.load_dashboard(seeded, now=NOW).pane("patterns").rows}
    redis = rows[H_REDIS]
    assert redis.auto_approved and 0.75 < redis.confidence < 0.9  # 9 of 10 worked
    assert redis.lo < 0.9 < redis.hi  # 9/10 observed
    wide = rows[H_TIMEOUT]
    assert (wide.hi - wide.lo) > (redis.hi - redis.lo)  # 2/4 is less certain than 9/10
    assert rows[H_HOSTILE].lo is None  # no outcomes: no interval, shown as a prior
    assert rows[H_HOSTILE].template == HOSTILE_ESCAPE


def test_details(seeded):
    pattern = dv.load_pattern_detail(seeded, H_REDIS, now=NOW)
    assert len(pattern.fixes) == 10 and len(pattern.examples) == 5
    assert sum(pattern.occurrences) == 5
    assert len(pattern.confidence_over_time) == 10
    assert dv.load_pattern_detail(seeded, "nope", now=NOW) is None
    rec = dv.load_recommendation_detail(seeded, 1)
    assert rec.rec.action == "lokifi scan"
    pred_rows = dv.load_dashboard(seeded, now=NOW).pane("predictions").rows
    slow = next(r for r in pred_rows if r.type == "slow_response")
    pred = dv.load_prediction_detail(seeded, slow.id)
    assert pred.evidence["baseline"] == 310.2
    # slow_response has 2 scored outcomes, both accurate: the rule's measured precision is 100 %
    assert (pred.rule_scored, pred.rule_accurate) == (2, 2)
    comp = dv.load_component_detail(seeded, "backend", now=NOW)
    assert comp.metrics[0][0] == "response_time_ms" and len(comp.metrics[0][2]) == 72


def test_db_signature_changes_on_write_not_on_read(seeded):
    before = dv.db_signature(seeded.path)
    dv.load_dashboard(seeded, now=NOW)
    assert dv.db_signature(seeded.path) == before
    seeded.execute("UPDATE smart_recommendations SET impact_score = 1 WHERE id = 1")
    assert dv.db_signature(seeded.path) != before
    assert dv.db_signature(seeded.path.with_name("missing.duckdb")) is None


def test_ai_status_never_claims_a_model_without_an_endpoint_or_key(monkeypatch):
    from analytics.config.settings import AI, Config

    assert dv.ai_status(Config()).startswith("offline")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert dv.ai_status(Config()) == "gpt-4o-mini @ api.openai.com"
    assert dv.ai_status(Config(ai=AI(base_url="http://127.0.0.1:8080/v1", model="llama3"))) == (
        "llama3 @ http://127.0.0.1:8080/v1"
    )


def test_hosts_for_h_include_those_with_only_errors_and_those_muted_on(seeded):
    """H cycled through hosts with recent metrics only: a host that reports only error events (a Loki
    stream, an ingested log) was never offered, and a mute set there could not be ended from the
    dashboard."""
    before = dv.load_dashboard(seeded, now=NOW).hosts
    seeded.execute(
        "INSERT INTO error_events (ts, host, component, message, source, level) "
        "VALUES (?, 'db-1', 'postgres', 'FATAL: too many connections', 'loki', 'ERROR')",
        [NOW - dt.timedelta(minutes=5)],
    )
    seeded.execute(
        "INSERT INTO pattern_mutes (fingerprint, host, muted_at, until, reason) VALUES (?, 'ct-9', ?, NULL, NULL)",
        [H_TIMEOUT, NOW - dt.timedelta(days=1)],
    )
    after = dv.load_dashboard(seeded, now=NOW).hosts
    assert "db-1" not in before and {"db-1", "ct-9"} <= set(after)
