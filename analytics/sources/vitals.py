"""Host vitals through psutil: CPU (total, per core), memory, swap, disks (usage per mount, I/O), network
I/O, load, and per-component process CPU / RSS / threads / open descriptors / restarts.

Cheap enough to run every few seconds: the process table is scanned only to find the processes the
config names (by name, by a command-line substring, or through a pid file), only at start, when a
tracked process disappears, when a component has none, and every ``rescan_every`` seconds to pick up
new workers. Between scans only the tracked :class:`psutil.Process` objects are read, and the children
the kernel lists for them: a component's processes include their descendants running the same program
(a database's backends, a master's workers: :mod:`analytics.sources.process_tree`), whose coming and
going is not a restart.

:class:`~analytics.sources.vitals_snapshot.VitalsSnapshot` is a frozen snapshot of the latest sample, so
the dashboard can show it without a database round trip. Metric names written to ``metrics`` (component
``host`` unless noted):

=========================  =====================================================================
cpu_percent                total CPU, % of all cores
cpu_percent@coreN          one core
load1, load5, load15       load average
memory_percent, memory_used_bytes, memory_available_bytes
swap_percent, swap_used_bytes
disk_percent@MOUNT, disk_used_bytes@MOUNT, disk_free_bytes@MOUNT
disk_read_bps@DEV, disk_write_bps@DEV
net_sent_bps, net_recv_bps, net_errors, net_drops (errors/drops during the interval)
(component) proc_count, proc_cpu_percent, proc_rss_bytes, proc_threads, proc_open_fds,
(component) proc_restarts   restarts seen in the interval
=========================  =====================================================================
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from analytics.sources.base import BaseSource, Batch
from analytics.sources.process_tree import same_program_descendants
from analytics.sources.vital_names import CPU_PERCENT, HOST_COMPONENT, LOAD1, MEMORY_PERCENT, PROC_COUNT, disk_percent
from analytics.sources.vitals_glance import load_average
from analytics.sources.vitals_snapshot import ComponentVitals, DiskIO, DiskVitals, ProcessSpec, VitalsSnapshot

_SKIP_FSTYPES = {
    "squashfs",
    "tmpfs",
    "devtmpfs",
    "overlay",
    "proc",
    "sysfs",
    "cgroup",
    "cgroup2",
    "autofs",
    "nsfs",
    "tracefs",
    "debugfs",
    "securityfs",
    "fusectl",
    "configfs",
    "ramfs",
    "iso9660",
}
_SKIP_DISK = re.compile(r"^(loop|ram|zram|sr|fd)\d")


@dataclass
class _Tracked:
    spec: ProcessSpec
    procs: dict[tuple[int, float], psutil.Process] = field(default_factory=dict)  # (pid, create_time)
    kin: set[tuple[int, float]] = field(default_factory=set)  # those of procs forked by another of them
    # those of kin found by the config that run another program than their parent: their own descendants
    # running their program are the component's too
    branches: set[tuple[int, float]] = field(default_factory=set)
    restarts: int = 0
    restarts_new: int = 0
    lost: int = 0  # processes that vanished since the last scan (a new one appearing then is a restart)
    seen_any: bool = False
    was_up: bool = False


FIRST_WINDOW = 0.2  # seconds: the shortest CPU window of a first sample (a 100 Hz tick gives 5 % steps per core)


def process_specs(config: Any) -> list[ProcessSpec]:
    """The processes each configured component names (by process name, command line or pid file)."""
    procs = []
    for comp in config.components:
        name = getattr(comp, "process", "") or ""
        cmdline = getattr(comp, "cmdline", "") or ""
        if name and (" " in name or "/" in name) and not cmdline:
            name, cmdline = "", name  # a path or a command line: match it inside the command line
        pidfile = getattr(comp, "pid_file", "") or ""
        if name or cmdline or pidfile:
            procs.append(ProcessSpec(comp.name, name or None, cmdline or None, pidfile or None))
    return procs


def vitals_from_config(config: Any, host: str | None = None) -> VitalsSource:
    """The vitals source the config asks for (the collector's; ``lokifi status`` reads one sample)."""
    c = getattr(config, "collect", None)
    interval = float(getattr(c, "vitals_seconds", 0) or config.general.collect_seconds or 5.0)
    rescan = float(getattr(c, "process_rescan_seconds", 60.0) or 60.0)
    return VitalsSource(host or config.host, process_specs(config), interval=interval, rescan_every=rescan)


class VitalsSource(BaseSource):
    """Samples host vitals and the configured components' processes."""

    kind = "vitals"
    unique_rows = True  # every row carries the moment of its own sample: never a duplicate

    def __init__(
        self,
        host: str,
        processes: list[ProcessSpec] | None = None,
        *,
        interval: float = 5.0,
        name: str = "vitals",
        rescan_every: float = 60.0,
        missing_rescan_every: float = 15.0,
    ) -> None:
        super().__init__(name, interval)
        self.host = host
        self.rescan_every = rescan_every
        self.missing_rescan_every = missing_rescan_every
        self._tracked = [_Tracked(s) for s in (processes or [])]
        self._last_scan = -1e18
        self._last_missing_scan = -1e18
        self._mounts: list[Any] = []
        self._mounts_at = -1e18
        self._prev_disk: tuple[float, dict[str, Any]] | None = None
        self._prev_net: tuple[float, Any] | None = None
        self._primed = False
        self._window_from = 0.0  # the first sample's CPU window starts here (see prime)
        self._latest: VitalsSnapshot | None = None
        self.scans = 0  # full process-table scans done (for tests and the bench)
        self._branch_gone = False  # a process of another program a component's started ended

    @property
    def latest(self) -> VitalsSnapshot | None:
        return self._latest

    # -- sampling -----------------------------------------------------------------------------------

    def prime(self, *, host_window_from: float | None = None) -> None:
        """Take the first CPU and counter readings (psutil measures CPU between two calls).

        ``host_window_from``: the monotonic time a caller took its own earlier reading of the host's CPU
        (``lokifi status`` does, before it loads the config, and reports the host's CPU figure from it).
        The first sample then waits FIRST_WINDOW from that moment unless processes are tracked, whose
        figures need FIRST_WINDOW from here; psutil's own host figures in that sample may span less."""
        psutil.cpu_percent(None)
        psutil.cpu_percent(None, percpu=True)
        self._sample_io(time.monotonic())
        self._update_processes(time.monotonic())
        for tr in self._tracked:
            for p in tr.procs.values():
                try:
                    p.cpu_percent(None)
                except psutil.Error:
                    pass
        self._primed = True
        primed_at = time.monotonic()
        self._window_from = primed_at if host_window_from is None or self._tracked else host_window_from

    def poll(self, now: dt.datetime) -> list[Batch]:
        if not self._primed:
            self.prime()
        # the first sample's CPU figures need a window of at least FIRST_WINDOW since the priming readings;
        # a caller that primes early (``lokifi status``) has spent most of it doing other work
        wait = FIRST_WINDOW - (time.monotonic() - self._window_from)
        if wait > 0 and self._latest is None:
            time.sleep(wait)
        mono = time.monotonic()
        snap = self.sample(now, mono)
        batch = Batch(self.name, metrics=self.rows(snap))
        batch.events.extend(self._down_events(now))
        self._latest = snap
        self.ok(now, len(batch), f"{len(self._tracked)} components")
        return [batch]

    def sample(self, now: dt.datetime, mono: float) -> VitalsSnapshot:
        cpu = psutil.cpu_percent(None)
        cores = tuple(psutil.cpu_percent(None, percpu=True))
        load = tuple(round(x, 3) for x in load_average())
        vm = psutil.virtual_memory()
        sw = psutil.swap_memory()
        disks = self._disks(mono)
        disk_io, sent, recv = self._sample_io(mono)
        comps = self._update_processes(mono)
        return VitalsSnapshot(
            ts=now,
            host=self.host,
            cpu_percent=float(cpu),
            cpu_per_core=cores,
            load=load,  # type: ignore[arg-type]
            memory_percent=float(vm.percent),
            memory_used=int(vm.used),
            memory_total=int(vm.total),
            memory_available=int(vm.available),
            swap_percent=float(sw.percent),
            swap_used=int(sw.used),
            swap_total=int(sw.total),
            disks=disks,
            disk_io=disk_io,
            net_sent_bps=sent,
            net_recv_bps=recv,
            components=comps,
        )

    def _disks(self, mono: float) -> tuple[DiskVitals, ...]:
        if mono - self._mounts_at > 60:
            parts = [p for p in psutil.disk_partitions(all=False) if p.fstype not in _SKIP_FSTYPES]
            if not parts:  # containers: only overlay mounts; report the root filesystem
                parts = [p for p in psutil.disk_partitions(all=True) if p.mountpoint == "/"][:1]
            seen: set[str] = set()
            uniq = []
            for p in parts:
                if p.device in seen and p.device:
                    continue
                seen.add(p.device)
                uniq.append(p)
            self._mounts = uniq[:32]
            self._mounts_at = mono
        out = []
        for p in self._mounts:
            try:
                u = psutil.disk_usage(p.mountpoint)
            except OSError:
                continue
            out.append(
                DiskVitals(p.mountpoint, p.device, p.fstype, int(u.total), int(u.used), int(u.free), float(u.percent))
            )
        return tuple(out)

    def _sample_io(self, mono: float) -> tuple[tuple[DiskIO, ...], float, float]:
        disk_io: list[DiskIO] = []
        try:
            counters = psutil.disk_io_counters(perdisk=True) or {}
        except (OSError, RuntimeError):
            counters = {}
        counters = {k: v for k, v in counters.items() if not _SKIP_DISK.match(k)}
        if self._prev_disk is not None:
            t0, prev = self._prev_disk
            dt_s = max(1e-3, mono - t0)
            for dev, c in sorted(counters.items()):
                p = prev.get(dev)
                if p is None:
                    continue
                disk_io.append(
                    DiskIO(
                        dev, max(0, c.read_bytes - p.read_bytes) / dt_s, max(0, c.write_bytes - p.write_bytes) / dt_s
                    )
                )
        self._prev_disk = (mono, counters)
        sent = recv = 0.0
        self._net_errors = self._net_drops = 0
        try:
            n = psutil.net_io_counters()
        except (OSError, RuntimeError):
            n = None
        if n is not None and self._prev_net is not None:
            t0, p = self._prev_net
            dt_s = max(1e-3, mono - t0)
            sent = max(0, n.bytes_sent - p.bytes_sent) / dt_s
            recv = max(0, n.bytes_recv - p.bytes_recv) / dt_s
            self._net_errors = max(0, (n.errin + n.errout) - (p.errin + p.errout))
            self._net_drops = max(0, (n.dropin + n.dropout) - (p.dropin + p.dropout))
        if n is not None:
            self._prev_net = (mono, n)
        return tuple(disk_io), sent, recv

    # -- processes ----------------------------------------------------------------------------------

    def _update_processes(self, mono: float) -> tuple[ComponentVitals, ...]:
        if not self._tracked:
            return ()
        # Read the tracked processes (one /proc pass each, inside oneshot); drop the ones that are gone.
        stats: dict[int, tuple[int, float, int, int, int]] = {}  # count, cpu, rss, threads, fds
        for tr in self._tracked:
            cpu = 0.0
            rss = threads = fds = 0
            for key, p in list(tr.procs.items()):
                try:
                    with p.oneshot():
                        # is_running reads the pid's creation time again (create_time() answers the one
                        # psutil cached): a pid the kernel gave to a new process is not this process
                        if not p.is_running() or p.status() == psutil.STATUS_ZOMBIE:
                            raise psutil.NoSuchProcess(p.pid)
                        cpu += p.cpu_percent(None)
                        rss += p.memory_info().rss
                        threads += p.num_threads()
                        try:
                            fds += p.num_fds()
                        except (psutil.AccessDenied, AttributeError):
                            pass
                except psutil.NoSuchProcess:
                    del tr.procs[key]
                    if key in tr.branches:  # its replacement runs another program: only a scan finds it
                        tr.branches.discard(key)
                        self._branch_gone = True
                    if key in tr.kin:  # a worker or a backend that ended: not a restart
                        tr.kin.discard(key)
                    else:
                        tr.lost += 1
                except psutil.AccessDenied:
                    continue
            stats[id(tr)] = (len(tr.procs), cpu, rss, threads, fds)
        need_scan = (
            mono - self._last_scan >= self.rescan_every or self._branch_gone or any(tr.lost for tr in self._tracked)
        )
        if not need_scan and any(not tr.procs for tr in self._tracked):
            need_scan = mono - self._last_missing_scan >= self.missing_rescan_every
        # Pid files are cheap: read them every time.
        for tr in self._tracked:
            if tr.spec.pidfile:
                self._add_from_pidfile(tr)
        if need_scan and any(tr.spec.name or tr.spec.cmdline for tr in self._tracked):
            self._scan()
            self._last_scan = self._last_missing_scan = mono
            self._branch_gone = False
        for tr in self._tracked:
            self._add_kin(tr, walk_table=need_scan)
        out = []
        for tr in self._tracked:
            # Processes found by this round's scan are measured from the next round (CPU needs two reads).
            count, cpu, rss, threads, fds = stats.get(id(tr), (0, 0.0, 0, 0, 0))
            out.append(
                ComponentVitals(
                    tr.spec.component,
                    count,
                    round(cpu, 3),
                    rss,
                    threads,
                    fds,
                    tr.restarts,
                    tuple(sorted(k[0] for k in tr.procs)),
                )
            )
        return tuple(out)

    def _add(self, tr: _Tracked, p: psutil.Process, *, kin: bool = False, branch: bool = False) -> None:
        try:
            key = (p.pid, p.create_time())
        except psutil.Error:
            return
        if key in tr.procs:
            return
        try:
            p.cpu_percent(None)  # prime: the next call measures from here
        except psutil.Error:
            return
        tr.procs[key] = p
        if kin:
            tr.kin.add(key)
            if branch:
                tr.branches.add(key)
            return
        if tr.seen_any and tr.lost:
            tr.restarts += 1
            tr.restarts_new += 1
            tr.lost -= 1
        tr.seen_any = True

    def _add_from_pidfile(self, tr: _Tracked) -> None:
        try:
            pid = int(Path(os.path.expanduser(tr.spec.pidfile or "")).read_text().split()[0])
            p = psutil.Process(pid)
        except (OSError, ValueError, IndexError, psutil.Error):
            return
        self._add(tr, p)

    def _add_kin(self, tr: _Tracked, *, walk_table: bool) -> None:
        """The descendants of ``tr``'s processes that run their program (see the module's doc)."""
        known = {key[0]: p for key, p in tr.procs.items()}
        for key, root in list(tr.procs.items()):
            if key not in tr.kin or key in tr.branches:
                for p in same_program_descendants(root, known, walk_table=walk_table):
                    self._add(tr, p, kin=True)

    def _scan(self) -> None:
        self.scans += 1
        want_cmd = any(tr.spec.cmdline for tr in self._tracked)
        attrs = ["name", "ppid", "cmdline"] if want_cmd else ["name", "ppid"]
        me = os.getpid()
        found: dict[int, list[tuple[psutil.Process, str, int | None]]] = {id(tr): [] for tr in self._tracked}
        for p in psutil.process_iter(attrs):
            if p.pid == me:
                continue
            info = p.info
            for tr in self._tracked:
                if (tr.spec.name or tr.spec.cmdline) and tr.spec.matches(info.get("name") or "", info.get("cmdline")):
                    found[id(tr)].append((p, info.get("name") or "", info.get("ppid")))
        for tr in self._tracked:
            # A matched process forked by another of the component's is no main process, decided by
            # parentage once all are found: a worker of its master (the same program; also one whose pid
            # is lower than its master's: the pid counter wrapped around), or another program the service
            # started that the config's match finds too (a wrapper's service, a supervisor's child) -- its
            # ending is no restart, and the service's restart counts once.
            names = {p.pid: name for p, name, _ in found[id(tr)]}
            for key, p in tr.procs.items():
                if key[0] not in names:
                    with contextlib.suppress(psutil.Error):
                        names[key[0]] = p.name()
            for p, name, ppid in found[id(tr)]:
                parent = names.get(ppid) if ppid is not None and ppid != p.pid else None
                self._add(tr, p, kin=parent is not None, branch=parent is not None and parent != name)
        # A process that vanished and was not replaced is not waiting to be counted as a restart forever.
        for tr in self._tracked:
            if tr.procs:
                tr.lost = 0

    def _down_events(self, now: dt.datetime) -> list[dict[str, Any]]:
        """An error event when a component's processes go from running to none (and not at startup)."""
        out = []
        for tr in self._tracked:
            up = bool(tr.procs)
            if tr.was_up and not up:
                what = tr.spec.name or tr.spec.cmdline or tr.spec.pidfile
                out.append(
                    {
                        "ts": now,
                        "host": self.host,
                        "component": tr.spec.component,
                        "message": f"Process {what} of {tr.spec.component} is not running (it exited)",
                        "source": self.name,
                        "level": "ERROR",
                    }
                )
            tr.was_up = up
        return out

    # -- rows ---------------------------------------------------------------------------------------

    def rows(self, s: VitalsSnapshot) -> list[dict[str, Any]]:
        ts, host = s.ts, s.host
        out: list[dict[str, Any]] = []

        def m(metric: str, value: float, component: str = HOST_COMPONENT) -> None:
            out.append(
                {
                    "ts": ts,
                    "host": host,
                    "component": component,
                    "metric": metric,
                    "value": float(value),
                    "source": self.name,
                }
            )

        m(CPU_PERCENT, s.cpu_percent)
        for i, pct in enumerate(s.cpu_per_core):
            m(f"{CPU_PERCENT}@core{i}", pct)
        m(LOAD1, s.load[0])
        m("load5", s.load[1])
        m("load15", s.load[2])
        m(MEMORY_PERCENT, s.memory_percent)
        m("memory_used_bytes", s.memory_used)
        m("memory_available_bytes", s.memory_available)
        m("swap_percent", s.swap_percent)
        m("swap_used_bytes", s.swap_used)
        for d in s.disks:
            m(disk_percent(d.mount), d.percent)
            m(f"disk_used_bytes@{d.mount}", d.used)
            m(f"disk_free_bytes@{d.mount}", d.free)
        for io in s.disk_io:
            m(f"disk_read_bps@{io.device}", io.read_bps)
            m(f"disk_write_bps@{io.device}", io.write_bps)
        m("net_sent_bps", s.net_sent_bps)
        m("net_recv_bps", s.net_recv_bps)
        m("net_errors", getattr(self, "_net_errors", 0))
        m("net_drops", getattr(self, "_net_drops", 0))
        for tr, c in zip(self._tracked, s.components, strict=False):  # a snapshot made elsewhere may carry fewer
            m(PROC_COUNT, c.count, c.component)
            m("proc_restarts", tr.restarts_new, c.component)
            tr.restarts_new = 0
            if c.count:
                m("proc_cpu_percent", c.cpu_percent, c.component)
                m("proc_rss_bytes", c.rss_bytes, c.component)
                m("proc_threads", c.threads, c.component)
                m("proc_open_fds", c.open_fds, c.component)
        return out


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
