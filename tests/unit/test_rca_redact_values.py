"""Where a value ends: a dotted quad glued to a package's revision is a version, not an address (``1.2.5.1-2``
in dpkg's log); a bracket opened inside a secret's value closes inside it, blanks and all (Rich's escaped
``\\[bold]`` is text, not a tag: its ``]`` ended the value, and the rest of the value was kept); a value with
brackets is a Python annotation's type only when it parses as one; a triple-quoted value over several lines goes
whole, with a string's prefix (``r\"\"\"``: read as a value of its own, the prefix was) or cut before its closing
quotes; a credential's word right after a key's ``=`` is that key's value and still names the word after it
(``x=password Hunter2x``), while one ending a URL query's value names nothing after the URL."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings, strategies as st
from rca_support import passwords
from redact_support import shown_as

from analytics.rca.redact import Redactor
from analytics.rca.redact_names import may_name_secret

PW = "[REDACTED:password]"
S = "[REDACTED:secret]"
IPS = Redactor(redact_ips=True)  # as [ai] redact_ips is by default

# -- a version is no address -------------------------------------------------------------------------------
#: lines of /var/log/dpkg.log and /var/log/apt/*.log as they are written, and addresses around them
test_a_debian_version_is_kept_and_an_address_goes = shown_as(
    [
        ("upgrade libfoo:amd64 1.2.5.1-1 1.2.5.1-2", "upgrade libfoo:amd64 1.2.5.1-1 1.2.5.1-2"),
        (
            "2025-06-24 14:37:47 install alsa-topology-conf:all <none> 1.2.5.1-2",
            "2025-06-24 14:37:47 install alsa-topology-conf:all <none> 1.2.5.1-2",
        ),
        ("Setting up alsa-topology-conf (1.2.5.1-2) ...", "Setting up alsa-topology-conf (1.2.5.1-2) ..."),
        (
            "Preparing to unpack .../021-alsa-topology-conf_1.2.5.1-2_all.deb ...",
            "Preparing to unpack .../021-alsa-topology-conf_1.2.5.1-2_all.deb ...",
        ),
        ("libfoo (1.2.3.4~rc1, 1.2.3.4+dfsg-1)", "libfoo (1.2.3.4~rc1, 1.2.3.4+dfsg-1)"),
        ("from 10.0.0.5 port 22", "from [IP] port 22"),
        ("the attempt came from 10.0.0.5.", "the attempt came from [IP]."),  # a sentence's full stop
        ("from 10.0.0.5. Then", "from [IP]. Then"),
        ("version 1.2.3.4.5", "version 1.2.3.4.5"),
        ("10.0.0.5:8080", "[IP]:8080"),
        ("[10.0.0.5]", "[[IP]]"),
        ("10.0.0.5,", "[IP],"),
        ("10.0.0.0/8", "[IP]/8"),
        ("pool 10.0.0.5-10.0.0.9", "pool [IP]-[IP]"),  # a range: both ends are addresses
        ("pool 10.0.0.5-", "pool [IP]-"),
        ("via 10.0.0.5-eth0", "via [IP]-eth0"),
        # a long number after it is no package's revision: a Hadoop block pool's id holds the namenode's address
        ("block BP-1347369012-10.190.173.170-1444972147527:blk_1", "block BP-1347369012-[IP]-1444972147527:blk_1"),
    ],
    redactor=IPS.redact,
    stable=True,
)

_OCTET = st.integers(0, 255).map(str)


@settings(max_examples=200, deadline=None)
@given(
    first=st.integers(1, 223).filter(lambda o: o != 127).map(str),
    rest=st.lists(_OCTET, min_size=3, max_size=3),
    revision=st.sampled_from(["-{d}", "-{d}ubuntu1", "-{d}+deb12u1", "~rc{d}", "+dfsg-{d}", "+b{d}", "~deb12u{d}"]),
    digit=st.integers(0, 99),
    after=st.sampled_from([" ", ":8080", "]", ",", "/24", ")", "-eth0", "-", "-10.0.0.9", "-1444972147527"]),
)
def test_a_dotted_quad_glued_to_a_revision_is_a_version_and_one_ending_otherwise_an_address(
    first, rest, revision, digit, after
):
    quad = ".".join([first, *rest])
    version = quad + revision.format(d=digit)
    assert IPS.redact(f"upgrade libfoo:amd64 {version} ok").text == f"upgrade libfoo:amd64 {version} ok"
    assert IPS.redact(f"from {quad}{after}x").text.startswith("from [IP]")


# -- a bracket inside a value ------------------------------------------------------------------------------
test_a_bracket_inside_a_value_is_the_values = shown_as(
    [
        ("password=hunt\\[bold]er2x", f"password={PW}"),
        ("password: hunt\\[b]er2x", f"password: {PW}"),
        ("password=ab\\[bold]cdef12[/bold] ok", f"password={PW} ok"),  # (the opening tag escaped: no pair)
        ("password=ab[cd]ef1", f"password={PW}"),
        # (blanks in it too, escaped or not: read to the first blank, the rest of the value after it was kept)
        ("password=ab[c d]ef1", f"password={PW}"),
        ("token=abc[x y]def123 next", f"token={S} next"),
        ("password: A[x y]", f"password: {PW}"),
        ("token=abc\\[b]def123 next", f"token={S} next"),
        ("X-Api-Key: abc\\[b]def123", f"X-Api-Key: {S}"),
        # a bracket around the pair is no value's: it closes outside it
        ("[password=abc] next", f"[password={PW}] next"),
        ("(token=abc123)", f"(token={S})"),
        ("password=[bold]hunter2[/bold]", f"password={PW}"),  # (a pair of tags: dropped, read as hunter2)
    ],
    stable=True,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(password="A000", tag="[x]", cut=1, key="password", sep=": ")  # password: A[x]000 read as an annotation
@example(password="Hunter2x", tag="[0]", cut=6, key="token", sep=": ")
@example(password="ab12", tag="[x y]", cut=2, key="password", sep="=")  # password=ab[x y]12 kept y]12
@given(
    password=passwords(),
    tag=st.sampled_from(
        ["\\[bold]", "\\[/]", "\\[red on black]", "[x]", "[0]", "[]", "\\[link=https://x]", "[x y]", "[a, b]"]
    ),
    cut=st.integers(1, 12),
    key=st.sampled_from(["password", "token", "api_key", "client_secret"]),
    sep=st.sampled_from(["=", ": ", " = ", ":"]),
)
def test_a_bracket_inside_a_value_is_read_as_the_value_without_it_is(password, tag, cut, key, sep):
    """Whatever the bracket and where it stands in the value: the line shows what the same line without it
    shows -- the value gone whole, none of its characters after the bracket left."""
    # (after a colon, a capitalised word and a bracket is a Python annotation's type, password: A[x], but not when
    # the value goes on glued to its closing bracket: password: A[x]000)
    at = min(cut, len(password) - 1)
    out = IPS.redact(f"{key}{sep}{password[:at]}{tag}{password[at:]} next").text
    assert out == IPS.redact(f"{key}{sep}{password} next").text
    assert "[REDACTED:" in out and password[at:] not in out[len(key) + len(sep) :], out


#: a value with brackets that is no Python annotation's type: something glued to its closing bracket, a
#: subscript that is empty
test_a_bracketed_value_that_is_no_annotation_goes_and_an_annotation_stays = shown_as(
    [
        ("password: A[x]000", f"password: {PW}"),
        ("token: Foo[bar]baz next", f"token: {S} next"),
        ("password: Hunter[x]!2", f"password: {PW}"),
        ("password: A[]", f"password: {PW}"),
        # annotations: a subscript of types, nested, a union, a default, the end of a parameter or a sentence
        ("password: Optional[str]", "password: Optional[str]"),
        ("password: list[str]", "password: list[str]"),
        ("def f(password: Optional[str], user: str) -> None:", "def f(password: Optional[str], user: str) -> None:"),
        ("token: dict[str, list[int]] | None = None", "token: dict[str, list[int]] | None = None"),
        ("api_key: Callable[[], Awaitable[str]] = fetch", "api_key: Callable[[], Awaitable[str]] = fetch"),
        ("token: Literal['a', 'b'] = 'a'", "token: Literal['a', 'b'] = 'a'"),
        ('password: typing.Optional["Secret"].', 'password: typing.Optional["Secret"].'),
        ("secret: Annotated[str, Field(min_length=8)] = None", "secret: Annotated[str, Field(min_length=8)] = None"),
        # a string assigned as the default of a nested annotation is the secret (its subscript was cut at the
        # first ']': the default was not found)
        ('password: Optional[List[str]] = "hunter2"', f'password: Optional[List[str]] = "{PW}"'),
    ],
    stable=True,
)


#: a builtin type's name alone is an annotation where the value ends with it (before, code had to go on after it:
#: a default, a union); a capitalised name alone may be a password (Sunshine), and goes
test_a_builtin_type_alone_is_an_annotation_where_the_value_ends = shown_as(
    [
        ("password: str", "password: str"),
        ("def f(password: str, user: str) -> None:", "def f(password: str, user: str) -> None:"),
        ("    password: bytes  # raw", "    password: bytes  # raw"),
        ("password: strong1", f"password: {PW}"),
        ("password: Sunshine", f"password: {PW}"),
    ],
    stable=True,
)


# -- a triple-quoted value over several lines ------------------------------------------------------------
test_a_triple_quoted_value_goes_whole_with_its_prefix_or_cut = shown_as(
    [
        ('password = """\nhunter2\nsecond line\n"""\nnext = 1', f'password = """{PW}"""\nnext = 1'),
        ('token = r"""\nabc123\n"""', f'token = r"""{S}"""'),
        ('password = f"""\nab{x}cd\n"""', f'password = f"""{PW}"""'),
        ("password = rb'''x y\nz'''", f"password = rb'''{PW}'''"),
        ('password = r"two words"', f'password = r"{PW}"'),
        ("User(name='bob', password_bytes=b'IAmSensitiveBytes')", f"User(name='bob', password_bytes=b'{PW}')"),
        # a text cut before the closing quotes: the value runs to its end
        ('password = """\nhunter2\nsecond li', f'password = """{PW}'),
        # an empty value is none
        ('password = """', 'password = """'),
        ('password = """\n\n"""', 'password = """\n\n"""'),
    ],
    stable=True,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(passwords(), min_size=1, max_size=4),
    prefix=st.sampled_from(["", "r", "b", "f", "rb", "u", "R"]),
    quote=st.sampled_from(['"""', "'''"]),
    key=st.sampled_from([("password", PW), ("api_key", S), ("DB_PASSWORD", PW), ("secret", S)]),
    indent=st.sampled_from(["", "    "]),
    closed=st.booleans(),
)
def test_no_line_of_a_triple_quoted_value_survives(lines, prefix, quote, key, indent, closed):
    name, shown = key
    body = "\n".join(indent + line for line in lines)
    end = f"\n{indent}{quote}\nnext = 1" if closed else ""
    out = IPS.redact(f"{indent}{name} = {prefix}{quote}\n{body}{end}").text
    assert all(line not in out for line in lines), out
    assert out == f"{indent}{name} = {prefix}{quote}{shown}" + (f"{quote}\nnext = 1" if closed else "")


