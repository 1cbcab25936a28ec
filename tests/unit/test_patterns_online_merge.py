"""Patterns learned online merge when the data shows a position varies, and the triaged pattern keeps its
id and history: new events of the merged forms count onto it, old ids and messages still resolve, and two
patterns that both hold triage history are never merged."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analytics.patterns.learning import get_pattern, learn_from_events, record_outcome, resolve
from analytics.store.database import Store

T = dt.datetime(2026, 12, 1, 10, 0)


def add(store: Store, msgs: list[str], minutes: int = 0):
    store.append(
        "error_events",
        pl.DataFrame(
            {
                "ts": [T + dt.timedelta(minutes=minutes)] * len(msgs),
                "host": "h",
                "component": "dpkg",
                "message": msgs,
                "source": "tail:/var/log/dpkg.log",
            }
        ),
    )
    return learn_from_events(store)


def patterns(store: Store) -> list[tuple[str, str, int]]:
    return store.query("SELECT error_hash, template, occurrence_count FROM error_patterns ORDER BY 1").rows()


@pytest.mark.slow
def test_a_triaged_pattern_keeps_its_id_when_its_template_generalises(migrated, tmp_path):
    store = migrated(tmp_path / "p.duckdb")
    add(store, ["2026-12-01 10:00:00 status unpacked libfoo:amd64 1.2-3"])
    [(fp, template, _)] = patterns(store)
    assert "libfoo" in template
    record_outcome(store, fp, True)  # the user triaged this one
    add(
        store,
        [
            "2026-12-01 10:01:00 status unpacked libbar:amd64 2.0",
            "2026-12-01 10:01:01 status unpacked libbaz:amd64 3.1",
            "2026-12-01 10:01:02 status unpacked zlib1g:amd64 1.0",
        ],
        minutes=1,
    )
    assert patterns(store) == [(fp, "status unpacked <*>", 4)]  # one pattern, the triaged id
    p = get_pattern(store, fp)
    assert (p["success_count"], p["occurrence_count"]) == (1, 4)  # its outcome stayed with it
    # a message of a merged form, or an id of a merged pattern, leads to it
    assert resolve(store, "status unpacked libbar:amd64 2.0") == fp
    merged = store.query("SELECT old_hash FROM fingerprint_map WHERE new_hash = ?", [fp])["old_hash"].to_list()
    assert len(merged) == 3 and all(resolve(store, h) == fp for h in merged)
    # later lines of an old form or of a new value count onto it, no new pattern
    add(
        store,
        [
            "2026-12-01 10:02:00 status unpacked libbar:amd64 2.1",
            "2026-12-01 10:02:01 status unpacked libqux:amd64 4.4",
        ],
        minutes=2,
    )
    assert patterns(store) == [(fp, "status unpacked <*>", 6)]
    assert store.scalar("SELECT count(DISTINCT fingerprint) FROM error_events") == 1


@pytest.mark.slow
def test_two_triaged_patterns_are_not_merged(migrated, tmp_path):
    store = migrated(tmp_path / "p.duckdb")
    add(store, ["pam_unix: session opened for user root by admin", "pam_unix: session opened for user news by admin"])
    first = {fp for fp, *_ in patterns(store)}
    assert len(first) == 2  # two values are not yet evidence of a variable
    for fp in first:
        record_outcome(store, fp, True)
    add(store, ["pam_unix: session opened for user cyrus by admin"], minutes=1)
    kept = {fp for fp, *_ in patterns(store)}
    assert first <= kept and len(kept) == 3  # both triaged ids still there, each with its outcome
    assert all(get_pattern(store, fp)["success_count"] == 1 for fp in first)


def test_distinct_events_stay_distinct(migrated, tmp_path):
    """Capitalised states and two-value positions are not variables: nothing merges."""
    store = migrated(tmp_path / "p.duckdb")
    add(store, ["VM Paused on host alpha", "VM Started on host alpha", "disk sda full", "disk sdb full"])
    assert len(patterns(store)) == 4


def test_command_lines_merge_into_one_pattern_and_later_runs_join_it(migrated, tmp_path):
    """apt's ``Commandline:`` runs are stored one pattern each until runs of four lengths show the command
    varies; then one pattern, and a later run of a new form counts onto it, even once its stored samples
    are all of one form. Sentences under a label (``PCI:``) stay apart."""
    store = migrated(tmp_path / "p.duckdb")
    runs = [
        "Commandline: apt-get -qqy upgrade",
        "Commandline: apt-get install -y tzdata",
        "Commandline: apt-get install -y -q redis-server",
    ]
    kernel = ["PCI: Using configuration type 1", "PCI: Invalid ACPI-PCI IRQ routing table", "SELinux: Initializing."]
    add(store, runs + kernel)
    assert len(patterns(store)) == 6  # three lengths are not yet evidence
    add(store, ["Commandline: apt-get install -y --no-install-recommends postgresql postgresql-contrib"], minutes=1)
    merged = [p for p in patterns(store) if p[1].startswith("Commandline:")]
    assert [(t, n) for _, t, n in merged] == [("Commandline: apt-get <*>", 4)]
    assert len([t for _, t, _ in patterns(store) if t.startswith(("PCI:", "SELinux:"))]) == 3
    # runs of one form, twice: the second time they count onto the merged pattern, and its stored samples
    # turn over to that one form; then a run of a form never seen before arrives
    for minute in (2, 3):
        add(store, [f"Commandline: apt-get install -y pkg{minute}{i}x" for i in range(8)], minutes=minute)
    [(fp, _, _)] = [p for p in patterns(store) if p[1].startswith("Commandline:")]
    kinds = store.query(
        "SELECT DISTINCT regexp_replace(message, '[0-9]', '', 'g') AS m FROM pattern_samples WHERE error_hash = ?", [fp]
    )
    assert kinds["m"].to_list() == ["Commandline: apt-get install -y pkgx"]
    add(store, ["Commandline: apt-get -o APT::Sandbox::User=root install -y -qq cmake ninja-build"], minutes=4)
    assert [(h, n) for h, t, n in patterns(store) if t.startswith("Commandline:")] == [(fp, 21)]
    assert len(patterns(store)) == 4
