"""Templates: mask the variables in messages and group messages that share a template.

Owns the two steps that turn messages into patterns:

1. **Masking** (:func:`mask`), vectorised with Polars over a whole batch: the rules of
   :mod:`analytics.patterns.fingerprint` replace variables (numbers, ids, hex, UUIDs, IPs, host:port, URLs,
   paths, e-mails, dates, times, durations, sizes, data-carrying quoted values and key=value values)
   by ``<*>``; a run of variables separated only by spaces/punctuation collapses into one ``<*>``, so
   a variable that spans several tokens (``Sat Jul  9 12:16:49 2005``, ``1.2.3.4 (host.example.net)``)
   is one variable. The result depends on the message alone: the same message has the same template
   and fingerprint everywhere.

2. **Grouping** (:func:`group`): templates that differ at exactly one token position are merged when
   that position holds at least ``merge_min_values`` distinct lower-case words in the batch
   (``session closed for user root|news|cyrus``, ``user=root|git|ubuntu``) and the rest of the template
   has at least three constant words, and that position becomes
   ``<*>`` (``user=<*>``). Capitalised and upper-case words (states, verbs, enums: ``VM Paused``/``VM
   Started``, ``state=RUNNING``) stay constant: they distinguish events. A label's lists of any length
   (:mod:`analytics.patterns.lists`) and command lines, a label's, a field's or a bare path's (sudo's
   ``COMMAND=``, cron's ``CMD (...)``), and a label's values with the same words after them (pip's
   ``Requirement already satisfied: <*> in ...``: :mod:`analytics.patterns.arguments`) are one pattern
   too, and so are two positions varying together and runs of constrained values
   (:mod:`analytics.patterns.pairs`). Speed comes from doing this on the distinct templates only.

Raw log lines are handled by stripping their header first (:mod:`analytics.patterns.logline`); a
message that leaves fewer than two constant words keeps its header's level in front (npm's ``158 notice
yallist`` is ``notice yallist``), so the merge has a constant word beside the one that varies.
"""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass
from typing import cast

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from analytics.common.disjoint_sets import DisjointSets
from analytics.patterns.arguments import argument_keys, value_keys, value_name
from analytics.patterns.fingerprint import CURRENT, VAR, RuleSet, fingerprint
from analytics.patterns.http_status import carry_status, name_status_codes, status_codes
from analytics.patterns.lists import (
    list_key as list_key,  # re-exported: callers read it here
    list_keys,
    list_shapes,
    one_item,
)
from analytics.patterns.logline import strip_headers

# Files are read as a bounded stream (line length, block size, pipes read once): analytics.patterns.logread.
from analytics.patterns.logread import (
    InputError as ScanError,  # noqa: F401  (re-exported)
)
from analytics.patterns.multiline import fold_multiline as fold_multiline  # re-exported: callers read it here
from analytics.patterns.pairs import pair_groups, run_keys


def _mask_expr(e: pl.Expr, rules: RuleSet) -> pl.Expr:
    for pat, rep in rules.rules:
        e = e.str.replace_all(pat, rep)
    if rules.collapse:
        e = e.str.replace_all(r"(?:<\*>[\s,:.]*)+<\*>", VAR)
    e = e.str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(e == "").then(pl.lit(VAR)).otherwise(e)


#: a run of ASCII word characters holding a digit (an id, a counter, an address part, a hex id)
_DIGIT_WORD = r"[0-9a-fA-F]*[0-9][0-9a-fA-F]*"
_ESCAPES = CURRENT.rules[0][0]


def _encode(s: pl.Series, rules: RuleSet) -> tuple[np.ndarray, pl.Series]:
    """Dictionary-encode the messages by their *key*: cut to ``max_chars``, and every run of hex
    characters that holds a digit made a single ``0`` (ids, counters, addresses, hex ids; ``14T22`` in a
    timestamp stays two runs, so headers are still recognised).

    Such a run always lies inside a token the rules mask entirely (a token holding a digit is a
    variable), so the template of the key is the template of the message, while lines that differ
    only in their ids, counters, addresses or hex ids share one key. The rules then run once per
    distinct key: one cheap regex pass over all lines plus a hash, instead of every rule on every line.
    Returns (row -> distinct index, distinct keys).
    """
    s = s.cast(pl.String).fill_null("")
    if s.len() and cast(int, s.str.len_bytes().max()) > rules.max_chars:  # a count: never None here
        s = s.str.slice(0, rules.max_chars)
    if s.str.contains("\x1b", literal=True).any():
        # terminal escape sequences go first: their parameters are digits glued to the next word
        s = s.str.replace_all(_ESCAPES, "")
    # an access log's HTTP status code is carried in the key, then named (analytics.patterns.http_status)
    codes = status_codes(s) if rules.http_status else None
    keys = s.str.replace_all(_DIGIT_WORD, "0")
    if codes is not None:
        keys = carry_status(keys, codes)
    arr = keys.to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    enc = pc.dictionary_encode(arr)
    idx = enc.indices.to_numpy(zero_copy_only=False)
    uniq = pl.Series("k", enc.dictionary, dtype=pl.String)
    return idx, (uniq if codes is None else name_status_codes(uniq))


