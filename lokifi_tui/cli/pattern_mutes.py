"""``lokifi patterns mute`` / ``unmute``: an expected error's pattern raises no prediction and no alert
(:mod:`analytics.patterns.mutes`); and what ``patterns list`` / ``show`` say of a muted pattern."""

from __future__ import annotations

import datetime as dt

import click

from lokifi_tui.cli.options import json_option


def mutes_of(store) -> dict:
    from analytics.common.clock import utcnow
    from analytics.patterns.mutes import active_mutes

    with store.read() as con:
        return active_mutes(con, utcnow())


def muted_until(mutes: dict, r: dict) -> dt.datetime | None:
    m = mutes.get(r["error_hash"])
    return m.until if m else None


def muted_cell(mutes: dict, r: dict) -> str:
    m = mutes.get(r["error_hash"])
    if m is None:
        return ""
    return f"to {m.until:%m-%d %H:%M}" if m.until else "yes"


@click.command("mute")
@click.argument("pattern")
@click.option(
    "--for", "for_", default=None, help="How long: 30m, 4h, 1d, 2w (default: until `lokifi patterns unmute`)."
)
@click.option("--reason", default=None, help="Why it is expected here (shown with the pattern).")
@json_option
@click.pass_context
def patterns_mute(ctx: click.Context, pattern: str, for_: str | None, reason: str | None, as_json: bool) -> None:
    """Mute an expected error: its pattern raises no prediction and no alert (a firing alert resolves).

    PATTERN is an id from `lokifi patterns list` (or its first 6+ digits) or an error message. Its events
    are still stored and counted; `lokifi patterns unmute PATTERN` ends the mute."""
    from analytics.common.clock import utcnow
    from analytics.patterns.learning import PatternNotFound
    from analytics.patterns.mutes import mute
    from lokifi_tui.cli.context import get_store
    from lokifi_tui.cli.output import BAD_INPUT, USAGE, console, fail, inert, print_json
    from lokifi_tui.cli.recs import parse_duration

    now = utcnow()
    until = None
    if for_ is not None:
        try:
            until = now + parse_duration(for_)
        except click.BadParameter as exc:
            fail(f"--for: {exc.message}", USAGE)
    try:
        m = mute(get_store(ctx), pattern, now=now, until=until, reason=reason)
    except PatternNotFound as exc:
        fail(str(exc), BAD_INPUT)
    if as_json:
        print_json(m)
        return
    console.print(f"🔇 Pattern {m.fingerprint[:12]} {inert(m.describe())}.")


@click.command("unmute")
@click.argument("pattern")
@json_option
@click.pass_context
def patterns_unmute(ctx: click.Context, pattern: str, as_json: bool) -> None:
    """End a pattern's mute: it raises predictions and alerts again."""
    from analytics.patterns.learning import PatternNotFound
    from analytics.patterns.mutes import unmute
    from lokifi_tui.cli.context import get_store
    from lokifi_tui.cli.output import BAD_INPUT, console, fail, print_json

    try:
        fp, was = unmute(get_store(ctx), pattern)
    except PatternNotFound as exc:
        fail(str(exc), BAD_INPUT)
    if as_json:
        print_json({"fingerprint": fp, "was_muted": was})
        return
    console.print(f"🔔 Pattern {fp[:12]} " + ("unmuted." if was else "was not muted."))
