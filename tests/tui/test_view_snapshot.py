"""The dashboard's last known state on disk: a view survives the round trip exactly, the file is its
owner's only, anything unreadable or hostile is ignored (never executed, never an error), and a second
start shows the rows it saved while the store is still being read."""

from __future__ import annotations

import json
import os
import stat
import threading

import pytest
from hypothesis import given, settings, strategies as st
from tui_support import NOW, fixed_vitals, screen_text, wait_until

from analytics.dashboard import snapshot as vs, view as dv
from lokifi_tui.app import LokifiApp

TABLE_PANES = ("predictions", "recommendations", "patterns")


def test_a_view_survives_the_round_trip_exactly(seeded):
    view = dv.load_dashboard(seeded, now=NOW)
    assert any(view.pane(n).rows for n in TABLE_PANES)
    path = vs.save(view, seeded.path, (1, 2, 3, 4))
    assert path is not None and path.parent.parent == vs.snapshot_path(seeded.path).parent.parent
    assert str(path).startswith(os.environ["LOKIFI_HOME"])  # under the cache directory
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    back, signature = vs.load(seeded.path)
    assert back == view and signature == (1, 2, 3, 4)
    assert vs.load(seeded.path.with_name("other.duckdb")) is None  # one file per database


def test_an_unwritable_cache_is_not_an_error(seeded, tmp_path, monkeypatch):
    view = dv.load_dashboard(seeded, now=NOW)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("LOKIFI_HOME", str(blocker))
    assert vs.save(view, seeded.path) is None and vs.load(seeded.path) is None


@pytest.mark.parametrize(
    "body",
    [
        b"\x00\xff\xfe not json",
        b"[]",
        b'{"format": 999, "view": {}}',
        b'{"format": 1, "view": {"$t": "Popen", "v": {"args": "touch /tmp/pwned"}}}',  # not a view type
        b'{"format": 1, "view": {"$t": "Pane", "v": {"name": "x", "available": true}}}',  # not a whole view
        b'{"format": 1, "view": {"$t": "DashboardView", "v": {"now": 5}}}',
        b'{"format": 1, "view": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    ],
)
def test_unreadable_or_hostile_files_are_ignored(tmp_path, body):
    db = tmp_path / "x.duckdb"
    path = vs.snapshot_path(db)
    path.parent.mkdir(parents=True)
    path.write_bytes(body)
    assert vs.load(db) is None


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.sampled_from(["$t", "$dt", "$d", "v", "format", "view", "now"]), inner, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_any_json_loads_as_a_view_or_not_at_all(tmp_path_factory, doc):
    db = tmp_path_factory.mktemp("s") / "x.duckdb"
    path = vs.snapshot_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": 1, "view": doc}))
    got = vs.load(db)
    assert got is None or isinstance(got[0], dv.DashboardView)


@pytest.mark.slow
@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_second_start_shows_the_last_rows_while_the_store_is_read(seeded, monkeypatch, anyio_backend):
    first = LokifiApp(seeded.path, vitals=fixed_vitals, collect=False, now=NOW)
    async with first.run_test(size=(160, 50)) as pilot:
        # the read starts after the first frame: on a loaded machine no worker may be running yet
        await wait_until(pilot, lambda: first.data_loads >= 1, 30, "the first read")
        await pilot.app.workers.wait_for_complete()  # its worker writes the snapshot after the rows land
        await pilot.pause()
        shown = first.dashboard.box("predictions").table.row_count
    assert shown > 0 and vs.load(seeded.path) is not None

    # the next start's read is held until the test lets it go
    release, real = threading.Event(), dv.load_dashboard

    def slow_load(*args, **kwargs):
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(dv, "load_dashboard", slow_load)
    with seeded.write() as con:  # the store changed since: the screen says what it shows
        con.execute("UPDATE error_patterns SET occurrence_count = occurrence_count + 1")
    second = LokifiApp(seeded.path, vitals=fixed_vitals, collect=False, now=NOW)
    async with second.run_test(size=(160, 50)) as pilot:
        await wait_until(pilot, lambda: second.dashboard.tables_ready, 30, "the saved rows")
        await pilot.pause()
        assert second.data_loads == 0  # nothing read yet ...
        assert second.dashboard.box("predictions").table.row_count == shown  # ... and the rows are there
        assert "Showing what was read at" in screen_text(second)
        release.set()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert second.data_loads == 1 and "Showing what was read at" not in screen_text(second)


class _FirstFrame(LokifiApp):
    """Records what the tables held when the first frame had been drawn."""

    def _after_first_paint(self) -> None:
        boxes = self.dashboard.query("PaneBox")
        self.first_frame = {b.pane: b.table.row_count if b.has_table and b.table.display else None for b in boxes}
        self.first_frame_stats = screen_text(self)
        super()._after_first_paint()


@pytest.mark.slow
@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("size", [(120, 40), (160, 50)])
async def test_a_restart_draws_the_last_rows_in_its_first_frame(seeded, size, anyio_backend):
    first = LokifiApp(seeded.path, vitals=fixed_vitals, collect=False, now=NOW)
    async with first.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: first.data_loads >= 1, 30, "the first read")
        await pilot.app.workers.wait_for_complete()  # its worker writes the snapshot after the rows land
        await pilot.pause()
        shown = {b.pane: b.table.row_count for b in first.dashboard.query("PaneBox")}
    cold = _FirstFrame(seeded.path, vitals=fixed_vitals, collect=False, now=NOW)
    vs.snapshot_path(seeded.path).unlink()
    async with cold.run_test(size=size) as pilot:  # no last state: the frame comes first, rows after a read
        await wait_until(pilot, lambda: hasattr(cold, "first_frame"), 30, "the first frame")
        assert set(cold.first_frame.values()) == {None}
        await pilot.app.workers.wait_for_complete()
    again = _FirstFrame(seeded.path, vitals=fixed_vitals, collect=False, now=NOW)
    async with again.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: hasattr(again, "first_frame"), 30, "the first frame")
        # the pane on screen (all four in the grid, the active one as tabs) had its rows in the first frame
        narrow = again.dashboard.narrow
        expected = {p: (n if not narrow or p == "predictions" else None) for p, n in shown.items()}
        assert again.first_frame == expected, (narrow, again.first_frame)
        assert shown["predictions"] > 0
        assert "reading the store" not in again.first_frame_stats.splitlines()[1]  # the top bar's figures too
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert {b.pane: b.table.row_count for b in again.dashboard.query("PaneBox")} == shown
        # the footer is mounted after the frame that shows the rows, with a table already focused: it
        # shows the keys without waiting for a key press
        footer = screen_text(again).splitlines()[-1]
        assert "q Quit" in footer and "? Help" in footer, footer


