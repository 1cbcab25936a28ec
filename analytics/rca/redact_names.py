"""The names of secrets that the key, flag and header rules look for in a key's or a flag's name:
``password``, ``api_key``, ``client_secret``, ``authtok``, ``psk``, ``pin`` ...

A password's word is a part of the name of its own -- ``pass``, ``passwd``, ``password``, ``passphrase``,
``passcode``, ``passkey`` (a plural too), any word that begins ``passw`` (German's ``Passwort``), the
Scandinavian ``passord`` and the French ``mot_de_passe`` -- between separators, digits, a case change or glued
to another name (``dbpass``, ``DB_PASS2``, ``adminPassword``) -- not the start of a longer lowercase word that only
begins with ``pass`` (``passive_ftp``, ``passthrough``, ``passenger``) nor an English word that ends in it
(``bypass``, ``compass``, ``trespass``, ``overpass``: its prefix is a word of English, not a name's).
"""

from __future__ import annotations

#: a password's word (see the module's docstring): what follows it is not a letter of its case going on
PASSWORD_WORD = (
    r"(?<!by)(?<!com)(?<!tres)(?<!over)(?<!under)"  # noqa: S105
    r"(?:pass(?:w[a-z]*|phrase|code|key|ord)?s?|mot[_\-.]?de[_\-.]?passe)"
    r"(?!(?-i:(?<=[a-z])[a-z]|(?<=[A-Z])[A-Z]))"
)
#: the names of secrets to look for
SECRET_WORDS = (
    PASSWORD_WORD + r"|pwd|secret|token|api[_\-]?key|apikey|access[_\-]?key|private[_\-]?key|"
    r"client[_\-]?secret|credentials?|auth[_\-]?key|session[_\-]?(?:id|key|token)|cookie|signature|"
    r"dsn|conn(?:ection)?[_\-]?str(?:ing)?|account[_\-]?key|shared[_\-]?key|encryption[_\-]?key|"
    r"master[_\-]?key|signing[_\-]?key|webhook[_\-]?secret|license[_\-]?key|authtok|(?<![a-z])psk(?![a-z])|pw(?![a-z])|"
    r"(?<![a-z])pin(?:[_\-]?code)?(?![a-z])"
)
#: a piece of text that each of the names above holds, in lower case: a text without one of them names no secret
#: (the key rules' regular expressions, slow to fail on a long line, need not read it)
SECRET_FRAGMENTS = (
    "pass", "pw", "secret", "token", "key", "credential", "sessionid", "session_id", "session-id", "cookie",
    "signature", "dsn", "conn", "authtok", "psk", "pin",
)  # fmt: skip


def may_name_secret(text: str) -> bool:
    """Whether ``text`` may hold a name of :data:`SECRET_WORDS` (it holds one of :data:`SECRET_FRAGMENTS`)."""
    low = text.lower()
    return any(f in low for f in SECRET_FRAGMENTS)


__all__ = ["PASSWORD_WORD", "SECRET_FRAGMENTS", "SECRET_WORDS", "may_name_secret"]
