"""Pattern grouping throughput: lines/s of analytics.patterns.templates.group on 1M generated realistic log lines,
with Drain3 (the reference online parser, its example masking config) timed in the same run.

The generator writes lines the way common software prints them (nginx, postgres, redis, node, python,
java, ssh, systemd, kernel, kubernetes), with fresh variables in every line: IPs, ports, pids, ids,
durations, sizes, user names, paths, request UUIDs and hex trace ids; the raw variant adds the usual
headers (ISO or syslog timestamps, levels, [thread], logger names). Deterministic (seeded).

    python -m bench.run patterns          # through the bench runner
    python bench/bench_patterns.py        # directly: median/min/max of 3 runs
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

import polars as pl

N_LINES = 1_000_000
DRAIN_LINES = 200_000  # Drain3 runs at tens of thousands of lines/s: a 200k sample keeps the run short

_USERS = ["root", "admin", "deploy", "app", "postgres", "ubuntu", "test", "guest", "oracle", "git"] + [
    f"user{i}" for i in range(40)
]
_SERVICES = ["api", "web", "worker", "billing", "auth", "search", "cart", "mailer"]
_TABLES = ["orders", "users", "invoices", "sessions", "items", "payments"]
_PATHS = ["/var/www/html", "/srv/app/static", "/opt/app/config", "/var/lib/app/data", "/home/deploy/releases"]
_COMPONENTS = ["main", "worker-1", "worker-2", "http-nio-8080-exec-3", "scheduler", "pool-2-thread-7"]
_LOGGERS = [
    "org.apache.kafka.clients.NetworkClient",
    "com.zaxxer.hikari.pool.HikariPool",
    "app.db",
    "app.http",
    "uvicorn.error",
    "io.netty.channel.DefaultChannelPipeline",
]


def _ip(r: random.Random) -> str:
    return f"{r.randint(1, 223)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"


def _uuid(r: random.Random) -> str:
    h = f"{r.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _messages(r: random.Random):
    return [
        lambda: (
            f"connect() failed (111: Connection refused) while connecting to upstream, client: {_ip(r)}, server: "
            f'api.example.com, request: "GET /v1/orders/{r.randint(1, 99999)} HTTP/1.1", upstream: '
            f'"http://127.0.0.1:{r.randint(8000, 8100)}/v1/orders/{r.randint(1, 99999)}"'
        ),
        lambda: (
            f"upstream timed out (110: Connection timed out) while reading response header from upstream, client: "
            f'{_ip(r)}, request: "POST /v1/pay HTTP/1.1"'
        ),
        lambda: (
            f'open() "{r.choice(_PATHS)}/{r.choice(["favicon.ico", "robots.txt", "img/logo.png"])}" failed '
            f"(2: No such file or directory), client: {_ip(r)}"
        ),
        lambda: f'password authentication failed for user "{r.choice(_USERS)}"',
        lambda: f'relation "public.{r.choice(_TABLES)}" does not exist at character {r.randint(1, 300)}',
        lambda: f'duplicate key value violates unique constraint "{r.choice(_TABLES)}_pkey"',
        lambda: "canceling statement due to statement timeout",
        lambda: "could not receive data from client: Connection reset by peer",
        lambda: f"Could not connect to Redis at {_ip(r)}:6379: Connection refused",
        lambda: "OOM command not allowed when used memory > 'maxmemory'.",
        lambda: f"Error: connect ECONNREFUSED {_ip(r)}:{r.choice([5432, 6379, 27017, 3306])}",
        lambda: f"Error: listen EADDRINUSE: address already in use :::{r.randint(3000, 3010)}",
        lambda: f"Error: Cannot find module '{r.choice(['express', 'dotenv', 'pg', 'lodash', 'axios'])}'",
        lambda: f"Request {_uuid(r)} failed after {r.randint(1, 30000)}ms with status {r.choice([500, 502, 503, 504])}",
        lambda: (
            f"GET /api/v1/{r.choice(_TABLES)}/{r.randint(1, 10**6)} 200 {r.randint(1, 5000)}ms - "
            f"{r.randint(100, 90000)} bytes"
        ),
        lambda: f"ModuleNotFoundError: No module named '{r.choice(['requests', 'numpy', 'app.settings'])}'",
        lambda: (
            f"requests.exceptions.ReadTimeout: HTTPConnectionPool(host='{r.choice(_SERVICES)}.internal', "
            f"port={r.randint(8000, 9000)}): Read timed out. (read timeout={r.choice([5, 10, 30])})"
        ),
        lambda: f"PermissionError: [Errno 13] Permission denied: '{r.choice(_PATHS)}/{r.randint(1, 999)}.lock'",
        lambda: f"java.net.SocketTimeoutException: Read timed out after {r.randint(1000, 60000)} ms",
        lambda: f"HikariPool-1 - Connection is not available, request timed out after {r.randint(1000, 60000)}ms.",
        lambda: f'Exception in thread "{r.choice(_COMPONENTS)}" java.lang.OutOfMemoryError: Java heap space',
        lambda: (
            f"Failed password for {r.choice(['invalid user ', ''])}{r.choice(_USERS)} from {_ip(r)} port "
            f"{r.randint(1024, 65535)} ssh2"
        ),
        lambda: (
            f"Accepted publickey for {r.choice(_USERS)} from {_ip(r)} port {r.randint(1024, 65535)} ssh2: "
            f"RSA SHA256:{r.getrandbits(64):016x}"
        ),
        lambda: f"session closed for user {r.choice(_USERS)}",
        lambda: f"{r.choice(_SERVICES)}.service: Main process exited, code=exited, status={r.randint(1, 255)}/FAILURE",
        lambda: (
            f"Out of memory: Killed process {r.randint(100, 99999)} ({r.choice(['java', 'node', 'python3'])}) "
            f"total-vm:{r.randint(10**5, 10**7)}kB, anon-rss:{r.randint(10**5, 10**7)}kB"
        ),
        lambda: f"blk_update_request: I/O error, dev sd{r.choice('abc')}, sector {r.randint(1, 10**9)}",
        lambda: (
            f"Back-off restarting failed container {r.choice(_SERVICES)} in pod {r.choice(_SERVICES)}-"
            f"{r.getrandbits(40):010x}-{r.getrandbits(20):05x}"
        ),
        lambda: (
            f'Liveness probe failed: Get "http://{_ip(r)}:{r.randint(8000, 9000)}/healthz": context deadline exceeded'
        ),
        lambda: (
            f"trace_id={r.getrandbits(64):016x} span_id={r.getrandbits(32):08x} user={r.choice(_USERS)} "
            f"action=login result=denied"
        ),
        lambda: (
            f"Processed {r.randint(1, 5000)} messages from queue {r.choice(_SERVICES)}-events in "
            f"{r.random() * 10:.3f} s"
        ),
        lambda: f"Cache miss for key user:{r.randint(1, 10**6)}:profile (ttl {r.randint(1, 3600)}s)",
    ]


def _header(r: random.Random, i: int) -> str:
    sec = 1_700_000_000 + i // 20
    t = time.gmtime(sec)
    ms = r.randint(0, 999)
    k = r.randrange(4)
    if k == 0:
        return (
            f"{time.strftime('%Y-%m-%d %H:%M:%S', t)},{ms:03d} {r.choice(['ERROR', 'WARN', 'INFO'])} "
            f"[{r.choice(_COMPONENTS)}] {r.choice(_LOGGERS)}: "
        )
    if k == 1:
        return (
            f"{time.strftime('%b %d %H:%M:%S', t)} {r.choice(['web1', 'web2', 'db1'])} "
            f"{r.choice(_SERVICES)}[{r.randint(100, 65000)}]: "
        )
    if k == 2:
        return f"{time.strftime('%Y-%m-%dT%H:%M:%S', t)}.{ms:03d}Z {r.choice(['error', 'warning', 'info'])} "
    return f"{time.strftime('%Y/%m/%d %H:%M:%S', t)} [error] {r.randint(100, 9999)}#0: *{r.randint(1, 10**6)} "


def generate(n: int = N_LINES, raw: bool = False, seed: int = 7) -> list[str]:
    r = random.Random(seed)
    msgs = _messages(r)
    weights = [r.random() ** 2 + 0.02 for _ in msgs]  # some patterns much more frequent than others
    picks = r.choices(range(len(msgs)), weights=weights, k=n)
    if raw:
        return [_header(r, i) + msgs[k]() for i, k in enumerate(picks)]
    return [msgs[k]() for k in picks]


_CACHE: dict[tuple[int, bool], pl.Series] = {}


def lines(n: int = N_LINES, raw: bool = False) -> pl.Series:
    key = (n, raw)
    if key not in _CACHE:
        _CACHE[key] = pl.Series("m", generate(n, raw), dtype=pl.String)
    return _CACHE[key]


def lokifi_messages() -> dict:
    from analytics.patterns.templates import group

    s = lines()
    t = time.perf_counter()
    out = group(s).group_ids_bytes()
    secs = time.perf_counter() - t
    assert out.count(b"\n") == s.len()
    return {"lokifi group, 1M messages": (s.len() / secs, "lines/s")}


def lokifi_raw() -> dict:
    from analytics.patterns.templates import group

    s = lines(raw=True)
    t = time.perf_counter()
    out = group(s, raw=True).group_ids_bytes()
    secs = time.perf_counter() - t
    assert out.count(b"\n") == s.len()
    return {"lokifi group --raw, 1M raw log lines": (s.len() / secs, "lines/s")}


def drain3_messages() -> dict:
    import logging

    from drain3 import TemplateMiner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    logging.disable(logging.CRITICAL)
    # the same configuration as ../shared/eval/drain3_group.py (Drain3's examples/drain3.ini)
    masking = [
        (r"((?<=[^A-Za-z0-9])|^)(([0-9a-f]{2,}:){3,}([0-9a-f]{2,}))((?=[^A-Za-z0-9])|$)", "ID"),
        (r"((?<=[^A-Za-z0-9])|^)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})((?=[^A-Za-z0-9])|$)", "IP"),
        (r"((?<=[^A-Za-z0-9])|^)([0-9a-f]{6,} ?){3,}((?=[^A-Za-z0-9])|$)", "SEQ"),
        (r"((?<=[^A-Za-z0-9])|^)([0-9A-F]{4} ?){4,}((?=[^A-Za-z0-9])|$)", "SEQ"),
        (r"((?<=[^A-Za-z0-9])|^)(0x[a-f0-9A-F]+)((?=[^A-Za-z0-9])|$)", "HEX"),
        (r"((?<=[^A-Za-z0-9])|^)([\-\+]?\d+)((?=[^A-Za-z0-9])|$)", "NUM"),
        (r"(?<=executed cmd )(\".+?\")", "CMD"),
    ]
    cfg = TemplateMinerConfig()
    cfg.profiling_enabled = False
    cfg.drain_max_clusters = 1024
    cfg.drain_extra_delimiters = ["_"]
    cfg.mask_prefix, cfg.mask_suffix = "<:", ":>"
    cfg.masking_instructions = [MaskingInstruction(p, m) for p, m in masking]
    tm = TemplateMiner(persistence_handler=None, config=cfg)
    sample = lines()[:DRAIN_LINES].to_list()
    t = time.perf_counter()
    ids = [tm.add_log_message(m)["cluster_id"] for m in sample]
    secs = time.perf_counter() - t
    assert len(ids) == len(sample)
    return {f"drain3 0.9.11, {DRAIN_LINES // 1000}k messages": (len(sample) / secs, "lines/s")}


BENCHMARKS = [
    ("lokifi_messages", lokifi_messages, 3),
    ("lokifi_raw", lokifi_raw, 3),
    ("drain3_messages", drain3_messages, 3),
]


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import os

    print(f"load average at start: {os.getloadavg()[0]:.1f}; {os.cpu_count()} cores", flush=True)
    t = time.perf_counter()
    lines(), lines(raw=True)
    print(f"generated {N_LINES:,} messages and {N_LINES:,} raw lines in {time.perf_counter() - t:.1f}s", flush=True)
    for _name, fn, repeat in BENCHMARKS:
        vals: dict[str, list[float]] = {}
        for _ in range(repeat):
            for fig, (v, _unit) in fn().items():
                vals.setdefault(fig, []).append(v)
        for fig, vs in vals.items():
            print(
                f"{fig:<42} median {statistics.median(vs):>12,.0f}  min {min(vs):>12,.0f}  "
                f"max {max(vs):>12,.0f}  lines/s  (n={len(vs)})",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
