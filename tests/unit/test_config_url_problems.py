"""A URL in the config that no request can be sent to -- a control character (a terminal escape pasted
with it), a space, a port past 65535, another scheme -- is said by `lokifi config check` with its line,
shown inertly; the AI endpoint stays offline instead of `lokifi ai status` ending in httpx's traceback, and
a source is ignored instead of being listed as fine."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from analytics.config.settings import load_config
from analytics.rca.client import endpoint_from_config
from lokifi_tui.cli.main import cli

URLS = {
    "escape": ("http://127.0.0.1:8080/v1\\u001b]52;c;eA==\\u0007", r"holds '\x1b', which no URL may hold"),
    "space": ("http://127.0.0.1:8080/v 1", r"holds ' ', which no URL may hold"),
    "port": ("http://127.0.0.1:99999/v1", "its port '99999' is not a number from 0 to 65535"),
    "scheme": ("file:///etc/passwd", "'file:///etc/passwd' is not an http(s) URL"),
}


@pytest.mark.parametrize("case", sorted(URLS))
def test_an_ai_base_url_no_request_can_go_to_is_said_with_its_line_and_keeps_ai_offline(tmp_path, case):
    url, said = URLS[case]
    p = tmp_path / "lokifi.toml"
    p.write_text(f'[ai]\nmodel = "m"\nbase_url = "{url}"\n')
    cfg = load_config(p)
    issue = next(i for i in cfg.issues if i.key == "ai.base_url")
    assert issue.line == 3 and said in issue.message
    endpoint = endpoint_from_config(cfg.ai, env={})
    assert not endpoint.configured and said in endpoint.reason
    r = CliRunner().invoke(cli, ["--config", str(p), "config", "check"])
    assert "lokifi.toml:3: error ai.base_url: " in r.output and said in r.output, r.output
    assert "\x1b" not in r.output


@pytest.mark.parametrize("case", sorted(URLS))
def test_a_source_url_no_request_can_go_to_is_said_and_the_source_ignored(tmp_path, case):
    url, said = URLS[case]
    p = tmp_path / "lokifi.toml"
    p.write_text(f'[[sources]]\nname = "p"\ntype = "prometheus"\nurl = "{url}"\n')
    cfg = load_config(p)
    assert cfg.sources == ()
    issue = next(i for i in cfg.issues if i.key == "sources[0].url")
    assert issue.line == 4 and said in issue.message and "source ignored" in issue.message
