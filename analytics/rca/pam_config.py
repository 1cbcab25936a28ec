"""The form of PAM's configuration lines (pam.conf(5): ``TYPE CONTROL MODULE [ARGUMENTS]``), which the
redaction rules must not read as a password after its name: ``auth required pam_deny.so`` is no Redis
``AUTH`` and Debian's own ``password [success=1 default=ignore] pam_unix.so obscure yescrypt`` holds no
password after the word password. Only the grammar's form tells them apart (a module named as a file or as
Linux-PAM names its modules; a control of the grammar), never words taken from any file.
"""

from __future__ import annotations

import re

#: the module: a path or a shared object's name (``/lib/security/pam_x.so``, ``pam_unix.so``)
PAM_MODULE = re.compile(r"/\S*|[\w.+\-/]*\.so(?:\.\d+)*")
#: a control in brackets, ``[value=action ...]`` (``[default=die]``, ``[success=1 default=ignore]``)
PAM_BRACKETS = re.compile(r"\[[^\]\s]*=[^\]\s]*\]")
#: the controls ``include`` and ``substack`` name another service's file instead of a module (``auth include su``)
PAM_STACK = re.compile(r"(?:include|substack)")
#: the grammar's other controls, and a module's name as Linux-PAM names every module (pam_unix, pam_tally2):
#: ``auth required pam_unix`` is the configuration written without the file's ``.so``
PAM_CONTROL = re.compile(r"required|requisite|sufficient|optional")
PAM_NAME = re.compile(r"pam_[a-z0-9_]+")

#: what follows a configuration line's type: a control of the grammar -- in brackets, with blanks between its
#: value=action pairs -- then a module; also what tells ``-password optional pam_gnome_keyring.so`` from a flag
CONTROL_AND_MODULE = (
    r"[ \t]+(?:\[[^\]\n]*=[^\]\n]*\]|" + PAM_CONTROL.pattern + r")"
    r"[ \t]+(?:/\S+|[\w.+\-/]*\.so(?:\.\d+)*|" + PAM_NAME.pattern + r")(?=[ \t]|$)"
)
#: a configuration line (a leading ``-`` skips a module that is not installed), its type and its module's
#: arguments after it (``auth include su`` has none: no module)
CONFIG_LINE = re.compile(
    r"(?m)^[ \t]*-?(?P<type>account|auth|password|session)" + CONTROL_AND_MODULE + r"(?P<args>[^\n]*)"
)


def pam_line(control: str, module: str) -> bool:
    """Whether ``auth CONTROL MODULE`` is a line of PAM's configuration by its form (see :data:`PAM_MODULE`).
    No Redis password is told from these by anything but their form."""
    return (
        PAM_MODULE.fullmatch(module) is not None
        or PAM_BRACKETS.fullmatch(control) is not None
        or (PAM_STACK.fullmatch(control) is not None and re.fullmatch(r"[\w.\-]+", module) is not None)
    )


def password_type_words(s: str) -> set[int]:
    """Where the word ``password`` stands as the type of a PAM configuration line in ``s`` (its offsets)."""
    if "password" not in s:
        return set()
    return {m.start("type") for m in CONFIG_LINE.finditer(s) if m.group("type") == "password"}


def argument_spans(s: str) -> list[tuple[int, int]]:
    """Where the module's arguments of each PAM configuration line in ``s`` stand (start, end)."""
    return [m.span("args") for m in CONFIG_LINE.finditer(s)] if ".so" in s or "pam_" in s else []
