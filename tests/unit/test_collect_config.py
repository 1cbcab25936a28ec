"""The config: every problem reported with its line and key; a bad file never crashes and what is
valid still applies; `lokifi config init` writes a file that checks clean."""

from __future__ import annotations

from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from analytics.config.settings import load_config, locate_keys
from analytics.config.starter import Found, render

GOOD = """\
[general]
host = "web1"
collect_seconds = 5

[collect]
flush_seconds = 10

[[components]]
name = "backend"
process = "gunicorn"
logs = ["/var/log/backend/*.log"]

  [[components.probes]]
  kind = "http"
  url = "http://127.0.0.1:8000/health"
  expect_status = [200, 204]

[[components]]
name = "redis"
probes = [ { kind = "tcp", host = "127.0.0.1", port = 6379 } ]
"""


def write(tmp_path, text):
    p = tmp_path / "lokifi.toml"
    p.write_text(text)
    return p


def by_key(cfg):
    return {i.key: i for i in cfg.issues}


def test_good_file_loads_clean(tmp_path):
    cfg = load_config(write(tmp_path, GOOD))
    assert cfg.issues == () and cfg.problems == ()
    assert cfg.host == "web1" and cfg.collect.flush_seconds == 10.0
    be, redis = cfg.components
    assert be.probes[0].expect_status == (200, 204)
    assert redis.probes[0].port == 6379


def test_each_error_has_its_line_and_key(tmp_path):
    text = (
        GOOD.replace("collect_seconds = 5", 'collect_seconds = "often"')
        .replace("expect_status = [200, 204]", "expect_status = [200, 204]\n  timeout = -1")
        .replace("port = 6379", "port = 70000")
    )
    cfg = load_config(write(tmp_path, text))
    issues = by_key(cfg)
    assert issues["general.collect_seconds"].line == 3
    assert "expected float" in issues["general.collect_seconds"].message
    assert issues["components[0].probes[0].timeout"].line == 17
    # an inline table: the line of the key that holds it
    assert issues["components[1].probes[0].port"].line == 21
    assert all(i.severity == "error" for i in cfg.issues)
    assert cfg.problems[0].startswith(f"{tmp_path / 'lokifi.toml'}:3: general.collect_seconds:")
    # and the valid rest still applies
    assert cfg.general.collect_seconds == 5.0 and cfg.general.host == "web1"
    assert [c.name for c in cfg.components] == ["backend", "redis"]
    assert cfg.components[0].probes == () and cfg.components[1].probes == ()


def test_syntax_error_skips_only_that_line(tmp_path):
    text = GOOD.replace('process = "gunicorn"', 'process = "gunicorn\nthis is not toml')
    cfg = load_config(write(tmp_path, text))
    lines = sorted(i.line for i in cfg.issues)
    assert lines[:2] == [10, 11]
    assert all("syntax" in i.message for i in cfg.issues if i.line in (10, 11))
    assert cfg.general.host == "web1"
    assert cfg.components[0].name == "backend" and cfg.components[0].probes


def test_unknown_keys_are_warnings(tmp_path):
    cfg = load_config(write(tmp_path, GOOD + "\n[collect]\n"[:0] + "[mystery]\nx = 1\n"))
    (i,) = cfg.issues
    assert i.key == "mystery" and i.severity == "warning" and i.line == 21


def test_duplicate_component_and_bad_url(tmp_path):
    text = GOOD + '\n[[components]]\nname = "redis"\n\n[[components]]\nname = "x"\nprobes = [{ url = "ftp://h/" }]\n'
    cfg = load_config(write(tmp_path, text))
    issues = by_key(cfg)
    assert issues["components[2].name"].line == 23
    assert issues["components[3].probes[0].url"].line == 27


def test_not_utf8(tmp_path):
    p = tmp_path / "lokifi.toml"
    p.write_bytes(b'[general]\nhost = "\xff"\n')
    cfg = load_config(p)
    assert cfg.issues[0].line == 2 and "UTF-8" in cfg.issues[0].message


