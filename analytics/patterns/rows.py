"""The error patterns as plain rows, for views that must not wait for the analysis libraries.

The dashboard's Error patterns pane reads here (DuckDB rows, no polars, pyarrow or NumPy: the pane's
first read after a start does not pay for importing them); :func:`analytics.patterns.learning.list_patterns` reads
the same columns as a frame for the CLI. The confidence and its interval come from the stored outcomes
(:func:`analytics.patterns.confidence.assess`), as the engine computes them.
"""

from __future__ import annotations

from typing import Any

from analytics.patterns import confidence as conf
PATTERN_COLS = """p.error_hash, p.error_type, p.error_message, p.template, p.component, p.solution,
    p.success_count, p.failure_count, p.occurrence_count, p.first_seen, p.last_seen, p.confidence_score,
    p.version, p.auto_approved, p.approved_by, p.approved_at, p.last_used_at, p.avg_success_rate,
    p.recent_successes, p.recent_failures, p.rules_version"""

COMPONENTS = ("(SELECT string_agg(component, ',' ORDER BY count DESC) FROM pattern_components c "
              "WHERE c.error_hash = p.error_hash) AS components")


def pattern_rows(con: Any, limit: int | None = None) -> list[dict[str, Any]]:
    """The most recently seen patterns (all when ``limit`` is None) as dicts with the columns of
    ``list_patterns``: the stored ones, ``components``, and ``confidence_score``/``_lo``/``_hi``/``_level``
    from the outcomes. ``con``: an open DuckDB connection."""
    sql = (f"SELECT {PATTERN_COLS}, {COMPONENTS} FROM error_patterns p "
           "ORDER BY p.last_seen DESC NULLS LAST, p.error_hash")
    if limit:
        sql += f" LIMIT {int(limit)}"
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    out = []
    for values in cur.fetchall():
        row = dict(zip(names, values))
        c = conf.assess(row["success_count"] or 0, row["failure_count"] or 0)
        row.update(confidence_score=c.confidence, confidence_lo=c.lo, confidence_hi=c.hi, confidence_level=c.level)
        out.append(row)
    return out
