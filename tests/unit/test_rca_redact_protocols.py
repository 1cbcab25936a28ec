"""Credentials in protocol traces: FTP and POP3 ``PASS`` typed in lower case, FTP ``ACCT``, POP3 ``APOP``'s
digest, IMAP ``LOGIN`` with no tag or with its password sent as a literal on the next line, and SASL
PLAIN's response sent alone -- each removed with the rest of the trace kept, and the ordinary lines that
look like them (a test's result, Python's ``pass``, English) kept whole."""

from __future__ import annotations

import base64

from hypothesis import assume, example, given, settings, strategies as st
from rca_support import B62, passwords
from redact_support import forms_lose_their_password, kept_as_written, shown_as

from analytics.rca.redact import redact
from analytics.rca.redact_numbers import is_iban
from analytics.rca.redact_prose import FUNCTION_WORDS

PW = "[REDACTED:password]"


test_each_trace_loses_its_password_and_keeps_the_rest = shown_as(
    [
        ("pass hunter2x", f"pass {PW}"),
        ("Pass Hunter2x", f"Pass {PW}"),
        ("> pass hunter2x", f"> pass {PW}"),
        # a lowercase word is a password where the trace says so: after C:, or after the USER command
        ("C: pass sunshine", f"C: pass {PW}"),
        ("user bob\npass sunshine\nstat", f"user bob\npass {PW}\nstat"),
        ("C: USER bob\r\nC: pass sunshine\r\n", f"C: USER bob\r\nC: pass {PW}\r\n"),
        ("ACCT secretacct", f"ACCT {PW}"),
        ("C: ACCT secretacct", f"C: ACCT {PW}"),
        (
            'ftpd: FTP command: Client "1.2.3.4", "ACCT secret acct"',
            f'ftpd: FTP command: Client "1.2.3.4", "ACCT {PW}"',
        ),
        # a short password where the session makes it one: the server's replies around it (before, a
        # lowercase pass needed six characters unless USER stood on the line just before it)
        (
            "+OK POP3 ready\nuser bob\n+OK\npass xyz\n+OK Logged in.",
            f"+OK POP3 ready\nuser bob\n+OK\npass {PW}\n+OK Logged in.",
        ),
        (
            "220 (vsFTPd 3.0.3)\r\nuser bob\r\n331 Please specify the password.\r\npass abc\r\n230 Login successful.",
            f"220 (vsFTPd 3.0.3)\r\nuser bob\r\n331 Please specify the password.\r\npass {PW}\r\n230 Login successful.",
        ),
        ("331 Password required for bob\npass abc", f"331 Password required for bob\npass {PW}"),
        ("pass xyz\n-ERR [AUTH] Authentication failed.", f"pass {PW}\n-ERR [AUTH] Authentication failed."),
        ("S: <- 331 need password\n> pass ab1\n", f"S: <- 331 need password\n> pass {PW}\n"),
        ("user bob\npass 1234", f"user bob\npass {PW}"),  # digits too, where the session says so
        ("C: pass 1234", f"C: pass {PW}"),
        ("APOP bob c4c9334bac560ecc979e58001b3e22fb", f"APOP bob {PW}"),
        ("pop3: C: apop bob C4C9334BAC560ECC979E58001B3E22FB", f"pop3: C: apop bob {PW}"),
        ('LOGIN bob "pw"', f'LOGIN bob "{PW}"'),
        ('C: LOGIN "bob" "two words"', f'C: LOGIN "bob" "{PW}"'),
        ("LOGIN bob hunter", f"LOGIN bob {PW}"),
        # an IMAP literal: the password is the client's next line ({8+}: sent without waiting for "+")
        ("a1 LOGIN bob {8}\r\nhunter2x\r\n", f"a1 LOGIN bob {{8}}\r\n{PW}\r\n"),
        ("a1 LOGIN bob {8+}\nhunter2x", f"a1 LOGIN bob {{8+}}\n{PW}"),
        (
            "C: a1 LOGIN {3}\nS: + go ahead\nC: bob {8}\nS: + go ahead\nC: hunter2x\nS: a1 OK done",
            f"C: a1 LOGIN {{3}}\nS: + go ahead\nC: bob {{8}}\nS: + go ahead\nC: {PW}\nS: a1 OK done",
        ),
        (
            "C: a1 LOGIN bob {9}\nS: + Ready\nC: two words\nS: a1 NO",
            f"C: a1 LOGIN bob {{9}}\nS: + Ready\nC: {PW}\nS: a1 NO",
        ),
        # SASL PLAIN: with AUTHENTICATE, and alone on the client's next line (base64 of NUL bob NUL hunter2)
        ("a1 AUTHENTICATE PLAIN AGJvYgBodW50ZXIy", "a1 AUTHENTICATE PLAIN [REDACTED:smtp_auth]"),
        ("AUTH PLAIN AGJvYgBodW50ZXIy", "AUTH PLAIN [REDACTED:smtp_auth]"),
        ("a1 AUTHENTICATE PLAIN\n+\nAGJvYgBodW50ZXIy", "a1 AUTHENTICATE PLAIN\n+\n[REDACTED:encoded_credential]"),
        # Redis's AUTH [user] password typed where a client's command stands (a telnet or nc session): before,
        # only MONITOR's quoted form, the redis-cli prompt and redis-cli's arguments were read
        ("AUTH hunter2\n+OK", f"AUTH {PW}\n+OK"),
        ("C: AUTH default s3cr3t", f"C: AUTH default {PW}"),
        ("> AUTH ${X}y", f"> AUTH {PW}"),
        ("AUTH {{ x }}y", f"AUTH {PW}"),
        # a bracket inside the password, Rich's escaped tag or a lone one: text, no path's separator (its
        # backslash or slash read as a path made the password a test's name)
        ("PASS hunt\\[b]er2x", f"PASS {PW}"),
        ("pass hunt\\[b]er2x", f"pass {PW}"),
        ("> PASS hunt\\[/]er2x", f"> PASS {PW}"),
        ("PASS hunt[/]er2x", f"PASS {PW}"),
        ("PASS hunt\\[bold red]er2x", f"PASS {PW}"),  # (blanks in it: read to its closing bracket)
        ("C: PASS ab[c d]ef1", f"C: PASS {PW}"),
        ("AUTH hunt\\[bold red]er2x", f"AUTH {PW}"),  # (Redis's: read as two words, the first was kept)
        ("AUTH default ab[c d]ef1", f"AUTH default {PW}"),
        ("127.0.0.1:6379> AUTH ab[c d]ef1", f"127.0.0.1:6379> AUTH {PW}"),
    ]
)


