"""Commands typed inside quotes (``bash -c "..."``, ``ssh host '...'``, ``echo "auth x" | redis-cli``) lose
their passwords as the same commands typed on a line of their own do, the quotes and the rest of the line
kept; Redis's ``auth X`` alone on its line loses X whatever its letters."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings, strategies as st
from rca_support import B62, passwords
from redact_support import kept_as_written, shown_as

from analytics.rca.redact import redact
from analytics.rca.redact_quoted import quoted_commands

PW = "[REDACTED:password]"


test_a_command_inside_quotes_loses_its_password = shown_as(
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
    ]
)


test_quoted_text_without_a_password_is_kept = kept_as_written(
    [
        'msg="auth failed" user=bob',
        "echo 'auth ok'",
        'echo "AUTH LOGIN" | nc mail 25',
        'docker exec r sh -c "redis-cli -a $PW ping"',
        'sh -c "redis-cli --no-auth-warning ping"',
        "don't pass it on, it's done",
        'logger "pass the salt, please"',
    ]
)


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
@example(word="login", upper=True, quoted=False)  # AUTH login: SMTP's mechanism in lower case, found by hypothesis
def test_a_word_alone_after_auth_never_survives(word, upper, quoted):
    """``auth WORD`` alone on its line (or inside quotes) is Redis's AUTH: its word goes whatever its letters
    (foobared, Redis's example password, looks like English) -- unless it reports an outcome."""
    from analytics.rca.redact_protocols import _SASL_MECHANISM, _outcome_word

    def wrapped(value: str) -> str:
        line = f"{'AUTH' if upper else 'auth'} {value}"
        return f'echo "{line}" | redis-cli' if quoted else line

    kept = _outcome_word(word) or _SASL_MECHANISM.fullmatch(word.upper()) is not None  # auth ok, AUTH LOGIN
    assert redact(wrapped(word)).text == (wrapped(word) if kept else wrapped(PW))


def test_a_quoted_phrase_that_holds_nothing_a_command_rule_needs_is_not_read_as_a_command(monkeypatch):
    """A structured log's quoted phrases (a message, an error) hold no flag, pipe, quote, program or session
    word: the command-line rules read the line once, not once more for each phrase (before, each of the
    phrases below was read as a command line of its own, at some 50 µs each)."""
    from analytics.rca import redact_cli

    calls: list[str] = []
    real = redact_cli.command_lines

    def counted(s, replace):
        calls.append(s)
        return real(s, replace)

    monkeypatch.setattr(redact_cli, "command_lines", counted)
    line = (
        '{"msg": "order cache timed out after retry", "error": "connection pool exhausted", '
        '"hint": "raise the pool size", "ts": "2026-12-07T04:00:00Z"}'
    )
    assert redact(line).text == line
    assert calls == [line]
    assert redact('{"cmd": "redis-cli -a hunter2 ping"}').text == f'{{"cmd": "redis-cli -a {PW} ping"}}'


#: the pieces of quoted phrases: plain words, and commands that carry passwords, each needing another of the
#: things a command rule reads (a flag, a pipe, a here-string, a program, a session's word, a quote)
_PHRASE_PIECES = st.sampled_from(
    ["order", "cache timed out", "after retry for bob", "the pool", "user bob", "-", "|", "'"]
    + ["mysql -u root -pS3cret db", "redis-cli -a hunter2 ping", "auth default foobared", "sshpass -p hunter2 ssh"]
    + ["x\\nnet user bob Hunter2x", "net user bob Hunter2x", "echo hunter2 | sudo -S ls", "sudo -S ls <<< hunter2"]
    + ["curl -u bob:pw1 http://x", "LOGIN bob hunter2", "pass hunter2x", "wpa_passphrase home Hunter2x"]
    + ["--password Hunter2x", "bash -c \\'redis-cli -a hunter2\\'", "x\\nauth foobared"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    phrases=st.lists(st.lists(_PHRASE_PIECES, min_size=1, max_size=4).map(" ".join), min_size=1, max_size=3),
    quote=st.sampled_from(['"', "'"]),
)
def test_skipping_quoted_phrases_no_command_rule_can_read_changes_no_result(phrases, quote):
    """Whatever the quoted phrases of a structured log line: the redaction with the phrases that no command-line
    rule can read skipped is the redaction that reads every phrase."""
    from unittest import mock

    from analytics.rca import redact as redact_module

    body = ", ".join(f"{quote}k{i}{quote}: {quote}{p.replace(quote, '')}{quote}" for i, p in enumerate(phrases))
    line = "{" + body + "}"
    with mock.patch.object(redact_module, "_may_hold_command", lambda text: True):
        every = redact(line).text
    assert redact(line).text == every
