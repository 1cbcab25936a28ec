"""HTTP header fields that carry a credential, known by their name's structure whatever the vendor
(``X-Auth``, ``X-Api-Token``, ``Ocp-Apim-Subscription-Key``, ``X-Vault-Token``, ``Cookie``): the value is
removed wherever the header is written -- a header line, curl's ``-H``, a request printed as a string, a
mapping, a JSON document, a line of prose -- and headers that name no credential, or name a property of
one (``Authorization-Type``, ``X-Token-Expires``), keep theirs."""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, assume, given, settings, strategies as st
from rca_support import passwords
from redact_support import kept_as_written, shown_as

from analytics.rca import redact_headers
from analytics.rca.redact import Redactor, redact

S = "[REDACTED:secret]"


test_a_credential_header_loses_its_value = shown_as(
    [
        # the brief's headers, named by no rule before: a credential's word ends the name
        ("Ocp-Apim-Subscription-Key: 0123abcdef", f"Ocp-Apim-Subscription-Key: {S}"),
        ("X-Auth: s3cr3tvalue", f"X-Auth: {S}"),
        ("x-auth: hunter", f"x-auth: {S}"),
        ("X-Api-Token: abcdefgh", f"X-Api-Token: {S}"),
        ("X-Vault-Token: s.AbCdEf123456", f"X-Vault-Token: {S}"),
        ("X-Api-Key: abcdefgh", f"X-Api-Key: {S}"),
        ("X-AuthToken: hunter", f"X-AuthToken: {S}"),
        ("x-authtoken: hunter", f"x-authtoken: {S}"),  # a long credential word glued to another
        ("X-CLIENTSECRET: hunter", f"X-CLIENTSECRET: {S}"),
        ("X-Hub-Signature-256: sha256=abcdef0123", f"X-Hub-Signature-256: {S}"),
        ("X-Session-Id: ab12", f"X-Session-Id: {S}"),
        ("X-Password: hunter", "X-Password: [REDACTED:password]"),
        ("HTTP_X_API_KEY: abcdef", f"HTTP_X_API_KEY: {S}"),
        # a scheme before the credential is kept (before, the key rule took the scheme and left the token)
        ("X-Auth-Token: Bearer abc", f"X-Auth-Token: Bearer {S}"),
        ("upstream rejected X-Auth-Token: Bearer abc for bob", f"upstream rejected X-Auth-Token: Bearer {S} for bob"),
        # Authorization itself: a short token after its scheme (the scheme used to be taken for the value), and
        # a request printed as a string, its escaped line ends kept
        ("Authorization: Bearer A000", "Authorization: Bearer [REDACTED:auth_header]"),
        (
            "send: b'x\\r\\nAuthorization: Basic abcdefg\\r\\nHost: x'",
            f"send: b'x\\r\\nAuthorization: Basic {S}\\r\\nHost: x'",
        ),
        (
            "send: b'x\\r\\nProxy-Authorization: s3cr3tvalue\\r\\nHost: x'",
            "send: b'x\\r\\nProxy-Authorization: [REDACTED:auth_header]\\r\\nHost: x'",
        ),
        # where a header is written
        ("> X-Auth: hunter\r\n> Accept: */*", f"> X-Auth: {S}\r\n> Accept: */*"),
        ("curl -H 'X-Auth: hunter' https://api", f"curl -H 'X-Auth: {S}' https://api"),
        ("curl -H 'X-Auth:hunter' https://api", f"curl -H 'X-Auth:{S}' https://api"),
        (
            "send: b'GET / HTTP/1.1\\r\\nX-Auth: hunter\\r\\n\\r\\n'",
            f"send: b'GET / HTTP/1.1\\r\\nX-Auth: {S}\\r\\n\\r\\n'",
        ),
        ("headers={'X-Auth': 'hunter', 'Accept': 'json'}", f"headers={{'X-Auth': '{S}', 'Accept': 'json'}}"),
        ('{"X-Api-Key": "abcdefgh"}', f'{{"X-Api-Key": "{S}"}}'),
        ("[(b'x-auth', b'hunter'), (b'accept', b'*/*')]", f"[(b'x-auth', b'{S}'), (b'accept', b'*/*')]"),
        ("{X-Auth=hunter, Accept=json}", f"{{X-Auth={S}, Accept=json}}"),
        ("upstream rejected X-Auth: s3cr3t for bob", f"upstream rejected X-Auth: {S} for bob"),
        # a cookie list is taken whole (before, the pairs after the first one stayed)
        ("Cookie: lang=en; SID=31d4d96e407aad42", f"Cookie: {S}"),
        ("GET /admin 302 Cookie: sessionid=abc; csrftoken=def", f"GET /admin 302 Cookie: {S}"),
        # a name of one word, on a line a direction marker shows to be a header's
        ("> Auth: s3cr3t", f"> Auth: {S}"),
        # ... or at a line's start, capitalised as a header's name is, with a value shaped like a secret or after
        # a scheme (before, it was left to the key rules, which read no Auth, Key, Session or Sig)
        ("Auth: abc123", f"Auth: {S}"),
        ("Auth: Bearer abc", f"Auth: Bearer {S}"),
        ("Key: abc123def", f"Key: {S}"),
        ("Session: 4f3a2b1c9d", f"Session: {S}"),
        ("Sig: sha256=9f86d081", f"Sig: {S}"),
        ("Auth: ${X}y", f"Auth: {S}"),
        # a key the key rules read, its value after a scheme: the scheme was taken for the value, and a short
        # credential after it left
        ("Token: Bearer A000", f"Token: Bearer {S}"),
        ("token: Bearer abc123", f"token: Bearer {S}"),
        ("api_key=Token abc123, next=1", f"api_key=Token {S}, next=1"),
        ("using Token: Bearer A000 now", f"using Token: Bearer {S} now"),
    ]
)


