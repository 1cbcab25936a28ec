"""A recommendation's details read as sentences with units, from what the engine stores."""

import datetime as dt
import json
from types import SimpleNamespace

from rich.console import Console

from analytics.recommend.finding import Finding
from analytics.recommend.scoring import learned_factor, score
from analytics.recommend.security import scan_age_rule
from analytics.recommend.upsert import _evidence
from lokifi_tui.widgets.detail_pages import render_recommendation

NOW = dt.datetime(2026, 3, 1, 12, 0)


def _text(f: Finding, learn=None) -> str:
    s = score(f, learned_factor(learn["dismissed"], learn["applied"]) if learn else 1.0)
    rec = SimpleNamespace(
        title=f.title,
        priority=s.priority,
        impact=s.impact,
        category=f.category,
        status="open",
        created_at=NOW,
        description=f.description,
        action=f.action,
    )
    detail = SimpleNamespace(rec=rec, evidence=_evidence(f, s, learn), snoozed_until=None, history=[])
    console = Console(width=200, record=True, color_system=None)
    console.print(render_recommendation(detail, NOW))
    return console.export_text()


def test_a_scan_that_never_ran_shows_no_made_up_reading():
    (f,) = scan_age_rule(None, NOW, 7).findings
    assert json.loads(_evidence(f, score(f), None))["value"] is None
    text = _text(f)
    assert "Never measured; the limit is 7 days" in text
    assert "14" not in text
    for internal in ("Excess", "Overshoot", "Breadth", "Direction", "Factor"):
        assert internal not in text


def test_a_reading_is_a_sentence_with_its_unit_and_the_rank_is_explained():
    f = Finding(
        rule="performance.response_time",
        subject="worker",
        category="performance",
        title="High response time on worker",
        description="Average 1,153 ms over 24 h exceeds 1,000 ms.",
        action="scale it",
        severity=0.7,
        value=1152.9876,
        threshold=1000.0,
        unit="ms",
        components=("worker",),
        evidence={"mean_ms": 1152.9876, "samples": 289},
    )
    text = _text(f, {"dismissed": 2, "applied": 1})
    assert "Mean     1,153 ms" in text
    assert "1,153 ms, over the limit of 1,000 ms by 15 %." in text
    assert "severity 0.7 of 1" in text and "1 component (worker)" in text
    assert "dismissed 2 and applied 1 time on this host, impact ×" in text
    assert "1152.98" not in text


def test_a_fraction_reads_as_a_percentage():
    f = Finding(
        rule="performance.cache_hit_rate",
        subject="redis",
        category="performance",
        title="Low cache hit rate on redis",
        description="Hit rate 43.9 % is below 50 %.",
        action="tune",
        severity=0.6,
        value=0.4391,
        threshold=0.5,
        higher_is_worse=False,
        unit="fraction",
        components=("redis",),
    )
    assert "43.9%, under the minimum of 50% by 12 %." in _text(f)


def test_a_count_that_should_be_none_says_so():
    """It read '4 secrets: above the threshold of 0 secrets.'"""
    words = dict(category="security", title="Secret in settings.py", description="", action="rotate")
    for n, said in ((4, "4 secrets found"), (1, "1 secret found")):
        f = Finding("security.secret", "settings.py", severity=0.9, value=n, threshold=0, unit="secrets", **words)
        text = _text(f)
        assert f"{said}, where there should be none." in text and "threshold" not in text
