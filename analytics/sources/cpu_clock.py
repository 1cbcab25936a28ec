"""The host's CPU clock and this process's own, read without psutil where the kernel offers it.

``lokifi status`` measures the host's CPU over a window of its own start-up and leaves its own CPU
seconds out (:func:`lokifi_tui.cli.status._without_own_cpu`). The window's first reading is taken before
anything heavy is imported (the ``lokifi`` executable takes it first thing for ``status``), so on Linux it
is read from ``/proc/stat`` directly, counted as psutil counts ``cpu_percent``; elsewhere through psutil.
"""

from __future__ import annotations

import os


def cpu_clock() -> tuple[float, float, float]:
    """(host busy seconds, host total seconds, this process's CPU seconds), summed over every core."""
    own = os.times()
    host = _proc_stat()
    if host is None:
        host = _psutil_times()
    return host[0], host[1], own.user + own.system


def _proc_stat() -> tuple[float, float] | None:
    """Linux: the aggregate ``cpu`` line (user nice system idle iowait irq softirq steal guest
    guest_nice, in clock ticks). As psutil counts: guest time is already inside user/nice, iowait is idle."""
    try:
        with open("/proc/stat", "rb") as f:
            first = f.readline().split()
        ticks = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, AttributeError):
        return None
    if not first or first[0] != b"cpu" or len(first) < 5:
        return None
    v = [int(x) for x in first[1:11]] + [0] * (11 - len(first))
    total = sum(v) - v[8] - v[9]
    idle = v[3] + v[4]
    return (total - idle) / ticks, total / ticks


def _psutil_times() -> tuple[float, float]:
    import psutil

    t = psutil.cpu_times()
    total = sum(t) - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)
    idle = t.idle + getattr(t, "iowait", 0.0)
    return total - idle, total
