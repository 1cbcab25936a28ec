"""lokifi_tui has no import loops: no module reaches itself through its imports, counting imports inside
functions and under TYPE_CHECKING (both are loops a reader has to untangle). Code under
``if __name__ == "__main__":`` is left out: it runs as module ``__main__``, not as the module."""

from __future__ import annotations

import ast
import pathlib

from repo_paths import ROOT


def _modules() -> dict[str, pathlib.Path]:
    mods = {}
    for path in (ROOT / "lokifi_tui").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        mods[name.removesuffix(".__init__")] = path
    return mods


def _main_block(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
    )


def _imports(name: str, path: pathlib.Path, mods: dict[str, pathlib.Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(n) for block in ast.walk(tree) if _main_block(block) for n in ast.walk(block)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            targets = [base, *(f"{base}.{a.name}" for a in node.names)]
        else:
            continue
        for target in targets:
            while target and target not in mods:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def test_lokifi_tui_has_no_import_loops():
    mods = _modules()
    graph = {name: _imports(name, path, mods) for name, path in mods.items()}
    loops = []
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            mod = todo.pop()
            if mod == start:
                loops.append(start)
                break
            if mod not in seen:
                seen.add(mod)
                todo.extend(graph[mod])
    assert not loops, f"modules that import themselves through others: {sorted(loops)}"
