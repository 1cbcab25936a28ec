"""Pattern learning in the store: error events become patterns; fixes, outcomes and confidence.

Owns the write side of ``error_patterns``, ``pattern_components``, ``pattern_samples``,
``pattern_versions``, ``fix_history`` and ``fingerprint_map`` (schemas in migrations 001 and 010):

* :func:`learn_from_events` turns error_events rows that were not learned yet into patterns (or counts
  them onto existing ones), and fills the rows' ``fingerprint``/``type`` when empty. The demo builder
  and the collector call it; it is idempotent (each event is learned once, marked ``learned``).
* :func:`record_error` records one message (``lokifi error record``) and learns it.
* :func:`record_outcome` records that a fix worked or failed (``lokifi fix record``, the dashboard's
  ``y``/``n``); :func:`edit_solution` makes a new solution version (``e``). Confidence and
  auto-approval are recomputed from the stored outcomes of the current solution version after every
  change (:mod:`analytics.patterns.confidence`), never set by hand.
* :func:`list_patterns`, :func:`get_pattern`, :func:`effectiveness` are what views read. Patterns are
  fleet-wide (one fingerprint, whatever host threw it); with ``host=`` they are narrowed to those with
  stored error events from that host, with that host's count, first/last seen, components and samples
  (``host_*`` fields). Raw events past their retention are pruned, so a host's view covers the events
  still stored.
* :func:`remap_fingerprints` moves patterns learned under older masking rules to the current rules'
  fingerprints, recording old -> new in ``fingerprint_map``.

Every write of one logical change happens in one transaction.

One module: its writes (events into patterns, outcomes and approval, solution versions, remapping) share
one recomputation of confidence and keep each logical change in one transaction, and each answers with
the lookups beside it. The only other writes to these tables are the template merge
(:mod:`analytics.patterns.merge`) and the root-cause analysis's ``ai_enhanced`` mark.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from analytics.patterns import confidence as conf
from analytics.patterns.classify import classify, normalise_type
from analytics.patterns.fingerprint import CURRENT_VERSION, RULESETS, fingerprint, remap
from analytics.patterns.outcomes import (
    MAX_STORED_MESSAGE as MAX_STORED_MESSAGE,  # re-exported: where events are stored, messages are cut
    RECENT_WINDOW,
    PatternNotFound,
    _now,
    edit_solution as _edit_solution,
    record_outcome as _record_outcome,
    safe_text,
    undo_outcome as _undo_outcome,
)
from analytics.patterns.rows import COMPONENTS, PATTERN_COLS as _PATTERN_COLS
from analytics.patterns.templates import mask, template_of
from analytics.store.engine import frame, registered

SAMPLES_PER_PATTERN = 5
#: the sources whose events are raw log lines (their header is stripped when they are templated): the log
#: tail, Loki, backfill, and lines learned with ``lokifi patterns group --raw --learn``
RAW_SOURCES = ("tail", "loki", "backfill", "patterns group --raw")


# -- learning from events -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LearnResult:
    """What one learning pass did. ``new_patterns`` and ``updated_patterns`` count the stored patterns the
    lines belong to once templates that vary at a position are merged (what ``lokifi patterns list``
    shows), not the templates seen before merging."""

    events: int
    new_patterns: int
    updated_patterns: int
    fingerprints: tuple[str, ...] = ()


_OLDER_RULES = f"SELECT count(*) FROM error_patterns WHERE coalesce(rules_version, 1) < {CURRENT_VERSION}"


def learn_from_events(store, since: dt.datetime | None = None, batch: int = 200_000) -> LearnResult:
    """Learn every error_events row not learned yet (optionally only rows with ``ts >= since``).

    Patterns learned under older masking rules are first moved to the current rules' fingerprints
    (:func:`remap_fingerprints`), so new events count onto the patterns that hold the learned fixes.
    """
    events = 0
    fps: list[str] = []
    stored: set[str] | None = None
    check_rules = True
    while True:
        # one session per batch; the first also reads what is stored (each session opens the file: ~15 ms)
        with store.write() as con:
            if check_rules and con.execute(_OLDER_RULES).fetchone()[0]:
                r = None
            else:
                if stored is None:
                    stored = {h for (h,) in con.execute("SELECT error_hash FROM error_patterns").fetchall()}
                r = _learn_batch(con, since, batch)
        check_rules = False
        if r is None:
            remap_fingerprints(store)
            continue
        events += r.events
        fps.extend(r.fingerprints)
        if r.events < batch:
            break
    stored = stored or set()  # (always read by then: the last round learned a batch)
    if any(f not in stored for f in fps):
        # a new template may show that stored ones vary at a position: merge them (ids of triaged ones kept)
        from analytics.patterns.merge import consolidate

        moved = consolidate(store)
        fps = [moved.get(f, f) for f in fps]
    final = tuple(dict.fromkeys(fps))
    new = sum(f not in stored for f in final)  # a line merged into a pattern stored before updated it
    return LearnResult(events, new, len(final) - new, final)


def _learn_batch(con, since, batch) -> LearnResult:
    """Learn up to ``batch`` unlearned events in the write session ``con``."""
    where = "NOT coalesce(learned, false)"
    params: list = []
    if since is not None:
        where += " AND ts >= ?"
        params.append(_now(since))
    ev = frame(
        con,
        f"SELECT rowid AS rid, ts, host, component, message, fingerprint, type, source, context FROM error_events "
        f"WHERE {where} ORDER BY ts LIMIT {int(batch)}",
        params or None,
    )
    if ev.height == 0:
        return LearnResult(0, 0, 0)
    ev = ev.with_columns(pl.col("message").fill_null(""), pl.col("component").fill_null("unknown"))
    # Lines read from log files (tailed or backfilled) and Loki are raw lines: their header (time, level,
    # [component], pid) is stripped first, exactly as `lokifi patterns scan` does, so all give a line
    # the same pattern. (Each kind masked once: a mask costs ~25 ms even for one line.)
    src = ev["source"].fill_null("")
    raw = pl.select(pl.any_horizontal(src.str.starts_with(p) for p in RAW_SOURCES)).to_series()
    if raw.all():
        templates = mask(ev["message"], raw=True)
    elif raw.any():
        templates = mask(ev["message"]).scatter(raw.arg_true(), mask(ev.filter(raw)["message"], raw=True))
    else:
        templates = mask(ev["message"])
    distinct = templates.unique()
    fp_of = {t: fingerprint(t) for t in distinct.to_list()}
    ev = ev.with_columns(templates.alias("template"))
    ev = ev.with_columns(
        pl.col("fingerprint").fill_null(pl.col("template").replace_strict(fp_of, return_dtype=pl.String)).alias("fp")
    )
    from analytics.patterns.merge import follow

    moved = follow(con, ev["fp"].unique().to_list())  # fingerprints merged into a more general pattern
    if moved:
        ev = ev.with_columns(pl.col("fp").replace(moved))
    # one type per pattern: an existing pattern keeps its type; a new one is classified from its first message
    known = frame(
        con,
        "SELECT error_hash, error_type FROM error_patterns WHERE error_hash IN (SELECT unnest(?))",
        [ev["fp"].unique().to_list()],
    )
    known_type = dict(zip(known["error_hash"].to_list(), known["error_type"].to_list(), strict=True))
    firsts = ev.group_by("fp", maintain_order=True).agg(pl.col("message").first(), pl.col("type").drop_nulls().first())
    type_of = {}
    for fp, msg, given in firsts.iter_rows():
        type_of[fp] = known_type.get(fp) or (normalise_type(given) if given else classify(msg))
    ev = ev.with_columns(pl.col("fp").replace_strict(type_of, return_dtype=pl.String).alias("ptype"))

    agg = (
        ev.group_by("fp")
        .agg(
            pl.len().alias("n"),
            pl.col("ts").min().alias("first"),
            pl.col("ts").max().alias("last"),
            pl.col("template").first(),
            pl.col("ptype").first(),
            pl.col("message").sort_by("ts").last().alias("message"),
            pl.col("component").sort_by("ts").first().alias("component"),
        )
        .with_columns(pl.col("message").map_elements(safe_text, return_dtype=pl.String))
    )
    with registered(con, "_lk_agg", agg.to_arrow()):
        new = con.execute(
            "SELECT count(*) FROM _lk_agg a WHERE NOT EXISTS (SELECT 1 FROM error_patterns p WHERE p.error_hash = a.fp)"
        ).fetchone()[0]
        con.execute(f"""
            INSERT INTO error_patterns (error_hash, error_type, error_message, template, component,
                occurrence_count, first_seen, last_seen, confidence_score, rules_version)
            SELECT fp, ptype, message, template, component, n, "first", "last", 0.5, {CURRENT_VERSION} FROM _lk_agg
            ON CONFLICT (error_hash) DO UPDATE SET
                occurrence_count = coalesce(error_patterns.occurrence_count, 0) + excluded.occurrence_count,
                first_seen = least(coalesce(error_patterns.first_seen, excluded.first_seen), excluded.first_seen),
                last_seen = greatest(coalesce(error_patterns.last_seen, excluded.last_seen), excluded.last_seen),
                error_message = excluded.error_message
        """)

    comps = ev.group_by("fp", "component").agg(
        pl.len().alias("n"), pl.col("ts").min().alias("first"), pl.col("ts").max().alias("last")
    )
    with registered(con, "_lk_comp", comps.to_arrow()):
        con.execute("""
            INSERT INTO pattern_components (error_hash, component, count, first_seen, last_seen)
            SELECT fp, component, n, "first", "last" FROM _lk_comp
            ON CONFLICT (error_hash, component) DO UPDATE SET
                count = pattern_components.count + excluded.count,
                first_seen = least(pattern_components.first_seen, excluded.first_seen),
                last_seen = greatest(pattern_components.last_seen, excluded.last_seen)
        """)

    samples = (
        ev.sort("ts", descending=True)
        .unique(subset=["fp", "message"], keep="first", maintain_order=True)
        .group_by("fp", maintain_order=True)
        .head(SAMPLES_PER_PATTERN)
        .select("fp", "message", "component", "ts", "context")
        .with_columns(pl.col("message").map_elements(safe_text, return_dtype=pl.String))
    )
    with registered(con, "_lk_samp", samples.to_arrow()):
        con.execute("""
            INSERT INTO pattern_samples (error_hash, message, component, seen_at, context)
            SELECT s.fp, s.message, s.component, s.ts, s.context FROM _lk_samp s
            WHERE NOT EXISTS (SELECT 1 FROM pattern_samples p WHERE p.error_hash = s.fp AND p.message = s.message)
        """)
        con.execute(f"""
            DELETE FROM pattern_samples WHERE rowid IN (
                SELECT rid FROM (SELECT rowid AS rid, row_number() OVER (PARTITION BY error_hash
                    ORDER BY seen_at DESC NULLS LAST) AS k FROM pattern_samples
                    WHERE error_hash IN (SELECT fp FROM _lk_samp)) WHERE k > {SAMPLES_PER_PATTERN})
        """)

    marks = ev.select("rid", "fp", "ptype")
    with registered(con, "_lk_marks", marks.to_arrow()):
        con.execute("""
            UPDATE error_events SET fingerprint = coalesce(error_events.fingerprint, m.fp),
                type = coalesce(error_events.type, m.ptype), learned = true
            FROM _lk_marks m WHERE error_events.rowid = m.rid
        """)
    fps = tuple(agg["fp"].to_list())
    return LearnResult(ev.height, int(new), agg.height - int(new), fps)


def record_error(
    store,
    message: object,
    component: str = "unknown",
    host: str | None = None,
    ts: dt.datetime | None = None,
    level: str | None = "ERROR",
    source: str = "manual",
) -> dict:
    """Record one error message as an event, learn it, and return its pattern."""
    from analytics.config.machine import this_host

    text = safe_text(message)
    row = pl.DataFrame(
        {
            "ts": [_now(ts)],
            "host": [host or this_host()],
            "component": [safe_text(component, 200) or "unknown"],
            "message": [text],
            "source": [source],
            "level": [level],
        }
    )
    tmpl = template_of(text)
    local: dict[str, Any] = {
        "error_hash": fingerprint(tmpl),
        "template": tmpl,
        "error_type": classify(text),
        "error_message": text,
        "occurrence_count": None,
    }
    if not store.submit("append", row, table="error_events"):
        # The database is busy: the event is queued durably (the spool) and learned when it is written.
        return {**local, "spooled": True}
    from analytics.store.database import StoreBusy

    try:
        learn_from_events(store)
        return get_pattern(store, local["error_hash"])
    except StoreBusy:
        return {**local, "spooled": False, "learned": False}


# -- lookups ------------------------------------------------------------------------------------------


def resolve(store, ref: str) -> str:
    """Fingerprint of the pattern ``ref`` names: a full or prefix fingerprint (>= 6 hex digits), a
    fingerprint learned under older rules, or an error message (its template's fingerprint)."""
    r = (ref or "").strip()
    if not r:
        raise PatternNotFound("empty pattern reference")
    low = r.lower()
    if 6 <= len(low) <= 64 and all(c in "0123456789abcdef" for c in low):
        hits = store.query("SELECT error_hash FROM error_patterns WHERE error_hash LIKE ? || '%' LIMIT 3", [low])
        if hits.height == 1:
            return hits["error_hash"][0]
        if hits.height > 1:
            raise PatternNotFound(f"pattern id {r!r} is ambiguous: it starts {hits.height}+ patterns; give more digits")
        old = store.query(
            "SELECT new_hash FROM fingerprint_map WHERE old_hash LIKE ? || '%' ORDER BY rules_version DESC LIMIT 1",
            [low],
        )
        if old.height:
            return old["new_hash"][0]
    fp = fingerprint(template_of(r))
    hit = store.query("SELECT error_hash FROM error_patterns WHERE error_hash = ?", [fp])
    if hit.height:
        return fp
    merged = store.query(
        "SELECT new_hash FROM fingerprint_map WHERE old_hash = ? ORDER BY mapped_at DESC LIMIT 1", [fp]
    )
    if merged.height:
        return merged["new_hash"][0]
    if len(low) < 6 and all(c in "0123456789abcdef" for c in low):
        raise PatternNotFound(
            f"{r!r} is too short for a pattern id: give at least 6 of its hex digits "
            "(the ids are in `lokifi patterns list`)"
        )
    raise PatternNotFound(
        f"no learned pattern matches {r[:80]!r} (give a pattern id from "
        "`lokifi patterns list`/`lokifi ai autofix`, or an error message that was recorded)"
    )


def _with_confidence(df: pl.DataFrame) -> pl.DataFrame:
    if df.height == 0:
        return df.with_columns(
            pl.lit(None, pl.Float64).alias("confidence_lo"),
            pl.lit(None, pl.Float64).alias("confidence_hi"),
            pl.lit(None, pl.String).alias("confidence_level"),
        )
    rows = [
        conf.assess(s or 0, f or 0)
        for s, f in zip(df["success_count"].to_list(), df["failure_count"].to_list(), strict=True)
    ]
    return df.with_columns(
        pl.Series("confidence_score", [c.confidence for c in rows], dtype=pl.Float64),
        pl.Series("confidence_lo", [c.lo for c in rows], dtype=pl.Float64),
        pl.Series("confidence_hi", [c.hi for c in rows], dtype=pl.Float64),
        pl.Series("confidence_level", [c.level for c in rows], dtype=pl.String),
    )


# One host's share of each pattern: its stored events, grouped by fingerprint.
_HOST_EVENTS = """(SELECT fingerprint, host, count(*) AS host_count, min(ts) AS host_first_seen,
    max(ts) AS host_last_seen, string_agg(DISTINCT component, ',' ORDER BY component) AS host_components
    FROM error_events WHERE host = ? AND fingerprint IS NOT NULL GROUP BY fingerprint, host)"""


def list_patterns(
    store,
    limit: int | None = None,
    order: str = "last_seen",
    error_type: str | None = None,
    host: str | None = None,
    muted_at: dt.datetime | None = None,
) -> pl.DataFrame:
    """Patterns with their confidence interval (``confidence_lo``/``confidence_hi``) and components.

    ``host``: only patterns with stored events from that host, with ``host``, ``host_count``,
    ``host_first_seen``, ``host_last_seen`` and ``host_components`` (its share), sorted by them.
    ``muted_at``: only patterns muted (on any host) at that time (naive UTC)."""
    orders = {
        "last_seen": "p.last_seen DESC NULLS LAST",
        "count": "p.occurrence_count DESC",
        "confidence": "p.confidence_score DESC",
        "first_seen": "p.first_seen",
    }
    sql = f"SELECT {_PATTERN_COLS}, {COMPONENTS}"
    params: list = []
    if host is not None:
        orders.update(last_seen="h.host_last_seen DESC", count="h.host_count DESC", first_seen="h.host_first_seen")
        sql += (
            ", h.host, h.host_count, h.host_first_seen, h.host_last_seen, h.host_components FROM error_patterns p "
            f"JOIN {_HOST_EVENTS} h ON h.fingerprint = p.error_hash"
        )
        params.append(host)
    else:
        sql += " FROM error_patterns p"
    where = []
    if error_type:
        where.append("p.error_type = ?")
        params.append(normalise_type(error_type))
    if muted_at is not None:
        from analytics.patterns.mutes import MUTED_PATTERNS

        where.append(f"p.error_hash IN ({MUTED_PATTERNS})")
        params.append(muted_at)
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {orders.get(order, orders['last_seen'])}, p.error_hash"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return _with_confidence(store.query(sql, params))


def get_pattern(store, ref: str, host: str | None = None) -> dict:
    """One pattern as a dict, with confidence, components, samples, versions and recent fixes.

    ``host``: that host's share too (``host``, ``host_count``, ``host_first_seen``, ``host_last_seen``,
    ``host_components`` and ``host_samples``, its latest distinct messages); :class:`PatternNotFound`
    when the pattern has no stored events from it (the message names the hosts that have)."""
    fp = resolve(store, ref)
    share: dict = {}
    if host is not None:
        share = _host_share(store, fp, host)
    with store.read() as con:
        p = frame(con, f"SELECT {_PATTERN_COLS} FROM error_patterns p WHERE error_hash = ?", [fp])
        comps = frame(
            con,
            "SELECT component, count, first_seen, last_seen FROM pattern_components "
            "WHERE error_hash = ? ORDER BY count DESC",
            [fp],
        )
        samples = frame(
            con,
            "SELECT message, component, seen_at, context FROM pattern_samples WHERE error_hash = ? "
            "ORDER BY seen_at DESC NULLS LAST",
            [fp],
        )
        versions = frame(
            con,
            "SELECT version, solution, source, author, created_at FROM pattern_versions "
            "WHERE error_hash = ? ORDER BY version",
            [fp],
        )
        fixes = frame(
            con,
            "SELECT fix_applied, success, execution_time_ms, applied_at, solution_version, note "
            "FROM fix_history WHERE error_hash = ? ORDER BY applied_at DESC, id DESC LIMIT 50",
            [fp],
        )
    row = _with_confidence(p).to_dicts()[0]
    row["components"] = comps.to_dicts()
    row["samples"] = samples.to_dicts()
    row["versions"] = versions.to_dicts()
    row["fixes"] = fixes.to_dicts()
    row.update(share)
    return row


def _host_share(store, fp: str, host: str) -> dict:
    with store.read() as con:
        share = frame(con, f"SELECT * EXCLUDE (fingerprint) FROM {_HOST_EVENTS} WHERE fingerprint = ?", [host, fp])
        if share.height == 0:
            seen = [
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT host FROM error_events WHERE fingerprint = ? ORDER BY host", [fp]
                ).fetchall()
            ]
            raise PatternNotFound(
                f"pattern {fp[:12]} has no stored events from host {host!r}"
                + (
                    f" (stored events of it come from: {', '.join(seen[:20])})"
                    if seen
                    else " (no host's events of it are stored any more)"
                )
            )
        samples = frame(
            con,
            "SELECT message, component, max(ts) AS seen_at, arg_max(context, ts) AS context FROM error_events "
            "WHERE host = ? AND fingerprint = ? "
            f"GROUP BY message, component ORDER BY seen_at DESC LIMIT {SAMPLES_PER_PATTERN}",
            [host, fp],
        )
    out = share.to_dicts()[0]
    out["host_samples"] = samples.to_dicts()
    return out