#: a dotted name left in a template after masking: a host name when analytics.common.hostnames says so
_DOTTED = re.compile(
    r"(?<![\w.\-/@])((?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9\-]*)"
    r"(?![\w\-]|\.\w)"
)


def _mask_hosts(t: pl.Series, rules: RuleSet) -> pl.Series:
    """Host names become variables (rules version 4 on): decided per distinct template, by the Public
    Suffix List and this machine's DNS domains (analytics.common.hostnames), not a list of domains."""
    if rules.version < 4 or t.len() == 0:
        return t
    has = t.str.contains(r"[A-Za-z0-9]\.[A-Za-z]")
    if not has.any():
        return t
    from analytics.common.hostnames import is_host_name

    def repl(m: re.Match[str]) -> str:
        text = m.string
        return (
            VAR
            if is_host_name(m.group(1), text[max(0, m.start() - 2) : m.start()], text[m.end() : m.end() + 2])
            else m.group(0)
        )

    out = [
        (_COLLAPSE.sub(VAR, _DOTTED.sub(repl, x)) if h else x) for x, h in zip(t.to_list(), has.to_list(), strict=True)
    ]
    return pl.Series(t.name, out, dtype=pl.String)


def _templates_of_distinct(uniq: pl.Series, rules: RuleSet, raw: bool) -> pl.Series:
    return _mask_hosts(_templates_of_distinct_rules(uniq, rules, raw), rules)


def _templates_of_distinct_rules(uniq: pl.Series, rules: RuleSet, raw: bool) -> pl.Series:
    if not raw:
        return pl.DataFrame({"m": uniq}).select(_mask_expr(pl.col("m"), rules).alias("t"))["t"]
    # raw lines: distinct keys differ in their headers (threads, loggers, levels); once the headers are
    # stripped many messages are the same again, so encode a second time before the rules run
    stripped = strip_headers(uniq)
    msgs = stripped.to_arrow()
    if isinstance(msgs, pa.ChunkedArray):
        msgs = msgs.combine_chunks()
    enc = pc.dictionary_encode(msgs)
    distinct = pl.Series("m", enc.dictionary, dtype=pl.String)
    t = pl.DataFrame({"m": distinct}).select(_mask_expr(pl.col("m"), rules).alias("t"))["t"]
    t = t.gather(enc.indices.to_numpy(zero_copy_only=False))
    return _with_level(uniq, stripped, t) if rules.version >= 7 else t


def _constant_words(template: str) -> int:
    """Tokens of a template that are constant words (as :func:`merge_templates` counts them)."""
    return sum(1 for x in template.split(" ") if x != VAR and any(c.isalpha() for c in x))


def _with_level(lines: pl.Series, msgs: pl.Series, t: pl.Series) -> pl.Series:
    """A template with fewer than two constant words keeps its line's level in front (``notice
    <*>``, ``info ok``): the message alone (``yallist``, ``<*> lib/npm.js``) leaves no constant word
    beside the one that varies, so no batch could show it varying, and a one-word message at one level
    is another event than at another. Messages with more words are templated on their own, whatever
    their level."""
    tl = t.to_list()
    short = [i for i, x in enumerate(tl) if _constant_words(x) < 2]
    if not short:
        return t
    from analytics.patterns.logline import header_level

    ls, ms = lines.to_list(), msgs.to_list()
    for i in short:
        level = header_level(ls[i] or "", ms[i] or "")
        if level is not None:
            tl[i] = f"{level} {tl[i]}"
    return pl.Series(t.name, tl, dtype=pl.String)


