"""Two positions that vary together, and runs of version constraints of any length, are one event when
the batch shows it (analytics.patterns.pairs); states with few words around them stay events of their own."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest
from hypothesis import given, settings, strategies as st

from analytics.patterns.fingerprint import VAR
from analytics.patterns.templates import group, merge_templates

# pip's debug log (``pip install --log``): a requirement and the package that asked for it, per line
TRACKER = [
    ("charset_normalizer<4,>=2", "requests"),
    ("idna<4,>=2.5", "requests"),
    ("urllib3<3,>=1.21.1", "requests"),
    ("certifi>=2017.4.17", "requests"),
    ("markdown-it-py>=2.2.0", "rich"),
    ("pygments<3.0.0,>=2.13.0", "rich"),
    ("mdurl~=0.1", "markdown-it-py>=2.2.0->rich"),
]


def tracker_lines(pairs: list[tuple[str, str]]) -> list[str]:
    out = []
    for i, (req, parent) in enumerate(pairs):
        url = f"https://files.example.org/packages/{i}/pkg-{i}.whl"
        out.append(f"Added {req} from {url} (from {parent}) to build tracker '/tmp/pip-build-tracker-x{i}'")
    return out


def groups(lines: list[str]) -> list[str]:
    return sorted(set(group(pl.Series(lines, dtype=pl.String)).groups.to_list()))


def test_two_values_of_one_event_merge_once_enough_pairs_show_them_with_enough_words():
    assert groups(tracker_lines(TRACKER)) == ["Added <*> from <*> (from <*>) to build tracker '<*>'"]
    # four pairs merge; three are not yet evidence (the values one position needs with three words around it)
    assert len(groups(tracker_lines(TRACKER[:3] + TRACKER[4:5]))) == 1
    assert len(groups(tracker_lines(TRACKER[:2] + TRACKER[4:5]))) == 3
    # dpkg's ``status <state> <package> <version>``: hundreds of pairs, one word around them; its states
    # are events of their own. ``Collecting <requirement> (from <parent>)`` has two words: not enough.
    states = ["half-configured", "unpacked", "half-installed", "installed"]
    pkgs = [f"lib{c}{d}:amd64" for c in "abcdefgh" for d in "vwxyz"]
    lines = [f"status {s} {p} 1.{i}" for i, p in enumerate(pkgs) for s in states]
    got = groups(lines)
    assert len(got) == len(states) and all(any(s in g for g in got) for s in states)
    collecting = [f"Collecting {req} (from {parent})" for req, parent in TRACKER]
    assert len(groups(collecting)) > 1


def found_link(spec: str) -> str:
    link = "https://files.example.org/p/x-1.0.tar.gz (from https://pypi.org/simple/x/)"
    return f"Found link {link} (requires-python:{spec}), version: 1.0"


SPECS = [">=3.8", ">=3.7, <4", ">=2.7, !=3.0.*, !=3.1.*, <4", ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", "~=3.6"]


def test_a_run_of_constraints_is_one_value_whatever_its_length():
    assert groups([found_link(s) for s in SPECS]) == ["Found link <*> (from <*>) (requires-python:<*>), version: <*>"]
    # runs of three lengths only: not yet evidence
    assert len(groups([found_link(s) for s in SPECS[:3]])) == 3


_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(_word, _word), min_size=4, max_size=12, unique=True), st.sampled_from(["Added", "Removed"]))
def test_property_pairs_merge_into_a_template_that_matches_every_member(pairs, verb):
    """Four or more distinct pairs of lower-case words, each position holding two values or more, with
    four constant words around them: one group, and its template matches every member; capitalised values
    stay apart."""
    if len({a for a, _ in pairs}) < 2 or len({b for _, b in pairs}) < 2:
        return
    templates = [f"{verb} {a} from {VAR} (from {b}) to build tracker" for a, b in pairs]
    out = merge_templates(templates)
    assert len(set(out.values())) == 1
    pattern = re.compile("^" + re.escape(next(iter(out.values()))).replace(re.escape(VAR), ".+") + "$")
    assert all(pattern.match(t) for t in templates)
    # a capitalised word at one of the two positions stays constant: each of its values its own event
    capitalised = [f"{verb} {a.capitalize()} from {VAR} (from {b}) to build tracker" for a, b in pairs]
    for t, g in merge_templates(capitalised).items():
        assert g.split(" ")[1] == t.split(" ")[1]


@pytest.mark.slow
def test_learned_patterns_merge_by_the_same_rule(tmp_path):
    """Patterns learned live merge when a later batch shows the two values varying."""
    from analytics.patterns.learning import learn_from_events
    from analytics.store.database import Store

    store = Store(tmp_path / "p.duckdb")
    t0 = dt.datetime(2026, 12, 1, 10, 0)
    for minute, part in enumerate((TRACKER[:3], TRACKER[3:])):
        msgs = tracker_lines(part)
        store.append(
            "error_events",
            pl.DataFrame(
                {
                    "ts": [t0 + dt.timedelta(minutes=minute)] * len(msgs),
                    "host": "h",
                    "component": "pip",
                    "message": msgs,
                    "source": "tail:/tmp/pip.log",
                }
            ),
        )
        learn_from_events(store)
    rows = store.query("SELECT template, occurrence_count FROM error_patterns").rows()
    assert rows == [("Added <*> from <*> (from <*>) to build tracker '<*>'", len(TRACKER))]