test_lines_that_look_like_a_trace_are_kept = kept_as_written(
    [
        "pass through",
        "Pass 50",
        "    pass",
        "pass  # nothing to do",
        "pass lint.",
        "pass test_login",
        "PASS: test_login",
        "> PASS src/app.test.js",
        "PASS tests\\unit\\login.py",  # (a Windows path)
        "PASS tests/test_login.py[bob]",
        "C: pass ****",
        "LOGIN FAILED for bob",
        "LOGIN ON tty1",
        "LOGIN ON tty1 BY bob",
        "LOGIN bob failed again",
        "login bob failed",
        "a1 LOGIN bob {8}",  # the literal's text is not there: nothing to remove, the count is no password
        "APOP is the POP3 command that sends a digest",
        "user bob\npass the salt",
        # no session around a short lowercase word: pass is English too
        "pass xyz",
        "pass abc\n100 items left",
        "pass it\n530 denied",
        "user bob\npass ****",
        "ACCT: 4 processes",
        # SMTP's and IMAP's AUTH name a SASL mechanism (its response, if any, is another rule's); a state
        "AUTH LOGIN",
        "C: AUTH CRAM-MD5",
        "AUTH SCRAM-SHA-256",
        "AUTH failed",
        "AUTH required",
        "AUTH failed for user bob",
        "AUTH ${REDIS_PASSWORD}",
    ]
)


#: six characters or more: a lowercase pass with no trace around it needs them (the shape rule); none
#: that reads as a test's name (PASS ASpec0 is a test runner's line)
_TEST_PARTS = ("test", "spec", "check")
_password = passwords(middle=4).filter(lambda p: not any(w in p.lower() for w in _TEST_PARTS))


test_a_password_in_any_trace_never_survives = forms_lose_their_password(
    [
        "pass {p}",
        "C: pass {p}",
        "user bob\npass {p}",
        "ACCT {p}",
        "acct {p}",
        'LOGIN bob "{p}"',
        "C: LOGIN bob {p}",
        "a1 LOGIN bob {{{n}}}\r\n{p}\r\n",
        "C: a1 LOGIN bob {{{n}+}}\r\nS: + ok\r\nC: {p}\r\n",
        "a1 LOGIN {{3}}\r\nbob {{{n}}}\r\n{p}\r\n",
    ],
    before="trace\n",
    password=_password,
)


@settings(max_examples=200, deadline=None)
@given(
    password=_password,
    tag=st.sampled_from(["\\[b]", "\\[/]", "\\[link=https://x]", "[/]", "[x]", "[0]", "\\[bold red]", "[x y]"]),
    cut=st.integers(1, 12),
    command=st.sampled_from(["PASS", "pass", "ACCT"]),
    marker=st.sampled_from(["", "> ", "C: "]),
)
def test_a_bracket_inside_a_pass_commands_password_hides_none_of_it(password, tag, cut, command, marker):
    assume(command != "pass" or "://" not in tag)  # (typed in lower case it needs a password's shape: a URL has none)
    at = min(cut, len(password) - 1)
    out = redact(f"{marker}{command} {password[:at]}{tag}{password[at:]}").text
    assert out == f"{marker}{command} {PW}", out


