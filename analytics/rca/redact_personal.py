"""Personal data in a text that leaves the host: e-mail addresses (:data:`EMAIL`), and, as the ``[ai]``
settings ask, IP addresses (:func:`replace_ips`: ``[IP]``, loopback kept) and host names
(:func:`replace_hosts`: ``[HOST]``). Used by :mod:`analytics.rca.redact` after the secrets are removed."""

from __future__ import annotations

import ipaddress
import re
from collections import Counter

from analytics.common.hostnames import is_host_name

#: a systemd unit's name ends in its type (systemd.unit(5)): ``getty@tty1.service``, ``user@1000.service`` are
#: a template's instances -- shaped as an address, a host with a letter suffix after '@', and none
_UNIT_TYPE = r"\.(?:service|socket|device|mount|automount|swap|target|path|timer|slice|scope)(?![\w\-]|\.\w)"
EMAIL = re.compile(
    r"\b[A-Za-z0-9._%+\-]+@(?![A-Za-z0-9.\-]*" + _UNIT_TYPE + r")[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b"
)
#: (a dotted quad glued to what a package's version goes on with -- a Debian revision of a few digits, ``-2``,
#: ``-0ubuntu1``; ``~rc1``; ``+dfsg`` -- is a version: ``1.2.5.1-2``; a range's second address after ``-``, or a
#: long number -- an id's timestamp, ``BP-1347369012-10.1.2.3-1444972147527`` -- leaves it an address; so does a
#: full stop that ends the sentence, ``from 10.0.0.5.``, where a fifth number would make it no address)
_IPV4 = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)"
    r"(?![\d~+]|\.\d|-\d{1,4}(?!\d|(?:\.\d{1,3}){3}))"
)
#: an IPv6 address stands as a word of its own: the ``e::C`` of ``Acquire::Check`` and the ``d::`` of
#: ``Std::Vector`` parse as addresses, but they are pieces of a longer name
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_HOST = re.compile(
    r"(?i)(?<![\w.\-/@])((?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+([a-z][a-z0-9\-]{1,62}))(?![\w\-]|\.[a-z0-9])"
)
# host names are recognised by analytics.common.hostnames (the Public Suffix List and this machine's DNS search
# domains) -- never by a list kept here


def replace_ips(s: str, counts: Counter[str]) -> str:
    """``s`` with its IP addresses as ``[IP]`` (loopback and unspecified ones kept), each counted."""

    def repl(m: re.Match[str]) -> str:
        raw = m.group(0)
        try:
            addr = ipaddress.ip_address(raw)
        except ValueError:
            return raw
        if addr.is_loopback or addr.is_unspecified:
            return raw
        counts["ip"] += 1
        return "[IP]"

    s = _IPV4.sub(repl, s)
    return _IPV6.sub(lambda m: repl(m) if m.group(0).count(":") >= 2 else m.group(0), s)


def replace_hosts(s: str, counts: Counter[str]) -> str:
    """``s`` with the host names :func:`is_host_name` recognises as ``[HOST]``, each counted."""

    def repl(m: re.Match[str]) -> str:
        host = m.group(1)
        if not is_host_name(host, s[max(0, m.start() - 2) : m.start()], s[m.end() : m.end() + 2]):
            return host
        counts["host"] += 1
        return "[HOST]"

    return _HOST.sub(repl, s)


__all__ = ["EMAIL", "replace_hosts", "replace_ips"]
