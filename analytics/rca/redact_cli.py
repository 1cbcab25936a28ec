"""Passwords on command lines: the redaction rules that need to read a line as a program reads its
arguments, not as ``key=value`` text.

Command lines are read the way the programs read them: for each program whose arguments carry a password
(``curl -u user:pass``, ``sshpass -p``, ``redis-cli -a``, ``redis-cli AUTH``, ``mysql -pPASS``,
``ldapsearch -w``, ``smbclient -U user%pass``, ``openssl -passin pass:X``, ``openssl passwd X``,
``htpasswd -b FILE USER PASS``, ``useradd -p``, ``net user NAME PASS``, ``nmcli ... password PASS``,
``wpa_passphrase SSID PASS`` ...), the arguments after its name are split like a shell would (quotes kept
together) and the password part of each such argument is replaced. The table lists documented flags of
those programs -- their manuals, not any log file. Any flag *named* like a password (``--http-password``,
``-storepass``, ``--passphrase``) is caught by the generic flag rule in :mod:`analytics.rca.redact`. An
audit record's command (EXECVE ``a0="mysql" a1="-uroot" a2="-pX"``, a PROCTITLE's hex) is read as the one
line it is.

Also here: base64 that decodes to ``user:password``, and passwords fed to a program that reads one from its
input (``echo X | sudo -S``, ``printf '%s' X | passwd``, ``chpasswd <<< user:X``).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

from analytics.rca.redact_keys import ALREADY, ph
from analytics.rca.redact_prose import replace_spans
from analytics.rca.redact_refs import EXPANSION

#: program -> flags whose value is (or holds) a password. How the value holds it:
#: "all" the whole value, "after:" the part after the first ':' (user:pass), "after%" after '%'
#: (smbclient user%pass), "pass:" after a 'pass:' prefix (openssl), "attached" only as -pVALUE.
_FLAGS: dict[str, dict[str, str]] = {
    "curl": {"-u": "after:", "--user": "after:", "-U": "after:", "--proxy-user": "after:"},
    "sshpass": {"-p": "all"},
    "redis-cli": {"-a": "all", "--pass": "all", "--user": "none"},
    "valkey-cli": {"-a": "all", "--pass": "all"},
    "mysql": {"-p": "attached"},
    "mysqldump": {"-p": "attached"},
    "mysqladmin": {"-p": "attached"},
    "mariadb": {"-p": "attached"},
    "mariadb-dump": {"-p": "attached"},
    "mongo": {"-p": "all"},
    "mongosh": {"-p": "all"},
    "mongodump": {"-p": "all"},
    "mongorestore": {"-p": "all"},
    "mongoexport": {"-p": "all"},
    "mongoimport": {"-p": "all"},
    "ldapsearch": {"-w": "all"},
    "ldapmodify": {"-w": "all"},
    "ldapadd": {"-w": "all"},
    "ldapdelete": {"-w": "all"},
    "ldappasswd": {"-w": "all", "-s": "all", "-a": "all"},
    "ldapwhoami": {"-w": "all"},
    "smbclient": {"-U": "after%", "--user": "after%"},
    "rpcclient": {"-U": "after%"},
    "smbmap": {"-p": "all"},
    "mount.cifs": {},
    "openssl": {"-passin": "pass:", "-passout": "pass:", "-pass": "pass:", "-k": "all"},
    "docker": {"-p": "all"},
    "podman": {"-p": "all"},
    "buildah": {"-p": "all"},
    "skopeo": {"-p": "all"},
    "nerdctl": {"-p": "all"},
    "helm": {"-p": "all"},
    "sqlcmd": {"-P": "all"},
    "bcp": {"-P": "all"},
    "osql": {"-P": "all"},
    "isql": {},
    "snmpwalk": {"-A": "all", "-X": "all"},
    "snmpget": {"-A": "all", "-X": "all"},
    "snmpbulkwalk": {"-A": "all", "-X": "all"},
    "snmpset": {"-A": "all", "-X": "all"},
    "snmptrap": {"-A": "all", "-X": "all"},
    "az": {"-p": "all"},
    "ipmitool": {"-P": "all"},
    "mosquitto_pub": {"-P": "all"},
    "mosquitto_sub": {"-P": "all"},
    "zip": {"-P": "all"},
    "unzip": {"-P": "all"},
    "7z": {"-p": "attached"},
    "rar": {"-p": "attached"},
    "wget": {},
    "lftp": {"-u": "after,"},
    "ftp": {},
    "keytool": {"-storepass": "all", "-keypass": "all", "-srcstorepass": "all", "-deststorepass": "all"},
    "gpg": {"--passphrase": "all"},
    "racadm": {"-p": "all"},  # Dell iDRAC: racadm -r HOST -u USER -p PASSWORD
    "ssh-keygen": {"-N": "all", "-P": "all"},  # new and old passphrase
    "net": {},
    "useradd": {"-p": "all", "--password": "all"},
    "usermod": {"-p": "all", "--password": "all"},
    "nmcli": {},
    "wpa_passphrase": {},
}
#: programs whose password is a positional argument: (program, sub-command or None, position after it)
_POSITIONAL: tuple[tuple[str, str | None, int], ...] = (
    ("htpasswd", "-b", 3),  # htpasswd -b FILE USER PASSWORD  (also -bc, -bB ...)
    ("rabbitmqctl", "add_user", 2),
    ("rabbitmqctl", "change_password", 2),
    ("sqlplus", None, 1),  # sqlplus user/password@db
    ("expdp", None, 1),  # Oracle's Data Pump, as sqlplus: expdp user/password[@db] ...
    ("impdp", None, 1),
    ("net", "user", 2),  # net user NAME PASSWORD [/add] (Windows)
    ("net", "use", 2),  # net use \\\\server\\share PASSWORD /user:NAME
    ("nmcli", "password", 1),  # nmcli dev wifi connect SSID password PASSWORD
    ("nmcli", "wifi-sec.psk", 1),
    ("nmcli", "802-11-wireless-security.psk", 1),
    ("nmcli", "802-1x.password", 1),
    ("wpa_passphrase", None, 2),  # wpa_passphrase SSID PASSPHRASE
    ("redis-cli", "auth", -1),  # redis-cli AUTH [USER] PASSWORD: the last of one or two
    ("valkey-cli", "auth", -1),
    ("openssl", "passwd", 0),  # openssl passwd [-1|-5|-6|-apr1 ...] [-salt S] PASSWORD...: every one
    ("aws", "aws_secret_access_key", 1),  # aws configure set [profile.NAME.]aws_secret_access_key SECRET
    ("aws", "aws_session_token", 1),
    ("mc", "alias", 5),  # MinIO's mc alias set ALIAS URL ACCESSKEY SECRETKEY
    ("mc", "host", 5),  # mc config host add ALIAS URL ACCESSKEY SECRETKEY (before alias)
    ("mc", "user", 4),  # mc admin user add ALIAS USER SECRETKEY
    ("iwconfig", "key", 1),  # iwconfig IFACE key [open|restricted] [[N]] KEY (hex, or s:ASCII)
    ("iwconfig", "enc", 1),
)
#: the words of iwconfig's key that set a mode or pick a slot (iwconfig(8)): no key
_WIRELESS_MODE = re.compile(r"(?i)on|off|open|restricted|\[\d+\]")
#: options of those sub-commands that take a value (which is then no positional argument)
_OPTION_VALUES: dict[tuple[str, str | None], frozenset[str]] = {
    ("openssl", "passwd"): frozenset(
        {"-salt", "-in", "-rand", "-writerand", "-provider", "-provider-path", "-propquery"}
    ),
    ("mc", "alias"): frozenset({"--api", "--path"}),
    ("mc", "host"): frozenset({"--api", "--lookup"}),
}
#: (public: a text that holds none has no command line for these rules to read)
PROGRAM = re.compile(
    r"(?<![\w.\-])(?:[\w.\-]*/)?("
    + "|".join(re.escape(p) for p in sorted(set(_FLAGS) | {p for p, _, _ in _POSITIONAL}, key=len, reverse=True))
    + r")(?![\w\-/]|\.\w)"
)
#: one argument as a shell splits them: unquoted characters and quoted parts, together (``-p"two words"``,
#: ``'pa;ss&w0rd'``); a quote left open runs to the end of the text (a line cut short)
_ARG = re.compile(r"(?:" + EXPANSION + r"|\"(?:[^\"\\]|\\.)*(?:\"|$)|'[^']*(?:'|$)|[^\s;&|\"'])+")
#: words that end a command written into a log's prose (``sshpass -p x ssh h -> exited 255``)
_PROSE_END = re.compile(r"(?:->|=>|:)$|(?:exited|returned|failed)\b")
#: a redirection (``> file``, ``2>>log``, ``<in``): the command's arguments end before it
_REDIRECT = re.compile(r"\d*[<>]")


def _arguments(s: str, start: int) -> list[tuple[int, str]]:
    """The arguments after a program's name at ``start`` (position, text), up to the end of its command:
    an unquoted ``;``, ``&`` or ``|`` (inside quotes they are the argument's), a redirection, or a word of
    the prose around it."""
    args: list[tuple[int, str]] = []
    pos = start
    for a in _ARG.finditer(s, start):
        if any(c in s[pos : a.start()] for c in ";&|") or _PROSE_END.match(a.group()) or _REDIRECT.match(a.group()):
            break
        args.append((a.start(), a.group()))
        pos = a.end()
    return args


def _names(token: str, sub: str) -> bool:
    """Whether an argument is the sub-command or setting ``sub``: itself, or a setting under a prefix
    (``profile.dev.aws_secret_access_key``)."""
    return token == sub or (sub[:1].isalpha() and token.endswith("." + sub))


def _in_cluster(flag: str, token: str) -> bool:
    """Whether a one-letter ``flag`` (``-b``) is among the letters of ``token``, short options written together
    as getopt reads them (``-bc``, ``-Bb``, ``-cbB``)."""
    return (
        len(flag) == 2
        and flag[0] == "-"
        and token[:1] == "-"
        and token[1:2] != "-"
        and token[1:].isalpha()
        and flag[1] in token[1:]
    )


def _value_span(token: str, how: str) -> tuple[int, int] | None:
    """The password's span inside one argument (quotes excluded), or None."""
    start, end = 0, len(token)
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        start, end = 1, len(token) - 1
    inner = token[start:end]
    if how == "none" or not inner:
        return None
    if how in ("after:", "after%", "after,"):
        sep = how[-1]
        i = inner.find(sep)
        return None if i < 0 or i == len(inner) - 1 else (start + i + 1, end)
    if how == "pass:":
        return (start + 5, end) if inner.startswith("pass:") and len(inner) > 5 else None
    return start, end


def command_lines(s: str, replace: Callable[[str, str], str]) -> str:
    """Replace the passwords in command lines found in ``s``; ``replace(kind, value)`` gives the text."""
    spans: list[tuple[int, int]] = []
    for m in PROGRAM.finditer(s):
        prog = m.group(1)
        args = _arguments(s, m.end())
        flags = _FLAGS.get(prog, {})
        for i, (pos, tok) in enumerate(args):
            for flag, how in flags.items():
                if tok == flag and how != "attached" and i + 1 < len(args):
                    vpos, val = args[i + 1]
                    span = _value_span(val, how)
                    if span:
                        spans.append((vpos + span[0], vpos + span[1]))
                elif (
                    tok.startswith(flag)
                    and len(tok) > len(flag)
                    and (
                        (flag.startswith("--") and tok[len(flag)] == "=")
                        or (not flag.startswith("--") and len(flag) == 2)
                    )
                ):
                    value = tok[len(flag) + (1 if tok[len(flag)] == "=" else 0) :]
                    span = _value_span(value, "all" if how in ("attached", "all") else how)
                    if span:
                        off = pos + len(tok) - len(value)
                        spans.append((off + span[0], off + span[1]))
        for p, sub, n in _POSITIONAL:
            if p != prog:
                continue
            if sub is None:
                rest = args
            else:
                at = next(
                    (j for j, (_, t) in enumerate(args) if _names(t.lower(), sub) or _in_cluster(sub, t)),
                    None,
                )
                if at is None:
                    continue
                rest = args[at + 1 :]
            # options start with '-' (and with '/' for Windows' net); some take the argument after them
            takes = _OPTION_VALUES.get((prog, sub), frozenset())
            positional = [
                (q, t)
                for j, (q, t) in enumerate(rest)
                if not t.startswith("-")
                and not (prog == "net" and t[:1] == "/")
                and (j == 0 or rest[j - 1][1] not in takes)
            ]
            if n == 0:  # every one
                for q, t in positional:
                    span = _value_span(t, "all")
                    if span:
                        spans.append((q + span[0], q + span[1]))
                continue
            if prog == "iwconfig":  # key restricted [2] s:KEY: the mode's and the slot's words are none
                positional = [(q, t) for q, t in positional if not _WIRELESS_MODE.fullmatch(t)]
                positional = [(q + 2, t[2:]) if t[:2] == "s:" else (q, t) for q, t in positional]
            if n < 0:  # the last of one or two (AUTH [user] password)
                positional = positional[:2]
            if positional and len(positional) >= n:
                q, t = positional[n - 1] if n > 0 else positional[-1]
                if prog in ("sqlplus", "expdp", "impdp"):  # user/password@db
                    mm = re.match(r"[^/@\s]+/([^@\s]+)", t)
                    if mm:
                        spans.append((q + mm.start(1), q + mm.end(1)))
                    continue
                span = _value_span(t, "all")
                if span:
                    spans.append((q + span[0], q + span[1]))
    return replace_spans(s, [(a, b) for a, b in spans if not _DONE.match(s, a)], "password", replace)


#: a value removed already, inside quotes that the argument's reading ran past (``ssh h "redis-cli -a
#: [REDACTED:password]" && x``: the quote closes ssh's argument, what follows is no value's)
_DONE = re.compile(r"[\\\"']*" + ALREADY.pattern + r"(?=[\\\"']|\s|$)")


# --- audit records: a command's arguments, one field each ------------------------------------------------
#: an EXECVE record's argument: a0="mysql" a1="-uroot" a2="-pX" (hex when it holds a blank, a quote or a
#: control character), and a PROCTITLE's command line (hex, arguments separated by NUL bytes)
_AUDIT_ARG = re.compile(r"(?<![\w.\-])a(\d{1,4})=(\"[^\"\n]*\"|[0-9A-F]+|\(null\))(?![\w\"])")
_PROCTITLE = re.compile(r"(?<![\w.\-])proctitle=([0-9A-F]{2,})(?![\w\"])")


def _unhex(text: str) -> str | None:
    if text.startswith('"'):
        return text[1:-1]
    try:
        return bytes.fromhex(text).decode("utf-8", "replace")
    except ValueError:
        return None


def audit_commands(s: str, redact_line: Callable[[str], str]) -> str:
    """Redact the command line an audit EXECVE record (``a0="mysql" a1="-uroot" a2="-pX"``) or a PROCTITLE
    (hex) holds, read as one line by ``redact_line``; each argument that changes is written back quoted."""
    if "a0=" not in s and "proctitle=" not in s:
        return s
    edits: list[tuple[int, int, str]] = []
    fields = list(_AUDIT_ARG.finditer(s))
    for i, first in enumerate(fields):
        if first.group(1) != "0":
            continue
        record = [first]
        for f in fields[i + 1 :]:
            if int(f.group(1)) != len(record) or s[record[-1].end() : f.start()].strip():
                break
            record.append(f)
        args = [_unhex(f.group(2)) or "" for f in record]
        new = _redacted_args(args, redact_line)
        edits += [(f.start(2), f.end(2), f'"{b}"') for f, a, b in zip(record, args, new, strict=True) if a != b]
    for m in _PROCTITLE.finditer(s):
        args = (_unhex(m.group(1)) or "").split("\x00")
        new = _redacted_args(args, redact_line)
        if new != args:
            edits.append((m.start(1), m.end(1), '"' + " ".join(new) + '"'))
    for a, b, text in sorted(edits, reverse=True):
        s = s[:a] + text + s[b:]
    return s


def _redacted_args(args: list[str], redact_line: Callable[[str], str]) -> list[str]:
    # quoted only where a shell would need it to keep the argument whole (-pX^ stays -pX^, as it was typed)
    line = " ".join(shlex.quote(a) if not a or re.search(r"[\s'\"\\;&|]", a) else a for a in args)
    red = redact_line(line)
    if red == line:
        return args
    try:
        new = shlex.split(red)
    except ValueError:
        new = []
    if len(new) != len(args):  # the redaction joined or split arguments: none of them is shown
        return args[:1] + [ph("password")] * (len(args) - 1)
    return new


# --- passwords fed to a program's standard input ------------------------------------------------------
#: programs that read a password from their standard input, as their manuals document it: sudo -S
#: (--stdin), wpa_passphrase with an SSID alone, passwd (--stdin on Red Hat; Debian's reads the piped lines when
#: run by root), chpasswd
#: (user:password lines), any --password-stdin (docker, podman, helm, oras login), openssl's
#: -pass/-passin stdin and passwd -stdin, sshpass with no -p/-f/-d/-e (it then reads stdin),
#: --password-file=STDIN (kinit), kinit itself, and base64 reading a user:password (a Basic credential)
_STDIN_READER = re.compile(
    # the command itself (after blanks, ``env``-style assignments, and for passwd/chpasswd ``sudo [opts]``)
    r"\s*(?:\w+=\S*\s+)*(?:"
    r"(?:[\w.\-]*/)?sudo\s(?:[^|;&\n<]*?\s)?-(?:[A-Za-z]*S\b|-stdin\b)"
    r"|(?:(?:[\w.\-]*/)?sudo\s+(?:-\S+\s+)*)?(?:[\w.\-]*/)?(chpasswd|passwd)(?![\w.\-])"
    r"|(?:[\w.\-]*/)?sshpass(?![\w.\-])(?![^|;&\n<]*\s-[pfde])"
    # kinit reads the password from its input; base64 encodes what it reads: user:password for Basic auth
    # wpa_passphrase SSID with no passphrase after it reads the passphrase from its input
    r"|(?:[\w.\-]*/)?wpa_passphrase(?=\s+(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s\"'|;&<>]+)\s*(?:[|;&<>)]|$))"
    r"|(?:[\w.\-]*/)?kinit(?![\w.\-])(?![^|;&\n<]*\s-(?:k|-keytab)\b)|(?:[\w.\-]*/)?(base64)(?![\w.\-])(?![^|;&\n<]*\s-(?:d|-decode)\b))"
)
#: flags that make any program read its password from its input
_STDIN_FLAG = re.compile(
    r"--password-stdin\b|\s-pass(?:in)?\s+stdin\b|--password-file[= ](?:STDIN|-|/dev/stdin)(?![\w/])"
    r"|\bopenssl\s+passwd\b[^|;&\n]*\s-stdin\b"
)


def _reads_password(command: str) -> tuple[bool, bool]:
    """(whether ``command`` reads a password from its input, whether as chpasswd's ``user:password``)."""
    m = _STDIN_READER.match(command)
    if m is not None:
        return True, m.group(1) == "chpasswd" or m.group(2) == "base64"
    return _STDIN_FLAG.search(command) is not None, False


_PIPE = re.compile(r"\|(?!\|)")
_SOURCE = re.compile(r"(?:^|(?<=[\s;&|(`'\"]))(echo|printf)\s+")
_SEGMENT_END = re.compile(r"[;&|\n]|\)")
_HERE_STRING = re.compile(r"<<<\s*")


def _fed_value_spans(args: list[tuple[int, str]], program: str, chpasswd: bool) -> list[tuple[int, int]]:
    """Spans of the password in ``echo``/``printf`` arguments (or a here-string's one word)."""
    if program == "echo":
        while args and re.fullmatch(r"-[neE]+", args[0][1]):
            args = args[1:]
    elif program == "printf":
        if args and args[0][1] == "--":
            args = args[1:]
        if len(args) > 1 and "%" in args[0][1]:
            args = args[1:]  # the format; the values follow it
    spans = []
    for pos, tok in args:
        span = _value_span(tok, "after:" if chpasswd else "all")
        if span and "`" not in tok and "$(" not in tok:  # a command's output is not written here
            spans.append((pos + span[0], pos + span[1]))
    return spans


def fed_passwords(s: str, replace: Callable[[str, str], str]) -> str:
    """Replace passwords written into a program that reads one from its input: ``echo X | sudo -S cmd``,
    ``printf '%s\\n' X | passwd --stdin bob``, ``echo bob:X | chpasswd``, ``sudo -S cmd <<< X``."""
    if "|" not in s and "<<<" not in s:
        return s
    spans: list[tuple[int, int]] = []
    for pipe in _PIPE.finditer(s):
        if pipe.start() > 0 and s[pipe.start() - 1] == "|":
            continue
        stop = _SEGMENT_END.search(s, pipe.end())
        reads, chpasswd = _reads_password(s[pipe.end() : stop.start() if stop else len(s)])
        if not reads:
            continue
        base = _command_start(s, pipe.start())
        head = s[base : pipe.start()]
        # the command's echo/printf: its first (echo echo x | passwd: every word after it is written, "echo" too)
        src = next(_SOURCE.finditer(head), None)
        if src is None:
            continue
        args = [(base + a.start(), a.group()) for a in _ARG.finditer(head, src.end())]
        spans += _fed_value_spans(args, src.group(1), chpasswd)
    last: tuple[int, bool, bool] | None = None  # the previous here-string's word's end, and what it fed
    for here in _HERE_STRING.finditer(s):
        if last is not None and here.start() < last[0]:
            continue  # inside the previous here-string's word (passwd <<< ' <<< ')
        start = _command_start(s, here.start())
        reads, chpasswd = _reads_password(s[start : here.start()])
        if last is not None and not s[last[0] : here.start()].strip():
            reads, chpasswd = last[1], last[2]  # passwd <<< a <<< b: one command's here-strings (its input: b)
        elif not reads:  # a command quoted inside another (ssh host "sudo -S x <<< X")
            quote = max(s.rfind(c, start, here.start()) for c in "'\"")
            reads, chpasswd = _reads_password(s[quote + 1 : here.start()]) if quote >= start else (False, False)
        arg = _ARG.match(s, here.end())
        last = (arg.end(), reads, chpasswd) if arg else None
        if reads and arg:
            spans += _fed_value_spans([(arg.start(), arg.group())], "here", chpasswd)
    return replace_spans(s, spans, "password", replace)


def _command_start(s: str, end: int) -> int:
    """Where the shell command that ``end`` stands in starts: after the last ``;``, ``&``, ``|``, newline or
    bracket before it (looking back at most 4 KiB; the parentheses of Python's ``%(name)s`` are none)."""
    lo = max(0, end - 4096)
    window = _PERCENT_REF.sub(lambda m: " " * len(m.group()), s[lo:end])
    return lo + max(0, *(window.rfind(c) + 1 for c in ";&|\n()"))


_PERCENT_REF = re.compile(r"%\([^()\s]*\)")


# --- encoded credentials -----------------------------------------------------------------------------
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/]{8,}={0,2}(?![A-Za-z0-9+/=_\-])")
#: what a credential reads like once decoded: user:password (no space in the user, printable ASCII), or
#: SASL PLAIN's [authzid] NUL user NUL password (RFC 4616: what SMTP and IMAP clients send after AUTH PLAIN,
#: on the same line or alone on the next); a password of blanks only is none (a word such as "aichajog"
#: decodes to "j'!j: ")
_USER_PASS = re.compile(
    r"[\x21-\x39\x3b-\x7e]{1,64}:(?=[\x20-\x7e]{0,127}[\x21-\x7e])[\x20-\x7e]{1,128}"
    r"|[\x21-\x7e]{0,255}\x00[\x21-\x7e]{1,255}\x00(?=[\x20-\x7e]{0,254}[\x21-\x7e])[\x20-\x7e]{1,255}"
)


def is_encoded_credential(token: str) -> bool:
    """Base64 whose content is ``user:password`` (printable, one user part with no space or colon) or
    ``NUL user NUL password``: what HTTP Basic auth, docker's config, SASL PLAIN and many clients write.
    Words and ids that happen to be valid base64 decode to bytes that are not text."""
    import base64
    import binascii

    core = token.rstrip("=")
    if len(core) % 4 == 1:
        return False
    try:
        raw = base64.b64decode(core + "=" * (-len(core) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return False
    return _USER_PASS.fullmatch(text) is not None


def encoded_credentials(s: str, replace: Callable[[str, str], str]) -> str:
    """Replace base64-encoded ``user:password`` pairs wherever they stand (``echo dXNlcjpwYXNz | base64 -d``,
    a client's debug output), whatever names them."""
    return _BASE64.sub(
        lambda m: replace("encoded_credential", m.group()) if is_encoded_credential(m.group()) else m.group(), s
    )


__all__ = [
    "PROGRAM",
    "audit_commands",
    "command_lines",
    "encoded_credentials",
    "fed_passwords",
    "is_encoded_credential",
]
