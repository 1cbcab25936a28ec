"""A value that names where a secret comes from instead of holding it: a variable reference --
``${DB_PASS}``, ``$DB_PASS``, a template's ``{{ .Values.password }}``, Python's ``%(password)s``.

Redaction reads such a value whole, with whatever is glued to it, and then either keeps it or removes it
whole -- never cuts it at a brace (``api_key=${X}y`` came out as ``[REDACTED:secret]}y``):

* a value made only of references (``${X}``, ``$X``, ``{{ x }}``, ``%(x)s``, ``${A}${B}``) is **kept**: it
  holds no secret, and it tells the reader which variable the program used, which is what a diagnosis
  needs;
* a value with anything else in it (``${X}y``, ``ab${X}``, ``$HOME/.pw``, a default ``${X:-Hunter2}``, a
  filter with a quoted argument ``{{ x | default "s3cr3t" }}``) is **removed whole**, the reference with
  it: the literal part may be the secret or a piece of it, and a reference left beside a removed piece
  would show where the secret was split.

:data:`EXPANSION` is how far a value goes (its braces and what they hold, spaces included) -- every rule
that reads a value as one word reads it so (:data:`WORD`): a URL's query value, which then ends at the next
``&`` (``?token=${X}&a=1`` keeps ``&a=1``), ``Authorization: Bearer {{ x }}y``, ``PASS {{ x }}y``, IMAP's
``LOGIN``, Redis's ``AUTH``, ``requirepass`` and ``ACL SETUSER``, a URL's user and password;
:data:`REFERENCES` (and :func:`is_reference`) whether a value is only references.
"""

from __future__ import annotations

import re

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
#: one reference, read strictly: a name and nothing else (a template's: a dotted path, or a
#: pipeline of names without quotes or literals)
_REFERENCE = (
    r"\$\{" + _NAME + r"\}"
    r"|\$" + _NAME + r""
    r"|\{\{-?[ \t]*\.?" + _NAME + r"(?:\.[A-Za-z_]\w*)*(?:[ \t]*\|[ \t]*" + _NAME + r")*[ \t]*-?\}\}"
    r"|%\(" + _NAME + r"\)[sdrif]"
)
#: a value made only of references
REFERENCES = r"(?:" + _REFERENCE + r")+"
_ONLY_REFERENCES = re.compile(REFERENCES)
#: an expansion read whole wherever it stands in a value, so a value never ends inside one: ``${...}``,
#: ``$(...)``, ``{{ ... }}``, ``%(...)`` with its conversion letter
EXPANSION = r"\$\{[^}\n]*\}|\$\([^()\n]*\)|\{\{[^{}\n]*\}\}|%\([^()\s]*\)[a-zA-Z]?"


#: where a variable reference starts (a command substitution, $(...), is none)
REFERENCE_START = r"(?:\$\{|\$[A-Za-z_]|\{\{|%\()"
#: a bracket opened inside a word (a value, a command's argument), read to its closing one, blanks and all: the
#: word goes on after it (``ab[c d]ef``, Rich's escaped ``hunt\\[bold red]er2x`` -- text, no tag: ended at the
#: blank or the ``]``, the rest of the word was kept). Where the word starts is the caller's to say.
BRACKET = r"\\?\[[^\r\n\[\]'\"]*\]"
#: a word as a command or a protocol reads one, up to a blank -- an expansion read whole, blanks and all
#: (``PASS {{ x }}y`` is one word, not ``{{``), and so is a bracket opened inside it (``PASS ab[c d]ef``)
WORD = r"(?:" + EXPANSION + r"|(?<=\S)" + BRACKET + r"|\S)+"
_HOLDS_REFERENCE = re.compile(REFERENCE_START)


def is_reference(value: str) -> bool:
    """Whether ``value`` (its quotes and blanks already stripped) is only variable references."""
    return _ONLY_REFERENCES.fullmatch(value) is not None


def holds_reference(value: str) -> bool:
    """Whether ``value`` has a variable reference in it."""
    return _HOLDS_REFERENCE.search(value) is not None


def glued(value: str) -> bool:
    """Whether ``value`` has a reference with something else glued to it: a value to remove whole."""
    return holds_reference(value) and not is_reference(value)
