"""Two positions that vary together, and runs of constrained values: evidence the batch gives.

:func:`analytics.patterns.templates.merge_templates` merges templates that differ at one position. Some
events carry two values (``Added <*> from <*> (from requests) to build tracker ...`` names a package and
its parent): each pair of values is a template of its own, so no single position ever shows varying.
:func:`pair_groups` merges templates that agree everywhere but two positions, when the batch shows as
many distinct pairs as a single position needs, with more constant words around them than a single
position needs: stronger evidence, since two positions varying together are easier to find by chance.

:func:`run_keys` reads a comma-separated run of variables each written after punctuation (``(requires:
>=<*>, !=<*>, <<*>)``, a list of version constraints) as one value, whatever its length, once the
batch shows runs of ``min_values`` different lengths under the same words.
"""

from __future__ import annotations

import collections
import re

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
    with a variable), when the batch shows at least ``min_values`` distinct pairs with more than
    ``context`` constant words around them and each position holding two values or more: template -> its
    group's template (the two positions made ``<*>``, keeping their keys and brackets). With fewer words
    nothing merges: dpkg's ``status <state> <package> <*>`` shows hundreds of pairs with one word around
    them, and its states are events of their own."""
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
        shapes = [_shape(x) for x in tk]
        pos = [i for i, s in enumerate(shapes) if s is not None]
        nconst = sum(const)
        # the rest of the template once two positions are taken out, as a rolling hash: O(1) per pair
        h = [hash(x) % _MOD * _POW[n - 1 - k] % _MOD for k, x in enumerate(tk)] if n <= len(_POW) else []
        full = sum(h) % _MOD
        for a, i in enumerate(pos):
            si = shapes[i]
            for j in pos[a + 1 :]:
                sj = shapes[j]
                if not alone <= {i, j} or not all(shared[b] for b in range(3) if b not in (_block(n, i), _block(n, j))):
                    continue
                if nconst - const[i] - const[j] <= context or si is None or sj is None or not h:
                    continue
                buckets[(i, j, si[0], si[1], si[3], sj[0], sj[1], sj[3], n, (full - h[i] - h[j]) % _MOD)].append(
                    (t, si[2], sj[2])
                )
    out: dict[str, str] = {}
    for key, members in buckets.items():
        if len(members) < min_values:
            continue
        if len({m[1] for m in members}) < 2 or len({m[2] for m in members}) < 2:
            continue  # one position varies: the one-position rule's to decide
        i, j, ki, li, ti, kj, lj, tj, _, _ = key
        tk = members[0][0].split(" ")
        others = tk[:i] + tk[i + 1 : j] + tk[j + 1 :]  # the hash said so; the words must too
        members = [m for m in members if (x := m[0].split(" "))[:i] + x[i + 1 : j] + x[j + 1 :] == others]
        if len(members) < min_values:
            continue
        tk[i], tk[j] = f"{ki}{li}{VAR}{ti}", f"{kj}{lj}{VAR}{tj}"
        name = _COLLAPSE.sub(VAR, " ".join(tk))  # beside a variable: one variable
        for m in members:
            out.setdefault(m[0], name)
    return out


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
