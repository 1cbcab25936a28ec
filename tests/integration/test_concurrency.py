"""The proof that several processes can share one database file: three writers and one reader,
real processes, for LOKIFI_CONCURRENCY_SECONDS (default 60 s): no row lost, no lock error printed."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from repo_paths import ROOT, TESTS

from analytics.store.database import Store

pytestmark = pytest.mark.slow  # measured: 62 s in all

WORKER = TESTS / "concurrency_worker.py"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_three_writers_and_a_reader_lose_nothing(tmp_path):
    seconds = float(os.environ.get("LOKIFI_CONCURRENCY_SECONDS", "60"))
    db = tmp_path / "shared.duckdb"
    Store(db).schema_version()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(db), "writer", str(i), str(seconds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(3)
    ]
    procs.append(
        subprocess.Popen(
            [sys.executable, str(WORKER), str(db), "reader", "9", str(seconds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
    )
    outs = [p.communicate(timeout=seconds + 240) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=False):
        assert p.returncode == 0, f"worker failed:\n{out}\n{err}"
        assert "lock" not in err.lower() and "Could not set lock" not in out, err
    written = {f"writer-{i}": int(re.search(r"wrote (\d+)", outs[i][0]).group(1)) for i in range(3)}
    assert all(n > 0 for n in written.values())
    assert int(re.search(r"reads (\d+)", outs[3][0]).group(1)) > 0
    store = Store(db)
    store.flush_spool()
    counts = dict(store.query("SELECT host, count(*) AS n FROM metrics GROUP BY host").iter_rows())
    assert counts == written
    assert store.spooled() == 0
