"""Lokifi's configuration: a typed view of ``lokifi.toml``.

The file lives in the platform config directory (``--config`` / ``$LOKIFI_CONFIG`` override it). No file
means defaults: Lokifi works on first run with no configuration at all. A bad value never crashes a
caller: it is reported in ``Config.problems`` (what, where) and the default is used instead.

Each engine owns its section; sections are plain dataclasses so a reader sees every knob in one place.

Reading the file's text (the line of each key, bad lines set aside so the rest still applies) is
:mod:`analytics.config.toml_lines`.

One module: every section's dataclass, its validation and the load that applies them are here, so a
reader sees every knob and what a bad value of it falls back to in one place.
"""

from __future__ import annotations

import dataclasses
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from analytics.config.machine import this_host
from analytics.config.paths import resolve_config
from analytics.config.toml_lines import WARNING, Issue, issue_of, locate_keys, parse_salvaging

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


@dataclass(frozen=True)
class Probe:
    kind: str = "http"  # http | tcp
    url: str = ""  # http(s)://...
    method: str = "GET"
    expect_status: int | tuple[int, ...] = 200  # one status or a list; 0: any 2xx/3xx
    host: str = ""  # tcp
    port: int = 0  # tcp
    timeout: float = 5.0
    name: str = ""  # shown in probe_results; default: the URL or host:port
    verify_tls: bool = True  # false: accept self-signed certificates
    body_contains: str = ""  # http: the body must contain this text
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Component:
    name: str
    probes: tuple[Probe, ...] = ()
    process: str = ""  # process name (exact); a value with a space or "/" matches the command line
    cmdline: str = ""  # substring of the command line
    pid_file: str = ""
    logs: tuple[str, ...] = ()  # files or globs; error lines are attributed to this component


@dataclass(frozen=True)
class General:
    host: str = ""  # name stored with local readings; default: this machine's hostname
    refresh_seconds: float = 5.0
    collect_seconds: float = 5.0
    theme: str = ""


@dataclass(frozen=True)
class Collect:
    """Live collection (analytics/collect/loop.py). Intervals in seconds; 0 means general.collect_seconds."""

    vitals_seconds: float = 0.0
    probe_seconds: float = 0.0
    tail_seconds: float = 2.0
    flush_seconds: float = 60.0  # how often collected samples are written (one transaction)
    event_flush_seconds: float = 5.0  # sooner when error events (log errors, failed probes) wait
    refresh_seconds: float = 60.0  # how often the engines' refresh hooks run
    hooks: tuple[str, ...] = ()  # "module:function"; empty: the built-in list
    process_rescan_seconds: float = 60.0
    max_line_bytes: int = 65536  # longer log lines are cut (and marked) at this size


@dataclass(frozen=True)
class Retention:
    metrics_days: int = 90
    events_days: int = 180
    predictions_days: int = 365
    fix_history_days: int = 365  # outcomes of superseded solutions; the current solution's are kept


@dataclass(frozen=True)
class Watch:
    project_dirs: tuple[str, ...] = ()
    log_dirs: tuple[str, ...] = ()
    journal: bool = False  # read the systemd journal's error entries (analytics.sources.journal)


@dataclass(frozen=True)
class Patterns:
    auto_approve_confidence: float = 0.8
    auto_approve_min_samples: int = 5
    suggest_threshold: float = 0.7  # 0.5 | 0.7 | 0.9 as in the seed


@dataclass(frozen=True)
class Alerts:
    """Where live predictions go besides the dashboard (analytics.alerts.deliver)."""

    min_severity: str = "MEDIUM"  # LOW | MEDIUM | HIGH: predictions at or above it are sent
    resend_seconds: float = 60.0  # a firing alert is re-posted this often (Alertmanager expects it)
    alertmanager: dict = field(default_factory=dict)  # [alerts.alertmanager] url, auth, ca_file, timeout ...


@dataclass(frozen=True)
class Notify:
    """A new HIGH prediction noticed by a person in another window (analytics.alerts.deliver.notify)."""

    bell: bool = False  # ring the terminal bell of the collector's terminal
    tmux: bool = False  # inside tmux: `tmux display-message` the prediction


