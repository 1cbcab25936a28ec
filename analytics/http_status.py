"""HTTP status codes in access-log lines are words, not numbers, for templating.

Masking makes every number a variable, so ``"GET /x HTTP/1.1" 404 153`` and ``"GET /x HTTP/1.1" 502 166``
had one template: a flood of not-founds and a failing upstream were one pattern. The status code after
a quoted request (common/combined log format: nginx, Apache, most proxies) is replaced, before masking,
by its name (``Not-Found``, ``Bad-Gateway``; a code without one by its class, ``Server-Error``), which
has no digit and stays a constant of the template. Used by masking rules version 3
(:mod:`analytics.fingerprint`).
"""

from __future__ import annotations

import polars as pl

NAMES: dict[str, str] = {
    "400": "Bad-Request", "401": "Unauthorized", "403": "Forbidden", "404": "Not-Found",
    "405": "Method-Not-Allowed", "406": "Not-Acceptable", "408": "Request-Timeout", "409": "Conflict",
    "410": "Gone", "411": "Length-Required", "412": "Precondition-Failed", "413": "Payload-Too-Large",
    "414": "URI-Too-Long", "415": "Unsupported-Media-Type", "416": "Range-Not-Satisfiable",
    "421": "Misdirected-Request", "422": "Unprocessable-Content", "423": "Locked", "424": "Failed-Dependency",
    "425": "Too-Early", "426": "Upgrade-Required", "428": "Precondition-Required", "429": "Too-Many-Requests",
    "431": "Request-Header-Fields-Too-Large", "444": "No-Response", "451": "Unavailable-For-Legal-Reasons",
    "494": "Request-Header-Too-Large", "495": "SSL-Certificate-Error", "496": "SSL-Certificate-Required",
    "497": "HTTP-To-HTTPS", "499": "Client-Closed-Request",
    "500": "Internal-Server-Error", "501": "Not-Implemented", "502": "Bad-Gateway", "503": "Service-Unavailable",
    "504": "Gateway-Timeout", "505": "HTTP-Version-Not-Supported", "507": "Insufficient-Storage",
    "508": "Loop-Detected", "511": "Network-Authentication-Required",
}
CLASSES: dict[str, str] = {"1": "Informational", "2": "Success", "3": "Redirect", "4": "Client-Error",
                           "5": "Server-Error"}

# the request in quotes, the code, and a non-digit (or the end) after it
_LINE = r'(?s)^(.*?HTTP/[0-9.]+" )([1-5][0-9][0-9])((?:[^0-9].*)?)$'


def name_status_codes(lines: pl.Series) -> pl.Series:
    """``lines`` with each access-log status code replaced by its name; other lines unchanged."""
    if lines.len() == 0 or not lines.str.contains("HTTP/", literal=True).any():
        return lines
    parts = lines.str.extract_groups(_LINE)
    code = parts.struct.field("2")
    name = code.replace_strict(NAMES, default=None, return_dtype=pl.String).fill_null(
        code.str.slice(0, 1).replace_strict(CLASSES, default=None, return_dtype=pl.String))
    frame = pl.DataFrame({"line": lines, "pre": parts.struct.field("1"), "name": name,
                          "post": parts.struct.field("3")})
    named = pl.concat_str([pl.col("pre"), pl.col("name"), pl.col("post")])
    out = frame.select(pl.when(pl.col("name").is_not_null()).then(named).otherwise(pl.col("line")).alias("out"))
    return out["out"].rename(lines.name)