def test_locate_keys_nested_arrays():
    lines = locate_keys(GOOD)
    assert lines["general.host"] == 2
    assert lines["components[0]"] == 8 and lines["components[0].probes[0]"] == 13
    assert lines["components[0].probes[0].url"] == 15
    assert lines["components[1].name"] == 19


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            list("[]{}=\"'#.,\n abc123-_") + ["true", "components", "general", "probes", "[[components]]", "name", "\n"]
        ),
        max_size=80,
    ).map("".join)
)
def test_any_text_loads_without_raising(tmp_path_factory, text):
    p = tmp_path_factory.mktemp("cfg") / "lokifi.toml"
    p.write_text(text)
    cfg = load_config(p)
    for i in cfg.issues:
        assert i.line is None or 1 <= i.line <= text.count("\n") + 1


def test_starter_file_checks_clean(tmp_path):
    found = [
        Found(
            "backend",
            "gunicorn",
            http=["http://127.0.0.1:8000/"],
            tcp=[("127.0.0.1", 6379)],
            logs=["/var/log/nginx/error.log"],
        ),
        Found('we"ird', "", tcp=[("::1", 5432)]),
    ]
    for text in (render(found, host="h"), render([], host="h")):
        cfg = load_config(write(tmp_path, text))
        assert cfg.issues == (), cfg.problems
    cfg = load_config(write(tmp_path, render(found, host="h")))
    assert [c.name for c in cfg.components] == ["backend", 'we"ird']
    assert cfg.components[1].probes[0].host == "::1"


def test_cli_init_check_show(tmp_path):
    from lokifi_tui.cli.main import cli

    cfgp = tmp_path / "c.toml"
    r = CliRunner().invoke(cli, ["--config", str(cfgp), "config", "init", "--no-detect"])
    assert r.exit_code == 0, r.output
    assert cfgp.exists()
    r = CliRunner().invoke(cli, ["--config", str(cfgp), "config", "init", "--no-detect"])
    assert r.exit_code == 3 and "already" in r.output
    r = CliRunner().invoke(cli, ["--config", str(cfgp), "config", "check"])
    assert r.exit_code == 0 and "ok" in r.output
    cfgp.write_text('[general]\ncollect_seconds = "x"\n[ai]\napi_key_file = "/k"\n')
    r = CliRunner().invoke(cli, ["--config", str(cfgp), "config", "check", "--json"])
    assert r.exit_code == 3
    import json

    data = json.loads(r.stdout)
    assert data["issues"][0]["line"] == 2 and data["issues"][0]["key"] == "general.collect_seconds"
    r = CliRunner().invoke(cli, ["--config", str(cfgp), "config", "show", "--json"])
    assert r.exit_code == 0
    assert json.loads(r.stdout)["ai"]["api_key_file"] == "/k"


def test_config_show_masks_a_password_written_into_a_url(tmp_path):
    """A password in a source's or Alertmanager's URL (any characters, '@' too) is shown as ***; who logs
    in and where stay readable."""
    import json

    from lokifi_tui.cli.main import cli

    cfgp = tmp_path / "c.toml"
    cfgp.write_text(
        '[[sources]]\nname = "prom"\ntype = "prometheus"\nurl = "http://admin:s3cr3tP@ss@127.0.0.1:9/"\n'
        '[alerts.alertmanager]\nurl = "http://am:Am%21Pass@127.0.0.1:9"\n'
    )
    for args in (["config", "show"], ["config", "show", "--json"]):
        r = CliRunner().invoke(cli, ["--config", str(cfgp), *args])
        assert r.exit_code == 0, r.output
        assert "s3cr3t" not in r.output and "Am%21Pass" not in r.output and "P@ss" not in r.output
        assert "http://admin:***@127.0.0.1:9/" in r.output and "http://am:***@127.0.0.1:9" in r.output
    assert json.loads(r.stdout)["sources"][0]["url"] == "http://admin:***@127.0.0.1:9/"


