"""Is this dotted name a host? Decided by the Public Suffix List (the ``publicsuffixlist`` package, kept
current by its maintainers) and by this machine's own DNS search domains -- never by a list kept here.

Used by redaction (host names leave the machine only when asked) and by templating (a host name is a
variable, like an address).
"""

from __future__ import annotations

import re
from functools import lru_cache

_RESOLV_CONF = "/etc/resolv.conf"


@lru_cache(maxsize=1)
def _public_suffixes():
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(accept_unknown=False)


@lru_cache(maxsize=1)
def _local_domains() -> frozenset[str]:
    """This machine's DNS search domains and its own domain: private names under them are host names."""
    import socket

    out: set[str] = set()
    try:
        with open(_RESOLV_CONF, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                parts = line.split()
                if parts and parts[0] in ("search", "domain"):
                    out.update(p.strip(".").lower() for p in parts[1:] if "." in p or p.isalpha())
    except OSError:
        pass
    fqdn = socket.gethostname()  # no DNS lookup: a configured FQDN only
    if "." in fqdn:
        out.add(fqdn.split(".", 1)[1].lower())
    return frozenset(d for d in out if d)


def is_host_name(name: str, before: str = "", after: str = "") -> bool:
    """Whether a dotted name is a host: under a public suffix or one of this machine's search domains.
    A two-label name under a two-letter suffix (``app.py``, ``run.sh``) is a file name unless written
    where a host goes (after ``@`` or ``//``, before ``:port``)."""
    low = name.lower().rstrip(".")
    if any(low == d or low.endswith("." + d) for d in _local_domains()):
        return True
    suffix = _public_suffixes().publicsuffix(low)
    if suffix is None or suffix == low:
        return False
    labels = low.split(".")
    if len(labels) == 2 and len(suffix) == 2:
        return before.endswith(("@", "//")) or bool(re.match(r":\d", after))
    return True


__all__ = ["is_host_name"]