def mask(messages: pl.Series | list[str], rules: RuleSet = CURRENT, raw: bool = False) -> pl.Series:
    """Template of every message (context-free: depends on the message and the rules only).

    ``raw=True``: the items are raw log lines; their header is stripped first.
    """
    s = _series(messages)
    if s.len() == 0:
        return pl.Series("template", [], dtype=pl.String)
    idx, uniq = _encode(s, rules)
    return _templates_of_distinct(uniq, rules, raw).gather(idx).alias("template")


def template_of(message: str, rules: RuleSet = CURRENT) -> str:
    """Template of one message (same code path as the batch, so the same answer)."""
    return mask(pl.Series("m", [_safe_text(message)], dtype=pl.String), rules)[0]


def fingerprint_of(message: str, rules: RuleSet = CURRENT) -> str:
    return fingerprint(template_of(message, rules))


def _series(items: pl.Series | list) -> pl.Series:
    """A String Series of the items; text Polars cannot hold (lone surrogates, bytes) is made safe."""
    if isinstance(items, pl.Series):
        return items
    try:
        return pl.Series("m", items, dtype=pl.String)
    except (UnicodeEncodeError, TypeError, pl.exceptions.PolarsError):
        return pl.Series("m", [_safe_text(x) for x in items], dtype=pl.String)


def _safe_text(message: object) -> str:
    if isinstance(message, bytes):
        return message.decode("utf-8", errors="replace")
    s = str(message)
    # lone surrogates (from surrogateescape decoding) cannot be encoded; replace them
    return s.encode("utf-8", errors="replace").decode("utf-8")


