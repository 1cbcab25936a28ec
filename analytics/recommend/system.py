"""System rules (psutil): free disk below ``disk_free_min_pct`` on any mount, CPU above ``cpu_max_pct``
sustained, memory pressure above ``memory_max_pct``.

Readings come through a :class:`Probe` so tests can stand in for states a machine cannot be made to
show (a full disk, a pegged CPU). :class:`PsutilProbe` is the real one:

* disks: every mounted local filesystem (``psutil.disk_partitions(all=False)``, read-only images such as
  squashfs skipped, one entry per device);
* CPU "sustained": the mean of the stored ``cpu_percent`` samples of the last ``cpu_window_minutes``
  (at least three), which the collector writes; without them, the 5-minute load average per core
  (the kernel's own sustained measure) — the description says which;
* memory: ``psutil.virtual_memory()`` (and swap, as evidence).

A full disk or an exhausted memory touches every component on the host, so their breadth is the number
of configured components.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
from dataclasses import dataclass

from analytics.recommend.finding import Finding, RuleRun

SKIP_FSTYPES = frozenset({"squashfs", "iso9660", "udf", "tmpfs", "devtmpfs", "proc", "sysfs", "overlay_ro"})


@dataclass(frozen=True)
class Disk:
    mount: str
    total: int
    free: int
    fstype: str = ""


@dataclass(frozen=True)
class Memory:
    percent: float
    available: int
    total: int
    swap_percent: float = 0.0


class Probe:
    def disks(self) -> list[Disk]:
        return []

    def cpu_fallback(self) -> tuple[float, str] | None:
        """A sustained CPU % when no stored samples exist, and what it is."""
        return None

    def memory(self) -> Memory | None:
        return None


class PsutilProbe(Probe):
    def disks(self) -> list[Disk]:
        import psutil

        out, seen = [], set()
        for p in psutil.disk_partitions(all=False):
            if p.fstype in SKIP_FSTYPES or p.device in seen or "ro" in (p.opts or "").split(","):
                continue
            try:
                u = psutil.disk_usage(p.mountpoint)
            except OSError:
                continue
            if u.total <= 0:
                continue
            seen.add(p.device)
            out.append(Disk(p.mountpoint, int(u.total), int(u.free), p.fstype))
        if not out:
            try:
                u = psutil.disk_usage("/")
                out.append(Disk("/", int(u.total), int(u.free), ""))
            except OSError:
                pass
        return out

    def cpu_fallback(self) -> tuple[float, str] | None:
        try:
            load5 = os.getloadavg()[1]
        except (OSError, AttributeError):
            return None
        cores = os.cpu_count() or 1
        # utilisation cannot pass 100 %: a longer run queue is saturation, reported as such
        return (
            min(100.0, 100.0 * load5 / cores),
            f"5-minute load average {load5:.2f} on {cores} core{'s' if cores != 1 else ''}",
        )

    def memory(self) -> Memory | None:
        import psutil

        vm, sw = psutil.virtual_memory(), psutil.swap_memory()
        return Memory(float(vm.percent), int(vm.available), int(vm.total), float(sw.percent))


def _all_components(config) -> tuple[str, ...]:
    names = tuple(c.name for c in config.components)
    return names or ("host",)


def stored_cpu(store, host: str, now: dt.datetime, minutes: int) -> tuple[float, int] | None:
    with store.read() as con:
        row = con.execute(
            "SELECT avg(value), count(*) FROM metrics WHERE host = ? AND component = 'host' "
            "AND metric = 'cpu_percent' AND ts > ? AND ts <= ?",
            [host, now - dt.timedelta(minutes=minutes), now],
        ).fetchone()
    if row is None or row[1] is None or int(row[1]) < 3:
        return None
    return float(row[0]), int(row[1])


def system_rules(store, config, host: str, now: dt.datetime, probe: Probe) -> RuleRun:
    rc = config.recommendations
    run = RuleRun(evaluated={"system.disk", "system.cpu", "system.memory"})
    everyone = _all_components(config)
    for d in probe.disks():
        free_pct = 100.0 * d.free / d.total
        if free_pct >= rc.disk_free_min_pct:
            continue
        run.findings.append(
            Finding(
                rule="system.disk",
                subject=d.mount,
                category="system",
                title=f"Low disk space on {d.mount}",
                description=(
                    f"{free_pct:.1f}% free on {d.mount} ({d.free / 2**30:,.1f} GB of {d.total / 2**30:,.1f} GB); "
                    f"below {rc.disk_free_min_pct:g}%."
                ),
                # quoted: a mount point is named by whoever labelled the volume (a USB stick's label)
                action=(
                    f"du -xh {shlex.quote(d.mount)} --max-depth=2 | sort -h | tail; "
                    "lokifi clean logs; lokifi clean temp"
                ),
                severity=1.0,
                value=free_pct,
                threshold=rc.disk_free_min_pct,
                higher_is_worse=False,
                unit="% free",
                components=everyone,
                evidence={
                    "mount": d.mount,
                    "free_bytes": d.free,
                    "total_bytes": d.total,
                    "free_pct": round(free_pct, 2),
                },
            )
        )
    measured = stored_cpu(store, host, now, rc.cpu_window_minutes)
    cpu: float | None
    if measured is not None:
        cpu, how = measured[0], f"mean of {measured[1]} samples over the last {rc.cpu_window_minutes} min"
    else:
        fb = probe.cpu_fallback()
        cpu, how = fb if fb is not None else (None, "")
    if cpu is not None and cpu > rc.cpu_max_pct:
        run.findings.append(
            Finding(
                rule="system.cpu",
                subject="host",
                category="system",
                title="High CPU utilization",
                description=(
                    f"CPU at {cpu:.0f}% sustained ({how}); above {rc.cpu_max_pct:g}%."
                    if measured is not None
                    else f"CPU demand at {cpu:.0f}% of capacity ({how}; no stored CPU samples yet); "
                    f"above {rc.cpu_max_pct:g}%."
                ),
                action="Find the busy processes (`top -o %CPU`, the dashboard's components) and scale or optimise them",
                severity=0.7,
                value=cpu,
                threshold=rc.cpu_max_pct,
                unit="%",
                components=everyone,
                evidence={"cpu_percent": round(cpu, 1), "measured_by": how},
            )
        )
    mem = probe.memory()
    if mem is not None and mem.percent > rc.memory_max_pct:
        run.findings.append(
            Finding(
                rule="system.memory",
                subject="host",
                category="system",
                title="Memory pressure",
                description=(
                    f"{mem.percent:.0f}% of memory in use ({mem.available / 2**30:,.1f} GB available of "
                    f"{mem.total / 2**30:,.1f} GB; swap {mem.swap_percent:.0f}% used); "
                    f"above {rc.memory_max_pct:g}%."
                ),
                action=(
                    "Find the largest processes (`ps aux --sort=-rss | head`), restart leaking ones, add memory or swap"
                ),
                severity=0.8,
                value=mem.percent,
                threshold=rc.memory_max_pct,
                unit="%",
                components=everyone,
                evidence={
                    "memory_percent": mem.percent,
                    "available_bytes": mem.available,
                    "swap_percent": mem.swap_percent,
                },
            )
        )
    return run
