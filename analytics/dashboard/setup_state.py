"""What a dashboard with empty panes should say: how far this host's setup is.

Whether a config file exists and what it watches, whether the history in the logs was backfilled, how
many hours of response-time history a forecast has to work with, which process collects into this
database and when it last wrote, and — on a host where nothing is configured — the processes busiest
right now, so the first screen already shows something of the machine.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil


@dataclass(frozen=True)
class Busy:
    name: str
    pid: int
    cpu: float | None  # percent of one core since the previous reading (None on the first: not measured)
    rss_mb: float


@dataclass(frozen=True)
class SetupState:
    config_file: bool = False
    components: int = 0
    log_paths: int = 0
    project_dirs: int = 0
    backfilled_files: int = 0
    history_hours: float = 0.0  # the longest response-time history of one component
    last_write: dt.datetime | None = None  # the newest successful poll of a source of this host
    collector_pid: int | None = None  # the process collecting into this database (None: none is)
    collector_here: bool = False  # ... and it is this process
    unlearned_events: int = 0  # error events stored whose pattern has not been learned yet
    busiest: tuple[Busy, ...] = ()

    @property
    def nothing_configured(self) -> bool:
        return self.components == 0 and self.log_paths == 0


def _scalar(con: Any, sql: str, params: list | None = None) -> Any:
    try:
        row = con.execute(sql, params or []).fetchone()
    except Exception:  # noqa: BLE001 — an older store without the table: the figure is unknown, not an error
        return None
    return row[0] if row else None


def read_setup(con: Any, config: Any, db_path: str | os.PathLike[str], host: str | None) -> SetupState:
    """The state, from the open read connection ``con`` and the config (None: no config loaded)."""
    from analytics.collect.writer_lock import collector_running  # a lock test, no store

    comps = tuple(getattr(config, "components", ()) or ())
    watch = getattr(config, "watch", None)
    log_paths = sum(len(c.logs) for c in comps) + len(getattr(watch, "log_dirs", ()) or ())
    cfg_path = getattr(config, "path", None)
    hours = _scalar(
        con,
        "SELECT max(h) FROM (SELECT count(DISTINCT hour) AS h FROM metrics_hourly "
        "WHERE metric = 'response_time_ms' GROUP BY component)",
    )
    last = _scalar(con, "SELECT max(last_success) FROM source_status WHERE host = ?", [host or ""])
    pid = collector_running(db_path)
    state = SetupState(
        config_file=bool(cfg_path and Path(cfg_path).exists()),
        components=len(comps),
        log_paths=log_paths,
        project_dirs=len(getattr(watch, "project_dirs", ()) or ()),
        backfilled_files=int(_scalar(con, "SELECT count(*) FROM backfill_files") or 0),
        history_hours=float(hours or 0),
        last_write=last,
        collector_pid=pid,
        collector_here=pid == os.getpid(),
        unlearned_events=int(_scalar(con, "SELECT count(*) FROM error_events WHERE NOT coalesce(learned, false)") or 0),
    )
    if state.nothing_configured:
        state = SetupState(**{**state.__dict__, "busiest": busiest()})
    return state


_last_cpu: dict[int, tuple[float, float]] = {}  # pid -> (cpu seconds, monotonic time) at the last reading


def busiest(n: int = 3) -> tuple[Busy, ...]:
    """The ``n`` processes using the most CPU since the previous call (by memory on the first call)."""
    now = time.monotonic()
    seen: dict[int, tuple[float, float]] = {}
    rows: list[Busy] = []
    for p in psutil.process_iter(["name", "cpu_times", "memory_info"]):
        info = p.info
        times, mem = info.get("cpu_times"), info.get("memory_info")
        if times is None or mem is None:
            continue
        spent = times.user + times.system
        seen[p.pid] = (spent, now)
        prev = _last_cpu.get(p.pid)
        cpu = max(100.0 * (spent - prev[0]) / (now - prev[1]), 0.0) if prev and now > prev[1] else None
        rows.append(Busy(str(info.get("name") or "?"), p.pid, cpu, mem.rss / 2**20))
    first = not _last_cpu
    _last_cpu.clear()
    _last_cpu.update(seen)
    if not first:
        busy = sorted((b for b in rows if (b.cpu or 0.0) >= 0.5), key=lambda b: b.cpu or 0.0, reverse=True)
        if busy:
            return tuple(busy[:n])
    # nothing busy, or not measured yet: the largest, by memory
    return tuple(sorted(rows, key=lambda b: b.rss_mb, reverse=True)[:n])
