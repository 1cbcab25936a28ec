"""Command lines after a label (``Commandline: apt-get install -y tzdata``) are one pattern when the data
shows their length varying; sentences under a label, and other programs, stay events of their own."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from analytics.patterns.arguments import argument_key, argument_keys
from analytics.patterns.fingerprint import VAR
from analytics.patterns.templates import group, merge_templates

#: apt's history.log on a build machine: every run was a pattern of its own (14 runs, 14 patterns)
RUNS = [
    "Commandline: apt-get -qqy upgrade",
    "Commandline: apt-get install -qqy curl python3-dev python3-crcmod apt-transport-https lsb-release git",
    "Commandline: apt-get install -y tzdata",
    "Commandline: apt-get install -y -q redis-server",
    "Commandline: apt-get install -y --no-install-recommends postgresql postgresql-contrib",
    "Commandline: apt-get -o Dir::Etc::sourcelist=/dev/null -o APT::Sandbox::User=root install -y -qq cmake",
]


def test_apt_command_lines_are_one_pattern():
    lines = [f"2026-05-09  07:2{i}:02 {r}" for i, r in enumerate(RUNS)] + ["Start-Date: 2026-05-09  07:29:02"]
    g = group(lines, raw=True).groups.to_list()
    assert g[: len(RUNS)] == ["Commandline: apt-get <*>"] * len(RUNS)
    assert g[-1] == "Start-Date: <*>"


def test_sentences_under_a_label_stay_apart():
    """The Linux kernel's ``PCI:`` lines start with different, capitalised words; BGL's ``ciod: Error ...``
    lines share their first word and come in four lengths, but a capitalised word starts a sentence, not a
    program: each stays its own event."""
    kernel = [
        "PCI: Using configuration type 1",
        "PCI: Invalid ACPI-PCI IRQ routing table",
        "PCI: Probing PCI hardware",
        "PCI: Probing PCI hardware (bus 00)",
        "PCI: Using IRQ router PIIX/ICH [8086/24c0] at 0000:00:1f.0",
        "PCI: PCI BIOS revision 2.10 entry at 0xfc0ce, last bus=1",
        "SELinux: Initializing.",
        "SELinux: Starting in permissive mode",
        "SELinux: Registering netfilter hooks",
    ]
    ciod = [
        "ciod: Error loading /bin/app: invalid or missing program image, No such file or directory",
        "ciod: Error creating node map from file /p/map: Bad file descriptor",
        "ciod: Error creating node map from file /p/map: Block device required",
        "ciod: Error reading message prefix on CioStream socket to 10.0.0.1:1, Link has been severed",
        "ciod: Error loading /bin/app: invalid or missing program image, Exec format error",
        "ciod: Error opening file",
    ]
    for lines in (kernel, ciod):
        g = group(lines).groups.to_list()
        assert len(set(g)) == len(lines), g


def test_the_data_must_show_the_length_varying():
    """Three runs of three lengths are not yet evidence (the ``min_values`` a varying word needs); the
    merged pattern's own template among them is (a store that merged before keeps merging)."""
    few = RUNS[:3]
    assert merge_templates(few) == {t: t for t in few}
    m = merge_templates([*few[:1], "Commandline: apt-get <*>"])
    assert set(m.values()) == {"Commandline: apt-get <*>"}


def test_another_program_under_the_label_is_another_pattern():
    other = ["Commandline: aptitude safe-upgrade", "Commandline: aptitude install -y vim"]
    m = merge_templates(RUNS + other)
    assert {m[r] for r in RUNS} == {"Commandline: apt-get <*>"}
    assert m[other[0]] == other[0] and m[other[1]] == other[1]
    assert argument_key("Commandline: Running apt-get") is None  # a capitalised first word: a sentence
    assert argument_key("Commandline: <*> install vim") is None  # a variable first word: no program named
    assert argument_key("<*>: apt-get install vim") is None  # a label that names nothing
    assert argument_key("update-alternatives <*>: run with --install <*>") == "update-alternatives <*>: run <*>"


_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_words, min_size=1, max_size=12), min_size=4, max_size=10), _words, _words)
def test_property_only_a_lower_case_first_word_heads_a_command(tails, label, word):
    """Under one label, rests of pairwise different lengths after the same first word: one pattern when the
    word is written as a program is (lower case), none when it is capitalised (a sentence)."""
    by_len = {len(t): t for t in tails}
    if len(by_len) < 4:
        return
    rests = [" ".join(t) for t in by_len.values()]
    program = [f"{label}: {word} {r}" for r in rests]
    assert set(argument_keys(program, 4).values()) == {f"{label}: {word} {VAR}"}
    assert len(set(merge_templates(program).values())) == 1
    sentence = [f"{label}: {word.capitalize()} {r}" for r in rests]
    assert argument_keys(sentence, 4) == {}
    assert merge_templates(sentence) == {t: t for t in sentence}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_property_argument_key_never_crashes_and_keeps_the_head(s):
    key = argument_key(s)
    if key is not None:
        head = key[: -len(VAR) - 1]
        assert key.endswith(" " + VAR) and (s + " ").startswith(head + " ")
