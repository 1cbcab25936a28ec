"""HTTP header fields that carry a credential, known by the structure of their name whatever the vendor:
``X-Auth: ...``, ``X-Api-Token: ...``, ``X-Vault-Token: ...``, ``Ocp-Apim-Subscription-Key: ...``,
``Set-Cookie: ...``, ``X-Hub-Signature-256: ...``.

A header's name is words joined by hyphens (``X-Api-Token``; CGI writes it ``HTTP_X_API_TOKEN``), a word
maybe in camel case (``X-AuthToken``; in one case, a long credential word glued to another: ``x-authtoken``,
``X-CLIENTSECRET`` -- a short one glued is another word: ``X-Monkey``). It names a credential when its last
word -- a version or a digest's size after it left out (``X-Hub-Signature-256``) -- is one: key, token,
auth, authorization, secret, password (pass, passwd, pwd, passphrase), session (session id), signature
(sig), cookie, credential(s). A name that goes on past that word names a property of one
(``Authorization-Type``, ``X-Token-Expires``); ``WWW-Authenticate`` names none (a verb); names starting
with ``Sec-`` are set by the browser itself (``Sec-WebSocket-Key``: a nonce, no secret).

Where it stands: a header line (at a line's start, after a direction marker such as curl's ``>``, inside
the quotes of ``-H '...'``, after ``\\r\\n`` in a request printed as a string), a mapping's key or a pair
(``{'X-Auth': 'x'}``, ``"X-Auth": "x"``, ``(b'x-auth', b'x')``, ``X-Auth=x``), or anywhere in a line
(``upstream rejected X-Auth: s3cr3t``). Its colon has a blank after it (``dbus-user-session:amd64`` names a
package), except inside ``-H '...'``. The value is one word -- an authentication scheme before it kept
(``X-Auth-Token: Bearer [REDACTED:secret]``; the schemes of HTTP's registry), a cookie list's further
``name=value`` pairs after ``;`` taken with it -- or the quoted string of a mapping. Where more words
follow a value with no scheme before it, the field is a subsystem named before a sentence (a changelog's
``tls-sig: defer the check``, ``cert-auth: suppress warnings``), unless the word is shaped like a
password: a digit among letters, a capital inside (``X-Auth: s3cr3t for bob``).

A name of one word (``Auth``, ``Key``, ``ApiKey``) is a header's only on a line that a direction marker or
an escaped line end shows to be a header, or at a line's very start capitalised as a header's name is
(``Auth: s3cr3t``, ``Session: 4f3a2b1c``), with a value shaped like a secret (any value after a scheme) that
ends its line or comes before prose (``Auth: s3cr3t for bob``; code goes on with an operator):
elsewhere such a word is a label (``Session: 3``, ``Key: /etc/x.key``, ``Authentication: succeeded`` names
no credential), or a mapping's key when indented or in lower case (``key: str`` in code); and one the
key rules read (``password``, ``token``) is theirs -- except ``Cookie``, whose list of ``name=value``
pairs is taken whole. Not a value: a placeholder, a mask, a variable, a number of up to five digits, fewer
than three characters, a scheme alone (``X-Auth: Basic``), one English word by its form (``missing``,
``expired``, ``Update.``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from analytics.rca.redact_keys import (
    ALREADY,
    AUTH_SCHEME as _SCHEME,
    PARTIAL,
    TRIVIAL_VALUE,
    names_secret,
    secret_shaped,
)
from analytics.rca.redact_prose import FUNCTION_WORDS, credential_shaped, plain_word
from analytics.rca.redact_refs import EXPANSION, glued, is_reference

#: the last word of a name that names a credential
_CREDENTIAL_WORDS = frozenset(
    "key apikey token auth authorization secret password passwd pass passphrase pwd session sessionid signature "
    "sig cookie credential credentials".split()
)
#: the credential words long enough to name one glued to another word, as one case writes it (x-authtoken,
#: X-CLIENTSECRET); a short one glued is another word (monkey, bypass)
_GLUED = ("token", "secret", "password", "passwd", "passphrase", "cookie", "signature", "credential", "credentials")
_PASSWORD_WORDS = frozenset({"password", "passwd", "pass", "passphrase", "pwd"})
#: where a field's name may end: a credential's word (whole or as a name's last part), a version or a
#: digest's size maybe after it, then (after a quote that closes a quoted name) a separator
_END = re.compile(
    r"(?i)(?:key|token|auth(?:orization)?|secret|pass(?:word|wd|phrase)?|pwd|session(?:[-_]?id)?|sig(?:nature)?|"
    r"cookie|credentials?)(?:[-_]?(?:v?\d+))?(?P<nq>['\"])?(?P<sep>:|=>|=|,)"
)
#: what every name that _END finds holds
_STEMS = ("key", "token", "auth", "secret", "pass", "pwd", "session", "sig", "cookie", "credential")
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
#: a name's words: hyphen- or underscore-separated parts, each split at its camel-case humps
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
#: what may stand before a field on a header line: blanks and a direction marker (curl's > and <, C: and S:)
_LINE_HEAD = re.compile(r"[ \t]*(?:(?P<marker>[<>]{1,3}|[\-=]+>|<[\-=]+|[CS]:)[ \t]*)?")
#: an escaped line end in a request printed as a string (b'GET / HTTP/1.1\r\nX-Auth: x\r\n')
_ESCAPED_EOL = re.compile(r"\\[rn]")
#: where a value ends with nothing more on its line: the line's end, a delimiter, an escaped line end, a
#: closing quote (not an apostrophe inside a word: nvmet-auth: don't ...)
_VALUE_END = re.compile(r"[ \t]*(?:$|[\r\n,;)\]}>]|\\[rnt]|['\"](?![A-Za-z]))")
_TOKEN = re.compile(r"(?:" + EXPANSION + r"|[^\s,;'\"\\()\[\]{}]|\\(?![rnt]))+")
_COOKIE_MORE = re.compile(r"(?:;[ \t]*[^\s=;,'\"\\]+=(?:[^\s;,'\"\\]|\\(?![rnt]))*)+")
_BLANKS = re.compile(r"[ \t]*")
#: a value followed by prose: a lowercase word of letters next (``Auth: s3cr3t for bob``), where code goes on
#: with an operator (``Key: TypeAlias = ...``, ``Key: TypeVar | None``)
_PROSE_AFTER = re.compile(r"[ \t]+[a-z]+(?=[\s.,;:!?]|$)")
_QUOTED = re.compile(r"b?(['\"])((?:(?!\1)[^\\\n]|\\.)*)\1")


@lru_cache(maxsize=4096)
def _name_words(name: str) -> tuple[str, ...]:
    return tuple(w.lower() for part in re.split(r"[-_]", name) for w in _WORD.findall(part))


def credential_kind(name: str) -> str | None:
    """The kind of secret a header named ``name`` carries ("password" or "secret"), or None."""
    if name[:4].lower() == "sec-" or not name[:1].isalpha():
        return None
    words = list(_name_words(name))
    while words and (words[-1].isdigit() or re.fullmatch(r"v\d*", words[-1])):
        words.pop()  # X-Hub-Signature-256, X-Api-Key-V2
    if not words:
        return None
    last = words[-1]
    if last == "id" and len(words) > 1 and words[-2] == "session":
        last = "session"
    if last not in _CREDENTIAL_WORDS and not last.endswith(_GLUED):
        return None
    return "password" if last in _PASSWORD_WORDS or last.endswith(("password", "passwd", "passphrase")) else "secret"


def _header_shaped(name: str) -> bool:
    """Words joined by hyphens (X-Auth, Ocp-Apim-Subscription-Key), or CGI's HTTP_X_AUTH."""
    if "_" in name:
        return name[:5].upper() == "HTTP_" and "-" not in name
    return "-" in name.strip("-")


