"""The dashboard shows every live prediction `ai predict` shows: one row per type, component, host and subject."""

from __future__ import annotations

import datetime as dt

from analytics.predict.reads import live_predictions

NOW = dt.datetime(2026, 11, 21, 12)


def test_two_recurring_patterns_on_one_component_are_two_rows(store):
    for subject, n in (("pattern-a", 18), ("pattern-b", 15)):
        store.execute(
            "INSERT INTO predictions (prediction_type, component, host, subject, severity, message, confidence_score, "
            "prediction_date, due_at) VALUES ('recurring_error', 'redis', 'h', ?, 'HIGH', ?, 0.9, ?, ?)",
            [
                subject,
                f"connection_error occurring frequently in redis ({n} times)",
                NOW - dt.timedelta(hours=1),
                NOW + dt.timedelta(hours=23),
            ],
        )
    # a newer prediction of the same subject replaces the older one, it does not add a row
    store.execute(
        "INSERT INTO predictions (prediction_type, component, host, subject, severity, message, confidence_score, "
        "prediction_date, due_at) VALUES ('recurring_error', 'redis', 'h', 'pattern-a', 'HIGH', 'newer', 0.9, ?, ?)",
        [NOW - dt.timedelta(minutes=5), NOW + dt.timedelta(hours=23)],
    )
    with store.read() as con:
        rows = live_predictions(con, NOW, 50)
    assert len(rows) == 2
    assert sorted(r.message for r in rows) == ["connection_error occurring frequently in redis (15 times)", "newer"]
