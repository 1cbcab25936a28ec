"""Values named as secrets: ``password=``, ``"api_key": "..."``, ``Password: a pass phrase``,
``REDISCLI_AUTH=...``, ``auth: hunter2``, ``psk="..."``, ``PIN: 4821``, and the string values of a parsed JSON
document whose key names a secret (:func:`redact_data`, which redacts every other string of the document too).
The text of XML elements named as secrets (``<wsse:Password>...</wsse:Password>``) is :mod:`.redact_xml`'s,
which judges a value as :func:`kept_pair` does here.

A value runs to the first blank, comma, semicolon or closing bracket -- except a password written after
a separator and a blank (``password: correct horse battery staple``, ``pass phrase = two words``, as
YAML, INI files and prose write one): that runs on to the end of the line, a sentence's end, a
delimiter or the next ``key=``/``key:`` field. Not a value: a placeholder, a mask, a variable reference,
a counter (``max_tokens=100``), a file's line and column (``secrets.c:85:40:``), a key that is a file
name followed by prose (``src/passwd.c: Fix a leak``), the word password itself (``passwd: password
updated``), a word naming a property of a secret (``token_type=bearer``: the key goes on past the
secret's name), a test's result (``PASS: test_login``) or a passwd program's message (``passwd: all
authentication tokens updated successfully.``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from analytics.rca.redact_names import SECRET_WORDS, may_name_secret
from analytics.rca.redact_refs import BRACKET, EXPANSION, REFERENCES, glued, holds_reference

PLACEHOLDER = "[REDACTED:{kind}]"
ALREADY = re.compile(r"\[(?:REDACTED:[a-z_]+|EMAIL|IP|HOST)\]")
PARTIAL = re.compile(r"REDACTED|\[(?:EMAIL|IP|HOST)\]")


def ph(kind: str) -> str:
    return PLACEHOLDER.format(kind=kind)


#: HTTP's authentication schemes (the IANA registry, and the ones APIs use beside it): the word before a
#: credential in a header's value (X-Auth-Token: Bearer x), not the credential
AUTH_SCHEME = re.compile(
    r"(?i)(?:basic|bearer|digest|hoba|mutual|negotiate|ntlm|oauth|scram-sha-1|scram-sha-256|vapid|privatetoken|"
    r"concealed|token|apikey|sso-key|aws4-hmac-sha256|sharedkey(?:lite)?|ssws|dpop)(?=[ \t]|$)"
)
_KEY = r"[A-Za-z0-9_.\-]*(?:" + SECRET_WORDS + r")[A-Za-z0-9_.\-]*"
#: a key (or an element's name) that holds a secret's name
SECRET_KEY = re.compile(r"(?i)" + _KEY)
#: (a variable's expansion, ``${X}`` or ``{{ x }}``, is read whole with what is glued to it: its closing
#: brace is no delimiter; :mod:`.redact_refs` says why and what is then kept)
#: (a triple-quoted string, Python's or TOML's, is read whole before a quoted one: read as one, """x""" is an
#: empty string -- kept -- and the text after it; one the text ends in, cut before its closing quotes, runs
#: to the end; a string's prefix is the string's: r"""x""", b'x' -- read as a value of its own, it was the
#: one word removed and the string after it kept)
#: (a bracket opened inside a bare value closes inside it, blanks and all: ``ab[cd]ef``, ``ab[c d]ef`` and Rich's
#: escaped ``hun\\[bold red]ter2`` -- text, no tag -- are one value each; ended at the ``]`` or the blank, the rest
#: of it was kept)
_VALUE = (
    r"\[(?:REDACTED:[a-z_]+|EMAIL|IP|HOST)\]|(?:[bBfFrRuU]{1,2}(?=[\"']))?(?:"
    r"\"\"\"(?:[^\"\\]|\\.|\"(?!\"\"))*(?:\"\"\"|\Z)|'''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)"
    r"|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"|(?:" + EXPANSION + r"|(?<=[^\s=:>])" + BRACKET + r"|[^\s,;'\"}\])])+"
)
#: the separator stays on the key's line; a value goes on to the next line only indented under it (YAML's
#: ``password:`` then ``  Hunter2``), never into the next line's first word (``token=`` ending one log line)
_SEP = r"['\"]?[ \t]*(?:=>|:=|=|:)(?:[ \t]*\r?\n[ \t]+|[ \t]*)"
#: (a shell variable's name, $pw:, is no key)
_KEY_VALUE = re.compile(r"(?i)(?<!\$)(?P<key>\b" + _KEY + r")(?P<sep>" + _SEP + r")(?P<val>" + _VALUE + ")")
#: an environment variable (or config line) holding a credential under a name that ends in AUTH or _KEY
#: (REDISCLI_AUTH, GITHUB_AUTH, HTTP_AUTH=user:pass, APP_KEY), or a plain ``auth=``; a name that ends in auth
#: also before a colon and a blank (``auth: hunter2``, YAML's ``REDISCLI_AUTH: x``), where the value must be
#: shaped like a password (:func:`password_like`): ``auth: ok``, dovecot's ``auth: Error: ...`` are prose
_ENV_CREDENTIAL = re.compile(
    r"(?<![\w.\-])(?P<key>[A-Z][A-Z0-9_]*_(?:AUTH|KEY)|(?i:auth))(?P<sep>=|(?<=[Aa][Uu][Tt][Hh]):[ \t]+)"
    r"(?P<val>" + _VALUE + ")"
)
#: what goes on after a value in code (an annotation's union, a default, a call): auth: Auth2 | None = None
_CODE_AFTER = re.compile(r"[ \t]*(?:\||=|\(|\[|->)")
_REMOVED_AFTER = re.compile(r"[ \t]+" + ALREADY.pattern)
#: the credential after an authentication scheme that a key's value starts with (``token: Bearer abc123``)
_AFTER_SCHEME = re.compile(r"[ \t]+(" + _VALUE + ")")
#: what follows a scheme without being a credential: no letter or digit (``{``, ``|``), a short lowercase word,
#: an auth-param of a challenge (``Basic realm=private``: a credential's token68 holds '=' only at its end)
_NO_CREDENTIAL = re.compile(r"[^A-Za-z0-9]*|[a-z]{1,3}|[A-Za-z][\w\-]*=+[^=\s].*")
_KEY_NAME = re.compile(r"(?i)" + _KEY + r"|[A-Z][A-Z0-9_]*_(?:AUTH|KEY)|auth")
TRIVIAL_VALUE = re.compile(
    r"(?i)^(?:|null|none|nil|true|false|yes|no|\*+|x+|<[^>]*>|" + REFERENCES + r"|\$\([^)]*\)|%s|"
    r"\d{1,5}|required|missing|invalid|expired|empty|redacted|hidden|not set|unset|''|\"\")$"
)
#: the word password itself (and its short forms), which a value never is
KEYWORD = re.compile(r"(?i)pass(?:word|wd|phrase|code)?s?|pwd|pw")
#: a key that is a file name (stem.ext), as a changelog or a compiler writes one before ": "
_FILE_NAME = re.compile(r"(?i)[\w.\-/]*\.(?!(?:" + SECRET_WORDS + r")$)[a-z0-9]{1,5}")
#: the next word of a value that runs on (no delimiter in it), and one that starts the next field
_NEXT_WORD = re.compile(r"[ \t]+([^\s,;|'\"()\[\]{}<>]+)")
_FIELD = re.compile(r"[\w.\-]+[:=]")
_MAX_WORDS = 12
#: the keys whose value, after a separator and a blank, runs on: a password, passwd, passphrase, pwd, pw
_RUNS_ON_KEY = re.compile(r"(?i)(?:pass(?:word|wd|phrase)|pwd|pw)$")


#: a personal identification number's key (pin, PIN, sim_pin, pincode): its value is a secret when it is
#: one, 4 to 12 digits (ISO 9564); anything else names a pin of another kind (gpio pin=17, pin = in)
_PIN_KEY = re.compile(r"(?i)(?<![a-z])pin(?:[_\-]?code)?$")
#: a key that names the secret itself ends with its name (access_token, client_secret, secret_key); one
#: that goes on (token_type, secret_name, tokenEndpoint) names a property of it
_NAMES_SECRET = re.compile(r"(?i)(?:" + SECRET_WORDS + r")(?:[_\-.]?(?:key|value)s?)?$")
#: a property's value that is a word, not a secret: bearer, Bearer, refresh_token, client-credentials
_WORD = r"(?:[A-Za-z][a-z]{0,15}|[A-Z]{1,16})"
_PLAIN_WORDS = re.compile(_WORD + r"(?:[_\-]" + _WORD + r"){0,3}")
#: a test runner's result (automake's "PASS: test_login", Go's "--- PASS: TestLogin"), not a key named pass
_TEST_RESULT = re.compile(r"X?PASS")


def secret_kind(key: str) -> str:
    if _PIN_KEY.search(key):
        return "pin"
    return "password" if re.search(r"pass|pwd|pw$", key.lower()) else "secret"


#: a name with dots (a file's, a module's: pam_tally2.so, httpx2.Auth) and code's brackets (a call, an index)
_DOTTED_NAME = re.compile(r"[A-Za-z_][\w\-]*(?:\.[A-Za-z]\w*)+")
_BRACKETS = re.compile(r"[(\[{<]")


def password_like(word: str) -> bool:
    """Letters with a digit (hunter2, s3cr3t), or text glued to a reference -- not a name with dots
    (``pam_tally2.so``, ``httpx2.Auth``) nor code with a bracket (dovecot's ``passwd-file(bob,1.2.3.4):``,
    ``type[Auth]``): what a word must be for a plain ``auth`` before it to name it a password."""
    if glued(word):
        return True
    return (
        re.search(r"[A-Za-z]", word) is not None
        and re.search(r"\d", word) is not None
        and _BRACKETS.search(word) is None
        and _DOTTED_NAME.fullmatch(word) is None
    )


#: an algorithm's name: short lowercase names (a hyphen between them) and a number -- a version of one digit
#: after two letters (md5, rc4) or a digest's or key's size in bits, 128 to 512 (sha256, aes-128-gcm)
_ALGORITHM = re.compile(r"(?:[a-z]{2,5}\d?-)*(?:[a-z]{2}(?P<v>[1-9])|[a-z]{2,4}-?(?P<bits>[1-5]\d{2}))(?:-[a-z]{2,5})*")


def algorithm_name(word: str) -> bool:
    """Whether ``word`` is shaped as an algorithm's name (``md5``, ``sha256``, ``scram-sha-256``): its number a
    version of one digit after two letters or a size in bits, a multiple of 32 from 128 to 512 (``abc123``,
    ``hunter2``: none). A weak password can have the form too (``ab5``): only after a plain ``auth`` key is it
    read so. ``abc5`` has a password's form as much as ``sha1``: the password wins, ``auth: sha1`` goes."""
    m = _ALGORITHM.fullmatch(word)
    bits = int(m.group("bits") or 0) if m is not None else 0
    return m is not None and (m.group("v") is not None or (bits % 32 == 0 and 128 <= bits <= 512))


