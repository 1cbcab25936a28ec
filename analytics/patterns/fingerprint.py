"""Versioned masking rules and the fingerprint of a template.

Owns *what* a variable looks like (the masking rules, one list per rules version), the SHA-256
fingerprint of a template (seed 000: "Learns error signatures using SHA-256 fingerprinting"), and the
old-to-new fingerprint map used when the rules change, so learned fixes stay attached to their patterns.

Version 1 is the seed's own normalisation (``lokifi.ps1 Get-ErrorFingerprint``: numbers, Windows paths,
URLs, dates, times). Version 2 is the current rule set: every rule is a (pattern, replacement) pair in
the common subset of Python ``re`` and Rust ``regex`` (no look-around), applied in order, vectorised by
Polars in :mod:`analytics.patterns.templates`.

Changing a rule means adding a new version here (never editing an old one) and bumping
:data:`CURRENT_VERSION`; :func:`remap` then computes old->new fingerprints from the stored sample
messages of each pattern. A change to what a raw log line's header is
(:mod:`analytics.patterns.logline`) changes the templates of raw lines: it takes a new version too.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

VAR = "<*>"

#: characters of a "token" for the digit rule: everything but whitespace, separators and '.'
_TOKCH = r"[^\s=,;:()\[\]{}\"'|<>.]"
#: path characters, and the characters a path may end with
_PCH = r"[^\s\"'<>()\[\]{}|,;]"
_PEND = r"[^\s\"'<>()\[\]{}|,;.:!?]"
#: a left boundary captured as group 1 (Rust regex has no look-behind)
_B = r"(^|[\s\"'(\[{<=,;|])"
#: retired with rules version 4 (kept so versions 2-3 stay what they were)
_TLD = (
    r"(?:com|net|org|edu|gov|mil|int|io|co|us|uk|de|fr|jp|cn|ru|br|in|it|nl|pl|au|ca|es|se|ch|kr|tw|"
    r"info|biz|dev|app|cloud|local|lan|internal|localdomain|localhost)"
)
_MON = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*"


@dataclass(frozen=True)
class RuleSet:
    """One version of the masking rules."""

    version: int
    #: (regex, replacement) applied in order; replacements may use ``${1}``.
    rules: tuple[tuple[str, str], ...]
    #: post-processing: collapse adjacent variables into one (a variable that spans several tokens)
    collapse: bool
    #: merge templates that differ at one position holding >= this many distinct lower-case values
    merge_min_values: int
    #: messages are cut to this many characters before templating (megabyte lines stay cheap)
    max_chars: int
    #: an access-log line's HTTP status code is named, not masked (:mod:`analytics.patterns.http_status`)
    http_status: bool = False
    #: constant words around a position that make ``merge_min_values`` enough evidence; with fewer, each
    #: missing word multiplies the values needed by ``merge_growth``
    #: (:func:`analytics.patterns.templates.merge_templates`)
    merge_context: int = 3
    merge_growth: float = 2.0


# Version 1: the seed's normalisation, kept so fingerprints learned under it can be mapped forward.
SEED_V1 = RuleSet(
    version=1,
    rules=(
        (r"\d+", "N"),
        (r"[a-zA-Z]:\\[^\s\\]+", "PATH"),
        (r"https?://[^\s]+", "URL"),
        (r"N-N-N", "DATE"),
        (r"N:N:N", "TIME"),
    ),
    collapse=False,
    merge_min_values=0,
    max_chars=1_000_000,
)

CURRENT_RULES = (
    # terminal escape sequences and other control characters never reach a template
    (r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]", ""),
    (r"[\x00-\x08\x0b-\x1f\x7f]", " "),
    # every run of digits is one digit: the rules below never depend on a number's value or length,
    # and messages that differ only in numbers are templated once (see analytics.patterns.templates)
    (r"[0-9]+", "0"),
    # URLs and paths first (they contain digits, dates and hosts)
    (r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>\]\)]+", "<URL>"),
    (_B + r"(?:[A-Za-z]:\\[^\s\"']*|\\\\[^\s\"']+|(?:\.{1,2}|~)?/+(?:" + _PCH + r"*" + _PEND + r")?)", "${1}<PATH>"),
    (r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", "<EMAIL>"),
    (r"\b[0-9a-fA-F]+-[0-9a-fA-F]+-[0-9a-fA-F]+-[0-9a-fA-F]+-[0-9a-fA-F]+\b", "<UUID>"),
    # addresses
    (r"\b\d+\.\d+\.\d+\.\d+(?:/\d+)?(?::\d+)?\b", "<IP>"),
    (r"\[[0-9a-fA-F:]*:[0-9a-fA-F:]+\](?::\d+)?", "<IP>"),
    (r"\b(?:[0-9a-fA-F]{1,4}:){3,7}[0-9a-fA-F]{1,4}\b", "<IP>"),
    # dates and times
    (r"\d+-\d+-\d+[T ]\d+:\d+:\d+(?:[.,]\d+)?(?:Z|[+-]\d+(?::\d+)?)?", "<TS>"),
    (r"\b" + _DAY + r",?\s+" + _MON + r"\s+\d+(?:\s+\d+:\d+(?::\d+)?)?(?:\s+\d+)?", "<DATE>"),
    (r"\b\d+[-/]\d+[-/]\d+\b", "<DATE>"),
    (r"\b\d+:\d+(?::\d+)?(?:[.,]\d+)?\b", "<TIME>"),
    # host names with a real top-level domain (and an optional port)
    (r"\b(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+" + _TLD + r"\b(?::\d+)?", "<HOST>"),
    # Java class names (org.x.y.ClassName$Inner)
    (r"\b(?:[a-z][a-z0-9_]*\.){2,}[A-Z][a-z]\w*(?:\$\w+)*", "<CLASS>"),
    (r"\b0[xX][0-9a-fA-F]+\b", "<HEX>"),
    # numbers with units: sizes and durations
    (
        r"\b\d+(?:\.\d+)?\s?(?:[KMGTP]i?B|B|bytes?|[kKMG]|ns|us|µs|ms|s|sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?|days?)\b",
        "<NUM>",
    ),
    # quoted values that carry data (digits or path-like), e.g. 'attempt_1445_0020' or "/tmp/x y"
    (r"'[^'\s]*[\d/\\][^']*'", "'<QUOTED>'"),
    (r"\"[^\"\s]*[\d/\\][^\"]*\"", '"<QUOTED>"'),
    # any remaining token holding a digit (ids, counters, signed numbers, hex runs, key=value values)
    ("(?:" + _TOKCH + r"|\." + _TOKCH + r")*\d(?:" + _TOKCH + r"|\." + _TOKCH + r")*", VAR),
    # every typed placeholder is a variable; a token that contains a placeholder is one variable
    (r"<(?:URL|PATH|EMAIL|UUID|IP|TS|DATE|TIME|HOST|CLASS|HEX|NUM|QUOTED)>", VAR),
    ("(?:" + _TOKCH + r"|\." + _TOKCH + r"|\.?<\*>)*<\*>(?:" + _TOKCH + r"|\." + _TOKCH + r"|\.?<\*>)*", VAR),
    # an empty value after a space ("from 1.2.3.4 () at") is a variable with nothing in it
    (r"(^|\s)\(\)", "${1}(" + VAR + ")"),
    (r"(^|\s)\[\]", "${1}[" + VAR + "]"),
    (r"(^|\s)\{\}", "${1}{" + VAR + "}"),
    (r"(^|\s)''", "${1}'" + VAR + "'"),
    (r"(^|\s)\"\"", '${1}"' + VAR + '"'),
)

V2 = RuleSet(version=2, rules=CURRENT_RULES, collapse=True, merge_min_values=3, max_chars=4096)
# Version 3: as 2, and HTTP status codes of access-log lines are constants (404 and 502 are two patterns)
V3 = RuleSet(version=3, rules=CURRENT_RULES, collapse=True, merge_min_values=3, max_chars=4096, http_status=True)

# Version 4: no list of top-level domains. Versions 2-3 masked host names only under a fixed list of
# domains, so `host.cse.cuhk.edu.hk:5070` stayed constant; now any dotted name followed by a port is an
# address, and a host name without a port is a variable when the data shows it varying (the merge in
# analytics.patterns.templates), like any other word.
_HOST_PORT = (r"\b(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9\-]*:\d+\b", "<HOST>")
RULES_V4 = tuple(_HOST_PORT if rep == "<HOST>" else (pat, rep) for pat, rep in CURRENT_RULES)
V4 = RuleSet(
    version=4,
    rules=RULES_V4,
    collapse=True,
    merge_min_values=4,
    max_chars=4096,
    http_status=True,
    merge_context=3,
    merge_growth=3.0,
)

# Version 5: the rules of 4; a raw line's header also takes postgres's user@database before the level
# (``... [23604] app@shop ERROR:  relation ...``), so raw lines of that form have new templates.
V5 = dataclasses.replace(V4, version=5)

# Version 6: the rules of 5; a raw line's header also takes a level word after a leading number (npm's
# debug log numbers its lines: ``22 error code E404``), so raw lines of that form have new templates.
V6 = dataclasses.replace(V5, version=6)

# Version 7: the rules of 6; a raw line whose message leaves fewer than two constant words keeps its
# header's level in front of its template (npm's ``158 notice yallist`` -> ``notice yallist``), so the
# batch can show the word beside it varying (analytics.patterns.templates).
CURRENT = dataclasses.replace(V6, version=7)

RULESETS: dict[int, RuleSet] = {1: SEED_V1, 2: V2, 3: V3, 4: V4, 5: V5, 6: V6, 7: CURRENT}
CURRENT_VERSION = CURRENT.version


def fingerprint(template: str) -> str:
    """SHA-256 (hex) of a template: the pattern's stable identity across restarts and machines."""
    return hashlib.sha256(template.encode("utf-8", errors="surrogatepass")).hexdigest()


def short_id(fp: str) -> str:
    """The first 12 hex digits, what people type and see."""
    return fp[:12]


def remap(samples: Iterable[tuple[str, str]], template_of: Callable[[str], str]) -> dict[str, str]:
    """Old fingerprint -> new fingerprint, from (old_fingerprint, sample message) pairs.

    ``template_of`` is the new rule set's templating function. An old fingerprint whose samples now
    fall into several new templates maps to the one most of its samples fall into.
    """
    votes: dict[str, dict[str, int]] = {}
    for old, msg in samples:
        new = fingerprint(template_of(msg))
        votes.setdefault(old, {}).setdefault(new, 0)
        votes[old][new] += 1
    return {old: max(v.items(), key=lambda kv: (kv[1], kv[0]))[0] for old, v in votes.items()}
