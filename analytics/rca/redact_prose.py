"""Passwords in prose and SQL: ``new password Hunter2 was rejected``, ``the password is letmein``,
``password for bob is ...``, ``invalid password '...'``, ``SET PASSWORD FOR 'bob'@'%' = '...'``, hex keys
named as keys, docker ``"auth"`` blobs, and tokens named in prose (``using token ...``, ``X-Api-Key ...``:
:func:`token_values`). Protocol traces (FTP, POP3, IMAP, SMTP, Redis) are :mod:`.redact_protocols`'.

A password in prose is the word after the word password (or passwd, passphrase, passcode) when that word
is shaped like a secret -- it holds a digit, a symbol or a capital inside: ``Password hunter2 rejected``;
a plain word there names something (``password authentication failed``, ``password reset``) -- or the
word after a link (``is``, ``was``, ``has been``), whatever it looks like (``the password is letmein``,
``pwd is ...``, ``the pass is ...``), unless it is a function word of English (``is always``, ``was not``:
then it is prose), an English past participle or adjective by its form (``is required``, ``was given``,
``is incorrect``, ``was successfully``) or a mask; whose password it is may stand between (``password
for bob is ...``, ``the password for user bob was ...``). What a password was set or changed to
(``password for bob set to ...``, ``changed password to ...``) is the password too, unless a lowercase
word there goes on into a verb phrase (``set to expire in 7 days``, ``changed his password to comply with
...``) or names a state (``reset to default``); ``to`` after an instruction (``change your password to
continue``, ``please set a password to continue``) says what for, not what to. The word
password itself, and the function words, are never redacted. The lists below are English grammar --
function words, irregular participles, suffixes -- and protocol syntax, not words taken from any log.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from analytics.rca.pam_config import password_type_words
from analytics.rca.redact_keys import KEYWORD, PARTIAL, TRIVIAL_VALUE, secret_shaped
from analytics.rca.redact_refs import EXPANSION, glued, holds_reference

#: config keys that end in "pw" or name an auth token, written "key value" (nslcd.conf, sssd) (on the key's
#: line: the next line's first word is none of its value; in a template's {{ pw }} it is a variable's name,
#: and }} no value). Not among a PAM module's arguments, each a word of its own (``pam_unix.so use_authtok
#: sha512``): the caller skips those (:func:`analytics.rca.pam_config.argument_spans`).
_CONFIG_KEY = r"(?:[a-z_]*pw|[a-z_]*authtok)"
_CONFIG_CHAR = r"[^\s'\",;|&<>]"
#: where a credential's word may name the word after it (``bindpw s3cret``, ``password Hunter2``) -- the config-key
#: rule and the prose rule (:data:`_KEYWORD_AT`) both start here: not right after "=", where the word is a value
#: itself, unless the "=" is a key's that starts a word (``x=password Hunter2x``, ``a=b=password``: the key's value,
#: and then the password it names, read with the key). A URL query's key does not start a word (after ``?``, ``&``
#: or ``;``): its value is the URL's last word, and the blank after it ends the URL -- what follows names no part of
#: it (``GET /x?a=pw HTTP/1.1``)
_NAMING_AT = r"(?:(?<!\S)(?:[^\s?&;=]+=)+|(?<!=))"
CONFIG_KEY_VALUE = re.compile(
    # the key starting its line (a config file's: bindpw s3cret), or within a line written key: value, or
    # key value where the value has a password's form, letters and a digit (not mime.types' "xpw xpx"); not a
    # word that is a value itself (_NAMING_AT)
    r"(?i)(?:(?m:^)[ \t]*|" + _NAMING_AT + r"(?<![./~\-:$])(?<!\{\{)(?<!\{\{[ \t])\b"
    r"(?=" + _CONFIG_KEY + r"(?:[ \t]*[:=]|[ \t]+"
    r"(?=" + _CONFIG_CHAR + r"*\d)(?=" + _CONFIG_CHAR + r"*[A-Za-z]))))" + _CONFIG_KEY + r"[ \t]*"
    # (a link word is no value: pw is hunter2 is prose's; within a line, the next flag has no password's form:
    # ssh-keygen -P oldpw -N)
    r"(?P<sep>[:=][ \t]*|[ \t]+(?!(?:is|was|are|were)[ \t]))"
    r"((?:" + EXPANSION + r"|" + _CONFIG_CHAR + r")+)"
)


def may_hold_config_key(s: str) -> bool:
    """Whether ``s`` may hold a key :data:`CONFIG_KEY_VALUE` reads (each ends in pw or authtok): without one, its
    scan -- tried at every word, a key's ``=`` before it read too -- finds nothing."""
    low = s.lower()
    return "pw" in low or "authtok" in low


