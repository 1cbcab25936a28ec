"""Command lines in log messages: a label, a program, and what it was run with.

apt's history.log writes the command of every run (``Commandline: apt-get install -y tzdata``),
update-alternatives what it was run with (``update-alternatives: run with --install ...``). The words
and options after the program differ from run to run and so does their number: no position of the line
holds the varying word that :func:`analytics.patterns.templates.merge_templates` looks for, and every run
was a pattern of its own. These helpers read a masked template as ``<head ending in a label:> <word>
<rest>`` and name the templates whose label and first word head a rest of varying length as one pattern
(``Commandline: apt-get <*>``); ``merge_templates`` applies them.

What the data must show, and what keeps distinct events apart:

* the same label and the same first word after it: values that start with different words are different
  events (``PCI: Using configuration type <*>``, ``PCI: Invalid ACPI-PCI IRQ routing table``);
* a first word in lower case, as a program is written: a capitalised one starts a sentence or names an
  event (``ciod: Error loading <*>: ...``, ``ciod: Error creating node map ...``), as
  ``merge_templates`` keeps capitalised words constant;
* rests of ``min_values`` different lengths: the evidence ``merge_templates`` asks of a varying word,
  asked of a varying length. Variants of one sentence come in few lengths; a command's arguments in
  as many as it was run with. Or, already in the batch, the template whose rest is one variable (a
  pattern merged before: ``Commandline: apt-get <*>``), the data saying the rest varies.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Iterable

from analytics.patterns.fingerprint import VAR

#: a word as a program is named: a letter first, a letter or digit last (``apt-get``, ``run``)
_WORD = re.compile(r"[^\W\d_](?:[\w.+\-]*[^\W_])?")


def argument_key(template: str) -> str | None:
    """``<head> <word> <*>`` when ``template`` is a head ending in a label (its first token ending in
    ``:``, the head holding a constant word) followed by a lower-case word (``Commandline: apt-get
    install -y tzdata`` -> ``Commandline: apt-get <*>``); None otherwise. Only a candidate: whether the
    rest is a variable is for :func:`argument_keys` to decide from the batch."""
    if ": " not in template:
        return None
    tk = template.split(" ")
    # the label: the first token ending in ``:`` that is more than the ``:`` alone
    label = next((i for i, w in enumerate(tk) if len(w) > 1 and w.endswith(":")), len(tk))
    if label + 1 >= len(tk):
        return None
    word = tk[label + 1]
    if not word.islower() or not _WORD.fullmatch(word):
        return None
    if not any(c.isalpha() for w in tk[: label + 1] for c in w.replace(VAR, "")):
        return None
    return " ".join(tk[: label + 2]) + " " + VAR


def argument_keys(templates: Iterable[str], min_values: int) -> dict[str, str]:
    """Template -> its :func:`argument_key`, for the templates whose key the batch shows heads a rest
    of varying length: ``min_values`` distinct lengths among the templates of that key, or the key
    itself among them. Templates of any other key are left out."""
    by_key: dict[str, list[str]] = collections.defaultdict(list)
    for t in templates:
        key = argument_key(t)
        if key is not None:
            by_key[key].append(t)
    out: dict[str, str] = {}
    for key, ts in by_key.items():
        lengths = {t.count(" ") for t in ts}
        # no constant of its own: ``min_values`` is the count of distinct values the position rule asks
        # (a count of kinds, not of lines, so the same whatever the batch's size), and ``>= 2`` only says
        # the key's own template has another template to join
        if len(lengths) >= min_values or (key in ts and len(ts) >= 2):
            out.update(dict.fromkeys(ts, key))
    return out
