"""Redaction of more forms a review found leaking: values in triple quotes, a password written after ``user
NAME``, cloud, MinIO and wireless credentials on command lines, Rich markup inside a value -- and the ordinary
text next to them that must stay as written (``tests pass in 3 s``, ``user bob password expired``)."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, assume, given, settings, strategies as st
from rca_support import passwords
from redact_support import forms_lose_their_password, kept_as_written, shown_as

from analytics.rca.redact import redact
from analytics.rca.redact_cli import PROGRAM
from analytics.rca.redact_keys import KEYWORD, TRIVIAL_VALUE
from analytics.rca.redact_names import SECRET_WORDS, may_name_secret
from analytics.rca.redact_prose import FUNCTION_WORDS, plain_word

PW = "[REDACTED:password]"


test_each_form_is_redacted_and_the_rest_kept = shown_as(
    [
        ('password = """Hunter2x"""', f'password = """{PW}"""'),
        ("password = '''Hunter2x'''", f"password = '''{PW}'''"),
        ('db_password="""two "quoted" words"""', f'db_password="""{PW}"""'),
        ('api_key = """ab\ncd"""  # rotated', 'api_key = """[REDACTED:secret]"""  # rotated'),
        ("user bob pass hunter2", f"user bob pass {PW}"),
        ("User: bob pass hunter2", f"User: bob pass {PW}"),
        ("login root pw toor", f"login root pw {PW}"),
        ("user bob password secret", f"user bob password {PW}"),
        ('user bob pass "two words"', f'user bob pass "{PW}"'),
        ("aws configure set aws_secret_access_key hunter22", f"aws configure set aws_secret_access_key {PW}"),
        (
            "aws configure set profile.dev.aws_session_token abcd --profile dev",
            f"aws configure set profile.dev.aws_session_token {PW} --profile dev",
        ),
        (
            "mc alias set myminio https://minio.internal:9000 minioadmin S3cretKey99",
            f"mc alias set myminio https://minio.internal:9000 minioadmin {PW}",
        ),
        ("mc alias set --api S3v4 m http://x:9000 ak sk1234", f"mc alias set --api S3v4 m http://x:9000 ak {PW}"),
        ("mc config host add m http://x:9000 ak sk1234", f"mc config host add m http://x:9000 ak {PW}"),
        ("mc admin user add m newuser newuser123", f"mc admin user add m newuser {PW}"),
        ("iwconfig wlan0 key s:hunter22", f"iwconfig wlan0 key s:{PW}"),
        ("iwconfig wlan0 key 0123456789", f"iwconfig wlan0 key {PW}"),
        ("iwconfig wlan0 key restricted [2] 0123-4567-89", f"iwconfig wlan0 key restricted [2] {PW}"),
        ('wpa_cli -i wlan0 set_network 0 psk "hunter22x"', f'wpa_cli -i wlan0 set_network 0 psk "{PW}"'),
        ("> set_network 1 psk 0123456789abcdef", f"> set_network 1 psk {PW}"),
        ("echo hunter22x | wpa_passphrase MyHome", f"echo {PW} | wpa_passphrase MyHome"),
        ('echo hunter22x | wpa_passphrase "My Home" > /etc/w', f'echo {PW} | wpa_passphrase "My Home" > /etc/w'),
        ("password=[bold]hunter2[/bold]", f"password={PW}"),
        ("password=[bold red]hunter2[/] ok", f"password={PW} ok"),
        ("[red]error[/red] token=[i]abc123def[/i]", "[red]error[/red] token=[REDACTED:secret]"),
    ],
    stable=True,
)


test_ordinary_text_is_kept = kept_as_written(
    [
        "tests pass in 3 s",
        "the user can pass tests",
        "user bob pass through",
        "user bob password expired",
        "user bob password mismatch for host db1",
        "user bob passed the check",
        "aws configure set region us-east-1",
        "iwconfig wlan0 key off",
        'wpa_cli set_network 0 ssid "home"',
        "[info] started [/x]",
        "[b]x[/b] and [i]y[/i]",
    ]
)


# -- properties ----------------------------------------------------------------------------------------
_password = passwords()


test_a_password_in_any_of_the_new_forms_never_survives = forms_lose_their_password(
    [
        'password = """{p}"""',
        "secret: '''{p}'''",
        'token="""{p}"""',
        "user bob pass {p}",
        "username alice password {p} host db1",
        "aws configure set aws_secret_access_key {p}",
        "mc alias set m https://s3.internal ak {p}",
        "mc admin user add m bob {p}",
        "iwconfig wlan0 key s:{p}",
        "iwconfig wlan0 key open {p}",
        'wpa_cli set_network 0 psk "{p}"',
        "echo {p} | wpa_passphrase Home",
        "password=[bold]{p}[/bold]",
        "api_key=[green on black]{p}[/]",
        'password: "[u]{p}[/u]"',
    ],
    before="2026-12-07T10:00:00Z ERROR ",
    password=_password,
    gone=lambda p: p.rstrip("!%^*_.+"),
)


_STYLE = st.sampled_from(["bold", "red", "bold red", "i", "link=https://example.org/x", "#ff0000", "green on black"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    password=_password,
    styles=st.lists(_STYLE, min_size=1, max_size=3),
    key=st.sampled_from(["password", "token", "api_key", "client_secret"]),
    sep=st.sampled_from(["=", ": ", " = "]),
    short=st.booleans(),
    cut=st.integers(0, 12),
)
def test_markup_inside_a_value_hides_none_of_it(password, styles, key, sep, short, cut):
    """Rich's tags around a value or inside it (``[b]hun[/b]ter2``) are no characters of the value: none of its
    characters survive, whatever the tags."""
    at = min(cut, len(password))
    opened = "".join(f"[{s}]" for s in styles)
    closed = "[/]" * len(styles) if short else "".join(f"[/{s.split('=')[0]}]" for s in reversed(styles))
    line = f"{key}{sep}{password[:at]}{opened}{password[at:]}{closed}"
    out = redact(line).text
    core = password.rstrip("!%^*_.+")
    assert core not in out and (at < 3 or password[:at] not in out) and "[REDACTED:" in out, out


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.text("abcdefghij ", min_size=1, max_size=8), min_size=1, max_size=4),
    styles=st.lists(_STYLE, min_size=1, max_size=4),
    password=_password,
)
def test_text_in_markup_is_shown_as_written_and_a_value_in_it_goes(words, styles, password):
    """Markup around words is shown as written, the tags around a value go with it."""
    text = " ".join(f"[{s}]{w}[/{s.split('=')[0]}]" for w, s in zip(words, styles, strict=False))
    out = redact(f"{text} password=[{styles[0]}]{password}[/{styles[0].split('=')[0]}] next").text
    assert out == f"{text} password={PW} next"


@settings(max_examples=200, deadline=None)
@given(
    # (nor a program whose command line names a password: nmcli ... password X is the command-line rule's)
    name=st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8).filter(
        lambda w: w not in FUNCTION_WORDS and PROGRAM.fullmatch(w) is None
    ),
    word=st.sampled_from(["pass", "password"]),
    after=st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=10),
    more=st.sampled_from([" for host db1", " in 3 s", " on retry"]),
)
def test_the_word_after_user_name_pass_is_the_password_unless_prose_goes_on(name, word, after, more):
    """``user bob pass sunshine`` ends with its password; ``user bob password mismatch for host db1``: a
    lowercase word that more words follow says what happened."""
    assume(after not in FUNCTION_WORDS and not plain_word(after))
    assume(not TRIVIAL_VALUE.match(after) and not KEYWORD.fullmatch(after))  # (a mask's word, the word password)
    assert redact(f"user {name} {word} {after}").text == f"user {name} {word} {PW}"
    line = f"user {name} {word} {after}{more}"
    assert redact(line).text == line


@settings(max_examples=500, deadline=None)
@given(name=st.from_regex(re.compile("(?i)" + SECRET_WORDS), fullmatch=True))
def test_every_secrets_name_holds_a_fragment_the_key_rule_looks_for_first(name):
    """The key rule reads a text only when it holds a fragment of a secret's name: every name holds one, in any
    case (a name without one would never be read)."""
    assert may_name_secret(name)
    assert may_name_secret(f"x {name}=y")
