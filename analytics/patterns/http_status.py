"""HTTP status codes in access-log lines are words, not numbers, for templating.

Masking makes every number a variable, so ``"GET /x HTTP/1.1" 404 153`` and ``"GET /x HTTP/1.1" 502 166``
had one template: a flood of not-founds and a failing upstream were one pattern. The status code after
a quoted request (common/combined log format: nginx, Apache, most proxies) is replaced, before masking,
by its name (``Not-Found``, ``Bad-Gateway``; a code without one by its class, ``Server-Error``), which
has no digit and stays a constant of the template. Used by masking rules version 3
(:mod:`analytics.patterns.fingerprint`): the code is carried in the dictionary key of its line, and only the
distinct keys (few) are rebuilt with its name — one extra pass over the lines, only when one holds
"HTTP/".
"""

from __future__ import annotations

import polars as pl

NAMES: dict[str, str] = {
    "400": "Bad-Request",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "Not-Found",
    "405": "Method-Not-Allowed",
    "406": "Not-Acceptable",
    "408": "Request-Timeout",
    "409": "Conflict",
    "410": "Gone",
    "411": "Length-Required",
    "412": "Precondition-Failed",
    "413": "Payload-Too-Large",
    "414": "URI-Too-Long",
    "415": "Unsupported-Media-Type",
    "416": "Range-Not-Satisfiable",
    "421": "Misdirected-Request",
    "422": "Unprocessable-Content",
    "423": "Locked",
    "424": "Failed-Dependency",
    "425": "Too-Early",
    "426": "Upgrade-Required",
    "428": "Precondition-Required",
    "429": "Too-Many-Requests",
    "431": "Request-Header-Fields-Too-Large",
    "444": "No-Response",
    "451": "Unavailable-For-Legal-Reasons",
    "494": "Request-Header-Too-Large",
    "495": "SSL-Certificate-Error",
    "496": "SSL-Certificate-Required",
    "497": "HTTP-To-HTTPS",
    "499": "Client-Closed-Request",
    "500": "Internal-Server-Error",
    "501": "Not-Implemented",
    "502": "Bad-Gateway",
    "503": "Service-Unavailable",
    "504": "Gateway-Timeout",
    "505": "HTTP-Version-Not-Supported",
    "507": "Insufficient-Storage",
    "508": "Loop-Detected",
    "511": "Network-Authentication-Required",
}
CLASSES: dict[str, str] = {
    "1": "Informational",
    "2": "Success",
    "3": "Redirect",
    "4": "Client-Error",
    "5": "Server-Error",
}

# the code after a quoted request (followed by neither a digit nor a letter)
_CODE = r'HTTP/[0-9.]+" ([1-5][0-9][0-9])(?:[^0-9A-Za-z]|$)'
# in a dictionary key (every digit run is "0"): the code's place, and the code carried after a NUL
_PLACE = r'(HTTP/[0-9.]+" )0([^0-9a-zA-Z]|$)'
_CARRIED = r"\x00([1-5][0-9][0-9])$"


def status_codes(lines: pl.Series) -> pl.Series | None:
    """Each line's status code after a quoted request (null where none), or None when no line has one."""
    if lines.len() == 0 or not lines.str.contains("HTTP/", literal=True).any():
        return None
    codes = lines.str.extract(_CODE, 1)
    return None if codes.null_count() == codes.len() else codes


def carry_status(keys: pl.Series, codes: pl.Series) -> pl.Series:
    """Keys (digits already made "0") with the line's code carried after a NUL: lines that differ in
    their code get different keys."""
    frame = pl.DataFrame({"k": keys, "c": codes})
    return frame.select(
        pl.when(pl.col("c").is_not_null()).then(pl.col("k") + "\x00" + pl.col("c")).otherwise(pl.col("k"))
    )["k"].rename(keys.name)


def name_status_codes(keys: pl.Series) -> pl.Series:
    """Distinct keys (few rows) with a carried code: the code's name put in its place, the carried code
    removed. Other keys unchanged."""
    code = keys.str.extract(_CARRIED, 1)
    rows = code.is_not_null().arg_true()
    if rows.len() == 0:
        return keys
    code = code.gather(rows)
    name = code.replace_strict(NAMES, default=None, return_dtype=pl.String).fill_null(
        code.str.slice(0, 1).replace_strict(CLASSES, default=None, return_dtype=pl.String)
    )
    bare = keys.gather(rows).str.replace(_CARRIED, "")
    named = pl.DataFrame({"key": bare, "name": name}).select(
        pl.col("key").str.replace(_PLACE, pl.lit("${1}") + pl.col("name") + pl.lit("${2}"))
    )
    return keys.clone().scatter(rows, named["key"])
