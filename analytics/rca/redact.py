"""Redaction of secrets and personal data before any text leaves the host.

Owns the one function every byte sent to a model or an alert passes through: :meth:`Redactor.redact`
(and :meth:`Redactor.redact_data` for a JSON document, string by string, before it is serialised).
It first makes the text's characters plain (:mod:`.redact_chars`: invisible characters, terminal escapes and
Rich's paired markup tags dropped, NFKC, lookalike letters in a secret's name folded), reads the lines of
passwd, shadow and group as the records they are (:mod:`.redact_accounts`: a hash goes, the rest stays), then
removes from the other text, in this order (and shows the original's characters outside what it removed):

1. private-key blocks (PEM/OpenSSH, complete or cut off);
2. well-known credential formats (cloud keys, VCS/CI/SaaS tokens, JWTs, Bearer/Basic auth);
3. passwords in URLs (``scheme://user:password@host``, and ``scheme://user:pass`` cut before its ``@``)
   and secret query parameters;
4. HTTP header fields whose name ends in a credential's word (:mod:`.redact_headers`: ``X-Auth: ...``,
   ``Ocp-Apim-Subscription-Key: ...``, a cookie list); the credential after a credential's name labelling a
   line (:mod:`.redact_labels`: ``Token: abcdefgh``, ``Secret: correct horse battery``); values of
   secret-sounding keys (:mod:`.redact_keys`:
   ``password=``, ``"api_key": "..."``, ``Password: a pass phrase``, ``REDISCLI_AUTH=``, ``auth: hunter2``,
   ``PIN: 4821``,
   ``<password>...</password>``), ``--token x``; passwords on command lines, audit records,
   encoded credentials (:mod:`.redact_cli`); payment cards, IBANs (:mod:`.redact_numbers`); passwords in
   prose and SQL, tokens named in prose (:mod:`.redact_prose`); credentials in protocol traces
   (:mod:`.redact_protocols`: FTP/POP3 ``PASS``, ``APOP``, IMAP ``LOGIN``, SMTP ``AUTH``, Redis ``AUTH``,
   ``auth hunter2`` too);
5. anything detect-secrets' regex and keyword plugins still find (its maintained detectors);
6. long high-entropy tokens that look random (mixed case + digits, changing character class as random
   text does -- names and identifiers do not);
7. e-mail addresses; optionally IP addresses (loopback kept) and host names (:mod:`.redact_personal`).

Each finding becomes a stable placeholder such as ``[REDACTED:aws_key]`` so that the same
log line always redacts to the same text (the cache key depends on it) and the model can
still see *that* a credential was there. The result carries per-kind counts for display.
Redact a text whole, then shorten it: a cut first can leave half a secret that no rule knows.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from analytics.rca import (
    pam_config,
    redact_accounts,
    redact_chars,
    redact_cli,
    redact_detectors,
    redact_headers,
    redact_keys,
    redact_labels,
    redact_numbers,
    redact_pairs,
    redact_personal,
    redact_prose,
    redact_protocols,
    redact_quoted,
    redact_xml,
)
from analytics.rca.pam_config import CONTROL_AND_MODULE
from analytics.rca.redact_keys import (
    ALREADY as _ALREADY,
    PARTIAL as _PARTIAL,
    SECRET_WORDS,
    ph as _ph,
)
from analytics.rca.redact_refs import EXPANSION, REFERENCE_START, REFERENCES, glued, holds_reference


@dataclass(frozen=True)
class Redaction:
    """Redacted text plus how many of each kind were removed."""

    text: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# --- 1. private keys ----------------------------------------------------------------------
_PRIVATE_KEY = re.compile(
    r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:.*?-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
    # cut off before its end: the lines of the block that are there, its base64 and RFC 1421's headers
    r"|[^\n]*(?:\r?\n(?:[A-Za-z0-9+/=]+|(?:Proc-Type|DEK-Info):[^\n]*|Comment:[^\n]*)?[ \t\r]*(?=\n|$))*)",
    re.DOTALL,
)
_PUTTY_KEY = re.compile(r"PuTTY-User-Key-File-\d:.*?Private-MAC: ?[0-9a-f]+", re.DOTALL)

# --- 2. known credential formats (kind, pattern, group to replace or 0) --------------------
#: a credential's characters after Authorization's colon, a variable's expansion read whole (``{{ x }}y``:
#: its blanks are no end) -- a value that holds a reference is one however short (``a${X}``)
_AUTH_CHARS = r"(?:" + EXPANSION + r"|(?!\\[rn])[^\s,;'\"])"
_TOKEN_RULES: list[tuple[str, re.Pattern[str], int]] = [
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), 0),
    ("aws_key", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b"), 0),
    (
        "aws_secret",
        re.compile(r"(?i)(aws.{0,20}?(?:secret|session).{0,20}?['\"]?\s*[:=]\s*['\"]?)([A-Za-z0-9/+=]{40,})"),
        2,
    ),
    ("openai_key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,}"), 0),
    ("github_token", re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b"), 0),
    ("github_token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}"), 0),
    ("gitlab_token", re.compile(r"\bgl(?:pat|dt|rt|ptt|cbt|oas)-[A-Za-z0-9_-]{20,}"), 0),
    ("slack_token", re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}"), 0),
    ("slack_webhook", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+"), 0),
    (
        "discord_webhook",
        re.compile(r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]+"),
        0,
    ),
    # a clear-text password in Dovecot's passwd-file (its scheme prefix says so): bob:{PLAIN}hunter2
    ("password", re.compile(r"(\{(?:PLAIN|CLEAR|CLEARTEXT|PLAIN-TRUNC)\})([^\s:]+)"), 2),
    ("stripe_key", re.compile(r"\b(?:sk|rk|pk|whsec)_(?:live|test)_[A-Za-z0-9]{16,}"), 0),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), 0),
    ("google_oauth", re.compile(r"\bya29\.[0-9A-Za-z_-]{20,}"), 0),
    ("google_oauth", re.compile(r"\bGOCSPX-[0-9A-Za-z_-]{20,}"), 0),
    ("sendgrid_key", re.compile(r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"), 0),
    ("twilio_key", re.compile(r"\b(?:SK|AC)[0-9a-fA-F]{32}\b"), 0),
    ("npm_token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), 0),
    ("pypi_token", re.compile(r"\bpypi-AgE[A-Za-z0-9_-]{40,}"), 0),
    ("vault_token", re.compile(r"\bhv[sbr]\.[A-Za-z0-9_-]{20,}"), 0),
    ("digitalocean_token", re.compile(r"\bdo[pro]_v1_[a-f0-9]{64}\b"), 0),
    ("shopify_token", re.compile(r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"), 0),
    ("databricks_token", re.compile(r"\bdapi[a-f0-9]{32}(?:-\d)?\b"), 0),
    ("mailgun_key", re.compile(r"\bkey-[0-9a-zA-Z]{32}\b"), 0),
    ("mailchimp_key", re.compile(r"\b[0-9a-f]{32}-us[0-9]{1,2}\b"), 0),
    ("telegram_token", re.compile(r"\b\d{8,10}:AA[A-Za-z0-9_-]{33}\b"), 0),
    ("square_token", re.compile(r"\bsq0(?:atp|csp|idp)-[0-9A-Za-z_-]{22,}"), 0),
    ("newrelic_key", re.compile(r"\bNR(?:AK|JS|II)-[A-Za-z0-9]{19,}"), 0),
    ("azure_sas", re.compile(r"(?i)([?&]sig=)([A-Za-z0-9%/+=]{20,})"), 2),
    (
        "heroku_key",
        re.compile(
            r"(?i)(heroku.{0,20}?[:=]\s*['\"]?)"
            r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
        ),
        2,
    ),
    # a scheme's credentials written as its parameters (RFC 9110's auth-param list: Digest username="bob",
    # response="..."; AWS4-HMAC-SHA256 Credential=..., Signature=...; OAuth oauth_signature="..."): all of them
    (
        "auth_header",
        re.compile(
            r"(?i)\b((?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?[A-Za-z][\w.+\-]*[ \t]+)"
            r"((?:[\w\-]+[ \t]*=[ \t]*(?:\"(?:[^\"\\\n]|\\.)*\"|[^\s,\"';]+)(?:[ \t]*,[ \t]*)?)+)"
        ),
        2,
    ),
    # (a scheme and a blank, once read, are never the value: Bearer A000's token is A000, however short; nor
    # is a scheme alone)
    (
        "auth_header",
        re.compile(
            r"(?i)\b((?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?"
            r"(?P<scheme>(?>(?:bearer|basic|token|digest|apikey|sso-key|negotiate|ntlm)[ \t]+))?)"
            r"((?(scheme)(?=[^\s,;'\"]*(?:[A-Za-z0-9]|" + REFERENCE_START + r"))" + _AUTH_CHARS + r"+"
            r"|(?!(?:bearer|negotiate)\b)(?:(?=[^\s,;'\"]*" + REFERENCE_START + r")" + _AUTH_CHARS + r"+"
            r"|(?:(?!\\[rn])[^\s,;'\"]){6,})))"
        ),
        3,
    ),
    # (not "bearer authentication", "basic interoperability": a credential is not one lowercase word; nor
    # "bearer expires_in=3600": a bearer token -- RFC 6750's b64token -- ends with its characters, or with
    # the '=' padding after them where the token ends: a '=' that goes on is a key's)
    (
        "bearer_token",
        re.compile(
            r"(?i)\b(bearer\s+)(?-i:(?![a-z]+\b))"
            r"([A-Za-z0-9\-._~+/]{8,}(?:=+(?=[\s,;\"'()\[\]{}]|$))?)(?![A-Za-z0-9\-._~+/=])"
        ),
        2,
    ),
    ("basic_auth", re.compile(r"(?i)\b(basic\s+)(?-i:(?![a-z]+\b))([A-Za-z0-9+/]{12,}={0,2})"), 2),
]

# --- 3. URLs --------------------------------------------------------------------------------
#: scheme://user:password@host -- the password may hold any character but whitespace ('/', '+', '=', even '@':
#: it runs to the last '@' of the URL; a quote too, unless the URL stands inside quotes of that kind);
#: "host:8080/path@x" (a port) is not a password
_URL_PASSWORD = re.compile(
    r"(?i)(?P<q>['\"])?\b([a-z][a-z0-9+.\-]*://(?:"
    + EXPANSION
    + r"|[^:/@\s'\"\[\]])*:)(?!\d+(?:/|$))((?:"
    + EXPANSION
    + r"|(?(q)(?!(?P=q)))[^\s\"])+)(@)"
    r"(?=[^@\s'\"]*(?:[\s'\")\]]|$))"
)
#: scheme://user:pass with no '@' where the text was cut (it ends there, or at an ellipsis): a password cut
#: short is still a password
_URL_CUT = re.compile(
    r"(?i)(?P<q>['\"])?\b([a-z][a-z0-9+.\-]*://[^:/@\s'\"\[\]]*:)(?!\d+(?![\w@%]))((?:(?(q)(?!(?P=q)))[^\s@\"])+?)"
    r"(?=(?:…|\.\.\.)?(?:\s*(?:…|\.\.\.)?\[cut\])?\s*$|…|\.\.\.)"
)
#: Go's database DSN: user:password@tcp(host:port)/db (also unix(...), udp(...)) -- a URL without its scheme
_DSN_PASSWORD = re.compile(r"(?<![\w/:@])([\w.\-]+:)([^\s@/]+)(@(?:tcp6?|udp|unix)\()")
_URL_TOKEN_USER = re.compile(
    r"(?i)\b([a-z][a-z0-9+.\-]*://)([A-Za-z0-9_\-]{20,}|(?=[^@\s/]*?"
    + REFERENCE_START
    + r")(?:"
    + EXPANSION
    + r"|[^\s/@:'\"])+)(@)"
)
_QUERY_SECRET = re.compile(
    r"(?i)([?&;](?:[a-z0-9_\-]*(?:token|secret|password|passwd|pwd|api[_-]?key|apikey|signature|"
    r"credential|auth)[a-z0-9_\-]*|key|sig|code|x-amz-[a-z\-]+)=)((?:" + EXPANSION + r"|[^&\s#'\"])+)"
)

# --- 4. secret-sounding keys (values of secret-named keys: :mod:`.redact_keys`) --------------------
#: any flag named like a secret: --password x, --http-password=x, -storepass x, --passphrase x (not PAM's
#: -password optional pam_gnome_keyring.so: :mod:`.pam_config`)
_CLI_FLAG = re.compile(
    r"(?i)((?<![\w\-])(?!-password" + CONTROL_AND_MODULE + r")"
    r"--?[a-z0-9]*[\-_]?(?:" + SECRET_WORDS + r")(?![\w\-]*-(?:stdin|file|env)\b)[\w\-]*(?:[=\s]+))"
    # (a shell's operator is no value: --password-stdinX | passwd pipes)
    r"(\"[^\"]*\"|'[^']*'|(?![|&;<>])(?:" + EXPANSION + r"|[^\s\"'])+)"
)
#: mysql's -pPASSWORD (a quoted one, -p'x y', is read whole by the command-line rules, quotes kept)
_MYSQL_P = re.compile(
    r"(\bmysql(?:dump|admin)?\b[^\n]*?\s-p)((?![\"'])(?:" + EXPANSION + r"|\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s\"'])+)"
)
#: what a value found where a password must be (a command line's password argument) can be without
#: being one: a mask, a variable reference, a placeholder
_PLACEHOLDER_VALUE = re.compile(
    r"(?i)^(?:|\*+|x+|<[^>]*>|" + REFERENCES + r"|\$\([^)]*\)|%s|redacted|hidden|stdin|(?:env|file|fd):\S+)$"
)
#: what a value typed in a protocol session (``pass x``, ``AUTH x``) can be without being the password: a
#: mask, a variable reference or a placeholder's name -- not the words that only name where a command
#: line reads it (``stdin``, ``env:X``, ``file:...``) or say it is hidden: typed in a session, they are the
#: password itself
_TYPED_PLACEHOLDER = re.compile(r"(?i)^(?:|\*+|x+|<[^>]*>|" + REFERENCES + r"|\$\([^)]*\)|%s|redacted)$")

#: a word that starts with a dash: a flag, as _CLI_FLAG and _MYSQL_P need one
_FLAG_START = re.compile(r"(?<![\w\-])-")


def _may_hold_command(text: str) -> bool:
    """Whether the rules that read a quoted argument as a command line (``commands`` in :meth:`Redactor._redact`)
    can find anything in ``text``: each needs something of its own -- a flag, a quote (a command quoted in it),
    a pipe or a here-string, a program of the command-line table, a session's command word. A quoted phrase
    with none of them (a JSON document's message, ``"cache timed out after retry"``) is read by none of
    them: the result is the same, without their cost for each phrase."""
    return (
        "'" in text
        or '"' in text
        or "|" in text
        or "<<<" in text
        or ("-" in text and _FLAG_START.search(text) is not None)
        or redact_protocols.may_hold_credential(text)
        or redact_cli.PROGRAM.search(text) is not None
    )


# --- 6. entropy -----------------------------------------------------------------------------
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9+/_=\-])[A-Za-z0-9+/_\-]{24,}={0,2}(?![A-Za-z0-9+/_=\-])")


def _entropy(s: str) -> float:
    counts = Counter(s)
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _looks_random(token: str) -> bool:
    if _ALREADY.search(token):
        return False
    core = token.rstrip("=")
    if len(core) < 24:
        return False
    has_upper = any(c.isupper() for c in core)
    has_lower = any(c.islower() for c in core)
    has_digit = any(c.isdigit() for c in core)
    if not (has_upper and has_lower and has_digit):
        return False
    # identifiers like SomeVeryLongClassNameHandler2 have long alphabetic runs; random tokens do not
    if re.search(r"[A-Za-z]{16,}", core) and _entropy(core) < 4.5:
        return False
    # words and names (DigiCert_TLS_RSA4096_Root_G5, attempt_1445144423722_0020_m_000002) keep a character
    # class for several characters; a random token over letters and digits changes class at ~62% of its
    # neighbours (99% of random 24-64 character tokens above 0.38): below 0.35 it is not random
    return _entropy(core) >= 4.0 and _class_changes(core) >= 0.35


def _class_changes(token: str) -> float:
    """Share of neighbouring letter/digit pairs whose class (upper, lower, digit) differs."""

    def cls(c: str) -> int:
        return 1 if c.isupper() else 2 if c.islower() else 3 if c.isdigit() else 0

    cs = [cls(c) for c in token]
    pairs = [(a, b) for a, b in itertools.pairwise(cs) if a and b]
    return sum(a != b for a, b in pairs) / len(pairs) if pairs else 0.0


class Redactor:
    """Redacts text; configure once (from the ``[ai]`` config), call :meth:`redact` many times."""

    def __init__(
        self, *, redact_ips: bool = False, redact_hostnames: bool = False, use_detect_secrets: bool = True
    ) -> None:
        self.redact_ips = redact_ips
        self.redact_hostnames = redact_hostnames
        self.use_detect_secrets = use_detect_secrets

    @classmethod
    def for_config(cls, config: Any) -> Redactor:
        """The redaction of everything that leaves the host -- a model prompt, an alert, a /metrics label --
        as the ``[ai]`` settings say (``config``: the configuration, its ``[ai]`` section, or None for the
        defaults: IP addresses redacted, host names not)."""
        from analytics.config.settings import AI

        ai = getattr(config, "ai", config) or AI()
        return cls(
            redact_ips=bool(getattr(ai, "redact_ips", AI.redact_ips)),
            redact_hostnames=bool(getattr(ai, "redact_hostnames", AI.redact_hostnames)),
        )

    def redact(self, text: str) -> Redaction:
        counts: Counter[str] = Counter()
        return Redaction(self._shown(text, counts), dict(counts))

    def _shown(self, text: str, counts: Counter[str]) -> str:
        """``text`` redacted: the rules read its characters made plain, and what is shown keeps the original's
        characters everywhere outside a redacted span (``µ``, ``™``, curly quotes stay as written)."""
        plain = redact_chars.plain(text)
        return redact_chars.restore(plain, self._redact(plain.text, counts, 0))

    def redact_data(self, value: Any) -> tuple[Any, dict[str, int]]:
        """A parsed JSON value with each of its strings redacted (and each string named as a secret replaced
        whole), its structure kept: redact a document before serialising it, never after."""
        counts: Counter[str] = Counter()

        def kind(key: str, value: str) -> str | None:
            return redact_keys.secret_key_kind(key, value) or redact_headers.header_kind(key, value)

        return redact_keys.redact_data(value, lambda t: self._shown(t, counts), counts, kind), dict(counts)

    def _redact(self, text: str, counts: Counter[str], depth: int) -> str:
        s = redact_chars.normalise(text)
        if redact_accounts.may_hold(s):  # passwd, shadow, group: records, read field by field
            return redact_accounts.record_lines(s, lambda t: self._rules(t, counts, depth), counts)
        return self._rules(s, counts, depth)

    def _rules(self, s: str, counts: Counter[str], depth: int) -> str:

        def sub(
            pattern: re.Pattern[str],
            kind: str,
            group: int,
            s: str,
            keep: re.Pattern[str] = _PLACEHOLDER_VALUE,
            skip: Sequence[tuple[int, int]] = (),
        ) -> str:
            def repl(m: re.Match[str]) -> str:
                if any(a <= m.start() < b for a, b in skip) and not re.search("[:=]", m.groupdict().get("sep") or ""):
                    return m.group(0)  # in a span to skip, and not written key=value
                if group == 0:
                    if _ALREADY.fullmatch(m.group(0)):
                        return m.group(0)
                    counts[kind] += 1
                    return _ph(kind)
                value = m.group(group)
                if _PARTIAL.search(value) or (keep.match(value.strip().strip("'\"")) and value.strip()):
                    return m.group(0)
                counts[kind] += 1
                start, end = m.span(group)
                whole_start = m.start(0)
                s0 = m.group(0)
                return s0[: start - whole_start] + _ph(kind) + s0[end - whole_start :]

            return pattern.sub(repl, s)

        if depth < 3:  # an audit record's arguments, read as the command line they are
            s = redact_cli.audit_commands(s, lambda line: self._redact(line, counts, depth + 1))
        s = sub(_PRIVATE_KEY, "private_key", 0, s)
        s = sub(_PUTTY_KEY, "private_key", 0, s)
        for kind, pattern, group in _TOKEN_RULES:
            s = sub(pattern, kind, group, s)
        s = sub(_URL_PASSWORD, "url_password", 3, s)
        s = sub(_URL_CUT, "url_password", 3, s)
        s = sub(_DSN_PASSWORD, "url_password", 2, s)
        s = _URL_TOKEN_USER.sub(lambda m: self._url_token(m, counts), s)
        s = sub(_QUERY_SECRET, "query_secret", 2, s)

        def found(kind: str, value: str, keep: re.Pattern[str] = _PLACEHOLDER_VALUE) -> str:
            # a value that is a placeholder already stays; one that holds a placeholder and more is a secret a
            # rule above cut into (a password 'pw:x' read as pw: x) and is replaced whole
            if _ALREADY.fullmatch(value.strip().strip("'\"")) or keep.match(value.strip()):
                return value
            counts[kind] += 1
            return _ph(kind)

        def typed(kind: str, value: str) -> str:  # a value typed in a protocol session
            return found(kind, value, _TYPED_PLACEHOLDER)

        def protocol_rules(t: str) -> str:  # AUTH PLAIN x: named before it is decoded
            for kind, pattern, group in redact_protocols.PROTOCOL_RULES:  # (and APOP's digest before an IBAN's)
                t = sub(pattern, kind, group, t, _TYPED_PLACEHOLDER)
            return t

        def prose_rules(t: str) -> str:
            for kind, pattern, group in redact_prose.PROSE_RULES:
                args: list[tuple[int, int]] = []
                if pattern is redact_prose.CONFIG_KEY_VALUE:
                    if not redact_prose.may_hold_config_key(t):
                        continue  # (its scan, at every word, would find nothing)
                    # a PAM module's arguments are words of their own: use_authtok sha512 is no key and its value
                    args = pam_config.argument_spans(t)
                t = sub(pattern, kind, group, t, skip=args)
            return t

        # the rules after the quoted commands, in their order; those marked True read a line as a command and
        # run on each quoted phrase too (commands), in the same order
        rules: list[tuple[bool, Callable[[str], str]]] = [
            (True, lambda t: redact_cli.fed_passwords(t, found)),  # before the flag rules read "-pass stdin"
            (False, lambda t: redact_headers.header_values(t, found)),  # before the key rules take X-Auth: Bearer
            (False, lambda t: redact_labels.label_values(t, found)),  # (Token: abcdefgh: prose to the key rules)
            (False, lambda t: redact_keys.key_values(redact_xml.xml_values(t, counts), counts)),
            (False, lambda t: redact_pairs.named_values(t, found)),  # - name: DB_PASSWORD / value: x
            (True, lambda t: sub(_CLI_FLAG, "password", 2, t)),
            (True, lambda t: sub(_MYSQL_P, "password", 2, t)),
            (True, lambda t: redact_cli.command_lines(t, found)),
            (False, protocol_rules),
            (False, lambda t: redact_numbers.cards(t, found)),
            (False, lambda t: redact_numbers.ibans(t, found)),
            (False, lambda t: redact_cli.encoded_credentials(t, found)),
            (False, prose_rules),
            (True, lambda t: redact_protocols.redis_secrets(t, typed)),
            (True, lambda t: redact_protocols.protocol_passwords(t, typed)),
        ]
        command_rules = [rule for command, rule in rules if command]

        def commands(t: str, depth: int) -> str:  # the rules that read a line as a command, on quoted text
            if depth < 3:  # (ssh h 'bash -c "mysql -pX"': quotes inside quotes)
                t = redact_quoted.quoted_commands(t, lambda line: commands(line, depth + 1), _may_hold_command)
            for rule in command_rules:
                t = rule(t)
            return t

        s = redact_quoted.quoted_commands(s, lambda line: commands(line, 1), _may_hold_command)  # bash -c "mysql -pX"
        for _, rule in rules:
            s = rule(s)
        s = redact_prose.prose_passwords(s, found)
        s = redact_prose.token_values(s, found)
        if self.use_detect_secrets:
            s = redact_detectors.detect_secrets(s, counts)
        s = _CANDIDATE.sub(lambda m: self._entropy_repl(m, counts), s)
        s = sub(redact_personal.EMAIL, "email", 0, s).replace(_ph("email"), "[EMAIL]")
        if self.redact_ips:
            s = redact_personal.replace_ips(s, counts)
        if self.redact_hostnames:
            s = redact_personal.replace_hosts(s, counts)
        return s

    # -- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _url_token(m: re.Match[str], counts: Counter[str]) -> str:
        """scheme://TOKEN@host: a random-looking user part is a credential (akka.tcp://ActorSystem@ is not)."""
        user = m.group(2)
        if holds_reference(user) and not glued(user):
            return m.group(0)  # https://${GIT_USER}@host: a reference alone names the user (redact_refs)
        if not glued(user) and not (
            _looks_random(user) or (re.search(r"\d", user) and re.search(r"[A-Za-z]", user) and _entropy(user) >= 3.5)
        ):
            return m.group(0)
        counts["url_token"] += 1
        return m.group(1) + _ph("url_token") + m.group(3)

    @staticmethod
    def _entropy_repl(m: re.Match[str], counts: Counter[str]) -> str:
        token = m.group(0)
        if not _looks_random(token):
            return token
        counts["token"] += 1
        return _ph("token")


def redact(text: str, *, redact_ips: bool = False, redact_hostnames: bool = False) -> Redaction:
    """Convenience wrapper: redact ``text`` with a one-off :class:`Redactor`."""
    return Redactor(redact_ips=redact_ips, redact_hostnames=redact_hostnames).redact(text)


Redact = Callable[[str], Redaction]
