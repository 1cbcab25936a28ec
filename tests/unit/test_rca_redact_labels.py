"""A credential's name labelling a line (``Auth:``, ``Token:``, ``Secret:``, ``Password:``) and Redis's
``auth`` typed or written in lower case: the credential after it is removed whatever its letters -- one
token before prose, a short alphabetic token, a pass phrase of plain words, ``auth hunter2``, ``auth:
hunter2`` -- while the lines that only speak of authentication, tokens and secrets keep every word."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings, strategies as st
from rca_support import passwords
from redact_support import forms_lose_their_password, kept_as_written, shown_as

from analytics.rca.redact import redact
from analytics.rca.redact_keys import KEYWORD, TRIVIAL_VALUE, algorithm_name
from analytics.rca.redact_prose import FUNCTION_WORDS, plain_word
from analytics.rca.redact_protocols import _OUTCOME, _SASL_MECHANISM

S = "[REDACTED:secret]"
PW = "[REDACTED:password]"


test_a_credential_after_a_label_or_auth_is_removed = shown_as(
    [
        # a capitalised one-word header at a line's start, one token then prose (before, Auth's value had to end
        # the line; Key and Session are the header rule's too)
        ("Auth: abc123 for bob", f"Auth: {S} for bob"),
        ("Key: abc123def for bob", f"Key: {S} for bob"),
        ("Session: 4f3a2b1c9d was closed", f"Session: {S} was closed"),
        ("Token: abcdefgh for bob", f"Token: {S} for bob"),
        # a short alphabetic token, a pass phrase of plain words
        ("Token: abcdefgh", f"Token: {S}"),
        ("Auth: abcdefgh", f"Auth: {S}"),
        ("Secret: correct horse battery", f"Secret: {S}"),
        ("Secret: correct horse battery.", f"Secret: {S}"),
        ("ApiKey: zorblax", f"ApiKey: {S}"),
        ("GET /x\nToken: abcdefgh\nAccept: */*", f"GET /x\nToken: {S}\nAccept: */*"),
        # lower-case auth: typed as Redis's command, a key and its value
        ("auth hunter2", f"auth {PW}"),
        ("Auth hunter2", f"Auth {PW}"),
        ("> auth hunter2", f"> auth {PW}"),
        ("auth default hunter2", f"auth default {PW}"),
        ("C: auth sunshine", f"C: auth {PW}"),
        ("auth foobared\n+OK", f"auth {PW}\n+OK"),  # the session makes a plain word the password
        # alone on its line, auth's one argument is the password whatever its letters (before, a word shaped
        # like English -- foobared, Redis's example password -- or a short one stayed)
        ("auth foobared", f"auth {PW}"),
        ("AUTH foobared", f"AUTH {PW}"),
        ("Auth foobared", f"Auth {PW}"),
        ("auth bob", f"auth {PW}"),
        ("auth xyz\n-ERR invalid password", f"auth {PW}\n-ERR invalid password"),
        # Redis 6's AUTH user password in lower case: the second word whatever its letters, the line not being
        # PAM's (before, a password with no digit stayed)
        ("auth default foobared", f"auth default {PW}"),
        ("auth bob sunshine", f"auth bob {PW}"),
        ("auth default correcthorse\n+OK", f"auth default {PW}\n+OK"),
        ("auth required hunter2x", f"auth required {PW}"),  # (PAM's control, no module's name: no .so, no pam_)
        ("auth required pam_x9Fk", f"auth required {PW}"),
        ("auth: hunter2", f"auth: {S}"),
        ("  auth: hunter2", f"  auth: {S}"),
        ('auth: "s3cr3t"', f'auth: "{S}"'),
        ("auth: ${X}y", f"auth: {S}"),
        # (guards of the rules below: a noun alone may be the credential; a number no bit size makes no
        # algorithm's name of a short word; a type's name has no digit)
        ("Secret: rotation", f"Secret: {S}"),
        # a pass phrase that begins with a noun and holds a function word: its first word goes
        ("Secret: nation of horses", f"Secret: {S} of horses"),
        ("Secret: rotation done", f"Secret: {S} done"),
        ("auth: abc123", f"auth: {S}"),
        ("auth: admin128", f"auth: {S}"),
        # three letters and a version, a size that no digest has: a password's form (before, kept as md5 is)
        ("auth: abc5", f"auth: {S}"),
        ("auth: abc64", f"auth: {S}"),
        # a string assigned as an annotated name's default is the secret (the annotation's type stays)
        ('password: str = "hunter2"', f'password: str = "{PW}"'),
        ("    token: Optional[str] = 'abc123def'", f"    token: Optional[str] = '{S}'"),
        ('def f(password: str = "S3cret!") -> None:', f'def f(password: str = "{PW}") -> None:'),
        ("password: Sup3r = x", f"password: {PW} = x"),
        # auth's scheme is no property of it: the credential after the scheme goes (before, the whole stayed)
        ("auth=Bearer abc123", f"auth=Bearer {S}"),
        ("auth: Bearer abc123", f"auth: Bearer {S}"),
    ]
)


test_lines_that_speak_of_auth_tokens_and_secrets_keep_every_word = kept_as_written(
    [
        # the brief's phrases
        "Auth failed for user bob",
        "Token expired",
        "Secret rotation done",
        "auth: ok",
        "authentication failure",
        # a label's value that tells a state, or prose starting with one
        "Token: expired",
        "Token: missing",
        "Secret: none",
        "Secret: not set",
        "Token: refreshed successfully",
        "Token: invalid for user bob",
        "Auth: required for bob",
        "Auth: failed for user bob",
        "Auth: Success",
        "Auth: OK",
        "Auth: LDAP",
        "Auth: Error: bad request",
        "Token: ${TOKEN}",
        "Auth: Basic",
        "Password: ${DB_PASSWORD}",
        # lower-case auth as English, a SASL mechanism, a scheme alone or an auth-param, a mask
        "auth ok",
        "auth required",
        "auth failed",
        "auth login",
        "auth ****",
        "auth ${X}",
        "auth hunter2 ok",
        "auth token expired",
        "auth: failed",
        "auth: foobared",
        "auth=basic",
        "auth: Basic",
        "auth=basic realm=private",
        "auth: Basic realm=private",
        "dovecot: auth: Error: passwd-file(bob,1.2.3.4): unknown user",
        "dovecot: auth: passwd-file(bob,1.2.3.4): unknown user",
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=host",
        "Auth successful for job_1445144423722_0020 (auth:SIMPLE)",
        # PAM's configuration, Python's annotations and assignments (site-packages' lines the first rules took)
        "auth\trequired\tpam_deny.so",
        "auth required pam_tally2.so",
        "auth required pam_unix.so",
        "auth [default=die] pam_faillock.so",
        "auth\t\tinclude\t\tsu",
        "auth substack password-auth",
        "auth optional /lib/security/pam_group.so",
        "auth required pam_unix",  # (a control of pam.conf(5) and a module's name without its .so)
        "auth sufficient pam_rootok",
        "auth token expired",
        "    auth = HTTPBasicAuth(*auth)",
        "    auth: AuthTypes | None = None,",
        "    Auth: type[httpx2.Auth]",
        "Token: str | None = None",
        # an algorithm's name after auth (before, it went)
        "auth: md5",
        "auth: sha256",
        "auth: sha512",
        "auth: scram-sha-256",
        "auth=md5",
        "auth: aes-128-gcm",
        # Python's annotations, their types and defaults that are code (before, the key rules took the type)
        "Token: TypeAlias = str",
        "Password: TypeAlias = str",
        "token: Optional[str] = None",
        "api_key: SecretStr = Field(...)",
        "client_secret: Optional[SecretStr] = None",
        "TokenType: TypeAlias = Union[str, bytes]",
        "    def f(self, token: str = None, password: str = '') -> None:",
        "token: Token = Depends(get_token)",
        'Token: TypeAlias = "str | None"',
        '    token_type: str = "fence",',  # (a default is judged as the key's value: a property's word)
        '        bearer_token: str | None = "auto",',
        # a docstring's line that starts with auth: a word and a full stop is prose
        "        auth header.",
        # code and labels the header rule kept before
        "Key: _TypeAlias = tuple[Any, ...]",
        "Key: Ctrl-C",
        "Session: closed",
        "key: abc123def for bob",
    ]
)


_LABELS = st.sampled_from(["Auth", "Token", "Secret", "ApiKey", "AccessToken", "ClientSecret", "Password"])
_PROSE = st.sampled_from(["for bob", "for user bob", "was rejected", "is not valid here", "from 10.0.0.7"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(label=_LABELS, token=passwords(), prose=_PROSE, before=st.sampled_from(["", "GET /x HTTP/1.1\n"]))
def test_a_token_before_prose_after_a_label_never_survives(label, token, prose, before):
    """Whatever the label and the token, one token after a label at a line's start and then prose: the token
    is gone, replaced by one placeholder, the prose kept (after a password's label the value runs on)."""
    assume(not token.endswith((".", "!")))  # (a full stop ends the value: the prose after it is another sentence)
    out = redact(f"{before}{label}: {token} {prose}").text
    assert token not in out
    if label == "Password":
        assert out == f"{before}{label}: {PW}"
    else:
        assert out == f"{before}{label}: {S} {prose}"


#: a made-up word: letters that are neither an English function word, nor a participle or adjective by form,
#: nor a word of state
_WORD = (
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9)
    .filter(lambda w: w not in FUNCTION_WORDS and not plain_word(w))
    .filter(lambda w: not TRIVIAL_VALUE.match(w) and not KEYWORD.fullmatch(w))
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(label=_LABELS, words=st.lists(_WORD, min_size=1, max_size=5), end=st.sampled_from(["", ".", "\nnext: 1"]))
def test_a_pass_phrase_or_an_alphabetic_token_after_a_label_never_survives(label, words, end):
    """One made-up word (a short alphabetic token) or several (a pass phrase) after a label: all of them go,
    as one placeholder; the line after it is kept."""
    phrase = " ".join(words)
    out = redact(f"{label}: {phrase}{end}").text
    kind = PW if label == "Password" else S
    assert out == f"{label}: {kind}{end if end != '.' else ''}", out


test_a_password_after_lower_case_auth_never_survives = forms_lose_their_password(
    [
        "auth {p}",
        "AUTH {p}",
        "Auth {p}",
        "> auth {p}",
        "auth default {p}",
        "127.0.0.1:6379> auth {p}",
        "redis-cli -h db.internal -p 6379 auth {p}",
        "auth: {p}",
        "    auth: {p}",
        "auth={p}",
        "auth: Bearer {p}",
    ],
    before="session\n",
    placeholders=1,
    # (after a plain auth key, a short lowercase name and a version or a size in bits is an algorithm's: md5)
    skip=lambda form, p: form.lstrip().startswith(("auth:", "auth=")) and bool(algorithm_name(p)),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    password=passwords(),
    key=st.sampled_from(["password", "token", "api_key", "client_secret", "Password", "Token"]),
    type_=st.sampled_from(["str", "Optional[str]", "SecretStr", "str | None", "typing.Optional[str]"]),
    quote=st.sampled_from(['"', "'"]),
    indent=st.sampled_from(["", "    ", "def f(self, "]),
)
def test_a_string_assigned_to_an_annotated_secret_never_survives(password, key, type_, quote, indent):
    """Python's annotation keeps its type (it is code), but a string assigned as its default is the secret."""
    assume(quote not in password)
    out = redact(f"{indent}{key}: {type_} = {quote}{password}{quote}").text
    assert password not in out
    assert f"{key}: {type_} = {quote}[REDACTED:" in out


#: a lowercase word that is no English function word, nor the word password, a state's or an outcome's: what a
#: Redis user's name or password may be (foobared, shaped like a participle, too)
_LOWER = (
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=10)
    .filter(lambda w: w not in FUNCTION_WORDS and not KEYWORD.fullmatch(w) and not TRIVIAL_VALUE.match(w))
    .filter(lambda w: not _OUTCOME.fullmatch(w) and not _SASL_MECHANISM.fullmatch(w.upper()))
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    user=_LOWER.filter(lambda w: w not in ("include", "substack", "required", "requisite", "sufficient", "optional")),
    password=st.one_of(_LOWER, passwords()),
    lead=st.sampled_from(["", "  ", "> ", "C: "]),
    sep=st.sampled_from([" ", "\t", "  "]),
)
def test_redis_auth_user_password_in_lower_case_never_keeps_the_password(user, password, lead, sep):
    """``auth USER PASSWORD`` alone on its line, the password no PAM module's form (a path, a ``.so`` name):
    the password goes, whatever its letters; the user stays."""
    assert redact(f"{lead}auth{sep}{user}{sep}{password}").text == f"{lead}auth{sep}{user}{sep}{PW}"


