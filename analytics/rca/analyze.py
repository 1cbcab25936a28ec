"""Root-cause analysis of one error pattern: the single entry point the CLI and the dashboard call.

:func:`analyze_pattern` redacts the pattern's facts (:mod:`.prompt`), serves a live cached answer
when there is one (:mod:`.cache`, zero tokens), otherwise asks the configured model
(:mod:`.client`), validates the answer (:mod:`.parse`), caches it, records every call and its cost
(:mod:`.ledger`), and -- when the model is more than 80 % sure and suggests commands -- offers
those commands as the pattern's *candidate* solution (never auto-approved: recorded outcomes
decide that). Whatever goes wrong comes back as an :class:`AnalysisResult` with a clear
``status`` and the built-in playbook as the fallback; nothing wrong is ever cached.

It is safe to run in a worker thread: pass ``cancel`` (a ``threading.Event`` or a callable) and
``progress`` (called with :class:`Progress` from worker threads -- marshal it to the UI thread).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from analytics.common.clock import utcnow
from analytics.rca import cache as cache_mod, ledger
from analytics.rca.client import (
    CallFailed,
    Endpoint,
    Progress,
    ProgressFn,
    _normalise_cancel,
    chat,
    endpoint_from_config,
    safe_url,
)
from analytics.rca.parse import ANSWER_SCHEMA, MalformedAnswer, RcaAnswer, parse_answer
from analytics.rca.prompt import PROMPT_VERSION, PatternFacts, PatternNotFound, RcaInput, build_input

__all__ = ["CANDIDATE_THRESHOLD", "AnalysisResult", "Fallback", "Progress", "analyze_pattern", "preview_pattern"]

#: the seed's rule: AI-suggested commands are used when the model's confidence exceeds 0.8
CANDIDATE_THRESHOLD = 0.8

#: statuses, for the UI: ok/cached carry an answer; the rest carry a fallback
STATUS_TEXT = {
    "ok": "analysed by the model",
    "cached": "from the cache (0 tokens)",
    "not_configured": "no model configured -- showing the built-in playbook",
    "no_pattern": "no such pattern",
    "timeout": "the model timed out",
    "unreachable": "the model endpoint is unreachable",
    "unauthorized": "the API key was refused",
    "rate_limited": "rate-limited by the endpoint",
    "quota": "the account has no quota left",
    "server_error": "the endpoint failed (5xx)",
    "truncated": "the answer was cut off",
    "not_found": "model or endpoint not found",
    "bad_request": "the endpoint rejected the request",
    "malformed": "the model's answer was not a usable analysis",
    "cancelled": "cancelled",
}


@dataclass(frozen=True)
class Fallback:
    """What to show when no model answer is available: the built-in playbook for the pattern's
    type, and the pattern's own current solution when it has one."""

    source: str  # "playbook" | "learned solution" | "none"
    title: str
    steps: tuple[str, ...]
    learned: tuple[str, ...] = ()  # the pattern's current solution, when it has one
    learned_record: str = ""  # e.g. "worked 3, failed 1"


@dataclass(frozen=True)
class AnalysisResult:
    status: str
    message: str
    error_hash: str
    diagnosis_id: str
    model: str = ""
    base_url: str = ""
    component: str = ""
    error_type: str = ""
    answer: RcaAnswer | None = None
    from_cache: bool = False
    input_hash: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    usage_reported: bool = False
    cost: float | None = None  # this diagnosis (0 for a cache hit)
    price_source: str = ""  # config | built-in | local | "" (unknown)
    response_ms: int | None = None
    attempts: int = 0
    redactions: dict[str, int] = field(default_factory=dict)
    fallback: Fallback | None = None
    candidate_solution: str | None = None  # set when the answer became the pattern's candidate
    cached_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    hit_count: int | None = None
    tokens_saved: int | None = None  # a cache hit: what the reused answer cost to make
    excerpt: str = ""  # a malformed answer's beginning, for the user to see

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "cached")

    @property
    def tokens(self) -> int | None:
        if self.from_cache:
            return 0
        if not self.usage_reported:
            return None
        return (self.prompt_tokens or 0) + (self.completion_tokens or 0)

    @property
    def status_text(self) -> str:
        return STATUS_TEXT.get(self.status, self.status)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "status_text": self.status_text,
            "message": self.message,
            "error_hash": self.error_hash,
            "diagnosis_id": self.diagnosis_id,
            "model": self.model,
            "base_url": self.base_url,
            "component": self.component,
            "error_type": self.error_type,
            "answer": self.answer.to_json() if self.answer else None,
            "from_cache": self.from_cache,
            "input_hash": self.input_hash,
            "tokens": self.tokens,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost": self.cost,
            "price_source": self.price_source,
            "response_ms": self.response_ms,
            "attempts": self.attempts,
            "redactions": self.redactions,
            "fallback": None
            if self.fallback is None
            else {
                "source": self.fallback.source,
                "title": self.fallback.title,
                "steps": list(self.fallback.steps),
                "learned_solution": list(self.fallback.learned),
                "learned_record": self.fallback.learned_record,
            },
            "candidate_solution": self.candidate_solution,
            "cached_at": self.cached_at,
            "expires_at": self.expires_at,
            "hit_count": self.hit_count,
            "tokens_saved": self.tokens_saved,
            "excerpt": self.excerpt,
        }


