"""Benchmark: a full recommendation scan (``lokifi scan``: every rule, detect-secrets included) of a
generated 10,000-file project tree. Budget: <= 2 s (median).

The tree is a git repository of mixed source (Python, JS/TS, JSON, YAML, Markdown, shell) with the noise
real code has (URLs, private IPs, hashes, "password" variables that are not secrets, test fixtures), a
few planted secrets, a skipped ``node_modules`` and ``.venv`` (2,000 files each, not counted), manifests,
lock files and logs. The database is a fresh DuckDB file per run, so the timing includes writing the
recommendations.

    python bench/bench_recs.py            # 10,000 files, 5 runs
    python bench/bench_recs.py --files 2000 --runs 3
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WORDS = (
    "user account order item cache session token_count request response handler service queue "
    "worker metric value config setting record batch stream buffer index result error status"
).split()

PY_LINES = [
    "def {w}_{n}(self, {w2}):",
    '    """Return the {w} for {w2} (see docs/{w}.md)."""',
    "    {w} = self.{w2}.get({n})",
    "    if not {w}:",
    '        raise ValueError(f"no {w} for {{{w2}}}")',
    "    return {w} * {n} + len({w2})",
    '{W}_URL = "https://example.com/api/v{n}/{w}"',
    'DB_HOST = "10.0.{n}.12"  # private network',
    'logger.info("%s processed %d {w}s", name, count)',
    "# TODO: {w} {w2} handling for the {n} case",
    "import {w}",
    "from .{w} import {W}{n}",
]
JS_LINES = [
    "export function {w}{n}({w2}) {{",
    "  const {w} = await fetch(`/api/{w}/${{{w2}}}`);",
    "  return {w}.json();",
    "}}",
    "import {{ {w} }} from './{w2}';",
    "// {w} {w2} {n}",
]
#: Lines that real code has now and then and that wake the secret pre-filter (most are not secrets;
#: detect-secrets itself reports a quoted 40-hex checksum as a "Hex High Entropy String").
NOISE_LINES = [
    'password = os.environ["{W}_PASSWORD"]',
    "api_key = settings.{W}_API_KEY",
    "secret_ref = get_secret(name)",
    'if not auth_key: raise PermissionError("{w}")',
    'ETAG = "{hex}"',
]
#: How often a line wakes the pre-filter: about what a sample of real Python packages shows (0.3 %
#: of lines reach detect-secrets there); one noise line in five is a real detect-secrets hit (a quoted
#: 40-hex value is reported as "Hex High Entropy String").
NOISE_RATE = 0.003
MD_LINES = ["# {W} {n}", "", "The {w} service talks to {w2} over HTTP.", "- see `{w}.py`", "```sh\nmake {w}\n```"]


def _fill(tpl: str, rng: random.Random) -> str:
    w, w2 = rng.choice(WORDS), rng.choice(WORDS)
    return tpl.format(w=w, w2=w2, W=w.upper(), n=rng.randint(0, 999), hex=f"{rng.getrandbits(160):040x}")


def make_tree(root: Path, n_files: int = 10_000, seed: int = 7, git: bool = True) -> dict:
    """Write the tree; returns what was planted."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    dirs = [root / f"pkg{i // 20}" / f"mod{i % 20}" for i in range(max(1, n_files // 25))]
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    kinds = [
        ("py", PY_LINES, 0.45),
        ("ts", JS_LINES, 0.25),
        ("md", MD_LINES, 0.1),
        ("json", None, 0.1),
        ("yaml", None, 0.1),
    ]
    for i in range(n_files):
        r, acc = rng.random(), 0.0
        for ext, lines, p in kinds:  # noqa: B007 - the kind chosen is the one the loop breaks on
            acc += p
            if r <= acc:
                break
        d = dirs[i % len(dirs)]
        n_lines = int(rng.lognormvariate(3.5, 0.8)) + 3  # median ~33 lines, long tail
        if ext == "json":
            body = (
                "{\n"
                + ",\n".join(f'  "{rng.choice(WORDS)}_{j}": {rng.randint(0, 9999)}' for j in range(n_lines))
                + "\n}\n"
            )
        elif ext == "yaml":
            body = "\n".join(f"{rng.choice(WORDS)}_{j}: {rng.choice(WORDS)}" for j in range(n_lines)) + "\n"
        else:
            body = (
                "\n".join(
                    _fill(rng.choice(NOISE_LINES if rng.random() < NOISE_RATE else lines), rng) for _ in range(n_lines)
                )
                + "\n"
            )
        (d / f"f{i}.{ext}").write_text(body)
    planted = {
        "secret_aws": root / "pkg0" / "mod1" / "settings_prod.py",
        "secret_pem": root / "pkg1" / "mod2" / "deploy_key.pem",
    }
    planted["secret_aws"].write_text('AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n')
    planted["secret_pem"].write_text(
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM\n-----END RSA PRIVATE KEY-----\n"
    )
    (root / "requirements.txt").write_text("requests==2.31.0\nclick==8.1.7\n")
    (root / "package.json").write_text('{"name": "app", "dependencies": {"react": "^18.2.0"}}\n')
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    (logs / "app.log").write_text("INFO started\n" * 1000)
    for skipped in ("node_modules/lib", ".venv/lib/python3.11/site-packages/pkg"):
        sd = root / skipped
        sd.mkdir(parents=True, exist_ok=True)
        if skipped.startswith(".venv"):
            (root / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
        for j in range(2000):
            (sd / f"m{j}.js").write_text("module.exports = 'AKIAIOSFODNN7EXAMPLE';\n")
    if git:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "b",
            "GIT_AUTHOR_EMAIL": "b@example.com",
            "GIT_COMMITTER_NAME": "b",
            "GIT_COMMITTER_EMAIL": "b@example.com",
        }
        (root / ".gitignore").write_text("node_modules/\n.venv/\nlogs/\n")
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=env)
        subprocess.run(["git", "commit", "-q", "-m", "tree"], cwd=root, check=True, env=env)
    return {k: str(v) for k, v in planted.items()}


