"""A secret's value that is a variable reference (``${X}``, ``$X``, ``{{ x }}``, ``%(x)s``) is kept whole, and
one with anything glued to it is removed whole, the reference with it -- never cut at a brace
(``api_key=${X}y`` came out as ``api_key=[REDACTED:secret]}y``). Why: :mod:`analytics.rca.redact_refs`."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from analytics.rca.redact import Redactor

REDACTOR = Redactor()


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("api_key=${X}y", "api_key=[REDACTED:secret]"),
        ("secret: ${X}y, user=bob", "secret: [REDACTED:secret], user=bob"),
        ("password=ab${X}", "password=[REDACTED:password]"),
        ("password=${DB_PASS}:5432", "password=[REDACTED:password]"),
        ("password=${X:-Hunter2}", "password=[REDACTED:password]"),  # a default is a literal
        ("token=%(x)sabc", "token=[REDACTED:secret]"),
        ('password={{ x | default "s3cr3tpw" }} ok', "password=[REDACTED:password] ok"),
        ("--password {{ x }}y", "--password [REDACTED:password]"),
        # references alone are kept: they name where the secret comes from
        ("api_key=${X}", "api_key=${X}"),
        ("password={{ .Values.db.password }}", "password={{ .Values.db.password }}"),
        ("token=%(token)s", "token=%(token)s"),
        ("--password {{ x }}", "--password {{ x }}"),
        ("password=${A}${B}, next=1", "password=${A}${B}, next=1"),
        # the same in prose, on command lines, in headers and query strings
        ("the password is ${X} now", "the password is ${X} now"),
        ("the password is ${X}y now", "the password is [REDACTED:password] now"),
        ("mysql -u root -p{{ db_pass }} db", "mysql -u root -p{{ db_pass }} db"),
        ("mysql -u root -p{{ db_pass }}y db", "mysql -u root -p[REDACTED:password] db"),
        ("sshpass -p {{ x }}y ssh h", "sshpass -p [REDACTED:password] ssh h"),
        ("X-Api-Key: ${API_KEY}", "X-Api-Key: ${API_KEY}"),
        ("X-Api-Key: ${X}y", "X-Api-Key: [REDACTED:secret]"),
        ("My-Auth: ${X}y", "My-Auth: [REDACTED:secret]"),
        ("My-Auth: {{ x }}", "My-Auth: {{ x }}"),
        ("GET /x?token={{ t }}y&a=1", "GET /x?token=[REDACTED:query_secret]&a=1"),
    ],
)
def test_a_reference_is_kept_or_removed_whole(line, shown):
    assert REDACTOR.redact(line).text == shown


#: any name, and often one a rule reads as a secret's key ({{ pw }} is a variable's name, not a key)
_NAME = st.one_of(
    st.sampled_from(("pw", "PW", "pass", "password", "passwd", "token", "secret", "authtok", "api_key", "AUTH", "pin")),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True),
)
_FORMS = ("${%s}", "$%s", "{{ %s }}", "{{%s}}", "%%(%s)s")
#: what can be glued to a reference inside one value: no blank or delimiter (which would end the value) and
#: no brace, dollar, percent or parenthesis (which would start another expansion), no @ (a URL's password)
_GLUE = st.text(alphabet="abcXYZ0189_./:+-!*#~^", max_size=12)
_LINES = (
    "{key}={value}, next=1",
    "{key}: {value}, next=1",
    '"{key}": "{value}", "next": 1',
    "--{key} {value} --next",
    "--{key}={value} --next",
    # command lines whose password argument the key is not named in (the key is then unused)
    "mysql -u root -p{value} db",
    "sshpass -p {value} ssh h",
    "redis-cli -a {value} ping",
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.sampled_from(("password", "api_key", "token", "client_secret", "DB_PASSWORD", "secret")),
    line=st.sampled_from(_LINES),
    form=st.sampled_from(_FORMS),
    name=_NAME,
    before=_GLUE,
    after=_GLUE,
)
def test_a_glued_reference_leaves_nothing_behind(key, line, form, name, before, after):
    assume("REDACTED" not in name + before + after)  # text that reads as a placeholder already
    assume(not before.startswith(":"))  # "--password :x" reads "password :" as a key and its separator
    value = before + form % name + after
    text = line.format(key=key, value=value)
    shown = REDACTOR.redact(text).text
    # $X followed by word characters is the reference of a longer name, still only a reference
    only_reference = not before and (not after or (form == "$%s" and re.fullmatch(r"\w+", after) is not None))
    if only_reference:
        assert shown == text
    else:
        assert shown == line.format(key=key, value="[REDACTED:password]") or shown == line.format(
            key=key, value="[REDACTED:secret]"
        ), shown
