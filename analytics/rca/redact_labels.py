"""A credential's name as a label at a line's very start, capitalised as a header's name is: ``Token:``,
``Secret:``, ``Auth:``, ``ApiKey:``, ``ClientSecret:`` (a name the key rules read, or ``Auth``), then a
colon and a blank. What follows it is the credential, whatever its letters: the key rules elsewhere
take a lowercase word after a colon for prose (``signing-key.asc: Rename``, ``pre_shared_key: limit``),
and the header rule wants a value shaped like a secret (a digit among letters), so a short alphabetic
token (``Token: abcdefgh``) or a pass phrase of plain words (``Secret: correct horse battery``) stayed.

The words after the label, up to the line's end, a sentence's end, a delimiter or the next field, are
read by their form:

- one word is the credential unless it is a word of state: a placeholder, a mask, a reference, a number
  of up to five digits (:data:`~.redact_keys.TRIVIAL_VALUE`), an English function word, a participle or
  adjective by its form (``expired``, ``refreshed``), the word password, a capitalised word as a message
  starts (``Success``), an acronym of up to five capitals (``LDAP``), fewer than three characters, a
  path, a URL, a flag or a label of its own (``Error:``); a word that code goes on after (``Token: str |
  None = None``: an operator, a bracket) is no value;
- several words with an English function word among them are prose (``failed for user bob``, ``not
  set``): the first word is the credential unless it is a word of state (``Auth: abc123 for bob``,
  ``Token: abcdefgh for bob``: the token goes, the prose stays). By form a noun is no word of state:
  ``Secret: rotation done`` loses ``rotation`` (a pass phrase may begin with a noun and hold a function
  word, ``Secret: nation of horses``: kept whole, it would leave the host; without the colon, ``Secret
  rotation done`` is no label);
- several words without one, not all words of state, are a pass phrase and go whole (``correct horse
  battery``); all words of state are a message (``refreshed successfully``).

An authentication scheme first (``Token: Bearer x``) is left to the header and key rules, which keep it
and take what follows. A password's label (``Password:``, ``Passphrase:``) is the key rules' own: its
value runs on whatever it looks like. The rules are English grammar and word forms
(:mod:`.redact_prose`), no words of any log.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from analytics.rca.redact_headers import credential_kind
from analytics.rca.redact_keys import AUTH_SCHEME, KEYWORD, PARTIAL, TRIVIAL_VALUE, names_secret
from analytics.rca.redact_prose import FUNCTION_WORDS, plain_word, replace_spans
from analytics.rca.redact_refs import EXPANSION, glued, holds_reference

#: a one-word name at a line's very start, capitalised, its colon and the blanks after it
_LABEL = re.compile(r"(?m)^(?P<name>[A-Z][A-Za-z]*):[ \t]+")
#: a word of the value: up to a blank or a delimiter (an expansion in it read whole)
_WORD = re.compile(r"[ \t]*((?:" + EXPANSION + r"|[^\s,;|'\"()\[\]{}<>])+)")
#: a field that starts where the value ends (``user=bob``, ``Host:``)
_FIELD = re.compile(r"[\w.\-]+[:=]")
_MAX_WORDS = 12
#: what goes on after a word in code (an annotation's union, a default, a subscript, a call)
_CODE_AFTER = re.compile(r"[ \t]*(?:\||=|\(|\[|->)")
#: punctuation around a word's core
_TRAIL = ".,:;!?"


def _state(word: str) -> bool:
    """Whether ``word`` (its trailing punctuation left out) tells a state rather than being a credential."""
    low = word.lower()
    if holds_reference(word):
        return not glued(word)  # ${X} names where the secret is; ${X}y may hold it
    return (
        len(word) < 3
        or PARTIAL.search(word) is not None
        or TRIVIAL_VALUE.match(word) is not None
        or low in FUNCTION_WORDS
        or KEYWORD.fullmatch(word) is not None
        or plain_word(word)
        or re.fullmatch(r"[A-Z][a-z]+|[A-Z]{2,5}", word) is not None
        or word.startswith(("/", "~", "-", "$"))
        or "://" in word
    )


def _words(s: str, start: int) -> list[tuple[int, int, int]]:
    """The value's words from ``start``, up to the line's end, a delimiter, a sentence's end or the next
    field: each as its start, the end of its core (its trailing punctuation left out) and its end."""
    spans: list[tuple[int, int, int]] = []
    pos = start
    while len(spans) < _MAX_WORDS:
        m = _WORD.match(s, pos)
        if m is None or (spans and m.start(1) == pos):
            break
        word = m.group(1)
        if spans and (_FIELD.match(word) or not re.search(r"\w", word)):
            break
        core = len(word.rstrip(_TRAIL)) if not holds_reference(word) else len(word)
        spans.append((m.start(1), m.start(1) + core, m.end(1)))
        pos = m.end()
        if word[-1] in ".!?:" and not word.endswith("..."):
            break  # a sentence's end; a word with a colon after it starts a field of its own
    return spans


def _credential(s: str, start: int) -> tuple[int, int] | None:
    """The span of the credential after a label whose blanks end at ``start``, or None (see the docstring).
    A word is judged by its core; the span holds its punctuation too (a password may end in a full stop)."""
    spans = _words(s, start)
    if not spans:
        return None
    words = [s[a:b] for a, b, _ in spans]
    first = words[0]
    if (
        not first
        or s[spans[0][1] : spans[0][1] + 1] == ":"
        or AUTH_SCHEME.fullmatch(first)
        or _CODE_AFTER.match(s, spans[0][2])
    ):
        # Auth: Error: ... -- a label of its own; Token: Bearer x -- the header and key rules keep the scheme
        # and take what follows it; Token: str | None = None -- code
        return None
    if len(words) == 1 or any(w.lower() in FUNCTION_WORDS for w in words):
        return None if _state(first) else (spans[0][0], spans[0][2])
    if all(_state(w) for w in words):
        return None
    return spans[0][0], spans[-1][2]


def label_values(s: str, replace: Callable[[str, str], str]) -> str:
    """Replace the credential after a credential's name that labels a line (see the module's docstring);
    ``replace(kind, value)`` gives the text."""
    spans: list[tuple[int, int]] = []
    # (one line, the common case: a match at its start only -- a search for ^ tries every position)
    for m in _LABEL.finditer(s) if "\n" in s else filter(None, [_LABEL.match(s)]):
        name = m.group("name")
        if credential_kind(name) != "secret" or not (names_secret(name) or name.lower() == "auth"):
            continue
        span = _credential(s, m.end())
        if span is not None:
            spans.append(span)
    return replace_spans(s, spans, "secret", replace)


__all__ = ["label_values"]
