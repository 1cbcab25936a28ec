"""A URL from the config as people may read it: shown with its credentials masked, and its user-info
checked for characters that change where it leads.

* :func:`masked_url` shows a URL as written with its password and the values of its credential
  parameters as ``***`` (``http://admin:***@db:9/v1?api-version=2024-06-01&api-key=***``): what it points
  at, who it logs in as and its other parameters stay readable. A parameter is a credential by the shape
  of its name (:func:`credential_param`), never by a list of one provider's names.
* :func:`redact_url` drops the user-info and the query altogether (for messages and stored rows).
* :func:`misread_userinfo`: a password holding ``/``, ``?`` or ``#`` unencoded
  (``http://ops:pa/ss@host:9090/``). A URL's host ends at the first of those, so every parser (urllib,
  httpx, curl) reads the host from inside the user name and password: ``ops`` with the port ``pa``, which
  does not parse, or with ``12`` when the password starts with digits, which reaches the wrong machine with
  the rest of the password in the path. An ``@`` alone in a password is read as meant (the user-info ends
  at the last ``@``); it only needs encoding together with those.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

_SCHEME = re.compile(r"(?i)^([a-z][a-z0-9+.\-]*://)(.*)$", re.S)
_HOST = re.compile(r"[A-Za-z0-9._~%\-]+|\[[0-9A-Fa-f:.]+\]")
ENDS_HOST = "/?#"  # each ends a URL's host part (RFC 3986 3.2)
_ENCODE = {"/": "%2F", "?": "%3F", "#": "%23", "@": "%40"}

# --- credential parameters ----------------------------------------------------------------------------
#: words a credential is named with: api-key, access_token, X-Amz-Signature, sig, code, client_secret
_CREDENTIAL_WORDS = (
    *("key", "token", "secret", "password", "passwd", "pwd", "pass", "passphrase", "sig", "signature"),
    *("auth", "authorization", "credential", "credentials", "code", "session", "sid", "cookie", "jwt", "otp"),
)
#: words that begin a credential's name written as one word (tokenid, secretkey, authkey, sessionid)
_CREDENTIAL_STARTS = ("token", "secret", "passw", "auth", "credential", "session")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def credential_param(name: str) -> bool:
    """Whether a query parameter of this name carries a credential: one of the words of its name
    (``api-key``, ``accessToken``, ``X-Amz-Security-Token``: split at ``-``, ``_``, ``.`` and case) is a
    credential word, or ends with one (``apikey``, ``authtoken``, ``passcode``), or begins like one
    (``tokenid``). ``api-version``, ``deployment``, ``X-Amz-Date`` are not."""
    for word in (w.lower() for w in _WORDS.findall(name)):
        if word in _CREDENTIAL_WORDS or word.startswith(_CREDENTIAL_STARTS):
            return True
        if any(len(w) >= 3 and word.endswith(w) for w in _CREDENTIAL_WORDS):
            return True
    return False


def _masked_params(text: str) -> str:
    """A query (or fragment) with the values of its credential parameters as ``***``. A parameter without
    a value is shown when it is a plain word (``?wsdl``); anything else there may be a token."""
    out = []
    for part in text.split("&"):
        name, eq, _ = part.partition("=")
        if eq:
            out.append(f"{name}=***" if credential_param(name) else part)
        else:
            out.append(part if re.fullmatch(r"[A-Za-z_.\-]{0,32}", part) else "***")
    return "&".join(out)


# --- user-info holding characters that end the host ------------------------------------------------------
@dataclass(frozen=True)
class Misread:
    """A URL whose password (or user name) holds characters that end a URL's host, unencoded.
    ``certain``: nothing else can be meant (the URL does not parse as written, or what follows the last
    ``@`` is a host with a port or an IP address); otherwise the URL also reads as a path holding an ``@``,
    and it is said as a possibility."""

    scheme: str
    user: str
    password: str
    after: str  # the host as meant, and everything after it
    meant: str  # host[:port] as meant
    reached: str  # the host the URL reaches as written ('' when it does not parse)
    certain: bool

    @property
    def characters(self) -> list[str]:
        return [c for c in "/?#@" if c in self.user + self.password]

    def corrected(self) -> str:
        """The URL written as meant, its password masked but for the characters to encode:
        ``http://ops:***%2F***@host:9090/``."""
        user = "".join(_ENCODE.get(c, c) for c in self.user)
        password = "".join(_ENCODE.get(c, "***") for c in re.split(r"([/?#@])", self.password) if c)
        return f"{self.scheme}{user}:{password}@{masked_url(self.scheme + self.after)[len(self.scheme) :]}"

    def message(self, consequence: str = "") -> str:
        """What is wrong, what Lokifi does about it (``consequence``: ``probe ignored``), and the URL to
        write instead."""
        chars = self.characters
        how = ", ".join(f"'{c}' as {_ENCODE[c]}" for c in chars)
        whose = "user name and password" if any(c in self.user for c in chars) else "password"
        then = f" ({consequence})" if consequence else ""
        fix = f"write {self.corrected()} ({how})"
        enders = [f"'{c}'" for c in chars if c in ENDS_HOST]
        ends = f"{' and '.join(enders)} {'ends' if len(enders) == 1 else 'end'} a URL's host part"
        ends += " and '@' its user-info" if "@" in chars else ""
        if self.certain:
            written = (
                "requests go to a host read from inside the user name and password"
                if self.reached
                else "the host is read from inside the user name and password, where it does not parse,"
            )
            return (
                f"the {whose} must be percent-encoded: {ends}, so as written {written} instead of "
                f"{self.meant}{then}; {fix}"
            )
        return (
            f"as written this URL reaches host {self.reached!r}{then}; if {self.user!r} is a user name, its "
            f"{whose.removeprefix('user name and ')} must be percent-encoded ({ends}): to reach {self.meant}, {fix}"
        )


