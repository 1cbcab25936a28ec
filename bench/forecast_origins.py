"""How the forecast's 80 % coverage per NAB category moves with the days it is scored on.

    python -m bench.forecast_origins ../shared/eval/public/nab [--origins 4,8,16,32] [--draws 4000]

The forecast harness (``forecast_score.py``, imported from beside the data) scores 4 origins per series,
so each category's coverage rests on 12-36 days. This runs the same forecast as ``lokifi forecast
series`` in-process (the harness' origins, history, horizon and scoring; a series whose forecast is a
guess gives no interval and is left out, as the harness leaves it) and prints, per category:

- the coverage at each origin count (more origins: more of the last 40 % of each series is scored);
- at the largest count, the spread of the figure 4 evenly spaced origins would give, over ``--draws``
  placements of the 4-origin grid (a random offset per series), and how often it lands in 0.75-0.85;
- at the largest count, the spread exponent each category's fold chooses from the other four
  (leave one category out, nearest 80 % on average) and the coverage it gives the held-out category.

The NAB files are read where they are; nothing of them enters the product.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

import analytics.forecast.seasonal as seasonal
from analytics.forecast.series_csv import forecast_csv

EXPONENTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # the spread exponents the shipped one was chosen among
BAND = (0.75, 0.85)


def per_origin(data: Path, k: int, hours: float = 24.0) -> dict[str, dict[str, list[float]]]:
    """Per category, per series: the coverage at each of ``k`` harness origins."""
    sys.path.insert(0, str(data.parent.parent))  # forecast_score.py sits two levels above public/nab
    import forecast_score as fs

    out: dict[str, dict[str, list[float]]] = {}
    for cat in fs.REAL_CATEGORIES:
        for path in sorted((data / cat).glob("*.csv")):
            s = fs.Series(f"{cat}/{path.name}", str(path))
            h = round(hours * 3600 / s.step)
            m = round(86400 / s.step)
            covs = []
            for o in fs.choose_origins(s.n, h, k) or []:
                fc = forecast_csv(s.history_text(o), h)
                if not fc.measured:
                    continue
                r = fs.score_origin(s.y[: o + 1], s.y[o + 1 : o + 1 + h], list(fc.mean), list(fc.lo), list(fc.hi), m)
                covs.append(r["coverage"])
            if covs:
                out.setdefault(cat, {})[s.key] = covs
    return out


def category_means(rows: dict[str, dict[str, list[float]]]) -> dict[str, float]:
    return {c: statistics.mean(statistics.mean(v) for v in ser.values()) for c, ser in rows.items()}


def grid_draws(rows: dict[str, dict[str, list[float]]], draws: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Per category, the coverage 4 evenly spaced origins give over ``draws`` random grid offsets (the
    offset drawn per series), read off the dense origins' coverages."""
    rng = np.random.default_rng(seed)
    out = {}
    for c, ser in rows.items():
        arrs = [np.asarray(v) for v in ser.values()]
        vals = np.empty((draws, len(arrs)))
        for j, a in enumerate(arrs):
            gap = len(a) / 4
            idx = (rng.uniform(0, gap, draws)[:, None] + gap * np.arange(4)[None, :]).astype(int)
            vals[:, j] = a[np.minimum(idx, len(a) - 1)].mean(axis=1)
        out[c] = vals.mean(axis=1)
    return out


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.forecast_origins")
    ap.add_argument("data", nargs="?", default="../shared/eval/public/nab", type=Path)
    ap.add_argument("--origins", default="4,8,16,32")
    ap.add_argument("--draws", type=int, default=4000)
    args = ap.parse_args(argv)
    counts = [int(x) for x in args.origins.split(",")]
    dense = None
    print("80 % coverage per category by origins per series (24 h horizon):")
    for k in counts:
        rows = per_origin(args.data, k)
        means = category_means(rows)
        print(f"  {k:3d} origins  " + "  ".join(f"{c[4:]} {v:.3f}" for c, v in means.items()))
        dense = rows
    assert dense is not None
    print(f"\n4 evenly spaced origins drawn from the {counts[-1]} ({args.draws} grid offsets):")
    draws = grid_draws(dense, args.draws)
    inside = np.ones(args.draws, dtype=bool)
    for c, v in draws.items():
        ok = (v >= BAND[0]) & (v <= BAND[1])
        inside &= ok
        lo, hi = np.quantile(v, [0.05, 0.95])
        spread = f"mean {v.mean():.3f}  sd {v.std():.3f}  5-95 % {lo:.3f}-{hi:.3f}"
        print(f"  {c:20s} {spread}  in 0.75-0.85: {ok.mean():.2f}")
    print(f"  all five in 0.75-0.85 at once: {inside.mean():.2f}")
    print(f"\nspread exponent chosen leaving one category out ({counts[-1]} origins):")
    shipped = seasonal.SPREAD_PERSISTENCE
    by_exp = {}
    try:
        for e in EXPONENTS:
            seasonal.SPREAD_PERSISTENCE = e
            by_exp[e] = category_means(per_origin(args.data, counts[-1]))
    finally:
        seasonal.SPREAD_PERSISTENCE = shipped
    for c in by_exp[shipped]:
        pick = min(EXPONENTS, key=lambda e: statistics.mean(abs(v - 0.8) for o, v in by_exp[e].items() if o != c))
        print(f"  {c:20s} picks {pick:<4}  held out {by_exp[pick][c]:.3f}  (in-sample {by_exp[shipped][c]:.3f})")


if __name__ == "__main__":
    main(sys.argv[1:])
