"""Shared pieces of the RCA tests: a seeded pattern in a real DuckDB store, the secrets corpus,
configs pointing at the loopback OpenAI server, and generated passwords for redaction properties."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from analytics.config.settings import AI, Config

CORPUS = Path(__file__).parent / "data" / "secrets_corpus.jsonl"
NOW = dt.datetime(2026, 11, 20, 12, 30)
HASH = "c0ffee00" + "1" * 56
OTHER_HASH = "deadbeef" + "2" * 56


B62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def passwords(middle: int = 2) -> st.SearchStrategy[str]:
    """Passwords as people pick them: a letter, ``middle`` or more letters and digits, a digit, maybe a
    symbol or two."""
    return st.tuples(
        st.text(B62[:52], min_size=1, max_size=4),
        st.text(B62, min_size=middle, max_size=12),
        st.integers(0, 9).map(str),
        st.text("!%^*_.+", max_size=2),
    ).map("".join)


def corpus() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def seed_pattern(
    store: Any,
    *,
    error_hash: str = HASH,
    lines: list[str] | None = None,
    fixes: list[tuple[str, bool]] = (),
    solution: str | None = None,
    component: str = "backend",
    error_type: str = "connection_error",
    metrics: bool = True,
    now: dt.datetime = NOW,
) -> str:
    lines = lines or ["Connection refused to 10.0.4.2:5432 (db) after 3 retries"]
    store.execute(
        "INSERT INTO error_patterns (error_hash, error_type, error_message, template, component, solution, "
        "occurrence_count, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            error_hash,
            error_type,
            lines[0],
            "Connection refused to <IP>:<NUM> (db) after <NUM> retries",
            component,
            solution,
            37,
            now - dt.timedelta(days=3),
            now,
        ],
    )
    with store.write() as con:
        for i, line in enumerate(lines):
            con.execute(
                "INSERT INTO error_events (ts, host, component, message, fingerprint) VALUES (?,?,?,?,?)",
                [now - dt.timedelta(minutes=i), "web-1", component, line, error_hash],
            )
        for i, (fix, ok) in enumerate(fixes):
            con.execute(
                "INSERT INTO fix_history (error_hash, fix_applied, success, applied_at) VALUES (?,?,?,?)",
                [error_hash, fix, ok, now - dt.timedelta(hours=i + 1)],
            )
        if metrics:
            for h in range(24 * 8):
                t = (now - dt.timedelta(hours=h)).replace(minute=0, second=0, microsecond=0)
                v = 20.0 + (h % 5) if h > 1 else 85.0
                con.execute(
                    "INSERT INTO metrics_hourly VALUES (?, ?, 'cpu_percent', ?, 60, ?, ?, ?, ?)",
                    ["web-1", component, t, v * 60, v * v * 60, v - 1, v + 1],
                )
    return error_hash


def config_for(server: Any = None, **ai: Any) -> Config:
    """A config whose [ai] section points at ``server`` (or is unconfigured when server is None)."""
    fields: dict[str, Any] = {"model": "test-model", "timeout": 2.0, "max_retries": 2}
    if server is not None:
        fields["base_url"] = server.base_url
    fields.update(ai)
    return Config(ai=AI(**fields))


def write_config(path: Path, server: Any = None, **ai: Any) -> Path:
    lines = ["[ai]", 'model = "test-model"', "timeout = 2.0"]
    if server is not None:
        lines.append(f'base_url = "{server.base_url}"')
    for k, v in ai.items():
        if k != "prices":
            lines.append(f"{k} = {json.dumps(v)}")
    if "prices" in ai:
        lines.append("[ai.prices]")
        for model, p in ai["prices"].items():
            lines.append(f'"{model}" = {{ input = {p["input"]}, output = {p["output"]} }}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


import pytest  # noqa: E402


@pytest.fixture
def server(monkeypatch):
    """The session's loopback OpenAI server, reset, with its key in $OPENAI_API_KEY."""
    from openai_server import shared_server

    from analytics.rca.client import forget_capabilities

    s = shared_server()
    s.reset()
    forget_capabilities()
    monkeypatch.setenv("OPENAI_API_KEY", s.api_key)
    yield s
    s.reset()
    forget_capabilities()
