"""A module over 500 lines says in its docstring why it is one module ("One module: ... because ..."),
so a newcomer finds small modules named for what they do, and the few long ones explain themselves."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 500


def test_every_long_module_gives_its_reason():
    unexplained = []
    for path in sorted([*ROOT.joinpath("analytics").rglob("*.py"), *ROOT.joinpath("lokifi_tui").rglob("*.py")]):
        text = path.read_text()
        lines = text.count("\n")
        if lines <= LIMIT:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if "One module:" not in doc:
            unexplained.append(f"{path.relative_to(ROOT)} ({lines} lines)")
    assert not unexplained, "split these or say why they are one module:\n" + "\n".join(unexplained)