def secret_shaped(word: str) -> bool:
    """A digit with letters, a symbol inside, or a capital after a small letter: not a plain word."""
    if holds_reference(word):
        return glued(word)  # ${X}y: text glued to a reference is removed with it (redact_refs)
    if word.startswith(("-", "/", "~", "$")) or "://" in word:
        return False  # a flag, a path, a variable, a URL (the URL rules' own)
    has_alpha = any(c.isalpha() for c in word)
    has_digit = any(c.isdigit() for c in word)
    return (
        (has_alpha and has_digit)
        or re.search(r"\w[^\w\s]+\w", word) is not None
        or re.search(r"[a-z][A-Z]", word) is not None
    )


_STRING_PREFIX = re.compile(r"[bBfFrRuU]{0,2}(?=[\"'])")


def _quotes_of(val: str) -> tuple[str, str]:
    """The quotes around a quoted value: the opening one with its string prefix (``r'''``), the closing one
    (none for a triple-quoted value the text ends in)."""
    prefix = _STRING_PREFIX.match(val)
    at = prefix.end() if prefix is not None else 0
    body = val[at:]
    if body[:3] in ('"""', "'''"):
        return val[: at + 3], body[:3] if len(body) >= 6 and body.endswith(body[:3]) else ""
    if len(body) >= 2 and body[0] == body[-1] and body[0] in "\"'":
        return val[: at + 1], body[0]
    return "", ""


