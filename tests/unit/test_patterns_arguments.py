"""Command lines after a label (``Commandline: apt-get install -y tzdata``) are one pattern when the data
shows their length varying; sentences under a label, and other programs, stay events of their own."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from analytics.patterns.arguments import argument_key, argument_keys, command_of, value_key
from analytics.patterns.fingerprint import VAR
from analytics.patterns.templates import group, merge_templates, template_of

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
    # a variable first word (a program given by its path): a command only where an option says so
    assert command_of("Commandline: <*> install vim") == ("Commandline: <*> <*>", False)
    assert command_of("Commandline: <*> install -y vim") == ("Commandline: <*> <*>", True)
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


# -- command lines with no label: sudo's COMMAND= field, cron's CMD (...), a bare path ------------------

_HOST = "Mar  3 04:0{i}:1{i} box7 "


def _sudo(user: str, cmd: str, i: int = 0, what: str = "") -> str:
    return f"{_HOST.format(i=i % 10)}sudo: {user} : {what}TTY=pts/{i} ; PWD=/home/{user} ; USER=root ; COMMAND={cmd}"


#: commands run by their paths, with as many arguments as each run took
SUDO_RUNS = [
    "/usr/bin/apt update",
    "/usr/bin/apt install -y jq",
    "/usr/bin/systemctl restart web-frontend.service --no-block",
    "/usr/local/sbin/rotate-keys --all --force --quiet now",
    "/bin/bash",
]


def test_sudo_commands_are_one_pattern_and_its_other_events_stay_apart():
    runs = [_sudo("carol", c, i) for i, c in enumerate(SUDO_RUNS)]
    denied = [_sudo("mallory", c, i, "user NOT in sudoers ; ") for i, c in enumerate(SUDO_RUNS)]
    session = [
        f"{_HOST.format(i=1)}sudo: pam_unix(sudo:session): session opened for user root(uid=0) by carol(uid=1001)"
    ]
    g = group(runs + denied + session, raw=True).groups.to_list()
    ran, refused = set(g[: len(runs)]), set(g[len(runs) : -1])
    assert ran == {"carol : TTY=<*> ; PWD=<*> ; USER=root ; COMMAND=<*> <*>"}, ran
    assert len(refused) == 1 and refused != ran, refused  # a refusal is another event, one pattern too
    assert g[-1] not in ran | refused


def test_cron_jobs_run_by_path_are_one_pattern_across_users():
    """Two users each ran jobs of several lengths under the same structure: the user is a variable too."""
    jobs = [
        "/opt/tools/bin/snapshot --keep 7",
        "/opt/tools/bin/snapshot --keep 30 --prune",
        "/usr/local/bin/mirror-sync -q",
        "/usr/local/bin/mirror-sync -q --delete --exclude cache tmp",
        "/srv/app/bin/report",
    ]
    lines = [f"{_HOST.format(i=i)}CRON[{4100 + i}]: (root) CMD ({j})" for i, j in enumerate(jobs)]
    other_user = [f"{_HOST.format(i=i)}CRON[{4200 + i}]: (deploy) CMD ({j})" for i, j in enumerate(jobs)]
    shell = [f"{_HOST.format(i=2)}CRON[4300]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)"]
    g = group(lines + other_user + shell, raw=True).groups.to_list()
    assert set(g[:-1]) == {"(<*>) CMD (<*> <*>)"}, g
    assert g[-1] == "(root) CMD (cd <*> && run-parts --report <*>)"  # another program, one run: itself


def test_sudo_users_become_a_variable_once_two_of_them_ran_several_commands():
    """auth.log on a shared server: alice and bob each ran several commands; the user in front is a
    value of the same event, as their commands are (learned from the runs, no list of users); carol's
    one run then joins them. Beside alice alone, carol's run is no evidence yet: it stays its own. A
    label's word
    (``started:``/``finished:``) names its own event however many runs each has."""
    alice = [
        "/usr/bin/apt update",
        "/usr/bin/apt upgrade -y",
        "/usr/bin/systemctl restart nginx",
        "/usr/sbin/nginx -t",
    ]
    bob = [
        "/usr/bin/journalctl -u nginx --since today",
        "/usr/bin/systemctl status nginx",
        "/usr/bin/tail -n 200 /var/log/nginx/error.log",
        "/bin/bash",
    ]
    lines = [_sudo("alice", c, i) for i, c in enumerate(alice)] + [_sudo("bob", c, i) for i, c in enumerate(bob)]
    carol = _sudo("carol", "/usr/bin/docker ps -a", 7)
    session = f"{_HOST.format(i=1)}sudo: pam_unix(sudo:session): session closed for user root"
    runs = ["/usr/bin/rsync -a", "/usr/bin/rsync -a --delete x", "/usr/bin/rsync", "/usr/bin/rsync -a -v y z"]
    backup = [f"{_HOST.format(i=2)}backup[9]: {w}: {r}" for w in ("started", "finished") for r in runs]
    g = group([*lines, carol, session, *backup], raw=True).groups.to_list()
    n = len(lines)
    assert set(g[:n]) == {"<*> : TTY=<*> ; PWD=<*> ; USER=root ; COMMAND=<*> <*>"}, g
    assert g[n] == g[0]
    assert g[n + 1] == "pam_unix(sudo:session): session closed for user root"
    assert len(set(g[n + 2 : n + 6])) == 1 and len(set(g[n + 6 :])) == 1 and g[n + 2] != g[n + 6], g[n + 2 :]
    alone = group([*lines[: len(alice)], carol], raw=True).groups.to_list()
    assert alone[-1].startswith("carol : ") and alone[0].startswith("alice : "), alone


def test_bare_command_lines_are_one_pattern_and_sentences_after_a_path_stay_apart():
    commands = [
        "/usr/sbin/exampled -f",
        "/usr/sbin/exampled -f --config /etc/exampled.conf",
        "/opt/agent/bin/agent --mode push --interval 30s --tag blue",
        "/opt/agent/bin/agent --once",
        "/usr/libexec/helper -vv --socket /run/helper.sock --user nobody --group nogroup",
    ]
    sentences = [
        "/var/lib/thing is not a directory",
        "/var/lib/thing was removed",
        "/etc/thing.conf has been replaced by a newer version",
        "/srv/data is up to date",
    ]
    m = group(commands + sentences).groups.to_list()
    assert set(m[: len(commands)]) == {f"{VAR} {VAR}"}, m
    assert len(set(m[len(commands) :])) == len(sentences), m  # no option: not a command line


# -- a label's value: pip's requirements -------------------------------------------------------------


def _req(pkg: str, spec: str, parent: str | None, version: str) -> str:
    frm = f" (from {parent})" if parent else ""
    return f"Requirement already satisfied: {pkg}{spec} in /srv/env/lib/python3.12/site-packages{frm} ({version})"


REQS = [
    _req("alpha-kit", ">=1.2", "demoapp==0.3.0", "1.4.0"),
    _req("omega-fmt", "", "demoapp==0.3.0", "0.2"),
    _req("betaparse", "", "alpha-kit>=1.2->demoapp==0.3.0", "2.0.1"),
    _req("gamma_io", "<3,>=2.1", "demoapp==0.3.0", "2.9"),
    _req("deltax", "~=0.8", "betaparse->alpha-kit>=1.2->demoapp==0.3.0", "0.8.4"),
    _req("epsilon", "!=1.0.*,>=0.9", "demoapp==0.3.0", "1.1"),
    _req("zetaz", "==4.1", "gamma_io<3,>=2.1->demoapp==0.3.0", "4.1"),
]


def test_pip_requirements_are_one_pattern():
    lines = [f"2026-03-03T04:05:0{i},12{i} {r}" for i, r in enumerate(REQS)]
    lines += ["2026-03-03T04:05:09,001 Collecting alpha-kit>=1.2 (from demoapp==0.3.0)"]
    g = group(lines, raw=True).groups.to_list()
    assert set(g[: len(REQS)]) == {"Requirement already satisfied: <*> in <*> (from <*>) (<*>)"}, g
    assert g[-1] not in g[: len(REQS)]


def test_a_label_value_needs_the_evidence_of_a_varying_word():
    """Three packages with four constant words around them are not yet evidence (``min_values`` 4); the
    merged name with one more is (a pattern merged before keeps merging); a capitalised value starts a
    sentence."""
    few = [template_of(r) for r in REQS[:4] if "(from demoapp" in r]
    assert len(few) == 3 and merge_templates(few) == {t: t for t in few}
    name = "Requirement already satisfied: <*> in <*> (from <*>) (<*>)"
    m = merge_templates([name, template_of(REQS[1])])
    assert set(m.values()) == {name}
    assert value_key("Note: Skipping link in <*>") is None


def test_phrases_under_a_label_stay_apart_even_with_little_context():
    """Words that each bring their own next word (``bad sector``, ``loose cable``), padded to one width
    and glued to a value, are phrases: no rest is shared by several of them, so even the evidence of two
    constant words (``context=2``) does not make them one, while requirements sharing a parent do."""
    phrases = ["bad sector", "loose cable", "worn bearing", "stale lock", "cold start"]
    lines = [f"unit fault: {p}{'.' * (14 - len(p))}0x{i:04x}" for i, p in enumerate(phrases)]
    ts = [template_of(x) for x in lines]
    assert merge_templates(ts, context=2) == {t: t for t in ts}
    reqs = [template_of(_req(p, ">=1.0", "demoapp==0.3.0", "1.1")) for p in ("ka", "kb", "kc", "kd")]
    assert len(set(merge_templates(reqs, context=2).values())) == 1


def test_the_merged_names_group_again():
    """A store holds the merged pattern's name beside a new run: the new run joins it."""
    for name, new in [
        ("carol : TTY=<*> ; PWD=<*> ; USER=root ; COMMAND=<*> <*>", _sudo("carol", "/usr/bin/apt purge -y x")),
        ("(root) CMD (<*> <*>)", f"{_HOST.format(i=1)}CRON[1]: (root) CMD (/usr/bin/true)"),
        (f"{VAR} {VAR}", "/usr/bin/foo --bar"),
    ]:
        t = group([new], raw=True).templates[0]
        assert set(merge_templates([name, t]).values()) == {name}, (name, t)


