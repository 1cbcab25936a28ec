"""End to end: the `lokifi` command, one process per step, on a real temp project with planted conditions
(a real 60 MB log, a requirements.txt last committed 45 days ago, a committed fake secret).

The host's own disk, CPU and memory are whatever this machine shows, so the test's config sets those
three thresholds out of reach (a config, not an injection); everything else is real."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # measured: 18 s in all

MB = 1024 * 1024
NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None)


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


def write_log(p: Path, mb: float) -> None:
    line = b"2026-11-21T10:00:00Z INFO GET /api/items 200 12ms\n"
    with open(p, "wb") as fh:
        fh.write(line * (int(mb * MB) // len(line) + 1))


@pytest.fixture
def env(tmp_path):
    root = tmp_path / "shop"
    (root / "src").mkdir(parents=True)
    (root / "logs").mkdir()
    (root / "web").mkdir()
    git(root, "init", "-q")
    (root / ".gitignore").write_text("logs/\n")
    (root / "requirements.txt").write_text("flask==2.0.1\nrequests==2.25.0\n")
    git(root, "add", ".gitignore", "requirements.txt")
    git(root, "commit", "-q", "-m", "deps", date=NOW - dt.timedelta(days=45))
    (root / "src" / "app.py").write_text("import os\n\ndef main():\n    return os.environ['DATABASE_URL']\n")
    (root / "src" / "settings.py").write_text('DEBUG = False\nAWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n')
    (root / "web" / "package.json").write_text('{"name": "web", "dependencies": {"react": "^18.2.0"}}\n')
    (root / "web" / "package-lock.json").write_text('{"lockfileVersion": 3}\n')
    (root / "README.md").write_text("# shop\n")
    git(root, "add", "src", "web", "README.md")
    git(root, "commit", "-q", "-m", "app", date=NOW - dt.timedelta(days=2))
    write_log(root / "logs" / "app.log", 60)
    (root / "logs" / "access.log").write_text("GET / 200\n" * 100)
    config = tmp_path / "lokifi.toml"
    config.write_text(
        f'[watch]\nproject_dirs = ["{root}"]\n\n'
        "[recommendations]\n"
        "cpu_max_pct = 100.0     # this shared test machine's load is not a planted condition\n"
        "disk_free_min_pct = 0.0\n"
        "memory_max_pct = 100.0\n"
    )
    e = {
        **os.environ,
        "LOKIFI_DB": str(tmp_path / "lokifi.duckdb"),
        "LOKIFI_CONFIG": str(config),
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    return root, e


def lokifi(env: dict, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(
        [sys.executable, "-m", "lokifi_tui.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        input=input,
        timeout=300,
        cwd=env.get("_cwd"),
    )
    if check and r.returncode != 0:
        raise AssertionError(f"lokifi {' '.join(args)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def j(env: dict, *args: str):
    return json.loads(lokifi(env, *args).stdout)


def test_planted_conditions_found_ordered_and_triaged_across_restarts(env):
    root, e = env
    out = j(e, "scan", "--json")
    open_ = out["open"]
    assert [r["rule"] for r in open_] == ["security.secret", "dependencies.stale", "maintenance.large_logs"]
    assert [r["priority"] for r in open_] == [1, 2, 3]
    assert open_[0]["impact_score"] > open_[1]["impact_score"] > open_[2]["impact_score"]
    secret, deps, logs = open_
    assert secret["subject"] == str(root / "src" / "settings.py") and "committed" in secret["title"].lower()
    assert "45 days" in deps["description"]
    assert "app.log" in logs["description"] and "access.log" not in logs["description"]

    # a new process sees the same queue; the seed's human format
    human = lokifi(e, "ai", "recommendations").stdout
    assert "[HIGH] Secret committed in src/settings.py" in human
    assert "[MEDIUM] Python dependencies may be outdated" in human
    assert "[LOW] Large log files detected" in human
    assert human.index("[HIGH]") < human.index("[MEDIUM]") < human.index("[LOW]")

    applied = lokifi(e, "recs", "apply", str(secret["id"])).stdout
    assert "Applied" in applied and "rotate the credential" in applied
    lokifi(e, "recs", "dismiss", str(logs["id"]))
    lokifi(e, "recs", "snooze", str(deps["id"]), "--for", "1h")

    # restart: a refresh in a new process keeps the triage
    assert j(e, "ai", "recommendations", "--json")["recommendations"] == []
    assert j(e, "recs", "list", "--json") == []
    states = {r["rule"]: r["status"] for r in j(e, "recs", "list", "--all", "--json")}
    assert states == {
        "security.secret": "applied",
        "dependencies.stale": "snoozed",
        "maintenance.large_logs": "dismissed",
    }

    # the dismissed log comes back when it gets materially worse (60 MB -> 95 MB)
    write_log(root / "logs" / "app.log", 95)
    back = j(e, "ai", "recommendations", "--json")["recommendations"]
    assert [r["rule"] for r in back] == ["maintenance.large_logs"]
    hist = j(e, "recs", "history", str(logs["id"]), "--json")["events"]
    assert [h["action"] for h in hist] == ["created", "dismissed", "reopened"]
    # the human history is sentences ('undone undid applied' read as a code)
    lokifi(e, "recs", "apply", str(logs["id"]))
    lokifi(e, "recs", "undo", str(logs["id"]))
    said = [ln.split("  ", 2)[-1] for ln in lokifi(e, "recs", "history", str(logs["id"])).stdout.splitlines()[1:]]
    assert said[1:] == [
        "Dismissed from the command line.",
        f"Open again: materially worse since it was dismissed: measure {hist[-1]['note'].split('measure ')[1]}.",
        "Marked applied from the command line.",
        "The apply was undone from the command line: open again.",
    ]
    assert said[0].startswith("Created: ") and "undid" not in " ".join(said)

    # learning is visible and resettable
    learned = j(e, "recs", "learning", "--json")["rules"]
    assert learned["maintenance.large_logs"]["dismissed"] == 1
    j(e, "recs", "reset-learning", "maintenance.large_logs", "--json")
    assert j(e, "recs", "learning", "--json")["rules"]["maintenance.large_logs"]["dismissed"] == 0


def test_bad_ids_and_durations_say_what_is_wrong(env):
    _, e = env
    j(e, "scan", "--json")
    r = lokifi(e, "recs", "dismiss", "4242", check=False)
    assert r.returncode == 3 and "No recommendation with id 4242" in r.stderr
    r = lokifi(e, "recs", "snooze", "1", "--for", "soon", check=False)
    assert r.returncode == 2 and "not a duration" in r.stderr


def test_clean_logs_confirms_dry_runs_and_stays_inside(env, tmp_path):
    root, e = env
    outside = tmp_path / "elsewhere.log"
    write_log(outside, 55)
    os.symlink(outside, root / "logs" / "linked.log")
    before = (root / "logs" / "app.log").stat().st_size

    dry = lokifi(e, "clean", "logs", "--dry-run").stdout
    assert "app.log" in dry and "nothing was changed" in dry and "elsewhere" not in dry
    assert (root / "logs" / "app.log").stat().st_size == before

    r = lokifi(e, "clean", "logs", check=False, input="")  # no terminal to ask on, no --yes
    assert r.returncode == 2 and "--yes" in r.stderr
    assert (root / "logs" / "app.log").stat().st_size == before

    r = lokifi(e, "clean", "logs", "--json", "--yes")
    done = json.loads(r.stdout)
    assert [Path(s["path"]).name for s in done["done"]] == ["app.log"]
    assert (root / "logs" / "app.log").stat().st_size == 0
    archive = Path(done["archives"][0])
    assert archive.parent == root / "logs" and archive.name.startswith("app.log.") and archive.suffix == ".gz"
    import gzip

    with gzip.open(archive, "rb") as fh:
        assert sum(len(c) for c in iter(lambda: fh.read(1 << 20), b"")) == before
    assert outside.stat().st_size > 55 * MB  # never touched outside the roots
    assert (root / "logs" / "linked.log").is_symlink()


def test_clean_temp_only_old_files_inside(env):
    root, e = env
    old = dt.datetime.now().timestamp() - 3 * 86400
    for i in range(3):
        p = root / f"build{i}.tmp"
        p.write_text("x")
        os.utime(p, (old, old))
    fresh = root / "editing.swp"
    fresh.write_text("x")
    out = json.loads(lokifi(e, "clean", "temp", "--yes", "--json").stdout)
    assert sorted(Path(s["path"]).name for s in out["done"]) == ["build0.tmp", "build1.tmp", "build2.tmp"]
    assert fresh.exists() and not (root / "build0.tmp").exists()


def test_hostile_names_and_bad_reports_are_shown_inert(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    evil = root / "x\x1b[31m[bold]boom.log"
    with open(evil, "wb") as fh:
        fh.truncate(3 * MB)
    (root / "npm-audit.json").write_text("{ not json")
    config = tmp_path / "l.toml"
    config.write_text(
        f'[watch]\nproject_dirs = ["{root}"]\n[recommendations]\nlarge_log_mb = 1.0\n'
        "cpu_max_pct = 100.0\ndisk_free_min_pct = 0.0\nmemory_max_pct = 100.0\n"
    )
    e = {
        **os.environ,
        "LOKIFI_DB": str(tmp_path / "d.duckdb"),
        "LOKIFI_CONFIG": str(config),
        "NO_COLOR": "1",
        "COLUMNS": "300",
    }
    r = lokifi(e, "scan")
    assert "\x1b" not in r.stdout and "\\x1b[31m[bold]boom.log" in r.stdout
    assert "npm-audit.json:1: not valid JSON" in r.stderr
