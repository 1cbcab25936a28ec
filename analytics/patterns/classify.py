"""Error types: the seed's nine categories, decided from the message text.

Seed 000 §1 lists them: connection, timeout, not_found, permission, port_conflict, dependency, syntax,
memory, general. Classification is an ordered list of (signal, type): the first signal found in the
message decides. The order encodes which meaning wins when a message carries several
(``connect ETIMEDOUT`` is a timeout, not a connection error; ``cannot open shared object file: No such
file or directory`` is a missing dependency, not a missing file; ``open() ... (13: Permission denied)``
is a permission error even though it names a file). Signals are errno names, errno numbers in the
``(111: ...)`` form nginx/libc print, HTTP status codes, exception class names and the phrases the
common software prints; nothing here is tied to one program.

``TYPES`` is the closed list; :func:`classify` always returns one of them.
"""

from __future__ import annotations

import re

TYPES = (
    "connection",
    "timeout",
    "not_found",
    "permission",
    "port_conflict",
    "dependency",
    "syntax",
    "memory",
    "general",
)

#: the seed spells them with a suffix (connection_error, ...); both are accepted on input
SEED_NAMES = {t: (t if t == "port_conflict" else f"{t}_error") for t in TYPES}

_SIGNALS: list[tuple[str, str]] = [
    # ---- port conflicts: the address is taken
    (
        "port_conflict",
        r"EADDRINUSE|address already in use|address in use|port is already allocated|"
        r"port \S+ (?:was|is) already in use|already in use.{0,40}port|"
        r"only one usage of each socket address|connection in use: \(|"
        r"\bbind\b.{0,60}(?:failed|error).{0,40}\b98\b|another postmaster already running|"
        r"failed listening on port|ports are not available|cannot listen to port|"
        r"free ports for the requested|port conflict",
    ),
    # ---- memory exhausted
    (
        "memory",
        r"out of memory|\bOOM\b|oom[-_ ]?kill|OOMKilled|ENOMEM|cannot allocate memory|"
        r"OutOfMemoryError|\bMemoryError\b|_ArrayMemoryError|unable to allocate|heap out of memory|"
        r"heap limit|insufficient memory|allocation failed|page allocation failure|bad_alloc|"
        r"used memory > 'maxmemory'|GC overhead limit|Metaspace|low on resource: memory|"
        r"low memory|memory limit|Insufficient memory|\bexit(?:ed)? (?:with )?code 137\b|"
        r"Allowed memory size of .{0,40} exhausted|memory exhausted",
    ),
    # ---- dependency before not_found / syntax: a module, package, library or required unit is missing
    (
        "dependency",
        r"ModuleNotFoundError|No module named|ImportError|cannot import name|Cannot find module|"
        r"Cannot find package|ERR_MODULE_NOT_FOUND|ERR_REQUIRE_ESM|ClassNotFoundException|"
        r"NoClassDefFoundError|UnsupportedClassVersionError|UnsatisfiedLinkError|"
        r"error while loading shared libraries|cannot open shared object file|dlopen\(\)|"
        r"DistributionNotFound|could not find a version that satisfies|no matching distribution|"
        r"dependency conflicts|"
        r"which is incompatible|ERESOLVE|ETARGET|No matching version found|"
        r"unable to resolve dependency|could not resolve dependencies|missing dependencies|"
        r"Dependency failed|result 'dependency'|compiled against a different|NODE_MODULE_VERSION|"
        r"is not supported by this version|requires Python|extension control file|"
        r"npm (?:ERR!|error) (?:code E404|404)|\bcode E404\b|unmet dependenc|dependency|NoSuchMethodError|"
        r"NoSuchFieldError|"
        r"AbstractMethodError|IncompatibleClassChangeError|no required module provides|"
        r"missing go\.sum entry|go: module .{0,80} not found|Class \"[^\"]+\" not found|"
        r"undefined symbol|version `[^']+' not found",
    ),
    # ---- permission (before not_found: "FileNotFoundException ... (Permission denied)")
    (
        "permission",
        r"\bEACCES\b|\bEPERM\b|permission denied|PermissionError|AccessDenied|access denied|"
        r"access is denied|not permitted|\bforbidden\b|\bForbidden\b|\b403\b|\b401\b|\bcode E40[13]\b|"
        r"unauthori[sz]ed|"
        r"authentication (?:failed|failure|required)|auth(?:entication)? failed|bad auth|"
        r"password authentication failed|Failed password|Invalid user|NOAUTH|WRONGPASS|NOPERM|"
        r"no pg_hba\.conf entry|must be superuser|NOT in sudoers|FAILED SU|"
        r"maximum authentication attempts|not in the sudoers|insufficient_scope|"
        r"cannot list resource|has invalid permissions|are too open|ExpiredSignature|"
        r"requested access to the resource is denied|pull access denied|must be logged in|"
        r"PERMISSION_DENIED|does not have permission|was not found in \"\S*htpasswd|"
        r"ACCESS_REFUSED|login (?:was )?refused|requires authentication|not allowed because|"
        r"credentials (?:were )?not found|invalid credentials|bad credentials|invalid token",
    ),
    # ---- timeouts (before connection: "connect ETIMEDOUT", "Connection timed out")
    (
        "timeout",
        r"ETIMEDOUT|timed out|time[d ]?out\b|Timeout|deadline exceeded|DEADLINE_EXCEEDED|"
        r"Maximum execution time|execution time .{0,30} exceeded|"
        r"SoftTimeLimitExceeded|TimeLimitExceeded|\b504\b|Gateway Timeout|took too long|"
        r"not responding",
    ),
    # ---- unambiguous connection failures that also mention a missing thing or a parse problem
    (
        "connection",
        r"refused|getaddrinfo|\bENOTFOUND\b|could not be resolved|Host not found|no such host|"
        r"while connecting to upstream|connection to server .{0,80} failed|handshake",
    ),
    # ---- syntax: could not parse input, code or configuration
    (
        "syntax",
        r"SyntaxError|syntax error|invalid syntax|parse error|ParseException|JsonParseException|"
        r"JSONDecodeError|TOMLDecodeError|ScannerError|ScannerException|IndentationError|"
        r"Unexpected token|Unexpected end of JSON|unexpected character|unexpected \"|"
        r"unexpected EOF|unexpected end of input|unknown directive|Bad configuration option|"
        r"unknown instruction|Unknown key name|Failed to parse|error parsing|yaml: line|"
        r"did not find expected|mapping values are not allowed|invalid input syntax|"
        r"configuration file .* test failed|CONFIG FILE ERROR|Protocol error|unknown command|"
        r"unknown field|invalid reference format|MissingSectionHeaderError|must be a list|"
        r"Cannot use import statement|malformed|invalid JSON|expecting value|cannot unmarshal|"
        r"invalid character .{0,20} looking for|error in your SQL syntax|Parse error|unterminated",
    ),
    # ---- not found: a named thing does not exist
    (
        "not_found",
        r"ENOENT|No such file|no such (?:table|container|image|key)|"
        r"FileNotFound|does not exist|doesn't exist|not found|could not be found|Cannot GET|"
        r"\b404\b|TemplateDoesNotExist|not accessible|cannot access|"
        r"executable file not found|manifest unknown|No static resource|UndefinedTable|"
        r"not[_ ]found|no such \w+|No qualifying bean|"
        # class names (NoSuchKey, NoSuchBucket, NotFound), in their case: lower-case, these letters are
        # inside names (a package `nosuchthing`, DNS's ENOTFOUND, a connection error below)
        r"(?-i:NotFound|NoSuch[A-Z]\w*)",
    ),
    # ---- connection: the peer could not be reached or dropped us
    (
        "connection",
        r"ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|\bEPIPE\b|\bENOTFOUND\b|EAI_AGAIN|"
        r"connection refused|connection reset|reset by peer|Connection closed|connection lost|"
        r"Connection is closed|closed the connection|closed connection|prematurely closed|"
        r"no route to host|network is unreachable|host unreachable|broken pipe|socket hang up|"
        r"could not connect|couldn't connect|can't connect|cannot connect|unable to connect|"
        r"failed to connect|failed to establish|connect\(\) failed|ConnectException|"
        r"ConnectionError|ConnectionRefused|Communications link failure|no live upstreams|"
        r"could not be resolved|could not resolve|failed to resolve|name resolution|"
        r"Name or service not known|UnknownHostException|Host not found|server misbehaving|"
        r"too many clients|connection slots|terminating connection|UNAVAILABLE|"
        r"SSL_do_handshake|handshake|SSLEOFError|EOF occurred|\b502\b|Bad Gateway|"
        r"kex_exchange_identification|send disconnect|Connection to .* failed|"
        r"lost connection|connection unexpectedly closed|Too many connections|no such host|"
        r"connection problem",
    ),
]

