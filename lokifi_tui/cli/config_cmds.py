"""``lokifi config init|check|show``: the configuration file, proposed from this host, checked and shown."""

from __future__ import annotations

import datetime as dt
import re
import sys
from typing import Any

import click

from lokifi_tui.cli.context import _globals, get_config
from lokifi_tui.cli.options import json_option
from lokifi_tui.cli.output import (
    BAD_INPUT,
    console,
    err_console,
    fail,
    fit,
    inert,
    plain,
    print_json,
)


@click.group("config")
def config() -> None:
    """The configuration file: init (write a starting file), check (validate), show (effective values)."""


def _config_path(ctx: click.Context):
    from analytics.config.paths import resolve_config

    return resolve_config(_globals(ctx).config)


def _min_uptime(ctx: click.Context, param: click.Parameter, value: str) -> float:
    from analytics.common.durations import parse_seconds

    try:
        return parse_seconds(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a duration; use e.g. 0, 30s, 10m, 1h") from None


@config.command("init")
@click.option("--force", is_flag=True, help="Replace an existing file (the old one is kept as .bak).")
@click.option("--no-detect", is_flag=True, help="Do not look for services and logs; write the template only.")
@click.option(
    "--logs",
    "log_dirs",
    multiple=True,
    metavar="DIR",
    help="Look for services' logs in DIR (repeatable; default /var/log).",
)
@click.option(
    "--min-uptime",
    default="10m",
    show_default=True,
    metavar="DURATION",
    callback=_min_uptime,
    help="Propose a listening port only when its process has run this long (e.g. 30s, 1h; 0: however "
    "briefly). Shorter-lived ones, and ports the kernel picked at random, are written commented out.",
)
@click.option("--dry-run", "--stdout", "to_stdout", is_flag=True, help="Print the proposed file instead of writing it.")
@click.pass_context
def config_init(
    ctx: click.Context, force: bool, no_detect: bool, log_dirs: tuple[str, ...], min_uptime: float, to_stdout: bool
) -> None:
    """Propose a commented lokifi.toml for this machine: the services listening here (with HTTP or TCP
    probes), their log files and the host's own logs (in /var/log, or each --logs DIR: a subdirectory
    with logs is a service), and a Prometheus answering on loopback. Nothing is read from unit files or
    environments. Review the proposal with --dry-run; edit the file freely afterwards.

    A probe must find its service tomorrow, so a listener is proposed only when its process has run for
    --min-uptime (a test server up for seconds is gone by then) and its port is not one the kernel picks
    at random (another one at each start). Those left out are named, and written commented out. One
    whose process cannot be seen (another user's) has no known uptime: it is proposed, saying so. Only
    text files are proposed as logs (not a database's write-ahead file), and none of Lokifi's own."""
    from analytics.config.starter import discover, journal_readable, render, write_starter

    dirs = list(log_dirs) or None
    opts: dict[str, Any] = {"min_uptime": min_uptime, "db": _globals(ctx).db_path(), "redact": _masked_command}
    if to_stdout:
        found, prom = discover(dirs, services=not no_detect, **opts) if not no_detect or dirs else ([], None)
        journal = not no_detect and journal_readable()
        sys.stdout.write(render(found, prometheus=prom, journal=journal, min_uptime=min_uptime))
        for line in _skipped(found, min_uptime, written=False):
            err_console.print(fit(inert(line)))
        return
    path = _config_path(ctx)
    try:
        path, found = write_starter(path, detect_services=not no_detect, force=force, log_dirs=dirs, **opts)
    except FileExistsError as exc:
        fail(str(exc), BAD_INPUT)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}", BAD_INPUT)
    console.print(f"wrote {inert(path)}")
    proposed = [f for f in found if not f.skipped]
    if proposed:
        for f in proposed:
            what = ", ".join([*f.http, *(f"{a}:{p}" for a, p in f.tcp)])
            logs = f"  logs: {inert(', '.join(f.logs))}" if f.logs else ""
            where = inert(what) if what else f"[dim]{inert(f.note) if f.note else 'no socket'}[/]"
            console.print(fit(f"  {inert(f.name)}: {where}{logs}"))
    elif not no_detect:
        what = "nothing to propose" if found else "no listening services or logs found"
        console.print(f"  {what}; the file has a commented example")
    for line in _skipped(found, min_uptime, written=True):
        console.print(fit(inert(line)))
    console.print(fit("Edit it, then run `lokifi config check`; `lokifi backfill` reads the history these logs hold."))


def _skipped(found: list[Any], min_uptime: float, *, written: bool) -> list[str]:
    """What was proposed although its process could not be seen, what was left out and how to add it by
    hand."""
    from analytics.config.listeners import YOUNG, skipped_summary, unseen_summary

    unseen = [f"  {line}." for line in unseen_summary([(f.name, x) for f in found for x in f.unseen], min_uptime)]
    left = [x for f in found for x, _ in getattr(f, "left_out", ())]
    if not left:
        return unseen
    where, again = ("the file", "--force") if written else ("the proposal", "--dry-run")
    how = f"They are in {where}, commented out: remove the '# ' before one's lines to watch it"
    if any(x.skipped == YOUNG for x in left):
        how += f", or run `lokifi config init {again} --min-uptime 0` to propose the young ones too"
    return unseen + [f"  {line}" for line in skipped_summary(left, min_uptime)] + [f"  {how}."]


SHOW_ISSUES = 200  # issues printed by `config check` (errors first); --json has them all