test_a_header_that_names_no_credential_keeps_its_value = kept_as_written(
    [
        "Content-Length: 348",
        "Keep-Alive: timeout=5, max=100",
        "X-Request-Id: 7f3a9c1e-2b4d",
        "Authorization-Type: Bearer",
        "X-Auth-Type: basic",
        "X-Token-Expires: 3600",
        'WWW-Authenticate: Basic realm="api"',
        "Access-Control-Allow-Credentials: true",
        "Access-Control-Allow-Headers: Authorization, X-Api-Key, Content-Type",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "X-Monkey: banana12",  # a short credential word glued to letters is another word
        "X-Auth: Basic",
        "Authorization: Bearer",
        "X-Api-Key: missing",
        "X-Api-Key: ${API_KEY}",
        "X-Auth-Token: <token>",
        # a package and its architecture, a file's name, labels and code (the corpora's lines)
        "2025-06-24 14:37:48 install dbus-user-session:amd64 <none> 1.14.10-1~deb12u1",
        "src/session.c:12: warning: unused variable",
        "Session: 3",
        "Key: /etc/ssh/ssh_host_rsa_key",
        # a one-word label at a line's start whose value is a word, a path, a reference or not capitalised as a
        # header's name (code, YAML)
        "Authentication: succeeded",
        "Auth: none",
        "Key: Ctrl-C",
        "Session: closed",
        "Auth: ${AUTH}",
        "key: abc123def",
        "  Key: abc123def",
        "Note: abc123def",
        "Key: _TypeAlias = tuple[Any, ...]",  # code: a type alias, its value no header's (more follows it)
        "Session: TypeAlias = Annotated[",
        "    key: Hashable",
        "    row_key: RowKey",
        "groupKey: a3dad",
        "also be a valid number. For example, 'key:1e9' will be interpreted as a key",
        "    'dict-iterate-key', 'dict-iterate-value',",
        'extra_headers = {**strip_not_given({"Idempotency-Key": idempotency_key})}',
        # a changelog's subsystem before its sentence
        "    tls-sig: defer allowed sigalg check to gnutls_pubkey_verify_data2",
        "    - nvmet-auth: don't try to cancel a non-initialized work_struct",
        "  * apt-key: Allow depending on gpg instead of gnupg",
        "    cert-session: check OCSP error responses",
        "- cookie: expire cookies at once when max-age is negative",
        "\t* GPG-KEY: Update.",
        "                  Public-Key: (1024 bit)",
        "Colon-separated username:password string for 'proxy-authorization: basic ...'",
    ]
)


def test_a_json_document_loses_a_header_members_value():
    doc = {"request": {"headers": {"X-Api-Token": "abcdefgh", "Accept": "application/json"}}}
    red, counts = Redactor().redact_data(doc)
    assert red == {"request": {"headers": {"X-Api-Token": S, "Accept": "application/json"}}}
    assert counts == {"secret": 1}


# --- generated names and values ---------------------------------------------------------------------
_CREDENTIAL = st.sampled_from(
    ["Key", "Token", "Auth", "Authorization", "Secret", "Session", "Signature", "Credential", "Apikey"]
)
#: the words before it: a vendor's or a product's, any letters (not Sec, the browser's own prefix)
_VENDOR = st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=9).map(str.capitalize)


