"""The text of XML elements named as secrets: ``<password>...</password>``, ``<wsse:Password>...</wsse:Password>``,
``<entry key="db.password">...</entry>``, ``<add key="ApiKey" value="...">`` -- read before the ``key=value`` rules
of :mod:`.redact_keys`, whose judgement of a value (a placeholder, a mask, a property's word) it shares."""

from __future__ import annotations

import re
from collections import Counter

from analytics.rca.redact_keys import SECRET_KEY, kept_pair, ph, secret_kind

# --- XML: <password>x</password>, <wsse:Password>x</wsse:Password>, <entry key="db.password">x</entry> -------
_XML_TAG = re.compile(r"<(?P<tag>[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)(?P<attrs>\s[^<>]*?)?(?P<empty>/?)>")
_XML_ATTR = re.compile(r"(?<![\w.\-:])(?P<name>[A-Za-z_][\w.\-:]*)\s*=\s*(?P<q>[\"'])(?P<val>[^\"'<>]*)(?P=q)")


def _xml_secret(tag: str, attrs: dict[str, re.Match[str]]) -> tuple[str, re.Match[str] | None] | None:
    """The secret's name an element carries and the attribute holding its value, if any: its own name
    without a namespace (``wsse:Password``), or its ``key``/``name`` attribute's value (``<entry
    key="db.password">``, ``<add key="ApiKey" value="...">``, ``<input name="password" value="...">``)."""
    local = tag.rsplit(":", 1)[-1]
    if SECRET_KEY.fullmatch(local):
        return local, None
    for name in ("key", "name"):
        a = attrs.get(name)
        if a is not None and SECRET_KEY.fullmatch(a.group("val")):
            return a.group("val"), attrs.get("value")
    return None


#: where a text was cut short: an ellipsis (and the mark of a cut) ends it
_CUT = re.compile(r"([^\s<]+?)(?:\.\.\.|\u2026)(?:\s*\[cut\])?\s*")


def _element_text(s: str, start: int, tag: str) -> tuple[int, int] | None:
    """The span of element ``tag``'s text from ``start`` (after its opening tag) up to its closing tag,
    blanks around it left out (a CDATA section is text too); or, with no tag after it, the one word that
    ends a text cut short there (``<password>Sunsh...``). Text followed by another tag is not the
    element's (``<input name="password"> remember me</label>``); nor is text that no closing tag or cut
    ends (``socks5h://<user>:<password>@proxy``: a placeholder's name)."""
    closing = "(?i:</" + re.escape(tag) + r"\s*>)"
    cdata = re.match(r"\s*<!\[CDATA\[(.*?)\]\]>\s*(?=" + closing + ")", s[start:], re.DOTALL)
    if cdata:
        return start + cdata.start(1), start + cdata.end(1)
    end = s.find("<", start)
    if end < 0:
        cut = _CUT.fullmatch(s, start)
        return (start, cut.end(1)) if cut else None
    text = s[start:end]
    core = text.strip()
    if not core or not re.match(closing, s[end:]):
        return None
    a = start + text.index(core)
    return a, a + len(core)


def xml_values(s: str, counts: Counter[str]) -> str:
    """Replace the text of XML elements named as secrets, up to their closing tag (``</``): a password in
    an element runs to its end, blanks and all; or, where the element is a key's entry holding a ``value``
    attribute, that value. Text that no closing tag follows is a value only where the text was cut short
    there (``<password>Sunsh...``): ``usage: login <password> [file]`` names an argument."""
    if "<" not in s:
        return s
    spans: list[tuple[int, int, str]] = []
    for m in _XML_TAG.finditer(s):
        attrs = {a.group("name").lower(): a for a in _XML_ATTR.finditer(m.group("attrs") or "")}
        found = _xml_secret(m.group("tag"), attrs)
        if found is None:
            continue
        key, value = found
        if value is not None:
            span: tuple[int, int] | None = (m.start("attrs") + value.start("val"), m.start("attrs") + value.end("val"))
        else:
            span = None if m.group("empty") else _element_text(s, m.end(), m.group("tag"))
        if span is not None and not kept_pair(key, ">", s[span[0] : span[1]]):
            spans.append((*span, secret_kind(key)))
    for a, b, kind in sorted(spans, reverse=True):
        counts[kind] += 1
        s = s[:a] + ph(kind) + s[b:]
    return s


__all__ = ["xml_values"]
