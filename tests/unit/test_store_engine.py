"""DuckDB in two layers (analytics/store/engine.py): read commands answer on DuckDB's C++ extension alone,
and everything that needs the package's Python layer (``con.sql``, ``.pl()``, frames handed to DuckDB)
loads it first — in a fresh process, where nothing else has imported it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# the connection methods duckdb's Python layer adds (duckdb/_relation.py CONNECTION_METHODS)
PYTHON_LAYER = {
    "sql",
    "query",
    "from_query",
    "table",
    "view",
    "values",
    "table_function",
    "read_csv",
    "from_csv_auto",
    "read_json",
    "read_parquet",
    "from_parquet",
    "from_df",
    "from_arrow",
    "to_arrow_table",
    "to_arrow_reader",
}


def _fresh(code: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT)


def test_the_layer_list_is_duckdbs_own():
    relation = pytest.importorskip("duckdb._relation")
    assert set(relation.CONNECTION_METHODS) == PYTHON_LAYER


def test_no_module_calls_the_python_layer_on_a_connection_itself():
    """``con.sql(...)`` works in a process only once the duckdb package has been imported; a read
    command never imports it, so such a call must go through :func:`analytics.store.engine.frame`."""
    found = []
    for path in sorted([*ROOT.joinpath("analytics").rglob("*.py"), *ROOT.joinpath("lokifi_tui").rglob("*.py")]):
        if path.name == "engine.py" and path.parent.name == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver = node.func.value
            name = receiver.id if isinstance(receiver, ast.Name) else ""
            if node.func.attr in PYTHON_LAYER and name in {"con", "cur", "conn", "connection", "cursor"}:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}.{node.func.attr}(...)")
    assert not found, "use analytics.store.engine.frame:\n" + "\n".join(found)


def test_frame_loads_the_python_layer_in_a_fresh_process():
    r = _fresh(
        "import sys\n"
        "from analytics.store.engine import duckdb, frame\n"
        "lean = 'duckdb' not in sys.modules\n"
        "con = duckdb.connect()\n"
        "df = frame(con, 'SELECT 41 + ? AS answer', [1])\n"
        "print(lean, df['answer'].to_list())\n"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "[42]"]


def test_a_fresh_process_writes_frames_and_reads_them_back(tmp_path):
    """A write session loads the Python layer before any frame reaches DuckDB; a nested read inside it
    is a cursor on the same database (the write and the append open the file, the nested read does not)."""
    r = _fresh(
        "import sys\n"
        "import polars as pl\n"
        "from analytics.store.database import Store\n"
        "s = Store(sys.argv[1])\n"
        "opens = []\n"
        "real = Store._open\n"
        "Store._open = lambda self, *a, **k: opens.append(1) or real(self, *a, **k)\n"
        "with s.write() as con:\n"
        "    con.execute(\"INSERT INTO kv (key, value) VALUES ('k', 'v')\")\n"
        "    with s.read() as inner:\n"
        "        seen = inner.execute('SELECT count(*) FROM kv').fetchall()[0][0]\n"
        "s.append('kv', pl.DataFrame({'key': ['a'], 'value': ['b']}))\n"
        "print(seen, len(opens), sorted(s.query('SELECT key FROM kv')['key'].to_list()))\n",
        str(tmp_path / "s.duckdb"),
    )
    assert r.returncode == 0, r.stderr
    # the nested read is its own transaction: it does not see the outer one's uncommitted row
    assert r.stdout.strip().split(maxsplit=2) == ["0", "2", "['a', 'k']"]


def test_a_nested_read_sees_the_same_database_and_survives_an_error(store):
    from analytics.store.database import StoreError

    store.set_kv("x", "1")
    with store.read() as outer:
        with pytest.raises(StoreError), store.read() as inner:
            inner.execute("SELECT * FROM no_such_table")
        with store.read() as inner:
            assert inner.execute("SELECT value FROM kv WHERE key = 'x'").fetchall() == [("1",)]
        assert outer.execute("SELECT count(*) FROM kv").fetchall()[0][0] >= 1


@pytest.mark.parametrize("argv", [["status", "--json"], ["recs", "list"], ["ai", "learn"], ["ai", "learn", "--json"]])
def test_read_commands_answer_without_duckdbs_python_layer(seeded, argv):
    """The cold-start budget of the read commands (bench/bench_cli.py) rests on this: their process never
    imports the duckdb package, only its extension."""
    db = seeded.path
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('\\nLAYER=%s\\n' % ('duckdb' in sys.modules)))\n"
        "sys.argv = ['lokifi', '--db', sys.argv[1], *sys.argv[2:]]\n"
        "from lokifi_tui.cli.entry import main\n"
        "main()\n"
    )
    r = _fresh(code, str(db), *argv)
    assert r.returncode == 0, r.stderr
    assert "LAYER=False" in r.stderr, r.stderr
    assert r.stdout.strip()
