"""Forms a secret took past the redactor, and words it took that were none (found by reading the redactor
as an attacker would, and over this machine's /etc)."""

from __future__ import annotations

import pytest

from analytics.rca.redact import Redactor

_R = Redactor.for_config(None)


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("htpasswd -Bb /etc/nginx/.htpasswd bob S3cr3tPw", "S3cr3tPw"),  # -b among short options written together
        ("htpasswd -cbB /etc/nginx/.htpasswd bob S3cr3tPw", "S3cr3tPw"),
        ("ssh-keygen -p -P 0ldPhrase -N n3wPhrase -f key", "0ldPhrase"),
        ("ssh-keygen -p -P 0ldPhrase -N n3wPhrase -f key", "n3wPhrase"),
        ("expdp system/Hunter2x@ORCL directory=dp dumpfile=x.dmp", "Hunter2x"),
        ('Authorization: Digest username="bob", realm="r", response="6629fae49393a05397450978507c4ef1"', "6629fae4"),
        ("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n", "MIIFHDBO"),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,9F\n\nMIIEowIBAAKCAQEA\n",
            "MIIEow",
        ),
        ("      - name: DB_PASSWORD\n        value: hunter2", "hunter2"),
        ('{"name": "API_TOKEN", "value": "abc def"}', "abc def"),
        ("define('DB_PASSWORD', 'hunter2');", "hunter2"),
        ('setenv("SMTP_PASS", "hunter2")', "hunter2"),
        ("the new pw is hunter2", "hunter2"),
        ("the password is: hunter2", "hunter2"),
        ("password for bob: hunter2", "hunter2"),
        ("[sudo] password for bob: hunter2", "hunter2"),
        ("\x1b[1;31mpassword\x1b[0m=hunter2", "hunter2"),  # a terminal's colours around the key's name
        ("passwd <<< ( <<< hunter2", "hunter2"),  # one command's here-strings: the last is its input
        ("echo say echo hunter2 | passwd --stdin bob", "say"),  # all that echo writes is the password
        ("  password: |-\n    hunter2\n  user: bob", "hunter2"),  # YAML's block scalar: the lines under the key
        ("dial root:hunter2@tcp(db:3306)/app?parseTime=true", "hunter2"),  # Go's DSN
        ('server.login("bob", "hunter2")', "hunter2"),
        ("requests.get(url, auth=('bob', 'hunter2'))", "hunter2"),
        ('curl -H "Authorization: Basic $(echo -n bob:hunter2 | base64)" https://h/', "hunter2"),
        ("echo 'hunter2' | kinit bob@EXAMPLE.COM", "hunter2"),
        ("racadm -r idrac1 -u root -p calvin getsysinfo", "calvin"),
        ("POST https://discord.com/api/webhooks/1234567890/AbCdEf1234567890_xyzXYZ-abcdefghijklmnop", "AbCdEf1234"),
        ("bob:{PLAIN}s3cretpw:1000:1000::/home/bob", "s3cretpw"),  # Dovecot's passwd-file
        ('{"api_keys": ["k3yOne", "k3yTwo"]}', "k3yTwo"),  # a list of strings under a secret's name
        ("passwords = ['hunter2', 'Hunter3']", "hunter2"),
    ],
)
def test_a_secret_in_this_form_never_survives(line, secret):
    assert secret not in _R.redact(line).text


@pytest.mark.parametrize(
    ("kept", "redacted"),
    [
        # passive is no password's word; a password's word glued to a name still names one
        ("passive_ftp = on", "dbpass=hunter"),  # /etc/wgetrc
        ("bypass_cache = on", "DB_PASS2=hunter"),
        ("compass = north", "adminPassword=hunter"),
        ("PASSIVE_MODE=on", "passwords: hunter"),
        ("passenger_enabled on", "Passwort: geheim"),  # (any language's word: passwort, passord, mot_de_passe)
        ("passage = north", "mot_de_passe=secret"),
        ("passing: 3", "passord=hemmelig"),
        # a comment's mark after an empty value is none ('#' starting a word is the value's)
        ("secret = # disable PBM", "secret = #abc123"),  # /etc/ssl/openssl.cnf
        ("token: # fill in", "token: #fill"),
        # extensions after a MIME type are no key and value (a config file's key starting its line is)
        ("application/vnd.intercon.formnet\t\txpw xpx", "bindpw hunter"),  # /etc/mime.types
        ("x -P oldpw -N n3w", "x --pw n3w"),  # -N follows a flag: it is none of oldpw's value
        ("mysql --password | tee out.log", "mysql --password=s3cr3t | tee out.log"),  # a pipe is no flag's value
        ("echo 12:30 | base64 -d", "echo 12:30 | base64"),  # base64 decoding reads no credential
    ],
)
def test_a_word_that_only_looks_like_a_secrets_name_keeps_its_value(kept, redacted):
    assert _R.redact(kept).text == kept
    assert "REDACTED" in _R.redact(redacted).text