_PAM_MODULES = st.builds(
    lambda name, how: how.format(name),
    _LOWER,
    st.sampled_from(["pam_{}.so", "/lib/security/pam_{}.so", "{}.so", "pam_{}"]),
)


#: pam.conf(5)'s [value=action] control: its return values and actions (a value such as apw=, a key's name
#: and a value, is no PAM control and reads as a password assignment)
_PAM_VALUES = (
    "success open_err symbol_err service_err system_err buf_err perm_denied auth_err cred_insufficient "
    "authinfo_unavail user_unknown maxtries new_authtok_reqd acct_expired session_err cred_unavail cred_expired "
    "cred_err no_module_data conv_err authtok_err authtok_recover_err authtok_lock_busy authtok_disable_aging "
    "try_again ignore abort authtok_expired module_unknown bad_item conv_again incomplete default"
).split()
_PAM_ACTIONS = ["ignore", "bad", "die", "ok", "done", "reset", "1", "2"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    control=st.one_of(
        st.sampled_from(["required", "requisite", "sufficient", "optional"]),
        st.builds("[{}={}]".format, st.sampled_from(_PAM_VALUES), st.sampled_from(_PAM_ACTIONS)),
    ),
    module=_PAM_MODULES,
    sep=st.sampled_from([" ", "\t", "   "]),
)
def test_a_pam_configuration_line_keeps_every_word(control, module, sep):
    """PAM's ``auth CONTROL MODULE`` -- the module a path or a ``.so`` name, a control in brackets -- is kept."""
    line = f"auth{sep}{control}{sep}{module}"
    assert redact(line).text == line


