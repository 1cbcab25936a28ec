"""Shared by the tests of recommendations about project files: a project directory with a finding."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path


def temp_project(root: Path) -> Path:
    """A directory holding 25 temp files three days old (one temp-files recommendation)."""
    root.mkdir(parents=True)
    t = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).timestamp()
    for i in range(25):
        (root / f"build{i}.tmp").write_text("x")
        os.utime(root / f"build{i}.tmp", (t, t))
    return root
