"""The nine-type classifier, measured on labelled real-format messages (tests/data/labelled_errors*.tsv)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, strategies as st
from repo_paths import DATA

from analytics.patterns.classify import TYPES, accuracy, classify, load_labelled, normalise_type


def test_labelled_set_is_big_and_covers_every_type():
    rows = load_labelled(DATA / "labelled_errors.tsv")
    assert len(rows) >= 300
    assert {t for t, _, _ in rows} == set(TYPES)
    for name in ("labelled_errors_holdout.tsv", "labelled_errors_holdout2.tsv"):
        assert all(t in TYPES for t, _, _ in load_labelled(DATA / name))
    sources = {s for _, s, _ in rows}
    assert {
        "nginx",
        "postgres",
        "redis",
        "node",
        "python",
        "java",
        "systemd",
        "docker",
        "kubernetes",
        "ssh",
        "disk",
    } <= sources


def test_accuracy_on_development_set():
    r = accuracy(load_labelled(DATA / "labelled_errors.tsv"))
    # the classifier was written with this set in view: this guards against regressions
    assert r["accuracy"] >= 0.95, r["wrong"][:10]


def test_accuracy_on_second_set():
    r = accuracy(load_labelled(DATA / "labelled_errors_holdout.tsv"))
    # 0.714 when the classifier first met it; it was then used for development (see the file's header)
    assert r["accuracy"] >= 0.9, r["wrong"][:10]


def test_accuracy_on_holdout_set_is_a_floor_not_a_target():
    r = accuracy(load_labelled(DATA / "labelled_errors_holdout2.tsv"))
    # written after the classifier was frozen: 0.833 then, 0.870 after one bug fix; a floor against regressions
    assert r["accuracy"] >= 0.8, r["wrong"][:10]


@pytest.mark.parametrize(
    "msg, t",
    [
        ("Error: connect ETIMEDOUT 10.0.0.1:443", "timeout"),
        ("Error: connect ECONNREFUSED 127.0.0.1:5432", "connection"),
        ("Error: listen EADDRINUSE: address already in use :::3000", "port_conflict"),
        ("ImportError: libGL.so.1: cannot open shared object file: No such file or directory", "dependency"),
        ("java.io.FileNotFoundException: /x (Permission denied)", "permission"),
        ("something odd happened", "general"),
        ("org.springframework.web.client.ResourceAccessException: I/O error: Connection refused", "connection"),
        ("", "general"),
    ],
)
def test_priority_between_types(msg, t):
    assert classify(msg) == t


def test_seed_names_accepted():
    assert normalise_type("connection_error") == "connection"
    assert normalise_type("port_conflict") == "port_conflict"
    assert normalise_type("nonsense") == "general"


def test_hostile_text_is_classified_without_error():
    assert classify("\x1b[31m[bold]Out of memory[/bold]\x00" * 1000) == "memory"
    assert classify("x" * 5_000_000) == "general"


@pytest.mark.parametrize(
    "msg, t",
    [
        ("No matching distribution found for nosuchthing-qq", "dependency"),  # pip: a package is missing
        ("user nosuchuser logged in", "general"),  # lower-case, the letters of NoSuch... are a name
        ("installed package notfound-utils", "general"),
        ("Error: getaddrinfo NOTFOUND", "connection"),
        ("connect ENOTFOUND redis", "connection"),  # DNS found no address: not a missing thing
        ("An error occurred (NoSuchBucket) when calling the GetObject operation", "not_found"),
        ("com.amazonaws.services.s3.model.AmazonS3Exception: NoSuchKey", "not_found"),
        ("HTTP 404 NotFound", "not_found"),
        # npm 9+: `npm error code E404` on the terminal, `27 error code E404` in its debug log (header stripped)
        ("npm error code E404", "dependency"),
        ("code E404", "dependency"),
        ("code E403", "permission"),
        ("npm error 404 Not Found - GET https://registry.npmjs.org/left-padx", "dependency"),
    ],
)
def test_class_names_count_in_their_case_and_not_inside_other_names(msg, t):
    assert classify(msg) == t


# no "o" (ENOENT, OOM, timeout) and no digits (a 404 between hyphens is a word): the pad holds no signal
@given(
    st.text(alphabet=string.ascii_lowercase.replace("o", "") + "-", max_size=12),
    st.sampled_from(["nosuch", "notfound"]),
)
def test_a_lower_case_name_holding_class_name_letters_does_not_set_the_type(pad, stem):
    assert classify(f"Started unit {pad}{stem}{pad}.") == "general"
