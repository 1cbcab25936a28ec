"""Config values of the right type but impossible meaning are reported with their line, never used."""

from __future__ import annotations

import json

from click.testing import CliRunner

from analytics.config.settings import load_config
from lokifi_tui.cli.main import cli

BAD = """[patterns]
auto_approve_confidence = 1.7
suggest_threshold = -2
[recommendations]
cache_hit_rate_min = 50
secret_max_file_kb = 2048
[predictions]
sensitivity = "paranoid"
[keymap]
frobnicate = "x"
"""


def test_out_of_range_values_fall_back_to_defaults_with_their_line(tmp_path):
    p = tmp_path / "lokifi.toml"
    p.write_text(BAD)
    cfg = load_config(p)
    assert cfg.patterns.auto_approve_confidence == 0.8 and cfg.patterns.suggest_threshold == 0.7
    assert cfg.recommendations.cache_hit_rate_min == 0.5 and cfg.recommendations.secret_max_file_kb == 2048
    assert cfg.predictions.sensitivity == "conservative"
    lines = {i.key: i.line for i in cfg.issues}
    assert lines["patterns.auto_approve_confidence"] == 2
    assert lines["recommendations.cache_hit_rate_min"] == 5
    assert lines["predictions.sensitivity"] == 8


def test_config_check_reports_unknown_keymap_actions_and_a_missing_explicit_file(tmp_path):
    p = tmp_path / "lokifi.toml"
    p.write_text(BAD)
    r = CliRunner().invoke(cli, ["--config", str(p), "config", "check", "--json"])
    assert r.exit_code == 3
    issues = json.loads(r.output)["issues"]
    assert any(i["key"] == "keymap.frobnicate" and "frobnicate" in i["message"] and i["line"] == 10 for i in issues)
    r = CliRunner().invoke(cli, ["--config", str(tmp_path / "typo.toml"), "config", "check"])
    assert r.exit_code == 3 and "does not exist" in r.output


def test_config_show_hides_credentials_but_not_numbers(tmp_path):
    p = tmp_path / "lokifi.toml"
    p.write_text(
        '[recommendations]\nsecret_max_file_kb = 2048\n[[sources]]\nname = "p"\ntype = "prometheus"\n'
        'url = "http://127.0.0.1:9"\nbearer_token = "abc123secret"\n'
    )
    r = CliRunner().invoke(cli, ["--config", str(p), "config", "show"])
    assert r.exit_code == 0, r.output
    assert "secret_max_file_kb = 2048" in r.output
    assert "abc123secret" not in r.output


def test_this_host_is_the_name_gethostname_gives():
    import socket

    from analytics.config.machine import this_host
    from analytics.config.settings import Config

    assert this_host() == socket.gethostname() == Config().host


def test_nan_and_infinity_are_not_settings(tmp_path):
    """TOML reads nan and inf as floats: a timeout of nan or a flush every inf seconds reached the model
    call and the collector, and `config show --json` printed NaN (not JSON)."""
    p = tmp_path / "lokifi.toml"
    p.write_text(
        "[collect]\nflush_seconds = inf\n[ai]\ntimeout = nan\nmax_retries = -1\n[general]\nrefresh_seconds = -inf\n"
    )
    cfg = load_config(p)
    assert cfg.collect.flush_seconds == 60.0 and cfg.ai.timeout == 30.0 and cfg.ai.max_retries == 2
    assert cfg.general.refresh_seconds == 5.0
    lines = {i.key: i.line for i in cfg.issues}
    assert lines["collect.flush_seconds"] == 2 and lines["ai.timeout"] == 4 and lines["ai.max_retries"] == 5
    r = CliRunner().invoke(cli, ["--config", str(p), "config", "show", "--json"])
    assert r.exit_code == 0
    json.loads(r.stdout, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))  # no NaN, Infinity
    r = CliRunner().invoke(cli, ["--config", str(p), "config", "check"])
    assert r.exit_code != 0 and "not a finite number" in r.output


def test_ai_retries_are_bounded(tmp_path):
    """`max_retries = 10000000000` was taken: a failing endpoint was retried for ever."""
    p = tmp_path / "lokifi.toml"
    for value, taken in (("10000000000", 2), ("11", 2), ("10", 10), ("0", 0)):
        p.write_text(f"[ai]\nmax_retries = {value}\n")
        cfg = load_config(p)
        assert cfg.ai.max_retries == taken, value
        said = [i for i in cfg.issues if i.key == "ai.max_retries"]
        if taken == int(value):
            assert said == []
        else:
            assert said and said[0].line == 2 and "0 to 10" in str(said[0]), said
