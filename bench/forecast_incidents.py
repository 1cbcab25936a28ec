"""Where NAB's labelled incidents fall around the forecast harness' origins: in the backtest before each
origin, or in the day scored after it.

    python -m bench.forecast_incidents ../shared/eval/public/nab

For every real-data series, the origins ``forecast_score.py`` chooses (24 h horizon, 4 origins; the
harness is imported from beside the data) and, per category, the mean share of rows inside a labelled
anomaly window (``combined_windows.json``) in the 8.5 days before each origin (the span the forecaster's
16 backtest origins, half a day apart, are scored on) and in the horizon after it. A category whose
backtest holds more incidents than its scored days gets bands wider than those days need, and the other
way round. The NAB files are read where they are; nothing of them enters the product.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

BACKTEST_HORIZONS = 8.5  # 16 origins half a horizon apart, each scored on one horizon


def _in_windows(ts: list[dt.datetime], windows: list[list[str]]) -> list[bool]:
    spans = [(dt.datetime.fromisoformat(a[:19]), dt.datetime.fromisoformat(b[:19])) for a, b in windows]
    return [any(a <= t <= b for a, b in spans) for t in ts]


def shares(data: Path, hours: float = 24.0, k: int = 4) -> dict[str, tuple[float, float]]:
    """Per category: (share of backtest rows in a window, share of scored rows in a window)."""
    sys.path.insert(0, str(data.parent.parent))  # forecast_score.py sits two levels above public/nab
    import forecast_score as fs

    windows = json.loads((data / "combined_windows.json").read_text())
    per: dict[str, list[tuple[float, float]]] = {}
    for cat in fs.REAL_CATEGORIES:
        for path in sorted((data / cat).glob("*.csv")):
            s = fs.Series(f"{cat}/{path.name}", str(path))
            h = round(hours * 3600 / s.step)
            inside = _in_windows(s.ts, windows.get(s.key, []))
            for o in fs.choose_origins(s.n, h, k) or []:
                back = inside[max(0, o + 1 - int(BACKTEST_HORIZONS * h)) : o + 1]
                ahead = inside[o + 1 : o + 1 + h]
                per.setdefault(cat, []).append((sum(back) / len(back), sum(ahead) / len(ahead)))
    return {c: (sum(b for b, _ in v) / len(v), sum(a for _, a in v) / len(v)) for c, v in per.items()}


def main(argv: list[str]) -> None:
    data = Path(argv[0] if argv else "../shared/eval/public/nab")
    print(f"{'category':20s} {'backtest':>9s} {'scored':>7s}   (share of rows inside a labelled window)")
    for cat, (back, ahead) in shares(data).items():
        print(f"{cat:20s} {back:9.3f} {ahead:7.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
