"""Lokifi's configuration: a typed view of ``lokifi.toml``.

The file lives in the platform config directory (``--config`` / ``$LOKIFI_CONFIG`` override it). No file
means defaults: Lokifi works on first run with no configuration at all. A bad value never crashes a
caller: it is reported in ``Config.problems`` (what, where) and the default is used instead.

Each engine owns its section; sections are plain dataclasses so a reader sees every knob in one place.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analytics.paths import resolve_config


@dataclass(frozen=True)
class Probe:
    kind: str = "http"          # http | tcp
    url: str = ""               # http(s)://...
    method: str = "GET"
    expect_status: int = 200
    host: str = ""              # tcp
    port: int = 0               # tcp
    timeout: float = 5.0


@dataclass(frozen=True)
class Component:
    name: str
    probes: tuple[Probe, ...] = ()
    process: str = ""           # process name or cmdline substring
    pid_file: str = ""
    logs: tuple[str, ...] = ()


@dataclass(frozen=True)
class General:
    host: str = ""              # name stored with local readings; default: this machine's hostname
    refresh_seconds: float = 5.0
    collect_seconds: float = 5.0
    theme: str = ""


@dataclass(frozen=True)
class Retention:
    metrics_days: int = 90
    events_days: int = 180
    predictions_days: int = 365


@dataclass(frozen=True)
class Watch:
    project_dirs: tuple[str, ...] = ()
    log_dirs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Patterns:
    auto_approve_confidence: float = 0.8
    auto_approve_min_samples: int = 5
    suggest_threshold: float = 0.7     # 0.5 | 0.7 | 0.9 as in the seed


@dataclass(frozen=True)
class Predictions:
    window_days: int = 7
    horizon_hours: int = 24
    sensitivity: str = "conservative"   # conservative | moderate | aggressive
    slow_response_ms: float = 1000.0
    recurring_error_count: int = 3


@dataclass(frozen=True)
class Recommendations:
    security_scan_max_age_days: int = 7
    dependency_max_age_days: int = 30
    cache_hit_rate_min: float = 0.5
    response_time_max_ms: float = 1000.0
    large_log_mb: float = 50.0
    disk_free_min_pct: float = 10.0
    cpu_max_pct: float = 80.0
    memory_max_pct: float = 90.0


@dataclass(frozen=True)
class AI:
    base_url: str = ""          # empty: OpenAI's default endpoint when a key is set, else offline
    model: str = "gpt-4o-mini"
    api_key_file: str = ""
    timeout: float = 30.0
    max_retries: int = 2
    cache_ttl_days: int = 30
    redact_ips: bool = True
    redact_hostnames: bool = False
    # USD per 1M tokens: {"model": {"input": x, "output": y}}
    prices: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    name: str
    type: str                   # prometheus | loki
    url: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    general: General = General()
    retention: Retention = Retention()
    watch: Watch = Watch()
    patterns: Patterns = Patterns()
    predictions: Predictions = Predictions()
    recommendations: Recommendations = Recommendations()
    ai: AI = AI()
    components: tuple[Component, ...] = ()
    sources: tuple[Source, ...] = ()
    keymap: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @property
    def host(self) -> str:
        return self.general.host or socket.gethostname()


def _section(cls, raw: Any, where: str, problems: list[str]):
    if raw is None:
        return cls()
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a table, got {type(raw).__name__}; using defaults")
        return cls()
    kwargs = {}
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in raw.items():
        f = fields.get(key)
        if f is None:
            problems.append(f"{where}.{key}: unknown setting (ignored)")
            continue
        default = getattr(cls(), key) if key != "name" else None
        if default is not None and not _type_ok(default, value):
            problems.append(
                f"{where}.{key}: expected {type(default).__name__}, got {type(value).__name__} {value!r}; "
                f"using the default {default!r}"
            )
            continue
        if isinstance(default, tuple) and isinstance(value, list):
            value = tuple(value)
        if isinstance(default, float) and isinstance(value, int):
            value = float(value)
        kwargs[key] = value
    return cls(**kwargs)


def _type_ok(default: Any, value: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, tuple):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if isinstance(default, dict):
        return isinstance(value, dict)
    return True


def _components(raw: Any, problems: list[str]) -> tuple[Component, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append("components: expected [[components]] entries; ignored")
        return ()
    out = []
    for i, c in enumerate(raw):
        where = f"components[{i}]"
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not c["name"]:
            problems.append(f"{where}: needs a name; ignored")
            continue
        probes = []
        for j, p in enumerate(c.get("probes", []) or []):
            probe = _section(Probe, p, f"{where}.probes[{j}]", problems)
            probes.append(probe)
        logs = c.get("logs", [])
        if not isinstance(logs, list) or not all(isinstance(x, str) for x in logs):
            problems.append(f"{where}.logs: expected a list of paths; ignored")
            logs = []
        out.append(Component(
            name=c["name"], probes=tuple(probes), process=str(c.get("process", "")),
            pid_file=str(c.get("pid_file", "")), logs=tuple(logs),
        ))
    return tuple(out)


def _sources(raw: Any, problems: list[str]) -> tuple[Source, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append("sources: expected [[sources]] entries; ignored")
        return ()
    out = []
    for i, s in enumerate(raw):
        where = f"sources[{i}]"
        if not isinstance(s, dict) or not all(isinstance(s.get(k), str) for k in ("name", "type", "url")):
            problems.append(f"{where}: needs name, type (prometheus|loki) and url; ignored")
            continue
        if s["type"] not in ("prometheus", "loki"):
            problems.append(f"{where}.type: {s['type']!r} is not prometheus or loki; ignored")
            continue
        opts = {k: v for k, v in s.items() if k not in ("name", "type", "url")}
        out.append(Source(name=s["name"], type=s["type"], url=s["url"], options=opts))
    return tuple(out)


def parse_config(data: dict[str, Any], path: Path | None = None, problems: list[str] | None = None) -> Config:
    problems = [] if problems is None else problems
    known = {"general", "retention", "watch", "patterns", "predictions", "recommendations", "ai",
             "components", "sources", "keymap"}
    for key in data:
        if key not in known:
            problems.append(f"{key}: unknown section (ignored)")
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
        problems.append("keymap: expected action = \"keys\" pairs; ignored")
        keymap = {}
    return Config(
        path=path,
        general=_section(General, data.get("general"), "general", problems),
        retention=_section(Retention, data.get("retention"), "retention", problems),
        watch=_section(Watch, data.get("watch"), "watch", problems),
        patterns=_section(Patterns, data.get("patterns"), "patterns", problems),
        predictions=_section(Predictions, data.get("predictions"), "predictions", problems),
        recommendations=_section(Recommendations, data.get("recommendations"), "recommendations", problems),
        ai=_section(AI, data.get("ai"), "ai", problems),
        components=_components(data.get("components"), problems),
        sources=_sources(data.get("sources"), problems),
        keymap=dict(keymap),
        problems=tuple(problems),
    )


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the config file; never raises for a bad or missing file (see ``Config.problems``)."""
    p = resolve_config(path)
    problems: list[str] = []
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        if path is not None or os.environ.get("LOKIFI_CONFIG"):
            problems.append(f"{p}: config file not found; using defaults")
        return Config(path=None, problems=tuple(problems))
    except OSError as exc:
        return Config(path=p, problems=(f"{p}: cannot read ({exc.strerror}); using defaults",))
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return Config(path=p, problems=(f"{p}: not UTF-8 text (byte {exc.start}); using defaults",))
    except tomllib.TOMLDecodeError as exc:
        return Config(path=p, problems=(f"{p}: {exc}; using defaults",))
    return parse_config(data, p, problems)
