"""A starting ``lokifi.toml`` for this machine: what ``lokifi config init`` writes.

Owns detection of what runs here — listening TCP ports and the processes behind them
(:mod:`analytics.config.listeners`: only those up for a while, on a port that stays), which of them answer
HTTP (a short request on loopback), well-known services by name and port (postgres, redis, nginx, ...),
and their log files (:mod:`analytics.config.log_files`: text, not Lokifi's own) — and the commented
template that turns what was found into components with probes, processes and logs (its fixed text in
:mod:`analytics.config.starter_text`). Listeners left out are written commented out, with why.
Everything found is a suggestion the person edits; nothing is started, stopped or changed.
"""

from __future__ import annotations

import concurrent.futures as cf
import fnmatch
import http.client
import os
import shutil
import subprocess
import textwrap
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from analytics.common.durations import spoken_seconds
from analytics.common.replaced_file import replaced
from analytics.config.listeners import MIN_UPTIME, Listener, listening, unseen_note
from analytics.config.log_files import DIR_SERVICE, OwnFiles, logs_in, written_logs
from analytics.config.log_owners import divide, marks, owners
from analytics.config.machine import this_host
from analytics.config.selectors import processes, selector
from analytics.config.starter_text import EXAMPLE_COMPONENT, FOOTER, HEADER, PROM_EXAMPLE, SKIPPED

#: port -> (service, speaks HTTP?)
WELL_KNOWN = {
    80: ("http", True),
    443: ("https", True),
    3000: ("frontend", True),
    5000: ("backend", True),
    8000: ("backend", True),
    8080: ("backend", True),
    8443: ("backend", True),
    5432: ("postgres", False),
    6379: ("redis", False),
    3306: ("mysql", False),
    27017: ("mongodb", False),
    11211: ("memcached", False),
    5672: ("rabbitmq", False),
    9200: ("elasticsearch", True),
    9090: ("prometheus", True),
    3100: ("loki", True),
    9092: ("kafka", False),
}
#: process name -> service name
NAMES = {
    "postgres": "postgres",
    "postmaster": "postgres",
    "redis-server": "redis",
    "mysqld": "mysql",
    "mariadbd": "mysql",
    "mongod": "mongodb",
    "nginx": "nginx",
    "apache2": "apache",
    "httpd": "apache",
    "memcached": "memcached",
    "beam.smp": "rabbitmq",
    "node": "node",
    "gunicorn": "backend",
    "uvicorn": "backend",
    "caddy": "caddy",
    "prometheus": "prometheus",
    "loki": "loki",
}
LOGS = {
    "nginx": ["/var/log/nginx/error.log"],
    "apache": ["/var/log/apache2/error.log", "/var/log/httpd/error_log"],
    "postgres": ["/var/log/postgresql/*.log"],
    "redis": ["/var/log/redis/*.log"],
    "mysql": ["/var/log/mysql/error.log"],
    "mongodb": ["/var/log/mongodb/mongod.log"],
}


@dataclass
class Found:
    """One detected service: becomes a [[components]] entry. ``http`` and ``tcp`` are the probes proposed;
    ``left_out`` the listeners not proposed (too young, a port the kernel picked), each with its probe's URL
    ('' for a TCP probe): written commented out, with why, in the entry, or as the whole entry when nothing
    of it is proposed (``skipped``)."""

    name: str
    process: str = ""
    http: list[str] = field(default_factory=list)
    tcp: list[tuple[str, int]] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    note: str = ""  # where it was found, when not from a socket (a systemd service, a container)
    left_out: list[tuple[Listener, str]] = field(default_factory=list)
    skipped: bool = False  # the whole entry is written commented out
    same_process: list[str] = field(default_factory=list)  # the other entries with the same process name
    cmdline: str = ""  # the part of its command line that is its own, when other processes have its name
    namesakes: int = 0  # processes outside it with its process name
    program: str = ""  # what its instances are called (postgres-5432 and postgres-5433: postgres)
    marks: frozenset[str] = frozenset()  # what it is known by (:func:`~analytics.config.log_owners.marks`)
    unseen: list[Listener] = field(default_factory=list)  # proposed although their process could not be seen


