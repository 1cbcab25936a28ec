"""Credentials in protocol traces: what a client sends to log in, as a debug log, a proxy or a session
transcript shows it -- FTP and POP3 ``PASS``/``pass`` and FTP ``ACCT``, POP3 ``APOP``'s digest, IMAP
``LOGIN`` (its password quoted, an atom or a literal sent on the next line), SMTP and IMAP ``AUTH PLAIN``,
and Redis ``AUTH`` and ``ACL SETUSER``.

A client's command stands at a line's start, after a direction marker (``C:``, ``>``, ``->``, ``>>>``) or
inside quotes (vsftpd's ``FTP command: Client "1.2.3.4", "PASS x"``). Written in upper case, as clients
send it, the command's argument is its password whatever it looks like; written in lower case (a session
typed by hand: ``pass hunter2x``), the word ``pass`` is English too (``pass through``), so the argument is
a password only where it is shaped like one, or where the session shows it is one -- after ``C:``, after
``user NAME`` (the server's replies between), after the server's ``331`` asking for it, before its answer
(``230``, ``530``, ``+OK``, ``-ERR``): there whatever its length, ``pass abc`` too. Redis's ``AUTH`` typed
as a command -- the line's form says it: ``AUTH`` where a command stands, one or two arguments (in upper
case) or one (in any case: ``auth foobared``), and nothing after them -- loses its last argument whatever
its letters, unless the first names a SASL mechanism (SMTP's and IMAP's ``AUTH LOGIN``) or the last is a
word that reports an outcome (``AUTH failed``, ``auth ok``, ``auth required``: an English function word,
the word password, a placeholder's or a state's word); with two arguments in lower case (Redis 6's ``auth
default foobared``) too, unless the line has the form of PAM's configuration, written the same way: a
module's path or ``.so`` name last (``auth required pam_deny.so``), a control in brackets, or PAM's
``include``/``substack`` and a file's name (``auth include su``), or one of its other controls and a module
named as PAM names them (``auth required pam_unix``).

An argument is a word up to a blank, a variable's expansion in it read whole (``PASS {{ x }}y`` is one word,
not ``{{``): a reference alone is kept, one with text glued to it removed whole (:mod:`.redact_refs`). The
rules are protocol syntax (RFC 959, 1939, 3501, 4422, 4616), no words taken from any log.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from analytics.rca.pam_config import PAM_CONTROL, PAM_NAME, pam_line
from analytics.rca.redact_keys import ALREADY, KEYWORD, PARTIAL, TRIVIAL_VALUE, password_like, secret_shaped
from analytics.rca.redact_prose import FUNCTION_WORDS, plain_word, replace_spans
from analytics.rca.redact_refs import BRACKET, EXPANSION, WORD, holds_reference

#: (kind, pattern, group holding the secret)
PROTOCOL_RULES: list[tuple[str, re.Pattern[str], int]] = [
    # SMTP AUTH PLAIN <base64> (also LOGIN/XOAUTH2 with an initial response; IMAP's AUTHENTICATE PLAIN <base64>;
    # the response sent alone on the next line is base64 of "\0user\0password": redact_cli's encoded credentials)
    (
        "smtp_auth",
        re.compile(
            r"(?i)\bAUTH(?:ENTICATE)?\s+(?:PLAIN|LOGIN|XOAUTH2|OAUTHBEARER|CRAM-MD5|DIGEST-MD5)\s+"
            r"([A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])"
        ),
        1,
    ),
    # the answer to the server's "334 Password:" prompt (base64 of "Password:")
    ("smtp_auth", re.compile(r"334 UGFzc3dvcmQ6\s*(?:[<>\-:]+|C:)?\s*([A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9+/=])"), 1),
    # POP3 APOP name digest: the MD5 of the server's greeting and the password, from which the password can
    # be found by trying words; in any case, as the digest's 32 hex digits leave no doubt
    ("password", re.compile(r"(?i)\bAPOP[ \t]+(?:\"[^\"\n]*\"|\S+)[ \t]+([0-9a-f]{32})(?![0-9a-z])"), 1),
    # wpa_supplicant's control interface (wpa_cli, typed at its prompt too): SET_NETWORK id psk "passphrase" (or a
    # hex key unquoted; '"x"' as a shell quotes it), and the network's other secrets
    (
        "password",
        re.compile(
            r"(?i)\bset_network[ \t]+\d+[ \t]+(?:psk|password|sae_password|wep_key[0-3]|private_key2?_passwd)[ \t]+"
            r"(?:'?\"(?=[^\"\n]*\"))?((?<=\")[^\"\n]*|[^\s\"']+)"
        ),
        1,
    ),
]

# --- Redis: AUTH [user] password, as MONITOR and the redis-cli prompt show it, and ACL SETUSER >password ----
_QUOTED = r"\"(?:[^\"\\]|\\.)*\""
_REDIS_AUTH = re.compile(r"(?i)\"(?:AUTH|AUTH2)\"((?:\s+" + _QUOTED + r"){1,2})")
#: (an argument is a word, an expansion in it read whole: AUTH {{ x }}y is one; and a bracket opened inside it)
_ARG = r"(?:" + EXPANSION + r"|(?<=\S)" + BRACKET + r"|[^\s\"'])+"
_PROMPT_AUTH = re.compile(r"(?i)(?:^|(?<=\s))[\w.\-]+:\d+(?:\[\d+\])?>\s*AUTH((?:[ \t]+" + _ARG + r"){1,2})")
#: AUTH typed where a client's command stands (a telnet or nc session, a transcript): in upper case, at a line's
#: start or after a direction marker, one or two arguments and nothing after them
_BARE_AUTH = re.compile(r"(?m)(?:^[ \t]*|(?<!\S)(?:C:|[\-=]*>{1,3})[ \t]*)AUTH((?:[ \t]+" + _ARG + r"){1,2})[ \t\r]*$")
#: AUTH typed by hand in lower (or mixed) case, where a command stands: its argument is a password where it
#: is shaped like one or the session shows it (see :func:`_typed_auth`)
_TYPED_AUTH = re.compile(
    r"(?m)(?:^[ \t]*|(?<!\S)(?P<marker>C:|[\-=]*>{1,3})[ \t]*)(?!AUTH)(?i:auth)(?P<args>(?:[ \t]+"
    + _ARG
    + r"){1,2})[ \t\r]*$"
)
#: the SASL mechanisms (RFC 4422's registry) that SMTP's and IMAP's AUTH name first: no password
_SASL_MECHANISM = re.compile(
    r"PLAIN|LOGIN|ANONYMOUS|EXTERNAL|GSSAPI|GSS-SPNEGO|NTLM|OTP|SKEY|SECURID|XOAUTH2?|OAUTHBEARER|CRAM-MD5|"
    r"DIGEST-MD5|KERBEROS_V[45]|SRP|SAML20|OPENID20|(?:SCRAM|GS2|9798|PASSDSS|EAP-AES128)-[A-Z0-9\-]+"
)
_ACL_SETUSER = re.compile(r"(?i)\"?\bACL\"?\s+\"?SETUSER\b[^\n]*")
_ACL_PASSWORD = re.compile(r"(?<=[\s\"])>((?:" + EXPANSION + r"|[^\s\"])+)")


#: the words a status line reports an outcome with (``AUTH failed``, ``auth ok``): English's, no log's. A list,
#: as no form tells them apart: ``AUTH failed`` and ``AUTH foobared`` (Redis's example password) are one
#: command and one lowercase word ending in -ed alike, ``auth ok`` and ``auth xy`` one short word; only the
#: word's meaning says which reports how AUTH went. It is the closed class of a reply's outcome, and of the
#: change of state a session or a connection reports (``auth session closed``, ``auth connection lost``), kept
#: short so that a password that happens to be one of its words (``AUTH success``) is the only loss
_OUTCOME = re.compile(
    r"(?i)ok(?:ay)?|fail(?:ed|ure|s)?|succe(?:ss|ssful|eded|eds)|denied|error|rejected|accepted"
    r"|opened|closed|started|stopped|ended|established|terminated|lost|refused|timed?out"
)


def _state_word(word: str) -> bool:
    """A word telling a state, no password: an English word by its form or of function (``AUTH failed``)."""
    low = word.lower()
    return low in FUNCTION_WORDS or KEYWORD.fullmatch(word) is not None or (word.isalpha() and plain_word(low))


def _outcome_word(word: str) -> bool:
    """A word that, after ``AUTH`` alone on a line, reports how it went rather than being the password: an
    English function word, the word password, a placeholder's or a state's word (``required``, ``invalid``:
    :data:`~.redact_keys.TRIVIAL_VALUE`) or an outcome (``failed``, ``ok``). A word that only looks English
    (``foobared``, Redis's example password) is the password: the line's form says so."""
    core = word.rstrip(".!")
    return (
        core.lower() in FUNCTION_WORDS
        or KEYWORD.fullmatch(core) is not None
        or TRIVIAL_VALUE.match(core) is not None
        or _OUTCOME.fullmatch(core) is not None
    )


#: the command words each rule of this module needs to find, in any case: Redis's AUTH and ACL
#: (:func:`redis_secrets`), the mail and FTP commands PASS, ACCT and LOGIN (:func:`protocol_passwords`)
_REDIS_WORDS = ("auth", "acl")
_MAIL_WORDS = ("pass", "acct", "login")
_COMMAND_WORDS = _REDIS_WORDS + _MAIL_WORDS


def _holds_word(s: str, words: tuple[str, ...]) -> bool:
    """Whether ``s`` holds one of ``words`` (lower case) in any case: without one, the rules that need it
    can find nothing."""
    low = s.lower()
    return any(w in low for w in words)


def may_hold_credential(s: str) -> bool:
    """Whether ``s`` holds a command word that :func:`redis_secrets` or :func:`protocol_passwords` look for:
    without one, neither can find anything."""
    return _holds_word(s, _COMMAND_WORDS)


def redis_secrets(s: str, replace: Callable[[str, str], str]) -> str:
    """AUTH's password, its last argument of one or two (in MONITOR's quotes, at redis-cli's prompt, or typed
    as a command, where a first argument naming a SASL mechanism makes it SMTP's or IMAP's), and ACL
    SETUSER's ``>password`` rules."""
    if not _holds_word(s, _REDIS_WORDS):
        return s
    spans: list[tuple[int, int]] = []
    for m in _REDIS_AUTH.finditer(s):
        args = list(re.finditer(_QUOTED, m.group(1)))
        a = args[-1]
        spans.append((m.start(1) + a.start() + 1, m.start(1) + a.end() - 1))
    for m in _PROMPT_AUTH.finditer(s):
        last = list(re.finditer(_ARG, m.group(1)))[-1]
        spans.append((m.start(1) + last.start(), m.start(1) + last.end()))
    for m in _BARE_AUTH.finditer(s):
        args = list(re.finditer(_ARG, m.group(1)))
        first, last = args[0].group(), args[-1]
        if _SASL_MECHANISM.fullmatch(first.upper()) or _outcome_word(last.group()):
            continue  # SMTP's AUTH LOGIN (AUTH login: a mechanism's name is any case), AUTH failed
        spans.append((m.start(1) + last.start(), m.start(1) + last.end()))
    if "auth" in s or "Auth" in s:  # (typed in lower case or capitalised: no AUTH, no acl, no scan)
        for m in _TYPED_AUTH.finditer(s):
            args = list(re.finditer(_ARG, m.group("args")))
            if _typed_auth(s, m, [a.group() for a in args]):
                spans.append((m.start("args") + args[-1].start(), m.start("args") + args[-1].end()))
    for m in _ACL_SETUSER.finditer(s):
        spans += [(m.start() + p.start(1), m.start() + p.end(1)) for p in _ACL_PASSWORD.finditer(m.group())]
    return replace_spans(s, spans, "password", replace)


