"""The demo dataset: 45 days of six services, generated deterministically, with planted stories.

``lokifi demo`` builds it into its own database (never the user's) and opens the dashboard. Every pane
and command has something true to show, because the stories below are in the data, not in the code
that displays them:

* daily and weekly cycles on every series (busy afternoons, quiet weekends);
* a slow latency regression on ``backend`` over the last 21 days (about +8 ms/day);
* ``worker`` job latency averaging above 1000 ms (the seed's slow-response rule);
* a recurring redis connection error (ECONNREFUSED / "Connection refused") every few hours this week;
* a burst of upstream timeouts on ``nginx``/``frontend`` three days ago, with latency spikes;
* a redis cache hit rate falling from ~88% to below 50% over two weeks;
* ``worker`` memory creeping up; large log files and a stale requirements.txt in the demo project;
* fix outcomes already recorded for some patterns (worked and failed), so confidence means something.

Same ``now`` and ``seed`` give the same database (tests pass a fixed ``now``).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from analytics.config.paths import demo_config_path
from analytics.sources.vital_names import CPU_PERCENT, HOST_COMPONENT, LOAD1, MEMORY_PERCENT, ROOT_MOUNT, disk_percent
from analytics.store.database import Store
from analytics.store.metrics import append_events, append_metrics
from analytics.store.private import mkdir_private

DAYS = 45
STEP_MIN = 5
HOST = "demo-web-1"
COMPONENTS = ("backend", "frontend", "redis", "postgres", "worker", "nginx")

# base response time (ms), daily amplitude (fraction), noise (fraction)
_LATENCY = {
    "backend": (210.0, 0.30, 0.10),
    "frontend": (320.0, 0.25, 0.08),
    "redis": (1.2, 0.20, 0.15),
    "postgres": (14.0, 0.35, 0.12),
    "worker": (1150.0, 0.15, 0.10),
    "nginx": (35.0, 0.25, 0.10),
}
_CPU = {"backend": 38.0, "frontend": 22.0, "redis": 9.0, "postgres": 31.0, "worker": 55.0, "nginx": 12.0}
_MEM = {"backend": 41.0, "frontend": 28.0, "redis": 18.0, "postgres": 52.0, "worker": 36.0, "nginx": 6.0}
_RPM = {"backend": 900.0, "frontend": 1400.0, "redis": 5200.0, "postgres": 2100.0, "worker": 40.0, "nginx": 1600.0}


@dataclass(frozen=True)
class DemoInfo:
    path: Path
    now: dt.datetime
    metrics: int
    events: int
    project_dir: Path
    log_dir: Path
    config_path: Path


def write_demo_config(db_path: str | os.PathLike[str], project: Path, logs: Path) -> Path:
    """The demo is a host of its own: engines and commands run on the demo database with this config
    look at the demo's host and the demo's project and log directories, not at this machine's."""
    import tomli_w

    path = demo_config_path(db_path)
    path.write_text(
        "# Lokifi demo configuration (written by `lokifi demo`; rebuilt by `lokifi demo --reset`).\n"
        + tomli_w.dumps({"general": {"host": HOST}, "watch": {"project_dirs": [str(project)], "log_dirs": [str(logs)]}})
    )
    return path


def default_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)


def _timeline(now: dt.datetime) -> np.ndarray:
    start = now - dt.timedelta(days=DAYS)
    n = DAYS * 24 * 60 // STEP_MIN
    return np.array([start + dt.timedelta(minutes=STEP_MIN * (i + 1)) for i in range(n)], dtype="datetime64[us]")


