"""``lokifi patterns mute`` / ``unmute``: an expected error's pattern raises no prediction and no alert, on
every host or one (:mod:`analytics.patterns.mutes`); and what ``patterns list`` / ``show`` say of a muted
pattern."""

from __future__ import annotations

import click

from lokifi_tui.cli.options import json_option


def mutes_of(store) -> dict:
    """The mutes in force now, by fingerprint (:func:`analytics.patterns.mutes.active_mutes`)."""
    from analytics.common.clock import utcnow
    from analytics.patterns.mutes import active_mutes

    with store.read() as con:
        return active_mutes(con, utcnow())


def mute_fields(mutes: dict, r: dict) -> dict:
    """What ``patterns list --json`` says of a pattern's mutes: muted (anywhere), the every-host mute's end,
    the hosts it is muted on alone."""
    from analytics.patterns.mutes import everywhere

    ms = mutes.get(r["error_hash"], ())
    every = everywhere(ms)
    return {
        "muted": bool(ms),
        "muted_until": every.until if every else None,
        "muted_on": [] if every else [m.host for m in ms],
    }


def muted_cell(mutes: dict, r: dict) -> str:
    """The ``muted`` column: ``to 12-06 18:59``, ``yes`` (until unmuted), ``on web-1``, ``on 3 hosts``."""
    f = mute_fields(mutes, r)
    if not f["muted"]:
        return ""
    if f["muted_on"]:
        hosts = f["muted_on"]
        return f"on {hosts[0]}" if len(hosts) == 1 else f"on {len(hosts)} hosts"
    return f"to {f['muted_until']:%m-%d %H:%M}" if f["muted_until"] else "yes"


@click.command("mute")
@click.argument("pattern")
@click.option(
    "--for", "for_", default=None, help="How long: 30m, 4h, 1d, 2w (default: until `lokifi patterns unmute`)."
)
@click.option("--reason", default=None, help="Why it is expected here (shown with the pattern).")
@click.option(
    "--host",
    default=None,
    metavar="NAME",
    help="Only on this host (a host the store has rows from); default: every host.",
)
@json_option
@click.pass_context
def patterns_mute(
    ctx: click.Context, pattern: str, for_: str | None, reason: str | None, host: str | None, as_json: bool
) -> None:
    """Mute an expected error: its pattern raises no prediction and no alert (a firing alert resolves),
    on every host or, with --host, on one.

    PATTERN is an id from `lokifi patterns list` (or its first 6+ digits) or an error message. Its events
    are still stored and counted; `lokifi patterns unmute PATTERN` ends the mute."""
    from analytics.common.clock import utcnow
    from analytics.patterns.learning import PatternNotFound
    from analytics.patterns.mutes import mute
    from lokifi_tui.cli.context import stored_store
    from lokifi_tui.cli.output import BAD_INPUT, USAGE, console, fail, inert, print_json
    from lokifi_tui.cli.recs import parse_duration

    store = stored_store(ctx)
    with store.shared():  # the host checked, the pattern found and muted: the file opened once
        if host is not None:
            _known_host(store, host)
        now = utcnow()
        until = None
        if for_ is not None:
            try:
                until = now + parse_duration(for_)
            except click.BadParameter as exc:
                fail(f"--for: {exc.message}", USAGE)
        try:
            m = mute(store, pattern, now=now, until=until, reason=reason, host=host or "")
        except PatternNotFound as exc:
            fail(str(exc), BAD_INPUT)
    if as_json:
        print_json(m)
        return
    console.print(f"🔇 Pattern {m.fingerprint[:12]} {inert(m.describe())}.")


@click.command("unmute")
@click.argument("pattern")
@click.option("--host", default=None, metavar="NAME", help="End only the mute on this host (default: every mute).")
@json_option
@click.pass_context
def patterns_unmute(ctx: click.Context, pattern: str, host: str | None, as_json: bool) -> None:
    """End a pattern's mutes (with --host, its mute on that host): it raises predictions and alerts again."""
    from analytics.patterns.learning import PatternNotFound
    from analytics.patterns.mutes import unmute
    from lokifi_tui.cli.context import stored_store
    from lokifi_tui.cli.output import BAD_INPUT, console, fail, inert, print_json

    store = stored_store(ctx)
    with store.shared():  # the pattern found and unmuted: the file opened once
        try:
            fp, ended = unmute(store, pattern, host=host)
        except PatternNotFound as exc:
            fail(str(exc), BAD_INPUT)
    if as_json:
        print_json({"fingerprint": fp, "was_muted": bool(ended), "mutes_ended": ended})
        return
    where = f" on {inert(host)}" if host else ""
    if not ended:
        console.print(f"🔔 Pattern {fp[:12]} was not muted{where}.")
        return
    many = f" ({ended} mutes)" if ended > 1 else ""
    console.print(f"🔔 Pattern {fp[:12]} unmuted{where}{many}.")


def _known_host(store, host: str) -> None:
    """Refuse a host the store has no rows from (a typo would mute nothing), naming the known ones."""
    from analytics.store.hosts import UnknownHost, require_host
    from lokifi_tui.cli.output import BAD_INPUT, fail

    try:
        require_host(store, host)
    except UnknownHost as exc:
        fail(str(exc), BAD_INPUT)