def _typed_auth(s: str, m: re.Match[str], args: list[str]) -> bool:
    """Whether ``auth [user] WORD`` typed in lower case is Redis's AUTH with its password: not a SASL
    mechanism first (``auth login``), not an English word of function or the word password; then one the
    session makes the password, whatever it is -- after ``C:``, or before the server's answer (``+OK``,
    ``-ERR``) --, or, with no session around it, any word but an outcome's: as AUTH's one argument alone on
    its line (``auth foobared``; ``auth ok``, ``auth required``, ``auth failed`` are prose), and as the second
    of two where the line is not PAM's (``auth default foobared``; ``auth required pam_tally2.so``,
    ``auth include su`` are PAM's configuration: :func:`~analytics.rca.pam_config.pam_line`)."""
    first, last = args[0], args[-1]
    if _SASL_MECHANISM.fullmatch(first.upper()) or last.lower() in FUNCTION_WORDS or KEYWORD.fullmatch(last):
        return False
    if not re.match(r"\w|\$\{|\{\{", first):
        return False  # auth = HTTPBasicAuth(...), auth := x -- code's operator, no argument
    if m.group("marker") == "C:" or _in_session(s, m):
        return True  # (a mask or a placeholder there is left by the caller: auth ****)
    if len(args) == 1:  # auth foobared: alone on its line, AUTH's one argument is its password
        return not (_outcome_word(last) or re.fullmatch(r"[a-z]+[.,;]", last))  # (a docstring's "auth header.")
    if PAM_CONTROL.fullmatch(first) and PAM_NAME.fullmatch(last):
        return False  # auth required pam_unix: PAM's control and a module named as PAM's are (pam_unix.so)
    if not (_state_word(last) or TRIVIAL_VALUE.match(last)) and password_like(last):
        return True  # auth default hunter2
    # Redis 6's AUTH user password: the last word is the password whatever its letters (auth default foobared),
    # unless the line has PAM's form or the word reports an outcome, as alone (auth token expired), or is the
    # word password as a key with no value (auth failed password=)
    return not (
        pam_line(first, last)
        or _outcome_word(last)
        or re.fullmatch(r"[a-z]+[.,;]", last)
        or KEYWORD.fullmatch(last.rstrip("=:"))
    )


