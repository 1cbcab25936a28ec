"""Cold start of the CLI read commands, each a fresh ``lokifi`` process on the demo store (45 days, six
services): ``status --json``, ``recs list``, ``ai learn``. For scale, in the same run: a bare
``python -c pass`` and ``python -c 'import duckdb'`` (the store's own library, which every one of these
commands needs and which sets the floor).

Figures are the median of 5 runs each (``bench.run`` repeats that); ``cold`` means a new process, with
the operating system's file cache warm, as when a user types the command twice in a row. As for an
installed Lokifi, modules run from their cached bytecode: ``PYTHONDONTWRITEBYTECODE`` is dropped for these
processes and one unmeasured run of each command writes the cache first (compiling the project's modules
from source on every run added 20-30 ms to each command).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import DATA

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {"status --json": ["status", "--json"], "recs list": ["recs", "list"], "ai learn": ["ai", "learn"]}


def _demo() -> tuple[Path, Path]:
    from analytics.demo.data import HOST, build_demo

    db = DATA / "cli_demo.duckdb"
    cfg = DATA / "cli_demo.toml"
    if not _has_rows(db):  # a store left empty by an interrupted or older build would time nothing
        DATA.mkdir(parents=True, exist_ok=True)
        tmp = db.with_name("cli_demo.building.duckdb")
        tmp.unlink(missing_ok=True)
        build_demo(tmp)
        tmp.replace(db)
    # the demo's own host: its recommendations and status rows are that host's, as `lokifi demo` shows them
    cfg.write_text(f'[general]\nhost = "{HOST}"\n')
    return db, cfg


def _has_rows(db: Path) -> bool:
    if not db.exists():
        return False
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return bool(con.execute("SELECT count(*) FROM metrics").fetchall()[0][0])


def _median_run(argv: list[str], n: int = 5) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=ROOT)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=ROOT)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def cold_cli() -> dict[str, tuple[float, str]]:
    db, cfg = _demo()
    py = sys.executable
    out = {
        "python -c pass": (_median_run([py, "-c", "pass"]) * 1000, "ms"),
        "python -c 'import duckdb'": (_median_run([py, "-c", "import duckdb"]) * 1000, "ms"),
    }
    base = [py, "-c", "from lokifi_tui.cli.entry import run; run()", "--db", str(db), "--config", str(cfg)]
    for name, args in COMMANDS.items():
        out[f"cold `lokifi {name}` (demo store)"] = (_median_run(base + args) * 1000, "ms")
    return out


BENCHMARKS = [("cli cold", cold_cli, 1)]
