"""Two positions that vary together, and runs of constrained values: evidence the batch gives.

:func:`analytics.patterns.templates.merge_templates` merges templates that differ at one position. Some
events carry two values (``Added <*> from <*> (from requests) to build tracker ...`` names a package and
its parent): each pair of values is a template of its own, so no single position ever shows varying.
:func:`pair_groups` merges templates that agree everywhere but two positions, when the batch shows as
many distinct pairs as a single position needs, with more constant words around them than a single
position needs: stronger evidence, since two positions varying together are easier to find by chance.
With two or three words around them, the evidence is in the pairs themselves (:func:`_values_alike`):
one position new in every pair, the other repeating a value and holding values seen once, as a
requirement and the package that asked for it do (``Collecting <*> (from <*>)``).

:func:`run_keys` reads a comma-separated run of variables each written after punctuation (``(requires:
>=<*>, !=<*>, <<*>)``, a list of version constraints) as one value, whatever its length, once the
batch shows runs of ``min_values`` different lengths under the same words.
"""

from __future__ import annotations

import collections
import re

from analytics.common.disjoint_sets import DisjointSets
from analytics.patterns.fingerprint import VAR

_FIELD = re.compile(r"[A-Za-z_][\w.\-]*=(?!=)")  # ``key=`` (not ``>=``, ``==``)
_OPEN = "([{'\""
_CLOSE = ")]}'\",:;."


def _shape(w: str) -> tuple[str, str, str, str] | None:
    """(``key=``, opening brackets, core, closing marks) of a token that may be a value: a lower-case
    word or a token holding a variable; None for a variable alone, a capitalised word, a field's key."""
    m = _FIELD.match(w)
    key = m.group() if m else ""
    inner = w[len(key) :].lstrip(_OPEN)
    lead = w[len(key) : len(w) - len(inner)]
    core = inner.rstrip(_CLOSE)
    if not core or core == VAR:
        return None
    if VAR not in core and not (core.islower() and any(c.isalpha() for c in core)):
        return None
    return key, lead, core, inner[len(core) :]


_COLLAPSE = re.compile(r"(?:<\*>[\s,:.]*)+<\*>")
_MOD = (1 << 61) - 1
_POW = [pow(1_000_003, k, _MOD) for k in range(4096)]