def _kept(value: str) -> bool:
    """Whether a field's value is none: a placeholder, a mask, a word of state (see the module's docstring)."""
    v = value.strip()
    if len(v) < 3 or not re.search(r"[A-Za-z0-9]", v) or ALREADY.fullmatch(v) or TRIVIAL_VALUE.match(v):
        return True
    if re.fullmatch(r"[A-Za-z]+[.!]?", v):  # one word (that ends a sentence)
        w = v.rstrip(".!")
        return w != v or w.lower() in FUNCTION_WORDS or plain_word(w) or _SCHEME.fullmatch(w) is not None
    return v.startswith("$(") or is_reference(v)  # ${X}y: text glued to a reference may be the secret


def _password_shaped(word: str) -> bool:
    """A digit among letters, a capital after a small letter, a token as services issue them, a cookie list."""
    return (
        (re.search(r"[A-Za-z]", word) is not None and re.search(r"\d", word) is not None)
        or re.search(r"[a-z][A-Z]", word) is not None
        or credential_shaped(word)
        or ("=" in word and ";" in word)
    )


def _one_value(s: str, start: int) -> int:
    """Where one value from ``start`` ends: a token, and a cookie list's further pairs."""
    tok = _TOKEN.match(s, start)
    if tok is None:
        return start
    more = _COOKIE_MORE.match(s, tok.end()) if "=" in tok.group() else None
    return more.end() if more else tok.end()


def _on_header_line(s: str, name_start: int, marked: bool = False) -> bool:
    """Whether a field whose name starts at ``name_start`` starts a header line (see the docstring); with
    ``marked``, only one that a direction marker or an escaped line end shows to be one."""
    if name_start >= 2 and _ESCAPED_EOL.fullmatch(s, name_start - 2, name_start):
        return True
    line_start = s.rfind("\n", 0, name_start) + 1
    head = _LINE_HEAD.fullmatch(s, line_start, name_start)
    return head is not None and (not marked or head.group("marker") is not None)


