"""The seed's learning statistics (``lokifi ai learn``, the dashboard header), counted from the store.

Seed 000 §5: patterns learned, high-confidence patterns (>= 70%), successful auto-fixes, predictions
made, recommendations applied, and learning effectiveness = high-confidence / total patterns. Every
figure here is a COUNT over stored rows; nothing is a constant. A pattern's confidence is the posterior
mean of its recorded outcomes (analytics.confidence), so a pattern without outcomes is never "high".
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from analytics.confidence import HIGH, MEDIUM


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
        d.update(effectiveness=self.effectiveness, prediction_accuracy=self.prediction_accuracy,
                 effectiveness_band=self.effectiveness_band)
        return d


def learning_stats(store) -> LearningStats:
    """Count everything in one short read."""
    with store.read() as con:
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
        f = con.execute("SELECT count(*), count(*) FILTER (WHERE success), count(*) FILTER (WHERE NOT success) "
                        "FROM fix_history").fetchone()
        pr = con.execute("SELECT count(*), count(accurate), count(*) FILTER (WHERE accurate) FROM predictions").fetchone()
        ra = con.execute("SELECT count(*) FROM smart_recommendations WHERE applied OR status = 'applied'").fetchone()
        ev = con.execute("SELECT count(*) FROM error_events").fetchone()
    return LearningStats(
        patterns=int(p[0]), high_confidence=int(p[1]), medium_confidence=int(p[2]), low_confidence=int(p[3]),
        with_outcomes=int(p[4]), auto_approved=int(p[5]),
        fixes_recorded=int(f[0]), successful_fixes=int(f[1]), failed_fixes=int(f[2]),
        predictions=int(pr[0]), predictions_scored=int(pr[1]), predictions_accurate=int(pr[2]),
        recommendations_applied=int(ra[0]), error_events=int(ev[0]),
    )