def run_once(tree: Path, workdir: Path, i: int, *, warm: bool) -> tuple[float, dict]:
    """One full scan. Cold: a fresh database (nothing known about any file). Warm: the same database
    scanned once before, the tree unchanged (the secret scanner re-reads only changed files)."""
    from analytics.config.settings import Config, Watch
    from analytics.recommend import engine
    from analytics.store.database import Store

    store = Store(workdir / f"bench{i}.duckdb")
    store.scalar("SELECT 1")  # create the file and apply migrations outside the timing
    cfg = Config(watch=Watch(project_dirs=(str(tree),), log_dirs=(str(tree / "logs"),)))
    if warm:
        engine.refresh(store, cfg, security_scan=True)
    t, c = time.perf_counter(), time.process_time()
    report = engine.refresh(store, cfg, security_scan=True)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    stats = {**report.stats, "findings": len(report.findings), "cpu_s": round(cpu, 3)}
    return wall, stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="lokifi-bench-recs-") as tmp:
        tree = Path(tmp) / "tree"
        t = time.perf_counter()
        make_tree(tree, args.files)
        print(f"generated {args.files} files (+4000 skipped in node_modules/.venv) in {time.perf_counter() - t:.1f}s")
        # warm-up: imports (detect-secrets, duckdb) and the OS page cache, as a second `lokifi scan` would see
        run_once(tree, Path(tmp), -1, warm=False)
        for label, warm in (("cold (new database)", False), ("warm (unchanged tree, scanned before)", True)):
            times, cpus, stats = [], [], {}
            for i in range(args.runs):
                dt_s, stats = run_once(tree, Path(tmp), i + (1000 if warm else 0), warm=warm)
                times.append(dt_s)
                cpus.append(stats["cpu_s"])
            print(
                f"full scan of {args.files} files, {label}: median {statistics.median(times):.3f}s  "
                f"min {min(times):.3f}s  max {max(times):.3f}s  ({args.runs} runs; budget 2.0s)"
            )
            print(
                f"  this process's CPU time: median {statistics.median(cpus):.3f}s (git runs in a child "
                f"process); load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
            )
            print("  " + ", ".join(f"{k}={v}" for k, v in sorted(stats.items())))


if __name__ == "__main__":
    main()
