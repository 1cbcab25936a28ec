"""The seed's learning statistics (``lokifi ai learn``, the dashboard header), counted from the store.

Seed 000 §5: patterns learned, high-confidence patterns (>= 70%), successful auto-fixes, predictions
made, recommendations applied, and learning effectiveness = high-confidence / total patterns. Every
figure here is a COUNT over stored rows; nothing is a constant. A pattern's confidence is the posterior
mean of its recorded outcomes (analytics.patterns.confidence), so a pattern without outcomes is never "high".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from analytics.patterns.confidence import HIGH, MEDIUM


@dataclass(frozen=True)
class LearningStats:
    patterns: int
    high_confidence: int
    medium_confidence: int
    low_confidence: int
    with_outcomes: int
    auto_approved: int
    fixes_recorded: int
    successful_fixes: int
    failed_fixes: int
    predictions: int
    predictions_scored: int
    predictions_accurate: int
    recommendations_applied: int
    error_events: int
    # outcomes of the model's proposals (solution versions whose source is the model): its accuracy
    model_fixes_worked: int = 0
    model_fixes_failed: int = 0
    # auto-approval rate: solutions approved at least once / solutions with enough outcomes to be judged
    approval_judged: int = 0
    approval_approved: int = 0
    approval_withdrawals: int = 0
    # outcomes recorded while their solution version stood auto-approved (the latest approval event
    # before the outcome was 'approved'): the fixes the product vouched for, and how many worked
    auto_fixes_recorded: int = 0
    auto_fixes_worked: int = 0

    @property
    def model_accuracy(self) -> float | None:
        """Share of the model's proposals' outcomes that worked (None before any)."""
        n = self.model_fixes_worked + self.model_fixes_failed
        return self.model_fixes_worked / n if n else None

    @property
    def auto_approval_rate(self) -> float | None:
        return self.approval_approved / self.approval_judged if self.approval_judged else None

    @property
    def effectiveness(self) -> float | None:
        """High-confidence patterns / all patterns (the seed's "Learning Effectiveness"); None if no patterns."""
        return self.high_confidence / self.patterns if self.patterns else None

    @property
    def prediction_accuracy(self) -> float | None:
        return self.predictions_accurate / self.predictions_scored if self.predictions_scored else None

    @property
    def effectiveness_band(self) -> str:
        """The seed's colour bands: excellent > 70%, good 40-70%, needs more data < 40%."""
        e = self.effectiveness
        if e is None or e < 0.4:
            return "needs more data"
        return "excellent" if e > 0.7 else "good"

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(
            effectiveness=self.effectiveness,
            prediction_accuracy=self.prediction_accuracy,
            effectiveness_band=self.effectiveness_band,
            model_accuracy=self.model_accuracy,
            auto_approval_rate=self.auto_approval_rate,
        )
        return d


def learning_stats(store, min_samples: int | None = None) -> LearningStats:
    """Count everything in one short read (``min_samples``: outcomes a solution needs to be judged for
    auto-approval; default the config's ``[patterns] auto_approve_min_samples``)."""
    with store.read() as con:
        return learning_stats_in(con, min_samples)


def learning_stats_in(con, min_samples: int | None = None) -> LearningStats:
    """:func:`learning_stats` on an open connection (the dashboard reads it inside its one visit)."""
    from analytics.patterns.solution_accuracy import _min_samples

    need = _min_samples(min_samples)
    p = con.execute(f"""
        SELECT count(*),
               count(*) FILTER (WHERE coalesce(success_count,0) + coalesce(failure_count,0) > 0
                                  AND confidence_score >= {HIGH}),
               count(*) FILTER (WHERE coalesce(success_count,0) + coalesce(failure_count,0) > 0
                                  AND confidence_score >= {MEDIUM} AND confidence_score < {HIGH}),
               count(*) FILTER (WHERE coalesce(success_count,0) + coalesce(failure_count,0) > 0
                                  AND confidence_score < {MEDIUM}),
               count(*) FILTER (WHERE coalesce(success_count,0) + coalesce(failure_count,0) > 0),
               count(*) FILTER (WHERE auto_approved)
        FROM error_patterns""").fetchone()
    f = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE success), count(*) FILTER (WHERE NOT success) FROM fix_history"
    ).fetchone()
    pr = con.execute("SELECT count(*), count(accurate), count(*) FILTER (WHERE accurate) FROM predictions").fetchone()
    ra = con.execute("SELECT count(*) FROM smart_recommendations WHERE applied OR status = 'applied'").fetchone()
    ev = con.execute("SELECT count(*) FROM error_events").fetchone()
    m = con.execute(
        "SELECT count(*) FILTER (WHERE f.success), count(*) FILTER (WHERE NOT f.success) FROM fix_history f "
        "JOIN pattern_versions v ON v.error_hash = f.error_hash AND v.version = coalesce(f.solution_version, 1) "
        "WHERE v.source = 'ai'"
    ).fetchone()
    a = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM approval_events e WHERE e.error_hash = s.h "
        "AND e.version = s.v AND e.event = 'approved')) FROM (SELECT error_hash AS h, "
        "coalesce(solution_version, 1) AS v FROM fix_history GROUP BY ALL HAVING count(*) >= ?) s",
        [need],
    ).fetchone()
    w = con.execute("SELECT count(*) FROM approval_events WHERE event = 'withdrawn'").fetchone()
    au = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE f.success) FROM fix_history f WHERE ("
        "SELECT e.event FROM approval_events e WHERE e.error_hash = f.error_hash "
        "AND e.version = coalesce(f.solution_version, 1) AND e.event_at < f.applied_at "
        "ORDER BY e.event_at DESC, e.id DESC LIMIT 1) = 'approved'"
    ).fetchone()
    return LearningStats(
        patterns=int(p[0]),
        high_confidence=int(p[1]),
        medium_confidence=int(p[2]),
        low_confidence=int(p[3]),
        with_outcomes=int(p[4]),
        auto_approved=int(p[5]),
        fixes_recorded=int(f[0]),
        successful_fixes=int(f[1]),
        failed_fixes=int(f[2]),
        predictions=int(pr[0]),
        predictions_scored=int(pr[1]),
        predictions_accurate=int(pr[2]),
        recommendations_applied=int(ra[0]),
        error_events=int(ev[0]),
        model_fixes_worked=int(m[0]),
        model_fixes_failed=int(m[1]),
        approval_judged=int(a[0]),
        approval_approved=int(a[1]),
        approval_withdrawals=int(w[0]),
        auto_fixes_recorded=int(au[0]),
        auto_fixes_worked=int(au[1]),
    )