def service_name(listeners: list[Listener]) -> str:
    """What a service is called: after its program when it is a known one (postgres, nginx), else a
    well-known port (backend), else its process name, else its first port (``port2024``)."""
    return (
        next((NAMES[x.process] for x in listeners if x.process in NAMES), "")
        or next((WELL_KNOWN[x.port][0] for x in listeners if x.port in WELL_KNOWN), "")
        or next((x.process for x in listeners if x.process), "")
        or f"port{listeners[0].port}"
    )


def services(listeners: list[Listener]) -> dict[str, list[Listener]]:
    """The listeners by service (:attr:`Listener.service`), in port order, each service under a name unique
    among them and the same whether it is proposed or left out: :func:`service_name`, followed by its first
    port when another service would have the same name (``python3-8000``, ``python3-8001``)."""
    by_service: dict[object, list[Listener]] = {}
    for x in sorted(listeners, key=lambda x: x.port):
        by_service.setdefault(x.service if x.service is not None else ("port", x.port), []).append(x)
    names = {key: service_name(xs) for key, xs in by_service.items()}
    counts = Counter(names.values())
    out: dict[str, list[Listener]] = {}
    for key, xs in by_service.items():
        name = names[key] if counts[names[key]] == 1 else f"{names[key]}-{xs[0].port}"
        while name in out or (name != names[key] and name in counts):
            name += f"-{xs[0].port}"
        out[name] = xs
    return out


def _answers_http(host: str, port: int, timeout: float = 0.5) -> int | None:
    """The status an HTTP GET / gets on this port, or None when it does not speak HTTP."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", "/", headers={"User-Agent": "lokifi-config-init", "Connection": "close"})
        return conn.getresponse().status
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        conn.close()


def detect(
    max_ports: int = 24,
    min_uptime: float = MIN_UPTIME,
    own: OwnFiles | None = None,
    redact: Callable[[str], str] | None = None,
) -> list[Found]:
    """The services listening here (at most ``max_ports`` ports proposed, and as many left out), one
    ``Found`` each (:func:`services`), with their probes and the log files their processes write.
    Listeners up for less than ``min_uptime`` seconds or on a port the kernel picked are ``left_out``; a
    service with nothing else comes back ``skipped`` and after the others. A service whose process name
    other processes have gets the part of its command line that is its own
    (:func:`~analytics.config.selectors.selector`; ``redact`` removes passwords from a command line,
    without it none is proposed)."""
    found_all = listening(min_uptime)
    kept = [x for x in found_all if not x.skipped][:max_ports]
    socks = kept + [x for x in found_all if x.skipped][:max_ports]
    with cf.ThreadPoolExecutor(8) as pool:
        http_status = dict(
            zip(
                [s.port for s in socks],
                pool.map(
                    lambda s: _answers_http(s.addr, s.port) if WELL_KNOWN.get(s.port, ("", True))[1] else None,
                    socks,
                ),
                strict=True,
            )
        )
    own = own if own is not None else OwnFiles()
    procs = processes()
    found: list[Found] = []
    written: dict[str, list[str]] = {}
    for name, xs in services(socks).items():
        f = Found(name, process=next((x.process for x in xs if x.process), ""), program=service_name(xs))
        pids = {x.pid for x in xs if x.pid} | {x.service for x in xs if x.service}
        f.marks = marks(pids, [x.port for x in xs], procs)
        if f.process:
            chosen = selector(pids, f.process, procs, redact)
            f.cmdline, f.namesakes = chosen.cmdline, chosen.others
        for s in xs:
            host = f"[{s.addr}]" if ":" in s.addr else s.addr
            url = f"http://{host}:{s.port}/" if http_status.get(s.port) is not None else ""
            if s.skipped:
                f.left_out.append((s, url))
            elif url:
                f.http.append(url)
            else:
                f.tcp.append((s.addr, s.port))
            if not s.skipped and s.pid is None:
                f.unseen.append(s)
        f.skipped = not (f.http or f.tcp)
        for pattern in LOGS.get(f.program, []):
            p = Path(pattern)
            matches = sorted(p.parent.glob(p.name)) if "*" in pattern else [p]
            if any(m.is_file() and os.access(m, os.R_OK) for m in matches):
                f.logs.append(pattern)
        # the files its processes write, where they were told to log (``pg_ctl -l /srv/pg.log``)
        written[name] = [path for pid in sorted({x.pid for x in xs if x.pid}) for path in written_logs(pid, own)]
        f.logs += [x for x in written[name] if not any(fnmatch.fnmatch(x, pattern) for pattern in f.logs)]
        found.append(f)
    for program in {f.program for f in found}:  # instances of one program: each keeps its own logs
        group = {f.name: f for f in found if f.program == program}
        if len(group) > 1:
            logs, marked = {n: f.logs for n, f in group.items()}, {n: f.marks for n, f in group.items()}
            for n, mine in divide(logs, {n: written[n] for n in group}, marked).items():
                group[n].logs = mine
    for f in found:
        f.same_process = [g.name for g in found if g is not f and f.process and g.process == f.process]
    return [f for f in found if not f.skipped] + [f for f in found if f.skipped]


def prometheus_on_loopback(port: int = 9090, timeout: float = 0.5) -> str | None:
    """The URL of a Prometheus answering on loopback (its build-info API), else None."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/api/v1/status/buildinfo", headers={"User-Agent": "lokifi-config-init"})
        r = conn.getresponse()
        return f"http://127.0.0.1:{port}" if r.status == 200 and b'"success"' in r.read(4096) else None
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        conn.close()