#: (kind, pattern, group holding the secret)
#: a value of one word, an expansion in it read whole (requirepass {{ x }}y is one word, not {{)
_WORD = r"(?:" + EXPANSION + r"|[^\s\"'])+"
PROSE_RULES: list[tuple[str, re.Pattern[str], int]] = [
    # invalid password 'x' / password "x" rejected / changed password to 'x' / password: 'x' (not a quoted
    # key's own closing quote: {"password": "x"} is the key-value rule's)
    (
        "password",
        re.compile(
            r"(?i)\b(?:pass(?:word|phrase|wd|code)|pin)\b(?!['\"])\s*(?:(?:is|was|set to|changed to|to|of|"
            r"=|:)\s*)?(['\"])((?:(?!\1)[^\n]){1,128})\1"
        ),
        2,
    ),
    # SQL: CREATE/ALTER USER ... IDENTIFIED BY 'x' (MySQL, MariaDB, Oracle; also IDENTIFIED WITH plugin BY),
    # quoted in any case; unquoted (Oracle's IDENTIFIED BY tiger) only in upper case ("identified by their
    # email" is prose)
    (
        "password",
        re.compile(r"(?i)\bIDENTIFIED\s+(?:WITH\s+[\w'\"]+\s+)?BY\s+(?:PASSWORD\s+)?(['\"])((?:(?!\1)[^\n]){1,128})\1"),
        2,
    ),
    ("password", re.compile(r"\bIDENTIFIED\s+(?:WITH\s+[\w'\"]+\s+)?BY\s+(?:PASSWORD\s+)?([^\s;'\"]+)"), 1),
    # MySQL: SET PASSWORD [FOR 'bob'@'%'] = 'x' (or = PASSWORD('x'))
    (
        "password",
        re.compile(
            r"(?i)\bSET\s+PASSWORD\b(?:\s+FOR\s+[^=\n]{1,200}?)?\s*=\s*(?:(?:OLD_)?PASSWORD\s*\(\s*)?"
            r"(['\"])((?:(?!\1)[^\n]){1,128})\1"
        ),
        2,
    ),
    # Redis: CONFIG SET requirepass x (MONITOR quotes each argument), requirepass/masterauth in redis.conf
    ("password", re.compile(r"(?i)\"(?:requirepass|masterauth)\"\s+\"((?:[^\"\\]|\\.)+)\""), 1),
    ("password", re.compile(r"(?im)(?:^|\bCONFIG\s+SET)\s*(?:requirepass|masterauth)\s+(" + _WORD + r")"), 1),
    # a hex key named as a key: encryption key 9f86..., HMAC key: ..., secret_key_base ..., X-Api-Key: ...
    (
        "hex_key",
        re.compile(
            r"(?i)(?:key|secret|token|salt|hmac|signature|passphrase)[a-z_\-]*['\"]?\s*[:=]?\s*['\"]?"
            r"(?<![0-9a-f])([0-9a-f]{32,})(?![0-9a-z])"
        ),
        1,
    ),
    ("password", CONFIG_KEY_VALUE, 2),
    # docker config.json "auth": "<base64 user:pass>"
    ("secret", re.compile(r"(?i)\"auth\"\s*:\s*\"([^\"]{8,})\""), 1),
]

