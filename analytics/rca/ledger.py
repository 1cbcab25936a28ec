"""The AI cost ledger: tokens and money per model call, and per diagnosis.

Owns the ``ai_calls`` table (one row per call to a model and one per cache hit) and the price
lookup. Prices are USD per 1M tokens from ``[ai.prices]`` in the config; a small built-in table
for OpenAI's common models is used only when the endpoint *is* OpenAI and the config names no
price. A model on a local server (loopback or private address) with no price costs 0 -- it runs
on the user's own hardware. Anything else has an unknown cost, and the ledger says so instead
of inventing a number.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import polars as pl

from analytics.rca.client import safe_url

#: USD per 1M tokens, OpenAI list prices (checked 2025); used only for api.openai.com.
BUILTIN_OPENAI_PRICES: dict[str, dict[str, float]] = {
    "gpt-4o-mini": {"input": 0.15, "output": 0.60},
    "gpt-4o": {"input": 2.50, "output": 10.00},
    "gpt-4.1-nano": {"input": 0.10, "output": 0.40},
    "gpt-4.1-mini": {"input": 0.40, "output": 1.60},
    "gpt-4.1": {"input": 2.00, "output": 8.00},
    "gpt-4-turbo": {"input": 10.00, "output": 30.00},
}


@dataclass(frozen=True)
class Price:
    input_per_m: float
    output_per_m: float
    source: str  # "config" | "built-in" | "local"

    def cost(self, prompt_tokens: int | None, completion_tokens: int | None) -> float | None:
        if prompt_tokens is None and completion_tokens is None:
            return None
        return ((prompt_tokens or 0) * self.input_per_m + (completion_tokens or 0) * self.output_per_m) / 1e6


def is_local_endpoint(base_url: str) -> bool:
    host = urlparse(base_url).hostname or ""
    if host in ("localhost", "") or host.endswith(".local") or host.endswith(".internal"):
        return bool(base_url)
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    return addr.is_loopback or addr.is_private or addr.is_link_local


def is_openai_endpoint(base_url: str) -> bool:
    return not base_url or (urlparse(base_url).hostname or "").endswith("api.openai.com")


def _lookup(table: dict[str, Any], model: str) -> dict[str, Any] | None:
    if model in table:
        return table[model]
    # dated snapshots ("gpt-4o-mini-2024-07-18") take the price of their family: longest prefix wins
    best = max((k for k in table if model.startswith(k)), key=len, default=None)
    return table[best] if best else None


def price_for(prices: dict[str, dict[str, float]], model: str, base_url: str) -> Price | None:
    """The price of ``model`` at ``base_url``, or None when it is not known."""
    entry = _lookup(prices or {}, model)
    if isinstance(entry, dict):
        try:
            return Price(float(entry.get("input", 0.0)), float(entry.get("output", 0.0)), "config")
        except (TypeError, ValueError):
            return None
    if is_openai_endpoint(base_url):
        entry = _lookup(BUILTIN_OPENAI_PRICES, model)
        if entry:
            return Price(entry["input"], entry["output"], "built-in")
        return None
    if is_local_endpoint(base_url):
        return Price(0.0, 0.0, "local")
    return None


@dataclass(frozen=True)
class CallRecord:
    diagnosis_id: str
    error_hash: str | None
    input_hash: str | None
    model: str
    base_url: str
    cache_hit: bool
    status: str
    attempt: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    usage_reported: bool = False
    cost: float | None = None
    response_time: int | None = None
    error: str | None = None
    called_at: dt.datetime | None = None
    tokens_saved: int | None = None
    cost_saved: float | None = None


_SCHEMA = {
    "called_at": pl.Datetime("us"),
    "diagnosis_id": pl.Utf8(),
    "error_hash": pl.Utf8(),
    "input_hash": pl.Utf8(),
    "model": pl.Utf8(),
    "base_url": pl.Utf8(),
    "cache_hit": pl.Boolean(),
    "status": pl.Utf8(),
    "attempt": pl.Int32(),
    "prompt_tokens": pl.Int32(),
    "completion_tokens": pl.Int32(),
    "usage_reported": pl.Boolean(),
    "cost": pl.Float64(),
    "response_time": pl.Int32(),
    "error": pl.Utf8(),
    "tokens_saved": pl.Int32(),
    "cost_saved": pl.Float64(),
}


def record_calls(store: Any, records: list[CallRecord]) -> None:
    """Append ledger rows in one batch (spooled by the store if the file is busy)."""
    if records:
        store.append("ai_calls", frame(records))


def frame(records: list[CallRecord]) -> pl.DataFrame:
    """Ledger rows as a frame for ``ai_calls``."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [
        {
            "called_at": r.called_at or now,
            "diagnosis_id": r.diagnosis_id,
            "error_hash": r.error_hash,
            "input_hash": r.input_hash,
            "model": r.model,
            "base_url": safe_url(r.base_url),
            "cache_hit": r.cache_hit,
            "status": r.status,
            "attempt": r.attempt,
            "prompt_tokens": r.prompt_tokens,
            "completion_tokens": r.completion_tokens,
            "usage_reported": r.usage_reported,
            "cost": r.cost,
            "response_time": r.response_time,
            "error": (r.error or None) and r.error[:500],
            "tokens_saved": r.tokens_saved,
            "cost_saved": r.cost_saved,
        }
        for r in records
    ]
    return pl.DataFrame(rows, schema=_SCHEMA)


