"""The listening TCP sockets on this machine and which of them ``lokifi config init`` proposes to probe.

A probe is a promise that something will answer there tomorrow. A listener that has been up for
seconds (a test server, ``python3 -m http.server`` tried once) is gone by then, and a port the kernel
picked (a server bound to port 0 gets one from its ephemeral range, and another at its next start) moves:
either way the probe fails from then on, and failed probes raise predictions about a service that never
was. So a listener is proposed only when

* its port is outside the kernel's ephemeral range (``/proc/sys/net/ipv4/ip_local_port_range``), and
* the process holding it has run for at least ``min_uptime`` (:data:`MIN_UPTIME`, 10 min; the oldest
  of the processes holding the socket, so a worker its master restarted does not make nginx young).

The others come back with the reason (:attr:`Listener.skipped`: :data:`YOUNG` or :data:`RANDOM_PORT`),
so the person is told what was left out and can add one by hand. A listener whose process cannot be
seen (another user's, without the rights; another container's) is judged by its port alone: its uptime
is unknown, so ``min_uptime`` cannot be applied, and it is proposed all the same, saying so
(:func:`unseen_summary`): without root, the lasting services (postgres, nginx, redis) all run as other
users, and leaving them out would leave nothing to propose.

Listeners are one service (:attr:`Listener.service`) when one program's processes hold them: the same
process (a daemon on two ports), or one process tree of one program (a master and the workers it forked,
each on a port of its own). Two programs a shell, a supervisor or a test started are two services even
when they are the same program (two ``python3 -m http.server`` on two ports): what decides is the
processes, never the names. A service is as old as its oldest process, so its listeners are young
together or not at all.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import psutil

from analytics.common.disjoint_sets import DisjointSets
from analytics.common.durations import spoken_seconds

MIN_UPTIME = 600.0  # seconds a listener's process has run before it is proposed
YOUNG, RANDOM_PORT = "young", "random port"  # why a listener is not proposed
_SKIP_NAMES = {
    "systemd-resolved",
    "systemd-resolve",
    "cupsd",
    "avahi-daemon",
    "rpcbind",
    "dnsmasq",
    "chronyd",
    "sshd",
    "systemd",
    "containerd",
    "dockerd",
    "exim4",
    "master",
    "rpc.statd",
}
_SKIP_PORTS = {22, 25, 53, 111, 631}


@dataclass(frozen=True)
class Listener:
    """A listening port: the address to probe it on, the process name and pid (``''``/None without the
    rights to see them), how long its service has run (None: unknown), why it is not proposed
    (:data:`YOUNG`, :data:`RANDOM_PORT`; ``''``: it is), and the service it belongs to: the pid of the
    service's first process (listeners with the same one are one service; None: its process is not seen,
    a service of its own)."""

    addr: str
    port: int
    process: str
    pid: int | None
    uptime: float | None
    skipped: str = ""
    service: int | None = None

    @property
    def address(self) -> str:
        """``127.0.0.1:8000``, ``[::1]:8000``."""
        host = f"[{self.addr}]" if ":" in self.addr else self.addr
        return f"{host}:{self.port}"

    @property
    def where(self) -> str:
        """``python3 on 127.0.0.1:8000``."""
        return f"{self.process or 'a process'} on {self.address}"

    @property
    def why(self) -> str:
        """Why it is not proposed, in words: ``up 12 s``, ``a port the kernel picks at random``."""
        if self.skipped == YOUNG and self.uptime is not None:
            return f"up {spoken_seconds(self.uptime)}"
        return "a port the kernel picks at random" if self.skipped == RANDOM_PORT else ""


def ephemeral_ports() -> tuple[int, int]:
    """The range the kernel picks a port from when a server binds port 0 (Linux's
    ``ip_local_port_range``; elsewhere, or unreadable, IANA's 49152-65535)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as f:
            lo, hi = (int(x) for x in f.read().split()[:2])
        if 0 < lo <= hi <= 65535:
            return lo, hi
    except (OSError, ValueError):
        pass
    return (32768, 60999) if sys.platform.startswith("linux") else (49152, 65535)


def skip_reason(uptime: float | None, port: int, min_uptime: float, ephemeral: tuple[int, int]) -> str:
    """Why a listener is not proposed: :data:`RANDOM_PORT` (whatever its age), :data:`YOUNG`, or '' when
    it is."""
    if ephemeral[0] <= port <= ephemeral[1]:
        return RANDOM_PORT
    return YOUNG if uptime is not None and uptime < min_uptime else ""


def _uptime(pids: set[int], now: float) -> float | None:
    ages = []
    for pid in pids:
        try:
            ages.append(now - psutil.Process(pid).create_time())
        except psutil.Error:
            continue
    return max(ages) if ages else None


def _program_root(pid: int) -> int:
    """The first process of ``pid``'s program: up through the parents running the same command line (the
    master that forked it), stopping below the shell, supervisor or test that started the program."""
    try:
        p = psutil.Process(pid)
        command = p.cmdline()
        while command:
            parent = p.parent()
            if parent is None or parent.pid <= 1 or parent.cmdline() != command:
                break
            p = parent
        return p.pid
    except psutil.Error:
        return pid


def _services(holders: dict[int, set[int]]) -> dict[int, set[int]]:
    """The ports one program's processes hold, joined: port -> every process of its service (the holders
    and the first process of their program). Init, and the plumbing that holds sockets for the services
    it starts on demand, joins nothing (it would join every socket-activated service into one)."""
    ports = DisjointSets(holders)
    first_port: dict[int, int] = {}  # a service's process -> the first port seen held by it
    roots: dict[int, set[int]] = {}
    for port, pids in holders.items():
        for pid in sorted(pids):
            try:
                if pid <= 1 or psutil.Process(pid).name() in _SKIP_NAMES:
                    continue
            except psutil.Error:
                continue
            root = _program_root(pid)
            roots.setdefault(port, set()).update({pid, root})
            for p in {pid, root}:
                ports.union(port, first_port.setdefault(p, port))
    out: dict[int, set[int]] = {}
    for group in ports.groups().values():
        pids = set().union(*(roots.get(port, set()) for port in group))
        for port in group:
            out[port] = pids
    return out


def _is_lokifi(pid: int) -> bool:
    """Whether ``pid`` is Lokifi itself (``lokifi collect --metrics-listen``, a dashboard): its own
    /metrics is no service to watch, and its log is the collector's own output."""
    try:
        argv = psutil.Process(pid).cmdline()
    except psutil.Error:
        return False
    return any(os.path.basename(a) == "lokifi" or a.startswith("lokifi_tui.") for a in argv[:3])


def listening(min_uptime: float = MIN_UPTIME) -> list[Listener]:
    """The listening TCP sockets, one per port, in port order, each with its service and why it is not
    proposed (if it is not); the host's own plumbing (ssh, DNS, mail, printing, RPC) left out altogether."""
    try:
        conns = psutil.net_connections(kind="inet")
    except (psutil.AccessDenied, OSError):
        return []
    first: dict[int, tuple[str, int | None]] = {}
    holders: dict[int, set[int]] = {}
    for c in conns:
        if c.status != psutil.CONN_LISTEN or not c.laddr:
            continue
        ip, port = c.laddr.ip, c.laddr.port
        if port in _SKIP_PORTS:
            continue
        if c.pid:
            holders.setdefault(port, set()).add(c.pid)
        if port not in first:
            wildcard = ip in ("0.0.0.0", "", "127.0.0.1")  # noqa: S104 - a listener's address, reached on loopback
            first[port] = ("127.0.0.1" if wildcard else ("::1" if ip in ("::", "::1") else ip), c.pid or None)
    now, ephemeral = time.time(), ephemeral_ports()
    services = _services(holders)
    out = []
    for port, (addr, pid) in sorted(first.items()):
        name = ""
        if pid:
            try:
                name = psutil.Process(pid).name()
            except psutil.Error:
                name = ""
        if name in _SKIP_NAMES or (pid and _is_lokifi(pid)):
            continue
        service = services.get(port, set())
        uptime = _uptime(holders.get(port, set()) | service, now)
        reason = skip_reason(uptime, port, min_uptime, ephemeral)
        out.append(Listener(addr, port, name, pid, uptime, reason, min(service) if service else None))
    return out


def skipped_summary(skipped: list[Listener], min_uptime: float) -> list[str]:
    """Sentences for the person: which listeners were left out and why, one per reason."""
    young = [x for x in skipped if x.skipped == YOUNG]
    random_port = [x for x in skipped if x.skipped == RANDOM_PORT]
    out = []
    if young:
        out.append(
            f"skipped {_count(young)} up for less than {spoken_seconds(min_uptime)} (gone by tomorrow, a probe "
            f"would only fail): {', '.join(f'{x.where} ({x.why})' for x in young)}"
        )
    if random_port:
        lo, hi = ephemeral_ports()
        out.append(
            f"skipped {_count(random_port)} on a port the kernel picks at random ({lo}-{hi}; another one at "
            f"each start): {', '.join(x.where for x in random_port)}"
        )
    return out


def unseen_note(min_uptime: float, *, option: bool = True, many: bool = False) -> str:
    """Why a listener proposed although its process could not be seen is said apart: ``its process could
    not be seen (...), so its uptime is unknown and the --min-uptime check (10 min) could not be applied``
    (``option``; else ``the 10 min uptime check``, for the dashboard, which has no such option; ``many``:
    their processes, their uptimes)."""
    who = "another user's, or another container's" if _euid() != 0 else "another container's, or the kernel's"
    its = "their processes" if many else "its process"
    note = f"{its} could not be seen ({who}), so {'their uptimes are' if many else 'its uptime is'} unknown"
    if min_uptime > 0:
        minimum = spoken_seconds(min_uptime)
        check = f"--min-uptime check ({minimum})" if option else f"{minimum} uptime check"
        note += f" and the {check} could not be applied"
    return note


def unseen_summary(unseen: list[tuple[str, Listener]], min_uptime: float, *, option: bool = True) -> list[str]:
    """A sentence for the person on the listeners proposed although their process could not be seen, each
    given with the name of its entry: ``(port2024, listener)``."""
    if not unseen:
        return []
    many = len(unseen) > 1
    names = ", ".join(f"{name} ({x.address})" for name, x in unseen)
    note = unseen_note(min_uptime, option=option, many=many).split(" ", 1)[1]  # (without its/their)
    which = "the entry of any that is not a lasting service" if many else "its entry if it is not a lasting service"
    return [f"proposed {_count([x for _, x in unseen])} whose {note}: {names}. Remove {which}"]


def _euid() -> int:
    return getattr(os, "geteuid", lambda: -1)()


def _count(xs: list[Listener]) -> str:
    return f"{len(xs)} listener{'' if len(xs) == 1 else 's'}"
