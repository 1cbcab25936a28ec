"""Shared by the collector tests that run the real `lokifi collect`: a checked config file and the
command line."""

from __future__ import annotations

import sys

from analytics.config import load_config


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
