"""Predictions on data whose truth is known: made by the product, scored by the product when their
horizon passes, and the confidence it shows moves from the seed's prior to the measured hit rate at the
first outcome."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import polars as pl
import pytest

from analytics.predict import predictions as P
from analytics.store.metrics import append_events, append_metrics

T0 = dt.datetime(2026, 3, 2)
DAYS = 21
FIX_DAY = 14  # slowapi is slow (1500 ms) until day 14, then 300 ms


def day(d, h=12):
    return T0 + dt.timedelta(days=d, hours=h)


@pytest.fixture(scope="module")
def base_db(tmp_path_factory):
    from analytics.store.database import Store

    path = tmp_path_factory.mktemp("pred") / "base.duckdb"
    store = Store(path)
    rng = np.random.default_rng(11)
    n = DAYS * 144
    ts = np.array([T0 + dt.timedelta(minutes=10 * k) for k in range(n)], dtype="datetime64[us]")
    t_days = np.arange(n) / 144.0
    frames = []

    def add(comp, values, metric="response_time_ms"):
        frames.append(pl.DataFrame({"ts": ts, "host": "h1", "component": comp, "metric": metric, "value": values}))

    add("slowapi", np.where(t_days < FIX_DAY, 1500.0, 300.0) + rng.normal(0, 20, n))
    spikes = (np.arange(n) % 72) == 36  # one sample every 12 hours
    add("spiky", np.where(spikes, 400.0, 100.0 + rng.normal(0, 2, n)))
    add("spiky2", np.where(spikes, 250.0, 100.0 + rng.normal(0, 2, n)))
    add("okapi", 200.0 + rng.normal(0, 2, n))
    append_metrics(store, pl.concat(frames))
    ev = []
    for k in range(DAYS * 8):  # fpA: every 3 hours, all along
        ev.append(
            {
                "ts": T0 + dt.timedelta(hours=3 * k, minutes=7),
                "host": "h1",
                "component": "redis",
                "message": f"ECONNREFUSED 127.0.0.1:6379 #{k}",
                "fingerprint": "fpA",
                "type": "connection",
            }
        )
    for k in range(5):  # fpB: five times on day 2, never again
        ev.append(
            {
                "ts": day(2, 1 + k),
                "host": "h1",
                "component": "worker",
                "message": f"MemoryError #{k}",
                "fingerprint": "fpB",
                "type": "memory",
            }
        )
    append_events(store, pl.DataFrame(ev))
    return path


@pytest.fixture
def store(base_db, tmp_path):
    from analytics.store.database import Store

    dst = tmp_path / "p.duckdb"
    dst.write_bytes(base_db.read_bytes())
    return Store(dst)


def run_days(store, days, **kw):
    """What the collector does once a day: score what is due, then predict."""
    shown = {}
    for d in days:
        P.score_due(store, day(d))
        res = P.refresh(store, now=day(d), hours=24, detector=False, **kw)
        shown[d] = res.predictions
    return shown


def find(preds, rule, comp):
    return [p for p in preds if p.type == rule and p.component == comp]


@pytest.mark.slow
def test_predictions_scored_against_truth_and_confidence_moves(store):
    shown = run_days(store, range(7, 20))
    P.score_due(store, day(20))
    rows = store.query(
        "SELECT rule, component, subject, prediction_date, due_at, accurate, actual_value, "
        "lead_hours, confidence_score, confidence_kind FROM predictions ORDER BY prediction_date"
    )
    slow = rows.filter(pl.col("rule") == "slow_response")
    # the rule fires while the 7-day average is above 1000 ms: days 7..16
    assert [r.day - T0.day for r in slow["prediction_date"]] == list(range(7, 17))
    for r in slow.to_dicts():
        d = (r["prediction_date"] - T0).days
        slow_share = min(max(FIX_DAY - (d + 0.5), 0.0), 1.0)  # share of the next 24 h before the fix
        assert r["accurate"] == (1500 * slow_share + 300 * (1 - slow_share) > 1000), r
        assert (r["actual_value"] > 1000) == r["accurate"]
    # stored: the first with the seed's prior (nothing scored while it was open), each later one measured
    # on the outcomes scored when it was (the previous day's, then its own is scored and it is closed)
    assert slow["confidence_kind"].to_list() == ["prior"] + ["measured"] * 9
    assert slow["confidence_score"][0] == 0.85

    rec = rows.filter(pl.col("rule") == "recurring_error")
    a = rec.filter(pl.col("subject") == "fpA")
    b = rec.filter(pl.col("subject") == "fpB")
    assert a["accurate"].to_list()[:12] == [True] * 12  # fpA keeps happening
    assert b["accurate"].to_list() == [False, False]  # fpB never came back
    assert b["prediction_date"].to_list() == [day(7), day(8)]  # then it left the 7-day window
    assert all(0 <= x <= 3 for x in a["lead_hours"].to_list()[:12])
    # shown confidence: the seed's prior until the first outcome, then the measured hit rate
    conf = [
        (d, p.confidence, p.confidence_kind, p.confidence_n)
        for d in range(7, 20)
        for p in find(shown[d], "recurring_error", "redis")
    ]
    assert conf[0] == (7, 0.9, "prior", 0)
    assert [c[2] for c in conf[1:]] == ["measured"] * (len(conf) - 1), conf
    for d, shown_conf, _, shown_n in conf[1:]:
        n, hits = store.query(
            "SELECT count(*), count(*) FILTER (WHERE accurate) FROM predictions WHERE rule = 'recurring_error' "
            "AND outcome_date <= ?",
            [day(d)],
        ).row(0)
        # the posterior mean of the hit rate with the prior worth two outcomes, never the raw rate
        assert shown_n == n >= 1 and shown_conf == pytest.approx((hits + 2 * 0.9) / (n + 2))
    assert min(c[1] for c in conf[1:]) < 0.9  # the two fpB misses count

    stats = {s["rule"]: s for s in P.rule_stats(store)}
    s = stats["slow_response"]
    assert (s["scored"], s["hits"], s["false_alarms"]) == (10, 6, 4)
    assert s["precision"] == pytest.approx(0.6) and s["confidence_kind"] == "measured"
    assert s["confidence"] == pytest.approx((6 + 2 * 0.85) / 12)  # 6 hits of 10, the prior worth two
    assert s["mean_lead_hours"] == pytest.approx(0.0)  # still slow at the first horizon hour


def test_degradation_rule_and_sensitivity(store):
    res = P.refresh(store, now=day(10), detector=False)
    assert [p.component for p in res.predictions if p.type == "performance_degradation"] == ["spiky"]
    res = P.refresh(store, now=day(10, 13), sensitivity="moderate", detector=False, record=False)
    assert {p.component for p in res.predictions if p.type == "performance_degradation"} >= {"spiky", "spiky2"}
    p = find(res.predictions, "performance_degradation", "spiky2")[0]
    assert p.severity == "MEDIUM" and "Max: 250" in p.message and p.confidence == 0.7
    P.score_due(store, day(12))
    r = store.query("SELECT accurate, actual_value FROM predictions WHERE rule = 'performance_degradation'")
    assert r["accurate"].to_list() == [True] and r["actual_value"][0] > 3.5


def test_no_duplicates_and_component_filter(store):
    first = P.refresh(store, now=day(9), detector=False)
    again = P.refresh(store, now=day(9, 13), detector=False)
    assert first.stored > 0 and again.stored == 0
    assert {p.id for p in again.predictions} == {p.id for p in first.predictions}
    only = P.refresh(store, now=day(9, 14), detector=False, component="slowapi", record=False)
    assert {p.component for p in only.predictions} == {"slowapi"}
    alerts = store.query("SELECT count(*) AS n, count(prediction_id) AS linked FROM predictive_alerts").row(0)
    assert alerts[0] == first.stored == alerts[1]
    ev = json.loads(store.query("SELECT current_metrics FROM predictive_alerts WHERE component = 'slowapi'").item(0, 0))
    assert ev["avg_time_ms"] > 1000 and ev["samples"] == 7 * 144


def test_an_open_prediction_says_what_its_rule_sees_now(store):
    first = P.refresh(store, now=day(9), detector=False)
    (rec,) = find(first.predictions, "recurring_error", "redis")
    n = rec.evidence["current"]["count"]
    assert f"({n} times)" in rec.message
    extra = [
        {
            "ts": day(9, 11) + dt.timedelta(minutes=20 + k),
            "host": "h1",
            "component": "redis",
            "message": f"ECONNREFUSED 127.0.0.1:6379 late #{k}",
            "fingerprint": "fpA",
            "type": "connection",
        }
        for k in range(10)
    ]
    append_events(store, pl.DataFrame(extra))

    def stored():
        return store.query(
            f"SELECT message, evidence, prediction_date, due_at, confidence_score FROM predictions WHERE id = {rec.id}"
        ).row(0)

    before = stored()
    P.refresh(store, now=day(9), detector=False)
    after = stored()
    assert f"({n + 10} times)" in after[0] and f"({n} times)" in before[0]
    ev = json.loads(after[1])
    assert ev["current"]["count"] == n + 10 and ev["current"]["example"].endswith("late #9")
    assert ev["updated_at"] == day(9).isoformat()
    assert after[2:] == before[2:]  # made at and due stay as made (it is scored on them); nothing new scored
    alert = store.query(f"SELECT prediction, current_metrics FROM predictive_alerts WHERE prediction_id = {rec.id}")
    assert alert.row(0)[0] == after[0] and json.loads(alert.row(0)[1])["count"] == n + 10
    P.refresh(store, now=day(9) + dt.timedelta(minutes=5), detector=False)
    assert stored() == after  # nothing new: nothing written


def test_forecasts_are_scored_by_their_interval(store):
    hour = day(15, 3)
    for lo, hi in ((190.0, 210.0), (250.0, 260.0)):
        store.execute(
            "INSERT INTO predictions (prediction_type, component, host, metric, predicted_value, lo, hi, rule, "
            "evidence, prediction_date, due_at) VALUES ('forecast', 'okapi', '', 'response_time_ms', ?, ?, ?, "
            "'forecast', ?, ?, ?)",
            [
                (lo + hi) / 2,
                lo,
                hi,
                json.dumps({"hour_start": hour.isoformat()}),
                day(14),
                hour + dt.timedelta(hours=1),
            ],
        )
    assert P.score_due(store, hour) == 0  # not due yet
    assert P.score_due(store, hour + dt.timedelta(hours=1)) == 2
    r = store.query("SELECT lo, accurate, actual_value FROM predictions ORDER BY lo")
    assert r["accurate"].to_list() == [True, False]
    assert r["actual_value"][0] == pytest.approx(200, abs=2)


def test_detector_findings_on_a_planted_anomaly(migrated, tmp_path):

    store = migrated(tmp_path / "d.duckdb")
    rng = np.random.default_rng(3)
    n = 24 * 30 * 6
    ts = np.array([T0 + dt.timedelta(minutes=10 * k) for k in range(n)], dtype="datetime64[us]")
    hod = (np.arange(n) // 6) % 24
    v = 200 + 50 * np.sin(2 * np.pi * hod / 24) + rng.normal(0, 5, n)
    v[-6 * 5 :] += 400  # the last five hours are very wrong
    append_metrics(
        store, pl.DataFrame({"ts": ts, "host": "h1", "component": "api", "metric": "response_time_ms", "value": v})
    )
    now = T0 + dt.timedelta(days=30)
    res = P.refresh(store, now=now)
    anomalies = find(res.predictions, "anomaly", "api")
    assert anomalies and anomalies[0].confidence_kind == "prior"
    # the scan is remembered: the next refresh in the same hour does not rescan, and keeps the finding
    again = P.refresh(store, now=now + dt.timedelta(minutes=20))
    assert find(again.predictions, "anomaly", "api") and again.stored == 0