def kept_pair(key: str, sep: str, val: str) -> bool:
    """Whether ``key sep val`` is not a secret value after all."""
    opening, closing = _quotes_of(val)
    inner = val[len(opening) : len(val) - len(closing)]
    if not opening and re.fullmatch(r"[|>][+-]?\d?[+-]?|[(\[{]", inner):
        return True  # password: | (YAML's block scalar: its lines follow), auth=( (a call's): see redact_pairs
    if not opening and inner == "#":
        return True  # secret = # disable PBM: a comment's mark after an empty value (#abc123 is a value)
    kind = secret_kind(key)
    if kind == "pin":  # PIN: 4821 -- a personal identification number is one (gpio pin=17, "safety_pin": "x" not)
        return re.fullmatch(r"\d{4,12}", inner.strip()) is None
    if PARTIAL.search(inner) or TRIVIAL_VALUE.match(inner.strip()):
        return True
    if _TEST_RESULT.fullmatch(key) and re.fullmatch(r":\s+", sep):
        return True  # PASS: test_login (3 assertions)
    low = key.lower()
    if kind != "password" and not _NAMES_SECRET.search(key) and _PLAIN_WORDS.fullmatch(inner):
        # token_type=bearer, "secret_name": "db-creds": a property of a secret, not one -- but auth's scheme
        # is the word before its credential (auth=Bearer abc123): the scheme rule below reads it
        return not (low.endswith("auth") and AUTH_SCHEME.fullmatch(inner))
    # "tokens_used: 42" or "max_tokens=100" are counters, not secrets
    if inner.isdigit() and ("tokens" in low or "count" in low):
        return True
    if sep == ":" and re.fullmatch(r"\d+(?::\d+)*:?", inner):
        return True  # secrets.c:85:40: -- a file name's line and column
    if not opening and re.search(r":\s+$", sep) and KEYWORD.fullmatch(inner.rstrip(".,:;!?")):
        return True  # passwd: password updated successfully
    if sep.strip() == ":" and _FILE_NAME.fullmatch(key):
        return True  # src/passwd.c: Fix a leak
    # "signing-key.asc: Rename", "pre_shared_key: limit", "auth=basic": a key named in prose (or a bare auth=),
    # followed by a plain lowercase word, is not a secret value (a password is redacted whatever it looks like)
    return (
        kind != "password"
        and not opening
        and (sep.strip() == ":" or low == "auth")
        and re.fullmatch(r"[a-z]{1,12}", inner) is not None
    )