@dataclass(frozen=True)
class Predictions:
    window_days: int = 7
    horizon_hours: int = 24
    sensitivity: str = "conservative"  # conservative | moderate | aggressive
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
    # issue 6 additions (analytics/recommend/)
    cpu_window_minutes: int = 15  # "sustained": the mean over this window
    perf_window_hours: int = 24  # response time / cache hit rate are judged over this window
    memory_growth_pct_per_day: float = 5.0  # memory "trending up": fitted growth per day, relative
    temp_min_files: int = 20  # temp files "accumulated": this many, or temp_min_mb of them
    temp_min_mb: float = 100.0
    temp_min_age_hours: float = 24.0  # younger temp files may be in use: never counted or cleaned
    db_max_mb: float = 1024.0
    db_stale_rows_min: int = 10000  # raw rows past retention before "database needs cleanup"
    worse_factor: float = 1.25  # a dismissed finding returns when its measure grows this much
    secret_max_file_kb: int = 1024  # larger files are not read by the secret scanner
    secret_excludes: tuple[str, ...] = ()  # globs (relative to the project) the secret scanner skips,
    # e.g. "tests/fixtures/*"; .gitignore and .secrets.baseline apply too


@dataclass(frozen=True)
class AI:
    base_url: str = ""  # empty: OpenAI's default endpoint when a key is set, else offline
    model: str = "gpt-4o-mini"
    api_key_file: str = ""
    timeout: float = 30.0
    max_retries: int = 2
    cache_ttl_days: int = 30
    redact_ips: bool = True
    redact_hostnames: bool = False
    response_format: str = "auto"  # auto | json_schema | json_object | none (structured output support)
    # USD per 1M tokens: {"model": {"input": x, "output": y}}
    prices: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    name: str
    type: str  # prometheus | loki
    url: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    general: General = General()
    collect: Collect = Collect()
    retention: Retention = Retention()
    watch: Watch = Watch()
    patterns: Patterns = Patterns()
    predictions: Predictions = Predictions()
    recommendations: Recommendations = Recommendations()
    ai: AI = AI()
    alerts: Alerts = Alerts()
    notify: Notify = Notify()
    components: tuple[Component, ...] = ()
    sources: tuple[Source, ...] = ()
    keymap: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    issues: tuple[Issue, ...] = ()

    @property
    def host(self) -> str:
        return self.general.host or this_host()


_Section = TypeVar("_Section", bound="DataclassInstance")  # one of the dataclasses above: a section


def _section(cls: type[_Section], raw: Any, where: str, problems: list[str]) -> _Section:
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
        if isinstance(value, float) and not math.isfinite(value):  # TOML reads nan and inf as floats
            problems.append(f"{where}.{key}: {value} is not a finite number; using the default {default!r}")
            continue
        if isinstance(default, tuple) and isinstance(value, list):
            value = tuple(value)
        if isinstance(default, float) and isinstance(value, int):
            value = float(value)
        kwargs[key] = value
    return cls(**kwargs)


