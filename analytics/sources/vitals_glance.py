"""A glance at this host's vitals: CPU, memory, root-disk use, the 1-minute load and the cores, in one
cheap reading — what the dashboard's top bar shows every two seconds (``lokifi_tui.widgets.topbar``).

The vitals source (:mod:`analytics.sources.vitals`) reads the load average through
:func:`load_average` too. psutil is imported by the first full :func:`glance`, not with this module, so
the app's first frame does not wait for it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

PRIME_SECONDS = 0.25  # the first CPU reading is measured over this long (psutil's first one is a bare 0.0)
_primed = False


@dataclass(frozen=True)
class Glance:
    cpu: float | None  # None: not measured yet (a CPU percentage needs an interval)
    mem: float | None  # None: not read yet (an instant glance reads only what the standard library can)
    disk: float  # % of the root filesystem used
    load: float  # 1-minute load average
    cores: int


def load_average() -> tuple[float, float, float]:
    """The 1-, 5- and 15-minute load averages (zeros where the system has none)."""
    try:
        return os.getloadavg()
    except (OSError, AttributeError):
        return (0.0, 0.0, 0.0)


def glance(*, instant: bool = False) -> Glance:
    """One cheap psutil reading of this host (non-blocking CPU percent since the previous call).

    The very first call measures CPU over PRIME_SECONDS, because ``cpu_percent(interval=None)`` has
    nothing to compare with yet and would show 0 % on a busy host. ``instant``: what a first frame can
    show before psutil is even imported (about 50 ms): disk and load from the standard library, CPU and
    memory left for the first full reading."""
    if instant:
        import shutil

        try:
            usage = shutil.disk_usage(os.path.abspath(os.sep))
            # as psutil and df count it: of the space a user can fill (blocks reserved for root left out),
            # so the first frame's figure is the one the next reading shows
            room = usage.used + usage.free
            disk = 100.0 * usage.used / room if room else 0.0
        except OSError:
            disk = 0.0
        return Glance(cpu=None, mem=None, disk=disk, load=load_average()[0], cores=os.cpu_count() or 1)

    import psutil

    global _primed
    if _primed:
        cpu = psutil.cpu_percent(interval=None)
    else:
        cpu = psutil.cpu_percent(interval=PRIME_SECONDS)
        _primed = True
    try:
        disk = psutil.disk_usage(os.path.abspath(os.sep)).percent
    except OSError:
        disk = 0.0
    return Glance(
        cpu=cpu,
        mem=psutil.virtual_memory().percent,
        disk=disk,
        load=load_average()[0],
        cores=psutil.cpu_count() or 1,
    )
