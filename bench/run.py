"""Run every benchmark in bench/ and print one table: figure, median, min, max, unit.

Each ``bench/bench_*.py`` module exposes ``BENCHMARKS = [(name, fn, repeat), ...]`` (repeat optional,
default 3); ``fn()`` returns seconds (a float) or a dict ``{figure: (value, unit)}``.

    python -m bench.run                 # everything
    python -m bench.run store patterns  # only bench_store.py and bench_patterns.py
    python -m bench.run --repeat 1      # override the repeat count
"""

from __future__ import annotations

import argparse
import importlib
import platform
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> str:
    import os

    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = psutil.virtual_memory().total / 2**30
    load = os.getloadavg()[0]
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}, load {load:.1f} at start"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("only", nargs="*", help="module suffixes to run (e.g. store patterns)")
    ap.add_argument("--repeat", type=int, default=None)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(HERE.parent))
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if args.only:
        modules = [m for m in modules if m.removeprefix("bench_") in args.only]
    print(f"machine: {machine()}", flush=True)
    rows = []
    for mod_name in modules:
        mod = importlib.import_module(f"bench.{mod_name}")
        for entry in getattr(mod, "BENCHMARKS", []):
            name, fn = entry[0], entry[1]
            repeat = args.repeat or (entry[2] if len(entry) > 2 else 3)
            samples: dict[str, list[float]] = defaultdict(list)
            units: dict[str, str] = {}
            t = time.perf_counter()
            for _ in range(repeat):
                out = fn()
                if isinstance(out, (int, float)):
                    out = {name: (float(out), "s")}
                for fig, (value, unit) in out.items():
                    samples[fig].append(float(value))
                    units[fig] = unit
            print(f"  ran {mod_name}:{name} x{repeat} in {time.perf_counter() - t:.1f}s", file=sys.stderr, flush=True)
            for fig, vals in samples.items():
                rows.append((fig, statistics.median(vals), min(vals), max(vals), units[fig], len(vals)))
    w = max([len(r[0]) for r in rows] + [6])
    print(f"{'figure':<{w}}  {'median':>12}  {'min':>12}  {'max':>12}  unit      n")
    for fig, med, lo, hi, unit, n in rows:
        print(f"{fig:<{w}}  {med:>12,.2f}  {lo:>12,.2f}  {hi:>12,.2f}  {unit:<8} {n:>2}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
