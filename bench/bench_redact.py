"""Redaction's cost per line: microseconds for :meth:`analytics.rca.redact.Redactor.redact` on one line, as
a model prompt or an alert sends them (each text redacted whole, the default ``[ai]`` settings).

Three sets of lines:

* ``ordinary``: 5,000 raw log lines from the pattern benchmark's generator (nginx, postgres, redis, java,
  ssh, systemd ... with their headers; seeded), the lines that hold no secret;
* ``secrets``: the 122 lines of the test corpus ``tests/data/secrets_corpus.jsonl``, each holding a secret;
* ``loghub``: the Loghub samples (2,000 lines per system) where the evaluation folder is there
  (``shared/eval/public/loghub`` beside the repository, or ``$LOKIFI_LOGHUB``); left out otherwise.

    python -m bench.run redact
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from bench.bench_patterns import generate

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "secrets_corpus.jsonl"
LOGHUB = Path(os.environ.get("LOKIFI_LOGHUB", ROOT.parent / "shared" / "eval" / "public" / "loghub"))


def _loghub() -> list[str]:
    if not LOGHUB.is_dir():
        return []
    return [line for p in sorted(LOGHUB.glob("*.log")) for line in p.read_text(errors="replace").splitlines()]


def _per_line(lines: list[str]) -> float:
    from analytics.rca.redact import Redactor

    redactor = Redactor.for_config(None)
    redactor.redact("warm up: password=x")  # detect-secrets' plugins load once
    t = time.perf_counter()
    for line in lines:
        redactor.redact(line)
    return (time.perf_counter() - t) / len(lines) * 1e6


def redact_lines() -> dict[str, tuple[float, str]]:
    sets = {
        "redact ordinary lines": generate(5_000, raw=True),
        "redact secrets corpus": [json.loads(x)["line"] for x in CORPUS.read_text().splitlines() if x.strip()],
        "redact loghub samples": _loghub(),
    }
    return {name: (_per_line(lines), "us/line") for name, lines in sets.items() if lines}


BENCHMARKS = [("redact", redact_lines, 3)]