# --- mail and FTP traces: FTP/POP3 PASS x, FTP ACCT x, IMAP a001 LOGIN user x ------------------------------
#: where a client's command stands (see the module's docstring); the command word has no colon after it
#: (automake's "PASS: test_login" is a test's result)
_CMD_AT = r"(?:^[ \t]*|(?<!\S)(?P<marker>C:|[\-=]*>{1,3})[ \t]*|(?P<q>[\"']))"
_PASS_CMD = re.compile(
    r"(?m)"
    + _CMD_AT
    + r"(?:PASS|ACCT)[ \t]+(?P<val>(?(q)(?:(?!(?P=q))[^\n])+(?=(?P=q))|"
    + WORD
    + r"))(?(q)|(?(marker)|[ \t\r]*$))"
)
#: the same commands typed in lower (or mixed) case: one word after them, and nothing after that
_PASS_TYPED = re.compile(
    r"(?im)(?:^[ \t]*|(?<!\S)(?P<marker>C:|[\-=]*>{1,3})[ \t]*)(?:pass|acct)[ \t]+(?P<val>" + WORD + r")[ \t\r]*$"
)
#: the USER command that goes before PASS in FTP and POP3
_USER_CMD = re.compile(r"(?i)[ \t]*(?:(?:C:|[\-=]*>{1,3})[ \t]*)?user[ \t]+\S+[ \t]*\r?$")
#: a server's reply in an FTP or POP3 session, maybe after S: or <: a reply code (RFC 959) or +OK/-ERR
#: (RFC 1939); the codes that ask for a password (331: user name okay, need password) and that answer one
#: (230 logged in, 202, 332, 530 not logged in, 421, 500, 501, 503)
_REPLY = r"[ \t]*(?:S:[ \t]*)?(?:<{1,3}[\-=]*[ \t]*)?"
_SERVER_REPLY = re.compile(_REPLY + r"(?:[1-5]\d\d(?:[ \t\-]|\r?$)|\+OK\b|-ERR\b)")
_ASKS_PASSWORD = re.compile(_REPLY + r"331(?:[ \t\-]|\r?$)")
_ANSWERS_PASSWORD = re.compile(_REPLY + r"(?:(?:230|202|332|530|421|500|501|503)(?:[ \t\-]|\r?$)|\+OK\b|-ERR\b)")
#: IMAP's LOGIN: a tag, LOGIN, the user and the password (each an atom, a quoted string or a literal). Where a
#: command stands, the tag holds a digit or is a short word (a001, 1, a; a001 login in lower case too), or
#: there is none (LOGIN bob "x", as a trace may leave it out); anywhere else on a line (after a log's
#: prefix), a client's tag of letters and digits with LOGIN in upper case
_IMAP_LOGIN = re.compile(
    r"(?m)(?:"
    + _CMD_AT
    + r"(?:(?=[A-Za-z.]*\d)[A-Za-z0-9.]{1,16}[ \t]+LOGIN|[A-Za-z.]{1,3}[ \t]+LOGIN|[A-Za-z]+\d+[ \t]+login"
    r"|(?P<untagged>LOGIN))|(?<!\S)[A-Za-z]+\d+[ \t]+LOGIN)(?=[ \t])"
)
#: one argument of an IMAP command: a quoted string, a literal ({8}, or {8+} without waiting: its text is
#: the client's next line) or an atom
_IMAP_ARG = re.compile(
    r"(?m)[ \t]+(?P<arg>\"(?:[^\"\\\n]|\\.)*\"|\{(?P<lit>\d{1,6})\+?\}(?=[ \t]*\r?$)|(?:" + EXPANSION + r"|[^\s\"])+)"
)
#: a server's line between a client's command and its literal's text (S: + Ready, + go ahead, <- ...)
_SERVER_LINE = re.compile(r"[ \t]*(?:S:|\+(?:[ \t]|\r?$)|<)")
_CLIENT_MARKER = re.compile(r"[ \t]*(?:C:[ \t]?|[\-=]*>{1,3}[ \t]?)?")
#: the parts of a test's name in a test runner's report (PASS test_login, PASS TestLogin, PASS src/app.test.js)
_TEST_PARTS = frozenset({"test", "tests", "spec", "check"})


