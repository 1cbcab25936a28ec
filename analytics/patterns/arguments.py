"""Command lines in log messages, and a label's values: what varies from run to run is one pattern.

apt's history.log writes the command of every run (``Commandline: apt-get install -y tzdata``),
update-alternatives what it was run with (``update-alternatives: run with --install ...``), sudo the
command it ran as its last field (``alice : TTY=<*> ; USER=root ; COMMAND=/usr/bin/apt update``), cron
the job it started in brackets (``(root) CMD (cd / && run-parts --report /etc/cron.hourly)``), and a
supervisor may log the bare command line (``/usr/bin/foo --bar``). The words and options after the
program differ from run to run and so does their number: no position of the line holds the varying word
that :func:`analytics.patterns.templates.merge_templates` looks for, and every run was a pattern of its
own. These helpers read a masked template as ``<head ending in a label> <program> <rest>`` and name the
templates whose head and program start rests of varying length as one pattern (``Commandline: apt-get
<*>``); ``merge_templates`` applies them.

The label is the first token ending in ``:`` (``Commandline:``); else a ``KEY=`` field that the line's
other fields precede and bare words follow (sudo's ``COMMAND=``: the value runs to the end of the line);
else an upper-case field name before an opening bracket (cron's ``CMD (``). With no label, a line that
starts with a program's path and an option (``<*> --bar``) is a command line of its own.

What the data must show, and what keeps distinct events apart:

* the same head and the same program: values that start with different words are different events
  (``PCI: Using configuration type <*>``, ``PCI: Invalid ACPI-PCI IRQ routing table``);
* a program in lower case, as a program is written: a capitalised word starts a sentence or names an
  event (``ciod: Error loading <*>: ...``, ``ciod: Error creating node map ...``), as
  ``merge_templates`` keeps capitalised words constant. A program given by its path is masked
  (``COMMAND=<*> update``): no word names it, so the arguments must read as a command's do, an option
  (``-y``, ``--report``) among them; a sentence after a variable (``<*> is not a directory``) has none;
* rests of ``min_values`` different lengths: the evidence ``merge_templates`` asks of a varying word,
  asked of a varying length. Variants of one sentence come in few lengths; a command's arguments in
  as many as it was run with. Or, already in the batch, the template whose rest is one variable (a
  pattern merged before: ``Commandline: apt-get <*>``), the data saying the rest varies.
* a lower-case word of the head (sudo's user in ``alice : TTY=<*> ; ... COMMAND=<*> <*>``, cron's
  ``(root)``) is a variable when two of its values each head two or more runs and the runs of all its
  values together show ``min_values`` lengths: the same structure carrying varying commands under
  varying words. A label (``started:``) names its event and is never such a word.

A label's value (:func:`value_key`) is the other half: pip writes one line per requirement
(``Requirement already satisfied: click>=<*> in <*> (from lokifi==<*>) (<*>)``), the package and the
requirement it came from differing line by line. Templates whose label is followed by a lower-case value
and then the same constant words (tokens that hold a variable being variables whatever their text) are
one pattern when the value takes as many distinct values as the position rule asks of a word with that
many constant words around it.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Iterable

from analytics.patterns.fingerprint import VAR

#: a word as a program is named: a letter first, a letter or digit last (``apt-get``, ``run``)
_WORD = re.compile(r"[^\W\d_](?:[\w.+\-]*[^\W_])?")
#: a command's option: ``-y``, ``--report``, ``--target=<*>``
_OPTION = re.compile(r"--?[A-Za-z][\w\-]*(?:=\S*)?")
#: a ``KEY=value`` field (not ``==`` or ``>=``: a requirement's comparison)
_FIELD = re.compile(r"([A-Za-z_][\w.\-]*=)(?!=)(.*)")
#: a field name written in capitals before a bracketed value (cron's ``CMD (...)``)
_NAME = re.compile(r"[A-Z][A-Z_]+")
_COLLAPSE = re.compile(r"(?:<\*>[\s,:.]*)+<\*>")


def _is_separator(w: str) -> bool:
    return w != VAR and not any(c.isalnum() for c in w)


def _command(tk: list[str]) -> tuple[str, str, list[str], str] | None:
    """(head, program, rest, close) of a command line in the tokens ``tk``: the head runs up to and
    including the label (``Commandline: ``, ``... COMMAND=``, ``... CMD (``), ``close`` is the bracket
    a bracketed value ends with. None when no label is found."""
    label = next((i for i, w in enumerate(tk) if len(w) > 1 and w.endswith(":")), None)
    if label is not None and label + 1 < len(tk) and _program(tk[label + 1]) is not None:
        return " ".join(tk[: label + 1]) + " ", tk[label + 1], tk[label + 2 :], ""
    # a field whose value runs on: the fields before it are closed by separators or other fields
    for i, w in enumerate(tk):
        m = _FIELD.fullmatch(w)
        if m is None:
            continue
        nxt = tk[i + 1] if i + 1 < len(tk) else None
        if nxt is not None and (_is_separator(nxt) or _FIELD.fullmatch(nxt)):
            continue
        if not m.group(2):
            return None
        return " ".join([*tk[:i], m.group(1)]), m.group(2), tk[i + 1 :], ""
    # a field name in capitals and a bracketed value (``CMD (cd <*> && run-parts --report <*>)``)
    for i in range(1, len(tk)):
        w = tk[i]
        if w.startswith("(") and len(w) > 1 and _NAME.fullmatch(tk[i - 1]) and tk[-1].endswith(")"):
            rest = tk[i + 1 :]
            if rest:
                rest = [*rest[:-1], rest[-1][:-1]] if rest[-1] != ")" else rest[:-1]
                return " ".join(tk[:i]) + " (", w[1:], [x for x in rest if x], ")"
            return " ".join(tk[:i]) + " (", w[1:-1], [], ")"
    # no label: a line that starts with a program's path (masked) and an option
    if tk[0] == VAR and len(tk) > 1 and (_OPTION.fullmatch(tk[1]) or tk[1:] == [VAR]):
        return "", VAR, tk[1:], ""
    return None


def _program(w: str) -> str | None:
    """``w`` as a program's name: a lower-case word, or a variable (a path); None otherwise."""
    if w == VAR or (w.islower() and _WORD.fullmatch(w)):
        return w
    return None


def command_of(template: str) -> tuple[str, bool] | None:
    """(key, the rest reads as a command's) of a command line: ``<head> <program> <*>`` when
    ``template`` is a head ending in a label followed by a lower-case program (``Commandline: apt-get
    install -y tzdata`` -> ``Commandline: apt-get <*>``), ``<head> <*> <*>`` when the program is a masked
    path (``COMMAND=<*> update`` -> ``COMMAND=<*> <*>``); the flag says whether the rest holds an option
    (or is the variable of a key itself), what a program given by its path needs. None otherwise. Only
    a candidate: whether the rest is a variable is for :func:`argument_keys` to decide from the batch."""
    tk = template.split(" ")
    cmd = _command(tk)
    if cmd is None:
        return None
    head, program, rest, close = cmd
    if _program(program) is None:
        return None
    if head and not any(c.isalpha() for c in head.replace(VAR, "")):
        return None  # a label that names nothing
    if program == VAR:
        reads = rest == [VAR] or any(_OPTION.fullmatch(x) for x in rest)
        return f"{head}{VAR} {VAR}{close}", reads
    return f"{head}{program} {VAR}{close}", True


def argument_key(template: str) -> str | None:
    """The key of :func:`command_of`, or None."""
    c = command_of(template)
    return None if c is None else c[0]


def argument_keys(templates: Iterable[str], min_values: int) -> dict[str, str]:
    """Template -> its :func:`argument_key`, for the templates whose key the batch shows heads a rest
    of varying length: ``min_values`` distinct lengths among the templates of that key, or the key
    itself among them; a key whose program is a path also needs a rest with an option. Templates of any
    other key are left out."""
    by_key: dict[str, list[str]] = collections.defaultdict(list)
    reads: dict[str, bool] = collections.defaultdict(bool)
    for t in templates:
        c = command_of(t)
        if c is not None:
            by_key[c[0]].append(t)
            reads[c[0]] |= c[1]
    out: dict[str, str] = {}
    for key, ts in by_key.items():
        if not reads[key]:
            continue
        lengths = {t.count(" ") for t in ts}
        # no constant of its own: ``min_values`` is the count of distinct values the position rule asks
        # (a count of kinds, not of lines, so the same whatever the batch's size), and ``>= 2`` only says
        # the key's own template has another template to join
        if len(lengths) >= min_values or (key in ts and len(ts) >= 2):
            out.update(dict.fromkeys(ts, key))
    for shared, keys in _shared_heads(by_key, min_values).items():
        if any(reads[k] for k in keys):
            for k in keys:
                out.update(dict.fromkeys(by_key[k], shared))
    return out


def _shared_heads(by_key: dict[str, list[str]], min_values: int) -> dict[str, list[str]]:
    """Keys whose heads differ in one lower-case word (sudo's user: ``alice : TTY=<*> ; ... COMMAND=<*>
    <*>`` and ``bob : ...``) -> the key with that word a variable, when the data shows the word varying
    with the structure around it: at least two of its values each head runs of two or more commands,
    and the runs together show ``min_values`` rest lengths (the evidence :func:`argument_keys` asks of one
    key). An event's word heads its own structure; a user's runs any command in the same one."""
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for key in by_key:
        tk = key.split(" ")
        for i in range(len(tk) - 2):  # the head: the program and its rest are the last two tokens
            m = _HEAD_WORD.fullmatch(tk[i])
            if m is not None and m.group(2).islower():
                groups[" ".join([*tk[:i], f"{m.group(1)}{VAR}{m.group(3)}", *tk[i + 1 :]])].append(key)
    out: dict[str, list[str]] = {}
    taken: set[str] = set()
    for shared, keys in groups.items():
        keys = [k for k in keys if k not in taken]
        if sum(1 for k in keys if len(by_key[k]) >= 2) < 2:
            continue
        if len({t.count(" ") for k in keys for t in by_key[k]}) < min_values:
            continue
        out[shared] = keys
        taken.update(keys)
    return out


#: a word in a command line's head, with a field's ``KEY=`` or brackets around it (``(root)``, ``USER=root``)
_HEAD_WORD = re.compile(r"([A-Za-z_][\w.\-]*=|[(\[{]?)([^\W\d_][\w\-]*[^\W_]|[^\W\d_])([)\]},]?)")


def value_key(template: str) -> tuple[str, str, int, str] | None:
    """(key, value, constant words of the key, the rest as written) when ``template`` is a label (its
    first token ending in ``:``) followed by a value with no capital (a word, a requirement
    ``click>=<*>``, a variable) and a rest: the key is the label, a variable, and the rest with each
    token that holds a variable made one (``Requirement already satisfied: <*> in <*> (from <*>``). None
    otherwise."""
    if ": " not in template:
        return None
    tk = template.split(" ")
    label = next((i for i, w in enumerate(tk) if len(w) > 1 and w.endswith(":")), len(tk))
    if label + 1 >= len(tk):
        return None
    value = tk[label + 1]
    if any(c.isupper() for c in value.replace(VAR, "")) or _FIELD.match(value):
        return None
    if VAR not in value and not _WORD.match(value):
        return None
    head = tk[: label + 1]
    rest = [VAR if VAR in w else w for w in tk[label + 2 :]]
    key = _COLLAPSE.sub(VAR, " ".join([*head, VAR, *rest]))
    const = sum(1 for w in key.split(" ") if w != VAR and any(c.isalpha() for c in w))
    if const < 2:
        return None
    return key, value, const, " ".join(tk[label + 2 :])


def value_keys(templates: Iterable[str], min_values: int, context: int, growth: float) -> dict[str, str]:
    """Template -> its :func:`value_key`, for the keys whose value the batch shows varying: before one
    rest, word for word, as many distinct values as :func:`analytics.patterns.templates.merge_templates`
    asks of a position with that many constant words around it (``min_values``, times ``growth`` per word
    short of ``context``); the key's other rests then join. Values that each bring a rest of their own
    (``bad sector....<*>``, ``loose cable...<*>``) are phrases, not values. A template
    whose value is a variable already (a pattern merged before) stands for ``min_values``."""
    by_key: dict[str, list[tuple[str, str, str]]] = collections.defaultdict(list)
    const_of: dict[str, int] = {}
    for t in templates:
        v = value_key(t)
        if v is not None:
            by_key[v[0]].append((t, v[1], v[3]))
            const_of[v[0]] = v[2]
    out: dict[str, str] = {}
    for key, tv in by_key.items():
        if len(tv) < 2:
            continue
        per_rest: dict[str, set[str]] = collections.defaultdict(set)
        for _, val, rest in tv:
            if val != VAR:
                per_rest[rest].add(val)
        merged = any(val == VAR for _, val, _ in tv)
        seen = max(map(len, per_rest.values()), default=0) + (min_values if merged else 0)
        if seen >= min_values * growth ** max(0, context - const_of[key]):
            out.update(dict.fromkeys((t for t, _, _ in tv), key))
    return out


_OPEN, _CLOSE = "([{'\"", ")]}'\",:;."


def value_name(members: list[str]) -> str:
    """The name of templates one :func:`value_key` joins: the columns of the shortest members, a column
    whose members differ made a variable inside the brackets they share (``(from <*>)``)."""
    toks = [m.split(" ") for m in members]
    shortest = min(len(x) for x in toks)
    cols = zip(*(x for x in toks if len(x) == shortest), strict=True)
    out = []
    for col in cols:
        if all(c == col[0] for c in col):
            out.append(col[0])
            continue
        lead = min((len(c) - len(c.lstrip(_OPEN)) for c in col), default=0)
        trail = min((len(c) - len(c.rstrip(_CLOSE)) for c in col), default=0)
        first = col[0]
        head, tail = first[:lead], first[len(first) - trail :] if trail else ""
        same = all(c.startswith(head) and c.endswith(tail) for c in col)
        out.append(f"{head}{VAR}{tail}" if same else VAR)
    return _COLLAPSE.sub(VAR, " ".join(out))
