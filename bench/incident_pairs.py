"""Incident pairs: is a second incident found after a first, and do clean series stay quiet?

    python -m bench.incident_pairs [--seeds 6] [--first-pair 0]

A generator of our own (nothing here comes from a benchmark): 14 days every 5 minutes of one of four
bases, each with Gaussian noise of sd 1 —

* ``flat``     a constant level;
* ``daily``    a daily sine of amplitude 6 sd;
* ``weekly``   the daily sine plus a weekend dip of 8 sd (Saturday and Sunday);
* ``trending`` the daily sine on a line rising 1 sd a day.

On each base a first incident (a one-row spike, or a level shift of 1-3 h) starts at a random time on
day 7-9, and a second one (spike or shift) 3-72 h later; each is 6-20 noise sd in size and up or down
at random. The second incident counts as found when the detector alarms within 30 minutes of its first
row (its row or the next six). Each pair has a clean twin (same base and noise, no incident): every
alarm on it after NAB's probation (the first 15 % of rows) is a false alarm.

Done when: the second incident is found in >= 90 % of pairs, and <= 1 false alarm per ten clean series.
The detector's settings were looked at on the default pairs (1-96); ``--first-pair 1000`` and ``2000``
draw pairs it was never shown, and are the figures that count.
"""

from __future__ import annotations

import argparse
import itertools
import sys

import numpy as np

from analytics.predict.detect import detect

STEP = 300.0
DAY = 288
N = 14 * DAY
BASES = ("flat", "daily", "weekly", "trending")
KINDS = ("spike", "shift")


def base(kind: str, rng: np.random.Generator) -> np.ndarray:
    i = np.arange(N)
    phase = rng.uniform(0, 2 * np.pi)
    v = np.full(N, 100.0)
    if kind != "flat":
        v += 6.0 * np.sin(2 * np.pi * i / DAY + phase)
    if kind == "weekly":
        v -= 8.0 * ((i // DAY) % 7 >= 5)
    if kind == "trending":
        v += i / DAY
    return v + rng.normal(0.0, 1.0, N)


def incident(v: np.ndarray, start: int, kind: str, rng: np.random.Generator) -> None:
    size = rng.uniform(6.0, 20.0) * rng.choice((-1.0, 1.0))
    if kind == "spike":
        v[start] += size
    else:
        v[start : start + int(rng.integers(12, 37))] += size  # 1-3 h


def pair(b: str, first: str, second: str, seed: int):
    rng = np.random.default_rng(seed)
    clean = base(b, rng)
    v = clean.copy()
    s1 = int(rng.integers(7 * DAY, 9 * DAY))
    s2 = s1 + int(rng.integers(3 * 12, 72 * 12 + 1))
    incident(v, s1, first, rng)
    incident(v, s2, second, rng)
    return v, clean, s2


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=6, help="pairs per base and kind combination")
    ap.add_argument(
        "--first-pair", type=int, default=0, help="number of the first pair drawn (each pair is its own random draw)"
    )
    args = ap.parse_args(argv)
    t = np.arange(N) * STEP + 1.7e9
    probation = int(0.15 * N)
    print(f"{'base':<9} {'found':>9} {'false alarms on clean twins':>28}")
    found_all = n_all = fa_all = clean_all = 0
    seed = args.first_pair
    for b in BASES:
        found = n = fa = 0
        for first, second in itertools.product(KINDS, KINDS):
            for _ in range(args.seeds):
                seed += 1
                v, clean, s2 = pair(b, first, second, seed)
                alarms = detect(t, v)
                found += any(s2 <= a <= s2 + 6 for a in alarms)
                n += 1
                fa += sum(1 for a in detect(t, clean) if a >= probation)
        print(f"{b:<9} {found:>4}/{n:<4} {fa:>10} on {n} series")
        found_all += found
        n_all += n
        fa_all += fa
        clean_all += n
    print(
        f"second incident found within 30 min: {found_all}/{n_all} ({100 * found_all / n_all:.0f} %); "
        f"false alarms: {fa_all} on {clean_all} clean 14-day series ({10 * fa_all / clean_all:.1f} per ten)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