@dataclass(frozen=True)
class DiagnosisCost:
    diagnosis_id: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost: float | None  # None when any call had an unknown price


def diagnosis_cost(store: Any, diagnosis_id: str) -> DiagnosisCost:
    df = store.query(
        "SELECT count(*) FILTER (WHERE NOT cache_hit) AS calls, "
        "coalesce(sum(prompt_tokens), 0) AS p, coalesce(sum(completion_tokens), 0) AS c, "
        "sum(cost) AS cost, count(*) FILTER (WHERE cost IS NULL AND NOT cache_hit AND usage_reported) AS unknown "
        "FROM ai_calls WHERE diagnosis_id = ?",
        [diagnosis_id],
    )
    row = df.row(0, named=True)
    cost = None if row["unknown"] else float(row["cost"] or 0.0)
    return DiagnosisCost(diagnosis_id, int(row["calls"]), int(row["p"]), int(row["c"]), cost)


@dataclass(frozen=True)
class LedgerSummary:
    diagnoses: int
    model_calls: int
    cache_hits: int
    prompt_tokens: int
    completion_tokens: int
    cost: float
    unpriced_calls: int
    cost_per_diagnosis: float | None  # all money spent on model calls (failed ones too) / analyses made


def summary(store: Any, since: dt.datetime | None = None) -> LedgerSummary:
    where, params = ("WHERE called_at >= ?", [since]) if since else ("", [])
    row = store.query(
        "SELECT count(DISTINCT diagnosis_id) AS d, "
        "count(DISTINCT diagnosis_id) FILTER (WHERE NOT cache_hit AND status = 'ok') AS dm, "
        "count(*) FILTER (WHERE NOT cache_hit) AS calls, count(*) FILTER (WHERE cache_hit) AS hits, "
        "coalesce(sum(prompt_tokens), 0) AS p, coalesce(sum(completion_tokens), 0) AS c, "
        "coalesce(sum(cost), 0) AS cost, "
        "count(*) FILTER (WHERE NOT cache_hit AND cost IS NULL AND usage_reported) AS unpriced "
        f"FROM ai_calls {where}",
        params,
    ).row(0, named=True)
    dm = int(row["dm"])
    return LedgerSummary(
        diagnoses=int(row["d"]),
        model_calls=int(row["calls"]),
        cache_hits=int(row["hits"]),
        prompt_tokens=int(row["p"]),
        completion_tokens=int(row["c"]),
        cost=float(row["cost"]),
        unpriced_calls=int(row["unpriced"]),
        cost_per_diagnosis=(float(row["cost"]) / dm) if dm else None,
    )