# -- solutions and outcomes ---------------------------------------------------------------------------


def edit_solution(store, ref: str, solution: str, **options: Any) -> int:
    """:func:`analytics.patterns.outcomes.edit_solution` (same ``options``: author, source, now,
    diagnosis_id) of the pattern ``ref`` names (an id prefix, a fingerprint or a message). Returns the new
    version number."""
    return _edit_solution(store, resolve(store, ref), solution, **options)


def record_outcome(store, ref: str, worked: bool, **options: Any) -> dict:
    """:func:`analytics.patterns.outcomes.record_outcome` (same ``options``: solution, execution_time_ms,
    note, now, min_confidence, min_samples, approver) of the pattern ``ref`` names; returns the pattern as
    :func:`get_pattern` gives it, with ``id``/``fix_id`` the recorded outcome's."""
    fp = resolve(store, ref)
    fix_id = _record_outcome(store, fp, worked, **options)
    out = get_pattern(store, fp)
    out["fix_id"] = out["id"] = fix_id  # "id": the recorded outcome, what an undo needs
    return out


def undo_outcome(
    store, ref: str, fix_id: int | None = None, min_confidence: float | None = None, min_samples: int | None = None
) -> dict:
    """Remove a recorded outcome of the pattern ``ref`` names; returns the pattern as it is now."""
    fp = resolve(store, ref)
    _undo_outcome(store, fp, fix_id, min_confidence, min_samples)
    return get_pattern(store, fp)