def discover(
    log_dirs: list[str] | None = None,
    *,
    services: bool = True,
    min_uptime: float = MIN_UPTIME,
    db: str | os.PathLike[str] | None = None,
    redact: Callable[[str], str] | None = None,
) -> tuple[list[Found], str | None]:
    """Listening services (when ``services``) joined with the logs found in ``log_dirs`` (default
    ``/var/log``): a service with a log directory gets its logs; a log directory without a listening
    service is a component of its own. Also a Prometheus on loopback, if one answers. Services left out
    (:func:`detect`) come last, ``skipped``, unless found another way (a systemd unit, a log directory of
    the same name): then their probes are in that entry, commented out. Nothing of Lokifi's own (its directories, the
    database ``db`` and the files beside it) is proposed as a log."""
    own = OwnFiles(db)
    detected = detect(min_uptime=min_uptime, own=own, redact=redact) if services else []
    skipped = [f for f in detected if f.skipped]
    found = {f.name: f for f in detected if not f.skipped}
    if services:
        from analytics.config.discover import containers, systemd_services

        ports = {p for f in detected for _, p in f.tcp} | {
            int(u.rsplit(":", 1)[1].rstrip("/")) for f in detected for u in f.http
        }
        ports |= {x.port for f in detected for x, _ in f.left_out}
        for c in containers():
            f = found.setdefault(c.name, Found(c.name, note=f"container ({c.image})" if c.image else "container"))
            for port in c.ports:
                if port not in ports:
                    f.tcp.append(("127.0.0.1", port))
        for unit in systemd_services():
            name = DIR_SERVICE.get(unit, unit)
            found.setdefault(name, Found(name, note=f"systemd service {unit}.service"))
    for name, files in logs_in(list(log_dirs) if log_dirs else ["/var/log"], own).items():
        # a file a component already names is read once, by it; instances of the program the directory
        # is named for (two postgres clusters, postgresql/) each get the files that are theirs
        named = [pattern for g in found.values() for pattern in g.logs]
        files = [x for x in files if not any(x == pattern or fnmatch.fnmatch(x, pattern) for pattern in named)]
        instances = {g.name: g.marks for g in found.values() if g.program == name}
        mine = owners(files, instances) if len(instances) > 1 else {}
        for x, owner in mine.items():
            found[owner].logs.append(x)
        if rest := [x for x in files if x not in mine]:
            found.setdefault(name, Found(name)).logs.extend(rest)
    prom = prometheus_on_loopback() if services else None
    for f in skipped:  # a young service also found another way: its probes in that entry, commented out
        if f.name in found:
            found[f.name].left_out += f.left_out
    return [*found.values(), *(f for f in skipped if f.name not in found)], prom


