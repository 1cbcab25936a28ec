"""Every URL `lokifi config check` covers ([ai] base_url, a probe's url, a [[sources]] url, [alerts.alertmanager]
url) is refused when its password holds '/', '?' or '#' unencoded, with the URL to write instead (the password
masked); the URL written so reaches a real loopback server with the password meant. `lokifi ai status` shows
its endpoint's query (Azure's api-version), credential values masked, as `lokifi config show` does."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from click.testing import CliRunner

from analytics.config.http_settings import HttpSettings
from analytics.config.settings import load_config
from analytics.sources.fleet.client import HttpClient
from lokifi_tui.cli.main import cli

PASSWORD = "Zq9pa/ssW7"  # a test password, never a real one

ALL_URLS = f"""[ai]
base_url = "http://ops:{PASSWORD}@127.0.0.1:9/v1"
model = "m"

[alerts.alertmanager]
url = "http://am:Zq9pa?ssW7@127.0.0.1:9093/"

[[components]]
name = "web"
[[components.probes]]
url = "http://ops:12/ssW7@127.0.0.1:9090/"
[[components.probes]]
url = "http://127.0.0.1:9090/ok"

[[sources]]
name = "prom"
type = "prometheus"
url = "http://ops:Zq9pa#ssW7@127.0.0.1:9090/"
"""


def _check(tmp_path, text: str):
    p = tmp_path / "lokifi.toml"
    p.write_text(text)
    human = CliRunner().invoke(cli, ["--config", str(p), "config", "check"])
    data = json.loads(CliRunner().invoke(cli, ["--config", str(p), "config", "check", "--json"]).stdout)
    return human, data


def test_config_check_refuses_each_url_whose_password_would_be_misread(tmp_path):
    human, data = _check(tmp_path, ALL_URLS)
    assert human.exit_code == 3, human.output
    by_key = {i["key"]: i for i in data["issues"]}
    assert set(by_key) == {
        "ai.base_url",
        "alerts.alertmanager.url",
        "components[0].probes[0].url",
        "sources[0].url",
    }
    assert all(i["severity"] == "error" and i["message"].startswith("the password must be percent-encoded")
               for i in by_key.values())  # fmt: skip
    assert by_key["ai.base_url"]["line"] == 2 and by_key["sources[0].url"]["line"] == 18
    assert "write http://ops:***%2F***@127.0.0.1:9/v1 ('/' as %2F)" in by_key["ai.base_url"]["message"]
    assert "write http://am:***%3F***@127.0.0.1:9093/ ('?' as %3F)" in by_key["alerts.alertmanager.url"]["message"]
    assert "write http://ops:***%23***@127.0.0.1:9090/ ('#' as %23)" in by_key["sources[0].url"]["message"]
    probe = by_key["components[0].probes[0].url"]["message"]
    assert "requests go to a host read from inside the user name and password instead of 127.0.0.1:9090" in probe
    text = human.output + json.dumps(data)
    assert "Zq9pa" not in text and "ssW7" not in text
    cfg = load_config(tmp_path / "lokifi.toml")
    assert [p.url for p in cfg.components[0].probes] == ["http://127.0.0.1:9090/ok"]  # the misread one is dropped
    assert cfg.sources == () and cfg.alerts.alertmanager == {}


def test_the_urls_written_as_told_pass_and_reach_the_server_with_the_password(tmp_path):
    fixed = (
        ALL_URLS.replace(PASSWORD, "Zq9pa%2FssW7")
        .replace("Zq9pa?ssW7", "Zq9pa%3FssW7")
        .replace("Zq9pa#ssW7", "Zq9pa%23ssW7")
        .replace("12/ssW7", "12%2FssW7")
    )
    human, data = _check(tmp_path, fixed)
    assert human.exit_code == 0 and data["issues"] == [], human.output
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            body = b'{"status": "success", "data": {}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        settings = HttpSettings.from_dict({"url": f"http://ops:Zq9pa%2FssW7@127.0.0.1:{port}"}, "sources[0]")
        assert settings.base_url == f"http://127.0.0.1:{port}"  # the user-info moved out of the URL
        client = HttpClient(settings)
        try:
            assert client.get_json("/api/v1/status/buildinfo").status == 200
        finally:
            client.close()
    finally:
        server.shutdown()
        server.server_close()
    assert seen == ["Basic " + base64.b64encode(f"ops:{PASSWORD}".encode()).decode()]


def test_a_url_that_may_be_a_path_is_a_warning_naming_the_host_it_reaches(tmp_path):
    human, data = _check(
        tmp_path,
        '[[components]]\nname = "web"\n[[components.probes]]\nurl = "http://ops:12/ssW7@prometheus/"\n'
        '[[components.probes]]\nurl = "http://127.0.0.1:5173/@vite/client"\n',
    )
    assert human.exit_code == 0, human.output
    [issue] = data["issues"]
    assert issue["severity"] == "warning" and issue["key"] == "components[0].probes[0].url"
    assert issue["message"].startswith("as written this URL reaches host 'ops'; if 'ops' is a user name")
    assert len(load_config(tmp_path / "lokifi.toml").components[0].probes) == 2  # both probed as written


def test_ai_status_shows_the_endpoints_query_with_credentials_masked_as_config_show_does(server, tmp_path):
    p = tmp_path / "lokifi.toml"
    p.write_text(
        f'[ai]\nmodel = "test-model"\ntimeout = 2.0\n'
        f'base_url = "{server.base_url}?api-version=2024-06-01&api-key=QSECRETq1&deployment=d1"\n'
    )
    argv = ["--config", str(p)]  # the home's database (a --db must name an existing one)
    human = CliRunner().invoke(cli, [*argv, "ai", "status"])
    assert human.exit_code == 0, human.output
    shown = f"{server.base_url}?api-version=2024-06-01&api-key=***&deployment=d1"
    assert shown in "".join(human.output.split())  # (Rich wraps a long line)
    data = json.loads(CliRunner().invoke(cli, [*argv, "ai", "status", "--json"]).stdout)
    assert data["status"] == "ok" and data["base_url"] == shown
    assert any("api-version=2024-06-01" in r.path for r in server.requests)  # the requests carry the query
    config_show = CliRunner().invoke(cli, [*argv, "config", "show"]).output
    assert f'base_url = "{shown}"' in config_show
    for out in (human.output, json.dumps(data), config_show):
        assert "QSECRET" not in out


def test_ai_status_is_offline_with_the_reason_when_the_password_would_be_misread(tmp_path):
    p = tmp_path / "lokifi.toml"
    p.write_text(f'[ai]\nmodel = "m"\nbase_url = "http://ops:{PASSWORD}@127.0.0.1:9/v1"\n')
    argv = ["--config", str(p), "ai", "status", "--json"]
    data = json.loads(CliRunner().invoke(cli, argv).stdout)
    assert data["configured"] is False and data["status"] == "not_configured"
    assert data["message"].startswith("[ai] base_url: the password must be percent-encoded")
    assert data["base_url"] == "http://ops:***@127.0.0.1:9/v1" and "Zq9pa" not in json.dumps(data)