def test_the_dashboards_read_leaves_the_analysis_libraries_unloaded(seeded):
    """One refresh of every pane (patterns, predictions with their briefs, recommendations, forecast
    sparklines, learning) reads plain rows: a new process that reads the seeded store has not loaded
    polars, pyarrow or NumPy (their import was about half a second of the first rows, and 65 MB)."""
    import subprocess
    import sys

    code = (
        "import sys, datetime as dt\n"
        "from analytics.store.database import Store\n"
        "from analytics.dashboard.view import load_dashboard\n"
        f"view = load_dashboard(Store(sys.argv[1]), now=dt.datetime.fromisoformat({NOW.isoformat()!r}))\n"
        "assert all(view.pane(n).available for n in ('patterns', 'predictions', 'recommendations', 'forecast'))\n"
        "assert view.pane('patterns').rows and view.pane('predictions').rows\n"
        "heavy = sorted({k.split('.')[0] for k in sys.modules} & {'polars', 'pyarrow', 'numpy'})\n"
        "sys.stderr.write('HEAVY:' + ','.join(heavy) + '\\n')\n"
    )
    r = subprocess.run([sys.executable, "-c", code, str(seeded.path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "HEAVY:\n" in r.stderr, r.stderr


def test_triage_from_the_dashboard_leaves_the_analysis_libraries_unloaded(seeded, tmp_path):
    """Recording a fix outcome, undoing it and saving a solution (y, n, u, e) loaded the templating engine
    (polars, pyarrow, NumPy): the dashboard went from 95 MB to 203 MB on its first y. They write rows."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from analytics.store.database import Store\n"
        "from lokifi_tui import triage\n"
        "store = Store(sys.argv[1])\n"
        "with store.read() as con:\n"
        "    fp = con.execute('SELECT error_hash FROM error_patterns ORDER BY error_hash LIMIT 1').fetchone()[0]\n"
        "r = triage.record_outcome(store, fp, True, label='x')\n"
        "assert r.text.startswith('Fix worked recorded'), r.text\n"
        "r.undo(store)\n"
        "assert triage.edit_solution(store, fp, 'restart it').text.startswith('Solution saved')\n"
        "heavy = sorted({k.split('.')[0] for k in sys.modules} & {'polars', 'pyarrow', 'numpy'})\n"
        "sys.stderr.write('HEAVY:' + ','.join(heavy) + '\\n')\n"
    )
    copy = tmp_path / "copy.duckdb"  # the seeded store is the module's: written on a copy
    copy.write_bytes(seeded.path.read_bytes())
    r = subprocess.run([sys.executable, "-c", code, str(copy)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "HEAVY:\n" in r.stderr, r.stderr
