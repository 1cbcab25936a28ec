"""The filesystem facts the recommendation rules read: one walk over the watched directories.

Owns *where* Lokifi looks and *what* it notices on the way, so every rule family reads the same
snapshot and the tree is walked once per scan:

* project directories: ``[watch] project_dirs`` from the config, or — with none configured — the current
  directory, searched recursively;
* log directories: ``[watch] log_dirs`` and the components' ``logs`` from the config, or — with none
  configured — the project directories (logs included) plus the usual system log locations that this
  user can read (``/var/log`` ...).

The walk skips ``.git`` (and other VCS dirs), virtualenvs (a ``pyvenv.cfg`` or the usual names),
``node_modules`` and tool caches, never follows directory symlinks, and stats only the files whose names
matter (manifests, logs, temp files, audit reports); the secret scanner reads the rest itself.
Unreadable directories are counted, not fatal. ``Facts.looked`` records where the walk looked (a
directory walked to its end, a component's log files), so a refresh resolves only the recommendations
from there (:mod:`analytics.recommend.scopes`).
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from analytics.recommend.scopes import LOGS, PROJECT, Looked

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        "node_modules",
        ".venv",
        "venv",
        ".virtualenv",
        ".tox",
        ".nox",
        "__pypackages__",
        "site-packages",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        ".cache",
        ".idea",
        ".vscode",
        ".next",
        ".nuxt",
        ".gradle",
    }
)
#: System log locations looked at when no log directory is configured (only those readable).
SYSTEM_LOG_DIRS = (
    "/var/log",
    "/var/log/nginx",
    "/var/log/apache2",
    "/var/log/httpd",
    "/var/log/redis",
    "/var/log/postgresql",
    "/var/log/mysql",
    "/var/log/supervisor",
)

PY_MANIFESTS = frozenset({"requirements.txt", "pyproject.toml", "setup.cfg", "Pipfile"})
PY_LOCKS = frozenset({"poetry.lock", "Pipfile.lock", "uv.lock", "pdm.lock", "requirements.lock"})
NODE_MANIFESTS = frozenset({"package.json"})
NODE_LOCKS = frozenset({"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "npm-shrinkwrap.json", "bun.lockb"})
_REQ_RE = re.compile(r"^requirements[-_.\w]*\.(txt|in)$")
_LOG_RE = re.compile(r"(\.log|\.log\.\d+|\.out|\.err)$")
TEMP_PATTERNS = ("*.tmp", "*.temp", "*.swp", "*.swo", "*~", ".#*", "*.part", "*.crdownload", "core.[0-9]*")
_TEMP_RE = re.compile("|".join(fnmatch.translate(p) for p in TEMP_PATTERNS))
_AUDIT_RE = re.compile(r"^(pip-audit|pip_audit|npm-audit|npm_audit|yarn-audit|audit)[-_.\w]*\.json$", re.I)


@dataclass(frozen=True)
class FileFact:
    path: str
    size: int
    mtime: float  # seconds since the epoch (UTC)
    root: str  # the watched directory it was found under


@dataclass
class Facts:
    """What one walk saw. Paths are absolute strings."""

    project_roots: tuple[str, ...] = ()
    log_roots: tuple[str, ...] = ()
    text_files: list[str] = field(default_factory=list)  # candidates for the secret scanner
    text_stat: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (size, mtime_ns)
    manifests: list[FileFact] = field(default_factory=list)  # dependency manifests and lock files
    logs: list[FileFact] = field(default_factory=list)
    temp_files: list[FileFact] = field(default_factory=list)
    audit_reports: list[FileFact] = field(default_factory=list)
    git_roots: list[str] = field(default_factory=list)
    files_seen: int = 0
    dirs_seen: int = 0
    unreadable: list[str] = field(default_factory=list)
    configured: bool = False
    truncated: bool = False  # the walk stopped at MAX_FILES (see gather)
    looked: Looked = field(default_factory=Looked)  # where this walk gathered facts (see scopes)

    def root_of(self, path: str) -> str:
        best = ""
        for r in self.project_roots:
            if (path == r or path.startswith(r.rstrip(os.sep) + os.sep)) and len(r) > len(best):
                best = r
        return best

    def relative(self, path: str) -> str:
        """``path`` relative to its project directory (as it was given when outside them all)."""
        root = self.root_of(path)
        return os.path.relpath(path, root) if root else path

    def project_of(self, path: str) -> str:
        """The name of the project directory ``path`` is in: the component its findings belong to."""
        root = self.root_of(path)
        return os.path.basename(root.rstrip(os.sep)) or root or "project"


# Extensions never worth handing to the secret scanner (binary or generated).
BINARY_EXT = frozenset(
    """
