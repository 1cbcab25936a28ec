"""Templates: mask the variables in messages and group messages that share a template.

Owns the two steps that turn messages into patterns:

1. **Masking** (:func:`mask`), vectorised with Polars over a whole batch: the rules of
   :mod:`analytics.fingerprint` replace variables (numbers, ids, hex, UUIDs, IPs, host:port, URLs,
   paths, e-mails, dates, times, durations, sizes, data-carrying quoted values and key=value values)
   by ``<*>``; a run of variables separated only by spaces/punctuation collapses into one ``<*>``, so
   a variable that spans several tokens (``Sat Jul  9 12:16:49 2005``, ``1.2.3.4 (host.example.net)``)
   is one variable. The result depends on the message alone: the same message has the same template
   and fingerprint everywhere.

2. **Grouping** (:func:`group`): templates that differ at exactly one token position are merged when
   that position holds at least ``merge_min_values`` distinct lower-case words in the batch
   (``session closed for user root|news|cyrus``), and that position becomes ``<*>``. Capitalised and
   upper-case words (states, verbs, enums: ``VM Paused``/``VM Started``) and ``key=value`` words stay
   constant; they distinguish events. Speed comes from doing this on the distinct templates only.

Raw log lines are handled by stripping their header first (:mod:`analytics.logline`).
"""
from __future__ import annotations

import collections
from dataclasses import dataclass

import polars as pl

from analytics.fingerprint import CURRENT, VAR, RuleSet, fingerprint
from analytics.logline import strip_headers

_VT = r"[(\[{'\"]*<\*>[)\]}'\",:;.]*"


def _mask_expr(e: pl.Expr, rules: RuleSet) -> pl.Expr:
    e = e.str.slice(0, rules.max_chars)
    for pat, rep in rules.rules:
        e = e.str.replace_all(pat, rep)
    if rules.collapse:
        e = e.str.replace_all(r"(?:<\*>[\s,:.]*)+<\*>", VAR)
        e = e.str.replace_all(_VT + r"(?:\s+" + _VT + ")+", VAR)
    return e.str.replace_all(r"\s+", " ").str.strip_chars()


def mask(messages: pl.Series | list[str], rules: RuleSet = CURRENT) -> pl.Series:
    """Template of every message (context-free: depends on the message and the rules only)."""
    s = messages if isinstance(messages, pl.Series) else pl.Series("m", messages, dtype=pl.String)
    s = s.cast(pl.String).fill_null("")
    if s.len() == 0:
        return s
    # a message that masks to nothing (all variables, or empty) keeps a visible template
    out = pl.DataFrame({"m": s}).select(_mask_expr(pl.col("m"), rules).alias("t"))["t"]
    return pl.select(pl.when(out == "").then(pl.lit(VAR)).otherwise(out)).to_series().alias("template")


def template_of(message: str, rules: RuleSet = CURRENT) -> str:
    """Template of one message (same code path as the batch, so the same answer)."""
    return mask(pl.Series("m", [_safe_text(message)], dtype=pl.String), rules)[0]


def fingerprint_of(message: str, rules: RuleSet = CURRENT) -> str:
    return fingerprint(template_of(message, rules))


def _safe_text(message: object) -> str:
    if isinstance(message, bytes):
        return message.decode("utf-8", errors="replace")
    s = str(message)
    # lone surrogates (from surrogateescape decoding) cannot be encoded; replace them
    return s.encode("utf-8", errors="replace").decode("utf-8")


def merge_templates(templates: list[str] | set[str], min_values: int = CURRENT.merge_min_values) -> dict[str, str]:
    """Map each distinct template to its group's template (itself when nothing merges)."""
    uniq = sorted(set(templates))
    parent = {t: t for t in uniq}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    if min_values >= 2:
        buckets: dict[tuple, list[str]] = collections.defaultdict(list)
        for t in uniq:
            tk = t.split(" ")
            if len(tk) < 2:
                continue
            nconst = sum(1 for x in tk if x != VAR and any(c.isalpha() for c in x))
            if nconst < 3:
                continue
            for i in range(1, len(tk)):
                w = tk[i]
                if w == VAR or "=" in w or not w.islower():
                    continue
                buckets[(len(tk), i, tuple(tk[:i]), tuple(tk[i + 1:]))].append(t)
        for key, ts in buckets.items():
            if len(ts) >= min_values:
                r = find(ts[0])
                for t in ts[1:]:
                    a = find(t)
                    if a != r:
                        parent[a] = r
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for t in uniq:
        groups[find(t)].append(t)
    out: dict[str, str] = {}
    for members in groups.values():
        if len(members) == 1:
            out[members[0]] = members[0]
            continue
        toks = [m.split(" ") for m in members]
        gen = [col[0] if all(c == col[0] for c in col) else VAR for col in zip(*toks)]
        g = " ".join(gen)
        for m in members:
            out[m] = g
    return out


@dataclass(frozen=True)
class Grouping:
    """Result of :func:`group`: per line, its (context-free) template and its group template."""

    messages: pl.Series
    templates: pl.Series
    groups: pl.Series

    def group_ids(self, length: int = 16) -> list[str]:
        cache: dict[str, str] = {}
        out = []
        for g in self.groups.to_list():
            h = cache.get(g)
            if h is None:
                h = cache[g] = fingerprint(g)[:length]
            out.append(h)
        return out


def group(lines: pl.Series | list[str], raw: bool = False, rules: RuleSet = CURRENT, merge: bool = True) -> Grouping:
    """Template and group every line of a batch. ``raw=True`` strips log headers first."""
    s = lines if isinstance(lines, pl.Series) else pl.Series("m", lines, dtype=pl.String)
    s = s.cast(pl.String).fill_null("")
    msgs = strip_headers(s) if raw else s
    t = mask(msgs, rules)
    if merge and rules.merge_min_values >= 2 and t.len():
        distinct = t.unique()
        mapping = merge_templates(distinct.to_list(), rules.merge_min_values)
        changed = {k: v for k, v in mapping.items() if k != v}
        g = t.replace(changed) if changed else t
    else:
        g = t
    return Grouping(messages=msgs, templates=t, groups=g)
