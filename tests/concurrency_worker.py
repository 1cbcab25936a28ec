"""A process that writes (or reads) the shared database for the concurrency proof.

Usage: python concurrency_worker.py DB ROLE ID SECONDS
  ROLE writer: appends batches of metric rows with unique keys, prints "wrote N" at the end.
  ROLE reader: reads counts in a loop, prints "reads N" at the end.
Any exception is printed to stderr and exits 1 (the test fails on it).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time

import polars as pl

from analytics.store.database import Store
from analytics.store.metrics import append_metrics


def main() -> None:
    db, role, wid, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    store = Store(db)
    deadline = time.monotonic() + seconds
    rng = random.Random(wid)
    if role == "writer":
        seq = 0
        batches = 0
        base = dt.datetime(2026, 1, 1)
        while time.monotonic() < deadline:
            n = rng.randint(1, 200)
            ts = [base + dt.timedelta(seconds=seq + i) for i in range(n)]
            df = pl.DataFrame(
                {
                    "ts": ts,
                    "host": f"writer-{wid}",
                    "component": "c",
                    "metric": "m",
                    "value": [float(seq + i) for i in range(n)],
                }
            )
            append_metrics(store, df)
            seq += n
            batches += 1
            time.sleep(rng.uniform(0.0, 0.05))
        print(f"wrote {seq} in {batches} batches, lock waits {store.lock_waits}", flush=True)
    else:
        reads = 0
        while time.monotonic() < deadline:
            store.query("SELECT host, count(*) FROM metrics GROUP BY host")
            reads += 1
            time.sleep(rng.uniform(0.0, 0.1))
        print(f"reads {reads}, lock waits {store.lock_waits}", flush=True)


if __name__ == "__main__":
    main()