def test_config_show_hides_every_http_header_value(tmp_path):
    """Headers carry credentials under any name: each value is ***, the names stay."""
    from lokifi_tui.cli.main import cli

    cfgp = tmp_path / "c.toml"
    cfgp.write_text(
        '[[sources]]\nname = "prom"\ntype = "prometheus"\nurl = "http://127.0.0.1:9/"\n'
        'headers = { "X-Api-Key" = "HDRSECRET1", "Cookie" = "session=HDRSECRET2", "X-Auth" = "HDRSECRET3" }\n'
        '[alerts.alertmanager]\nurl = "http://127.0.0.1:9"\nheaders = { "X-Scope-OrgID" = "HDRSECRET5" }\n'
    )
    for args in (["config", "show"], ["config", "show", "--json"]):
        r = CliRunner().invoke(cli, ["--config", str(cfgp), *args])
        assert r.exit_code == 0, r.output
        assert "HDRSECRET" not in r.output and "X-Api-Key" in r.output and "X-Scope-OrgID" in r.output


def test_config_show_masks_a_password_holding_a_slash_and_a_command_lines_password(tmp_path):
    """'/' in a password (not percent-encoded) makes a URL parser read it as a path: the setting is refused,
    and the URL to write instead is shown with the password masked; a password in a component's cmdline
    is redacted."""
    from lokifi_tui.cli.main import cli

    cfgp = tmp_path / "c.toml"
    cfgp.write_text(
        '[[components]]\nname = "web"\ncmdline = "gunicorn --env DB_PASSWORD=hunter2xyz app:app"\n'
        '[[sources]]\nname = "loki"\ntype = "loki"\nurl = "http://ops:12345/xyzSECRET@loki.internal:3100"\n'
        '[alerts.alertmanager]\nurl = "http://am:8080/SecretAM@127.0.0.1:9093"\n'
    )
    for args in (["config", "show"], ["config", "show", "--json"], ["sources", "list"]):
        r = CliRunner().invoke(cli, ["--config", str(cfgp), *args])
        assert r.exit_code == 0, r.output
        assert "SECRET" not in r.output and "SecretAM" not in r.output and "hunter2xyz" not in r.output, r.output
    shown = CliRunner().invoke(cli, ["--config", str(cfgp), "config", "show"]).output
    assert "write http://ops:***%2F***@loki.internal:3100 ('/' as %2F)" in shown


def test_config_file_is_written_through_no_planted_link(tmp_path):
    """A link planted where a predictable temporary name would be (in a directory others can write) is
    neither written through nor kept: the file written is a new one, with the usual mode."""
    import os
    import stat

    from analytics.config.starter import write_text

    shared = tmp_path / "shared"
    shared.mkdir(mode=0o1777)
    victim = tmp_path / "victim"
    victim.write_text("root's own file\n")
    for name in (".lokifi.toml.tmp", "lokifi.toml.tmp", ".lokifi.toml.bak.tmp"):
        (shared / name).symlink_to(victim)
    path = shared / "lokifi.toml"
    old = os.umask(0o022)
    try:
        write_text(path, "[general]\n")
        assert victim.read_text() == "root's own file\n"
        assert not path.is_symlink() and path.read_text() == "[general]\n"
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        path.chmod(0o640)  # the user's own choice stays
        write_text(path, "[general]\nhost = 'a'\n", replace=True)
        assert stat.S_IMODE(path.stat().st_mode) == 0o640 and (shared / "lokifi.toml.bak").read_text() == "[general]\n"
    finally:
        os.umask(old)
    assert victim.read_text() == "root's own file\n"
    assert sorted(p.name for p in shared.iterdir() if not p.is_symlink()) == ["lokifi.toml", "lokifi.toml.bak"]