def merge_templates(
    templates: list[str] | set[str],
    min_values: int = CURRENT.merge_min_values,
    context: int = CURRENT.merge_context,
    growth: float = CURRENT.merge_growth,
) -> dict[str, str]:
    """Map each distinct template to its group's template (itself when nothing merges).

    A position of templates that agree everywhere else is a variable when the batch shows it holding at
    least ``min_values`` distinct words and the rest of the template has ``context`` constant words; with
    less context it takes more evidence: ``growth`` times as many values per missing word
    (``status unpacked <pkg> <*>`` shows hundreds of packages with two constant words around them, while
    ``<daemon> startup succeeded`` shows a handful). With no constant word left nothing merges.
    """
    uniq = sorted(set(templates))
    sets = DisjointSets(uniq)
    keys_of: dict[str, tuple[str | None, str | None]] = {}  # template -> its list keys (strict, any)
    args_of: dict[str, str] = {}  # template -> the command it is a run of (``Commandline: apt-get <*>``)
    values_of: dict[str, str] = {}  # template -> its label and the words after its value

    if min_values >= 2:
        buckets: dict[tuple, list[str]] = collections.defaultdict(list)
        for t in uniq:
            tk = t.split(" ")
            if len(tk) < 2:
                continue
            const = [x != VAR and any(c.isalpha() for c in x) for x in tk]
            nconst = sum(const)
            if nconst < 2:
                continue
            starts: dict[str, list[int]] | None = None
            for i in range(len(tk)):
                w = tk[i]
                if nconst - const[i] < 1:
                    continue  # no constant word left around the position
                if w == VAR:
                    continue
                key, lead, core, trail = _split_token(w)
                if not core or "=" in core:
                    continue
                buckets[(len(tk), i, key, lead, trail, tuple(tk[:i]), tuple(tk[i + 1 :]), nconst - const[i])].append(t)
                if len(core) < 2 or not core.islower() or not core.replace("-", "").replace("_", "").isalnum():
                    continue
                if starts is None:
                    starts = _word_starts(tk)
                tied = [j for j in starts.get(core, ()) if j != i]
                if tied:
                    # the same word again elsewhere in the line (``--install <*> java <*> --slave <*>
                    # java.<*>``): one variable written twice, so the positions vary together
                    marked = [_TIE + x[len(core) :] if j in tied else x for j, x in enumerate(tk)]
                    marked[i] = key + lead + _TIE + trail
                    left = nconst - const[i] - sum(const[j] for j in tied)
                    if left >= 1:
                        buckets[(len(tk), i, "", "", "", tuple(marked), (), left)].append(t)
        for bucket, ts in buckets.items():
            # a member already holding a variable there is the data saying the position varies: then one
            # constant word beside it is enough, whatever the context and whatever its case
            seen_var = any(VAR in t.split(" ")[bucket[1]] for t in ts)
            if not seen_var:  # capitalised words (states, enums: Paused/Started) stay events of their own
                ts = [t for t in ts if _split_token(t.split(" ")[bucket[1]])[2].islower()]
            if len(ts) >= (2 if seen_var else min_values * growth ** max(0, context - bucket[-1])):
                for t in ts[1:]:
                    sets.union(t, ts[0])
        # a word beside a variable, where the batch also holds the template with one variable in their
        # place (``triggers-pending sgml-base:all <*>`` beside ``triggers-pending <*>``): the data
        # shows that position varies
        present = set(uniq)
        for t in uniq:
            tk = t.split(" ")
            const = [x != VAR and any(c.isalpha() for c in x) for x in tk]
            for i, w in enumerate(tk):
                if w == VAR or sum(const) - const[i] < 1:
                    continue
                _, _, core, _ = _split_token(w)
                if not core or "=" in core or not core.islower():
                    continue
                if (i + 1 < len(tk) and tk[i + 1] == VAR) or (i and tk[i - 1] == VAR):
                    shorter = " ".join(tk[:i] + tk[i + 1 :])
                    if shorter in present:
                        sets.union(t, shorter)
        # lists of varying length (``Install: a (1.0), b (2.1, automatic), ...``): templates whose list
        # after the same label repeats an item are one event whatever the list holds; once a label's
        # lists repeat in ``min_values`` templates, its lists that happen not to (``Depends: <*> (>= <*>),
        # tcl``) are the same field
        lists: dict[str, list[str]] = collections.defaultdict(list)
        loose: dict[str, list[str]] = collections.defaultdict(list)
        for t in uniq:
            strict, any_list = keys_of[t] = list_keys(t)
            if strict is not None:
                lists[strict].append(t)
            elif any_list is not None:
                loose[any_list].append(t)
        for lk, ts in lists.items():
            if len(ts) >= min_values:
                ts = ts + loose.get(lk, [])
            for t in ts[1:]:
                sets.union(t, ts[0])
        # a list of one item (``Install: nodejs:<*> (<*>)``) after a label that heads lists of items of
        # its shape is the same field: the label and the item's bracketed shape say so
        shapes: dict[str, set[str]] = {}
        for t in uniq:
            if keys_of[t] != (None, None) or ": " not in t:
                continue
            one = one_item(t)
            if one is None or one[0] not in lists:
                continue
            if one[0] not in shapes:
                shapes[one[0]] = {sh for m in lists[one[0]] for sh in list_shapes(m)}
            if one[1] in shapes[one[0]]:
                sets.union(t, lists[one[0]][0])
                keys_of[t] = (None, one[0])  # named as the lists it joins
        # a command line (``Commandline: apt-get install -y tzdata``): a label and a program heading a
        # rest whose length the batch shows varying are one event (analytics.patterns.arguments)
        args_of = argument_keys(uniq, min_values)
        # two values in one event (``Added <*> from <*> (from requests) to build tracker ...``) and a run
        # of constraints of any length (``(requires-python:>=<*>, !=<*>, <<*>)``): analytics.patterns.pairs
        args_of.update(run_keys([t for t in uniq if t not in args_of], min_values))
        for t, key in pair_groups([t for t in uniq if t not in args_of], min_values, context).items():
            args_of[t] = key
        firsts: dict[str, str] = {}
        for t, key in args_of.items():
            sets.union(t, firsts.setdefault(key, t))
        # a label's value that varies while the words after it stay (``Requirement already satisfied:
        # <*> in <*> (from <*>) (<*>)``): one event, named by the columns its members share
        values_of = value_keys([t for t in uniq if t not in args_of], min_values, context, growth)
        for t, key in values_of.items():
            sets.union(t, firsts.setdefault("\x00" + key, t))
    out: dict[str, str] = {}
    for members in sets.groups().values():
        if len(members) == 1:
            out[members[0]] = members[0]
            continue
        mk = [keys_of.get(m, (None, None)) for m in members]
        keys = {strict or any_list for strict, any_list in mk}
        if len(keys) == 1 and None not in keys and any(strict for strict, _ in mk):
            for m in members:
                out[m] = cast(str, next(iter(keys)))
            continue
        commands = {args_of.get(m) for m in members}
        if len(commands) == 1 and None not in commands:
            for m in members:
                out[m] = cast(str, next(iter(commands)))
            continue
        values = {values_of.get(m) for m in members}
        if len(values) == 1 and None not in values:
            name = value_name(members)
            for m in members:
                out[m] = name
            continue
        toks = [m.split(" ") for m in members]
        shortest = min(len(x) for x in toks)
        toks = [x for x in toks if len(x) == shortest]  # mixed lengths: the forms with the variable
        gen = [col[0] if all(c == col[0] for c in col) else _generalise(col) for col in zip(*toks, strict=True)]
        g = _COLLAPSE.sub(VAR, " ".join(gen))  # a merged position next to a variable: one variable
        for m in members:
            out[m] = g
    return out