@config.command("check")
@json_option
@click.pass_context
def config_check(ctx: click.Context, as_json: bool) -> None:
    """Validate the config file: every problem with its line and key. Exit 3 if there are errors."""
    from analytics.config.settings import Issue, load_config
    from lokifi_tui.bindings import keymap_from_config

    path = _config_path(ctx)
    cfg = load_config(path) if path.exists() else None
    issues = list(cfg.issues) if cfg else []
    if cfg is not None and cfg.keymap:
        from analytics.config.settings import locate_keys

        lines = locate_keys(path.read_text(encoding="utf-8", errors="replace"))
        _, keymap_problems = keymap_from_config(cfg.keymap)
        for problem in keymap_problems:
            named = re.match(r"\[keymap\] '([^']+)'", problem)
            key = f"keymap.{named.group(1)}" if named else "keymap"
            line = lines.get(key, lines.get("keymap"))
            issues.append(Issue(key, problem.removeprefix("[keymap] "), line, str(path)))
    if not path.exists() and _explicit_config(ctx):
        issues.append(Issue(None, "the config file named by --config / LOKIFI_CONFIG does not exist", None, str(path)))
    errors = [i for i in issues if i.severity == "error"]
    if as_json:
        print_json(
            {
                "path": str(path),
                "exists": path.exists(),
                "ok": not errors,
                "issues": [
                    {"line": i.line, "key": i.key, "severity": i.severity, "message": i.message} for i in issues
                ],
            }
        )
    else:
        if not path.exists():
            console.print(fit(f"{inert(path)}: no config file (defaults apply; `lokifi config init` writes one)"))
        shown = sorted(issues, key=lambda i: i.severity != "error")[:SHOW_ISSUES]
        for i in sorted(shown, key=lambda i: (i.line is None, i.line or 0)):
            where = f"{inert(path)}:{i.line}" if i.line else inert(path)
            color = "red" if i.severity == "error" else "yellow"
            key = f" [bold]{inert(i.key)}[/]:" if i.key else ""
            console.print(fit(f"{where}: [{color}]{i.severity}[/]{key} {inert(i.message)}"))
        if len(issues) > SHOW_ISSUES:
            console.print(
                f"… and {len(issues) - SHOW_ISSUES:,} more ({len(errors):,} errors in all; --json lists every one)"
            )
        if cfg is not None and not issues:
            n = len(cfg.components)
            probes = sum(len(c.probes) for c in cfg.components)
            logs = sum(len(c.logs) for c in cfg.components)
            counted = ", ".join(
                f"{k} {w}{'' if k == 1 else 's'}" for k, w in ((n, "component"), (probes, "probe"), (logs, "log path"))
            )
            console.print(fit(f"{inert(path)}: ok ({counted})"))
    if errors:
        raise SystemExit(BAD_INPUT)


_SECRET_WORDS = (
    *("token", "password", "passwd", "secret", "api_key", "apikey", "api-key"),
    *("auth", "cookie", "credential"),
)


def _masked_headers(headers: Any) -> Any:
    """HTTP headers carry credentials under any name (X-Api-Key, Cookie, a vendor's own): every value
    is hidden; the names stay, to say which are set."""
    if isinstance(headers, dict):
        return {k: "***" if v else v for k, v in headers.items()}
    return _redact(headers)


def _explicit_config(ctx: click.Context) -> bool:
    from lokifi_tui.cli.context import _globals

    return bool(_globals(ctx).config)


def _is_secret(key: Any, value: Any) -> bool:
    """Credentials are strings under a secret-sounding key; numbers and flags (secret_max_file_kb) are not."""
    k = str(key).lower()
    return (
        isinstance(value, str)
        and bool(value)
        and any(w in k for w in _SECRET_WORDS)
        and not k.endswith(("_file", "_env"))
    )


def _masked_command(text: str) -> str:
    """A command line with its passwords (``-p``, ``--password=``, ``DB_PASSWORD=``...) redacted, as
    before it leaves the host: a process's command line in the config can carry one."""
    from analytics.rca.redact import redact

    return redact(text).text


def _redact(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {
            k: (
                "***"
                if _is_secret(k, v)
                else _masked_headers(v)
                if str(k).lower() == "headers"
                else _masked_command(v)
                if str(k).lower() in ("cmdline", "command") and isinstance(v, str)
                else _redact(v)
            )
            for k, v in obj.items()
        }
    if isinstance(obj, (list, tuple)):
        return [_redact(v) for v in obj]
    if isinstance(obj, str) and "://" in obj:
        from analytics.config.url_text import masked_url

        return masked_url(obj)  # a password written into a URL, in its user-info
    return obj


@config.command("show")
@json_option
@click.pass_context
def config_show(ctx: click.Context, as_json: bool) -> None:
    """Print the effective configuration (defaults filled in, secrets hidden)."""
    import dataclasses

    cfg = get_config(ctx)
    data = dataclasses.asdict(cfg)
    data.pop("issues", None)
    data["path"] = str(cfg.path) if cfg.path else None
    data["host"] = cfg.host
    data = _redact(data)
    if as_json:
        print_json(data)
        return
    import tomli_w

    problems = data.pop("problems", [])
    path = data.pop("path")
    sys.stdout.write(plain(f"# effective configuration ({path or 'defaults: no config file'})") + "\n")
    sys.stdout.write(plain(tomli_w.dumps(_tomlable(data))))
    for p in problems:
        err_console.print(f"[yellow]config:[/] {inert(p)}")


def _tomlable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _tomlable(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, (list, tuple)):
        return [_tomlable(v) for v in obj]
    if isinstance(obj, dt.datetime):
        return obj
    return obj