#: a bracket inside a word, Rich's escaped tag (``\\[b]``, ``\\[/]``) or a lone one: text, whose backslash or slash
#: is no path's separator
_BRACKETED = re.compile(BRACKET)


def _test_name(word: str) -> bool:
    """A test's name or file: a path, or a name with test, spec or check as one of its parts -- never a word
    holding a variable reference (``PASS ${X}/y``: text glued to one is removed with it); what a bracket inside it
    holds is neither (``PASS hunt\\[b]er2x``, ``PASS hunt[/]er2x``: a password)."""
    if holds_reference(word):
        return False
    word = _BRACKETED.sub("", word)
    parts = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", word)
    return "/" in word or "\\" in word or any(p.lower() in _TEST_PARTS for p in parts)


def _literal_text(s: str, pos: int, size: int) -> tuple[int, int] | None:
    """Where a literal announced at the end of the line holding ``pos`` is: the first ``size`` characters of
    the client's next line (server lines in between skipped, its direction marker left out)."""
    start = s.find("\n", pos)
    for _ in range(3):
        if start < 0:
            return None
        start += 1
        end = s.find("\n", start)
        end = len(s) if end < 0 else end
        if not _SERVER_LINE.match(s, start, end):
            a = _CLIENT_MARKER.match(s, start, end)
            a_end = a.end() if a else start
            stop = end - 1 if s[end - 1 : end] == "\r" else end
            done = ALREADY.match(s, a_end, stop)  # redacted already: the placeholder whole, not its first letters
            return (a_end, done.end() if done else min(a_end + size, stop)) if a_end < stop else None
        start = end
    return None