_PAM_BRACKETED = st.lists(
    st.builds("{}={}".format, st.sampled_from(_PAM_VALUES + ["default"]), st.sampled_from(_PAM_ACTIONS)),
    min_size=1,
    max_size=4,
).map(lambda pairs: "[" + " ".join(pairs) + "]")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    dash=st.sampled_from(["", "-"]),
    control=st.one_of(st.sampled_from(["required", "requisite", "sufficient", "optional"]), _PAM_BRACKETED),
    module=_PAM_MODULES,
    arguments=st.lists(st.sampled_from(["obscure", "yescrypt", "use_authtok", "try_first_pass", "nullok"]), max_size=4),
    sep=st.sampled_from([" ", "\t", "   "]),
)
def test_a_pam_password_line_keeps_every_word(dash, control, module, arguments, sep):
    """PAM's ``password CONTROL MODULE [ARGUMENTS]`` (Debian's own common-password: ``password
    [success=1 default=ignore] pam_unix.so obscure yescrypt``; a leading ``-``, a module that may be missing)
    holds no password after the word password, nor a flag's value, and its arguments are words of their own
    (``use_authtok sha512`` is no key and its value): every word is kept -- on the other module types too."""
    line = sep.join([f"{dash}password", control, module, *arguments])
    assert redact(line).text == line
    session = sep.join(["session", control, module, *arguments])
    assert redact(session).text == session


