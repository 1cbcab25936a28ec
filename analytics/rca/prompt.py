"""What the model is asked: the facts about one error pattern, gathered from the store and redacted.

Owns :func:`build_input`, which reads (never writes) the pattern (``error_patterns``: template,
type, component, counts, current solution), a few distinct sample lines (``error_events``),
the component's metrics around the time the pattern was last seen against its own 7-day
baseline (``metrics_hourly``), and the fix history (``fix_history``); formats them into a
system and a user message; and passes the user message through :class:`Redactor`. The result
is exactly what :func:`analytics.rca.client.chat` sends and what ``lokifi ai preview`` prints.
The pattern's current solution is left out on purpose: outcomes are in the fix history, and the
model's own earlier suggestion (which may have become the solution) would change the input and
defeat the cache.

Volatile details are made stable on purpose so that the cache can work: windows are aligned to
the hour the pattern was last seen, counts are bucketed, numbers rounded to three significant
digits. Asking twice about an unchanged pattern produces byte-identical input.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from analytics.patterns.multiline import context_lines
from analytics.rca.redact import Redactor

PROMPT_VERSION = 1
MAX_SAMPLES = 5
MAX_LINE_CHARS = 400
RAW_LIMIT = 20_000  # characters of one value looked at (redacted) before shortening
MAX_METRICS = 8
MAX_FIXES = 10
BASELINE_DAYS = 7

SYSTEM_PROMPT = """You are a site-reliability engineer doing root-cause analysis for one recurring \
error pattern on a Linux server. You get the pattern's template, type and component, a few sample \
log lines, the component's metrics (baseline vs. when the error was last seen) and the fixes already \
tried with their outcomes. Values shown as [REDACTED:...], [EMAIL], [IP] or [HOST] were removed for \
privacy; never ask for them and use placeholders such as <host> in commands.

Answer with ONE JSON object and nothing else -- no prose, no markdown fences:
{"analysis": "<2-4 sentences: what is happening>",
 "probable_root_cause": "<the single most likely cause>",
 "confidence": <number from 0 to 1: how sure you are of the root cause>,
 "reasoning": "<the evidence from the input that supports it>",
 "recommended_commands": ["<shell command>", "..."]}