# --- fallback -------------------------------------------------------------------------------------
def fallback_for(store: Any, facts: PatternFacts | None, error_type: str = "") -> Fallback:
    """The built-in playbook for the pattern's type, plus its learned solution if it has one."""
    etype = facts.error_type if facts else error_type
    steps: tuple[str, ...] = ()
    title = ""
    try:
        from analytics.patterns import playbooks  # the patterns engine's built-in knowledge
    except ImportError:
        playbooks = None  # type: ignore[assignment]
    if playbooks is not None:
        try:
            title, steps = _playbook_steps(playbooks, etype, facts, store)
        except Exception:  # noqa: BLE001 - a broken playbook file must not hide the analysis status
            title, steps = "", ()
    learned: tuple[str, ...] = ()
    record = ""
    if facts is not None and facts.solution:
        learned = tuple(
            re.sub(r"^\s*(?:\d+[.)]|[-*])\s+", "", s).strip() for s in facts.solution.splitlines() if s.strip()
        )
        record = f"worked {facts.success_count}, failed {facts.failure_count}"
    if steps:
        return Fallback("playbook", title or f"Built-in playbook for {etype}", steps, learned, record)
    if learned:
        return Fallback("learned solution", "The pattern's current solution", learned, (), record)
    return Fallback("none", f"No built-in playbook for {etype or 'this pattern'}", ())


def _playbook_steps(playbooks: Any, etype: str, facts: PatternFacts | None, store: Any) -> tuple[str, tuple[str, ...]]:
    for name in ("playbook_for", "get_playbook", "lookup", "for_type"):
        fn = getattr(playbooks, name, None)
        if callable(fn):
            pb = fn(etype)
            return _normalise_playbook(pb, etype)
    return "", ()


def _normalise_playbook(pb: Any, etype: str) -> tuple[str, tuple[str, ...]]:
    if pb is None:
        return "", ()
    if isinstance(pb, str):
        return "", tuple(s.strip() for s in pb.splitlines() if s.strip())
    if isinstance(pb, (list, tuple)):
        return "", tuple(str(s) for s in pb)
    if isinstance(pb, dict):
        title = str(pb.get("title") or pb.get("name") or "")
        steps = pb.get("steps") or pb.get("solution") or ()
        return title, tuple(str(s) for s in (steps if isinstance(steps, (list, tuple)) else str(steps).splitlines()))
    title = str(getattr(pb, "title", "") or getattr(pb, "name", "") or "")
    steps = getattr(pb, "steps", None) or getattr(pb, "solution", None) or ()
    if isinstance(steps, str):
        steps = steps.splitlines()
    return title, tuple(str(s) for s in steps)


# --- candidate solution ---------------------------------------------------------------------------
def candidate_text(answer: RcaAnswer) -> str:
    return "\n".join(f"{i}) {cmd}" for i, cmd in enumerate(answer.recommended_commands, 1))


def decide_candidate(facts: PatternFacts, answer: RcaAnswer) -> str | None:
    """The solution text to offer, or None.

    Only when the model is more than 80 % sure and suggests commands, and only where no solution
    has earned its place yet: a solution with recorded successes, or one a person wrote, is never
    displaced by a model.
    """
    if answer.confidence <= CANDIDATE_THRESHOLD or not answer.recommended_commands:
        return None
    if facts.success_count > 0:  # the current solution (or the playbook it stands for) has worked
        return None
    if facts.solution and (facts.solution_source or "") == "user":
        return None
    return candidate_text(answer)