# -- a credential's word right after "=" -----------------------------------------------------------------
test_a_credentials_word_after_a_keys_equals_names_the_next_word_and_a_querys_none = shown_as(
    [
        ("x=password Hunter2x", f"x=password {PW}"),
        ("method=passphrase Hunter2x rejected", f"method=passphrase {PW} rejected"),
        ("x=pw Hunter2x", f"x=pw {PW}"),  # (the config-key rule's: a word with letters and a digit)
        ("opts=bindpw s3cret1", f"opts=bindpw {PW}"),
        # a URL query's value (after ?, & or ;): the blank after it ends the URL, and what follows is not named
        ("GET /x?a=pw HTTP/1.1", "GET /x?a=pw HTTP/1.1"),
        ("GET /x?a=password HTTP/1.1", "GET /x?a=password HTTP/1.1"),
        ("GET /x?a=1&b=passwd HTTP/1.1", "GET /x?a=1&b=passwd HTTP/1.1"),
        ("GET /x;a=bindpw HTTP/1.1", "GET /x;a=bindpw HTTP/1.1"),
    ],
    stable=True,
)

_PLAIN_KEY = st.from_regex(r"[a-z][a-z_.]{0,8}", fullmatch=True).filter(lambda k: not may_name_secret(k))
_CREDENTIAL_WORD = st.sampled_from(["password", "passwd", "passphrase", "passcode", "pw", "bindpw", "authtok"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=_PLAIN_KEY, word=_CREDENTIAL_WORD, password=passwords(), after=st.sampled_from(["", " rejected", ", ok"]))
def test_a_password_after_a_credentials_word_after_a_keys_equals_never_survives(key, word, password, after):
    """``key=password Hunter2x``: the word is the key's value, and the word after it is the password."""
    core = password.rstrip(".!")  # (a full stop after it ends the sentence)
    out = IPS.redact(f"{key}={word} {password}{after}").text
    assert core not in out and PW in out, out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=_PLAIN_KEY, word=_CREDENTIAL_WORD, sep=st.sampled_from(["?", "&", ";"]), after=passwords())
def test_a_credentials_word_ending_a_url_query_names_nothing_after_the_url(key, word, sep, after):
    line = f"GET /x{sep}{key}={word} {after}"
    assert IPS.redact(line).text == line
