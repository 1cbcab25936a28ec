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
    # are events of their own
    states = ["half-configured", "unpacked", "half-installed", "installed"]
    pkgs = [f"lib{c}{d}:amd64" for c in "abcdefgh" for d in "vwxyz"]
    lines = [f"status {s} {p} 1.{i}" for i, p in enumerate(pkgs) for s in states]
    got = groups(lines)
    assert len(got) == len(states) and all(any(s in g for g in got) for s in states)


# ``pip install --log`` of this machine: each requirement collected once, the package that asked for it
COLLECTING = [
    "2026-12-07T07:07:21,489 Collecting httpx",
    "2026-12-07T07:07:23,189 Collecting charset_normalizer<4,>=2 (from requests)",
    "2026-12-07T07:07:23,296 Collecting idna<4,>=2.5 (from requests)",
    "2026-12-07T07:07:23,537 Collecting certifi>=2023.5.7 (from requests)",
    "2026-12-07T07:07:23,647 Collecting anyio (from httpx)",
    "2026-12-07T07:07:23,940 Collecting markdown-it-py>=2.2.0 (from rich)",
    "2026-12-07T07:07:24,475 Collecting MarkupSafe>=2.0 (from jinja2)",
]


def raw_groups(lines: list[str]) -> list[str]:
    return group(pl.Series(lines, dtype=pl.String), raw=True).groups.to_list()


def test_two_values_with_two_words_around_them_merge_when_they_look_like_values():
    """Two words around the pair: one position holds a new value in every line and the other repeats one
    (``requests``) while two of its values are seen once: one event. The requirement whose parent is
    masked (``(from <*>)``) holds the group's variable there and joins it."""
    got = raw_groups(COLLECTING)
    assert got[1:] == ["Collecting <*> (from <*>)"] * 6
    assert got[0] == "Collecting httpx"  # another form: no parent
    # a state and the packages in it, with two words around them: each package once, but every state seen
    # with several packages and none once, so the states stay apart (each state's packages are one event)
    pkgs = {"installed": ["zlib", "bash", "less", "grep"], "unpacked": ["tar", "gzip", "sed", "perl"]}
    got = groups([f"dpkg: status {s} {p}" for s, ps in pkgs.items() for p in ps])
    assert got == ["dpkg: status installed <*>", "dpkg: status unpacked <*>"]
    # a package seen in two states: states and what they apply to, though two states are seen once
    crossed = [("installed", "zlib"), ("unpacked", "zlib"), ("installed", "bash"), ("unpacked", "bash")]
    crossed += [("half-configured", "tar"), ("triggers-pending", "sed")]
    assert len(groups([f"dpkg: status {s} {p}" for s, p in crossed])) == len(crossed)
    # names of their own (BGL's program interrupts), every value once on both sides: each its own event
    interrupts = ["fp cr field .............0", "fp cr update.............0", "illegal instruction......0"]
    interrupts += ["imprecise exception......0", "privileged instruction...0", "trap instruction.........0"]
    interrupts += ["unimplemented operation..0"]
    assert len(groups([f"program interrupt: {x}" for x in interrupts])) == len(interrupts)
    # and one word around the pair is never enough, whatever the pairs look like
    one_word = [f"status {s} {p}" for s, p in (("installed", "zlib"), ("installed", "bash"), ("unpacked", "tar"))]
    one_word += ["status half-configured sed", "status half-installed perl"]
    assert len(groups(one_word)) == len(one_word)


def test_a_template_in_two_pair_groups_is_one_group_named_by_both():
    """(what, where) vary for alice, (what, whom) in the yard, and ``maps to yard for alice`` is in both:
    one event, its name varying at all three, and every member matches it."""
    triples = [
        ("maps", "yard", "alice"),
        ("logs", "barn", "alice"),
        ("notes", "shed", "alice"),
        ("keys", "attic", "alice"),
    ]
    triples += [
        ("maps", "yard", "bob"),
        ("tiles", "yard", "carol"),
        ("wires", "yard", "dave"),
        ("books", "yard", "erin"),
    ]
    templates = [f"copied {a} to {b} for {c} with the nightly job" for a, b, c in triples]
    out = merge_templates(templates)
    assert set(out.values()) == {"copied <*> to <*> for <*> with the nightly job"}


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