def write_outcome(con: Any, df: Any, *, cache_row: dict[str, Any] | None = None) -> int:
    """Store writer (``Store.submit``): the ledger rows and the cache entry in one transaction.

    Arguments are plain JSON values so a busy database spools the whole outcome durably.
    """
    from analytics.store.database import append_table

    if df is not None and df.height:
        append_table(con, df, table="ai_calls")
    if cache_row:
        cache_mod.insert_in(con, cache_row)
    return 0


def apply_candidate(
    store: Any,
    error_hash: str,
    text: str,
    confidence: float,
    model: str,
    now: dt.datetime | None = None,
    diagnosis_id: str | None = None,
) -> None:
    """Make ``text`` the pattern's solution as a new, unapproved version with source ``ai``.

    Goes through the patterns engine (:func:`analytics.patterns.learning.edit_solution`), which starts the
    new version's outcome counts and confidence from zero and clears approval.
    """
    from analytics.patterns.learning import edit_solution

    edit_solution(store, error_hash, text, author=model, source="ai", now=now, diagnosis_id=diagnosis_id)
    store.execute_named("error_patterns.ai_enhanced", [confidence, error_hash, text])


# --- the analysis ---------------------------------------------------------------------------------


def preview_pattern(
    store: Any, config: Any, error_hash: str, *, now: dt.datetime | None = None
) -> tuple[RcaInput, Endpoint, dict[str, Any]]:
    """What an analysis would send, without sending it: (input, endpoint, request parameters)."""
    from analytics.rca.client import request_params

    rin = build_input(store, config, error_hash, now=now)
    endpoint = endpoint_from_config(config.ai)
    return rin, endpoint, request_params(endpoint, rin.messages, ANSWER_SCHEMA)


