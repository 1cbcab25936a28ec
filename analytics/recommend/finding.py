"""What a rule reports: a :class:`Finding` — one condition, measured, about one subject.

A finding carries the raw measurements (value, threshold, which way is bad, how many components it
touches, the rule's severity); :mod:`analytics.recommend.scoring` turns them into priority and impact,
and :mod:`analytics.recommend.lifecycle` keys it by ``rule`` + ``subject`` so it is stored once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CATEGORIES = ("security", "dependencies", "performance", "maintenance", "system")


@dataclass(frozen=True)
class Finding:
    rule: str  # e.g. "security.secret", "maintenance.large_logs"
    subject: str  # what it is about: a file, a mount, a component, "host"
    category: str  # one of CATEGORIES
    title: str
    description: str  # the measured evidence, in a sentence or two
    action: str  # the command (or step) that addresses it
    severity: float  # 0..1, how bad this kind of condition is
    value: float  # the measurement
    threshold: float  # where the rule starts to fire
    higher_is_worse: bool = True
    components: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)
    unit: str = ""  # of value and threshold ("ms", "days", "%", "MB", "fraction" = shown as %)
    measured: bool = True  # False: value is not a reading but stands in for "never" (scored as overdue)
    scope: str = ""  # where its facts came from (analytics.recommend.scopes); "" for what every refresh measures

    @property
    def excess(self) -> float:
        """How far past the threshold, relative to it (0 at the threshold; a count over a zero threshold
        counts each item as 1)."""
        v, t = float(self.value), float(self.threshold)
        if self.higher_is_worse:
            if t <= 0:
                return max(0.0, v - t)
            return max(0.0, (v - t) / t)
        if t <= 0:
            return 0.0
        return max(0.0, (t - v) / t)

    @property
    def breadth(self) -> int:
        return max(1, len(set(self.components)))


@dataclass
class RuleRun:
    """The outcome of one rule family: its findings, which rules it evaluated (so findings of those
    rules that are gone can be marked resolved, where the refresh looked: :mod:`.scopes`), and problems
    to show (unreadable file, bad report)."""

    findings: list[Finding] = field(default_factory=list)
    evaluated: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    cache_rows: list[dict[str, Any]] = field(default_factory=list)  # secret-scan cache entries to store
    unread: set[str] = field(default_factory=set)  # scopes of files a rule could not read (not resolved)

    def extend(self, other: RuleRun) -> None:
        self.findings.extend(other.findings)
        self.evaluated |= other.evaluated
        self.problems.extend(other.problems)
        self.stats.update(other.stats)
        self.cache_rows.extend(other.cache_rows)
        self.unread |= other.unread
