"""The detail screens' reads: one pattern, recommendation, prediction or component, in one short visit.

Each loader opens the store once and composes what the engines read (:mod:`analytics.patterns.rows`,
:mod:`analytics.rca.cache`, :mod:`analytics.recommend.reads`, :mod:`analytics.predict.reads`,
:mod:`analytics.forecast.sparklines`); no SQL lives here. Called from a thread worker of the TUI.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from analytics.common.clock import utcnow
from analytics.forecast.sparklines import ForecastRow, component_history, forecast_rows
from analytics.patterns.rows import PatternDetail, pattern_detail
from analytics.predict.reads import PredictionDetail, baselines, prediction_detail
from analytics.recommend.reads import RecommendationDetail, recommendation_detail


@dataclass(frozen=True)
class ComponentDetail:
    component: str
    metrics: tuple[tuple[str, float | None, tuple[float, ...]], ...]  # metric, latest, hourly means (72 h)
    baselines: tuple[dict[str, Any], ...]
    forecasts: tuple[ForecastRow, ...]


def load_pattern_detail(store: Any, error_hash: str, *, now: dt.datetime | None = None) -> PatternDetail | None:
    """A pattern's details with its latest live root-cause analysis; None when there is no such pattern."""
    from analytics.rca.cache import pattern_analysis_in  # only here: the dashboard's start does not need it

    at = now or utcnow()
    with store.read() as con:
        detail = pattern_detail(con, error_hash, at)
        if detail is None:
            return None
        return dataclasses.replace(detail, analysis=pattern_analysis_in(con, error_hash, at))


def load_recommendation_detail(store: Any, rec_id: int) -> RecommendationDetail | None:
    with store.read() as con:
        return recommendation_detail(con, rec_id)


def load_prediction_detail(store: Any, prediction_id: int) -> PredictionDetail | None:
    with store.read() as con:
        return prediction_detail(con, prediction_id)


def load_component_detail(store: Any, component: str, *, now: dt.datetime | None = None) -> ComponentDetail:
    """A component's metrics over 72 hours, its baselines and its forecasts."""
    at = now or utcnow()
    with store.read() as con:
        return ComponentDetail(
            component=component,
            metrics=component_history(con, component, at),
            baselines=baselines(con, component),
            forecasts=tuple(f for f in forecast_rows(con, at, 500) if f.component == component),
        )
