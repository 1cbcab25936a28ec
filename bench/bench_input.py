"""Peak resident memory of ``lokifi`` on hostile and large inputs (not a timing benchmark).

Each figure is one real ``lokifi`` process's peak resident set (``VmHWM``, read by the process itself at
exit, so a parent's size inherited across fork never counts). The budget is 300 MB for any input:

* ``ingest`` of a 3M-row CSV, the same as Parquet and a 1M-row JSONL file, of a CSV whose third line is 1 MB / 10 MB of
  commas, and of 20 MB of NUL bytes (no line end);
* ``config check`` of a 10 MB one-line TOML;
* ``patterns scan`` and ``patterns group --raw`` on a 200 MB log (generated, four line shapes);
* ``patterns group`` reading 200 MB of ``/dev/zero`` through a pipe; ``forecast series`` reading 64 MB of it.

    python -m bench.run input
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import DATA

ROOT = Path(__file__).resolve().parent.parent
BUDGET_MB = 300
# Runs the command line in this process and writes its own peak RSS (kB) to $LOKIFI_HWM_FILE at exit.
_LAUNCH = (
    "import atexit, os, runpy, sys\n"
    "def _hwm():\n"
    "    with open('/proc/self/status') as f:\n"
    "        kb = next(int(l.split()[1]) for l in f if l.startswith('VmHWM:'))\n"
    "    with open(os.environ['LOKIFI_HWM_FILE'], 'w') as f:\n"
    "        f.write(str(kb))\n"
    "atexit.register(_hwm)\n"
    "sys.argv = ['lokifi'] + sys.argv[1:]\n"
    "runpy.run_module('lokifi_tui.cli.main', run_name='__main__')\n"
)


def run_measured(
    *args: str, input: bytes | None = None, timeout: float = 300, env: dict | None = None
) -> tuple[int, str, str, int, float]:
    """(exit code, stdout, stderr, peak RSS in kB, seconds) of one ``lokifi ARGS`` process."""
    with tempfile.NamedTemporaryFile(prefix="lokifi-hwm-", delete=False) as tf:
        hwm = tf.name
    try:
        t0 = time.monotonic()
        p = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {}), "LOKIFI_HWM_FILE": hwm},
            cwd=str(ROOT),
        )

        def feed() -> None:
            try:
                p.stdin.write(input)  # type: ignore[union-attr]
                p.stdin.close()  # type: ignore[union-attr]
            except (BrokenPipeError, OSError):
                pass

        feeder = threading.Thread(target=feed, daemon=True) if input is not None else None
        if feeder:
            feeder.start()
        out, err = p.communicate(timeout=timeout) if input is None else _drain(p, timeout)
        secs = time.monotonic() - t0
        text = Path(hwm).read_text().strip()
        return p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), int(text or 0), secs
    finally:
        os.unlink(hwm)


def _drain(p: subprocess.Popen, timeout: float) -> tuple[bytes, bytes]:
    got: dict[str, bytes] = {}
    ts = [
        threading.Thread(target=lambda k=k, f=f: got.__setitem__(k, f.read()), daemon=True)
        for k, f in (("o", p.stdout), ("e", p.stderr))
    ]
    for t in ts:
        t.start()
    p.wait(timeout)
    for t in ts:
        t.join()
    return got["o"], got["e"]


def write_log(path: Path, size: int) -> Path:
    """A log of ``size`` bytes with four line shapes (log4j, access, gc, sshd) and varying values."""
    r = random.Random(1)
    shapes = [
        "2026-01-0{d} {h:02d}:{m:02d}:{s:02d},{ms:03d} ERROR [worker-{w}] db.pool: "
        "connection to 10.0.{a}.{b}:5432 failed after {ms}ms (attempt {w})",
        "2026-01-0{d} {h:02d}:{m:02d}:{s:02d},{ms:03d} INFO [http-{w}] api.access: "
        "GET /v1/items/{a}{b} 200 {ms}ms user=u{a}",
        "2026-01-0{d} {h:02d}:{m:02d}:{s:02d},{ms:03d} WARN [gc] jvm: pause {ms}ms heap {a}MB/{b}MB",
        "Jan  {d} {h:02d}:{m:02d}:{s:02d} host{w} sshd[{a}{b}]: Failed password for invalid user admin{a} from "
        "192.168.{a}.{b} port {ms} ssh2",
    ]
    written, i = 0, 0
    with open(path, "w") as f:
        while written < size:
            i += 1
            block = "".join(
                r.choice(shapes).format(
                    d=1 + i % 9,
                    h=i % 24,
                    m=i % 60,
                    s=i % 60,
                    ms=r.randrange(1000),
                    w=r.randrange(64),
                    a=r.randrange(256),
                    b=r.randrange(256),
                )
                + "\n"
                for _ in range(1000)
            )
            f.write(block)
            written += len(block)
    return path


def _inputs() -> dict[str, Path]:
    d = DATA / "input"
    d.mkdir(parents=True, exist_ok=True)
    head = "timestamp,component,metric,value\n2026-01-01T00:00:00Z,api,cpu,1\n"
    files = {}
    for mb in (1, 10):
        p = d / f"commas_{mb}mb.csv"
        if not p.exists():
            p.write_text(head + "," * (mb << 20) + "\n2026-01-01T00:00:02Z,api,cpu,3\n")
        files[f"commas_{mb}mb"] = p
    p = d / "nul_20mb.csv"
    if not p.exists():
        p.write_bytes(b"\0" * (20 << 20))
    files["nul"] = p
    p = d / "oneline_10mb.toml"
    if not p.exists():
        p.write_text('x = "' + "a" * (10 << 20) + '"\n')
    files["toml"] = p
    p = d / "log_200mb.log"
    if not p.exists():
        write_log(p, 200 << 20)
    files["log"] = p
    p, pj, pp = d / "metrics_3m.csv", d / "metrics_1m.jsonl", d / "metrics_3m.parquet"
    if not p.exists() or not pj.exists() or not pp.exists():
        import numpy as np
        import polars as pl

        n = 3_000_000
        ts = np.datetime64("2026-01-01T00:00:00") + np.arange(n).astype("timedelta64[s]")
        df = pl.DataFrame(
            {
                "timestamp": ts.astype(str),
                "component": np.array([f"svc-{i:02d}" for i in range(20)])[np.arange(n) % 20],
                "metric": "rt",
                "value": np.random.default_rng(1).random(n),
            }
        )
        df.write_csv(p)
        df.head(1_000_000).write_ndjson(pj)
        df.with_columns(pl.col("timestamp").str.to_datetime()).write_parquet(pp)
    files["csv"], files["jsonl"], files["parquet"] = p, pj, pp
    return files


def bench_peak_rss() -> dict[str, tuple[float, str]]:
    f = _inputs()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "b.duckdb")
        runs = {
            "ingest 3M-row CSV (148 MB)": (["--db", db, "ingest", "--force", str(f["csv"])], None),
            "ingest 1M-row JSONL (98 MB)": (["--db", db, "ingest", "--force", str(f["jsonl"])], None),
            "ingest 3M-row Parquet": (["--db", db, "ingest", "--force", str(f["parquet"])], None),
            "ingest CSV row of 1 MB commas": (["--db", db, "ingest", "--force", str(f["commas_1mb"])], None),
            "ingest CSV row of 10 MB commas": (["--db", db, "ingest", "--force", str(f["commas_10mb"])], None),
            "ingest 20 MB of NUL bytes": (["--db", db, "ingest", str(f["nul"])], None),
            "config check 10 MB one-line TOML": (["--db", db, "--config", str(f["toml"]), "config", "check"], None),
            "patterns scan 200 MB log": (["patterns", "scan", str(f["log"])], None),
            "patterns group --raw 200 MB log": (["patterns", "group", "--raw"], f["log"].read_bytes()),
            "patterns group 200 MB of /dev/zero": (["patterns", "group"], b"\0" * (200 << 20)),
            "forecast series 64 MB of /dev/zero": (["forecast", "series", "--horizon", "2"], b"\0" * (64 << 20)),
        }
        out: dict[str, tuple[float, str]] = {}
        for name, (args, data) in runs.items():
            code, _, err, kb, secs = run_measured(*args, input=data)
            if "Traceback" in err or code not in (0, 3):
                raise RuntimeError(f"{name}: exit {code}: {err[-500:]}")
            out[f"peak RSS: {name}"] = (kb / 1024, "MB")
            out[f"time: {name}"] = (secs, "s")
        return out


BENCHMARKS = [("input peak memory", bench_peak_rss, 1)]

if __name__ == "__main__":
    for k, (v, unit) in bench_peak_rss().items():
        print(f"{k:55} {v:8.1f} {unit}")