def _alerts(raw: Any, problems: list[str]) -> Alerts:
    a = _section(Alerts, raw, "alerts", problems)
    if a.min_severity.upper() not in ("LOW", "MEDIUM", "HIGH"):
        problems.append(f"alerts.min_severity: {a.min_severity!r} is not one of LOW, MEDIUM, HIGH; using MEDIUM")
        a = dataclasses.replace(a, min_severity="MEDIUM")
    if a.alertmanager:
        from analytics.config.http_settings import ConfigProblem, HttpSettings

        url = a.alertmanager.get("url")
        if isinstance(url, str) and _misread_url(url, "alerts.alertmanager.url", problems, "alerts are not sent"):
            return dataclasses.replace(a, alertmanager={})
        try:
            HttpSettings.from_dict(a.alertmanager, "alerts.alertmanager")
        except ConfigProblem as exc:
            problems.append(f"{exc}; alerts are not sent")
            a = dataclasses.replace(a, alertmanager={})
    return a


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
    seen: set[str] = set()
    for i, c in enumerate(raw):
        where = f"components[{i}]"
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not c["name"].strip():
            problems.append(f"{where}: needs a name; ignored")
            continue
        if c["name"] in seen:
            problems.append(f"{where}.name: {c['name']!r} is already used by another component; ignored")
            continue
        seen.add(c["name"])
        known = {f.name for f in dataclasses.fields(Component)}
        for key in c:
            if key not in known:
                problems.append(f"{where}.{key}: unknown setting (ignored)")
        probes = []
        raw_probes = c.get("probes", []) or []
        if not isinstance(raw_probes, list):
            problems.append(f"{where}.probes: expected [[components.probes]] entries; ignored")
            raw_probes = []
        for j, p in enumerate(raw_probes):
            pw = f"{where}.probes[{j}]"
            expect: Any = None
            if isinstance(p, dict) and isinstance(p.get("expect_status"), list):
                p = dict(p)
                lst = p.pop("expect_status")
                if lst and all(isinstance(x, int) and not isinstance(x, bool) for x in lst):
                    expect = tuple(lst)
                else:
                    problems.append(f"{pw}.expect_status: expected a status or a list of statuses; using 200")
            probe = _section(Probe, p, pw, problems)
            if expect is not None:
                probe = dataclasses.replace(probe, expect_status=expect)
            if isinstance(p, dict) and _probe_ok(probe, pw, problems):
                probes.append(probe)
        logs = c.get("logs", [])
        if isinstance(logs, str):
            logs = [logs]
        if not isinstance(logs, list) or not all(isinstance(x, str) for x in logs):
            problems.append(f"{where}.logs: expected a list of paths; ignored")
            logs = []
        strs = {}
        for key in ("process", "cmdline", "pid_file"):
            v = c.get(key, "")
            if not isinstance(v, str):
                problems.append(f"{where}.{key}: expected a string, got {type(v).__name__}; ignored")
                v = ""
            strs[key] = v
        out.append(Component(name=c["name"], probes=tuple(probes), logs=tuple(logs), **strs))
    return tuple(out)


def _probe_ok(p: Probe, where: str, problems: list[str]) -> bool:
    """Check a probe's values; report and drop one that cannot run."""
    from urllib.parse import urlsplit

    from analytics.config.url_text import masked_url

    if p.kind not in ("http", "tcp"):
        problems.append(f"{where}.kind: {p.kind!r} is not http or tcp; probe ignored")
        return False
    if p.kind == "http":
        try:
            u = urlsplit(p.url)
            port_ok = u.port is None or 0 < u.port < 65536
        except ValueError:
            u, port_ok = None, False
        if _misread_url(p.url, f"{where}.url", problems, "probe ignored"):
            return False
        if u is None or u.scheme not in ("http", "https") or not u.hostname or not port_ok:
            problems.append(
                f"{where}.url: {masked_url(p.url)!r} is not an http:// or https:// URL with a host; probe ignored"
            )
            return False
    else:
        if not p.host:
            problems.append(f"{where}.host: a tcp probe needs host and port; probe ignored")
            return False
        if not 0 < p.port < 65536:
            problems.append(f"{where}.port: {p.port} is not a port (1-65535); probe ignored")
            return False
    if not 0 < p.timeout <= 300:
        problems.append(f"{where}.timeout: {p.timeout} is not between 0 and 300 seconds; probe ignored")
        return False
    statuses = p.expect_status if isinstance(p.expect_status, tuple) else (p.expect_status,)
    if any(not (s == 0 or 100 <= s <= 599) for s in statuses):
        problems.append(f"{where}.expect_status: {p.expect_status} is not an HTTP status; probe ignored")
        return False
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in p.headers.items()):
        problems.append(f'{where}.headers: expected name = "value" strings; probe ignored')
        return False
    return True


def _misread_url(url: str, where: str, problems: list[str], dropped: str) -> bool:
    """Report a URL whose user name or password holds '/', '?' or '#' unencoded
    (:func:`~analytics.config.url_text.misread_userinfo`): an error when nothing else can be meant, and
    True: the caller drops the setting (``dropped`` says so); a warning when it may also be a path holding
    an '@', and False."""
    from analytics.config.url_text import misread_userinfo

    misread = misread_userinfo(url)
    if misread is None:
        return False
    if misread.certain:
        problems.append(f"{where}: {misread.message(dropped)}")
        return True
    problems.append(f"{where}: {WARNING}{misread.message()}")
    return False


def _ai(raw: Any, problems: list[str]) -> AI:
    """The [ai] section. A base_url whose password would be misread stays as written: the endpoint refuses
    it (AI analysis stays offline), where an empty one would send the prompts to OpenAI."""
    from analytics.config.url_text import url_problem

    ai = _section(AI, raw, "ai", problems)
    offline = "AI analysis stays offline until it is fixed"
    if not ai.base_url or _misread_url(ai.base_url, "ai.base_url", problems, offline):
        return ai
    if (problem := url_problem(ai.base_url)) is not None:
        problems.append(f"ai.base_url: {problem}; {offline}")
    return ai


