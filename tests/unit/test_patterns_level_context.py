"""A raw line whose message leaves no constant word beside the varying one keeps its level in front:
npm's debug log of ``npm pack`` lists every bundled dependency and every file of the tarball on a
``notice`` line of its own, and each was a pattern of its own."""

from __future__ import annotations

from analytics.patterns.fingerprint import CURRENT, RULESETS
from analytics.patterns.logline import header_level
from analytics.patterns.templates import group, mask

#: the ``Bundled Dependencies`` section of ``npm pack npm`` (one ``notice`` line each)
BUNDLED = (
    "@isaacs/fs-minipass @isaacs/string-locale-compare @npmcli/agent @npmcli/arborist @npmcli/config "
    "@npmcli/fs @npmcli/git @npmcli/map-workspaces @npmcli/package-json @npmcli/promise-spawn "
    "@npmcli/redact @npmcli/run-script @sigstore/tuf abbrev archy cacache chalk ci-info cli-columns "
    "fastest-levenshtein fs-minipass glob graceful-fs hosted-git-info ini init-package-json "
    "is-cidr json-parse-even-better-errors libnpmaccess libnpmdiff libnpmexec libnpmfund libnpmorg "
    "libnpmpack libnpmpublish libnpmsearch libnpmteam libnpmversion make-fetch-happen minimatch "
    "minipass minipass-pipeline ms node-gyp nopt npm-audit-report npm-install-checks npm-package-arg "
    "npm-pick-manifest npm-profile npm-registry-fetch npm-user-validate p-map pacote parse-conflict-json "
    "proc-log qrcode-terminal read semver spdx-expression-parse ssri supports-color tar text-table "
    "tiny-relative-date treeverse validate-npm-package-name which"
).split()
#: the ``Tarball Contents`` section: size, then the file's path inside the package
FILES = [
    f"lib/commands/{c}.js"
    for c in "access adduser audit bugs cache ci completion config dedupe deprecate diff dist-tag docs doctor "
    "edit exec explain explore find-dupes fund get help init install link ll login logout ls org outdated "
    "owner pack ping pkg prefix profile prune publish query rebuild repo restart root run sbom search".split()
]


def _npm_pack_log() -> list[str]:
    lines = [
        "0 verbose cli /usr/bin/node /usr/bin/npm",
        "1 info using npm@10.8.2",
        "7 verbose title npm pack npm@11.19.1",
        "18 notice Tarball Contents",
    ]
    lines += [f"19 notice {1 + i % 9}.{i % 10}kB {f}" for i, f in enumerate(FILES)]
    lines += ["20 notice Bundled Dependencies"]
    lines += [f"{21 + i} notice {p}" for i, p in enumerate(BUNDLED)]
    lines += ["173 verbose cwd /tmp/tmp.Qs27srSj1s", "177 verbose exit 0", "178 info ok"]
    return lines


def test_npm_pack_listings_are_one_pattern_each_kind_of_line_its_own():
    lines = _npm_pack_log()
    g = group(lines, raw=True).groups.to_list()
    at = {line: grp for line, grp in zip(lines, g, strict=True)}
    deps = {at[f"{21 + i} notice {p}"] for i, p in enumerate(BUNDLED)}
    files = {grp for line, grp in at.items() if line.startswith("19 notice ")}
    assert deps == {"notice <*>"}, deps
    assert files == {"notice <*>"}, files
    assert at["178 info ok"] == "info ok"  # a one-word message at another level: another event
    assert at["18 notice Tarball Contents"] == "Tarball Contents"  # two words of its own: no level needed
    assert at["7 verbose title npm pack npm@11.19.1"] == "title npm pack <*>"
    assert len(set(g)) == 9, sorted(set(g))


def test_the_level_is_read_from_the_header_only():
    assert header_level("158 notice yallist", "yallist") == "notice"
    assert header_level("2024-01-01 12:00:00,001 INFO [main] Started", "Started") == "info"
    # no level in the header, or nothing stripped: nothing to keep
    assert header_level("17 silly CHANGE node_modules/npm", "silly CHANGE node_modules/npm") is None
    assert header_level("notice-board", "notice-board") is None
    # the rules before version 7 template the message alone
    old = RULESETS[CURRENT.version - 1]
    assert mask(["158 notice yallist"], raw=True).to_list() == ["notice yallist"]
    assert mask(["158 notice yallist"], rules=old, raw=True).to_list() == ["yallist"]
