"""`lokifi scan PATH...` and the secret scanner's false-positive controls, on a real git repository:
.gitignore decides what is read, a detect-secrets baseline accepts known secrets (unless audited as
real), [recommendations] secret_excludes skips test fixtures, and one file's hits are one finding."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.config.settings import Config, Recommendations, Watch
from analytics.recommend import engine, security
from analytics.recommend.facts import gather

KEY = 'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n'
TOKEN = 'token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"\n'


def git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    r = tmp_path / "repo"
    (r / "src").mkdir(parents=True)
    (r / "tests" / "fixtures").mkdir(parents=True)
    git(r, "init", "-q")
    (r / ".gitignore").write_text(".env\n")
    (r / "src" / "settings.py").write_text("DEBUG = True\n" + KEY + 'password = "hunter2hunter2xyz"\n')
    (r / "tests" / "fixtures" / "fake.py").write_text(TOKEN)
    (r / ".env").write_text(KEY)
    (r / "src" / "clean.py").write_text("def f(x):\n    return x + 1\n")
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "init")
    return r


def lokifi(*args: str, cwd: Path, config: Path | None = None) -> subprocess.CompletedProcess:
    pre = ["--config", str(config)] if config else []
    env = {**os.environ, "LOKIFI_DB": str(cwd / "lokifi.duckdb"), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "lokifi_tui.cli.main", *pre, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_one_finding_per_file_and_gitignore_decides(repo):
    run = security.secret_rules(gather(Config(watch=Watch(project_dirs=(str(repo),)))))
    files = sorted(os.path.relpath(f.subject, repo) for f in run.findings)
    assert files == ["src/settings.py", "tests/fixtures/fake.py"]  # .env is ignored
    settings = next(f for f in run.findings if f.subject.endswith("settings.py"))
    assert "2 potential secrets" in settings.description  # both hits, one finding


def test_excludes_and_a_baseline_silence_false_positives_but_not_audited_secrets(repo):
    cfg = Config(
        watch=Watch(project_dirs=(str(repo),)), recommendations=Recommendations(secret_excludes=("tests/fixtures/*",))
    )
    facts = gather(cfg)
    subprocess.run(
        [sys.executable, "-m", "detect_secrets", "scan", "src/settings.py"],
        cwd=repo,
        check=True,
        stdout=open(repo / ".secrets.baseline", "w"),
    )
    base = security.load_baselines([str(repo)])
    assert len(base.known) == 2 and base.digest
    run = security.secret_rules(facts, excludes=cfg.recommendations.secret_excludes, baselines=base)
    assert run.findings == [] and run.problems == []
    # audited as a real secret: reported again
    data = json.loads((repo / ".secrets.baseline").read_text())
    for e in data["results"]["src/settings.py"]:
        e["is_secret"] = e["type"] == "AWS Access Key"
    (repo / ".secrets.baseline").write_text(json.dumps(data))
    run = security.secret_rules(
        facts, excludes=cfg.recommendations.secret_excludes, baselines=security.load_baselines([str(repo)])
    )
    assert [f.evidence["types"] for f in run.findings] == [["AWS Access Key"]]
    # a file that is not a baseline is named, not a crash
    (repo / ".secrets.baseline").write_text("{not json")
    base = security.load_baselines([str(repo)])
    assert base.known == set() and ".secrets.baseline: not a detect-secrets baseline" in base.problems[0]


@pytest.mark.slow
def test_stored_scan_rereads_when_the_baseline_changes(migrated, repo, tmp_path):
    store = migrated(tmp_path / "s.duckdb")
    cfg = Config(
        watch=Watch(project_dirs=(str(repo),)), recommendations=Recommendations(secret_excludes=("tests/fixtures/*",))
    )
    first = engine.refresh(store, cfg, security_scan=True, cwd=str(repo))
    assert [f.subject for f in first.findings if f.rule == "security.secret"] == [str(repo / "src" / "settings.py")]
    subprocess.run(
        [sys.executable, "-m", "detect_secrets", "scan", "src/settings.py"],
        cwd=repo,
        check=True,
        stdout=open(repo / ".secrets.baseline", "w"),
    )
    second = engine.refresh(store, cfg, security_scan=True, cwd=str(repo))
    assert [f for f in second.findings if f.rule == "security.secret"] == []
    assert second.summary.resolved >= 1


@pytest.mark.slow
def test_cli_scan_paths_prints_stores_nothing_and_exits_1_on_findings(repo, tmp_path):
    r = lokifi("scan", str(repo), cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert "Secret committed in src/settings.py" in r.stdout and ".env" not in r.stdout
    assert "AKIAIOSFODNN7EXAMPLE" not in r.stdout + r.stderr
    assert not (tmp_path / "lokifi.duckdb").exists()  # nothing stored
    conf = tmp_path / "lokifi.toml"
    conf.write_text('[recommendations]\nsecret_excludes = ["tests/fixtures/*"]\n')
    r = lokifi("scan", "--json", str(repo / "src" / "settings.py"), str(repo / "tests"), cwd=tmp_path, config=conf)
    out = json.loads(r.stdout)
    assert r.returncode == 1 and [os.path.basename(f["file"]) for f in out["findings"]] == ["settings.py"]
    r = lokifi("scan", str(repo / "src" / "clean.py"), cwd=tmp_path)
    assert r.returncode == 0 and "0 finding(s)" in r.stdout
    r = lokifi("scan", str(tmp_path / "nope"), cwd=tmp_path)
    assert r.returncode == 3 and "nope: no such file or directory" in r.stderr  # bad input, as elsewhere


@pytest.mark.slow
@pytest.mark.skipif(not (Path(__file__).resolve().parents[2] / ".git").exists(), reason="not a git checkout")
def test_this_repository_scans_clean_its_fake_secrets_in_its_baseline(tmp_path):
    """The tests and docs hold fake secrets (redaction and scanner cases); `.secrets.baseline` lists them,
    so `lokifi scan` of this repository reports none. A new one fails here until the baseline is updated
    (`detect-secrets scan --baseline .secrets.baseline`)."""
    root = Path(__file__).resolve().parents[2]
    r = lokifi("scan", "--json", str(root), cwd=tmp_path)
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out["findings"] == [], [f["file"] for f in out["findings"]]
