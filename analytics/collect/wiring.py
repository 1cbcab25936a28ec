"""Building the collector's sources from the config: vitals always; probes, log tails, the journal and
fleet sources (Prometheus, Loki) when configured.

Each source built here carries ``built_from``: the settings it was made from. A collector that reloads
its config builds the sources again and keeps each running one whose ``built_from`` is the same, so a
reload restarts only the sources whose settings changed."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from analytics.sources.fleet import fleet_factory

log = logging.getLogger("lokifi.collector")


def build_sources(config: Any, *, from_start: bool = False, host: str | None = None) -> list[Any]:
    """The sources the config asks for: vitals always; probes, log tails and fleet sources if configured."""
    from analytics.sources.probes import ProbeSource
    from analytics.sources.tail import LogSpec, TailSource
    from analytics.sources.vitals import process_specs, vitals_from_config

    host = host or config.host
    c = getattr(config, "collect", None)
    probe_s = float(getattr(c, "probe_seconds", 0) or config.general.collect_seconds or 5.0)
    tail_s = float(getattr(c, "tail_seconds", 0) or 2.0)
    max_line = int(getattr(c, "max_line_bytes", 65536) or 65536)

    probes, logs = [], []
    for comp in config.components:
        for i, p in enumerate(comp.probes):
            spec = probe_spec(comp.name, p, i)
            if spec is not None:
                probes.append(spec)
        for path in comp.logs:
            logs.append(LogSpec(comp.name, path))
    names = [comp.name for comp in config.components]
    for d in getattr(config.watch, "log_dirs", ()):
        logs.append(LogSpec("", str(Path(os.path.expanduser(d)) / "*.log")))

    processes = tuple(process_specs(config))
    vitals_from = (
        config.general.collect_seconds,
        getattr(c, "vitals_seconds", 0),
        getattr(c, "process_rescan_seconds", 0),
    )
    sources: list[Any] = [_built(vitals_from_config(config, host), host, vitals_from, processes)]
    if probes:
        sources.append(_built(ProbeSource(probes, host, interval=probe_s), host, probe_s, tuple(probes)))
    if logs:
        tail = TailSource(logs, host, interval=tail_s, from_start=from_start, max_line=max_line, component_names=names)
        sources.append(_built(tail, host, tail_s, max_line, tuple(logs), tuple(names)))
    if getattr(config.watch, "journal", False):
        from analytics.sources.journal import JournalSource

        sources.append(_built(JournalSource(host, interval=max(tail_s, 15.0)), host, tail_s))
    for src in getattr(config, "sources", ()):
        try:
            factory = fleet_factory(src.type)
        except KeyError:
            log.warning("source %s: the %s source is not available in this build", src.name, src.type)
            continue
        try:
            sources.append(_built(factory(src, config), src))
        except Exception as exc:  # noqa: BLE001 — a bad fleet source must not stop local collection
            log.warning("source %s: %s", src.name, exc)
    return sources


def _built(source: Any, *settings: Any) -> Any:
    source.built_from = (type(source).__name__, source.name, *settings)
    return source


def probe_spec(component: str, p: Any, index: int = 0) -> Any:
    """A :class:`ProbeSpec` from a config probe (None when it names no target)."""
    from analytics.sources.probes import ProbeSpec

    kind = (getattr(p, "kind", "http") or "http").lower()
    if kind == "tcp":
        host, port = getattr(p, "host", ""), int(getattr(p, "port", 0) or 0)
        target = getattr(p, "address", "") or (f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
        if not host and not getattr(p, "address", ""):
            return None
    else:
        target = getattr(p, "url", "")
        if not target:
            return None
    expect = getattr(p, "expect_status", 0)
    if isinstance(expect, int):
        expect = (expect,) if expect else ()
    expect_t = tuple(int(x) for x in expect)
    headers = tuple(sorted((getattr(p, "headers", {}) or {}).items()))
    return ProbeSpec(
        component=component,
        kind=kind,
        target=target,
        name=getattr(p, "name", "") or "",
        method=(getattr(p, "method", "GET") or "GET").upper(),
        expect_status=expect_t,
        timeout=float(getattr(p, "timeout", 5.0) or 5.0),
        verify_tls=bool(getattr(p, "verify_tls", True)),
        headers=headers,
        body_contains=getattr(p, "body_contains", "") or None,
    )