def analyze_pattern(
    store: Any,
    config: Any,
    error_hash: str,
    *,
    force: bool = False,
    cancel: Any = None,
    progress: ProgressFn | None = None,
    now: dt.datetime | None = None,
) -> AnalysisResult:
    """Analyse one pattern; see the module docstring. Store errors (busy/corrupt) propagate."""
    now = now or utcnow()
    is_cancelled = _normalise_cancel(cancel)
    diagnosis_id = uuid.uuid4().hex
    ai = config.ai
    endpoint = endpoint_from_config(ai)
    base: dict[str, Any] = dict(
        error_hash=error_hash, diagnosis_id=diagnosis_id, model=endpoint.model, base_url=safe_url(endpoint.base_url)
    )

    def report(stage: str, message: str) -> None:
        if progress is not None:
            progress(Progress(stage, message))

    def call(status: str, **kw: Any) -> ledger.CallRecord:
        return ledger.CallRecord(
            diagnosis_id,
            error_hash,
            base.get("input_hash"),
            endpoint.model,
            endpoint.base_url,
            status == "cached",
            status,
            called_at=now,
            **kw,
        )

    report("redacting", "gathering and redacting the pattern's facts")
    try:
        rin = build_input(store, config, error_hash, now=now)
    except PatternNotFound as exc:
        return AnalysisResult("no_pattern", str(exc), fallback=None, **base)
    facts = rin.facts
    base.update(component=facts.component, error_type=facts.error_type, redactions=rin.redactions)
    key = cache_mod.input_hash(endpoint.model, rin.messages, PROMPT_VERSION)
    base["input_hash"] = key

    if is_cancelled():
        return AnalysisResult("cancelled", "analysis cancelled", fallback=fallback_for(store, facts), **base)

    report("cache", "looking in the cache")
    with store.write() as con:  # housekeeping, lookup and the hit's ledger row: one visit
        cache_mod.clean_in(con, now)
        hit = None if force else cache_mod.lookup_in(con, key, now)
        if hit is not None:
            from analytics.store.database import append_table

            append_table(
                con,
                ledger.frame(
                    [
                        call(
                            "cached",
                            prompt_tokens=0,
                            completion_tokens=0,
                            usage_reported=True,
                            cost=0.0,
                            response_time=0,
                            tokens_saved=hit.tokens_used,
                            cost_saved=hit.cost,
                        )
                    ]
                ),
                table="ai_calls",
            )
    if hit is not None:
        # the offer was made when the answer was new; a hit never overrides a later human edit
        text = candidate_text(hit.answer)
        candidate = text if facts.solution and facts.solution.strip() == text else None
        report("done", "answer served from the cache")
        return AnalysisResult(
            "cached",
            f"served from the cache (made {hit.created_at:%Y-%m-%d %H:%M} UTC, used {hit.hit_count} times)",
            answer=hit.answer,
            from_cache=True,
            prompt_tokens=0,
            completion_tokens=0,
            usage_reported=True,
            cost=0.0,
            price_source="cache",
            response_ms=0,
            cached_at=hit.created_at,
            expires_at=hit.expires_at,
            hit_count=hit.hit_count,
            tokens_saved=hit.tokens_used,
            candidate_solution=candidate,
            fallback=None,
            **base,
        )

    if not endpoint.configured:
        report("done", "no model configured")
        return AnalysisResult(
            "not_configured", endpoint.reason or "no model configured", fallback=fallback_for(store, facts), **base
        )

    price = ledger.price_for(getattr(ai, "prices", {}) or {}, endpoint.model, endpoint.base_url)
    try:
        res = chat(endpoint, rin.messages, ANSWER_SCHEMA, cancel=is_cancelled, progress=progress)
    except CallFailed as failure:
        ledger.record_calls(store, [call(a.status, attempt=a.attempt, error=a.error) for a in failure.attempts])
        report("done", failure.message)
        return AnalysisResult(
            failure.status, failure.message, attempts=len(failure.attempts), fallback=fallback_for(store, facts), **base
        )

    if price is not None and price.input_per_m == 0 and price.output_per_m == 0:
        cost: float | None = 0.0  # free (a local server): known even without a token count
    else:
        cost = price.cost(res.prompt_tokens, res.completion_tokens) if (price and res.usage_reported) else None
    records = [
        call(
            a.status,
            attempt=a.attempt,
            prompt_tokens=a.prompt_tokens,
            completion_tokens=a.completion_tokens,
            usage_reported=a.usage_reported,
            cost=cost if a.status == "ok" else None,
            response_time=a.response_ms or None,
            error=a.error or None,
        )
        for a in res.attempts
    ]
    common: dict[str, Any] = dict(
        prompt_tokens=res.prompt_tokens,
        completion_tokens=res.completion_tokens,
        usage_reported=res.usage_reported,
        cost=cost,
        price_source=price.source if price else "",
        response_ms=res.response_ms,
        attempts=len(res.attempts),
    )
    report("parsing", "checking the answer")
    try:
        answer = parse_answer(res.content)
    except MalformedAnswer as bad:
        records[-1] = ledger.CallRecord(**{**records[-1].__dict__, "status": "malformed", "error": bad.reason})
        ledger.record_calls(store, records)
        report("done", f"malformed answer: {bad.reason}")
        return AnalysisResult(
            "malformed",
            f"the model's answer was not a usable analysis: {bad.reason}",
            excerpt=bad.excerpt,
            fallback=fallback_for(store, facts),
            **common,
            **base,
        )

    ttl = float(getattr(ai, "cache_ttl_days", 30))
    row = cache_mod.cache_row(
        key=key,
        error_hash=error_hash,
        diagnosis_type=facts.error_type,
        error_signature=rin.error_signature,
        log_sample=rin.log_sample,
        answer=answer,
        model=endpoint.model,
        prompt_tokens=res.prompt_tokens,
        completion_tokens=res.completion_tokens,
        response_time=res.response_ms,
        cost=cost,
        ttl_days=ttl,
        prompt_version=PROMPT_VERSION,
        response_format=res.response_format,
        now=now,
    )
    store.submit("rca-outcome", ledger.frame(records), cache_row=row)
    candidate = decide_candidate(facts, answer)
    note = ""
    if candidate is not None and (facts.solution or "").strip() != candidate:
        from analytics.store.database import StoreError

        try:
            apply_candidate(
                store, error_hash, candidate, answer.confidence, endpoint.model, now=now, diagnosis_id=diagnosis_id
            )
        except StoreError as exc:  # the answer is kept (cached/spooled); only the offer is skipped
            candidate, note = None, f"; not offered as the candidate solution ({exc})"
    report("done", "analysis complete")
    return AnalysisResult(
        "ok",
        f"analysed by {endpoint.model} in {res.response_ms / 1000:.1f}s{note}",
        answer=answer,
        candidate_solution=candidate,
        fallback=None,
        cached_at=now,
        expires_at=now + dt.timedelta(days=ttl),
        hit_count=1,
        **common,
        **base,
    )
