"""What one host-vitals sample holds (:mod:`analytics.sources.vitals` takes it): frozen records, safe to hand
from the collector's or the status command's thread to whoever shows them, and how a component's processes
are recognised (:class:`ProcessSpec`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessSpec:
    """How to find a component's processes: any of a name, a command-line substring, a pid file."""

    component: str
    name: str | None = None
    cmdline: str | None = None
    pidfile: str | None = None

    def matches(self, name: str, cmdline: list[str] | None) -> bool:
        if self.name and name == self.name:
            return True
        return bool(self.cmdline and cmdline and self.cmdline in " ".join(cmdline))


@dataclass(frozen=True)
class DiskVitals:
    mount: str
    device: str
    fstype: str
    total: int
    used: int
    free: int
    percent: float


@dataclass(frozen=True)
class DiskIO:
    device: str
    read_bps: float
    write_bps: float


@dataclass(frozen=True)
class ComponentVitals:
    component: str
    count: int  # processes found
    cpu_percent: float  # % of one core, summed over the component's processes
    rss_bytes: int
    threads: int
    open_fds: int
    restarts: int  # since the collector started
    pids: tuple[int, ...] = ()


@dataclass(frozen=True)
class VitalsSnapshot:
    """The latest host sample. Immutable: safe to hand from a worker thread to the UI."""

    ts: dt.datetime
    host: str
    cpu_percent: float
    cpu_per_core: tuple[float, ...]
    load: tuple[float, float, float]
    memory_percent: float
    memory_used: int
    memory_total: int
    memory_available: int
    swap_percent: float
    swap_used: int
    swap_total: int
    disks: tuple[DiskVitals, ...]
    disk_io: tuple[DiskIO, ...]
    net_sent_bps: float
    net_recv_bps: float
    components: tuple[ComponentVitals, ...] = ()

    def component(self, name: str) -> ComponentVitals | None:
        for c in self.components:
            if c.component == name:
                return c
        return None
