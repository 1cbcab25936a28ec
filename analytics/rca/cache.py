"""The AI analysis cache (seed 003's AiAnalysisCache, table ``ai_analysis_cache``).

Owns the cache key and the table's rows. The key is a SHA-256 of the model and the exact,
already-redacted messages sent to it (plus the prompt version), so the same question to the
same model is asked once per TTL: a hit costs zero tokens. Rows carry the seed's usage fields
(hit count, last used, tokens, response time) and expire after ``[ai] cache_ttl_days``; expired
rows are never served and are deleted by :func:`clean` (run at the start of every analysis and
by ``lokifi ai cache clean``). Only validated answers are ever written here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from analytics.common.clock import utcnow
from analytics.rca.parse import RcaAnswer
from analytics.store.writers import quote_ident


def input_hash(model: str, messages: list[dict[str, str]], prompt_version: int) -> str:
    payload = json.dumps(
        {"model": model, "v": prompt_version, "messages": messages},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedAnalysis:
    input_hash: str
    error_hash: str | None
    answer: RcaAnswer
    model: str
    tokens_used: int | None
    prompt_tokens: int | None
    completion_tokens: int | None
    response_time: int | None
    cost: float | None
    hit_count: int
    created_at: dt.datetime
    last_used_at: dt.datetime
    expires_at: dt.datetime


def _row_to_cached(row: dict[str, Any]) -> CachedAnalysis:
    try:
        commands = tuple(json.loads(row["recommendations"] or "[]"))
    except ValueError:
        commands = ()
    answer = RcaAnswer(
        analysis=row["analysis"] or "",
        probable_root_cause=row["root_cause"] or "",
        confidence=float(row["confidence"] or 0.0),
        reasoning=row["reasoning"] or "",
        recommended_commands=tuple(str(c) for c in commands),
    )
    return CachedAnalysis(
        input_hash=row["input_hash"],
        error_hash=row.get("error_hash"),
        answer=answer,
        model=row["model"] or "",
        tokens_used=row["tokens_used"],
        prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"],
        response_time=row["response_time"],
        cost=row["cost"],
        hit_count=int(row["hit_count"] or 0),
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        expires_at=row["expires_at"],
    )


_COLUMNS = (
    "input_hash, error_hash, analysis, root_cause, confidence, recommendations, reasoning, model, "
    "tokens_used, prompt_tokens, completion_tokens, response_time, cost, hit_count, created_at, "
    "last_used_at, expires_at"
)


def lookup_in(con: Any, key: str, now: dt.datetime, *, touch: bool = True) -> CachedAnalysis | None:
    """:func:`lookup` on an open connection (inside the caller's transaction)."""
    cur = con.execute(f"SELECT {_COLUMNS} FROM ai_analysis_cache WHERE input_hash = ? AND expires_at > ?", [key, now])
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    if row is None:
        return None
    cached = _row_to_cached(dict(zip(names, row, strict=True)))
    if touch:
        con.execute(
            "UPDATE ai_analysis_cache SET hit_count = hit_count + 1, last_used_at = ? WHERE input_hash = ?", [now, key]
        )
        cached = CachedAnalysis(**{**cached.__dict__, "hit_count": cached.hit_count + 1, "last_used_at": now})
    return cached


def lookup(store: Any, key: str, *, now: dt.datetime | None = None, touch: bool = True) -> CachedAnalysis | None:
    """The live entry for ``key`` (counting the hit), or None when absent or expired."""
    with store.write() as con:
        return lookup_in(con, key, now or utcnow(), touch=touch)


def cache_row(
    *,
    key: str,
    error_hash: str | None,
    diagnosis_type: str | None,
    error_signature: str,
    log_sample: str,
    answer: RcaAnswer,
    model: str,
    prompt_tokens: int | None,
    completion_tokens: int | None,
    response_time: int,
    cost: float | None,
    ttl_days: float,
    prompt_version: int,
    response_format: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """A cache row as plain JSON-able values (so a busy database can spool it)."""
    tokens = (
        None if prompt_tokens is None and completion_tokens is None else (prompt_tokens or 0) + (completion_tokens or 0)
    )
    return {
        "input_hash": key,
        "error_hash": error_hash,
        "diagnosis_type": diagnosis_type,
        "error_signature": error_signature,
        "log_sample": log_sample,
        "analysis": answer.analysis,
        "root_cause": answer.probable_root_cause,
        "confidence": answer.confidence,
        "recommendations": json.dumps(list(answer.recommended_commands)),
        "reasoning": answer.reasoning,
        "model": model,
        "tokens_used": tokens,
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "response_time": response_time,
        "cost": cost,
        "hit_count": 1,
        "last_used_at": now.isoformat(),
        "created_at": now.isoformat(),
        "expires_at": (now + dt.timedelta(days=ttl_days)).isoformat(),
        "prompt_version": prompt_version,
        "response_format": response_format,
    }


_TIMESTAMPS = ("last_used_at", "created_at", "expires_at")


def insert_in(con: Any, row: dict[str, Any]) -> None:
    """Insert or replace (a forced re-analysis replaces the old answer) one :func:`cache_row`."""
    values = {
        k: (dt.datetime.fromisoformat(v) if k in _TIMESTAMPS and isinstance(v, str) else v) for k, v in row.items()
    }
    cols = list(values)
    con.execute("DELETE FROM ai_analysis_cache WHERE input_hash = ?", [values["input_hash"]])
    con.execute(
        f"INSERT INTO ai_analysis_cache ({', '.join(map(quote_ident, cols))}) VALUES ({', '.join('?' * len(cols))})",
        [values[c] for c in cols],
    )


def put(store: Any, **kwargs: Any) -> None:
    """Insert or replace one entry (see :func:`cache_row` for the arguments)."""
    kwargs.setdefault("now", utcnow())
    row = cache_row(**kwargs)
    with store.write() as con:
        insert_in(con, row)


def latest_for_pattern(store: Any, error_hash: str, *, now: dt.datetime | None = None) -> CachedAnalysis | None:
    """The most recently used live analysis of a pattern (for detail screens); does not count a hit."""
    now = now or utcnow()
    df = store.query(
        f"SELECT {_COLUMNS} FROM ai_analysis_cache WHERE error_hash = ? AND expires_at > ? "
        "ORDER BY last_used_at DESC LIMIT 1",
        [error_hash, now],
    )
    return None if df.is_empty() else _row_to_cached(df.row(0, named=True))


def pattern_analysis_in(con: Any, error_hash: str, now: dt.datetime) -> dict[str, Any] | None:
    """The most recently used live analysis of a pattern as plain column -> value (the details screen's
    read: no polars); does not count a hit."""
    cur = con.execute(
        "SELECT analysis, root_cause, confidence, reasoning, recommendations, model, tokens_used, cost, "
        "hit_count, created_at FROM ai_analysis_cache WHERE error_hash = ? "
        "AND (expires_at IS NULL OR expires_at > ?) ORDER BY last_used_at DESC LIMIT 1",
        [error_hash, now],
    )
    row = cur.fetchone()
    return None if row is None else dict(zip([d[0] for d in cur.description], row, strict=True))


def clean_in(con: Any, now: dt.datetime) -> int:
    n = con.execute("SELECT count(*) FROM ai_analysis_cache WHERE expires_at <= ?", [now]).fetchone()[0]
    if n:
        con.execute("DELETE FROM ai_analysis_cache WHERE expires_at <= ?", [now])
    return int(n)


def clean(store: Any, *, now: dt.datetime | None = None) -> int:
    """Delete expired entries; returns how many went."""
    with store.write() as con:
        return clean_in(con, now or utcnow())


#: the collector cleans expired entries at most this often (the time of the last clean is kept in the store)
CLEAN_EVERY = dt.timedelta(days=1)
_CLEANED_KEY = "ai_cache_cleaned_at"


def daily_clean(store: Any, now: dt.datetime | None = None) -> int | None:
    """The collector's upkeep hook: delete expired entries once a day, across restarts (an analysis
    also cleans as it goes). Returns how many went, or None when the last clean is under a day old."""
    now = now or utcnow()
    with store.write() as con:
        last = con.execute("SELECT value FROM kv WHERE key = ?", [_CLEANED_KEY]).fetchone()
        try:
            if last and now - dt.datetime.fromisoformat(last[0]) < CLEAN_EVERY:
                return None
        except ValueError:
            pass  # an unreadable time: clean now and rewrite it
        n = clean_in(con, now)
        con.execute(
            "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
            "SET value = excluded.value, updated_at = excluded.updated_at",
            [_CLEANED_KEY, now.isoformat(), now],
        )
    return n


@dataclass(frozen=True)
class CacheStats:
    entries: int  # live entries
    expired: int  # expired, waiting for clean
    hits: int  # answers served from the cache (ledger)
    misses: int  # diagnoses that went to a model, whatever it answered (ledger)
    hit_rate: float | None  # hits / (hits + misses); None before any diagnosis
    tokens_saved: int  # tokens the hits would have cost
    cost_saved: float  # money the hits would have cost (priced entries only)
    tokens_spent: int
    cost_spent: float
    oldest: dt.datetime | None
    newest: dt.datetime | None


def stats(store: Any, *, now: dt.datetime | None = None) -> CacheStats:
    now = now or utcnow()
    with store.read() as con:
        entries, expired, oldest, newest = con.execute(
            "SELECT count(*) FILTER (WHERE expires_at > ?), count(*) FILTER (WHERE expires_at <= ?), "
            "min(created_at), max(created_at) FROM ai_analysis_cache",
            [now, now],
        ).fetchone()
        hits, misses, spent_tokens, spent_cost = con.execute(
            "SELECT count(*) FILTER (WHERE cache_hit), "
            "count(DISTINCT diagnosis_id) FILTER (WHERE NOT cache_hit), "
            "coalesce(sum(prompt_tokens) FILTER (WHERE NOT cache_hit), 0) "
            " + coalesce(sum(completion_tokens) FILTER (WHERE NOT cache_hit), 0), "
            "coalesce(sum(cost) FILTER (WHERE NOT cache_hit), 0) FROM ai_calls"
        ).fetchone()
        saved_tokens, saved_cost = con.execute(
            "SELECT coalesce(sum(tokens_saved), 0), coalesce(sum(cost_saved), 0) FROM ai_calls WHERE cache_hit"
        ).fetchone()
    total = int(hits) + int(misses)
    return CacheStats(
        entries=int(entries),
        expired=int(expired),
        hits=int(hits),
        misses=int(misses),
        hit_rate=(int(hits) / total) if total else None,
        tokens_saved=int(saved_tokens),
        cost_saved=float(saved_cost),
        tokens_spent=int(spent_tokens),
        cost_spent=float(spent_cost),
        oldest=oldest,
        newest=newest,
    )