def _runs_on(s: str, end: int) -> int:
    """Where a password value written after a separator and a blank ends: the words after ``end`` on its
    line up to a delimiter, a sentence's end or the next field."""
    if s[end - 1 : end] in (".", "!", "?"):
        return end
    for _ in range(_MAX_WORDS):
        w = _NEXT_WORD.match(s, end)
        if w is None:
            break
        word = w.group(1)
        if _FIELD.match(word) or not re.search(r"\w", word) or KEYWORD.fullmatch(word.rstrip(".,:;!?")):
            break
        end = w.end()
        if word[-1] in ".!?" and not word.endswith("..."):
            break
    return end


_NAME = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"


def _subscript(depth: int) -> str:
    """What a type's subscript holds, brackets in it nested ``depth`` deep: types parted by a comma or a union's
    ``|``, each a name (dotted, subscripted itself), a list of types (``Callable[[int], str]``), ``...``, a number
    or a string (``Literal[0, 'a']``, a forward reference) or a call (``Annotated[str, Field(max_length=8)]``)."""
    inner = r"(?:\[(?:" + _subscript(depth - 1) + r")?\])?" if depth > 1 else ""
    item = r"(?:" + _NAME + r"(?:\([^()\n]*\))?|\.\.\.|-?\d+|\"[^\"\n]*\"|'[^'\n]*'" + ("|(?=\\[)" if inner else "")
    return r"(?:(?:(?<=\[)|[ \t]*[,|][ \t]*)" + item + ")" + inner + r")+,?"  # (the first right after its bracket)


