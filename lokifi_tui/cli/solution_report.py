"""How the measured solution accuracy is printed: shared by `lokifi ai learn` and `lokifi ai cache stats`."""

from __future__ import annotations

from typing import Any

_LABEL = {"model": "model proposals", "playbook": "built-in playbooks", "hand-written": "hand-written fixes"}


def money(x: float | None, source: str = "", unknown: str = "no priced model call: add prices") -> str:
    """A cost as markup: ``$0.000780`` (with ``(local price)`` when its price came from there); ``None``
    says the price is unknown and where to give it (the table name escaped: Rich took it for a style and
    printed nothing)."""
    if x is None:
        return f"unknown ({unknown} under \\[ai.prices])"
    text = f"${x:.6f}" if x < 0.01 else f"${x:.4f}"
    return text + (f" ({source} price)" if source and source != "cache" else "")


def print_accuracy(console: Any, sa: Any, inert: Any) -> None:
    """Accuracy per source and per model (with n and the 95% interval), then the auto-approval rate."""
    from lokifi_tui.cli.output import fit

    console.print("Solution Accuracy (outcomes recorded against each kind of solution):")
    for k in sa.kinds:
        approved = f"; {k.approved} of {k.proposed} auto-approved" if k.proposed else ""
        console.print(f"   {_LABEL[k.kind]}: {k.describe()}{approved}")
    for m in sa.models:
        console.print(
            f"      model {inert(m.model)}: {m.describe()}; {m.proposed} proposed, {m.approved} auto-approved"
        )
    a = sa.approval
    if a.judged:
        rate = f"{a.rate:.0%} ({a.approved} of {a.judged} solutions with >= {a.min_samples} outcomes)"
    else:
        rate = f"n=0 (no solution has {a.min_samples} outcomes yet)"
    console.print(f"   Auto-approval rate: {rate}")
    console.print(
        fit(
            f"      approved now: {a.approved_now}; withdrawals after failures or an undo: {a.withdrawals}"
            f" (of {a.withdrawn_solutions} solution{'' if a.withdrawn_solutions == 1 else 's'}); "
            f"ended by a new version: {a.superseded}"
        )
    )
    for w in a.weeks[-6:]:
        console.print(
            f"      week of {w.week:%Y-%m-%d}: {w.approved} approved, {w.withdrawn} withdrawn, "
            f"{w.judged} reached {a.min_samples} outcomes"
        )


def print_fix_cost(console: Any, cost: Any) -> None:
    from lokifi_tui.cli.output import fit

    """Tokens and money per model solution that later worked."""
    if not cost.model_solutions_worked:
        console.print(
            fit(
                f"cost per fix that worked: n/a (no model proposal has worked yet; "
                f"{cost.total_tokens:,} tokens over {cost.model_calls} model calls so far)"
            )
        )
        return
    per_tokens = cost.tokens_per_fix or 0.0
    console.print(
        fit(
            f"cost per fix that worked: {per_tokens:,.0f} tokens, {money(cost.cost_per_fix)} "
            f"({cost.model_solutions_worked} model proposals worked; all model calls counted)"
        )
    )
    console.print(f"   the diagnoses behind them: {cost.linked_tokens:,} tokens, {money(cost.linked_cost)}")
