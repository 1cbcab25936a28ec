"""`lokifi ai status|analyze|preview|cache` through click, against the loopback OpenAI server."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from openai_server import Behaviour
from rca_support import HASH, corpus, seed_pattern, write_config

from analytics.store.database import Store
from lokifi_tui.cli.main import cli


class Out:
    """A click result whose output has line wrapping undone (Rich wraps at the terminal width)."""

    def __init__(self, result):
        self.exit_code = result.exit_code
        self.raw = result.output
        self.output = " ".join(result.output.split())


def run(tmp_path, *args, cfg=None):
    db = tmp_path / "cli.duckdb"
    argv = ["--db", str(db)] + (["--config", str(cfg)] if cfg else []) + list(args)
    return Out(CliRunner().invoke(cli, argv, catch_exceptions=False))


def seeded(migrated, tmp_path, **kw) -> Store:
    store = migrated(tmp_path / "cli.duckdb")
    seed_pattern(store, **kw)
    return store


@pytest.mark.slow
def test_analyze_then_cache_hit_and_stats(migrated, server, tmp_path):
    planted = corpus()[:15]
    seeded(migrated, tmp_path, lines=[r["line"] for r in planted[:5]], fixes=[(r["line"], False) for r in planted[5:]])
    cfg = write_config(tmp_path / "lokifi.toml", server, prices={"test-model": {"input": 1.0, "output": 2.0}})
    first = run(tmp_path, "ai", "analyze", HASH[:10], cfg=cfg)
    assert first.exit_code == 0, first.output
    assert "Probable root cause" in first.output and "model confidence 90%" in first.output
    assert "tokens 600 (420 in, 180 out)" in first.output and "$0.000780" in first.output
    assert "not run" in first.output  # suggested commands are never executed
    second = run(tmp_path, "ai", "analyze", HASH[:10], "--json", cfg=cfg)
    data = json.loads(second.raw)
    assert data["status"] == "cached" and data["tokens"] == 0 and data["cost"] == 0
    assert data["answer"]["confidence"] == 0.9
    assert len(server.chat_requests()) == 1
    sent = server.chat_requests()[0]
    for row in planted:
        for secret in row["secrets"]:
            assert secret not in sent.raw.decode() and json.dumps(secret)[1:-1] not in sent.raw.decode()
    assert sent.body["messages"][1]["content"].count("[REDACTED:") >= len(planted)
    stats = json.loads(run(tmp_path, "ai", "cache", "stats", "--json").raw)
    assert stats["hit_rate"] == 0.5 and stats["tokens_saved"] == 600 and stats["entries"] == 1
    human = run(tmp_path, "ai", "cache", "stats")
    assert "hit rate: 50.0%" in human.output and "cost per diagnosis" in human.output
    assert "deleted 0 expired" in run(tmp_path, "ai", "cache", "clean").output


@pytest.mark.slow
def test_preview_prints_exactly_the_body_that_is_then_sent(migrated, server, tmp_path):
    row = corpus()[0]
    seeded(migrated, tmp_path, lines=[row["line"]])
    cfg = write_config(tmp_path / "lokifi.toml", server)
    preview = run(tmp_path, "ai", "preview", HASH, "--json", cfg=cfg)
    assert preview.exit_code == 0
    shown = json.loads(preview.raw)
    assert not server.chat_requests()  # preview sends nothing
    run(tmp_path, "ai", "analyze", HASH, cfg=cfg)
    assert server.chat_requests()[0].body == shown["body"]
    for secret in row["secrets"]:
        assert secret not in preview.output
    human = run(tmp_path, "ai", "preview", HASH, cfg=cfg)
    assert f"POST {server.base_url}/chat/completions" in human.output
    assert '"role": "user"' in human.output and "[REDACTED:" in human.output
    assert server.api_key not in human.output


def test_status_reports_the_endpoint_and_never_the_key(migrated, server, tmp_path):
    migrated(tmp_path / "cli.duckdb")  # an empty database: a --db must name an existing one
    cfg = write_config(tmp_path / "lokifi.toml", server)
    out = run(tmp_path, "ai", "status", cfg=cfg)
    assert out.exit_code == 0 and "the server answers and has model 'test-model'" in out.output
    assert "$OPENAI_API_KEY" in out.output and server.api_key not in out.output
    data = json.loads(run(tmp_path, "ai", "status", "--json", cfg=cfg).raw)
    assert data["status"] == "ok" and data["price"]["source"] == "local"


def test_status_with_a_wrong_key(migrated, server, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-but-long-enough-000000000000")
    migrated(tmp_path / "cli.duckdb")  # an empty database: a --db must name an existing one
    cfg = write_config(tmp_path / "lokifi.toml", server)
    out = run(tmp_path, "ai", "status", cfg=cfg)
    assert out.exit_code == 5 and "refused the API key" in out.output
    assert "sk-wrong-but-long-enough" not in out.output


def test_offline_everything_works_and_the_fallback_is_shown(migrated, tmp_path):
    seeded(migrated, tmp_path, solution="1) systemctl restart postgresql")
    status = run(tmp_path, "ai", "status")
    assert status.exit_code == 0 and "offline" in status.output
    out = run(tmp_path, "ai", "analyze", HASH)
    assert out.exit_code == 5
    assert "no model configured" in out.output and "systemctl restart postgresql" in out.output
    assert "Built-in playbook" in out.output or "playbook" in out.output.lower()
    assert "nothing would be sent" in run(tmp_path, "ai", "preview", HASH).output
    assert run(tmp_path, "ai", "cache", "stats").exit_code == 0


def test_faults_give_a_clear_status_and_exit_code(migrated, server, tmp_path):
    seeded(migrated, tmp_path)
    cfg = write_config(tmp_path / "lokifi.toml", server, max_retries=0)
    server.default = Behaviour(kind="status", status=503)
    out = run(tmp_path, "ai", "analyze", HASH, cfg=cfg)
    assert out.exit_code == 5 and "the endpoint failed (5xx)" in out.output and "503" in out.output
    server.default = Behaviour(content="no json here")
    out = run(tmp_path, "ai", "analyze", HASH, cfg=cfg)
    assert out.exit_code == 5 and "not a usable analysis" in out.output and "no json here" in out.output


def test_hostile_model_text_is_printed_inert(migrated, server, tmp_path):
    seeded(migrated, tmp_path)
    cfg = write_config(tmp_path / "lokifi.toml", server)
    evil = {
        "analysis": "[bold red]pwned[/] \x1b]0;title\x07",
        "probable_root_cause": "[link=x]y[/link]",
        "confidence": 0.5,
        "reasoning": "r",
        "recommended_commands": ["echo [red]hi[/red]"],
    }
    server.script(Behaviour(content=json.dumps(evil)))
    out = run(tmp_path, "ai", "analyze", HASH, cfg=cfg)
    assert out.exit_code == 0
    assert "[bold red]pwned[/]" in out.output and "echo [red]hi[/red]" in out.output
    assert "\x1b" not in out.raw and "\x07" not in out.raw


def test_unknown_pattern_is_bad_input(migrated, tmp_path):
    seeded(migrated, tmp_path)
    out = CliRunner().invoke(cli, ["--db", str(tmp_path / "cli.duckdb"), "ai", "analyze", "zzzz"])
    assert out.exit_code == 3 and "no learned pattern matches" in out.output
