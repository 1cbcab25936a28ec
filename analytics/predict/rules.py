"""The seed's predictive-maintenance rules, exactly as written and configurable (seed 000 §2).

Owns the rule definitions and their evaluation over the analysis window (default 7 days), read from
the hourly rollup (``metrics_hourly``) and the error events:

* ``performance_degradation`` (MEDIUM): ``max_time > avg_time * k`` with k = 3 (conservative),
  2 (moderate) or 1.5 (aggressive) — response time over the window;
* ``slow_response`` (HIGH): ``avg_response_time > 1000 ms`` over the window;
* ``recurring_error`` (HIGH): a pattern (fingerprint) seen more than 3 times in the window;
* ``two_sigma`` (MEDIUM): the last complete hour's mean more than 2 standard deviations from the
  metric's baseline mean (seed 000 "Statistical Anomalies: 2-sigma deviation detection").

Each finding carries its evidence (current metrics, baseline metrics, deviation — seed 003's
PredictiveAlert), a severity, the seed's message and recommendation, and what it predicts for the
horizon so that it can be scored when the horizon has passed (``analytics.predict.predictions``).
The seed's confidence figures (70 / 85 / 90 %) are *priors*: the confidence shown is the rule's
measured hit rate once it has enough scored outcomes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from analytics.patterns.classify import SEED_NAMES
from analytics.patterns.logline import message_of

SENSITIVITY = {"conservative": 3.0, "moderate": 2.0, "aggressive": 1.5}
RESPONSE_METRIC = "response_time_ms"

# rule -> (severity, prior confidence from the seed or None, recommendation)
RULES: dict[str, tuple[str, float, str]] = {
    "performance_degradation": ("MEDIUM", 0.70, "Consider optimizing {component} or scaling resources"),
    "slow_response": ("HIGH", 0.85, "Investigate slow queries or add caching"),
    "recurring_error": ("HIGH", 0.90, "Review error logs and apply permanent fix"),
    # the seed gives no confidence for the statistical rules; 0.5 is an uninformed prior, labelled so
    "two_sigma": ("MEDIUM", 0.50, "Compare {component} {metric} with its baseline; check recent deploys and load"),
    "anomaly": ("MEDIUM", 0.50, "Look at {component} {metric} now: the detector flagged an unusual change"),
}

#: What each rule's ``deviation`` measures, as it is written after the number: a ratio (``2× the
#: threshold``: a count of 6 where more than 3 fires) or a distance in standard deviations.
DEVIATION_MEANS: dict[str, str] = {
    "performance_degradation": "× the mean (the largest response over the average)",
    "slow_response": "× the threshold (the average response over it)",
    "recurring_error": "× the threshold (the count over it)",
    "two_sigma": " standard deviations from the baseline mean",
    "anomaly": " robust standard deviations from the usual hourly mean",
}


@dataclass(frozen=True)
class RuleConfig:
    window_days: int = 7
    sensitivity: str = "conservative"
    slow_ms: float = 1000.0
    recurring: int = 3
    sigma: float = 2.0

    @property
    def k(self) -> float:
        return SENSITIVITY[self.sensitivity]


@dataclass
class Finding:
    """A rule that fired, with what it predicts for the horizon and its evidence."""

    rule: str
    component: str
    host: str
    metric: str | None
    severity: str
    message: str
    recommendation: str
    predicted_value: float | None  # the figure the rule predicts will hold over the horizon
    lo: float | None = None  # the band the outcome is judged against (see predictions)
    hi: float | None = None
    deviation: float | None = None
    current: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, Any] = field(default_factory=dict)
    subject: str | None = None  # e.g. the error fingerprint

    def key(self) -> tuple[str, str, str, str]:
        return (self.rule, self.host, self.component, self.subject or self.metric or "")


def _rec(rule: str, component: str, metric: str | None = None) -> str:
    return RULES[rule][2].format(component=component, metric=metric or "")


def response_rules(rows: list[dict[str, Any]], cfg: RuleConfig) -> list[Finding]:
    """Degradation and slow response from per (host, component) window aggregates of response time:
    rows with host, component, n, avg, max."""
    out: list[Finding] = []
    k = cfg.k
    for r in rows:
        avg, mx, comp, host = r["avg"], r["max"], r["component"], r["host"]
        if avg is None or mx is None or not r.get("n"):
            continue
        cur = {
            "avg_time_ms": round(avg, 3),
            "max_time_ms": round(mx, 3),
            "samples": int(r["n"]),
            "window_days": cfg.window_days,
        }
        if avg > cfg.slow_ms:
            out.append(
                Finding(
                    rule="slow_response",
                    component=comp,
                    host=host,
                    metric=RESPONSE_METRIC,
                    severity="HIGH",
                    message=f"{comp} response time exceeds threshold (avg: {avg:.1f}ms)",
                    recommendation=_rec("slow_response", comp),
                    predicted_value=avg,
                    lo=cfg.slow_ms,
                    hi=None,
                    deviation=avg / cfg.slow_ms,
                    current=cur,
                    baseline={"threshold_ms": cfg.slow_ms},
                )
            )
        if avg > 0 and mx > avg * k:
            out.append(
                Finding(
                    rule="performance_degradation",
                    component=comp,
                    host=host,
                    metric=RESPONSE_METRIC,
                    severity="MEDIUM",
                    message=f"Performance spikes detected. Average: {avg:.1f}ms, Max: {mx:.1f}ms",
                    recommendation=_rec("performance_degradation", comp),
                    predicted_value=mx / avg,
                    lo=k,
                    hi=None,
                    deviation=mx / avg,
                    current=cur,
                    baseline={"max_over_average_limit": k, "sensitivity": cfg.sensitivity},
                )
            )
    return out


def recurring_rules(rows: list[dict[str, Any]], cfg: RuleConfig) -> list[Finding]:
    """Recurring errors from per (host, component, fingerprint) counts in the window: rows with host,
    component, fingerprint, type, count, last_seen, message (the latest) and its context (the lines its
    server wrote with it: a DETAIL, a STATEMENT; absent or None when none)."""
    out: list[Finding] = []
    for r in rows:
        if r["count"] > cfg.recurring:
            etype = r.get("type") or "error"
            etype = SEED_NAMES.get(etype, etype)  # an error's kind: connection_error, port_conflict
            out.append(
                Finding(
                    rule="recurring_error",
                    component=r["component"],
                    host=r["host"],
                    metric=None,
                    severity="HIGH",
                    message=f"{etype} occurring frequently in {r['component']} ({int(r['count'])} times)",
                    recommendation=_rec("recurring_error", r["component"]),
                    predicted_value=1.0,
                    lo=1.0,
                    deviation=float(r["count"]) / cfg.recurring,
                    current={
                        "count": int(r["count"]),
                        "window_days": cfg.window_days,
                        "last_seen": r.get("last_seen"),
                        # whole (its time is last_seen): the evidence leaves the host in an alert, redacted there
                        # and only then shortened -- cut here, half a secret could go out that no rule knows
                        "example": message_of(r.get("message") or ""),
                        **({"example_context": r["context"]} if r.get("context") else {}),
                    },
                    baseline={"threshold": cfg.recurring},
                    subject=r["fingerprint"],
                )
            )
    return out


def sigma_rules(rows: list[dict[str, Any]], cfg: RuleConfig) -> list[Finding]:
    """2-sigma from the last complete hour's mean against the baseline: rows with host, component,
    metric, current, mean, std, hour."""
    out: list[Finding] = []
    for r in rows:
        mean, std, cur = r["mean"], r["std"], r["current"]
        if mean is None or std is None or cur is None or std <= 0:
            continue
        z = (cur - mean) / std
        if abs(z) > cfg.sigma:
            comp, metric = r["component"], r["metric"]
            lo, hi = mean - cfg.sigma * std, mean + cfg.sigma * std
            out.append(
                Finding(
                    rule="two_sigma",
                    component=comp,
                    host=r["host"],
                    metric=metric,
                    severity="MEDIUM",
                    message=(
                        f"{metric} of {comp} is {abs(z):.1f} standard deviations "
                        f"{'above' if z > 0 else 'below'} its baseline (now {cur:.4g}, baseline {mean:.4g})"
                    ),
                    recommendation=_rec("two_sigma", comp, metric),
                    predicted_value=cur,
                    lo=lo,
                    hi=hi,
                    deviation=z,
                    current={"hour": r.get("hour"), "mean": cur},
                    baseline={"mean": mean, "std": std, "samples": r.get("n")},
                )
            )
    return out


def window_bounds(now: dt.datetime, days: int) -> tuple[dt.datetime, dt.datetime]:
    """The analysis window: complete hours in [now_hour - days, now_hour)."""
    hi = now.replace(minute=0, second=0, microsecond=0)
    return hi - dt.timedelta(days=days), hi