def _cycles(ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(daily load factor in [-1, 1] peaking mid-afternoon UTC, weekend mask)."""
    hours = (ts.astype("datetime64[m]").astype(np.int64) % (24 * 60)) / 60.0
    daily = np.sin(2 * np.pi * (hours - 9.0) / 24.0)
    weekday = (ts.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 0 = Monday
    return daily, weekday >= 5


def generate_metrics(now: dt.datetime, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    ts = _timeline(now)
    n = len(ts)
    daily, weekend = _cycles(ts)
    load = 1.0 + 0.6 * daily - 0.25 * weekend  # relative traffic
    days_before_end = (np.datetime64(now, "us") - ts).astype("timedelta64[s]").astype(np.float64) / 86400.0
    frames = []

    def add(component: str, metric: str, values: np.ndarray) -> None:
        frames.append(
            pl.DataFrame(
                {
                    "ts": ts,
                    "host": HOST,
                    "component": component,
                    "metric": metric,
                    "value": np.round(values, 3),
                    "source": "demo",
                }
            )
        )

    # the timeout burst: three days ago, 14:00-15:00
    burst_start = np.datetime64(now - dt.timedelta(days=3), "us").astype("datetime64[D]") + np.timedelta64(14, "h")
    burst = (ts >= burst_start) & (ts < burst_start + np.timedelta64(1, "h"))

    for comp in COMPONENTS:
        base, amp, noise = _LATENCY[comp]
        lat = base * (1 + amp * daily - 0.1 * weekend) * (1 + noise * rng.standard_normal(n))
        if comp == "backend":
            # slow regression over the last 21 days: +8 ms/day
            lat += np.clip(21.0 - days_before_end, 0, None) * 8.0
        if comp in ("frontend", "nginx"):
            lat[burst] *= rng.uniform(6.0, 14.0, burst.sum())
        # occasional isolated spikes (a few per week) everywhere
        spikes = rng.random(n) < 0.0015
        lat[spikes] *= rng.uniform(2.0, 4.0, spikes.sum())
        add(comp, "response_time_ms", np.maximum(lat, 0.05))

        cpu = _CPU[comp] * (1 + 0.5 * daily * (load > 0)) + 3 * rng.standard_normal(n)
        add(comp, "cpu_percent", np.clip(cpu, 0.5, 100))

        mem = _MEM[comp] + 1.5 * rng.standard_normal(n)
        if comp == "worker":
            mem += (DAYS - days_before_end) * 0.55  # creeping up ~0.55 %/day
        add(comp, "memory_percent", np.clip(mem, 1, 99))

        rpm = _RPM[comp] * load * (1 + 0.08 * rng.standard_normal(n))
        add(comp, "requests_per_min", np.maximum(rpm, 0))

        err = 0.002 * (1 + rng.standard_normal(n) ** 2)
        if comp in ("frontend", "nginx"):
            err[burst] += 0.12
        add(comp, "error_rate", np.clip(err, 0, 1))

    # redis cache hit rate: ~0.88, falling over the last 14 days to ~0.42
    fall = np.clip((14.0 - days_before_end) / 14.0, 0, 1)
    hit = 0.88 - 0.46 * fall + 0.02 * rng.standard_normal(n)
    hit = np.clip(hit, 0.01, 0.999)
    lookups = _RPM["redis"] * STEP_MIN * load
    add("redis", "cache_hit_rate", hit)
    add("redis", "keyspace_hits", np.round(lookups * hit))
    add("redis", "keyspace_misses", np.round(lookups * (1 - hit)))

    # host vitals, under the names the vitals source writes (the top bar seeds its sparklines from them)
    add(HOST_COMPONENT, CPU_PERCENT, np.clip(35 + 20 * daily + 4 * rng.standard_normal(n), 1, 100))
    memory = 58 + (DAYS - days_before_end) * 0.2 + 2 * rng.standard_normal(n)
    add(HOST_COMPONENT, MEMORY_PERCENT, np.clip(memory, 1, 99))
    root_disk = 71 + (DAYS - days_before_end) * 0.12 + 0.2 * rng.standard_normal(n)
    add(HOST_COMPONENT, disk_percent(ROOT_MOUNT), np.clip(root_disk, 1, 99.9))
    add(HOST_COMPONENT, LOAD1, np.clip(1.2 + 0.9 * daily + 0.2 * rng.standard_normal(n), 0, None))
    return pl.concat(frames)


# Messages as the software prints them; {n}, {ip}, {port} ... vary per occurrence.
_ERRORS = {
    "redis": [
        "Error: connect ECONNREFUSED 10.0.3.{a}:6379",
        "redis.exceptions.ConnectionError: Error 111 connecting to redis-primary:6379. Connection refused.",
    ],
    "nginx": [
        "{ymd} [error] {pid}#0: *{n} upstream timed out (110: Connection timed out) while reading response header "
        'from upstream, client: 10.1.{a}.{b}, server: shop.example.com, request: "GET /api/cart/{n} HTTP/1.1", '
        'upstream: "http://10.0.2.{a}:8000/api/cart/{n}"',
    ],
    "frontend": [
        "Error: Request timed out after {ms}ms: GET https://api.internal/v1/products?page={a}",
    ],
    "backend": [
        "ModuleNotFoundError: No module named 'requests_toolbelt'",
        "PermissionError: [Errno 13] Permission denied: '/var/lib/shop/uploads/{n}.png'",
    ],
    "postgres": [
        "FATAL:  remaining connection slots are reserved for non-replication superuser connections",
    ],
    "worker": [
        "Out of memory: Killed process {pid} (celery) total-vm:{n}kB, anon-rss:{m}kB, file-rss:0kB",
        "Error: listen EADDRINUSE: address already in use :::3000",
    ],
}


def generate_events(now: dt.datetime, seed: int = 11) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows: list[tuple[dt.datetime, str, str, str]] = []

    def msg(template: str, when: dt.datetime) -> str:
        return template.format(
            a=int(rng.integers(2, 250)),
            b=int(rng.integers(2, 250)),
            n=int(rng.integers(1000, 99999)),
            m=int(rng.integers(100000, 900000)),
            pid=int(rng.integers(200, 32000)),
            port=int(rng.integers(1024, 65000)),
            ms=int(rng.choice([5000, 10000, 30000])),
            ymd=when.strftime("%Y/%m/%d %H:%M:%S"),
        )

    def at(days_ago: float) -> dt.datetime:
        return (now - dt.timedelta(days=days_ago)).replace(microsecond=0)

    # recurring redis connection errors: every ~5 h over the last 7 days, rarer before
    for d in np.arange(0.2, 7.0, 5 / 24):
        when = at(float(d) + rng.uniform(0, 0.05))
        rows.append((when, "redis", msg(_ERRORS["redis"][int(rng.integers(0, 2))], when), "error"))
    for d in rng.uniform(7, DAYS, 6):
        when = at(float(d))
        rows.append((when, "redis", msg(_ERRORS["redis"][0], when), "error"))
    # the timeout burst three days ago, 14:00-15:00
    burst = (now - dt.timedelta(days=3)).replace(hour=14, minute=0, second=0, microsecond=0)
    for k in range(60):
        when = burst + dt.timedelta(seconds=int(k * 60 + rng.integers(0, 50)))
        rows.append((when, "nginx", msg(_ERRORS["nginx"][0], when), "error"))
        if k % 3 == 0:
            rows.append((when, "frontend", msg(_ERRORS["frontend"][0], when), "error"))
    # background noise of the other errors
    for comp in ("backend", "postgres", "worker"):
        for template in _ERRORS[comp]:
            for d in rng.uniform(0.1, DAYS, int(rng.integers(4, 10))):
                when = at(float(d))
                rows.append((when, comp, msg(template, when), "error"))
    rows.sort()
    return pl.DataFrame(
        {
            "ts": [r[0] for r in rows],
            "component": [r[1] for r in rows],
            "message": [r[2] for r in rows],
            "level": [r[3] for r in rows],
        },
        schema={"ts": pl.Datetime("us"), "component": pl.String, "message": pl.String, "level": pl.String},
    ).with_columns(host=pl.lit(HOST), source=pl.lit("demo"))


def _write_demo_files(root: Path, now: dt.datetime) -> tuple[Path, Path]:
    """A small project (stale requirements.txt) and log directory (one log over 50 MB) to scan."""
    project = root / "project"
    logs = root / "logs"
    project.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    req = project / "requirements.txt"
    req.write_text("flask==2.2.2\nredis==4.3.4\ncelery==5.2.7\nrequests==2.28.1\n")
    old = (now - dt.timedelta(days=44)).replace(tzinfo=dt.UTC).timestamp()
    os.utime(req, (old, old))
    (project / "app.py").write_text("import flask\napp = flask.Flask(__name__)\n")
    line = (
        f"{now:%Y-%m-%d %H:%M:%S} INFO backend GET /api/products 200 43ms user=anonymous "
        "trace=4bf92f3577b34da6a3ce929d0e0e4736\n"
    ).encode()
    big = logs / "backend.log"
    target = 56 * 1024 * 1024
    if not big.exists() or big.stat().st_size < target:
        chunk = line * (1024 * 1024 // len(line) + 1)
        with open(big, "wb") as f:
            written = 0
            while written < target:
                f.write(chunk)
                written += len(chunk)
    (logs / "worker.log").write_text(
        "".join(
            f"{now:%Y-%m-%d %H:%M:%S} ERROR worker Out of memory: Killed process {1000 + i} (celery)\n"
            for i in range(50)
        )
    )
    return project, logs


def _keep_first_view(store: Store, now: dt.datetime, config) -> None:
    """Save what the dashboard will show as the database's last known state (analytics.dashboard.snapshot),
    so that even the first ``lokifi demo`` draws its rows in its first frame, while it reads the store."""
    from analytics.dashboard.snapshot import save
    from analytics.dashboard.view import load_dashboard
    from analytics.store.file_signature import file_signature

    signature = file_signature(store.path)
    save(load_dashboard(store, now=now, config=config), store.path, signature)


def build_demo(
    path: str | os.PathLike[str],
    now: dt.datetime | None = None,
    *,
    seed: int = 7,
    files: bool = True,
    engines: bool = True,
) -> DemoInfo:
    """(Re)build the demo database at ``path`` (an existing file there is replaced)."""
    now = (now or default_now()).replace(tzinfo=None)
    p = Path(path)
    mkdir_private(p.parent)
    for leftover in (p, p.with_name(p.name + ".wal")):
        if leftover.exists():
            leftover.unlink()
    spool = p.with_name(p.name + ".spool")
    if spool.exists():
        shutil.rmtree(spool)
    store = Store(p)
    metrics = generate_metrics(now, seed)
    events = generate_events(now, seed + 4)
    append_metrics(store, metrics)
    append_events(store, events)
    project, logs = (p.parent / "project", p.parent / "logs")
    if files:
        project, logs = _write_demo_files(p.parent, now)
    store.set_kv("demo.now", now.isoformat())
    config_path = write_demo_config(p, project, logs)
    if engines:
        from analytics.config.settings import load_config
        from analytics.demo.engines import run_engines

        config = load_config(config_path)
        run_engines(store, now, config=config)
        _keep_first_view(store, now, config)
    return DemoInfo(
        path=p,
        now=now,
        metrics=metrics.height,
        events=events.height,
        project_dir=project,
        log_dir=logs,
        config_path=config_path,
    )
