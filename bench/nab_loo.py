"""Anomaly detection that predicts unseen series: leave-one-category-out over the public NAB sample.

    python -m bench.nab_loo ../shared/eval/public/nab

Every series is run through the detector in-process (``analytics.predict.detect.detect``, the code behind
``lokifi anomalies detect``) and scored by the evaluation harness's own scoring (``nab_score.py``,
imported from beside the data; NAB standard profile, 15 % probation). For each held-out NAB category
the three most sensitive settings (``window``, ``short``, ``tail``) are chosen from a grid on the other
categories only (best normalised NAB score there, mean F1 breaking ties) and the held-out category is
scored with them. The report gives, per category, the shipped configuration's in-sample figures and the
held-out ones, then the pooled leave-one-out NAB score (every category's detections scored with the
configuration chosen without it) and mean F1 beside the in-sample ones. The NAB files are read where
they are; nothing of them enters the product.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import sys
from pathlib import Path

from analytics.common.epoch_time import utc_iso
from analytics.common.series_csv import read_series_csv
from analytics.predict.detect import DEFAULT, detect

GRID = {"window": (216, 288, 360), "short": (8, 10, 13), "tail": (1e-5, 1e-4, 1e-3)}


def load(data: Path):
    """(key, nab_score.Series, seconds, values, raw timestamps) per series, once."""
    sys.path.insert(0, str(data.parent.parent))  # nab_score.py sits two levels above public/nab
    import nab_score

    windows = json.loads((data / "combined_windows.json").read_text())
    out = []
    for key in windows:
        path = data / key
        rows = read_series_csv(path.read_bytes(), key)
        secs, vals, raw = rows.axis, rows.values, [utc_iso(t) for t in rows.times]
        out.append((key, nab_score.Series(key, str(path), windows[key], 0.15), secs, vals, raw))
    return nab_score, out


def run(ns, series, cfg) -> dict[str, dict]:
    """Per series key: the harness's metrics for the detector's alarms under ``cfg``."""
    res = {}
    for key, s, secs, vals, raw in series:
        rows = {s.snap(ns.parse_ts(raw[i])) for i in detect(secs, vals, cfg)}
        res[key] = ns.score_series(s, rows, ns.PROFILES["standard"])
    return res


def pooled(metrics: list[dict]) -> tuple[float, float]:
    """(normalised NAB score, mean F1) over the given series' metrics, as nab_score.py reports them."""
    s = sum(m["nab_raw"] for m in metrics)
    null = sum(m["nab_null"] for m in metrics)
    perfect = sum(m["nab_perfect"] for m in metrics)
    nab = 100.0 * (s - null) / (perfect - null) if perfect != null else 0.0
    return nab, sum(m["F1"] for m in metrics) / len(metrics)


def main(argv: list[str]) -> None:
    data = Path(argv[0] if argv else "../shared/eval/public/nab")
    ns, series = load(data)
    cat = {key: key.split("/")[0] for key, *_ in series}
    cats = sorted(set(cat.values()))
    configs = [dict(zip(GRID, v, strict=True)) for v in itertools.product(*GRID.values())]
    shipped = {k: getattr(DEFAULT, k) for k in GRID}
    if shipped not in configs:
        configs.append(shipped)
    table = []
    for i, c in enumerate(configs):
        table.append(run(ns, series, dataclasses.replace(DEFAULT, **c)))
        print(
            f"  config {i + 1}/{len(configs)} {c}: NAB {pooled(list(table[-1].values()))[0]:.1f}",
            file=sys.stderr,
            flush=True,
        )
    ship = table[configs.index(shipped)]
    held: dict[str, dict] = {}
    print(f"{'held-out category':<24} {'chosen on the others':<44} {'in-sample NAB/F1':>17} {'held-out NAB/F1':>16}")
    for c in cats:

        def train_score(j: int, c: str = c) -> tuple[float, float]:
            return pooled([m for k, m in table[j].items() if cat[k] != c])

        best = max(range(len(configs)), key=train_score)
        for k, m in table[best].items():
            if cat[k] == c:
                held[k] = m
        ins = pooled([m for k, m in ship.items() if cat[k] == c])
        out = pooled([m for k, m in held.items() if cat[k] == c])
        chosen = ", ".join(f"{k}={v:g}" for k, v in configs[best].items())
        print(f"{c:<24} {chosen:<44} {ins[0]:>9.1f} {ins[1]:.3f} {out[0]:>8.1f} {out[1]:.3f}")
    ins = pooled(list(ship.values()))
    loo = pooled(list(held.values()))
    print(f"in-sample (shipped configuration, all {len(series)} series): NAB {ins[0]:.1f}, mean F1 {ins[1]:.3f}")
    print(
        f"leave-one-category-out (each category scored with settings chosen on the others): "
        f"NAB {loo[0]:.1f}, mean F1 {loo[1]:.3f}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