_SUBSCRIPT = r"\[(?:" + _subscript(3) + r")\]"
_BUILTIN = r"(?:str|int|float|bool|bytes|bytearray|complex|dict|list|tuple|set|frozenset|object|type)"
#: where a type ends the value: a blank, the line's end, or what code or a sentence puts after a type
_TYPE_END = r"(?=\s|$|=(?!=)|[|,)\]}#'\"`]|\.(?:\s|$))"
#: a type in Python's annotation (``Token: TypeAlias = str``, ``token: Optional[str] = None``, ``auth: Auth |
#: None``): a capitalised, dotted or builtin name, code going on after it (``Sup3r = x`` is none; ``==``
#: compares), or with a subscript that ends the value (``password: A[x]000`` goes on glued to its bracket,
#: ``A[x y]`` has no comma: no type); a builtin's name ends it alone (``password: str``, ``def f(token: bytes)``)
_ANNOTATION = re.compile(
    r"(?:(?:[A-Z][A-Za-z_]*|[A-Za-z_]+(?:\.[A-Za-z_]+)+|" + _BUILTIN + r")"
    r"(?:" + _SUBSCRIPT + _TYPE_END + r"|(?=[ \t]*(?:=(?!=)|\||->)))|" + _BUILTIN + _TYPE_END + ")"
)
#: the rest of an annotation up to its default's ``=``: a union
_ANNOTATION_REST = re.compile(r"(?:[ \t]*\|[ \t]*" + _NAME + r"(?:" + _SUBSCRIPT + r")?)*[ \t]*=(?!=)[ \t]*")
#: a default that is a string literal: the secret itself (``password: str = "hunter2"``)
_LITERAL = re.compile(r"(?P<q>[\"'])(?P<v>[^\"'\n]*)(?P=q)")


#: a key's colon before an annotation's type
_ANNOTATED_AT = re.compile(r":[ \t]+(?=" + _ANNOTATION.pattern + ")")


def annotation(s: str, start: int) -> bool:
    """Whether the value at ``start``, after a key's colon, is a Python annotation's type (:data:`_ANNOTATION`)."""
    return start > 0 and s[start - 1] in " \t" and _ANNOTATION.match(s, start) is not None


def annotated_default(s: str, start: int) -> tuple[int, int] | None:
    """The span of the string literal a Python annotation at ``start`` assigns (``str = "x"``), if any."""
    t = _ANNOTATION.match(s, start)
    rest = _ANNOTATION_REST.match(s, t.end()) if t and t.group() != "TypeAlias" else None  # (its value: a type)
    lit = _LITERAL.match(s, rest.end()) if rest else None
    return lit.span("v") if lit and lit.group("v") and not TRIVIAL_VALUE.match(lit.group("v")) else None


#: a program of the passwd family (passwd, chpasswd, gpasswd, smbpasswd ...) naming itself before its message
_PASSWD_PROGRAM = re.compile(r"(?<![\w.\-])[a-z]*passwd:[ \t]+$")


#: PAM's log prefix, pam_unix(passwd:chauthtok): a service and a management group, not a key and its value
_PAM_PREFIX = re.compile(r"\bpam_\w+\([\w.\-]*:$")