def _sources(raw: Any, problems: list[str]) -> tuple[Source, ...]:
    from analytics.config.url_text import url_problem

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
        if _misread_url(s["url"], f"{where}.url", problems, "source ignored"):
            continue
        if (problem := url_problem(s["url"])) is not None:
            problems.append(f"{where}.url: {problem}; source ignored")
            continue
        opts = {k: v for k, v in s.items() if k not in ("name", "type", "url")}
        out.append(Source(name=s["name"], type=s["type"], url=s["url"], options=opts))
    return tuple(out)


#: The most retries of one model call ``[ai] max_retries`` may ask for.
MAX_AI_RETRIES = 10


def _check_ranges(cfg: Config, problems: list[str]) -> Config:
    """Values of the right type but out of range: report and fall back to the default."""

    def positive(section: str, obj: Any, names: tuple[str, ...], allow_zero: bool = False) -> Any:
        changes = {}
        for n in names:
            v = getattr(obj, n)
            if v < 0 or (v == 0 and not allow_zero):
                d = getattr(type(obj)(), n)
                problems.append(
                    f"{section}.{n}: {v} must be {'>= 0' if allow_zero else '> 0'}; using the default {d!r}"
                )
                changes[n] = d
        return dataclasses.replace(obj, **changes) if changes else obj

    general = positive("general", cfg.general, ("refresh_seconds", "collect_seconds"))
    collect = positive("collect", cfg.collect, ("vitals_seconds", "probe_seconds"), allow_zero=True)
    collect = positive(
        "collect",
        collect,
        (
            "tail_seconds",
            "flush_seconds",
            "event_flush_seconds",
            "refresh_seconds",
            "process_rescan_seconds",
            "max_line_bytes",
        ),
    )
    for h in collect.hooks:
        if ":" not in h:
            problems.append(f'collect.hooks: {h!r} is not "module:function"; ignored')
    collect = dataclasses.replace(collect, hooks=tuple(h for h in collect.hooks if ":" in h))
    retention = positive(
        "retention", cfg.retention, ("metrics_days", "events_days", "predictions_days", "fix_history_days")
    )

    def bounded(section: str, obj: Any, names: tuple[str, ...], lo: float, hi: float, what: str) -> Any:
        changes = {}
        for n in names:
            v = getattr(obj, n)
            if not lo <= v <= hi:
                d = getattr(type(obj)(), n)
                problems.append(f"{section}.{n}: {v} is not {what} ({lo:g} to {hi:g}); using the default {d!r}")
                changes[n] = d
        return dataclasses.replace(obj, **changes) if changes else obj

    patterns = bounded(
        "patterns", cfg.patterns, ("auto_approve_confidence", "suggest_threshold"), 0, 1, "a probability"
    )
    patterns = positive("patterns", patterns, ("auto_approve_min_samples",))
    recs = bounded("recommendations", cfg.recommendations, ("cache_hit_rate_min",), 0, 1, "a ratio")
    recs = bounded(
        "recommendations", recs, ("disk_free_min_pct", "cpu_max_pct", "memory_max_pct"), 0, 100, "a percentage"
    )
    recs = positive(
        "recommendations",
        recs,
        (
            "security_scan_max_age_days",
            "dependency_max_age_days",
            "response_time_max_ms",
            "large_log_mb",
            "worse_factor",
        ),
    )
    preds = cfg.predictions
    if preds.sensitivity not in ("conservative", "moderate", "aggressive"):
        problems.append(
            f"predictions.sensitivity: {preds.sensitivity!r} is not conservative, moderate or "
            "aggressive; using the default 'conservative'"
        )
        preds = dataclasses.replace(preds, sensitivity="conservative")
    preds = positive("predictions", preds, ("window_days", "horizon_hours", "slow_response_ms"))
    ai = positive("ai", cfg.ai, ("timeout", "cache_ttl_days"))
    # each retry waits longer than the one before: ten already hold an analysis for many minutes, and a
    # figure like 10000000000 meant retrying for ever
    ai = bounded("ai", ai, ("max_retries",), 0, MAX_AI_RETRIES, "a number of retries")
    return dataclasses.replace(
        cfg,
        ai=ai,
        general=general,
        collect=collect,
        retention=retention,
        patterns=patterns,
        recommendations=recs,
        predictions=preds,
    )


