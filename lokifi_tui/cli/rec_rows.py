"""The recommendation rows as the command line shows them (``lokifi recs list``, ``lokifi ai
recommendations``, triage answers). No click here: ``lokifi recs list`` answers through
:mod:`lokifi_tui.cli.quick` without loading the command line."""

from __future__ import annotations

import datetime as dt

from analytics.recommend.scoring import PRIORITY_NAMES
from lokifi_tui.cli.output import console, inert, print_json, wrapped

ICONS = {"security": "🔒", "dependencies": "📦", "performance": "⚡", "maintenance": "🧹", "system": "💻"}
#: the words are the recommendation engine's (the dashboard shows the same); the colours, the terminal's
PRIORITY = {p: (name, ("bold red", "yellow", "cyan")[p - 1]) for p, name in PRIORITY_NAMES.items()}


def rec_json(r, now: dt.datetime) -> dict:
    d = r.to_dict()
    d["status"] = r.effective_status(now)
    d["priority_name"] = PRIORITY.get(r.priority, ("?", ""))[0]
    d["recommendation_type"] = r.rule
    d["impact_score"] = r.impact
    return d


def learned_note(r) -> str:
    if r.learned_factor >= 0.999:
        return ""
    learned = r.evidence.get("learned", {}) if isinstance(r.evidence, dict) else {}
    return (
        f" (lowered from {r.base_impact:.1f}: dismissed {learned.get('dismissed', 0)}× on this host; "
        f"`lokifi recs reset-learning {r.rule}` to undo)"
    )


def print_rec(r, now: dt.datetime, *, show_id: bool = True, show_status: bool = False) -> None:
    name, style = PRIORITY.get(r.priority, ("?", ""))
    icon = ICONS.get(r.category, "💡")
    rid = f"[dim]#{r.id}[/] " if show_id else ""
    status = r.effective_status(now)
    st = ""
    if show_status and status != "open":
        until = f" until {r.snoozed_until:%Y-%m-%d %H:%M} UTC" if status == "snoozed" and r.snoozed_until else ""
        st = f" [dim]({status}{until})[/]"
    console.print(f"{icon} {rid}[{style}]\\[{name}][/] [bold]{inert(r.title)}[/]{st}")
    console.print(wrapped("", r.description))
    console.print(wrapped("Impact:", f"{r.impact:.1f}/10{learned_note(r)}"))
    # an action written as a command (``lokifi scan``, ``cd DIR && pip list --outdated``) is printed whole,
    # so it copies into a shell as one line; prose (``Investigate ... (see `lokifi ai predict`)``) is
    # wrapped at its words. Rules write prose capitalised and commands as typed.
    prose = r.action[:1].isupper()
    console.print(wrapped("Action:", r.action) if prose else f"   Action: {inert(r.action)}")
    console.print()


def list_open(store, config, host: str | None, *, show_all: bool, as_json: bool) -> None:
    """``lokifi recs list``: open recommendations (all with ``show_all``), most urgent first, for ``host``
    (this machine's by default)."""
    from analytics.recommend.lifecycle import list_recs, utcnow  # the stored rows: no rule engine, no psutil

    now = utcnow()
    items = list_recs(store, host or config.host, include_all=show_all, now=now)
    if as_json:
        print_json([rec_json(r, now) for r in items])
        return
    if not items:
        for_host = f" for host {inert(host)}" if host else ""
        host_opt = f" --host {inert(host)}" if host else ""
        console.print(
            "No recommendations"
            + ("" if show_all else " open")
            + for_host
            + ". Run `lokifi ai recommendations"
            + host_opt
            + "` or `lokifi scan`."
        )
        return
    for r in items:
        print_rec(r, now, show_status=True)