def program_text(s: str, start: int) -> bool:
    """Whether the text at ``start``, after a name of the passwd family and a colon, is a program's text
    and no value: the message a program of the family writes after its name (``passwd: all authentication
    tokens updated successfully.``, ``chpasswd: (user bob) ...``: more than one word, the first not shaped
    like a secret -- a single value there, ``passwd: $6$...`` as cloud-init holds one, is a password), or
    the management group in PAM's prefix (``pam_unix(passwd:chauthtok)``)."""
    if _PAM_PREFIX.search(s, max(0, start - 64), start):
        return True
    words = s[start:].split("\n", 1)[0].split()
    return (
        _PASSWD_PROGRAM.search(s, max(0, start - 64), start) is not None
        and len(words) > 1
        and not secret_shaped(words[0])
    )


def kept_value(s: str, start: int) -> bool:
    """Whether the text at ``start`` is a value the key rules read and left: a program's text after its
    name (:func:`program_text`) or the value of a key that is no secret (``token_type=bearer``, a property of
    one) -- what detect-secrets' keyword detector, which knows neither, must leave too."""
    if start < 0:
        return False
    if program_text(s, start) or annotation(s, start):
        return True  # (Password: TypeAlias = str: its type, read with what follows)
    if s[start : start + 1] not in ("'", '"'):  # api_key: SecretStr = Field(...): code assigned as the default
        for a in _ANNOTATED_AT.finditer(s, max(0, start - 120), start):
            t = _ANNOTATION.match(s, a.end())
            rest = _ANNOTATION_REST.match(s, t.end()) if t else None
            if rest is not None and rest.end() == start:
                return True
    for m in _KEY_VALUE.finditer(s, max(0, start - 80)):
        if m.start("val") > start:
            break
        if start < m.end("val"):
            return kept_pair(m.group("key"), m.group("sep"), m.group("val"))
    return False


#: a URL query's value (after ``?key=`` or ``&key=``): it ends at the next parameter or the fragment
_QUERY_VALUE = re.compile(r"(?:" + EXPANSION + r"|[^&#\s,;'\"}\])])+")


def _value(s: str, m: re.Match[str]) -> tuple[str, int]:
    """The value a key's match holds and where it ends: a query parameter's ends at the next ``&`` (before,
    ``?token=${X}&a=1`` read ``${X}&a=1`` as one value glued to a reference and lost ``&a=1`` with it)."""
    start = m.start("val")
    if m.start() > 0 and s[m.start() - 1] in "?&" and s[start] not in "\"'":
        q = _QUERY_VALUE.match(s, start)
        if q is not None:
            return q.group(), q.end()
    return m.group("val"), m.end()


