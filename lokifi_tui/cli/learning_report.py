"""``lokifi ai learn``'s report: learning statistics and how often each kind of fix worked, all counted
from the store. No click here: the command answers through :mod:`lokifi_tui.cli.quick` without loading
the command line."""

from __future__ import annotations


def show_learning(store, config, *, as_json: bool) -> None:
    """Print the report (JSON with ``as_json``) for ``store`` with ``config``'s auto-approval sample size."""
    from analytics.patterns.learning_stats import learning_stats
    from analytics.patterns.solution_accuracy import solution_accuracy
    from lokifi_tui.cli.output import console, fit, inert, print_json
    from lokifi_tui.cli.solution_report import print_accuracy

    need = config.patterns.auto_approve_min_samples
    with store.read():  # one session for both: the second read reuses the open database, not a new one
        st = learning_stats(store, min_samples=need)
        sa = solution_accuracy(store, min_samples=need)
    if as_json:
        print_json({**st.as_dict(), "solution_accuracy": sa.as_dict()})
        return
    console.print("[bold]Machine Learning System[/]\n")
    console.print("Learning Statistics:")
    console.print(f"   Error Patterns Learned: {st.patterns:,}")
    console.print(
        fit(f"   High Confidence Patterns: {st.high_confidence:,}  (confidence >= 70% from recorded outcomes)")
    )
    console.print(f"   Auto-Approved Fixes: {st.auto_approved:,}")
    console.print(fit(f"   Fixes That Worked: {st.successful_fixes:,}  (of {st.fixes_recorded:,} outcomes recorded)"))
    console.print(
        fit(
            f"   Successful Auto-Fixes: {st.auto_fixes_worked:,}  "
            f"(of {st.auto_fixes_recorded:,} outcomes recorded while the fix stood auto-approved)"
        )
    )
    acc = ""
    if st.predictions_scored:
        acc = f", {st.prediction_accuracy:.0%} accurate of {st.predictions_scored:,} scored"
    console.print(f"   Predictions Made: {st.predictions:,}{acc}")
    console.print(f"   Recommendations Applied: {st.recommendations_applied:,}")
    e = st.effectiveness
    colour = {"excellent": "green", "good": "yellow"}.get(st.effectiveness_band, "red")
    shown = f"{e:.1%}" if e is not None else "n/a (no patterns yet)"
    console.print()
    console.print(
        fit(f"[{colour}]Learning Effectiveness: {shown}[/]  (high-confidence / all patterns; {st.effectiveness_band})")
    )
    console.print()
    print_accuracy(console, sa, inert)