def effectiveness(store, ref: str, window: int = RECENT_WINDOW) -> dict:
    """Effectiveness over time: outcomes in order with the rolling success rate over ``window``."""
    fp = resolve(store, ref)
    df = store.query(
        "SELECT applied_at, success, coalesce(solution_version, 1) AS solution_version, execution_time_ms "
        "FROM fix_history WHERE error_hash = ? ORDER BY applied_at, id",
        [fp],
    )
    if df.height:
        df = df.with_columns(
            pl.col("success")
            .cast(pl.Float64)
            .rolling_mean(window_size=window, min_samples=1)
            .alias("rolling_success_rate")
        )
    recent = df.tail(window)
    return {
        "error_hash": fp,
        "outcomes": df,
        "recent_successes": int(recent["success"].sum()) if recent.height else 0,
        "recent_failures": int((~recent["success"]).sum()) if recent.height else 0,
        "rolling_success_rate": float(recent["success"].cast(pl.Float64).mean()) if recent.height else None,
        "mean_execution_ms": (
            float(df["execution_time_ms"].mean())
            if df.height and df["execution_time_ms"].null_count() < df.height
            else None
        ),
    }


# -- suggestions ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    message: str
    template: str
    error_hash: str
    error_type: str
    known: bool  # the pattern is in the store
    source: str  # learned | playbook
    steps: tuple[str, ...]
    confidence: conf.Confidence
    auto_approved: bool
    threshold: float
    occurrences: int

    def as_dict(self) -> dict[str, Any]:
        """The suggestion as ``--json`` prints it (``fix suggest``, ``ai autofix``)."""
        c = self.confidence
        return {
            "pattern": self.error_hash[:12],
            "error_hash": self.error_hash,
            "type": self.error_type,
            "known": self.known,
            "source": self.source,
            "steps": list(self.steps),
            "confidence": c.confidence,
            "confidence_lo": c.lo,
            "confidence_hi": c.hi,
            "successes": c.successes,
            "failures": c.failures,
            "auto_approved": self.auto_approved,
            "threshold": self.threshold,
            "template": self.template,
            "occurrences": self.occurrences,
            "message": self.message,
        }


