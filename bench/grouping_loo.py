"""Grouping accuracy that predicts unseen systems: leave-one-system-out over the Loghub-2k sample.

    python -m bench.grouping_loo ../shared/eval/public/loghub

For every held-out system, the grouping's constants (``merge_min_values``, ``merge_context``,
``merge_growth``) are chosen on the other seven systems only (best mean grouping accuracy there), then
the held-out system is scored with them; the report gives that leave-one-out mean beside the in-sample
mean of the shipped configuration, for message content and raw lines, and how far each shipped
constant moves the in-sample figure at +/-25 %. Grouping accuracy (GA): a line counts when the set of
lines grouped with it is exactly the set its label groups (as ``grouping_accuracy.py`` defines it).
Brain (``bench.brain_group``, our implementation of the INFOCOM 2023 method) is measured in the same
run, its one setting (``threshold``) chosen the same way. The Loghub files are read where they are;
nothing of them enters the product.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import sys
from pathlib import Path

from analytics.patterns.fingerprint import CURRENT
from analytics.patterns.templates import group

SYSTEMS = ("Hadoop", "Spark", "OpenStack", "BGL", "Windows", "Linux", "HealthApp", "Apache")
GRID = {"merge_min_values": (2, 3, 4), "merge_context": (2, 3, 4), "merge_growth": (1.5, 2.0, 3.0)}


def ga(pred: list[str], truth: list[str]) -> float:
    members: dict[str, list[int]] = collections.defaultdict(list)
    for i, p in enumerate(pred):
        members[p].append(i)
    truth_size = collections.Counter(truth)
    ok = 0
    for rows in members.values():
        labels = {truth[i] for i in rows}
        if len(labels) == 1 and truth_size[truth[rows[0]]] == len(rows):
            ok += len(rows)
    return ok / len(truth)


def score(data: Path, system: str, raw: bool, rules) -> float:
    path = data / f"{system}.{'log' if raw else 'content'}"
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    truth = (data / f"{system}.labels").read_text().split()
    return ga(group(lines, raw=raw, rules=rules).group_ids(), truth)


def main(argv: list[str]) -> None:
    data = Path(argv[0] if argv else "../shared/eval/public/loghub")
    configs = [dict(zip(GRID, v, strict=True)) for v in itertools.product(*GRID.values())]
    shipped = {k: getattr(CURRENT, k) for k in GRID}
    if shipped not in configs:
        configs.append(shipped)
    for raw in (False, True):
        table = {
            (i, s): score(data, s, raw, dataclasses.replace(CURRENT, **c))
            for i, c in enumerate(configs)
            for s in SYSTEMS
        }
        ship = configs.index(shipped)
        insample = {s: table[(ship, s)] for s in SYSTEMS}
        loo = {}
        for held in SYSTEMS:
            others = [s for s in SYSTEMS if s != held]
            best = max(range(len(configs)), key=lambda i: (sum(table[(i, s)] for s in others), -abs(i - ship)))
            loo[held] = (table[(best, held)], configs[best])
        kind = "raw lines" if raw else "message content"
        print(f"== {kind}")
        for s in SYSTEMS:
            print(
                f"  {s:10s} in-sample {insample[s]:.3f}  leave-one-out {loo[s][0]:.3f}  "
                f"(chosen on the others: {loo[s][1]})"
            )
        print(
            f"  mean in-sample {sum(insample.values()) / 8:.3f}   "
            f"mean leave-one-out {sum(v for v, _ in loo.values()) / 8:.3f}"
        )
        brain_line(data, raw)
        for k, v in shipped.items():
            moved = []
            for f in (0.75, 1.25):
                c = dict(shipped, **{k: type(v)(round(v * f)) if isinstance(v, int) else v * f})
                moved.append(sum(score(data, s, raw, dataclasses.replace(CURRENT, **c)) for s in SYSTEMS) / 8)
            print(f"  {k}={v} at -25%/+25%: {moved[0]:.3f} / {moved[1]:.3f}")


BRAIN_THRESHOLDS = (2, 3, 4, 5, 6, 8)


def brain_line(data: Path, raw: bool) -> None:
    """Brain (bench.brain_group) in the same run: its one setting chosen on the other seven systems."""
    from bench.brain_group import templates

    kind = "log" if raw else "content"
    got = {}
    for s in SYSTEMS:
        lines = (data / f"{s}.{kind}").read_text(encoding="utf-8", errors="replace").splitlines()
        truth = (data / f"{s}.labels").read_text().split()
        for th in BRAIN_THRESHOLDS:
            got[(th, s)] = ga(templates(lines, th), truth)
    best_all = max(BRAIN_THRESHOLDS, key=lambda th: sum(got[(th, s)] for s in SYSTEMS))
    loo = []
    for held in SYSTEMS:
        th = max(BRAIN_THRESHOLDS, key=lambda t: sum(got[(t, s)] for s in SYSTEMS if s != held))
        loo.append(got[(th, held)])
    print(
        f"  Brain (threshold {best_all} best in-sample): mean in-sample "
        f"{sum(got[(best_all, s)] for s in SYSTEMS) / 8:.3f}   mean leave-one-out {sum(loo) / 8:.3f}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
