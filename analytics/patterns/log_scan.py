"""``lokifi patterns scan``: the patterns of raw log files, read as a stream, with when each was first
and last seen by the log's own clock. Reading the files (decompression, bounds, notes on bad input) is
:mod:`analytics.patterns.logread`'s."""

from __future__ import annotations

import datetime as dt
import os

from analytics.patterns.logread import CHUNK_BYTES, InputError, LineStats, ScanInputError, line_chunks


def _expand_directories(paths: list[str], warnings: list[str], shown: dict[str, str]) -> list[str]:
    """Each directory among ``paths`` replaced by the text files under it (notes on what was left out);
    ``shown`` gets each such file's name as messages give it: relative to its directory."""
    from analytics.patterns.logfiles import log_files_under

    out: list[str] = []
    for p in paths:
        if p != "-" and os.path.isdir(p):
            files, notes = log_files_under(p)
            out.extend(files)
            shown.update((f, os.path.relpath(f, p)) for f in files)
            warnings.extend(notes)
        else:
            out.append(p)
    return out


#: a clock time (``14:36:25``) in a line's first 120 characters: the line may say when it was written
_CLOCK = r"\d:\d{2}:\d{2}"


def scan_paths(paths: list[str], errors_only: bool = False, chunk_bytes: int = CHUNK_BYTES) -> dict:
    """The patterns of raw log files, read as a stream: per group the count, type, first/last seen, an
    example, components; memory stays near one block of input plus one entry per distinct template. A
    directory stands for the text files under it (:func:`analytics.patterns.logfiles.log_files_under`)."""
    import numpy as np
    import polars as pl

    from analytics.patterns.classify import classify
    from analytics.patterns.fingerprint import CURRENT, fingerprint
    from analytics.patterns.json_message import json_level, json_time
    from analytics.patterns.line_time import line_time
    from analytics.patterns.logline import parse_line, time_inside
    from analytics.patterns.multiline import STAMP_PATTERN, MultilineFolder
    from analytics.patterns.severity import error_mask, folded_parts, keyed_level
    from analytics.patterns.templates import group, merge_templates

    # template -> [count, first k, first text, first (path, line), first carrier, last k, last text,
    # last (path, line), last carrier]; a carrier is the last line before the event, in its file, that
    # shows a time: an event without a time of its own (``Install:`` in apt's history.log, between its
    # stanza's ``Start-Date:`` and ``End-Date:``) was written after it
    seen: dict[str, list] = {}
    # template -> file -> [its first record, its last record] there, a record being (text, (path, line),
    # carrier): files are given in any order (app.log before app.log.1), so the first and last seen are
    # chosen among each file's ends by the time they show, not by the order they were read
    ends: dict[str, dict[str, list]] = {}
    warnings: list[str] = []
    shown: dict[str, str] = {}  # a file found under a directory given: its name relative to it
    paths = _expand_directories(paths, warnings, shown)
    physical = events_n = kept = 0
    carry: str | None = None  # the current file's last line that shows a time

    def absorb(events: list[tuple]) -> None:
        nonlocal events_n, kept, carry
        if not events:
            return
        texts = [e[0] for e in events]
        wheres = [e[3] for e in events]
        events_n += len(texts)
        col = pl.Series("l", texts, dtype=pl.String)
        timed = col.str.slice(0, 120).str.contains(_CLOCK).to_numpy()
        # each event's carrier: the last timed event before it (-1: one of an earlier block, ``carry``)
        at = np.maximum.accumulate(np.where(timed, np.arange(len(texts)), -1))
        before = np.concatenate(([-1], at[:-1]))
        carried_in = carry
        all_texts = texts
        if at[-1] >= 0:
            carry = texts[int(at[-1])]
        if errors_only:
            keep = error_mask(col, *folded_parts(events)).to_list()
            texts = [t for t, k in zip(texts, keep, strict=True) if k]
            wheres = [w for w, k in zip(wheres, keep, strict=True) if k]
            before = before[np.asarray(keep, dtype=bool)]
        if not texts:
            return

        def carrier(i: int) -> str | None:
            return all_texts[int(before[i])] if before[i] >= 0 else carried_in

        g = group(texts, raw=True, merge=False)
        idx = np.asarray(g.index)
        tmpl = g.distinct_templates.to_list()
        order = np.arange(len(idx))
        first = np.full(len(tmpl), len(idx), dtype=np.int64)
        np.minimum.at(first, idx, order)
        last = np.full(len(tmpl), -1, dtype=np.int64)
        np.maximum.at(last, idx, order)
        counts = np.bincount(idx, minlength=len(tmpl))
        for j, t in enumerate(tmpl):
            f, la = int(first[j]), int(last[j])
            rec = seen.get(t)
            last_rec = [kept + la, texts[la], wheres[la], carrier(la)]
            per_file = ends.setdefault(t, {})
            here = per_file.get(wheres[f][0])
            if here is None:
                per_file[wheres[f][0]] = [(texts[f], wheres[f], carrier(f)), tuple(last_rec[1:])]
            else:
                here[1] = tuple(last_rec[1:])
            if rec is None:
                seen[t] = [int(counts[j]), kept + f, texts[f], wheres[f], carrier(f), *last_rec]
            else:
                rec[0] += int(counts[j])
                rec[5:9] = last_rec
        kept += len(texts)

    for p in paths:
        carry = None
        stats = LineStats()
        folder: MultilineFolder = MultilineFolder()
        n0 = 0
        try:
            for lines in line_chunks(p, stats, chunk_bytes):
                stamps = pl.Series(lines, dtype=pl.String).str.extract(f"^({STAMP_PATTERN})", 1).str.len_chars()
                places = [(p, n0 + i + 1) for i in range(len(lines))]
                absorb(folder.feed_lines(lines, places, stamps.fill_null(0).to_list()))
                n0 += len(lines)
        except InputError as exc:
            raise ScanInputError(str(exc)) from None
        absorb(folder.flush())
        physical += stats.lines
        warnings.extend(stats.notes(p))
    mapping = (
        merge_templates(list(seen), CURRENT.merge_min_values, CURRENT.merge_context, CURRENT.merge_growth)
        if CURRENT.merge_min_values >= 2
        else {}
    )
    groups: dict[str, list] = {}
    group_ends: dict[str, list] = {}
    for t, rec in seen.items():
        gname = mapping.get(t, t)
        group_ends.setdefault(gname, []).extend(r for pair in ends.get(t, {}).values() for r in pair)
        cur = groups.get(gname)
        if cur is None:
            groups[gname] = list(rec)
            continue
        cur[0] += rec[0]
        if rec[1] < cur[1]:
            cur[1:5] = rec[1:5]
        if rec[5] > cur[5]:
            cur[5:9] = rec[5:9]
    out = []

    def where(w: tuple[str, int]) -> str:
        return f"line {w[1]}" + (f" of {shown.get(w[0], w[0])}" if len(paths) > 1 else "")

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    def time_of(text: str | None) -> str | None:
        """The time the line shows, as it writes it; else (an access log's ``[06/Dec/2026:02:17:03
        +0000]``) as the tail reads it, in UTC."""
        if text is None:
            return None
        shown = parse_line(text).time or json_time(text) or time_inside(text)
        if shown:
            return shown
        read = line_time(text, now)
        return f"{read:%Y-%m-%d %H:%M:%S}Z" if read else None

    def when(r: tuple) -> dt.datetime | None:
        return line_time(r[0], now) or (line_time(r[2], now) if r[2] else None)

    for gname, (n, _k0, t0, w0, c0, _k1, t1, w1, c1) in sorted(groups.items(), key=lambda kv: (-kv[1][0], kv[1][1])):
        candidates = group_ends.get(gname, [])
        if len({r[1][0] for r in candidates}) > 1:  # in several files: the earliest and latest by their times
            timed = [(w, r) for r in candidates if (w := when(r)) is not None]
            if timed:
                t0, w0, c0 = min(timed, key=lambda x: x[0])[1]
                t1, w1, c1 = max(timed, key=lambda x: x[0])[1]
        first = parse_line(t0)
        own0, own1 = time_of(t0), time_of(t1)
        # no time of its own: the time of the last line before it that has one, marked as such
        was0 = None if own0 else time_of(c0)
        was1 = None if own1 else time_of(c1)
        out.append(
            {
                "id": fingerprint(gname)[:12],
                "count": int(n),
                "type": classify(first.message),
                "first_seen": own0 or was0 or where(w0),
                "last_seen": own1 or was1 or where(w1),
                "first_seen_inferred": was0 is not None,
                "last_seen_inferred": was1 is not None,
                "example": first.message[:2000],
                "template": gname[:2000],
                "component": first.source,
                "level": first.level or json_level(t0) or keyed_level(t0),
            }
        )
    return {
        "files": list(paths),
        "lines": physical,
        "events": events_n,
        "scanned": kept,
        "patterns": out,
        "warnings": warnings,
    }
