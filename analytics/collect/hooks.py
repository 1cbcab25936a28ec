"""The engines' refresh hooks: what the collector runs after a flush when due (learning, predictions,
forecasts, recommendations, retention, the RCA cache, alert delivery).

Every hook has one signature, :data:`Hook`: ``hook(store, config, now)``, called directly. The built-in
hooks below adapt each engine's own function to it. A hook is named ``module:function`` (run every
``[collect] refresh_seconds``) or ``module:function@SECONDS``; ``[collect] hooks`` in the config replaces
:data:`DEFAULT_HOOKS`. A name of an engine function below (also by its module's former home) runs the
built-in hook; any other name is imported and called with the one signature (skipped quietly when it
cannot be imported).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from typing import Any

from analytics.common.clock import utcnow
from analytics.common.moved import current as current_module
from analytics.store.database import Store

#: A refresh hook: ``hook(store, config, now)``.
Hook = Callable[[Store, Any, dt.datetime], object]

#: Run in order after a flush when due; see the module docstring.
DEFAULT_HOOKS = (
    "analytics.patterns.learning:learn_from_events",
    "analytics.predict.predictions:score_due@300",
    "analytics.predict.predictions:refresh@900",
    "analytics.forecast.stored:refresh@900",
    "analytics.recommend.engine:refresh@900",
    "analytics.collect.hooks:apply_retention@21600",
    "analytics.rca.cache:daily_clean@3600",
    "analytics.alerts.deliver:deliver@15",
    "analytics.alerts.deliver:notify@10",
)


# The engines are imported when their hook first runs (in the collector's refresh thread), never at start.


def learn_patterns(store: Store, config: Any, now: dt.datetime) -> object:
    from analytics.patterns.learning import learn_from_events

    return learn_from_events(store)


def score_predictions(store: Store, config: Any, now: dt.datetime) -> object:
    from analytics.predict.scoring import score_due

    return score_due(store, now=now)


def refresh_predictions(store: Store, config: Any, now: dt.datetime) -> object:
    from analytics.predict.predictions import refresh

    return refresh(store, now=now)


def refresh_forecasts(store: Store, config: Any, now: dt.datetime) -> object:
    from analytics.forecast.stored import refresh

    return refresh(store, now=now)


def refresh_recommendations(store: Store, config: Any, now: dt.datetime) -> object:
    from analytics.recommend.engine import refresh

    return refresh(store, config=config, now=now, background=True)


def clean_rca_cache(store: Store, config: Any, now: dt.datetime) -> object:
    from analytics.rca.cache import daily_clean

    return daily_clean(store, now=now)


def deliver_alerts(store: Store, config: Any, now: dt.datetime) -> object:
    from analytics.alerts.deliver import deliver

    return deliver(store, config=config, now=now)


def notify(store: Store, config: Any, now: dt.datetime) -> object:
    from analytics.alerts.deliver import notify as ring

    return ring(store, config=config, now=now)


def apply_retention(store: Store, config: Any, now: dt.datetime | None = None) -> None:
    """The ``[retention]`` settings, applied by the collector every few hours to what it gathered: raw
    metrics, error events and predictions past their age (:func:`analytics.store.retention.prune`; the hourly
    rollup keeps the metrics' summary), probe results with the metrics, and the recorded health of an
    Alertmanager endpoint no longer configured. Rows imported with ``lokifi ingest`` are never deleted
    here: ``lokifi db prune`` does that, and asks first."""
    from analytics.alerts.endpoint import kept
    from analytics.store.retention import apply_retention as prune_gathered

    r = config.retention
    now = now or utcnow()
    prune_gathered(store, config, now=now, endpoints=kept(config))
    store.execute_named("probe_results.prune", [now - dt.timedelta(days=r.metrics_days)])


#: The built-in hooks by the ``module:function`` of the engine function each runs.
BUILTIN: dict[str, Hook] = {
    "analytics.patterns.learning:learn_from_events": learn_patterns,
    "analytics.predict.predictions:score_due": score_predictions,
    "analytics.predict.scoring:score_due": score_predictions,
    "analytics.predict.predictions:refresh": refresh_predictions,
    "analytics.forecast.stored:refresh": refresh_forecasts,
    "analytics.recommend.engine:refresh": refresh_recommendations,
    "analytics.collect.hooks:apply_retention": apply_retention,
    "analytics.collect.loop:apply_retention": apply_retention,  # its home before the collector was split
    "analytics.rca.cache:daily_clean": clean_rca_cache,
    "analytics.alerts.deliver:deliver": deliver_alerts,
    "analytics.alerts.deliver:notify": notify,
}


def _runs(hook: str | Hook, builtin: Hook) -> bool:
    try:
        return resolve_hook(hook) is builtin
    except (ImportError, AttributeError, ValueError):
        return False


def learns_from_events(hook: str | Hook) -> bool:
    """Whether ``hook`` is the pattern learning, which the collector also runs soon after it has written
    error events (not only every ``refresh_seconds``)."""
    return _runs(hook, learn_patterns)


def refreshes_recommendations(hook: str | Hook) -> bool:
    """Whether ``hook`` is the recommendations' refresh, which the collector also runs soon after a
    reload changed its config (the places it watches may have changed)."""
    return _runs(hook, refresh_recommendations)


def hook_name(hook: str | Hook, default_every: float) -> tuple[str, float]:
    """A hook's name and how often it runs (``default_every`` unless its name says ``@SECONDS``)."""
    if not isinstance(hook, str):
        return getattr(hook, "__qualname__", repr(hook)), default_every
    name, _, every = hook.partition("@")
    try:
        return name, float(every) if every else default_every
    except ValueError:
        return name, default_every


def resolve_hook(hook: str | Hook) -> Hook:
    """The hook to call for a name (or the hook itself). Raises ImportError or AttributeError when a
    name outside the built-in hooks cannot be found."""
    if callable(hook):
        return hook
    module, _, attr = hook.partition("@")[0].partition(":")
    module = current_module(module)
    builtin = BUILTIN.get(f"{module}:{attr}")
    if builtin is not None:
        return builtin
    fn: Hook = getattr(importlib.import_module(module), attr)
    return fn
