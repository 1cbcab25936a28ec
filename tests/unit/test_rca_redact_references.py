"""A secret's value that is a variable reference (``${X}``, ``$X``, ``{{ x }}``, ``%(x)s``) is kept whole, and
one with anything glued to it is removed whole, the reference with it -- never cut at a brace
(``api_key=${X}y`` came out as ``api_key=[REDACTED:secret]}y``). Why: :mod:`analytics.rca.redact_refs`."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, assume, example, given, settings, strategies as st
from redact_support import shown_as

from analytics.rca.redact import Redactor

REDACTOR = Redactor()


test_a_reference_is_kept_or_removed_whole = shown_as(
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
    redactor=REDACTOR.redact,
)


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


# --- the forms that read a value as one word: a URL's query, Authorization, protocol traces, userinfo ---------
test_a_reference_in_a_one_word_value_is_read_whole = shown_as(
    [
        # a query value that is a reference ends at the next parameter: the rest of the query is kept (it was
        # lost with the reference: the key rule read "${X}&a=1" as one value), a following secret still goes
        ("GET /x?token=${X}&a=1", "GET /x?token=${X}&a=1"),
        ("GET /x?token={{ t }}&a=1 HTTP/1.1", "GET /x?token={{ t }}&a=1 HTTP/1.1"),
        ("GET /x?token=$X&a=1", "GET /x?token=$X&a=1"),
        ("GET /x?auth=%(t)s&a=1#top", "GET /x?auth=%(t)s&a=1#top"),
        ("GET /x?token=${X}&a=1&password=hunter2", "GET /x?token=${X}&a=1&password=[REDACTED:query_secret]"),
        ("GET /x?token=${X}y&a=1", "GET /x?token=[REDACTED:query_secret]&a=1"),
        # Authorization, with and without its scheme
        ("Authorization: Bearer {{ x }}y", "Authorization: Bearer [REDACTED:auth_header]"),
        ("Authorization: Token {{ x }}y", "Authorization: Token [REDACTED:auth_header]"),
        ("Authorization: ${X}y", "Authorization: [REDACTED:auth_header]"),
        ("Authorization: {{ x }}y", "Authorization: [REDACTED:auth_header]"),
        ("Authorization: a${X}", "Authorization: [REDACTED:auth_header]"),
        ("Authorization: Bearer {{ x }}", "Authorization: Bearer {{ x }}"),
        ("Authorization: {{ x }}", "Authorization: {{ x }}"),
        # FTP and POP3 PASS, IMAP LOGIN, Redis AUTH at its prompt (a template's blanks cut the word: the
        # glued text stayed, or all but the first two braces)
        ("PASS {{ x }}y", "PASS [REDACTED:password]"),
        ("C: PASS {{ x }}y", "C: PASS [REDACTED:password]"),
        ("USER bob\npass {{ x }}y", "USER bob\npass [REDACTED:password]"),
        ("a001 LOGIN bob {{ x }}y", "a001 LOGIN bob [REDACTED:password]"),
        ("127.0.0.1:6379> AUTH {{ x }}y", "127.0.0.1:6379> AUTH [REDACTED:password]"),
        ("127.0.0.1:6379> AUTH bob {{ x }}y", "127.0.0.1:6379> AUTH bob [REDACTED:password]"),
        ("PASS {{ x }}", "PASS {{ x }}"),
        ("a001 LOGIN bob {{ x }}", "a001 LOGIN bob {{ x }}"),
        ("127.0.0.1:6379> AUTH {{ x }}", "127.0.0.1:6379> AUTH {{ x }}"),
        # a URL's password (its user a template too), a URL's user that is a token
        ("https://bob:{{ x }}y@host/x", "https://bob:[REDACTED:url_password]@host/x"),
        ("https://bob:{{ x }}@host/x", "https://bob:{{ x }}@host/x"),
        ("https://{{ user }}:hunter2@h/x", "https://{{ user }}:[REDACTED:url_password]@h/x"),
        ("https://ab${X}@github.com/x", "https://[REDACTED:url_token]@github.com/x"),
        ("https://${X}y@h/x", "https://[REDACTED:url_token]@h/x"),
        ("https://${GIT_USER}@h/x", "https://${GIT_USER}@h/x"),
        # Redis's requirepass and ACL SETUSER, LDAP's bindpw (the template's blanks left "x }}y")
        ("requirepass {{ x }}y", "requirepass [REDACTED:password]"),
        ("ACL SETUSER bob on >{{ x }}y", "ACL SETUSER bob on >[REDACTED:password]"),
        ("bindpw {{ x }}y", "bindpw [REDACTED:password]"),
        ("bindpw {{ x }}", "bindpw {{ x }}"),
        # a password fed to sudo -S: Python's %(x)s is no subshell's parenthesis (the pipe's command was lost)
        ("echo %(x)sy | sudo -S ls", "echo [REDACTED:password] | sudo -S ls"),
        ("echo %(x)s | sudo -S ls", "echo %(x)s | sudo -S ls"),
        # a token named in prose, or a header written without its colon
        ("using token ${X}y", "using token [REDACTED:secret]"),
        ("X-Api-Key {{ x }}y", "X-Api-Key [REDACTED:secret]"),
        ("using token ${X} now", "using token ${X} now"),
        ('print $fh "$token $msg\\n";', 'print $fh "$token $msg\\n";'),  # a variable named token: no name
    ],
    redactor=REDACTOR.redact,
)


#: lines whose value is one word (a template's blanks inside it), and the placeholder each shows
_ONE_WORD_LINES = (
    "Authorization: Bearer {value}",
    "Authorization: {value}",
    "Proxy-Authorization: Basic {value}",
    "PASS {value}",
    "C: PASS {value}",
    "USER bob\npass {value}",
    "a001 LOGIN bob {value}",
    'a001 LOGIN "bob" {value}',
    "127.0.0.1:6379> AUTH {value}",
    "127.0.0.1:6379> AUTH default {value}",
    "https://bob:{value}@host/x",
    "GET /x?token={value}&a=1 HTTP/1.1",
    "mysql -u root -p{value} db",
    "curl -u bob:{value} http://h",
    "requirepass {value}",
    "bindpw {value}",
    "ACL SETUSER bob on >{value}",
    "echo {value} | sudo -S ls",
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    line=st.sampled_from(_ONE_WORD_LINES),
    form=st.sampled_from(_FORMS),
    name=st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True),
    before=_GLUE,
    after=_GLUE,
)
def test_text_glued_to_a_reference_in_a_one_word_value_never_survives(line, form, name, before, after):
    assume("REDACTED" not in name + before + after)
    assume("?" not in line or "#" not in before + after)  # a query's value ends where its fragment starts
    assume(not before.startswith(":"))  # "requirepass :x" reads "requirepass :" as a key and its separator
    value = before + form % name + after
    # bob:0/x@host reads as a host, its port and a path (the URL rule's, whatever the password): no password
    assume("://" not in line or re.match(r"\d+(?:/|$)", value) is None)
    text = line.format(value=value)
    shown = REDACTOR.redact(text).text
    only_reference = not before and (not after or (form == "$%s" and re.fullmatch(r"\w+", after) is not None))
    if only_reference:
        assert shown == text
    else:
        assert re.fullmatch(re.escape(line).replace(r"\{value\}", r"\[REDACTED:[a-z_]+\]"), shown), shown


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    form=st.sampled_from(_FORMS),
    name=st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True),
    params=st.lists(
        st.from_regex(r"(?:a|page|lang|limit|sort|q)=[a-z0-9]{1,6}", fullmatch=True), min_size=1, max_size=3
    ),
    secret=st.none() | st.from_regex(r"[A-Za-z0-9]{8,16}", fullmatch=True),
)
@example(form="${%s}", name="_", params=["a=pw"], secret=None)  # found by hypothesis: pw HTTP/1.1 read as prose
@example(form="${%s}", name="_", params=["a=passwd"], secret=None)
def test_a_query_keeps_what_follows_a_reference_and_loses_a_later_secret(form, name, params, secret):
    """The parameters after a reference stay, and a secret parameter after them is still removed."""
    rest = "&".join(params) + (f"&password={secret}" if secret else "")
    text = f"GET /x?token={form % name}&{rest} HTTP/1.1"
    shown = text.replace(f"password={secret}", "password=[REDACTED:query_secret]") if secret else text
    assert REDACTOR.redact(text).text == shown
