"""Run the engines over the freshly generated demo data, as the collector would over real data.

Predictions are made at several moments in the past and scored at ``now``, so the demo's "measured
accuracy" is measured on the demo's own history, exactly as it would be on a real host.
Engines that are not built yet are skipped (an ImportError of their module), anything else raises.
"""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path

from analytics.store import Store


def _engine(module: str):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None
        raise


# Fix outcomes a team would have recorded: (a substring of the message, outcomes in order, solution)
DEMO_OUTCOMES = [
    ("ECONNREFUSED", [True, True, False, True, True, True, True],
     "1) Check redis is running: systemctl status redis\n2) Restart it: systemctl restart redis\n"
     "3) Check maxclients / memory in redis.conf"),
    ("No module named", [True, True, True], "pip install -r requirements.txt in the service's virtualenv"),
    ("remaining connection slots", [False, True, False], "Raise max_connections or put pgbouncer in front"),
    ("EADDRINUSE", [True], "Find the process on the port: ss -ltnp 'sport = :3000'; stop it or change PORT"),
]


def run_engines(store: Store, now: dt.datetime, *, project_dir: Path, log_dir: Path) -> None:
    patterns = _engine("analytics.patterns")
    if patterns is not None:
        patterns.learn_from_events(store)
        if hasattr(patterns, "record_demo_outcomes"):
            patterns.record_demo_outcomes(store, DEMO_OUTCOMES, now=now)
    predictions = _engine("analytics.predictions")
    forecast = _engine("analytics.forecast")
    for days_ago in (7, 6, 5, 4, 3, 2, 1):
        then = now - dt.timedelta(days=days_ago)
        if predictions is not None:
            predictions.refresh(store, now=then)
        if forecast is not None:
            forecast.refresh(store, now=then)
    if predictions is not None:
        predictions.score_due(store, now)
        predictions.refresh(store, now=now)
    if forecast is not None:
        forecast.refresh(store, now=now)
    recommend = _engine("analytics.recommend.engine")
    if recommend is not None:
        from analytics.config import Config, Watch
        cfg = Config(watch=Watch(project_dirs=(str(project_dir),), log_dirs=(str(log_dir),)))
        recommend.refresh(store, cfg, now=now)