_paths = st.lists(_words, min_size=1, max_size=4).map(lambda p: "/" + "/".join(p))
_args = st.lists(st.one_of(_words, _words.map(lambda w: "--" + w), _paths), min_size=0, max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_paths, _args), min_size=4, max_size=12), _words, st.data())
def test_property_varying_arguments_never_split_a_sudo_command(runs, user, data):
    """Once a user's commands come in four lengths with an option among them, every run of that user is
    one pattern, whatever the programs and however many arguments each took."""
    runs = [(p, ["-x", *a]) if i == 0 else (p, a) for i, (p, a) in enumerate(runs)]
    lines = [_sudo(user, " ".join([p, *a]), i) for i, (p, a) in enumerate(runs)]
    grouped = group(lines, raw=True)
    if len({t.count(" ") for t in grouped.templates.to_list()}) < 4:
        return  # adjacent paths are one variable once masked: fewer lengths than runs
    g = grouped.groups.to_list()
    assert len(set(g)) == 1, g
    extra = data.draw(st.tuples(_paths, _args))
    g2 = group([*lines, _sudo(user, " ".join([extra[0], *extra[1]]), 9)], raw=True).groups.to_list()
    assert len(set(g2)) == 1, g2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_words, min_size=12, max_size=30, unique=True), _words, _words)
def test_property_two_labels_never_merge(pkgs, a, b):
    """Values under two different labels, however many, stay two patterns: one per label."""
    if a == b:
        return
    la, lb = f"{a.capitalize()} done:", f"{b.capitalize()} done:"
    # each value with its own requirement, and one of three parents: no single position varies
    lines = [f"{la} {p}>=1.{i} in /srv/{p} (from {pkgs[i % 3]}==2) (1.{i})" for i, p in enumerate(pkgs)]
    lines += [f"{lb} {p}>=1.{i} in /srv/{p} (from {pkgs[i % 3]}==2) (1.{i})" for i, p in enumerate(pkgs)]
    g = group(lines).groups.to_list()
    first, second = set(g[: len(pkgs)]), set(g[len(pkgs) :])
    assert not first & second
    assert len(first) == 1 and len(second) == 1, (first, second)
