"""The security review's realistic secrets never reach the model: each line is recorded with ``lokifi
error record`` and ``lokifi ai preview <pattern> --json`` shows exactly what would be sent -- the
secret is not in it, in any form, and what was around it is."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from lokifi_tui.cli.main import cli

# (log line, its secret, a word around it that must still be there)
REVIEW = [
    ('type=EXECVE msg=audit(1700000000.1:7): argc=3 a0="mysql" a1="-uroot" a2="-pHunter2xyz"', "Hunter2xyz", "mysql"),
    ('1700000000.123456 [0 127.0.0.1:5555] "AUTH" "default" "Hunter2abc"', "Hunter2abc", "AUTH"),
    ("deploy ran redis-cli -h cache AUTH Hunter2abc", "Hunter2abc", "redis-cli"),
    ("new password Hunter2def was rejected", "Hunter2def", "rejected"),
    ("Password hunter2 rejected", "hunter2", "rejected"),
    ("login using password letmein123", "letmein123", "using"),
    ("login with password hunter2 failed", "hunter2", "failed"),
    ("reset done, the password is letmein", "letmein", "reset"),
    ("reset done, the pass is swordfish", "swordfish", "reset"),
    ("reset done, pwd is swordfish", "swordfish", "pwd"),
    ("chpasswd helper: passwd hunter2x failed", "hunter2x", "helper"),
    ("wifi setup password: correct horse battery staple", "battery staple", "wifi"),
    ("login failed: invalid password \u201cHunter2cq\u201d for bob", "Hunter2cq", "invalid"),
    ("SET PASSWORD FOR 'bob'@'%' = 'Hunter2ghi'", "Hunter2ghi", "bob"),
    ("cron: REDISCLI_AUTH=Hunter2jkl redis-cli ping", "Hunter2jkl", "ping"),
    ("ci: GITHUB_AUTH=Hunter2mno git push", "Hunter2mno", "push"),
    ("proxy: HTTP_AUTH=bob:Hunter2pqr curl x", "Hunter2pqr", "proxy"),
    ("nmcli dev wifi connect HomeNet password Hunter2stu", "Hunter2stu", "HomeNet"),
    ("setup: wpa_passphrase HomeNet Hunter2vwx", "Hunter2vwx", "HomeNet"),
    ('wpa_supplicant.conf: network={ ssid="HomeNet" psk="Hunter2yz0" }', "Hunter2yz0", "ssid"),
    ("provision: useradd -m -p Hunter2u11 bob", "Hunter2u11", "useradd"),
    ("provision: net user bob Hunter2n22 /add", "Hunter2n22", "/add"),
    ("fetch https://user:it's-Secret9@host/x failed", "it's-Secret9", "fetch"),
    ("payment declined cc:4111111111111111", "4111111111111111", "declined"),
    ("payment declined card_number:4111111111111111", "4111111111111111", "declined"),
    ("payment declined card 4111.1111.1111.1111", "4111.1111.1111.1111", "declined"),
    ("login pass\u200bword=Hunter2zw", "Hunter2zw", "login"),
    ("login p\u0430ssword=Hunter2cy", "Hunter2cy", "login"),
    ("login password\uff1dHunter2fw", "Hunter2fw", "login"),
    # the sweep's: XML elements, mail and FTP traces, PINs, what a password was set to, openssl passwd
    ("soap: <wsse:Password>Sunshine99</wsse:Password> rejected", "Sunshine99", "wsse:Password"),
    ('config: <entry key="db.password">Sunshine98</entry>', "Sunshine98", "db.password"),
    ("ftp trace: C: PASS Sunshine97", "Sunshine97", "trace"),
    ('[pid 4] [bob] FTP command: Client "1.2.3.4", "PASS Sunshine96"', "Sunshine96", "FTP command"),
    ('imap trace: a001 LOGIN bob "Sun shine95"', "Sun shine95", "LOGIN"),
    ("card setup failed PIN: 48213579", "48213579", "setup"),
    ("User bob changed password to Sunshine94", "Sunshine94", "changed"),
    ("password for bob set to marigold", "marigold", "bob"),
    ("provision: openssl passwd -6 -salt abc Sunshine93", "Sunshine93", "salt"),
    # what a password became as the line's last word, and whose password it is
    ("User bob changed password to sunshine", "sunshine", "changed"),
    ("password for bob is Sunshine92", "Sunshine92", "bob"),
    ("the password for user bob was set to Xy9!abc", "Xy9!abc", "bob"),
    # protocol traces: typed in lower case, APOP, untagged LOGIN, ACCT
    ("pass hunter2x", "hunter2x", "pass"),
    ("pop3 trace: C: APOP bob c4c9334bac560ecc979e58001b3e22fb", "c4c9334bac560ecc979e58001b3e22fb", "APOP"),
    ('imap trace: C: LOGIN bob "Sun shine91"', "Sun shine91", "LOGIN"),
    ("ftp trace: C: ACCT secretacct", "secretacct", "ACCT"),
    # a token named in prose, in lower case
    ("request failed: invalid api key abcdefghij0123456789klmn", "abcdefghij0123456789klmn", "invalid"),
]

#: ordinary lines the sweep found redacted: each reaches the prompt as it is
KEPT = [
    "passwd: all authentication tokens updated successfully.",
    "PASS: test_login (3 assertions)",
    "token_type=bearer expires_in=3600",
    "pam_unix(passwd:chauthtok): password changed for bob",
    "portal: change your password to continue",
    "login: LOGIN ON tty1 BY bob",
]


def _preview(store, line: str) -> tuple[str, dict]:
    db = ["--db", str(store.path)]
    rec = CliRunner().invoke(cli, [*db, "error", "record", line, "-c", "api", "--json"], catch_exceptions=False)
    assert rec.exit_code == 0, rec.output
    pattern = json.loads(rec.output)["error_hash"]
    shown = CliRunner().invoke(cli, [*db, "ai", "preview", pattern[:12], "--json"], catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    return shown.output, json.loads(shown.output)


@pytest.mark.parametrize(("line", "secret", "kept"), REVIEW, ids=[r[1] for r in REVIEW])
def test_the_reviews_secrets_never_reach_the_prompt(store, line, secret, kept):
    output, sent = _preview(store, line)
    prompt = sent["body"]["messages"][-1]["content"]
    for part in [secret, *(w for w in secret.split() if len(w) > 4)]:
        assert part not in output and json.dumps(part)[1:-1] not in output, prompt
    assert "[REDACTED:" in prompt and kept in prompt
    assert sent["redactions"]


@pytest.mark.parametrize("line", KEPT)
def test_an_ordinary_line_reaches_the_prompt_as_it_is(store, line):
    _, sent = _preview(store, line)
    prompt = sent["body"]["messages"][-1]["content"]
    assert f"- {line}\n" in prompt and "[REDACTED:" not in prompt, prompt
    assert not sent["redactions"]
