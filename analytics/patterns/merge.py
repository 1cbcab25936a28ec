"""Patterns that the data shows are one: merged online, with the triaged one's id and history kept.

As lines arrive, a template can turn out to be one value of a more general one: ``status unpacked
libfoo:amd64 <*>``, ``status unpacked libbar:amd64 <*>`` and a third such line show that the package
position varies (:func:`analytics.patterns.templates.merge_templates`, the same rule ``lokifi patterns scan``
groups by). :func:`consolidate` runs that rule over the stored patterns' templates after each learning
pass and merges each group into one pattern:

* the **survivor** is the member that holds triage history (fix outcomes or solution versions), else the
  one seen most; its id stays, so what a user triaged keeps its id, and its template becomes the
  general one;
* the others' occurrences, first/last seen, components, samples and events move to it, and
  ``fingerprint_map`` records old -> survivor, so old ids still resolve and new events of the old
  fingerprint count onto the survivor (:func:`follow`);
* a group where **two or more** members hold triage history is left as it is: their fixes may differ,
  and merging would mix outcomes of different solutions.
"""

from __future__ import annotations

from analytics.common.disjoint_sets import DisjointSets
from analytics.patterns.fingerprint import CURRENT_VERSION
from analytics.patterns.templates import merge_templates
from analytics.store.engine import registered


def consolidate(store) -> dict[str, str]:
    """Merge stored patterns whose templates the data generalises into one; returns old -> survivor.

    Each pattern is represented by its template and the templates of its stored sample messages (a
    survivor's samples keep the specific forms it was merged from, so a later ``libqux`` line still
    finds the ``libfoo``/``libbar`` group)."""
    import polars as pl

    from analytics.patterns.templates import mask

    pats = store.query(
        "SELECT p.error_hash, p.template, coalesce(p.occurrence_count, 0) AS n, "
        "(SELECT count(*) FROM fix_history f WHERE f.error_hash = p.error_hash) "
        "+ (SELECT count(*) FROM pattern_versions v WHERE v.error_hash = p.error_hash) AS history "
        "FROM error_patterns p WHERE p.template IS NOT NULL AND p.template <> ''"
    )
    if pats.height < 2:
        return {}
    rows = {r[0]: r for r in pats.iter_rows()}
    forms: dict[str, set[str]] = {fp: {r[1]} for fp, r in rows.items()}
    samples = store.query("SELECT error_hash, message FROM pattern_samples")
    if samples.height:
        texts = pl.Series(samples["message"].to_list(), dtype=pl.String)
        for fp, t in zip(samples["error_hash"].to_list(), mask(texts, raw=True), strict=True):  # a header is stripped
            if fp in forms and t:
                forms[fp].add(t)
    target = merge_templates({t for ts in forms.values() for t in ts})
    # patterns sharing a group through any of their forms are one (union-find over patterns)
    sets = DisjointSets(rows)
    first_of: dict[str, str] = {}
    for fp, ts in forms.items():
        for t in ts:
            other = first_of.setdefault(target[t], fp)
            sets.union(fp, other)
    mapping: dict[str, str] = {}
    general: dict[str, str] = {}
    for fps in sets.groups().values():
        members = [rows[fp] for fp in fps]
        if len(members) < 2:
            continue
        triaged = [m for m in members if m[3]]
        if len(triaged) > 1:
            continue
        survivor = triaged[0] if triaged else max(members, key=lambda m: (m[2], m[0]))
        for m in members:
            if m[0] != survivor[0]:
                mapping[m[0]] = survivor[0]
        gens = {target[m[1]] for m in members}  # the members' own templates, generalised
        general[survivor[0]] = min(gens, key=lambda g: (-g.count("<*>"), len(g), g))
    if not mapping:
        return {}
    with store.write() as con:
        _merge_all(con, mapping)
        for fp, gen in general.items():
            con.execute("UPDATE error_patterns SET template = ? WHERE error_hash = ?", [gen, fp])
    return mapping


def _merge_all(con, mapping: dict[str, str]) -> None:
    """Move each pattern ``old`` (no triage history) into ``mapping[old]``, set-based, inside the
    caller's transaction: counts and first/last seen, components, samples, events, outcomes, versions."""
    import polars as pl

    m = pl.DataFrame({"old": list(mapping), "new": list(mapping.values())})
    with registered(con, "_lk_merge", m.to_arrow()):
        con.execute("""UPDATE error_patterns AS p SET
                occurrence_count = coalesce(p.occurrence_count, 0) + agg.n,
                first_seen = least(p.first_seen, agg.f), last_seen = greatest(p.last_seen, agg.l),
                solution = coalesce(p.solution, agg.sol)
            FROM (SELECT m.new, sum(coalesce(o.occurrence_count, 0)) AS n, min(o.first_seen) AS f,
                         max(o.last_seen) AS l, any_value(o.solution) AS sol
                  FROM _lk_merge m JOIN error_patterns o ON o.error_hash = m.old GROUP BY m.new) agg
            WHERE p.error_hash = agg.new""")
        con.execute("""INSERT INTO pattern_components (error_hash, component, count, first_seen, last_seen)
            SELECT m.new, c.component, sum(c.count), min(c.first_seen), max(c.last_seen)
            FROM pattern_components c JOIN _lk_merge m ON c.error_hash = m.old GROUP BY m.new, c.component
            ON CONFLICT (error_hash, component) DO UPDATE SET count = pattern_components.count + excluded.count,
                first_seen = least(pattern_components.first_seen, excluded.first_seen),
                last_seen = greatest(pattern_components.last_seen, excluded.last_seen)""")
        con.execute("DELETE FROM pattern_components WHERE error_hash IN (SELECT old FROM _lk_merge)")
        for table, col in (
            ("pattern_samples", "error_hash"),
            ("fix_history", "error_hash"),
            ("pattern_versions", "error_hash"),
            ("error_events", "fingerprint"),
        ):
            con.execute(f"UPDATE {table} SET {col} = m.new FROM _lk_merge m WHERE {table}.{col} = m.old")
        con.execute("DELETE FROM error_patterns WHERE error_hash IN (SELECT old FROM _lk_merge)")
        # earlier ids that led to a merged pattern now lead to its survivor (chains end in one step)
        con.execute(
            "UPDATE fingerprint_map SET new_hash = m.new FROM _lk_merge m WHERE fingerprint_map.new_hash = m.old"
        )
        con.execute(
            f"INSERT INTO fingerprint_map (old_hash, new_hash, rules_version) "
            f"SELECT old, new, {CURRENT_VERSION} FROM _lk_merge"
        )


def follow(con, fps: list[str]) -> dict[str, str]:
    """Where each fingerprint's events go now: the survivor a merge recorded (itself when none)."""
    if not fps:
        return {}
    rows = con.execute(
        "SELECT old_hash, new_hash FROM fingerprint_map WHERE old_hash IN (SELECT unnest(?)) "
        "AND old_hash NOT IN (SELECT error_hash FROM error_patterns)",
        [fps],
    ).fetchall()
    return dict(rows)


__all__ = ["consolidate", "follow"]