def parse_config(
    data: dict[str, Any], path: Path | None = None, problems: list[str] | None = None, text: str | None = None
) -> Config:
    """A typed Config from parsed TOML. Problems become ``Config.issues`` (with the line of their key
    when ``text``, the file's source, is given) and ``Config.problems`` (the same, as sentences)."""
    problems = [] if problems is None else problems
    known = {
        "general",
        "collect",
        "retention",
        "watch",
        "patterns",
        "predictions",
        "recommendations",
        "ai",
        "alerts",
        "notify",
        "components",
        "sources",
        "keymap",
    }
    for key in data:
        if key not in known:
            problems.append(f"{key}: unknown section (ignored)")
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
        problems.append('keymap: expected action = "keys" pairs; ignored')
        keymap = {}
    cfg = Config(
        path=path,
        general=_section(General, data.get("general"), "general", problems),
        collect=_section(Collect, data.get("collect"), "collect", problems),
        retention=_section(Retention, data.get("retention"), "retention", problems),
        watch=_section(Watch, data.get("watch"), "watch", problems),
        patterns=_section(Patterns, data.get("patterns"), "patterns", problems),
        predictions=_section(Predictions, data.get("predictions"), "predictions", problems),
        recommendations=_section(Recommendations, data.get("recommendations"), "recommendations", problems),
        ai=_ai(data.get("ai"), problems),
        alerts=_alerts(data.get("alerts"), problems),
        notify=_section(Notify, data.get("notify"), "notify", problems),
        components=_components(data.get("components"), problems),
        sources=_sources(data.get("sources"), problems),
        keymap=dict(keymap),
    )
    cfg = _check_ranges(cfg, problems)
    lines = locate_keys(text) if text is not None and problems else {}  # lines only place problems
    issues = tuple(issue_of(p, path, lines) for p in problems)
    return dataclasses.replace(cfg, problems=tuple(i.text for i in issues), issues=issues)


MAX_CONFIG_BYTES = 1 << 20  # a larger config file is refused (defaults apply), never read whole


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the config file; never raises for a bad or missing file (see ``Config.problems``)."""
    p = resolve_config(path)
    problems: list[str] = []
    try:
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):
            msg = f"{p}: not a regular file; using defaults"
            return Config(path=p, problems=(msg,), issues=(Issue(None, msg, None, str(p)),))
        if st.st_size > MAX_CONFIG_BYTES:
            msg = (
                f"{p}: {st.st_size:,} bytes, larger than a config can be ({MAX_CONFIG_BYTES >> 20} MB); using defaults"
            )
            return Config(path=p, problems=(msg,), issues=(Issue(None, msg, None, str(p)),))
        with open(p, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        if path is not None or os.environ.get("LOKIFI_CONFIG"):
            problems.append(f"{p}: the config file named by --config / LOKIFI_CONFIG does not exist; using defaults")
        return Config(path=None, problems=tuple(problems), issues=tuple(Issue(None, m, None, str(p)) for m in problems))
    except OSError as exc:
        msg = f"{p}: cannot read ({exc.strerror}); using defaults"
        return Config(path=p, problems=(msg,), issues=(Issue(None, msg, None, str(p)),))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        msg = f"not UTF-8 text (byte {exc.start}, line {line}); using defaults"
        return Config(path=p, problems=(f"{p}:{line}: {msg}",), issues=(Issue(None, msg, line, str(p)),))
    data, parsed_text = parse_salvaging(text, problems)
    syntax = [x for x in problems if x.startswith("line ")]
    problems = [x for x in problems if not x.startswith("line ")]
    cfg = parse_config(data, p, problems, text=parsed_text)
    pre = []
    for x in syntax:
        num, _, msg = x.partition(": ")
        pre.append(Issue(None, msg, int(num.split()[1]), str(p)))
    issues = tuple(sorted(tuple(pre) + cfg.issues, key=lambda i: (i.line is None, i.line or 0)))
    return dataclasses.replace(cfg, issues=issues, problems=tuple(i.text for i in issues))
