"""Backfill speed: access-log lines imported per second, gzip included (budget: >= 200k lines/s).

8 days of one busy nginx access log (combined format with $request_time, one request every 0.25 s:
~2.76M lines; current, .1, .2.gz .. .7.gz as logrotate leaves them) read into a fresh store with
``analytics.collect.backfill.backfill`` (no engine refresh). The figure is lines / wall-clock seconds of the
whole import, decompression and the database writes included.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from analytics.collect.backfill import backfill
from analytics.sources.tail import LogSpec
from analytics.store.database import Store


def _plant(root: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from planted_host import plant

    plant(root, every_s=0.25)


def bench_access() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _plant(root / "log")
        cfg = SimpleNamespace(host="bench", components=[], watch=SimpleNamespace(log_dirs=()))
        spec = [LogSpec("nginx", str(root / "log" / "nginx" / "access.log"))]
        store = Store(root / "b.duckdb")
        store.schema_version()
        t0 = time.perf_counter()
        rep = backfill(store, cfg, days=None, specs=spec)
        secs = time.perf_counter() - t0
        return {"access-log lines/s (gzip incl.)": (rep.lines / secs, "lines/s"), "lines": (rep.lines, "lines")}


BENCHMARKS = [("backfill access log, 8 days", bench_access, 1)]

if __name__ == "__main__":
    print(bench_access(), dt.datetime.now())
