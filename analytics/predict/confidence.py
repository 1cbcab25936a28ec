"""How sure a prediction rule is, from what its predictions on a host turned out to be.

A rule's confidence is the mean of a Beta posterior of its hit rate on that host whose prior is the rule's
prior (:data:`analytics.predict.rules.RULES`: 70 / 85 / 90 %, 50 % for the statistical rules) worth
:data:`PRIOR_WEIGHT` outcomes: ``(hits + w * prior) / (scored + w)``. From the first scored prediction
on it is *measured* and says how many outcomes it rests on; with none it is the prior, and says so.

A prediction's stored confidence (``confidence_score``, ``confidence_kind``, ``confidence_n``) follows
its rule's record while it is open: :func:`restate_open` writes it again whenever predictions are made or
scored, so the dashboard, the alert and ``lokifi ai predict`` show the same figure. What a prediction
is scored on -- its time, horizon and what it predicted -- stays as made.
"""

from __future__ import annotations

from typing import Any

from analytics.predict import rules as R

#: How many outcomes the rule's prior is worth. Two, the weight of the uniform Beta(1, 1) prior every
#: other measured confidence in Lokifi uses (a fix's, analytics/patterns/confidence.py; a forecast's): for
#: the 50 % rules it *is* Beta(1, 1), and for the others the seed's figure moves the centre, not the weight.
#: The seed's figures are not outcomes on this host, so they count for no more than an uninformed prior:
#: two scored predictions already move the figure half way from the prior to what was seen.
PRIOR_WEIGHT = 2.0
UNKNOWN_PRIOR = 0.5  # a rule the table does not know (a prediction type written by another engine)

Outcomes = dict[tuple[str, str], tuple[int, int]]


def prior(rule: str) -> float:
    return R.RULES[rule][1] if rule in R.RULES else UNKNOWN_PRIOR


def rule_confidence(rule: str, scored: int, hits: int) -> tuple[float, str, int]:
    """(confidence, 'measured' | 'prior', scored outcomes behind it) of ``rule`` after ``hits`` of
    ``scored`` of its predictions came true."""
    p0 = prior(rule)
    if scored <= 0:
        return p0, "prior", 0
    return (hits + PRIOR_WEIGHT * p0) / (scored + PRIOR_WEIGHT), "measured", scored


def outcomes(con: Any) -> Outcomes:
    """(rule, host) -> (scored, hits) over every scored prediction of the rules (forecasts are the
    forecasting engine's, with their own confidence)."""
    rows = con.execute(
        "SELECT coalesce(rule, prediction_type), coalesce(host, ''), count(*), count(*) FILTER (WHERE accurate) "
        "FROM predictions WHERE accurate IS NOT NULL AND prediction_type <> 'forecast' GROUP BY ALL"
    ).fetchall()
    return {(r[0], r[1]): (int(r[2]), int(r[3])) for r in rows}


def confidence(rule: str, host: str, seen: Outcomes) -> tuple[float, str, int]:
    """(confidence, 'measured' | 'prior', outcomes behind it) for ``rule`` on ``host``."""
    scored, hits = seen.get((rule, host), (0, 0))
    return rule_confidence(rule, scored, hits)


def restate_open(con: Any) -> int:
    """Write each open prediction's confidence as its rule's record on its host gives it now (and its
    alert row's), on an open write connection. Returns how many rows changed."""
    seen = outcomes(con)
    rows = con.execute(
        "SELECT id, coalesce(rule, prediction_type), coalesce(host, ''), confidence_score, "
        "coalesce(confidence_kind, ''), confidence_n FROM predictions "
        "WHERE outcome_date IS NULL AND prediction_type <> 'forecast'"
    ).fetchall()
    changed = []
    for pid, rule, host, score, kind, n in rows:
        new = confidence(rule, host, seen)
        if (score, kind, n) != new:
            changed.append([*new, pid])
    if changed:
        con.executemany(
            "UPDATE predictions SET confidence_score = ?, confidence_kind = ?, confidence_n = ? WHERE id = ?",
            changed,
        )
        con.executemany(
            "UPDATE predictive_alerts SET confidence = ? WHERE prediction_id = ?", [[c[0], c[3]] for c in changed]
        )
    return len(changed)


def label(kind: str, n: int | None) -> str:
    """What a confidence is, in words: ``measured, 7 outcomes`` or ``prior``."""
    if kind == "measured" and n:
        return f"measured, {n} outcome{'s' if n != 1 else ''}"
    return kind or "prior"


__all__ = ["PRIOR_WEIGHT", "confidence", "label", "outcomes", "restate_open", "rule_confidence"]