def suggest(store, message: str, threshold: float = 0.7) -> Suggestion:
    """The fix to suggest for a message: the learned solution when its confidence exceeds ``threshold``
    (the seed's 0.5 / 0.7 / 0.9), otherwise the built-in playbook for the error type."""
    from analytics.patterns.playbooks import playbook_for

    text = safe_text(message)
    tmpl = template_of(text)
    fp = fingerprint(tmpl)
    row = None
    if store is not None:
        try:
            hit = store.query(
                f"SELECT {_PATTERN_COLS} FROM error_patterns p WHERE error_hash = ? OR error_hash = "
                "(SELECT new_hash FROM fingerprint_map WHERE old_hash = ? LIMIT 1)",
                [fp, fp],
            )
            row = hit.to_dicts()[0] if hit.height else None
        except Exception:  # noqa: BLE001 - a store problem must not stop a suggestion from the playbook
            row = None
    etype = (row or {}).get("error_type") or classify(text)
    c = conf.assess((row or {}).get("success_count") or 0, (row or {}).get("failure_count") or 0)
    solution = (row or {}).get("solution")
    if row and solution and c.outcomes > 0 and c.confidence > threshold:
        steps = tuple(s for s in solution.splitlines() if s.strip()) or (solution,)
        src = "learned"
    else:
        steps = playbook_for(etype).steps
        src = "playbook"
    return Suggestion(
        text,
        tmpl,
        (row or {}).get("error_hash") or fp,
        etype,
        row is not None,
        src,
        steps,
        c,
        bool((row or {}).get("auto_approved")),
        threshold,
        int((row or {}).get("occurrence_count") or 0),
    )


