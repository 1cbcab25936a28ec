"""The names the vitals source (:mod:`analytics.sources.vitals`) writes the host's vitals under, for the
parts that read or write them by name: the dashboard seeds its top bar's sparklines from them, the demo
writes its host's history under them. Names only, so reading them loads no psutil."""

from __future__ import annotations

#: the component of every machine-wide reading
HOST_COMPONENT = "host"
#: total CPU, % of all cores
CPU_PERCENT = "cpu_percent"
#: memory in use, %
MEMORY_PERCENT = "memory_percent"
#: the 1-minute load average
LOAD1 = "load1"
#: the mount whose fullness the top bar shows
ROOT_MOUNT = "/"
#: a component's running processes (0: none, its service is down)
PROC_COUNT = "proc_count"


def disk_percent(mount: str) -> str:
    """The metric of one mount's used space, % (``disk_percent@/``)."""
    return f"disk_percent@{mount}"