png jpg jpeg gif bmp ico webp svgz tif tiff psd mp3 mp4 m4a wav ogg flac avi mov mkv webm pdf zip gz tgz bz2 xz
7z rar tar jar war ear whl egg so dylib dll exe bin o a lib pyc pyo class woff woff2 ttf otf eot db sqlite
sqlite3 duckdb parquet feather arrow npy npz pkl pickle h5 hdf5 onnx pt pth ckpt iso img dmg deb rpm lockb
""".split()
)


def is_virtualenv(path: str) -> bool:
    return os.path.exists(os.path.join(path, "pyvenv.cfg"))


_EXACT_KIND = {
    **{n: "manifest" for n in (*PY_MANIFESTS, *NODE_MANIFESTS)},
    **{n: "lock" for n in (*PY_LOCKS, *NODE_LOCKS)},
}
_TEMP_SUFFIXES = (".tmp", ".temp", ".swp", ".swo", "~", ".part", ".crdownload")


def classify(name: str) -> str | None:
    """What a file name means to the rules: manifest, lock, log, temp, audit, or None.
    (Plain string tests first: this runs for every file of the tree.)"""
    kind = _EXACT_KIND.get(name)
    if kind is not None:
        return kind
    if name.startswith("requirements") and _REQ_RE.match(name):
        return "manifest"
    if name.endswith(".json") and _AUDIT_RE.match(name):
        return "audit"
    if name.endswith((".log", ".out", ".err")) or (".log." in name and _LOG_RE.search(name)):
        return "log"
    if name.endswith(_TEMP_SUFFIXES) or name.startswith(".#") or (name.startswith("core.") and _TEMP_RE.match(name)):
        return "temp"
    return None


def _fact(entry: os.DirEntry, root: str) -> FileFact | None:
    try:
        st = entry.stat(follow_symlinks=False)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return FileFact(entry.path, st.st_size, st.st_mtime, root)


#: A walk stops after this many files (running in a home directory with no config must not read a disk).
MAX_FILES = 200_000


def walk(facts: Facts, root: str, *, collect_text: bool, logs_only: bool = False, max_depth: int = 64) -> None:
    """Walk ``root`` into ``facts`` (iterative, no symlinked dirs, skipping SKIP_DIRS and virtualenvs)."""
    stack: list[tuple[str, int]] = [(root, 0)]
    seen_logs = {f.path for f in facts.logs}
    while stack:
        if facts.files_seen >= MAX_FILES:
            facts.truncated = True
            return  # not looked at to its end: its recommendations are left as they are
        d, depth = stack.pop()
        try:
            it = os.scandir(d)
        except OSError:
            facts.unreadable.append(d)
            facts.looked.unread.add(d)
            if d == root:
                return
            continue
        facts.dirs_seen += 1
        with it:
            for e in it:
                name = e.name
                try:
                    is_dir = e.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                if is_dir:
                    if name == ".git" and not logs_only:
                        facts.git_roots.append(d)
                    if name in SKIP_DIRS or depth >= max_depth or is_virtualenv(e.path):
                        continue
                    stack.append((e.path, depth + 1))
                    continue
                try:
                    if not e.is_file(follow_symlinks=False):
                        continue
                except OSError:
                    continue
                facts.files_seen += 1
                kind = classify(name)
                if logs_only:
                    if kind in ("log",) and e.path not in seen_logs:
                        f = _fact(e, root)
                        if f:
                            facts.logs.append(f)
                            seen_logs.add(e.path)
                    continue
                if kind is not None:
                    f = _fact(e, root)
                    if f is not None:
                        if kind in ("manifest", "lock"):
                            facts.manifests.append(f)
                        elif kind == "log":
                            if e.path not in seen_logs:
                                facts.logs.append(f)
                                seen_logs.add(e.path)
                            continue  # logs are not source: the secret scanner skips them
                        elif kind == "temp":
                            facts.temp_files.append(f)
                            continue
                        elif kind == "audit":
                            facts.audit_reports.append(f)
                if collect_text:
                    dot = name.rfind(".")
                    if dot < 0 or name[dot + 1 :].lower() not in BINARY_EXT:
                        try:
                            st = e.stat(follow_symlinks=False)
                        except OSError:
                            continue
                        facts.text_files.append(e.path)
                        facts.text_stat[e.path] = (st.st_size, st.st_mtime_ns)
    facts.looked.add(LOGS, root)
    if not logs_only:
        facts.looked.add(PROJECT, root)


def readable_system_log_dirs() -> list[str]:
    out = []
    for d in SYSTEM_LOG_DIRS:
        if os.path.isdir(d) and os.access(d, os.R_OK | os.X_OK):
            out.append(d)
    return out


def component_log_files(config) -> dict[str, str]:
    """The components' ``logs`` as files: path -> component. An entry may be a glob
    (``/var/log/backend/*.log``): it stands for the files it matches now."""
    out: dict[str, str] = {}
    for c in config.components:
        for p in c.logs:
            path = os.path.abspath(os.path.expanduser(p))
            matches = sorted(glob.glob(path)) if glob.has_magic(path) else [path]
            for m in matches:
                out.setdefault(m, c.name)
    return out


def gather(
    config,
    cwd: str | None = None,
    *,
    collect_text: bool = True,
    system_logs: bool | None = None,
    projects_from_cwd: bool = True,
) -> Facts:
    """Walk the watched directories once. ``config`` is an :class:`analytics.config.settings.Config`.
    ``projects_from_cwd=False`` (a background refresh): with no ``project_dirs`` configured no project is
    walked — the directory a collector or dashboard happened to start in (``/`` under systemd, a home or
    ``/tmp``) is not a project."""
    watch = config.watch
    cwd = os.path.abspath(cwd or os.getcwd())
    configured = bool(watch.project_dirs or watch.log_dirs)
    projects = [os.path.abspath(os.path.expanduser(p)) for p in watch.project_dirs] or (
        [cwd] if projects_from_cwd else []
    )
    projects = [p for p in dict.fromkeys(projects)]
    log_dirs = [os.path.abspath(os.path.expanduser(p)) for p in watch.log_dirs]
    component_logs = list(component_log_files(config))
    if system_logs is None:
        system_logs = not configured
    if system_logs:
        log_dirs += [d for d in readable_system_log_dirs() if d not in log_dirs]
    facts = Facts(project_roots=tuple(projects), configured=configured)
    for p in projects:
        if not os.path.isdir(p):
            facts.unreadable.append(p)
            if not os.path.lexists(p):  # nothing there: nothing it held is still a problem
                facts.looked.add(PROJECT, p)
                facts.looked.add(LOGS, p)
            continue
        walk(facts, p, collect_text=collect_text)
    extra_roots = []
    for d in dict.fromkeys(log_dirs):
        if any(d == p or d.startswith(p.rstrip(os.sep) + os.sep) for p in projects):
            continue  # already walked as part of a project
        if os.path.isdir(d):
            walk(facts, d, collect_text=False, logs_only=True, max_depth=3 if d.startswith("/var/log") else 64)
            extra_roots.append(d)
        else:
            facts.unreadable.append(d)
            if not os.path.lexists(d):
                facts.looked.add(LOGS, d)
    for f in component_logs:
        facts.looked.add(LOGS, os.path.dirname(f), below=False)  # these files, not the whole directory
        try:
            st = os.stat(f)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and all(x.path != f for x in facts.logs):
            facts.logs.append(FileFact(f, st.st_size, st.st_mtime, os.path.dirname(f)))
    facts.log_roots = tuple(dict.fromkeys([*projects, *extra_roots, *(os.path.dirname(f) for f in component_logs)]))
    return facts


# -- git ------------------------------------------------------------------------------------------


def _git(args: list[str], cwd: str, timeout: float = 10.0) -> bytes | None:
    try:
        r = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            timeout=timeout,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout if r.returncode == 0 else None


def git_tracked(repo: str) -> set[str] | None:
    """Absolute paths of the files git tracks in ``repo`` (None when git is unavailable)."""
    out = _git(["ls-files", "-z"], repo)
    if out is None:
        return None
    prefix = repo.rstrip(os.sep) + os.sep
    return {prefix + p for p in out.decode("utf-8", "surrogateescape").split("\0") if p}


def git_not_ignored(repo: str) -> set[str] | None:
    """Absolute paths git tracks in ``repo`` plus the untracked files ``.gitignore`` does not exclude
    (None when git is unavailable)."""
    out = _git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], repo)
    if out is None:
        return None
    prefix = repo.rstrip(os.sep) + os.sep
    return {prefix + p for p in out.decode("utf-8", "surrogateescape").split("\0") if p}


def git_modified(repo: str) -> set[str]:
    """Absolute paths with uncommitted changes (modified, added or untracked)."""
    out = _git(["status", "--porcelain", "-z", "--untracked-files=all"], repo)
    if out is None:
        return set()
    paths = set()
    for item in out.decode("utf-8", "surrogateescape").split("\0"):
        if len(item) > 3:
            paths.add(os.path.join(repo, item[3:]))
    return paths


def git_commit_time(repo: str, path: str) -> float | None:
    """Seconds since the epoch of the last commit that touched ``path`` (None when never committed)."""
    out = _git(["log", "-1", "--format=%ct", "--", os.path.relpath(path, repo)], repo)
    if not out or not out.strip():
        return None
    try:
        return float(out.strip())
    except ValueError:
        return None


def repo_of(facts: Facts, path: str) -> str | None:
    best = None
    for r in facts.git_roots:
        if path.startswith(r.rstrip(os.sep) + os.sep) and (best is None or len(r) > len(best)):
            best = r
    return best


def inside(path: str | os.PathLike[str], roots) -> bool:
    """True when ``path`` (symlinks resolved) lies inside one of ``roots`` (resolved too)."""
    try:
        real = Path(path).resolve(strict=False)
    except OSError:
        return False
    for r in roots:
        try:
            rr = Path(r).resolve(strict=False)
        except OSError:
            continue
        if real == rr or rr in real.parents:
            return True
    return False
