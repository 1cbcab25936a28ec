"""Commands typed inside quotes (``bash -c "..."``, ``ssh host '...'``, ``echo "auth x" | redis-cli``) lose
their passwords as the same commands typed on a line of their own do, the quotes and the rest of the line
kept; Redis's ``auth X`` alone on its line loses X whatever its letters."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from rca_support import B62, passwords

from analytics.rca.redact import redact
from analytics.rca.redact_quoted import quoted_commands

PW = "[REDACTED:password]"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # the brief's leaks: a command typed inside quotes
        ('echo "auth hunter2" | redis-cli', f'echo "auth {PW}" | redis-cli'),
        ("echo 'auth foobared' | redis-cli -h cache", f"echo 'auth {PW}' | redis-cli -h cache"),
        ('redis-cli <<< "AUTH default hunter2"', f'redis-cli <<< "AUTH default {PW}"'),
        ("printf 'auth hunter2\\r\\n' | nc cache 6379", f"printf 'auth {PW}\\r\\n' | nc cache 6379"),
        # (bash -c "mysql -u root -pS3cret db", sh -c 'curl -u bob:pw http://x' and ssh host "redis-cli -a x
        # ping" lost their passwords before: the property test below holds them)
        # read from outside, the closing quote was taken for the password's and the rest of the line with it
        ('ssh host "redis-cli -a hunter2" && echo ok', f'ssh host "redis-cli -a {PW}" && echo ok'),
        ('ssh host "redis-cli -a hunter2"', f'ssh host "redis-cli -a {PW}"'),
        ('bash -c "mysql -p\\"S3 cret\\" db"', f'bash -c "mysql -p\\"{PW}\\" db"'),
        ('ssh h "redis-cli -a \\"hunter 2\\" ping"', f'ssh h "redis-cli -a \\"{PW}\\" ping"'),
        # quotes inside quotes
        ("ssh h 'echo \"auth hunter2\" | redis-cli'", f"ssh h 'echo \"auth {PW}\" | redis-cli'"),
        ('{"cmd": "echo \\"auth x1\\" | redis-cli"}', f'{{"cmd": "echo \\"auth {PW}\\" | redis-cli"}}'),
    ],
)
def test_a_command_inside_quotes_loses_its_password(text, shown):
    assert redact(text).text == shown


@pytest.mark.parametrize(
    "text",
    [
        'msg="auth failed" user=bob',
        "echo 'auth ok'",
        'echo "AUTH LOGIN" | nc mail 25',
        'docker exec r sh -c "redis-cli -a $PW ping"',
        'sh -c "redis-cli --no-auth-warning ping"',
        "don't pass it on, it's done",
        'logger "pass the salt, please"',
    ],
)
def test_quoted_text_without_a_password_is_kept(text):
    assert redact(text).text == text


def test_only_what_the_rules_removed_changes_inside_the_quotes():
    """The text inside the quotes is read unescaped and written back as it was, but for the placeholder."""
    line = 'run "x=\\$HOME; redis-cli -a hunter2 \\"ping\\"" done'
    assert quoted_commands(line, lambda t: t.replace("hunter2", PW)) == line.replace("hunter2", PW)
    assert quoted_commands(line, lambda t: t) == line


_PROGRAMS = st.sampled_from(
    [
        "redis-cli -a {p} ping",
        "mysql -u root -p{p} db",
        "curl -u bob:{p} http://x",
        "sshpass -p {p} ssh h",
        "auth {p}",
        "AUTH default {p}",
    ]
)
_WRAPS = st.sampled_from(
    [
        'bash -c "{c}"',
        "sh -c '{c}'",
        'ssh host "{c}" && echo ok',
        "ssh host '{c}'; echo done",
        'echo "{c}" | redis-cli',
        "su -c '{c}' root",
        "ssh h 'bash -c \"{c}\"'",
        'kubectl exec pod -- sh -c "{c}" 2>&1',
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(password=passwords(), command=_PROGRAMS, wrap=_WRAPS)
def test_a_password_in_a_quoted_command_never_survives(password, command, wrap):
    """Whatever the password and the command, and however it is quoted: the password is gone, the text
    around the quoted command (after its closing quote) kept, and a second redaction changes nothing."""
    line = wrap.format(c=command.format(p=password))
    once = redact(line).text
    assert password not in once
    assert PW in once
    tail = wrap.split("{c}")[1]
    assert once.endswith(tail)
    assert redact(once).text == once


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(word=st.text(B62[26:52], min_size=4, max_size=12), upper=st.booleans(), quoted=st.booleans())
def test_a_word_alone_after_auth_never_survives(word, upper, quoted):
    """``auth WORD`` alone on its line (or inside quotes) is Redis's AUTH: its word goes whatever its letters
    (foobared, Redis's example password, looks like English) -- unless it reports an outcome."""
    from analytics.rca.redact_protocols import _SASL_MECHANISM, _outcome_word

    def wrapped(value: str) -> str:
        line = f"{'AUTH' if upper else 'auth'} {value}"
        return f'echo "{line}" | redis-cli' if quoted else line

    kept = _outcome_word(word) or _SASL_MECHANISM.fullmatch(word.upper()) is not None  # auth ok, AUTH LOGIN
    assert redact(wrapped(word)).text == (wrapped(word) if kept else wrapped(PW))