# --- prose: password <word> -------------------------------------------------------------------------
#: English function words (determiners, pronouns, prepositions, conjunctions, auxiliaries, particles and
#: adverbs of degree, time and negation): never a password, and after "password is" a sign of prose
FUNCTION_WORDS = frozenset(
    """a an the this that these those my your his her its our their whose which what who whom whoever
    i you he she it we they me him us them myself yourself itself themselves one ones someone something
    anyone anything nobody nothing everyone everything
    is was are were be been being am has have had having do does did done will would shall should can could
    may might must ought
    of for to in on at by with without within from into onto upon about above below over under between
    among through during before after since until till against across along around behind beyond near
    off out up down via per than as like unlike toward towards despite except
    and or nor but so yet if then else when whenever while whereas where wherever whether because though
    although unless once
    not no yes never ever always often sometimes usually already still just only even also too very quite
    rather really almost again now here there how why all any some each every both either neither none
    such same other another more most less least much many few several own enough""".split()
)
#: English past participles that do not end in -ed or -en
_IRREGULAR = frozenset(
    """set reset unset put cut shut hit let read sent spent lent bent built kept slept swept left lost meant
    met paid said sold told found held made had heard bought brought caught taught thought sought fought
    felt dealt dug hung struck stuck won spun shot lit led fed fled bled""".split()
)
#: English suffixes of participles, adjectives and adverbs (-ed, -en, -ing, -able, -ive, -ous, -ly ...; the
#: Latin -ct, -id, -ate, -ure: incorrect, invalid, private, secure)
_WORD_SHAPED = re.compile(r"(?i)[a-z]+(?:ed|en|wn|ing|ly|ble|ent|ant|ive|ous|ful|less|al|ic|ary|ory|ile|ct|id|ate|ure)")
#: the words that name a password: the full ones are followed by the password itself in prose
#: ("password Hunter2 rejected"); the short ones (pass, pwd, pw) only after a link ("pwd is ..."); not a word
#: that is a value itself (_NAMING_AT: GET /x?a=passwd HTTP/1.1)
_KEYWORD_AT = re.compile(r"(?i)" + _NAMING_AT + r"(?<![\w\-./$%])(pass(?:word|wd|phrase|code)?|pwd|pw)(?![\w\-])")
_STRONG = ("password", "passwd", "passphrase", "passcode")
#: what links the word to its value: is, was, has been, is now, was set to, changed to ...
_LINK = re.compile(
    r"(?i)[ \t]+(?:(?:(?:is|was|are|were|becomes|became|remains|(?:has|have|had)[ \t]+been|will[ \t]+be)"
    r"(?:[ \t]+now)?(?:[ \t]+(?:set|changed|reset|updated)[ \t]+to)?)|(?:set|changed|reset|updated)[ \t]+to)"
    r":?(?=[ \t])"
)
_TOKEN = re.compile(r"[ \t]+(\"[^\"\n]+\"|'[^'\n]+'|(?:" + EXPANSION + r"|[^\s'\"])+)")
#: whose password it is (one to three words, a quoted name too; none ends a sentence), then a link or what
#: it became: "password for bob is", "password for bob set to", "password of user bob was changed to"
_OWNER = r"[ \t]+(?:for|of)(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s'\"]*[^\s'\".,;:!?])){1,3}?"
_OWNED_LINK = re.compile(
    r"(?i)" + _OWNER + r"(?:[ \t]+(?:is|was|are|were|(?:has|have|had)[ \t]+been|will[ \t]+be)(?:[ \t]+now)?"
    r"(?:[ \t]+(?:set|changed|reset|updated)[ \t]+to)?|(?:[ \t]+now)?[ \t]+(?:set|changed|reset|updated)[ \t]+to|:)"
    r"(?=[ \t])"
)
#: "changed password to X", "set the password for bob to X": a verb of change before the word, "to" after it.
#: The verb tells a change that was made -- what the password became follows "to" -- unless it is an
#: instruction or a wish: the infinitive's "to", please, a modal or a negation before it ("you must set",
#: "please reset"), or "a"/"your" between it and the word ("set a password to continue", "reset your
#: password to sign in"): then "to" says what for. ("change your password to continue" has no verb of the
#: list: change is not changed.)
_CHANGED_BEFORE = re.compile(
    r"(?i)(?:(?<![\w'])(?P<cue>[\w']+)[ \t]+)?\b(?:changed|set|reset|updated)(?P<between>(?:[ \t]+[\w']+){0,2})[ \t]+$"
)
_INSTRUCTION_CUES = frozenset("to please must should can could will would may might shall cannot not never".split())
_FOR_WHAT = frozenset({"a", "an", "your"})
#: what a password is set to that names no password: its default, a random one, a blank one
_STATES = frozenset({"default", "random", "blank", "generated", "same"})
#: a user and a name just before the word: "user bob pass hunter2", "login root password x", as a credential
#: is written down in a note, a ticket or a chat -- the word after ``user NAME pass`` is that user's password.
#: The rule needs the pair: "pass" alone is English ("tests pass in 3 s", "pass through"), and so is what
#: follows the pair when it is an English word by its form or of function ("user bob password expired",
#: "user bob pass through"), or a lowercase word that more words follow ("user bob password mismatch for
#: host"); the name is no function word ("the user can pass").
_USER_BEFORE = re.compile(r"(?i)(?<![\w\-])(?:user(?:name)?|login)(?:[:=]|[ \t]+)[ \t]*(?P<name>[^\s'\"]+)[ \t]+$")
_OWNED_TO = re.compile(r"(?i)(?:" + _OWNER + r")?[ \t]+to(?=[ \t])")