def _blocks(tk: list[str]) -> list[tuple]:
    n = len(tk)
    cut = [0, n // 3, 2 * n // 3, n]
    return [(n, b, *tk[cut[b] : cut[b + 1]]) for b in range(3)]


def _block(n: int, k: int) -> int:
    return 0 if k < n // 3 else 1 if k < 2 * n // 3 else 2


def pair_groups(templates: list[str], min_values: int, context: int) -> dict[str, str]:
    """Templates that agree everywhere but two positions, each holding values (lower-case words or tokens
    with a variable), when the batch shows at least ``min_values`` distinct pairs, each position holding two
    values or more: template -> its group's template (the varying positions made ``<*>``, keeping their
    keys and brackets). With more than ``context`` constant words around them that is enough; with two or
    more, the pairs must look like two values of one event (:func:`_values_alike`: pip's ``Collecting <*>
    (from <*>)``). With fewer than two nothing merges: dpkg's ``status <state> <package> <*>`` shows
    hundreds of pairs with one word around them, and its states are events of their own."""
    split = [t.split(" ") for t in templates]
    # two templates that differ at two positions agree on one of three blocks of their tokens: a template
    # that shares no block with another of its length has no pair to find (keeps long, distinct lines cheap)
    blocks = collections.Counter(b for tk in split for b in _blocks(tk))
    # and every other position holds a token that another template of that length holds there too
    at = collections.Counter((len(tk), k, x) for tk in split for k, x in enumerate(tk))
    buckets: dict[tuple, list[tuple[str, str, str]]] = collections.defaultdict(list)
    for t, tk in zip(templates, split, strict=True):
        n = len(tk)
        shared = [blocks[b] > 1 for b in _blocks(tk)]
        alone = {k for k, x in enumerate(tk) if at[(n, k, x)] < 2}
        if n < 3 or not any(shared) or len(alone) > 2:
            continue
        const = [x != VAR and any(c.isalpha() for c in x) for x in tk]
        pos = [(i, s) for i, x in enumerate(tk) if (s := _shape(x)) is not None]  # the positions with a shape
        nconst = sum(const)
        # the rest of the template once two positions are taken out, as a rolling hash: O(1) per pair
        h = [hash(x) % _MOD * _POW[n - 1 - k] % _MOD for k, x in enumerate(tk)] if n <= len(_POW) else []
        full = sum(h) % _MOD
        for a, (i, si) in enumerate(pos):
            for j, sj in pos[a + 1 :]:
                if not alone <= {i, j} or not all(shared[b] for b in range(3) if b not in (_block(n, i), _block(n, j))):
                    continue
                words = nconst - const[i] - const[j]
                if words < 2 or not h:
                    continue
                bucket = (i, j, si[0], si[1], si[3], sj[0], sj[1], sj[3], n, (full - h[i] - h[j]) % _MOD, words)
                buckets[bucket].append((t, si[2], sj[2]))
    found: list[tuple[list[str], dict[int, str]]] = []  # members, and position -> its variable
    for key, members in buckets.items():
        if len(members) < min_values:
            continue
        if len({m[1] for m in members}) < 2 or len({m[2] for m in members}) < 2:
            continue  # one position varies: the one-position rule's to decide
        i, j, ki, li, ti, kj, lj, tj, _, _, words = key
        tk = members[0][0].split(" ")
        others = tk[:i] + tk[i + 1 : j] + tk[j + 1 :]  # the hash said so; the words must too
        members = [m for m in members if (x := m[0].split(" "))[:i] + x[i + 1 : j] + x[j + 1 :] == others]
        if len(members) < min_values or (words <= context and not _values_alike(members)):
            continue
        found.append(([m[0] for m in members], {i: f"{ki}{li}{VAR}{ti}", j: f"{kj}{lj}{VAR}{tj}"}))
    return _named(found, templates)


def _values_alike(members: list[tuple[str, str, str]]) -> bool:
    """Pairs that are two values of one event, not a state and what it applies to, nor a name of two words:
    one position holds a new value in every pair (no value of it is seen twice, so nothing shows in two
    states), and the other repeats a value (the first varies under it) while its values seen once, by
    themselves, show it varying (two or more). pip's ``Collecting <requirement> (from <parent>)``: each
    requirement collected once, ``requests`` the parent of three, ``httpx`` and ``rich`` of one each.
    Names of their own (``illegal instruction``, ``imprecise exception``: every value once on both sides)
    and states (each seen with many packages, each package in many states) are not."""
    for a, b in ((1, 2), (2, 1)):
        if len({m[a] for m in members}) < len(members):
            continue
        seen = collections.Counter(m[b] for m in members).values()
        if max(seen) > 1 and sum(v == 1 for v in seen) >= 2:
            return True
    return False


def _named(found: list[tuple[list[str], dict[int, str]]], templates: list[str]) -> dict[str, str]:
    """Template -> its group's name. Groups that share a template are one group, every position that varies
    in any of them made its variable: a template in two groups is not named after one while lines of the
    other's forms, which its name also matches, go elsewhere. A template left out that has the group's form
    and holds the variable itself where the group varies (``Collecting MarkupSafe>=<*> (from <*>)``, its
    parent masked; a value of the same shape at the other varying positions) joins it."""
    if not found:
        return {}
    sets = DisjointSets(t for members, _ in found for t in members)
    for members, _ in found:
        for t in members[1:]:
            sets.union(t, members[0])
    where: dict[str, dict[int, str]] = collections.defaultdict(dict)
    for members, pos in found:
        where[sets.find(members[0])].update(pos)
    out: dict[str, str] = {}
    # (length, varying positions, the other tokens) -> the variables there and the group's name
    forms: dict[tuple, list[tuple[tuple[str, ...], str]]] = collections.defaultdict(list)
    for root, members in sets.groups().items():
        pos = where[root]
        tk = members[0].split(" ")  # agree with every member but where a group varies
        at = tuple(sorted(pos))
        rest = tuple(x for k, x in enumerate(tk) if k not in pos)
        for p in at:
            tk[p] = pos[p]
        name = _COLLAPSE.sub(VAR, " ".join(tk))  # beside a variable: one variable
        forms[(len(tk), at, rest)].append((tuple(pos[p] for p in at), name))
        for m in members:
            out[m] = name
    lengths: dict[int, set[tuple[int, ...]]] = collections.defaultdict(set)
    for n, at, _ in forms:
        lengths[n].add(at)
    for t in templates:
        if t in out or VAR not in t:
            continue
        tk = t.split(" ")
        for at in lengths.get(len(tk), ()):
            for want, name in forms.get((len(tk), at, tuple(x for k, x in enumerate(tk) if k not in at)), ()):
                held = [tk[p] == v for p, v in zip(at, want, strict=True)]
                if any(held) and all(h or _same_shape(tk[p], v) for h, p, v in zip(held, at, want, strict=True)):
                    out[t] = name
                    break
    return out


def _same_shape(token: str, var: str) -> bool:
    s, v = _shape(token), _shape(var.replace(VAR, "x"))
    return s is not None and v is not None and (s[0], s[1], s[3]) == (v[0], v[1], v[3])


#: a run of variables, each after punctuation (``>=<*>``, ``!=<*>``), separated by commas, starting a
#: token or right after an opening bracket or a colon
_RUN = re.compile(r"(?:(?<=[\s(\[{:])|^)[^\w\s,()\[\]{}'\"*]*<\*>(?:,\s?[^\w\s,()\[\]{}'\"*]*<\*>)*")


def run_keys(templates: list[str], min_values: int) -> dict[str, str]:
    """Template -> its key with each run of constrained variables made one ``<*>``, for the keys whose
    runs come in at least ``min_values`` different lengths in the batch."""
    by_key: dict[str, list[str]] = collections.defaultdict(list)
    lengths: dict[str, set[tuple[int, ...]]] = collections.defaultdict(set)
    for t in templates:
        runs = [m.group() for m in _RUN.finditer(t)]
        if not any(r != VAR for r in runs):
            continue
        key = _RUN.sub(VAR, t)
        by_key[key].append(t)
        lengths[key].add(tuple(r.count(VAR) for r in runs))
    return {t: key for key, ts in by_key.items() if len(lengths[key]) >= min_values for t in ts}