Rules: recommended_commands holds at most 5 concrete shell commands, diagnostics first, then the fix; \
prefer read-only checks; never include destructive commands (rm -rf, mkfs, dropping data) unless \
nothing else can fix it. Do not repeat a fix the history shows failed. Use a low confidence when the \
evidence is thin."""


class PatternNotFound(LookupError):
    pass


class AmbiguousPattern(LookupError):
    pass


@dataclass(frozen=True)
class PatternFacts:
    error_hash: str
    error_type: str
    component: str
    template: str
    message: str
    occurrences: int
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    solution: str | None
    success_count: int
    failure_count: int
    solution_source: str | None = None  # pattern_versions.source of the current solution


@dataclass(frozen=True)
class RcaInput:
    facts: PatternFacts
    messages: list[dict[str, str]]  # exactly what is sent (user message redacted)
    redactions: dict[str, int] = field(default_factory=dict)
    error_signature: str = ""  # redacted template (cache column)
    log_sample: str = ""  # redacted sample lines (cache column)


def _clean(text: Any, limit: int = MAX_LINE_CHARS) -> str:
    """One line of data text: control characters and terminal escapes dropped, length bounded."""
    s = "" if text is None else str(text)
    s = s.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    s = "".join(ch for ch in s if unicodedata.category(ch)[0] != "C")
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _sig(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    digits = 3 - int(math.floor(math.log10(abs(x)))) - 1
    v = round(x, digits)
    return f"{v:.{max(0, digits)}f}" if digits > 0 else f"{int(v)}"


def _bucket(n: int) -> str:
    if n <= 5:
        return str(n)
    for hi in (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 100_000, 1_000_000):
        if n <= hi:
            return f"up to {hi:,}"
    return "over 1,000,000"


def resolve_pattern(store: Any, ref: str) -> str:
    """Turn what a person typed (a full hash, a unique prefix of at least 4 characters, or the
    numeric pattern id) into an ``error_hash``."""
    ref = (ref or "").strip()
    if not ref:
        raise PatternNotFound("no pattern given")
    if ref.isdigit():
        df = store.query("SELECT error_hash FROM error_patterns WHERE id = ?", [int(ref)])
        if not df.is_empty():
            return df["error_hash"][0]
    if len(ref) < 4:
        raise PatternNotFound(f"pattern {ref!r}: give at least 4 characters of its hash (or its id)")
    df = store.query(
        "SELECT error_hash FROM error_patterns WHERE starts_with(error_hash, ?) ORDER BY error_hash LIMIT 6",
        [ref.lower()],
    )
    if df.is_empty():
        raise PatternNotFound(
            f"no error pattern with hash or id {ref!r} (list them with `lokifi ai autofix` "
            "or the dashboard's patterns pane)"
        )
    if df.height > 1 and ref.lower() not in df["error_hash"].to_list():
        shown = ", ".join(h[:12] for h in df["error_hash"].to_list()[:5])
        raise AmbiguousPattern(f"pattern {ref!r} matches several ({shown}...); give more characters")
    return ref.lower() if ref.lower() in df["error_hash"].to_list() else df["error_hash"][0]


def _rows(con: Any, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def load_facts(store: Any, error_hash: str) -> PatternFacts:
    with store.read() as con:
        return _facts(con, error_hash)


def _facts(con: Any, error_hash: str) -> PatternFacts:
    rows = _rows(
        con,
        "SELECT error_hash, error_type, component, coalesce(template, error_message) AS template, error_message, "
        "coalesce(occurrence_count, 0) AS occ, first_seen, last_seen, solution, coalesce(success_count, 0) AS s, "
        "coalesce(failure_count, 0) AS f, (SELECT source FROM pattern_versions v WHERE v.error_hash = p.error_hash "
        "ORDER BY version DESC, created_at DESC LIMIT 1) AS src FROM error_patterns p WHERE error_hash = ?",
        [error_hash],
    )
    if not rows:
        raise PatternNotFound(f"no error pattern {error_hash!r}")
    r = rows[0]
    return PatternFacts(
        r["error_hash"],
        r["error_type"] or "unknown",
        r["component"] or "unknown",
        r["template"] or "",
        r["error_message"] or "",
        int(r["occ"]),
        r["first_seen"],
        r["last_seen"],
        r["solution"],
        int(r["s"]),
        int(r["f"]),
        r["src"],
    )


def _samples(con: Any, facts: PatternFacts) -> list[tuple[str, str]]:
    """The latest distinct messages of the pattern, each with its context (the lines the server wrote
    with it: its DETAIL, its STATEMENT; "" when none)."""
    rows: list[Any] = []
    try:  # the patterns engine keeps the latest distinct messages per pattern (survives event pruning)
        rows = con.execute(
            "SELECT message, max(seen_at) AS last, arg_max(context, seen_at) FROM pattern_samples "
            "WHERE error_hash = ? GROUP BY message ORDER BY last DESC NULLS LAST, message LIMIT ?",
            [facts.error_hash, MAX_SAMPLES],
        ).fetchall()
    except Exception:  # noqa: BLE001 - an older schema without pattern_samples: use the raw events
        rows = []
    if not rows:
        rows = con.execute(
            "SELECT message, max(ts) AS last, arg_max(context, ts) FROM error_events WHERE fingerprint = ? "
            "GROUP BY message ORDER BY last DESC, message LIMIT ?",
            [facts.error_hash, MAX_SAMPLES],
        ).fetchall()
    lines = [(str(r[0])[:RAW_LIMIT], str(r[2] or "")[:RAW_LIMIT]) for r in rows]
    if not lines and facts.message:
        lines = [(facts.message[:RAW_LIMIT], "")]
    return lines


def _metrics(con: Any, facts: PatternFacts, now: dt.datetime) -> list[str]:
    anchor = facts.last_seen or now
    hour = anchor.replace(minute=0, second=0, microsecond=0)
    start_now, end_now = hour - dt.timedelta(hours=1), hour + dt.timedelta(hours=1)
    start_base = start_now - dt.timedelta(days=BASELINE_DAYS)
    rows = _rows(
        con,
        "WITH b AS (SELECT metric, sum(n)::DOUBLE AS n, sum(sum) AS s, sum(sumsq) AS ss FROM metrics_hourly "
        "  WHERE component = ? AND hour >= ? AND hour < ? GROUP BY metric), "
        "c AS (SELECT metric, sum(n)::DOUBLE AS n, sum(sum) AS s, max(max) AS mx FROM metrics_hourly "
        "  WHERE component = ? AND hour >= ? AND hour < ? GROUP BY metric) "
        "SELECT c.metric, b.n AS bn, b.s AS bs, b.ss AS bss, c.n AS cn, c.s AS cs, c.mx AS cmx "
        "FROM c LEFT JOIN b USING (metric) ORDER BY c.metric",
        [facts.component, start_base, start_now, facts.component, start_now, end_now],
    )
    out: list[tuple[float, str]] = []
    for r in rows:
        if not r["cn"]:
            continue
        cur = r["cs"] / r["cn"]
        if r["bn"]:
            mean = r["bs"] / r["bn"]
            var = max(0.0, r["bss"] / r["bn"] - mean * mean)
            sd = math.sqrt(var)
            z = (cur - mean) / sd if sd > 0 else 0.0
            line = (
                f"- {_clean(r['metric'], 80)}: baseline {_sig(mean)} (sd {_sig(sd)}), "
                f"then {_sig(cur)} (max {_sig(r['cmx'])}), {_sig(z)} sd from baseline"
            )
            score = abs(z)
        else:
            line = f"- {_clean(r['metric'], 80)}: {_sig(cur)} (max {_sig(r['cmx'])}), no baseline yet"
            score = 0.0
        out.append((score, line))
    out.sort(key=lambda t: (-t[0], t[1]))
    return [line for _, line in out[:MAX_METRICS]]


def _fixes(con: Any, facts: PatternFacts) -> list[tuple[str, str, str, str]]:
    rows = _rows(
        con,
        "SELECT applied_at, fix_applied, success, note FROM fix_history WHERE error_hash = ? "
        "ORDER BY applied_at DESC, id DESC LIMIT ?",
        [facts.error_hash, MAX_FIXES],
    )
    out = []
    for r in rows:
        when = r["applied_at"].strftime("%Y-%m-%d") if r["applied_at"] else "?"
        outcome = "worked" if r["success"] else "failed"
        out.append((when, str(r["fix_applied"] or "")[:RAW_LIMIT], outcome, str(r["note"] or "")[:RAW_LIMIT]))
    return out


def build_input(store: Any, config: Any, error_hash: str, *, now: dt.datetime | None = None) -> RcaInput:
    """Gather, format and redact the analysis input for one pattern."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with store.read() as con:  # one short visit to the file
        facts = _facts(con, error_hash)
        samples = _samples(con, facts)
        metrics = _metrics(con, facts, now)
        fixes = _fixes(con, facts)
    redactor = Redactor.for_config(config)
    counts: Counter[str] = Counter()

    def safe(text: Any, limit: int = MAX_LINE_CHARS) -> str:
        # redact the whole value first, then shorten: cutting first could leave half a secret
        red = redactor.redact(str(text or "")[:RAW_LIMIT])
        counts.update(red.counts)
        return _clean(red.text, limit)

    def when(t: dt.datetime | None) -> str:
        return t.strftime("%Y-%m-%d %H:00 UTC") if t else "unknown"

    sample_lines = [safe(s) for s, _ in samples]
    sample_blocks = [
        f"- {line}" + "".join(f"\n  {safe(c)}" for c in context_lines(ctx))
        for line, (_, ctx) in zip(sample_lines, samples, strict=True)
    ]
    fix_lines = [
        f"- {w}: {safe(fix, 300)} -> {outcome}" + (f" ({safe(note, 120)})" if note else "")
        for w, fix, outcome, note in fixes
    ]
    template = safe(facts.template, 600)
    parts = [
        "Error pattern",
        f"- type: {safe(facts.error_type, 60)}",
        f"- component: {safe(facts.component, 80)}",
        f"- template: {template}",
        f"- occurrences: {_bucket(facts.occurrences)}; first seen {when(facts.first_seen)}; "
        f"last seen {when(facts.last_seen)}",
        "",
        "Sample log lines (most recent first)",
        *sample_blocks,
        "",
        f"Metrics of {safe(facts.component, 80)} around the last occurrence "
        f"(2 hours) vs. the {BASELINE_DAYS} days before",
        *(metrics or ["- no metrics recorded for this component"]),
        "",
        "Fix history (most recent first)",
        *(fix_lines or ["- no fixes recorded yet"]),
    ]
    # a second pass over the assembled text: a safety net that costs little (it is idempotent)
    red = redactor.redact("\n".join(parts))
    counts.update(red.counts)
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": red.text}]
    return RcaInput(facts, messages, dict(counts), template, "\n".join(sample_lines))