def _first(text: str, chars: str) -> int:
    return min((i for i in (text.find(c) for c in chars) if i >= 0), default=len(text))


def _authority(scheme: str, text: str) -> tuple[str, int | None] | None:
    """(host, port) when ``text`` is a URL's host[:port] (user-info allowed), else None."""
    try:
        parts = urlsplit(scheme + text)
        port = parts.port
    except ValueError:
        return None
    hostpart = parts.netloc.rpartition("@")[2]
    if port is not None and hostpart.endswith(f":{port}"):
        hostpart = hostpart[: -len(f":{port}")]
    if not parts.hostname or not _HOST.fullmatch(hostpart) or (port is not None and not 0 < port < 65536):
        return None
    if re.fullmatch(r"[0-9.]+", parts.hostname) and not _is_ip(parts.hostname):
        return None  # digits and dots are an IPv4 address or no host (a version: vue@3.2.0)
    return parts.hostname, port


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def misread_userinfo(url: str) -> Misread | None:
    """The user-info of ``url`` as meant, when it holds ``/``, ``?`` or ``#`` unencoded (a ``user:`` before
    them, an ``@`` after them, a host after that); None when the URL reads one way only. Unless the reading
    is certain (:class:`Misread`), a ``/@name`` path segment (Vite's ``/@vite``, npm's ``/@scope``) and a
    query value holding an address (``?to=ops@example.org``) are read as what they are."""
    m = _SCHEME.match(url.strip())
    if not m:
        return None
    scheme, rest = m.groups()
    at, end = rest.rfind("@"), _first(rest, ENDS_HOST)
    colon = rest.find(":")
    if at < end or not 0 < colon < end:
        return None  # readers agree where the host is, or there is no user:password before the '/'
    after = rest[at + 1 :]
    hostport = after[: _first(after, ENDS_HOST)]
    meant = _authority(scheme, hostport) if hostport else None
    if meant is None:
        return None
    written = _authority(scheme, rest[:end])
    certain = (
        written is None  # 'ops:pa' is no host and port
        or rest[:end].endswith(":")  # 'ops:' before the password's first '/': an empty port
        or "@" in rest[:end]  # a user-info, and another '@' after the host
        or meant[1] is not None
        or _is_ip(meant[0])  # a host with a port, or an IP address, after the '@'
    )
    segment = rest[max(rest.rfind(c, 0, at) for c in "/?#&;") + 1 : at]
    if not certain and (rest[at - 1] == "/" or ("=" in segment and "?" in rest[end:at])):
        return None  # a path segment '/@name', a query value holding an address
    user, _, password = rest[:at].partition(":")
    return Misread(scheme, user, password, after, hostport, written[0] if written else "", certain)


# --- shown URLs -------------------------------------------------------------------------------------------
def redact_url(url: str) -> str:
    """The URL without user-info and without a query string (which may carry a token)."""
    misread = misread_userinfo(url)
    if misread:
        url = misread.scheme + misread.after
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "<invalid URL>"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if port:
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def masked_url(url: str) -> str:
    """The URL as written, with its password and the values of its credential parameters shown as ``***``
    (``http://admin:***@db:9/x?api-version=1&token=***``): what it points at and who it logs in as stay
    readable. A password holding ``/``, ``?`` or ``#`` (:func:`misread_userinfo`) is masked whole."""
    misread = misread_userinfo(url)
    if misread:
        shown = masked_url(misread.scheme + misread.after)
        return f"{misread.scheme}{misread.user}:***@{shown[len(misread.scheme) :]}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "<invalid URL>"
    if parts.password is None and not parts.query and "=" not in parts.fragment:
        return url
    netloc = parts.netloc
    if parts.password is not None:
        host = (parts.hostname or "") if ":" not in (parts.hostname or "") else f"[{parts.hostname}]"
        netloc = f"{parts.username}:***@{host}" + (f":{port}" if port else "")
    fragment = _masked_params(parts.fragment) if "=" in parts.fragment else parts.fragment
    return urlunsplit((parts.scheme, netloc, parts.path, _masked_params(parts.query), fragment))


def url_problem(url: str) -> str | None:
    """Why ``url`` is no http(s) URL Lokifi can send a request to, in words that show it inertly (a control
    character, a space, no host, a port that is no number, another scheme); None when it is one. httpx
    refuses such a URL only when the first request is built, with a traceback."""
    from analytics.common.unseen import visible

    text = url.strip()
    odd = next((c for c in text if c.isspace() or not c.isprintable()), None)
    if odd is not None:
        return f"'{visible(masked_url(text))}' holds '{visible(odd)}', which no URL may hold (encode it, or remove it)"
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        given = parts.netloc.rsplit("@", 1)[-1].rpartition(":")[2]
        return f"its port {given!r} is not a number from 0 to 65535"
    del port
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"{masked_url(text)!r} is not an http(s) URL"
    return None
