"""The collector's own CPU: 10 components at a 5 s interval (budget: <= 1% of one core).

Each component has a real process (a sleeping child found by its command line), an HTTP probe to a
real server on loopback, and a log file being written (an INFO line per second, an ERROR line every
ten minutes, and a rotation every minute). The load — server, children, writers — runs in a separate process, so
only the collector's CPU is counted: user + system time of this process (all its threads) over a
measured window after a warm-up, divided by wall time.

Two scenarios: ``quiet`` (everything healthy) and ``one endpoint down`` (one TCP probe refused every
round, so an error event waits every 5 s and the event flush runs every round).

    python -m bench.bench_collect --seconds 120      # one run, prints the figures
    python -m bench.run collect                       # through the bench runner
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

N = 10
MARK = "lokifi-bench-child"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# -- the load (runs in its own process) --------------------------------------------------------------


def run_load(d: Path) -> None:
    import http.server as hs

    class H(hs.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *a):
            pass

    srv = hs.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    # Children that end when this process ends, however it ends.
    child = "import os, time\nparent = os.getppid()\nwhile os.getppid() == parent: time.sleep(1)\n"
    children = [subprocess.Popen([sys.executable, "-c", child, f"{MARK}-{i}"]) for i in range(N)]
    (d / "port").write_text(str(srv.server_address[1]))
    logs = [open(d / f"svc{i}.log", "a") for i in range(N)]  # noqa: SIM115 - kept open and rotated by the loop
    tick = 0
    try:
        while True:
            for i, f in enumerate(logs):
                if (tick + 61 * i) % 600 == 0:  # an error line per service every ten minutes
                    f.write(f"2026-11-21T12:00:00Z ERROR svc{i} request {tick} failed: upstream timed out\n")
                f.write(f"2026-11-21T12:00:00Z INFO svc{i} handled request {tick} in 12ms\n")
                f.flush()
            if tick % 60 == 30:  # rotate one file a minute, by rename
                i = (tick // 60) % N
                logs[i].close()
                p = d / f"svc{i}.log"
                os.replace(p, d / f"svc{i}.log.1")
                logs[i] = open(p, "a")  # noqa: SIM115 - closed at the next rotation or at the end
            tick += 1
            time.sleep(1.0)
    finally:
        for c in children:
            c.kill()


# -- the measurement ------------------------------------------------------------------------------------


def _config(d: Path, port: int, down: bool) -> Path:
    parts = ["[general]\ncollect_seconds = 5\n"]
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    dead.close()
    for i in range(N):
        parts.append(f"""
[[components]]
name = "svc{i}"
cmdline = "{MARK}-{i}"
logs = ["{d / f"svc{i}.log"}"]
  [[components.probes]]
  url = "http://127.0.0.1:{port}/health/{i}"
""")
        if down and i == 0:
            parts.append(f"""  [[components.probes]]
  kind = "tcp"
  host = "127.0.0.1"
  port = {dead_port}
""")
    p = d / "lokifi.toml"
    p.write_text("".join(parts))
    return p


def measure(seconds: float = 120.0, warmup: float = 20.0, down: bool = False) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from analytics.collect.loop import Collector
    from analytics.config.settings import load_config
    from analytics.store.database import Store

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        load = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_collect", "--load", str(d)],
            cwd=str(Path(__file__).resolve().parent.parent),
        )
        try:
            for _ in range(200):
                if (d / "port").exists():
                    break
                time.sleep(0.05)
            cfg = load_config(_config(d, int((d / "port").read_text()), down))
            assert not cfg.problems, cfg.problems
            store = Store(d / "bench.duckdb")
            col = Collector(store, cfg, hooks=())
            col.open()
            col.run(duration=warmup)
            s0 = col.stats
            flushes0, rows0 = s0.flushes, s0.rows_written
            c0, t0 = _cpu(), time.monotonic()
            col.run(duration=seconds)
            cpu, wall = _cpu() - c0, time.monotonic() - t0
            flushes, rows = col.stats.flushes - flushes0, col.stats.rows_written - rows0
            comps = col.latest_vitals.components
            col.close()
            assert all(c.count == 1 for c in comps), comps  # every component's process was found
        finally:
            load.kill()
            load.wait()
    label = "one endpoint down" if down else "quiet"
    return {
        f"collector CPU, 10 components @5s ({label})": (100.0 * cpu / wall, "% core"),
        f"collector writes per minute ({label})": (60.0 * flushes / wall, "batches"),
        f"collector rows per minute ({label})": (60.0 * rows / wall, "rows"),
    }


def quiet() -> dict:
    return measure(float(os.environ.get("LOKIFI_BENCH_SECONDS", "120")))


def one_down() -> dict:
    return measure(float(os.environ.get("LOKIFI_BENCH_SECONDS", "120")), down=True)


BENCHMARKS = [
    ("collector quiet", quiet, 1),
    ("collector one endpoint down", one_down, 1),
]


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--load", metavar="DIR", help=argparse.SUPPRESS)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--warmup", type=float, default=20.0)
    ap.add_argument("--down", action="store_true", help="one probe refused every round")
    a = ap.parse_args()
    if a.load:
        run_load(Path(a.load))
    else:
        for k, (v, unit) in measure(a.seconds, a.warmup, a.down).items():
            print(f"{k}: {v:.2f} {unit}")