# -- rules versions -------------------------------------------------------------------------------------


def _retemplate(pairs: list[tuple[str, str]], version: dict[str, int]) -> list[str]:
    """Each (old fingerprint, sample message) pair's template under the current rules. A sample read as
    a message (recorded by hand, or a fix suggestion) reproduces its old fingerprint under its old rules;
    one that does not was a raw log line (tailed, backfilled, from Loki), whose header is stripped first,
    as the learning pass does. Masked in batches (one per rules version), not one sample at a time."""
    msgs = [m for _, m in pairs]
    old = [""] * len(pairs)
    for v in {version.get(h, 1) for h, _ in pairs}:
        rows = [i for i, (h, _) in enumerate(pairs) if version.get(h, 1) == v]
        for i, t in zip(rows, mask([msgs[i] for i in rows], RULESETS.get(v, RULESETS[1])).to_list(), strict=True):
            old[i] = t
    as_message = mask(msgs).to_list()
    raw = [i for i, (h, _) in enumerate(pairs) if fingerprint(old[i]) != h]
    if raw:
        for i, t in zip(raw, mask([msgs[i] for i in raw], raw=True).to_list(), strict=True):
            as_message[i] = t
    return as_message


def remap_fingerprints(store) -> dict[str, str]:
    """Move patterns learned under older masking rules to the current rules' fingerprints.

    Each old pattern's stored samples (else its representative message) are templated with the current
    rules; the old fingerprint maps to the new one most samples fall into. Solutions, versions and fix
    history follow the pattern; ``fingerprint_map`` keeps old -> new so old ids still resolve.
    """
    old = store.query(
        "SELECT error_hash, error_message, coalesce(rules_version, 1) AS v FROM error_patterns "
        f"WHERE coalesce(rules_version, 1) < {CURRENT_VERSION}"
    )
    if old.height == 0:
        return {}
    samples = store.query(
        "SELECT error_hash, message FROM pattern_samples WHERE error_hash IN (SELECT unnest(?))",
        [old["error_hash"].to_list()],
    )
    pairs = list(zip(samples["error_hash"].to_list(), samples["message"].to_list(), strict=True))
    have = {h for h, _ in pairs}
    pairs += [
        (h, m)
        for h, m in zip(old["error_hash"].to_list(), old["error_message"].to_list(), strict=True)
        if h not in have
    ]
    pairs = [(h, m or "") for h, m in pairs]
    version = dict(zip(old["error_hash"].to_list(), old["v"].to_list(), strict=True))
    templates = _retemplate(pairs, version)
    mapping = remap([(h, t) for (h, _m), t in zip(pairs, templates, strict=True)], lambda t: t)
    template_of_fp = {fingerprint(t): t for t in templates}
    with store.write() as con:
        for o, n in mapping.items():
            con.execute(
                "INSERT INTO fingerprint_map (old_hash, new_hash, rules_version) VALUES (?, ?, ?)",
                [o, n, CURRENT_VERSION],
            )
            if o == n:
                con.execute(f"UPDATE error_patterns SET rules_version = {CURRENT_VERSION} WHERE error_hash = ?", [o])
                continue
            exists = con.execute("SELECT count(*) FROM error_patterns WHERE error_hash = ?", [n]).fetchone()[0]
            if exists:
                # merge counts into the existing pattern; keep the old one's solution if the new has none
                con.execute(
                    """UPDATE error_patterns AS p SET
                        occurrence_count = p.occurrence_count + o.occurrence_count,
                        first_seen = least(p.first_seen, o.first_seen), last_seen = greatest(p.last_seen, o.last_seen),
                        solution = coalesce(p.solution, o.solution)
                    FROM error_patterns o WHERE p.error_hash = ? AND o.error_hash = ?""",
                    [n, o],
                )
                con.execute("DELETE FROM error_patterns WHERE error_hash = ?", [o])
            else:
                con.execute(
                    f"UPDATE error_patterns SET error_hash = ?, rules_version = {CURRENT_VERSION}, "
                    "template = ? WHERE error_hash = ?",
                    [n, template_of_fp[n], o],
                )
            for table in ("fix_history", "pattern_versions", "pattern_samples", "error_events"):
                col = "fingerprint" if table == "error_events" else "error_hash"
                con.execute(f"UPDATE {table} SET {col} = ? WHERE {col} = ?", [n, o])
            con.execute(
                """INSERT INTO pattern_components (error_hash, component, count, first_seen, last_seen)
                SELECT ?, component, count, first_seen, last_seen FROM pattern_components WHERE error_hash = ?
                ON CONFLICT (error_hash, component) DO UPDATE SET count = pattern_components.count + excluded.count""",
                [n, o],
            )
            con.execute("DELETE FROM pattern_components WHERE error_hash = ?", [o])
    return mapping