def _core(token: str) -> tuple[int, int]:
    """The span of a token without the punctuation around it (``(hunter2),`` -> ``hunter2``)."""
    start = len(token) - len(token.lstrip("([{<"))
    end = len(token.rstrip(".,;:!?)]}>"))
    for m in re.finditer(EXPANSION, token):  # ${X}: its braces are the reference's, not punctuation
        start, end = min(start, m.start()), max(end, m.end())
    return start, max(start, end)


def _not_a_value(word: str) -> bool:
    low = word.lower()
    return (
        not word
        or low in FUNCTION_WORDS
        or KEYWORD.fullmatch(word) is not None
        or PARTIAL.search(word) is not None
        or TRIVIAL_VALUE.match(word) is not None
    )


def plain_word(word: str) -> bool:
    """An English word by its form: a participle, adjective or adverb (is required, was given, is incorrect)."""
    parts = word.lower().split("-")  # auto-generated, read-only: the last part says
    low = parts[-1]
    return all(p.isalpha() for p in parts) and (low in _IRREGULAR or _WORD_SHAPED.fullmatch(low) is not None)


def _change_made(m: re.Match[str] | None) -> bool:
    """Whether a verb of change before the word password tells a change made (see ``_CHANGED_BEFORE``)."""
    if m is None:
        return False
    cue = (m.group("cue") or "").lower()
    if cue in _INSTRUCTION_CUES or cue.endswith("n't"):
        return False
    return not _FOR_WHAT & set(m.group("between").lower().split())


def prose_passwords(s: str, replace: Callable[[str, str], str]) -> str:
    """Replace the password written after the word password in prose."""
    low = s.lower()
    if ("pass" not in low and "pw" not in low) or not _KEYWORD_AT.search(s):
        return s  # (each of the words holds pass or pw: without one, no scan)
    spans: list[tuple[int, int]] = []
    pam = password_type_words(s)
    for m in _KEYWORD_AT.finditer(s):
        if m.start(1) in pam:
            continue  # password [success=1 default=ignore] pam_unix.so: PAM's configuration, its control next
        strong = m.group(1).lower() in _STRONG
        link = _LINK.match(s, m.end()) or (_OWNED_LINK.match(s, m.end()) if strong else None)
        verb_before = (
            link is None and strong and _change_made(_CHANGED_BEFORE.search(s, max(0, m.start(1) - 80), m.start(1)))
        )
        if verb_before:
            link = _OWNED_TO.match(s, m.end())
        user = None if link else _USER_BEFORE.search(s, max(0, m.start(1) - 80), m.start(1))
        user_pair = user is not None and user.group("name").lower() not in FUNCTION_WORDS
        tok = _TOKEN.match(s, link.end() if link else m.end())
        if tok is None:
            continue
        a, b = _core(tok.group(1))
        word = tok.group(1)[a:b]
        bare = word.strip("|&;<>()")
        if bare != word and holds_reference(bare) and not glued(bare):
            continue  # passwd |$PW, $PW&&: a reference with a shell's operators glued to it names the password
        if word[:1] in "\"'" and (link is not None or strong or user_pair):
            a, b, word = a + 1, b - 1, word[1:-1]  # pwd is "x y": quoted, the whole of it
            if not PARTIAL.search(word) and word.strip():
                spans.append((tok.start(1) + a, tok.start(1) + b))
            continue
        if _not_a_value(word):
            continue
        to = link is not None and link.group().rstrip().lower().endswith("to")
        if link is not None and not to:
            # after a link the value is what follows, unless English says otherwise
            if word.startswith(("/", "~", "$")) and m.group(1).lower() in ("pwd", "pw"):
                continue  # $PWD is /home/bob: a working directory
            if plain_word(word):
                continue
        elif to and strong:
            # what a password was set or changed to is the password, whatever it looks like -- unless it is a
            # participle, a state (set to default), or a lowercase word going on into a verb phrase: "set to
            # expire in 7 days", "changed his password to comply with ..." (the rule is by shape: a lowercase
            # word with more words after it on its line is read as what for; the line's last word, one before
            # a comma or a full stop, and any word with a capital, a digit or a symbol is what it became)
            lower = word.isalpha() and word.islower()
            going_on = b == len(tok.group(1)) and _TOKEN.match(s, tok.end()) is not None
            if plain_word(word) or word.lower() in _STATES or (lower and going_on):
                continue
        elif user_pair and not secret_shaped(word):
            going_on = b == len(tok.group(1)) and _TOKEN.match(s, tok.end()) is not None
            if plain_word(word) or (word.isalpha() and word.islower() and going_on):
                continue  # user bob password expired, user bob password mismatch for host
        elif (link is None and not strong and not user_pair) or not secret_shaped(word):
            continue  # set to expire, password reset: a plain word names something
        spans.append((tok.start(1) + a, tok.start(1) + b))
    return replace_spans(s, spans, "password", replace)


