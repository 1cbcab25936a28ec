"""Fleet sources: how fast they turn answers into rows, and what an idle poll costs.

* ``fleet: prometheus rows/s`` — :func:`matrix_rows` over a synthetic ``query_range`` answer
  (100 series x 1,000 points, JSON-decoded as the client does);
* ``fleet: loki lines/s`` — a full pull of 20,000 error lines (two hosts) from the Loki stand-in on
  loopback through the real collector into a fresh store (paging at 1,000, dedup keys, one write);
* ``fleet: idle poll CPU`` — CPU time of one poll of a Loki source with nothing new (what a quiet
  fleet costs every ``interval``), and the share of one core at the default 15 s interval.

    python -m bench.run fleet
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the loopback servers live with the tests


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def prometheus_parse() -> dict:
    from analytics.sources.fleet.prometheus import PromQuery, matrix_rows

    t0 = 1_790_000_000
    body = json.dumps(
        {
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [
                    {
                        "metric": {"__name__": "x", "host": f"web-{i % 10}", "route": f"/r{i}"},
                        "values": [[t0 + k * 15, f"{(i * k) % 997 / 7:.3f}"] for k in range(1000)],
                    }
                    for i in range(100)
                ],
            },
        }
    )
    q = PromQuery("x", "api", "lat_{route}")
    t = time.perf_counter()
    rows, _, _ = matrix_rows(json.loads(body), q, "h", "prometheus:bench")
    dt = time.perf_counter() - t
    return {"fleet: prometheus rows/s": (len(rows) / dt, "rows/s")}


def loki_pull() -> dict:
    from fleet_puller import Puller
    from loki_server import LokiServer

    from analytics.store.database import Store

    with tempfile.TemporaryDirectory() as d:
        srv = LokiServer(Path(d)).start()
        try:
            now = time.time_ns() - 30 * 10**9
            for host in ("web-1", "web-2"):
                for start in range(0, 10_000, 2_500):
                    srv.push(
                        [
                            (
                                {"job": "api", "host": host},
                                [
                                    (
                                        now - (start + i) * 1_000_000,
                                        f"ERROR request {start + i} failed: upstream timeout",
                                    )
                                    for i in range(2_500)
                                ],
                            )
                        ]
                    )
            cfg = {
                "name": "logs",
                "type": "loki",
                "url": srv.url,
                "lag": "1s",
                "backfill": "1h",
                "max_rows_per_poll": 100_000,
                "queries": [{"query": '{job="api"} |= "ERROR"', "component": "api"}],
            }
            store = Store(Path(d) / "b.duckdb")
            store.query("SELECT 1")  # migrations outside the timing
            p = Puller(store, cfg)
            t = time.perf_counter()
            c = _cpu()
            p.pull()
            wall, cpu = time.perf_counter() - t, _cpu() - c
            n = store.scalar("SELECT count(*) FROM error_events")
            # idle polls: nothing new
            c = _cpu()
            for _ in range(5):
                p.src.poll(p.col.clock())
            idle = (_cpu() - c) / 5
            p.close()
        finally:
            srv.stop()
    assert n == 20_000, n
    return {
        "fleet: loki lines/s (pull+write)": (n / wall, "lines/s"),
        "fleet: loki CPU per 1k lines": (cpu / n * 1000 * 1000, "ms"),
        "fleet: idle poll CPU": (idle * 1000, "ms"),
        "fleet: idle share of a core @15s": (idle / 15 * 100, "%"),
    }


BENCHMARKS = [
    ("fleet: prometheus parse", prometheus_parse, 3),
    ("fleet: loki pull", loki_pull, 2),
]
