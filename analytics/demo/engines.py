"""Run the engines over the freshly generated demo data, as the collector would over real data.

Predictions are made at several moments in the past and scored at ``now``, so the demo's "measured
accuracy" is measured on the demo's own history, exactly as it would be on a real host.
"""

from __future__ import annotations

import datetime as dt

from analytics.forecast import stored as forecast
from analytics.patterns.learning import learn_from_events, record_outcome
from analytics.predict import predictions
from analytics.recommend import engine as recommend
from analytics.store.database import Store

# Fix outcomes a team would have recorded: (a substring of the message, outcomes in order, solution)
DEMO_OUTCOMES = [
    (
        "ECONNREFUSED",
        [True, True, False, True, True, True, True],
        "1) Check redis is running: systemctl status redis\n2) Restart it: systemctl restart redis\n"
        "3) Check maxclients / memory in redis.conf",
    ),
    ("No module named", [True, True, True], "pip install -r requirements.txt in the service's virtualenv"),
    ("remaining connection slots", [False, True, False], "Raise max_connections or put pgbouncer in front"),
    ("EADDRINUSE", [True], "Find the process on the port: ss -ltnp 'sport = :3000'; stop it or change PORT"),
]


def record_outcomes(store: Store, now: dt.datetime) -> None:
    """Record the demo team's fix outcomes through the same function the CLI and dashboard use."""
    for needle, outcomes, solution in DEMO_OUTCOMES:
        found = store.query(
            "SELECT error_hash FROM error_patterns WHERE error_message ILIKE ? ORDER BY occurrence_count DESC LIMIT 1",
            [f"%{needle}%"],
        )
        if not found.height:
            continue
        ref = found["error_hash"][0]
        for k, worked in enumerate(outcomes):
            when = now - dt.timedelta(days=len(outcomes) - k, hours=3)
            record_outcome(
                store,
                ref,
                worked,
                solution=solution if k == 0 else None,
                execution_time_ms=30_000 + 7_000 * k,
                now=when,
            )


def run_engines(store: Store, now: dt.datetime, *, config) -> None:
    """Run every engine over the demo data, with the demo's own config (its host and directories)."""
    learn_from_events(store)
    record_outcomes(store, now)
    for days_ago in (7, 6, 5, 4, 3, 2, 1):
        then = now - dt.timedelta(days=days_ago)
        predictions.refresh(store, now=then)
        forecast.refresh(store, now=then)
    predictions.score_due(store, now)
    predictions.refresh(store, now=now)
    forecast.refresh(store, now=now)
    recommend.refresh(store, config, now=now, host=config.host)