def key_values(s: str, counts: Counter[str]) -> str:
    """Replace the values of secret-named keys, the key and its separator kept."""
    for pattern in (_KEY_VALUE, _ENV_CREDENTIAL) if may_name_secret(s) else (_ENV_CREDENTIAL,):
        out: list[str] = []
        last = 0
        for m in pattern.finditer(s):
            if m.start() < last:
                continue
            key, sep = m.group("key"), m.group("sep")
            if s[m.start("key") - 1 : m.start("key")] == "@":
                continue  # a name after an @: an address's host, a systemd unit's instance (a@0.dsn0.service: ...)
            val, end = _value(s, m)
            if sep.strip() == ":" and annotation(s, m.start("val")):  # code: the type stays, a string default goes
                lit = annotated_default(s, m.start("val"))
                if lit is not None and lit[0] >= last and not kept_pair(key, ": ", s[lit[0] : lit[1]]):
                    counts[secret_kind(key)] += 1
                    out.append(s[last : lit[0]] + ph(secret_kind(key)))
                    last = lit[1]
                continue
            if kept_pair(key, sep, val):
                continue
            if program_text(s, m.start("val")):
                continue
            if (
                pattern is _ENV_CREDENTIAL
                and sep[:1] == ":"
                and (not password_like(val.strip("'\"")) or _CODE_AFTER.match(s, end))
                and not AUTH_SCHEME.fullmatch(val)
            ):
                continue  # auth: ok, auth: AuthTypes | None -- after a colon, a password's shape (or a scheme's)
            if pattern is _ENV_CREDENTIAL and key.lower() == "auth" and algorithm_name(val):
                continue  # auth: md5, auth=scram-sha-256 -- a method's name
            kind = secret_kind(key)
            # token: Bearer abc123 -- the credential after its scheme, the scheme kept (a password's value is
            # its words: password: Basic xyz may be a pass phrase)
            cred = _AFTER_SCHEME.match(s, end) if AUTH_SCHEME.fullmatch(val) else None
            if cred is not None and _NO_CREDENTIAL.fullmatch(cred.group(1)):
                cred = None  # token: Token | None, token or {}: code, the word after the scheme no credential
            if cred is None and AUTH_SCHEME.fullmatch(val) and key.lower().endswith("auth"):
                continue  # auth=Basic: a scheme alone
            if cred is not None and (kind != "password" or _REMOVED_AFTER.match(s, end)):
                if not PARTIAL.search(cred.group(1)) and not TRIVIAL_VALUE.match(cred.group(1).strip("'\"")):
                    counts[kind] += 1
                    out.append(s[last : cred.start(1)] + ph(kind))
                    last = cred.end(1)
                continue  # (X-Auth-Token: Bearer [REDACTED:secret]: removed already; Bearer ${X}: kept)
            opening, closing = _quotes_of(val)
            if not opening and re.search(r"[:=]\s+$", sep) and _RUNS_ON_KEY.search(key) and pattern is _KEY_VALUE:
                end = _runs_on(s, end)
            counts[kind] += 1
            out.append(s[last : m.start()] + key + sep + opening + ph(kind) + closing)
            last = end
        out.append(s[last:])
        s = "".join(out)
    return s


def names_secret(key: str) -> bool:
    """Whether ``key`` holds a secret's name that the key rules read (``password``, ``api_key``, ``Cookie``)."""
    return SECRET_KEY.fullmatch(key) is not None


def secret_key_kind(key: str, value: str) -> str | None:
    """The kind of secret a JSON member holds by its name (``{"password": "x y"}``), or None."""
    if not _KEY_NAME.fullmatch(key) or kept_pair(key, ": ", value) or ALREADY.fullmatch(value.strip()):
        return None
    return secret_kind(key)


def redact_data(
    value: Any,
    redact_text: Callable[[str], str],
    counts: Counter[str],
    key_kind: Callable[[str, str], str | None] = secret_key_kind,
) -> Any:
    """``value`` (parsed JSON: dicts, lists, strings, numbers) with every string redacted by ``redact_text``
    and every string member named as a secret replaced whole; its structure kept. Redacting the values
    one by one, not the serialised document: serialised, a quote inside a string is ``\\"`` and the
    rules that read quoted values no longer match."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, (list, tuple)):
        return [redact_data(v, redact_text, counts, key_kind) for v in value]
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            kind = key_kind(k, v) if isinstance(k, str) and isinstance(v, str) else None
            name = redact_text(k) if isinstance(k, str) else k
            if kind is not None:
                counts[kind] += 1
                out[name] = ph(kind)
            else:
                out[name] = redact_data(v, redact_text, counts, key_kind)
        return out
    return value


__all__ = [
    "ALREADY",
    "AUTH_SCHEME",
    "KEYWORD",
    "PARTIAL",
    "PLACEHOLDER",
    "SECRET_KEY",
    "SECRET_WORDS",
    "TRIVIAL_VALUE",
    "algorithm_name",
    "annotated_default",
    "annotation",
    "kept_pair",
    "kept_value",
    "key_values",
    "names_secret",
    "password_like",
    "ph",
    "program_text",
    "redact_data",
    "secret_key_kind",
    "secret_kind",
    "secret_shaped",
]