@settings(max_examples=150, deadline=None)
@given(
    user=st.text(B62 + "@.-_", min_size=1, max_size=20),
    password=st.text("".join(map(chr, range(0x20, 0x7F))), min_size=3, max_size=40),
    authzid=st.sampled_from(["", "admin"]),
    alone=st.booleans(),
)
def test_a_sasl_plain_response_never_survives(user, password, authzid, alone):
    """Whatever the user and the password, base64 of ``[authzid] NUL user NUL password`` is removed, after
    AUTH PLAIN or alone on the line after it (alone, from 8 base64 characters: user and password of 4 or
    more together -- shorter base64 is as often a word)."""
    assume(password.strip())  # a password of blanks is none (words decode to such)
    token = base64.b64encode(f"{authzid}\0{user}\0{password}".encode()).decode()
    text = "C: a1 AUTHENTICATE PLAIN" + ("\nS: +\nC: " if alone else " ") + token + "\nS: a1 OK"
    out = redact(text).text
    assert token not in out and "[REDACTED:" in out and out.endswith("\nS: a1 OK")


@settings(max_examples=100, deadline=None)
@given(digest=st.text("0123456789abcdef", min_size=32, max_size=32), upper=st.booleans())
def test_an_apop_digest_never_survives(digest, upper):
    d = digest.upper() if upper else digest
    assert redact(f"C: APOP bob {d}").text == f"C: APOP bob {PW}"


def _iban_shaped(letters: str, rest: str) -> str:
    """An upper-case hex digest that is also a valid IBAN: two letters, the two check digits that make its
    mod-97 check pass (ISO 13616), 28 hex digits -- what one random upper-case digest in 97 is."""
    number = int("".join(str(int(c, 36)) for c in rest + letters))
    return f"{letters}{(1 - number * 100) % 97:02d}{rest}"


@settings(max_examples=100, deadline=None)
@given(letters=st.text("ABCDEF", min_size=2, max_size=2), rest=st.text("0123456789ABCDEF", min_size=28, max_size=28))
def test_an_apop_digest_that_passes_an_ibans_check_is_named_a_password(letters, rest):
    """The APOP rule reads the digest before the IBAN rule does (it used to be [REDACTED:iban])."""
    digest = _iban_shaped(letters, rest)
    assert is_iban(digest) or rest.isalpha()  # (28 letters and no digit is no IBAN: then it is plain hex)
    assert redact(f"C: APOP bob {digest}").text == f"C: APOP bob {PW}"
    assert redact(f"APOP bob {digest}").counts == {"password": 1}


_NAMES_OF_ENGLISH = FUNCTION_WORDS | {"pass", "passwd", "pwd", "pw", "passcode", "passphrase", "password"}


def _not_a_word_of_its_own(p: str) -> bool:
    """Not English (pass the salt), a test's name (PASS test_x) or a mask (pass xxx): those stay whatever
    is around them."""
    return p.lower() not in _NAMES_OF_ENGLISH and not any(w in p.lower() for w in _TEST_PARTS) and bool(p.strip("xX"))


@settings(max_examples=200, deadline=None)
@given(
    password=st.text(B62, min_size=1, max_size=5).filter(_not_a_word_of_its_own),
    session=st.sampled_from(
        [
            "+OK POP3 server ready\r\nuser bob\r\n+OK\r\npass {p}\r\n+OK Logged in.\r\n",
            "220 ready\nUSER bob\n331 Please specify the password.\npass {p}\n230 Login successful.\n",
            "331 User name okay, need password.\npass {p}",
            "pass {p}\n530 Login incorrect.",
            "pass {p}\n-ERR [AUTH] Authentication failed.",
            "user bob\n+OK\n+OK still there\npass {p}",
            "C: pass {p}",
        ]
    ),
)
# words a command line's password argument names a source with (openssl -pass stdin), typed in a session:
# there they are the password (Hypothesis found STDIN)
@example(password="STDIN", session="C: pass {p}")
@example(password="stdin", session="331 User name okay, need password.\npass {p}")
@example(password="hidden", session="pass {p}\n530 Login incorrect.")
def test_a_short_password_in_a_session_never_survives(password, session):
    """One to five letters or digits -- too short for the shape rule -- typed in lower case where the server's
    replies (or USER, or C:) make them the password: the text comes back with only them replaced."""
    assert redact(session.format(p=password)).text == session.format(p=PW)
