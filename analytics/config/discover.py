"""What runs here beyond listening sockets: systemd services and containers, for ``lokifi config init``.

* systemd: the running services (``systemctl list-units --type=service --state=running``), read-only;
  only unit names are read — never unit files or environments, so no secret can reach the proposal.
* containers: the Docker Engine API (also spoken by podman) on a readable unix socket — ``DOCKER_HOST``
  (``unix://``) or the usual paths — ``GET /containers/json``: each running container's name and the
  ports it publishes on this host (probed like any listening port).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass, field

#: the host's own plumbing: never a service a person wants proposed
_PLUMBING_PREFIXES = (
    "systemd-",
    "dbus",
    "getty",
    "user@",
    "user-runtime-dir",
    "polkit",
    "udisks",
    "accounts-daemon",
    "rsyslog",
    "cron",
    "ssh",
    "serial-getty",
    "networkd-dispatcher",
    "unattended-upgrades",
    "packagekit",
    "snapd",
    "ModemManager",
    "NetworkManager",
    "wpa_supplicant",
    "containerd",
    "docker",
    "podman",
    "chrony",
    "ntp",
    "irqbalance",
    "multipathd",
    "lvm2",
    "blk-availability",
)
SOCKETS = ("/var/run/docker.sock", "/run/podman/podman.sock", f"/run/user/{os.getuid()}/podman/podman.sock")


@dataclass
class Container:
    name: str
    image: str = ""
    ports: list[int] = field(default_factory=list)  # published on this host (tcp)


def systemd_services(timeout: float = 5.0) -> list[str]:
    """Running service units as service names (``nginx.service`` -> ``nginx``, ``postgresql@15-main`` ->
    ``postgresql``), the host's own plumbing left out; [] without systemd."""
    exe = shutil.which("systemctl")
    if exe is None:
        return []
    try:
        r = subprocess.run(
            [exe, "list-units", "--type=service", "--state=running", "--no-legend", "--plain", "--no-pager"],
            capture_output=True,
            timeout=timeout,
            check=False,
            text=True,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if r.returncode != 0:
        return []
    out: list[str] = []
    for line in r.stdout.splitlines():
        unit = line.split(None, 1)[0] if line.strip() else ""
        if not unit.endswith(".service") or unit.startswith(_PLUMBING_PREFIXES):
            continue
        name = unit.removesuffix(".service").split("@", 1)[0]
        if name and name not in out:
            out.append(name)
    return out


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def container_socket() -> str | None:
    host = os.environ.get("DOCKER_HOST", "")
    candidates = [host.removeprefix("unix://")] if host.startswith("unix://") else []
    for p in [*candidates, *SOCKETS]:
        if p and os.path.exists(p) and os.access(p, os.R_OK | os.W_OK):
            return p
    return None


def containers(timeout: float = 2.0) -> list[Container]:
    """Running containers from the Docker/podman API on a readable socket; [] when there is none."""
    path = container_socket()
    if path is None:
        return []
    conn = _UnixHTTP(path, timeout)
    try:
        conn.request("GET", "/containers/json", headers={"Host": "localhost"})
        r = conn.getresponse()
        if r.status != 200:
            return []
        data = json.loads(r.read(4 << 20))
    except (OSError, http.client.HTTPException, ValueError):
        return []
    finally:
        conn.close()
    out = []
    for c in data if isinstance(data, list) else []:
        if not isinstance(c, dict):
            continue
        names = c.get("Names") or []
        name = (names[0] if names else str(c.get("Id", ""))[:12]).lstrip("/")
        ports = sorted(
            {
                int(p["PublicPort"])
                for p in c.get("Ports") or []
                if isinstance(p, dict) and p.get("PublicPort") and p.get("Type", "tcp") == "tcp"
            }
        )
        if name:
            out.append(Container(name, str(c.get("Image", "")), ports))
    return out