def _imap_arguments(s: str, pos: int, n: int) -> list[tuple[int, int]]:
    """The spans of the next ``n`` arguments of an IMAP command after ``pos`` (a quoted one's quotes left
    out; a literal's text on the client's next line)."""
    spans: list[tuple[int, int]] = []
    for _ in range(n):
        m = _IMAP_ARG.match(s, pos)
        if m is None:
            break
        if m.group("lit"):
            span = _literal_text(s, m.end(), int(m.group("lit")))
            if span is None:
                break
        else:
            a, b = m.span("arg")
            span = (a + 1, b - 1) if s[a] == '"' else (a, b)
        spans.append(span)
        pos = span[1] + (1 if s[span[1] : span[1] + 1] == '"' else 0)
    return spans


def _lines_before(s: str, pos: int, n: int) -> list[tuple[int, int]]:
    """The spans of up to ``n`` lines before the line holding ``pos``, the nearest first."""
    spans: list[tuple[int, int]] = []
    end = s.rfind("\n", 0, pos)
    while end >= 0 and len(spans) < n:
        start = s.rfind("\n", 0, end) + 1
        spans.append((start, end))
        end = start - 1
    return spans


def _in_session(s: str, m: re.Match[str]) -> bool:
    """Whether the lines around ``pass WORD`` show a session that makes it the password: a USER command
    before it (a server's replies between them), a server's reply asking for the password (331) just
    before it, or its reply to the password (230, 530, +OK, -ERR ...) just after it."""
    before = _lines_before(s, m.start(), 3)
    for i, (a, b) in enumerate(before):
        if _USER_CMD.fullmatch(s, a, b) or (i == 0 and _ASKS_PASSWORD.match(s, a, b)):
            return True
        if not _SERVER_REPLY.match(s, a, b):
            break
    nl = s.find("\n", m.end())
    if nl < 0:
        return False
    end = s.find("\n", nl + 1)
    return _ANSWERS_PASSWORD.match(s, nl + 1, len(s) if end < 0 else end) is not None


