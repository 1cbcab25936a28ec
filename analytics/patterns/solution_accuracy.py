"""How often each kind of solution works, measured from the recorded outcomes.

A pattern's solution is a numbered version (``pattern_versions``) with a source: the model's candidate
(``ai``, authored by the model's name), a person's (``user``, ``import``, or ``existing`` text stored
before versions were kept) or, at version 0, the built-in playbook people apply while a pattern has no
solution of its own. Every outcome in ``fix_history`` names the version it was recorded against, so:

* **accuracy** per source (and per model): outcomes that worked / all outcomes, with the Wilson 95%
  interval and n; beside it, how many of that source's solutions were ever auto-approved. The model's
  figure is "analysis accuracy" on the user's own incidents, next to the playbooks' and people's.
* **auto-approval rate**: solutions auto-approved at least once / solutions with enough outcomes to be
  judged (the ``[patterns] auto_approve_min_samples``), with the withdrawals (a run of failures took
  the approval away) and week by week, from ``approval_events``.
* **cost per fix that worked**: tokens and money spent on model calls (the ledger, ``ai_calls``) per
  model solution that later worked -- both the diagnoses behind those solutions and all model spend.

Nothing here is a constant: every figure is a count over stored rows, and n is always shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from analytics.patterns.confidence import wilson

#: how sources group: the model's proposals, the built-in playbooks, and everything a person wrote
KINDS = ("model", "playbook", "hand-written")

_KIND_SQL = """CASE WHEN f.version = 0 OR v.source = 'playbook' THEN 'playbook'
                    WHEN v.source = 'ai' THEN 'model' ELSE 'hand-written' END"""


@dataclass(frozen=True)
class SourceAccuracy:
    kind: str  # model | playbook | hand-written
    model: str | None  # the model's name (per-model rows); None for the kind's total
    solutions: int  # solutions of this source with at least one outcome
    proposed: int  # solutions of this source (model: candidates offered; playbook: patterns applying it)
    approved: int  # of them, auto-approved at least once
    worked: int
    failed: int

    @property
    def outcomes(self) -> int:
        return self.worked + self.failed

    @property
    def rate(self) -> float | None:
        return self.worked / self.outcomes if self.outcomes else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.worked, self.failed) if self.outcomes else None

    @property
    def approved_share(self) -> float | None:
        return self.approved / self.proposed if self.proposed else None

    def describe(self) -> str:
        """e.g. '71% worked (n=14, 95% CI 45-88%)', or 'n=0' before any outcome."""
        if not self.outcomes:
            return "n=0"
        lo, hi = self.interval or (0.0, 1.0)
        return f"{self.rate:.0%} worked (n={self.outcomes}, 95% CI {lo:.0%}-{hi:.0%})"

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        lo_hi = self.interval
        d.update(
            outcomes=self.outcomes,
            rate=self.rate,
            approved_share=self.approved_share,
            interval=list(lo_hi) if lo_hi else None,
        )
        return d


@dataclass(frozen=True)
class ApprovalWeek:
    week: dt.date  # Monday of the ISO week (UTC)
    approved: int  # approvals that week
    withdrawn: int  # approvals taken away by outcomes that week
    judged: int  # solutions that reached enough outcomes that week


@dataclass(frozen=True)
class ApprovalRate:
    min_samples: int
    judged: int  # solutions with >= min_samples outcomes
    approved: int  # of them, auto-approved at least once
    approved_now: int  # patterns whose current solution is approved now
    withdrawals: int  # approvals withdrawn by later outcomes (events)
    withdrawn_solutions: int  # distinct solutions that lost their approval at least once
    superseded: int  # approvals ended by a new solution version
    weeks: tuple[ApprovalWeek, ...] = ()

    @property
    def rate(self) -> float | None:
        return self.approved / self.judged if self.judged else None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["rate"] = self.rate
        d["weeks"] = [{**asdict(w), "week": w.week.isoformat()} for w in self.weeks]
        return d


@dataclass(frozen=True)
class FixCost:
    model_solutions_worked: int  # model solutions with at least one outcome that worked
    linked_tokens: int  # tokens of the diagnoses that proposed them
    linked_cost: float | None  # their money (None when none of those calls was priced)
    total_tokens: int  # every model call (cache hits cost nothing)
    total_cost: float | None
    priced_calls: int
    model_calls: int

    @property
    def tokens_per_fix(self) -> float | None:
        return self.total_tokens / self.model_solutions_worked if self.model_solutions_worked else None

    @property
    def cost_per_fix(self) -> float | None:
        if not self.model_solutions_worked or self.total_cost is None:
            return None
        return self.total_cost / self.model_solutions_worked

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(tokens_per_fix=self.tokens_per_fix, cost_per_fix=self.cost_per_fix)
        return d


@dataclass(frozen=True)
class SolutionAccuracy:
    kinds: tuple[SourceAccuracy, ...]  # one per KINDS entry
    models: tuple[SourceAccuracy, ...]  # one per model name
    approval: ApprovalRate
    cost: FixCost

    def kind(self, name: str) -> SourceAccuracy:
        return next(k for k in self.kinds if k.kind == name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kinds": [k.as_dict() for k in self.kinds],
            "models": [m.as_dict() for m in self.models],
            "approval": self.approval.as_dict(),
            "cost": self.cost.as_dict(),
        }


def _min_samples(min_samples: int | None) -> int:
    if min_samples is not None:
        return int(min_samples)
    try:
        from analytics.config.settings import load_config

        return int(load_config().patterns.auto_approve_min_samples)
    except Exception:  # noqa: BLE001 - a broken config must not stop the statistics
        from analytics.config.settings import Patterns

        return int(Patterns().auto_approve_min_samples)


def solution_accuracy(
    store: Any, *, min_samples: int | None = None, weeks: int = 8, now: dt.datetime | None = None
) -> SolutionAccuracy:
    """Every figure in one short read of the store."""
    need = _min_samples(min_samples)
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with store.read() as con:
        # one row per solution (pattern, version) with outcomes, its kind and model
        per_solution = f"""
            WITH f AS (SELECT error_hash, coalesce(solution_version, 1) AS version,
                              count(*) FILTER (WHERE success) AS worked,
                              count(*) FILTER (WHERE NOT success) AS failed
                       FROM fix_history GROUP BY ALL),
                 v AS (SELECT error_hash, version, max(source) AS source, max(author) AS author,
                              max(diagnosis_id) AS diagnosis_id
                       FROM pattern_versions GROUP BY ALL),
                 a AS (SELECT DISTINCT error_hash, version FROM approval_events WHERE event = 'approved')
            SELECT {_KIND_SQL} AS kind,
                   CASE WHEN v.source = 'ai' THEN coalesce(v.author, '?') END AS model,
                   f.error_hash, f.version, f.worked, f.failed, a.error_hash IS NOT NULL AS approved,
                   v.diagnosis_id
            FROM f LEFT JOIN v USING (error_hash, version) LEFT JOIN a USING (error_hash, version)"""
        rows = con.execute(per_solution).fetchall()
        proposed = dict(
            con.execute(
                "SELECT CASE WHEN source = 'ai' THEN 'model' WHEN source = 'playbook' THEN 'playbook' "
                "ELSE 'hand-written' END, count(*) FROM pattern_versions GROUP BY ALL"
            ).fetchall()
        )
        proposed_models = dict(
            con.execute(
                "SELECT coalesce(author, '?'), count(*) FROM pattern_versions WHERE source = 'ai' GROUP BY ALL"
            ).fetchall()
        )
        ev = con.execute(
            "SELECT count(*) FILTER (WHERE event = 'withdrawn'), "
            "count(DISTINCT (error_hash, version)) FILTER (WHERE event = 'withdrawn'), "
            "count(*) FILTER (WHERE event = 'superseded') FROM approval_events"
        ).fetchone()
        approved_now = con.execute("SELECT count(*) FROM error_patterns WHERE auto_approved").fetchone()[0]
        since = (now - dt.timedelta(weeks=weeks)).date()
        week_rows = con.execute(
            "SELECT date_trunc('week', event_at)::DATE AS w, count(*) FILTER (WHERE event = 'approved'), "
            "count(*) FILTER (WHERE event = 'withdrawn') FROM approval_events WHERE event_at >= ? GROUP BY ALL",
            [since],
        ).fetchall()
        judged_rows = con.execute(
            "SELECT date_trunc('week', t_at)::DATE, count(*) FROM ("
            "  SELECT error_hash, coalesce(solution_version, 1) AS version, applied_at AS t_at,"
            "         row_number() OVER (PARTITION BY error_hash, coalesce(solution_version, 1) "
            "ORDER BY applied_at, id) AS k"
            "  FROM fix_history) WHERE k = ? AND t_at >= ? GROUP BY ALL",
            [need, since],
        ).fetchall()
        calls = con.execute(
            "SELECT count(*), count(cost), coalesce(sum(prompt_tokens), 0) + coalesce(sum(completion_tokens), 0), "
            "sum(cost) FROM ai_calls WHERE NOT coalesce(cache_hit, false)"
        ).fetchone()
        worked_diagnoses = sorted({r[7] for r in rows if r[0] == "model" and r[4] > 0 and r[7]})
        linked = (0, None)
        if worked_diagnoses:
            linked = con.execute(
                "SELECT coalesce(sum(prompt_tokens), 0) + coalesce(sum(completion_tokens), 0), sum(cost) "
                "FROM ai_calls WHERE NOT coalesce(cache_hit, false) AND diagnosis_id IN (SELECT unnest(?))",
                [worked_diagnoses],
            ).fetchone()

    def tally(kind: str, sel: list[tuple], model: str | None, prop: int) -> SourceAccuracy:
        return SourceAccuracy(
            kind=kind,
            model=model,
            solutions=len(sel),
            proposed=max(prop, len(sel)),
            approved=sum(1 for r in sel if r[6]),
            worked=sum(int(r[4]) for r in sel),
            failed=sum(int(r[5]) for r in sel),
        )

    kinds = []
    for k in KINDS:
        sel = [r for r in rows if r[0] == k]
        kinds.append(tally(k, sel, None, int(proposed.get(k, 0)) if k != "playbook" else 0))
    models = []
    for name in sorted({r[1] for r in rows if r[0] == "model"} | set(proposed_models)):
        sel = [r for r in rows if r[0] == "model" and r[1] == name]
        models.append(tally("model", sel, name, int(proposed_models.get(name, 0))))

    judged = [r for r in rows if r[4] + r[5] >= need]
    by_week: dict[dt.date, list[int]] = {}
    for w, a, wd in week_rows:
        by_week.setdefault(w, [0, 0, 0])[:2] = [int(a), int(wd)]
    for w, n in judged_rows:
        by_week.setdefault(w, [0, 0, 0])[2] = int(n)
    approval = ApprovalRate(
        min_samples=need,
        judged=len(judged),
        approved=sum(1 for r in judged if r[6]),
        approved_now=int(approved_now),
        withdrawals=int(ev[0]),
        withdrawn_solutions=int(ev[1]),
        superseded=int(ev[2]),
        weeks=tuple(ApprovalWeek(w, *v) for w, v in sorted(by_week.items())),
    )
    n_worked = len({(r[2], r[3]) for r in rows if r[0] == "model" and r[4] > 0})
    cost = FixCost(
        model_solutions_worked=n_worked,
        linked_tokens=int(linked[0] or 0),
        linked_cost=None if linked[1] is None else float(linked[1]),
        total_tokens=int(calls[2] or 0),
        total_cost=None if calls[3] is None else float(calls[3]),
        priced_calls=int(calls[1]),
        model_calls=int(calls[0]),
    )
    return SolutionAccuracy(kinds=tuple(kinds), models=tuple(models), approval=approval, cost=cost)
