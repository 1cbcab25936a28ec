"""A dismissed finding returns only when materially worse, not on the growth every log file has."""

from analytics.recommend.upsert import materially_worse


def test_a_log_dismissed_just_above_the_threshold_does_not_return_on_small_growth():
    def m(mb: float) -> float:  # the large-log measure: how far past 50 MB, relative
        return (mb - 50) / 50

    assert not materially_worse(m(61.0), m(57.2), 1.25)
    assert not materially_worse(m(65.0), m(57.2), 1.25)
    assert materially_worse(m(71.0), m(57.2), 1.25)
    assert materially_worse(m(95.0), m(60.0), 1.25)  # far worse returns
    assert not materially_worse(m(95.0), None, 1.25)  # never dismissed: nothing to compare