def _starts_line(s: str, name_start: int, name: str) -> bool:
    """Whether a name of one word stands as a header line's does: at the line's very start (not indented, as
    a mapping's key in YAML or code is), capitalised (``Auth:``, ``Session:``; ``key: str`` is code's)."""
    return (name_start == 0 or s[name_start - 1] == "\n") and name[:1].isupper()


def _field(s: str, m: re.Match[str]) -> tuple[int, int, str] | None:
    """The span of the credential in the field whose name ends where ``m`` matched, and its kind."""
    a = m.start()
    while a > 0 and s[a - 1] in _NAME_CHARS:
        a -= 1
    if a > 0 and s[a - 1] == "\\" and s[a] in "rn":
        a += 1  # ...\r\nX-Auth: the name starts after the escaped line end
    name = s[a : m.end() - len(m.group("sep")) - (1 if m.group("nq") else 0)]
    before = s[a - 1] if a > 0 else ""
    if before and (before in ".:/$@" or (before == "\\" and not _ESCAPED_EOL.fullmatch(s, a - 2, a))):
        return None  # a path, a file's extension, a URL, a variable
    kind = credential_kind(name)
    if kind is None:
        return None
    sep, named_quote = m.group("sep"), m.group("nq") or ""
    opening = before if before and before in "'\"" else ""
    if named_quote and opening != named_quote:
        return None
    start = _BLANKS.match(s, m.end()).end()  # type: ignore[union-attr]  # (matches the empty string too)
    one_word = not _header_shaped(name)
    if sep == "," and not (named_quote and s[a - 2 : a - 1] == "b" and s[start : start + 1] == "b"):
        return None  # a list of names ('get-key', 'x'); a pair of bytes is a header: (b'x-auth', b'x')
    if sep == ":" and start == m.end() and (one_word or not opening or named_quote):
        return None  # dbus-user-session:amd64, 'key:1e9' -- a header's colon has a blank after it
    line = sep == ":" and not named_quote and (opening != "" or _on_header_line(s, a, marked=one_word))
    # a one-word name at a line's start alone: its value must end the line or be followed by prose (Key:
    # TypeAlias = ... is code)
    alone = not line and sep == ":" and one_word and not named_quote and _starts_line(s, a, name)
    line = line or alone
    cookie = _name_words(name)[-1] == "cookie"
    if one_word and not (line and not names_secret(name)) and not cookie:
        return None  # a label in prose (Key: /etc/x.key), a mapping's key, a name the key rules read
    end: int | None = None
    if named_quote:  # {'X-Auth': 'x'}, "X-Auth": "x", (b'x-auth', b'x')
        q = _QUOTED.match(s, start)
        if q is None:
            return None  # a variable, a number: code, no header's value
        start, end = q.span(2)
    scheme = _SCHEME.match(s, start, len(s) if end is None else end)
    if scheme:
        after = _BLANKS.match(s, scheme.end()).end()  # type: ignore[union-attr]
        if after == scheme.end() or (end is not None and after >= end):
            return None  # a scheme alone: X-Auth: Basic
        start = after
    if end is None:
        end = _one_value(s, start)
        if not scheme and not _VALUE_END.match(s, end) and not _password_shaped(s[start:end]):
            return None  # tls-sig: defer the check -- a subsystem named before a sentence
    if alone and not (_VALUE_END.match(s, end) or _PROSE_AFTER.match(s, end)):
        return None
    value = s[start:end]
    shaped = glued(value) or (secret_shaped(value) and _password_shaped(value))
    if _kept(value) or (one_word and not (cookie or scheme) and not shaped):
        return None
    if one_word and cookie and "=" not in value:
        return None  # cookie: expire -- no name=value pair: the key rules' own
    return start, end, kind


def header_values(s: str, replace: Callable[[str, str], str]) -> str:
    """Replace the values of header fields that name a credential; ``replace(kind, value)`` gives the text."""
    low = s.lower()
    if not any(w in low for w in _STEMS):  # (a plain search: the regex's case-blind alternation is slow)
        return s
    spans = [f for f in (_field(s, m) for m in _END.finditer(s)) if f is not None]
    if not spans:
        return s
    out, last = [], 0
    for a, b, kind in sorted(spans):
        if a < last:
            continue
        value = s[a:b]
        out += [s[last:a], replace(kind, value) if not ALREADY.fullmatch(value) else value]
        last = b
    out.append(s[last:])
    return "".join(out)


def header_kind(name: str, value: str) -> str | None:
    """The kind of secret a JSON member holds when its key is a header's name (``{"X-Auth": "x"}``), or None."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_\-]*", name) or not _header_shaped(name):
        return None
    kind = credential_kind(name)
    if kind is None or PARTIAL.search(value) or _kept(value):
        return None
    return kind


__all__ = ["credential_kind", "header_kind", "header_values"]