@st.composite
def _names(draw: st.DrawFn) -> str:
    """A header name whose last word names a credential: X-Auth, Ocp-Apim-Subscription-Key, x-vault-token,
    X-AuthToken, X-Hub-Signature-256 -- in any case, with or without X-."""
    words = draw(st.lists(_VENDOR, max_size=3))
    last = draw(_CREDENTIAL)
    camel = bool(words) and draw(st.booleans())
    if camel:
        last = words.pop() + last  # X-AuthToken (in one case its humps are gone: x-aakey is no key's name)
    prefix = ["X"] if draw(st.booleans()) or not words else []  # a name of one word is a label: see above
    name = "-".join([*prefix, *words, last])
    if len(name) < 16:  # (a long name with digits reads as a random token to the entropy rule: X-Hub-Signature-256)
        name += draw(st.sampled_from(["", "", "-256", "2"]))
    assume(not name.lower().startswith("sec-"))
    return name if camel else draw(st.sampled_from([name, name.lower(), name.upper()]))


_FORMS = st.sampled_from(
    [
        "{n}: {v}",
        "> {n}: {v}\r\n> Accept: */*",
        "curl -sS -H '{n}: {v}' https://api.example.com/items",
        'curl -H "{n}: {s}{v}" https://api.example.com/items',
        "send: b'GET /items HTTP/1.1\\r\\nHost: api\\r\\n{n}: {v}\\r\\n\\r\\n'",
        "headers={{'{n}': '{s}{v}', 'Accept': 'json'}}",
        '{{"headers": {{"{n}": "{v}"}}}}',
        "upstream rejected {n}: {s}{v} for bob",
        "request failed, {n}: {v}",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=_names(), value=passwords(), scheme=st.sampled_from(["", "Bearer ", "Token "]), form=_FORMS)
def test_a_header_named_for_a_credential_never_keeps_its_value(name, value, scheme, form):
    """Whatever the vendor words, the case, the form and the password, the text comes back with exactly the
    value replaced by one placeholder (a scheme before it kept; an Authorization header's value, or a bearer
    token, is named by the rules older than this one) -- and redacting that again changes nothing."""
    if scheme:  # after a scheme, a token of its syntax (RFC 6750's b64token: no ^ or !)
        value = re.sub(r"[^A-Za-z0-9\-._~+/]", "", value)
    text = form.format(n=name, v=value, s=scheme)
    out = redact(text)
    shown = re.escape(form.format(n=name, v="\0", s=scheme)).replace("\0", r"\[REDACTED:[a-z_]+\]")
    assert re.fullmatch(shown, out.text), out.text
    assert redact(out.text).text == out.text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(["Auth", "Key", "Session", "SessionId", "Sig", "ApiKey", "Authorization", "Token"]),
    value=passwords(),
    scheme=st.sampled_from(["", "Bearer "]),
    before=st.sampled_from(["", "GET /items HTTP/1.1\n", "HTTP/1.1 401\r\n"]),
)
def test_a_one_word_credential_header_at_a_line_start_never_keeps_its_value(name, value, scheme, before):
    """A header named by one credential's word, at a line's very start: whatever the password, exactly the
    value becomes one placeholder (a scheme kept), the line before it too."""
    if scheme:  # (RFC 6750's b64token, as above)
        value = re.sub(r"[^A-Za-z0-9\-._~+/]", "", value)
    text = f"{before}{name}: {scheme}{value}\nAccept: */*"
    out = redact(text).text
    assert re.fullmatch(re.escape(f"{before}{name}: {scheme}") + r"\[REDACTED:[a-z_]+\]\nAccept: \*/\*", out), out


_PROPERTY = st.sampled_from(["Type", "Expires", "Length", "Name", "Count", "Ttl", "Url", "Mode", "Realm", "Scheme"])


@settings(max_examples=200, deadline=None)
@given(
    credential=_CREDENTIAL,
    words=st.lists(_VENDOR, max_size=2),
    prop=_PROPERTY,
    value=st.from_regex(r"[a-z0-9]{1,6}(?:[-./][a-z0-9]{1,6}){0,3}", fullmatch=True),
    form=st.sampled_from(["{n}: {v}", "> {n}: {v}", "curl -H '{n}: {v}' https://api", "request had {n}: {v} set"]),
)
def test_a_name_that_goes_on_past_the_credential_keeps_its_value(credential, words, prop, value, form):
    """``X-Token-Expires``, ``Authorization-Type``: the header rule leaves a property of a credential alone
    (the key rules, which read ``token`` anywhere in a key, have their own judgement of these)."""
    text = form.format(n="-".join(["X", *words, credential, prop]), v=value)
    assert redact_headers.header_values(text, lambda kind, v: S) == text


def test_the_json_form_is_a_document():
    """The generated JSON form parses: its value is redacted as a member's, through redact_data too."""
    doc = json.loads('{"headers": {"X-Vault-Token": "s.Abc123"}}')
    assert Redactor().redact_data(doc)[0] == {"headers": {"X-Vault-Token": S}}
