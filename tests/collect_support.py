"""Shared by the collector tests that run the real `lokifi collect` (a checked config file and the
command line) and `lokifi backfill` on one log."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from analytics.config.settings import load_config


def write_config(tmp_path, body: str):
    p = tmp_path / "lokifi.toml"
    p.write_text(body)
    cfg = load_config(p)
    assert not cfg.problems, cfg.problems
    return p, cfg


def cli(db, cfg, *args):
    return [sys.executable, "-m", "lokifi_tui.cli.main", "--db", str(db), "--config", str(cfg), "collect", *args]


def fast_tail_config(log, extra: str = "", general: str = "") -> str:
    """A config that tails ``log`` as component ``api`` and writes within a second (``extra``: more
    settings of that component; ``general``: lines of [general])."""
    return f"""
[general]
{general}
[collect]
tail_seconds = 0.1
flush_seconds = 0.3
event_flush_seconds = 0.2
[[components]]
name = "api"
logs = ["{log}"]
{extra}
"""


def tail_once(db, cfg, log, component: str, now):
    """What `lokifi collect --once` does with one log, and only with it (no vitals rows): its tail polled
    from the stored checkpoint until caught up, a last poll, one write."""
    from analytics.collect.loop import collect_once
    from analytics.sources.tail import LogSpec, TailSource
    from analytics.store.database import Store

    return collect_once(Store(db), cfg, now=now, sources=[TailSource([LogSpec(component, str(log))], cfg.host)])


def minute_metrics(db, minute, component: str = "web") -> dict[str, float]:
    """The stored metrics of one minute of a component: metric -> value."""
    from analytics.store.database import Store

    rows = Store(db).query("SELECT metric, value FROM metrics WHERE ts = ? AND component = ?", [minute, component])
    return dict(zip(rows["metric"].to_list(), rows["value"].to_list(), strict=True))


def expected_minute(lines, minute) -> dict[str, float]:
    """What the access-log lines ``(ts, status, request time s, text)`` stamped in ``minute`` make of it."""
    got = [(s, rt) for t, s, rt, _ in lines if t.replace(second=0) == minute]
    return {
        "requests_per_min": len(got),
        "error_rate": sum(s >= 500 for s, _ in got) / len(got),
        "response_time_ms": sum(rt for _, rt in got) / len(got) * 1000.0,
    }


def backfill_one_log(tmp_path, component: str, log) -> tuple[dict, object]:
    """`lokifi backfill --json` of one log file configured as ``component``: (the file's entry, the config
    file)."""
    from click.testing import CliRunner

    from lokifi_tui.cli.main import cli as lokifi

    cfg = tmp_path / "lokifi.toml"
    cfg.write_text(f'[[components]]\nname = "{component}"\nlogs = ["{log}"]\n')
    db = tmp_path / "l.duckdb"
    r = CliRunner().invoke(lokifi, ["--db", str(db), "--config", str(cfg), "backfill", "--no-engines", "--json"])
    assert r.exit_code == 0, r.output
    (f,) = [f for f in json.loads(r.output)["files"] if f["kind"] != "skipped"]
    return f, cfg


def hold_database(db, seconds: float) -> subprocess.Popen:
    """Another process holding the database file open for writing for ``seconds`` (returns once it does)."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(db)!r}); print('held', flush=True); time.sleep({seconds})",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def in_pid_namespace(tmp_path, *argv: str) -> dict:
    """Run ``python -c argv[0] argv[1:]`` inside a new user and pid namespace (where the pid counter can be
    set, to make the kernel hand out a chosen pid) and return the JSON its last line prints; skips where
    `unshare` or user namespaces are not available."""
    import pytest

    unshare = shutil.which("unshare")
    probe = subprocess.run([unshare or "unshare", "-Urpf", "--mount-proc", "true"], capture_output=True, check=False)
    if unshare is None or probe.returncode != 0:
        pytest.skip("needs `unshare` and user namespaces (to set a pid namespace's counter)")
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[1]), "PATH": "/usr/bin:/bin"}
    r = subprocess.run(
        [unshare, "-Urpf", "--mount-proc", sys.executable, "-c", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.splitlines()[-1])
