"""Lists in log messages: a label followed by items (``Install: a (1.0), b (2.1, automatic), ...``).

apt, dpkg, package managers and many daemons write one line per run listing what it touched: the same
event, however many items the line holds. These helpers read a masked template as ``Label: item, item,
...`` (``", "`` outside brackets separating items) and give the key under which such templates are one
pattern (``Install: <*>``); :func:`analytics.patterns.templates.merge_templates` applies them.
"""

from __future__ import annotations

import collections
import re

from analytics.patterns.fingerprint import VAR

_OPENERS, _CLOSERS = "([{", ")]}"
_FIELD = re.compile(r"\w=")  # ``key=value`` (not ``>= 2.34``)
_WORDS = re.compile(r"[^\s()\[\]{},;]+")
_LIST_MARKS = re.compile(r"[()\[\]{}]|, ")


def list_key(template: str, repeated: bool = True) -> str | None:
    """``Label: <*>`` when ``template`` is a label (a word ending in ``:``) followed by a list: items
    separated by ``", "`` outside brackets, at least two of which read the same once their values are
    masked (``<*> (<*>, automatic), <*> (<*>, automatic)``) or have the same bracketed shape (``ucf:<*>
    (<*>, automatic)``). The repetition is what shows a list of values rather than a sentence with
    commas; ``key=value`` items are fields named by their keys, not a list. Text after the list stays in
    the key (``Node card status: ALERT <*>, ALERT <*>, ALERT <*> is (are) active.`` -> ``Node card
    status: <*> is (are) active.``). ``None`` for any other template. With ``repeated=False``,
    ``Label: <*>`` for any list of two or more items after a label."""
    return list_keys(template)[0 if repeated else 1]


def list_keys(template: str) -> tuple[str | None, str | None]:
    """(:func:`list_key` of ``template``, its key with ``repeated=False``), from one reading."""
    if ", " not in template:
        return None, None
    segs = _list_segments(template)
    items = segs[1:]
    if not items or any(_FIELD.search(x) for x in segs):
        return None, None
    split = _label_split(segs[0])
    if split is None:
        return None, None
    first = split[1]
    key = split[0] + " " + VAR
    item, n = collections.Counter([first, *items]).most_common(1)[0]
    if n >= 2 and VAR in item:
        last = items[-1]
        if last != item and last.startswith(item + " "):  # the list ends and the sentence goes on
            return key + last[len(item) :], key
        return key, key
    # or items of one bracketed shape, whatever their words (``ucf:<*> (<*>, automatic)``, ``<*> (<*>,
    # automatic)``): a sentence's clauses have no brackets
    shape, n = collections.Counter(_item_shape(x) for x in [first, *items]).most_common(1)[0]
    return (key if n >= 2 and any(c in shape for c in _OPENERS) else None), key


def _list_segments(template: str) -> list[str]:
    """``template`` cut at the ``", "`` that stand outside brackets."""
    segs: list[str] = []
    depth = start = 0
    for m in _LIST_MARKS.finditer(template):
        ch = m.group()
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth = max(0, depth - 1)
        elif not depth:
            segs.append(template[start : m.start()])
            start = m.end()
    segs.append(template[start:])
    return segs


def _label_split(head: str) -> tuple[str, str] | None:
    """(``... Label:``, the text after it) for the last word of ``head`` ending in ``:``, or None."""
    words = head.split(" ")
    label = max((j for j, w in enumerate(words) if w.endswith(":") and any(c.isalpha() for c in w)), default=-1)
    if label < 0:
        return None
    rest = " ".join(words[label + 1 :])
    return (" ".join(words[: label + 1]), rest) if rest else None


def list_shapes(template: str) -> set[str]:
    """The bracketed shapes of a list template's items."""
    segs = _list_segments(template)
    split = _label_split(segs[0])
    items = [split[1], *segs[1:]] if split else segs[1:]
    return {sh for sh in map(_item_shape, items) if any(c in sh for c in _OPENERS)}


def one_item(template: str) -> tuple[str, str] | None:
    """(``Label: <*>``, the item's shape) when ``template`` is a label followed by one bracketed item
    (``Install: nodejs:<*> (<*>)`` -> ``("Install: <*>", "w (w)")``), else None."""
    segs = _list_segments(template)
    split = _label_split(segs[0]) if len(segs) == 1 else None
    if split is None or _FIELD.search(template):
        return None
    shape = _item_shape(split[1])
    return (f"{split[0]} {VAR}", shape) if any(c in shape for c in _OPENERS) else None


def _item_shape(item: str) -> str:
    """An item with every word and variable as ``w``: ``ucf:<*> (<*>, automatic)`` -> ``w (w, w)``."""
    return _WORDS.sub("w", item.replace(VAR, "w"))