_COLLAPSE = re.compile(r"(?:<\*>[\s,:.]*)+<\*>")


_TIE = "\x00"  # marks where a repeated word stood, in a merge bucket's key (never in a template)
#: what may follow a repeated word inside a longer token: ``java`` in ``java.1.gz``, ``jexec-binfmt``
_TIE_SEPARATORS = ".-_"
_OPEN = "([{'\""
_CLOSE = ")]}'\",:;."


def _split_token(w: str) -> tuple[str, str, str, str]:
    """``key=`` prefix, opening brackets/quotes, core, closing brackets/quotes/punctuation of a token."""
    key, eq, value = w.partition("=")
    if not eq:
        key, value = "", w
    else:
        key += "="
    inner = value.lstrip(_OPEN)
    lead = value[: len(value) - len(inner)]
    core = inner.rstrip(_CLOSE)
    return key, lead, core, inner[len(core) :]


def _word_starts(tk: list[str]) -> dict[str, list[int]]:
    """Where each word is written in the tokens ``tk``, as a whole token or as the start of one
    (``java`` in ``java.<*>``, ``jexec`` in ``jexec-binfmt``): word -> positions."""
    out: dict[str, list[int]] = collections.defaultdict(list)
    for j, x in enumerate(tk):
        out[x].append(j)
        for k in range(1, len(x)):
            if x[k] in _TIE_SEPARATORS:
                out[x[:k]].append(j)
    return out


def _generalise(values: tuple[str, ...]) -> str:
    """The variable that stands for differing tokens, keeping a shared ``key=`` and brackets:
    ``user=<*>``, ``(<*>)``."""
    parts = [_split_token(v) for v in values]
    key, lead, _, trail = parts[0]
    if all(p[0] == key and p[1] == lead and p[3] == trail for p in parts):
        return f"{key}{lead}{VAR}{trail}"
    return VAR


@dataclass(frozen=True)
class Grouping:
    """Result of :func:`group`, kept per distinct key: ``index[row]`` points into the distinct arrays."""

    index: np.ndarray
    distinct_templates: pl.Series
    distinct_groups: pl.Series

    @property
    def templates(self) -> pl.Series:
        """Per line, its context-free template (what the fingerprint hashes)."""
        return self.distinct_templates.gather(self.index)

    @property
    def groups(self) -> pl.Series:
        """Per line, the template of its group (after merging templates that differ in one value)."""
        return self.distinct_groups.gather(self.index)

    def group_ids(self, length: int = 16) -> list[str]:
        """Per line, the first ``length`` hex digits of the SHA-256 of its group template."""
        return self.group_ids_bytes(length).decode("ascii").split("\n")[:-1]

    def group_ids_bytes(self, length: int = 16) -> bytes:
        """The group ids as ``id\\n`` lines, built without a Python object per line."""
        ids = np.frombuffer(
            b"".join(fingerprint(g)[:length].encode("ascii") + b"\n" for g in self.distinct_groups.to_list()),
            dtype=np.uint8,
        )
        table = ids.reshape(-1, length + 1)
        return table[self.index].tobytes()


def group(lines: pl.Series | list[str], raw: bool = False, rules: RuleSet = CURRENT, merge: bool = True) -> Grouping:
    """Template and group every line of a batch. ``raw=True`` strips log headers first."""
    s = _series(lines)
    if s.len() == 0:
        empty = pl.Series([], dtype=pl.String)
        return Grouping(np.empty(0, dtype=np.int64), empty, empty)
    idx, uniq = _encode(s, rules)
    t = _templates_of_distinct(uniq, rules, raw)
    g = t
    if merge and rules.merge_min_values >= 2:
        mapping = merge_templates(t.unique().to_list(), rules.merge_min_values, rules.merge_context, rules.merge_growth)
        changed = {k: v for k, v in mapping.items() if k != v}
        if changed:
            g = t.replace(changed)
    return Grouping(index=idx, distinct_templates=t, distinct_groups=g)
