"""analytics/ is the headless engine: it must never import textual, rich or lokifi_tui."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from repo_paths import ROOT as REPO

pytestmark = pytest.mark.slow  # measured: 3 s in all

FORBIDDEN = ("textual", "rich", "lokifi_tui")
ROOT = REPO / "analytics"


def test_no_forbidden_imports_in_source():
    offenders = []
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in FORBIDDEN:
                    offenders.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_importing_every_analytics_module_loads_no_ui():
    """At run time no analytics module may pull in textual or lokifi_tui. (rich is checked in the source
    only: httpx, which openai needs, imports rich for its own command line when rich is installed.)"""
    runtime_forbidden = ("textual", "lokifi_tui")
    code = (
        "import importlib, pkgutil, sys, analytics\n"
        "for m in pkgutil.walk_packages(analytics.__path__, 'analytics.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = sorted(k for k in sys.modules if k.split('.')[0] in {runtime_forbidden!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"analytics pulled in: {out.stdout.strip()}"
