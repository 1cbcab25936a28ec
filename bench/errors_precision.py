"""Precision of ``patterns scan --errors`` on real lines judged by a person.

    python -m bench.errors_precision [LOGHUB_DIR]

``bench/labels/errors_labelled.tsv`` lists lines the error filter flagged (file, line number, and whether a
person reading it calls it an error). Files under ``loghub/`` are read from the evaluation folder (never
copied here); others are this machine's own logs (skipped where absent). Precision = flagged lines that
are errors / flagged lines; the script also checks that every listed line is still flagged.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from analytics.patterns.severity import error_mask

LABELS = Path(__file__).parent / "labels" / "errors_labelled.tsv"


def main(argv: list[str]) -> None:
    loghub = Path(argv[0] if argv else "../shared/eval/public/loghub")
    rows = [r.split("\t") for r in LABELS.read_text().splitlines() if r and not r.startswith("#")]
    cache: dict[str, list[str] | None] = {}
    tp = fp = missing = unflagged = 0
    for name, line, label in rows:
        if name not in cache:
            p = loghub / name.removeprefix("loghub/") if name.startswith("loghub/") else Path(name)
            cache[name] = p.read_text(errors="replace").splitlines() if p.exists() else None
        lines = cache[name]
        if lines is None or int(line) > len(lines):
            missing += 1
            continue
        if not error_mask(pl.Series([lines[int(line) - 1]]))[0]:
            unflagged += 1
            continue
        tp += label == "1"
        fp += label == "0"
    n = tp + fp
    print(
        f"{n} flagged lines judged ({missing} unavailable here, {unflagged} no longer flagged): precision {tp / n:.3f}"
        if n
        else "no labelled line available"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