_COMPILED = [(t, re.compile(p, re.IGNORECASE if t not in ("memory",) else 0)) for t, p in _SIGNALS]
# memory: "OOM" and "Metaspace" are case-sensitive words; the rest are matched case-insensitively
_MEMORY_CI = re.compile(
    r"out of memory|oom[-_ ]?kill|cannot allocate memory|unable to allocate|"
    r"heap out of memory|heap limit|insufficient memory|allocation failed|"
    r"page allocation failure|low on resource: memory|low memory",
    re.IGNORECASE,
)

MAX_CHARS = 8192


def classify(message: str) -> str:
    """The seed's error type of one message (one of :data:`TYPES`)."""
    if not message:
        return "general"
    text = str(message)[:MAX_CHARS]
    for t, rx in _COMPILED:
        if rx.search(text) or (t == "memory" and _MEMORY_CI.search(text)):
            return t
    return "general"


def normalise_type(name: str | None) -> str:
    """Accept ``connection`` or the seed's ``connection_error``; anything unknown is ``general``."""
    if not name:
        return "general"
    n = name.strip().lower()
    if n.endswith("_error"):
        n = n[: -len("_error")]
    return n if n in TYPES else "general"


def load_labelled(path) -> list[tuple[str, str, str]]:
    """(type, source, message) rows of a labelled TSV (``#`` comments; ``\\n`` is a line break)."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            t, src, msg = line.split("\t", 2)
            rows.append((t, src, msg.replace("\\n", "\n").replace("\\t", "\t")))
    return rows


def accuracy(rows: list[tuple[str, str, str]]) -> dict:
    """Accuracy, per-type precision/recall and the misclassified rows."""
    wrong = []
    per: dict[str, dict[str, int]] = {t: {"tp": 0, "fp": 0, "fn": 0} for t in TYPES}
    for t, src, msg in rows:
        p = classify(msg)
        if p == t:
            per[t]["tp"] += 1
        else:
            per[t]["fn"] += 1
            per[p]["fp"] += 1
            wrong.append((t, p, src, msg))
    n = len(rows)
    return {
        "n": n,
        "correct": n - len(wrong),
        "accuracy": (n - len(wrong)) / n if n else 0.0,
        "per_type": {
            t: {
                "precision": v["tp"] / (v["tp"] + v["fp"]) if v["tp"] + v["fp"] else 0.0,
                "recall": v["tp"] / (v["tp"] + v["fn"]) if v["tp"] + v["fn"] else 0.0,
                "n": v["tp"] + v["fn"],
            }
            for t, v in per.items()
        },
        "wrong": wrong,
    }