def journal_readable() -> bool:
    """The systemd journal has entries this user can read (``journalctl -n 1`` prints one): then
    `[watch] journal = true` is proposed (the source that reads it: :mod:`analytics.sources.journal`)."""
    exe = shutil.which("journalctl")
    if exe is None:
        return False
    try:
        r = subprocess.run(
            [exe, "-q", "-n", "1", "-o", "json", "--no-pager"], capture_output=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return r.returncode == 0 and r.stdout.strip().startswith(b"{")


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(
    found: list[Found],
    host: str | None = None,
    prometheus: str | None = None,
    journal: bool = False,
    min_uptime: float = MIN_UPTIME,
) -> str:
    """The commented starting file; services left out (``skipped``) at the end of the components,
    commented out, each with why; a proposed service's listeners left out, commented out in its entry."""
    host = host or this_host()
    journal_line = (
        "journal = true                       # the systemd journal's errors, per unit (found readable)"
        if journal
        else "# journal = true                     # the systemd journal's errors, per unit"
    )
    parts = [HEADER.format(host=host, journal=journal_line)]
    proposed = [f for f in found if not f.skipped]
    left = [f for f in found if f.skipped]
    if not proposed:
        first = "# Nothing to propose (the listeners left out are below)." if left else "# Nothing listening was found."
        parts.append(EXAMPLE_COMPONENT.replace("# Nothing listening was found.", first))
    for f in proposed:
        parts.append(_component(f, min_uptime))
    if left:
        parts.append(SKIPPED.format(min_uptime=spoken_seconds(min_uptime)))
        parts += ["\n".join(f"# {x}".rstrip() for x in _component(f).splitlines()) + "\n" for f in left]
    footer = FOOTER
    if prometheus:
        footer = footer.replace(
            PROM_EXAMPLE,
            f'[[sources]]\nname = "prom"\ntype = "prometheus"\nurl = {_q(prometheus)}'
            "          # found answering on this machine\n",
        )
    parts.append(footer)
    return "\n".join(parts)


def _component(f: Found, min_uptime: float = MIN_UPTIME) -> str:
    """One [[components]] entry with its probes; those of listeners left out commented out, with why (all
    of them, unmarked, when the whole entry is: :func:`render` comments it out)."""
    note = _left_out_note([x for x, _ in f.left_out]) if f.skipped else f.note
    lines = ["[[components]]", f"name = {_q(f.name)}" + (f"        # {note}" if note else "")]
    if f.unseen and not f.skipped:
        said = f"{unseen_note(min_uptime, many=len(f.unseen) > 1)}: proposed all the same. Remove this entry"
        lines += textwrap.wrap(
            f"{said[0].upper()}{said[1:]} if it is not a lasting service.",
            104,
            initial_indent="# ",
            subsequent_indent="# ",
        )
    lines.append(_selector_line(f))
    if f.logs:
        lines.append("logs = [" + ", ".join(_q(x) for x in f.logs) + "]")
    else:
        lines.append('# logs = ["/var/log/..."]')
    for url in f.http:
        lines += _probe(url)
    for addr, port in f.tcp:
        lines += _probe("", addr, port)
    for x, url in f.left_out:
        if f.skipped:
            lines += _probe(url, x.addr, x.port)
        else:
            block = _probe(url, x.addr, x.port)
            block[1] += f'      # left out, {x.where}: {x.why}; remove the "# " before its lines to probe it'
            lines += ["", *(f"# {line}" for line in block[1:])]
    return "\n".join(lines) + "\n"


def _selector_line(f: Found) -> str:
    """How the entry finds its processes: ``process`` when no other process has its name, else the part
    of its command line that is its own (or, none found, the name with how to tell them apart)."""
    if not f.process:
        return '# process = "..."     # its process name (none was seen from here)'
    if not f.same_process and not f.namesakes:
        return f'process = {_q(f.process)}        # process name; or cmdline = "...", pid_file = "..."'
    *first, last = f.same_process or [""]
    who = (
        f"{', '.join(first)} and {last} run"
        if first
        else f"{last} runs"
        if last
        else f"{f.namesakes} other process{'es run' if f.namesakes != 1 else ' runs'}"
    )
    if f.cmdline:
        return f"cmdline = {_q(f.cmdline)}        # its own part of its command line: {who} {f.process} too"
    return f'process = {_q(f.process)}        # {who} it too: tell them apart with cmdline = "..." or pid_file = "..."'


def _probe(url: str, addr: str = "", port: int = 0) -> list[str]:
    """A probe's lines (a blank one first): HTTP at ``url``, else TCP to ``addr``:``port``."""
    if url:
        return [
            "",
            "  [[components.probes]]",
            '  kind = "http"',
            f"  url = {_q(url)}",
            "  expect_status = 0          # 0: any 2xx/3xx; or 200, or [200, 204]",
            "  timeout = 5.0",
        ]
    return [
        "",
        "  [[components.probes]]",
        '  kind = "tcp"',
        f"  host = {_q(addr)}",
        f"  port = {port}",
        "  timeout = 3.0",
    ]


def _left_out_note(left: list[Listener]) -> str:
    """``python3 on 127.0.0.1:8000, 127.0.0.1:8001: up 12 s``: the listeners by why they were left out."""
    by_why: dict[str, list[Listener]] = {}
    for x in left:
        by_why.setdefault(x.why, []).append(x)
    return "; ".join(
        f"{xs[0].where.removesuffix(xs[0].address)}{', '.join(x.address for x in xs)}: {why}"
        for why, xs in by_why.items()
    )


def write_starter(
    path: Path,
    *,
    detect_services: bool = True,
    force: bool = False,
    log_dirs: list[str] | None = None,
    min_uptime: float = MIN_UPTIME,
    db: str | os.PathLike[str] | None = None,
    redact: Callable[[str], str] | None = None,
) -> tuple[Path, list[Found]]:
    """Write the starting file (refuses to overwrite unless ``force``). Returns (path, what was found)."""
    if path.exists() and not force:
        raise FileExistsError(f"{path} already exists; use --force to replace it (a backup is kept as .bak)")
    found, prom = (
        discover(log_dirs, services=detect_services, min_uptime=min_uptime, db=db, redact=redact)
        if detect_services or log_dirs
        else ([], None)
    )
    journal = detect_services and journal_readable()
    write_text(path, render(found, prometheus=prom, journal=journal, min_uptime=min_uptime), replace=True)
    return path, found


def write_text(path: Path, text: str, *, replace: bool = False) -> None:
    """Write the file atomically; an existing one is kept as ``.bak`` (``replace``) or left alone.

    The text goes to a new file beside it, which then replaces ``path`` (:mod:`analytics.common.replaced_file`:
    never opened through a link someone planted in a directory others can write). It gets the mode the
    file had, or a new file's usual mode (0666 less the umask): a collector running as another user
    reads it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = None
    if path.exists():
        if not replace:
            raise FileExistsError(f"{path} already exists")
        mode = path.stat().st_mode & 0o7777
        bak = path.with_name(path.name + ".bak")
        try:
            path.replace(bak)
        except OSError as exc:  # (named: the error is about the backup, not the file)
            raise OSError(exc.errno, f"cannot keep the old file as {bak}: {exc.strerror}") from None
    with replaced(path, mode=mode) as out:
        out.write(text)
