"""A rule's confidence is measured from its first scored prediction on (its prior counting as a few
outcomes), and every place that shows it -- the command, the dashboard's details, the alert -- says the
same figure and how many outcomes it rests on."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from click.testing import CliRunner
from rich.console import Console

from analytics.common.clock import utcnow
from analytics.predict import predictions as P, reads
from analytics.predict.confidence import PRIOR_WEIGHT
from analytics.store.metrics import append_events

NOW = utcnow().replace(minute=0, second=0, microsecond=0)  # the command predicts at the clock's now
PRIOR = 0.90  # recurring_error's prior


def test_one_scored_outcome_makes_the_confidence_measured():
    assert P.confidence("recurring_error", "h1", {}) == (PRIOR, "prior", 0)
    conf, kind, n = P.confidence("recurring_error", "h1", {("recurring_error", "h1"): (1, 0)})
    assert (kind, n) == ("measured", 1) and conf == pytest.approx(PRIOR * PRIOR_WEIGHT / (1 + PRIOR_WEIGHT))
    conf, kind, n = P.confidence("recurring_error", "h1", {("recurring_error", "h1"): (7, 7)})
    assert (kind, n) == ("measured", 7) and PRIOR < conf < 1  # seven hits of seven: above the prior, not certain
    # another host's record is not this one's
    assert P.confidence("recurring_error", "h2", {("recurring_error", "h1"): (7, 7)})[1] == "prior"


@pytest.fixture
def scored_db(migrated, tmp_path):
    """Seven recurring_error predictions on h1 about pattern fp1, each due and each come true (the pattern
    occurred in its horizon), and the error still recurring now."""
    store = migrated(tmp_path / "c.duckdb")
    events = [
        {
            "ts": NOW - dt.timedelta(hours=6 * k + 1),
            "host": "h1",
            "component": "redis",
            "message": f"ECONNREFUSED 127.0.0.1:6379 #{k}",
            "fingerprint": "fp1",
            "type": "connection",
        }
        for k in range(1, 29)
    ]
    append_events(store, pl.DataFrame(events))
    for k in range(7):
        made = NOW - dt.timedelta(days=8 - k)
        store.execute(
            "INSERT INTO predictions (prediction_type, rule, component, host, subject, severity, message, "
            "confidence_score, confidence_kind, prediction_date, due_at, horizon_hours) "
            "VALUES ('recurring_error', 'recurring_error', 'redis', 'h1', 'fp1', 'HIGH', 'old', 0.9, 'prior', "
            "?, ?, 24)",
            [made, made + dt.timedelta(hours=24)],
        )
    return store


def test_scoring_restates_the_open_predictions_and_every_reader_says_the_same(scored_db):
    store = scored_db
    first = P.refresh(store, now=NOW - dt.timedelta(hours=2), detector=False)  # made before the scoring
    (open_pred,) = [p for p in first.predictions if p.type == "recurring_error"]
    assert open_pred.confidence_kind == "prior" or open_pred.confidence_n < 7
    assert P.score_due(store, NOW) == 7
    want = (7 + PRIOR_WEIGHT * PRIOR) / (7 + PRIOR_WEIGHT)
    with store.read() as con:
        detail = reads.prediction_detail(con, open_pred.id)
        live = reads.live_predictions(con, NOW, 10)
    row = detail.prediction
    assert (row.confidence, row.confidence_kind, row.confidence_n) == (pytest.approx(want), "measured", 7)
    assert row.confidence_label == "measured, 7 outcomes" and (detail.rule_scored, detail.rule_accurate) == (7, 7)
    assert [r.confidence_label for r in live if r.id == open_pred.id] == ["measured, 7 outcomes"]
    alert_row = store.query(f"SELECT confidence FROM predictive_alerts WHERE prediction_id = {open_pred.id}")
    assert alert_row.item(0, 0) == pytest.approx(want)

    from lokifi_tui.widgets.detail_pages import render_prediction

    console = Console(width=120, record=True, color_system=None)
    console.print(render_prediction(detail, NOW))
    text = console.export_text()
    assert f"{want * 100:.0f}% (measured, 7 outcomes)" in text
    assert "100% of 7 scored predictions on h1 came true" in text

    from analytics.alerts.deliver import _annotations
    from analytics.rca.redact import Redactor

    with store.read() as con:
        cur = con.execute(f"SELECT * FROM predictions WHERE id = {open_pred.id}")
        p = dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
    assert _annotations(p, Redactor.for_config(None))["confidence"] == f"{want:.2f} (measured, 7 outcomes)"

    # the command, made again at the same moment: the same figure, the same words
    again = P.refresh(store, now=NOW, detector=False, record=False)
    (same,) = [p for p in again.predictions if p.type == "recurring_error"]
    assert (same.id, same.confidence, same.confidence_kind, same.confidence_n) == (
        open_pred.id,
        row.confidence,
        "measured",
        7,
    )


def test_ai_predict_says_measured_with_its_count(scored_db):
    from lokifi_tui.cli.main import cli

    r = CliRunner().invoke(cli, ["--db", str(scored_db.path), "ai", "predict", "--component", "redis"])
    assert r.exit_code == 0, r.output
    want = (7 + PRIOR_WEIGHT * PRIOR) / (7 + PRIOR_WEIGHT)
    assert f"Confidence: {want * 100:.0f}% (measured, 7 outcomes)" in r.output
    assert "(prior)" not in r.output
