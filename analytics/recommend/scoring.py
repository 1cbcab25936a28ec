"""Priority (1-3) and impact (0.0-10.0) of a finding, and the learned damping of rules people dismiss.

Impact is computed, never a constant per rule:

    impact = 10 × (0.60·severity + 0.30·overshoot + 0.10·breadth) × learned_factor

* ``severity`` (0..1) — how bad this kind of condition is (a committed private key > a stale lock file);
  a rule may vary it per case (an npm "critical" advisory > a "low" one);
* ``overshoot`` = e / (1 + e), where e is how far past the threshold the measurement is, relative to the
  threshold (0 at the threshold, 0.5 at twice it, → 1);
* ``breadth`` = 1 − 1/n for n components touched (0 for one, 0.5 for two, 0.67 for three ...);
* ``learned_factor`` = 1 − 0.5 · d / (d + a + 2) for d dismissals and a applications of this rule on this
  host since the learning was last reset: a rule a person keeps dismissing loses up to half its impact;
  applying its findings wins the weight back. The +2 is a prior so one dismissal is not a verdict.

Priority follows impact: 1 (HIGH) at 7.0 and above, 2 (MEDIUM) at 4.0, else 3 (LOW).
"""

from __future__ import annotations

from dataclasses import dataclass

from analytics.recommend.finding import Finding

W_SEVERITY, W_OVERSHOOT, W_BREADTH = 0.60, 0.30, 0.10
HIGH_AT, MEDIUM_AT = 7.0, 4.0
LEARN_MAX_DAMP, LEARN_PRIOR = 0.5, 2.0
PRIORITY_NAMES = {1: "HIGH", 2: "MEDIUM", 3: "LOW"}


@dataclass(frozen=True)
class Score:
    priority: int
    impact: float  # after learning
    base_impact: float  # before learning
    learned_factor: float
    overshoot: float
    breadth: float


def overshoot(excess: float) -> float:
    e = max(0.0, float(excess))
    return e / (1.0 + e)


def breadth(n: int) -> float:
    return 1.0 - 1.0 / max(1, int(n))


def priority_for(impact: float) -> int:
    if impact >= HIGH_AT:
        return 1
    if impact >= MEDIUM_AT:
        return 2
    return 3


def learned_factor(dismissed: int, applied: int) -> float:
    d, a = max(0, int(dismissed)), max(0, int(applied))
    return 1.0 - LEARN_MAX_DAMP * d / (d + a + LEARN_PRIOR)


def base_impact(f: Finding) -> tuple[float, float, float]:
    sev = min(1.0, max(0.0, float(f.severity)))
    o = overshoot(f.excess)
    b = breadth(f.breadth)
    raw = 10.0 * (W_SEVERITY * sev + W_OVERSHOOT * o + W_BREADTH * b)
    return min(10.0, max(0.0, raw)), o, b


def score(f: Finding, factor: float = 1.0) -> Score:
    raw, o, b = base_impact(f)
    impact = round(min(10.0, max(0.0, raw * factor)), 1)
    return Score(
        priority=priority_for(impact),
        impact=impact,
        base_impact=round(raw, 1),
        learned_factor=round(factor, 3),
        overshoot=o,
        breadth=b,
    )