test_a_password_line_without_pams_form_still_loses_its_password = shown_as(
    [
        ("password Hunter2x", f"password {PW}"),  # no control, no module: prose
        ("password [success=1] Hunter2x", f"password [{PW}] Hunter2x"),  # no module after the control
        ("password required pam_mysql.so passwd=S3cret!", f"password required pam_mysql.so passwd={PW}"),
        ("--password optional pam_x.so", f"--password {PW} pam_x.so"),  # a long option is a flag
        ("cmd -password optional", f"cmd -password {PW}"),
        ("password required pam_ldap.so bindpw=S3cret!", f"password required pam_ldap.so bindpw={PW}"),
        ("nslcd: use_authtok Hunter2x", f"nslcd: use_authtok {PW}"),  # a config key and its value, not PAM's
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    letters=st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=6),
    number=st.integers(1, 999),
    sep=st.sampled_from([": ", "="]),
)
def test_auth_with_letters_and_a_number_is_removed_unless_an_algorithm_has_its_form(letters, number, sep):
    """``auth: WORD`` of letters and a number: removed, unless it has an algorithm's form -- a version of one
    digit after two letters (md5) or a size in bits, a multiple of 32 from 128 to 512, after up to four
    letters (sha256)."""
    word = f"{letters}{number}"
    algorithm = (len(letters) == 2 and number < 10) or (len(letters) <= 4 and number % 32 == 0 and 128 <= number <= 512)
    out = redact(f"auth{sep}{word}").text
    assert out == (f"auth{sep}{word}" if algorithm else f"auth{sep}{S}"), out
