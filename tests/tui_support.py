"""Shared helpers for the dashboard tests: a small seeded store (hostile text included), a fixed clock,
fixed vitals, a way to read what is on screen as plain text, and ways to wait for what the app does
(never for a fixed time)."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from pathlib import Path

NOW = dt.datetime(2026, 3, 2, 12, 0, 0)

H_REDIS = hashlib.sha256(b"redis").hexdigest()
H_TIMEOUT = hashlib.sha256(b"timeout").hexdigest()
H_HOSTILE = hashlib.sha256(b"hostile").hexdigest()

HOSTILE_MARKUP = "[bold red]PWNED[/] [link=http://evil]click[/link]"
HOSTILE_ESCAPE = "boom \x1b[2J\x1b]0;owned\x07 tail"


def fixed_vitals():
    from lokifi_tui.messages import VitalsSample

    return VitalsSample(cpu=12.0, mem=45.0, disk=71.0, load=0.42, cores=2)


def seed_store(path: Path, now: dt.datetime = NOW):
    """A store with known rows in the foundation tables (001_initial.sql) — written here as test data."""
    from analytics.store.database import Store

    store = Store(path)
    h = dt.timedelta(hours=1)
    d = dt.timedelta(days=1)
    with store.write() as con:
        patterns = [
            # hash, type, message, template, component, solution, s, f, count, last_seen, conf, auto
            (
                H_REDIS,
                "connection_error",
                "Connection refused on port 6379",
                "Connection refused on port <NUM>",
                "redis",
                "systemctl restart redis",
                9,
                1,
                120,
                now - h,
                0.83,
                True,
            ),
            (
                H_TIMEOUT,
                "timeout_error",
                "upstream timed out after 30s",
                "upstream timed out after <DUR>",
                "nginx",
                "raise proxy_read_timeout",
                2,
                2,
                40,
                now - 2 * h,
                0.5,
                False,
            ),
            (
                H_HOSTILE,
                "general_error",
                HOSTILE_MARKUP,
                HOSTILE_ESCAPE,
                "worker[1]",
                None,
                0,
                0,
                3,
                now - 3 * h,
                0.5,
                False,
            ),
        ]
        for hh, t, m, tpl, comp, sol, s, f, n, seen, conf, auto in patterns:
            con.execute(
                "INSERT INTO error_patterns (error_hash, error_type, error_message, template, component, solution, "
                "success_count, failure_count, occurrence_count, first_seen, last_seen, confidence_score, "
                "auto_approved) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [hh, t, m, tpl, comp, sol, s, f, n, now - 20 * d, seen, conf, auto],
            )
        for i in range(10):
            con.execute(
                "INSERT INTO fix_history (error_hash, fix_applied, success, applied_at) VALUES (?,?,?,?)",
                [H_REDIS, "systemctl restart redis", i != 3, now - (10 - i) * d],
            )
        for i, e in enumerate([H_REDIS] * 5 + [H_TIMEOUT] * 2):
            con.execute(
                "INSERT INTO error_events (ts, host, component, message, fingerprint, type, source) "
                "VALUES (?,?,?,?,?,?,?)",
                [
                    now - (i + 1) * h,
                    "box",
                    "redis",
                    f"Connection refused on port 6379 #{i}",
                    e,
                    "connection_error",
                    "test",
                ],
            )
        preds = [
            # type, component, severity, message, conf, kind, date, due, accurate
            (
                "slow_response",
                "backend",
                "HIGH",
                "backend avg 1234.5ms > 1000ms",
                0.85,
                "prior",
                now - h,
                now + 23 * h,
                None,
            ),
            (
                "recurring_error",
                "redis",
                "HIGH",
                "connection_error 5 times in redis",
                0.9,
                "prior",
                now - h,
                now + 23 * h,
                None,
            ),
            (
                "performance_degradation",
                "frontend",
                "MEDIUM",
                HOSTILE_ESCAPE,
                0.7,
                "prior",
                now - 2 * h,
                now + 22 * h,
                None,
            ),
            ("slow_response", "backend", "HIGH", "old, scored", 0.85, "prior", now - 3 * d, now - 2 * d, True),
            ("recurring_error", "redis", "HIGH", "old, scored", 0.9, "prior", now - 3 * d, now - 2 * d, False),
            ("slow_response", "postgres", "HIGH", "old, scored", 0.85, "prior", now - 4 * d, now - 3 * d, True),
        ]
        for t, comp, sev, msg, conf, kind, made, due, acc in preds:
            con.execute(
                "INSERT INTO predictions (prediction_type, component, severity, message, confidence_score, "
                "confidence_kind, prediction_date, due_at, accurate, outcome_date, evidence, subject) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    t,
                    comp,
                    sev,
                    msg,
                    conf,
                    kind,
                    made,
                    due,
                    acc,
                    None if acc is None else due,
                    '{"current": 1234.5, "baseline": 310.2, "deviation": 3.1}',
                    H_REDIS if t == "recurring_error" else None,  # a recurring error names its pattern
                ],
            )
        recs = [
            # title, description, priority, category, impact, action, created
            (
                "Security Scan Overdue",
                "Last security scan was 14 days ago",
                1,
                "security",
                9.0,
                "lokifi scan",
                now - 2 * d,
            ),
            (
                "Low Cache Hit Rate Detected",
                "Cache hit rate is 38.5% (< 50%)",
                2,
                "performance",
                8.0,
                "redis-cli info stats",
                now - 5 * h,
            ),
            (
                HOSTILE_MARKUP,
                HOSTILE_ESCAPE,
                3,
                "maintenance",
                5.0,
                "rm -rf $(echo " + HOSTILE_ESCAPE + ")",
                now - 30 * 60 * dt.timedelta(seconds=1),
            ),
        ]
        for i, (title, desc, prio, cat, imp, action, created) in enumerate(recs):
            con.execute(
                "INSERT INTO smart_recommendations (recommendation_type, title, description, priority, category, "
                "impact_score, action, created_at, rec_key, status) VALUES (?,?,?,?,?,?,?,?,?, 'open')",
                [cat, title, desc, prio, cat, imp, action, created, f"rule{i}:subject"],
            )
        for comp in ("backend", "redis"):
            for i in range(72):
                hour = (now - (72 - i) * h).replace(minute=0, second=0, microsecond=0)
                v = 300.0 + 5 * i + (50 if comp == "backend" else 0)
                con.execute(
                    "INSERT INTO metrics_hourly VALUES (?,?,?,?,?,?,?,?,?)",
                    ["box", comp, "response_time_ms", hour, 60, v * 60, v * v * 60, v - 10, v + 10],
                )
    return store


def screen_text(app) -> str:
    """Everything on the current screen as plain text (what a terminal would show)."""
    from rich.console import Console

    console = Console(
        width=app.size.width,
        height=app.size.height,
        record=True,
        file=open("/dev/null", "w"),
        color_system=None,
        legacy_windows=False,
    )
    screen = app.screen
    lines = screen._compositor.render_update(full=True)
    console.print(lines)
    return console.export_text()


async def settle(pilot) -> None:
    """Let the first reads finish and the screen show them."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_until(pilot, condition, timeout: float = 30.0, what: str = "the condition") -> None:
    """Let the app run (its messages, timers and workers) until ``condition()`` holds; each round waits
    until the app is idle, not for a fixed time. Fails after ``timeout`` seconds, showing the screen."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"{what} did not happen within {timeout:g} s; the screen shows:\n{screen_text(pilot.app)}"
            )
        await pilot.pause()


async def first_read_shown(pilot) -> None:
    """Wait until the first read of the store is on screen (its DataLoaded handled), no worker is left
    running and every scheduled animation and repaint is done."""
    app = pilot.app
    await wait_until(pilot, lambda: app.data_loads >= 1 and app.dashboard.tables_ready, what="the first read")
    await app.workers.wait_for_complete()
    await pilot.wait_for_scheduled_animations()
