"""Where a module lived before Lokifi's engine was grouped into one package per capability.

A spooled batch names its writer as ``"module:function"`` and a user's ``[collect] hooks`` name engine
functions the same way; both may predate the move, so a name written then still resolves.
"""

from __future__ import annotations

FORMER_HOMES = {
    "analytics.access_log": "analytics.sources.access_log",
    "analytics.alerts": "analytics.alerts.deliver",
    "analytics.backfill": "analytics.collect.backfill",
    "analytics.backtest": "analytics.forecast.backtest",
    "analytics.baselines": "analytics.predict.baselines",
    "analytics.classify": "analytics.patterns.classify",
    "analytics.cleanup": "analytics.recommend.actions",
    "analytics.collector": "analytics.collect.loop",
    "analytics.confidence": "analytics.patterns.confidence",
    "analytics.config": "analytics.config.settings",
    "analytics.config_init": "analytics.config.starter",
    "analytics.cpu_clock": "analytics.sources.cpu_clock",
    "analytics.dashboard_view": "analytics.dashboard.view",
    "analytics.demo": "analytics.demo.data",
    "analytics.demo_engines": "analytics.demo.engines",
    "analytics.detect": "analytics.predict.detect",
    "analytics.discover_runtime": "analytics.config.discover",
    "analytics.exposition": "analytics.alerts.exposition",
    "analytics.file_signature": "analytics.store.file_signature",
    "analytics.fingerprint": "analytics.patterns.fingerprint",
    "analytics.forecast": "analytics.forecast.stored",
    "analytics.forecast_linear": "analytics.forecast.linear",
    "analytics.forecast_seasonal": "analytics.forecast.seasonal",
    "analytics.hostnames": "analytics.common.hostnames",
    "analytics.hosts": "analytics.store.hosts",
    "analytics.http_status": "analytics.patterns.http_status",
    "analytics.ingest": "analytics.store.ingest",
    "analytics.learning_stats": "analytics.patterns.learning_stats",
    "analytics.logline": "analytics.patterns.logline",
    "analytics.logread": "analytics.patterns.logread",
    "analytics.metrics_store": "analytics.store.metrics",
    "analytics.multiline": "analytics.patterns.multiline",
    "analytics.nofollow": "analytics.recommend.nofollow",
    "analytics.paths": "analytics.config.paths",
    "analytics.pattern_merge": "analytics.patterns.merge",
    "analytics.pattern_rows": "analytics.patterns.rows",
    "analytics.patterns": "analytics.patterns.learning",
    "analytics.playbooks": "analytics.patterns.playbooks",
    "analytics.prediction_brief": "analytics.predict.brief",
    "analytics.predictions": "analytics.predict.predictions",
    "analytics.resources": "analytics.config.bundled",
    "analytics.retention": "analytics.store.retention",
    "analytics.rules": "analytics.predict.rules",
    "analytics.service_status": "analytics.dashboard.service_status",
    "analytics.setup_state": "analytics.dashboard.setup_state",
    "analytics.solution_accuracy": "analytics.patterns.solution_accuracy",
    "analytics.sources.fleet_config": "analytics.sources.fleet.config",
    "analytics.sources.fleet_source": "analytics.sources.fleet.source",
    "analytics.sources.fleet_status": "analytics.sources.fleet.status",
    "analytics.sources.http": "analytics.sources.fleet.client",
    "analytics.sources.loki": "analytics.sources.fleet.loki",
    "analytics.sources.prometheus": "analytics.sources.fleet.prometheus",
    "analytics.sparklines": "analytics.forecast.sparklines",
    "analytics.store": "analytics.store.database",
    "analytics.templates": "analytics.patterns.templates",
    "analytics.timeparse": "analytics.common.timeparse",
    "analytics.view_snapshot": "analytics.dashboard.snapshot",
    "analytics.writer_lock": "analytics.collect.writer_lock",
}


def current(module: str) -> str:
    """The module's present dotted name (itself when it never moved)."""
    return FORMER_HOMES.get(module, module)