def replace_spans(s: str, spans: list[tuple[int, int]], kind: str, replace: Callable[[str, str], str]) -> str:
    """``s`` with each span (the first of overlapping ones) replaced by ``replace(kind, text)``."""
    if not spans:
        return s
    out, last = [], 0
    for a, b in sorted(set(spans)):
        if a < last or a >= b:
            continue
        out.append(s[last:a])
        out.append(replace(kind, s[a:b]))
        last = b
    out.append(s[last:])
    return "".join(out)


# --- prose: token <value> ----------------------------------------------------------------------------
#: a credential's name written before its value with a blank, as prose and headers written without their
#: colon do (using token ..., the access token is ..., invalid api key ..., X-Api-Key ..., client secret ...);
#: "tokens", "token_type", "api_key_id" go on past the name and are not it, nor is a variable ($token)
_CREDENTIAL_NAME = re.compile(
    r"(?i)(?<!\$)\b(?:api[\-_ ]?key|apikey|access[\-_ ]?key|secret[\-_ ]?key|client[\-_ ]?secret|token)(?![\w\-])"
    r"(?:[ \t]+(?:is|was)|[ \t]*[:=])?[ \t]+(?P<val>(?:" + EXPANSION + r"|[^\s'\",;()\[\]{}<>])+)"
)
_TOKEN_PART = re.compile(r"[._~+/=\-]")


def credential_shaped(word: str) -> bool:
    """A token as services issue them: 16 characters or more of the URL-safe and base64 alphabets, two
    letters and two digits at least, one part of them (between dots, dashes ...) of 8 or more mixing letters
    and digits (an API key, a hex digest, a UUID); not a path, a URL or a flag. Identifiers
    (token_validation_2024, sha256sum) keep letters and digits in parts of their own, or short."""
    if len(word) < 16 or word[0] in "/.~$-" or re.fullmatch(r"[A-Za-z0-9._~+/=\-]+", word) is None:
        return False
    if sum(c.isdigit() for c in word) < 2 or sum(c.isalpha() for c in word) < 2:
        return False
    return any(len(p) >= 8 and re.search(r"\d", p) and re.search(r"[A-Za-z]", p) for p in _TOKEN_PART.split(word))


def token_values(s: str, replace: Callable[[str, str], str]) -> str:
    """Replace a token written after its name with a blank (``using token abcd...``, ``X-Api-Key abcd...``)
    when it is shaped like one (:func:`credential_shaped`): whatever its case, which the entropy rule needs."""
    if not re.search(r"(?i)token|key|secret", s):
        return s
    spans = []
    for m in _CREDENTIAL_NAME.finditer(s):
        val = m.group("val").rstrip(".,:;!?")
        if (credential_shaped(val) or glued(val)) and not PARTIAL.search(val):  # ${X}y: see redact_refs
            spans.append((m.start("val"), m.start("val") + len(val)))
    return replace_spans(s, spans, "secret", replace)


__all__ = [
    "CONFIG_KEY_VALUE",
    "FUNCTION_WORDS",
    "PROSE_RULES",
    "credential_shaped",
    "may_hold_config_key",
    "plain_word",
    "prose_passwords",
    "replace_spans",
    "token_values",
]