def _typed_pass(s: str, m: re.Match[str]) -> bool:
    """Whether ``pass WORD`` typed in lower case is a command with its password: after ``C:``, in a session
    (:func:`_in_session`) -- there whatever its length, digits or ``null`` too --, or with a word shaped like
    a password (six characters or more, with a letter)."""
    word = m.group("val")
    if word.lower() in FUNCTION_WORDS or KEYWORD.fullmatch(word) or _test_name(word):
        return False
    if m.group("marker") == "C:" or _in_session(s, m):
        return True  # (a mask or a placeholder there is left by the caller: pass ****)
    if TRIVIAL_VALUE.match(word):
        return False
    return len(word) >= 6 and any(c.isalpha() for c in word) and secret_shaped(word)


def protocol_passwords(s: str, replace: Callable[[str, str], str]) -> str:
    """The password of an FTP or POP3 ``PASS`` (and FTP's ``ACCT``) and of an IMAP ``LOGIN`` in a protocol
    trace. Where ``PASS`` starts a line or follows ``>`` (as a test runner's report or a quoted block may),
    a value shaped like a test's name is left: ``PASS test_x``."""
    if not _holds_word(s, _MAIL_WORDS):
        return s
    spans: list[tuple[int, int]] = []
    for m in _PASS_CMD.finditer(s):
        if m.group("q") is None and (m.group("marker") or ">")[-1] == ">" and _test_name(m.group("val")):
            continue
        spans.append(m.span("val"))
    spans += [m.span("val") for m in _PASS_TYPED.finditer(s) if _typed_pass(s, m)]
    for m in _IMAP_LOGIN.finditer(s):
        args = _imap_arguments(s, m.end(), 2)
        if len(args) < 2 or args[1][0] >= args[1][1]:
            continue
        a, b = args[1]
        if m.group("untagged") and not _untagged_login(s, m, args[0], args[1]):
            continue
        if not PARTIAL.search(s[a:b]):
            spans.append((a, b))
    return replace_spans(s, spans, "password", replace)


def _untagged_login(s: str, m: re.Match[str], user: tuple[int, int], password: tuple[int, int]) -> bool:
    """``LOGIN user password`` with no tag is a command when nothing follows the password on its line (or
    its quote closes there) and neither the user nor the password is an English word of function, as in
    login(1)'s ``LOGIN ON tty1 BY bob`` or ``LOGIN FAILED for bob``."""
    (a, b), end = password, password[1] + (1 if s[password[1] : password[1] + 1] == '"' else 0)
    nl = s.find("\n", end)
    rest = s[end : nl if nl >= 0 else len(s)].rstrip("\r")
    quote = m.group("q")
    closed = rest.strip() == "" if quote is None else rest.startswith(quote)
    words = {s[a:b].lower(), s[user[0] : user[1]].lower()}
    return closed and not words & FUNCTION_WORDS


__all__ = ["PROTOCOL_RULES", "may_hold_credential", "protocol_passwords", "redis_secrets"]
