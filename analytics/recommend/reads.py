"""What the dashboard reads of the recommendations: the queue, when the next snooze ends, one
recommendation's details.

Plain DuckDB rows on a connection the caller holds open (no polars). Which rows the queue shows follows
the lifecycle's snooze rule (:data:`analytics.recommend.snooze_rule.SHOWN_AS_OPEN_SQL`), the same rule
``lokifi recs list`` and the refresh apply.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from analytics.recommend.history_words import event_sentence
from analytics.recommend.snooze_rule import SHOWN_AS_OPEN_SQL


@dataclass(frozen=True)
class RecommendationRow:
    key: str
    id: int
    priority: int
    impact: float | None
    title: str
    category: str
    description: str
    action: str
    status: str
    created_at: dt.datetime | None


@dataclass(frozen=True)
class RecommendationDetail:
    rec: RecommendationRow
    evidence: str
    history: tuple[tuple[dt.datetime | None, str], ...]  # when, what happened (a sentence: history_words)
    snoozed_until: dt.datetime | None


# The columns a RecommendationRow is built from, in its order (a non-finite impact reads as none).
_ROW_COLS = (
    "id, coalesce(priority, 3), CASE WHEN isfinite(impact_score) THEN impact_score END, "
    "coalesce(title, ''), coalesce(category, ''), coalesce(description, ''), coalesce(action, ''), "
    "coalesce(status, ''), created_at"
)


def _row(r: tuple[Any, ...], status: str) -> RecommendationRow:
    rid, priority, impact, title, category, description, action, _, created = r
    return RecommendationRow(
        key=str(rid),
        id=int(rid),
        priority=int(priority or 3),
        impact=impact,
        title=title,
        category=category,
        description=description,
        action=action,
        status=status,
        created_at=created,
    )


def queue(con: Any, now: dt.datetime, limit: int) -> tuple[RecommendationRow, ...]:
    """The open recommendations, most urgent first; one whose snooze has ended shows as open."""
    rows = con.execute(
        f"""
        SELECT {_ROW_COLS}
        FROM smart_recommendations
        WHERE {SHOWN_AS_OPEN_SQL}
        ORDER BY CASE status WHEN 'open' THEN 0 ELSE 1 END, priority ASC NULLS LAST,
                 impact_score DESC NULLS LAST, id
        LIMIT ?
        """,
        [now, limit],
    ).fetchall()
    return tuple(_row(r, "open" if r[7] == "snoozed" else r[7]) for r in rows)


def next_snooze_end(con: Any, now: dt.datetime) -> dt.datetime | None:
    """When the next running snooze ends (its recommendation returns to the queue), or None."""
    row = con.execute(
        "SELECT min(snoozed_until) FROM smart_recommendations WHERE status = 'snoozed' AND snoozed_until > ?", [now]
    ).fetchone()
    return None if row is None else row[0]


def recommendation_detail(con: Any, rec_id: int) -> RecommendationDetail | None:
    """One recommendation as stored (its own status, not the queue's), its evidence and its history."""
    found = con.execute(
        f"SELECT {_ROW_COLS}, coalesce(evidence, ''), snoozed_until FROM smart_recommendations WHERE id = ?", [rec_id]
    ).fetchone()
    if found is None:
        return None
    history = con.execute(
        "SELECT event_at, coalesce(action, ''), note, to_status, source FROM recommendation_events "
        "WHERE rec_id = ? ORDER BY event_at, id",
        [rec_id],
    ).fetchall()
    return RecommendationDetail(
        rec=_row(found[:-2], found[7]),
        evidence=found[-2],
        history=tuple((h[0], event_sentence(*h[1:])) for h in history),
        snoozed_until=found[-1],
    )
