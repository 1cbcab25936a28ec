"""Where a value ends: a dotted quad glued to a package's revision is a version, not an address (``1.2.5.1-2``
in dpkg's log)."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
from redact_support import shown_as

from analytics.rca.redact import Redactor

PW = "[REDACTED:password]"
S = "[REDACTED:secret]"
IPS = Redactor(redact_ips=True)  # as [ai] redact_ips is by default

# -- a version is no address -------------------------------------------------------------------------------
#: lines of /var/log/dpkg.log and /var/log/apt/*.log as they are written, and addresses around them
test_a_debian_version_is_kept_and_an_address_goes = shown_as(
    [
        ("upgrade libfoo:amd64 1.2.5.1-1 1.2.5.1-2", "upgrade libfoo:amd64 1.2.5.1-1 1.2.5.1-2"),
        (
            "2025-06-24 14:37:47 install alsa-topology-conf:all <none> 1.2.5.1-2",
            "2025-06-24 14:37:47 install alsa-topology-conf:all <none> 1.2.5.1-2",
        ),
        ("Setting up alsa-topology-conf (1.2.5.1-2) ...", "Setting up alsa-topology-conf (1.2.5.1-2) ..."),
        (
            "Preparing to unpack .../021-alsa-topology-conf_1.2.5.1-2_all.deb ...",
            "Preparing to unpack .../021-alsa-topology-conf_1.2.5.1-2_all.deb ...",
        ),
        ("libfoo (1.2.3.4~rc1, 1.2.3.4+dfsg-1)", "libfoo (1.2.3.4~rc1, 1.2.3.4+dfsg-1)"),
        ("from 10.0.0.5 port 22", "from [IP] port 22"),
        ("10.0.0.5:8080", "[IP]:8080"),
        ("[10.0.0.5]", "[[IP]]"),
        ("10.0.0.5,", "[IP],"),
        ("10.0.0.0/8", "[IP]/8"),
        ("pool 10.0.0.5-10.0.0.9", "pool [IP]-[IP]"),  # a range: both ends are addresses
        ("pool 10.0.0.5-", "pool [IP]-"),
        ("via 10.0.0.5-eth0", "via [IP]-eth0"),
        # a long number after it is no package's revision: a Hadoop block pool's id holds the namenode's address
        ("block BP-1347369012-10.190.173.170-1444972147527:blk_1", "block BP-1347369012-[IP]-1444972147527:blk_1"),
    ],
    redactor=IPS.redact,
    stable=True,
)

_OCTET = st.integers(0, 255).map(str)


@settings(max_examples=200, deadline=None)
@given(
    first=st.integers(1, 223).filter(lambda o: o != 127).map(str),
    rest=st.lists(_OCTET, min_size=3, max_size=3),
    revision=st.sampled_from(["-{d}", "-{d}ubuntu1", "-{d}+deb12u1", "~rc{d}", "+dfsg-{d}", "+b{d}", "~deb12u{d}"]),
    digit=st.integers(0, 99),
    after=st.sampled_from([" ", ":8080", "]", ",", "/24", ")", "-eth0", "-", "-10.0.0.9", "-1444972147527"]),
)
def test_a_dotted_quad_glued_to_a_revision_is_a_version_and_one_ending_otherwise_an_address(
    first, rest, revision, digit, after
):
    quad = ".".join([first, *rest])
    version = quad + revision.format(d=digit)
    assert IPS.redact(f"upgrade libfoo:amd64 {version} ok").text == f"upgrade libfoo:amd64 {version} ok"
    assert IPS.redact(f"from {quad}{after}x").text.startswith("from [IP]")
