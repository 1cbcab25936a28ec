"""Confidence in a fix, from its recorded outcomes.

The seed's formula is ``success / (success + failure)``: one success out of one would read 100%.
Here the point estimate is the mean of the Beta posterior under a uniform Beta(1, 1) prior,
``(s + 1) / (n + 2)`` (1/1 -> 67%, 0/0 -> 50%, the seed's default confidence), and the uncertainty is
shown as the Wilson score interval of the observed rate (95% by default).

Auto-approval (seed 003 §2.4): a solution is auto-approved when, over its recent outcomes (a window of
the latest ``window`` outcomes of the *current* solution version), there are at least ``min_samples``
outcomes and the posterior mean reaches ``min_confidence``. It is re-evaluated after every outcome, so a
run of failures takes the approval away.

Seed thresholds: high confidence >= 0.7, medium 0.4-0.7, low < 0.4; suggestions use 0.5 / 0.7 / 0.9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PRIOR_SUCCESS = 1.0
PRIOR_FAILURE = 1.0
HIGH = 0.7
MEDIUM = 0.4
SUGGEST_LEVELS = (0.5, 0.7, 0.9)


def posterior_mean(successes: int, failures: int, a: float = PRIOR_SUCCESS, b: float = PRIOR_FAILURE) -> float:
    """Mean of Beta(a + successes, b + failures)."""
    s, f = max(0, int(successes)), max(0, int(failures))
    return (s + a) / (s + f + a + b)


def raw_rate(successes: int, failures: int) -> float | None:
    """The seed's success / (success + failure); None when there are no outcomes."""
    n = successes + failures
    return successes / n if n else None


def wilson(successes: int, failures: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of the success rate; (0, 1) when there are no outcomes."""
    n = successes + failures
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def level(confidence: float) -> str:
    """The seed's bands: high (>= 0.7), medium (0.4-0.7), low (< 0.4)."""
    if confidence >= HIGH:
        return "high"
    if confidence >= MEDIUM:
        return "medium"
    return "low"


@dataclass(frozen=True)
class Confidence:
    """Everything a view needs to show one pattern's confidence honestly."""

    successes: int
    failures: int
    confidence: float
    lo: float
    hi: float
    level: str

    @property
    def outcomes(self) -> int:
        return self.successes + self.failures

    def describe(self) -> str:
        if self.outcomes == 0:
            return f"{self.confidence:.0%} (prior, no outcomes yet)"
        return (
            f"{self.confidence:.0%} (95% interval {self.lo:.0%}-{self.hi:.0%}, {self.successes}/{self.outcomes} worked)"
        )


def assess(successes: int, failures: int) -> Confidence:
    c = posterior_mean(successes, failures)
    lo, hi = wilson(successes, failures)
    return Confidence(int(successes), int(failures), c, lo, hi, level(c))


def auto_approved(recent: list[bool], min_confidence: float = 0.8, min_samples: int = 5) -> bool:
    """Whether a solution with these recent outcomes (oldest first) is auto-approved."""
    s = sum(1 for x in recent if x)
    f = len(recent) - s
    return len(recent) >= min_samples and posterior_mean(s, f) >= min_confidence
