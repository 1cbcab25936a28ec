"""Snapshots of the dashboard on the demo data (fixed clock, fixed vitals) at 80x24, 100x30, 120x40,
160x50 and 200x60 (tabs below 170 columns, the grid above), and of help and details.

The demo is built once per run (not once per worker) with a fixed ``now``. Recommendations about *this* machine's CPU,
memory and disks (the system rules read psutil while the demo is built) are removed from the copy the
snapshots use, so the pictures do not depend on the machine running the tests.

When an engine changes what it shows, review the new pictures and accept them with
``pytest tests/tui/test_tui_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from run_once import built_once
from tui_support import first_read_shown, fixed_vitals

pytestmark = pytest.mark.slow  # measured: 42 s in all

NOW = dt.datetime(2026, 3, 2, 12, 0, 0)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """The demo, built once in the run (about ten CPU-seconds; :func:`run_once.built_once`), this worker's
    copy."""
    return built_once(tmp_path_factory, "demo.duckdb", _build)


def _build(path):
    from analytics.demo.data import build_demo
    from analytics.store.database import Store

    build_demo(path, now=NOW)
    store = Store(path)
    with store.write() as con:
        con.execute("DELETE FROM smart_recommendations WHERE category = 'system' OR rule LIKE 'system%'")
    assert not path.with_name(path.name + ".wal").exists()  # the whole database is in the file copied


def make_app(path):
    from lokifi_tui.app import LokifiApp

    return LokifiApp(path, vitals=fixed_vitals, collect=False, now=NOW, demo=True, refresh=3600, vitals_interval=3600)


async def loaded(pilot) -> None:
    await first_read_shown(pilot)


def test_dashboard_120x40(snap_compare, demo_db):
    assert snap_compare(make_app(demo_db), terminal_size=(120, 40), run_before=loaded)


@pytest.mark.parametrize("size", [(100, 30), (160, 50), (200, 60)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_dashboard_sizes(snap_compare, demo_db, size):
    assert snap_compare(make_app(demo_db), terminal_size=size, run_before=loaded)


def test_dashboard_80x24_tabs(snap_compare, demo_db):
    assert snap_compare(make_app(demo_db), terminal_size=(80, 24), run_before=loaded)


def test_recommendations_tab_80x24(snap_compare, demo_db):
    async def before(pilot):
        await loaded(pilot)
        await pilot.press("tab", "tab")

    assert snap_compare(make_app(demo_db), terminal_size=(80, 24), run_before=before)


def test_help_120x40(snap_compare, demo_db):
    async def before(pilot):
        await loaded(pilot)
        await pilot.press("tab", "tab", "question_mark")

    assert snap_compare(make_app(demo_db), terminal_size=(120, 40), run_before=before)


def test_pattern_detail_120x40(snap_compare, demo_db):
    async def before(pilot):
        await loaded(pilot)
        await pilot.press("shift+tab", "enter")
        await loaded(pilot)

    assert snap_compare(make_app(demo_db), terminal_size=(120, 40), run_before=before)
