"""``lokifi error record``: an error seen by hand, recorded and learned as a pattern."""

from __future__ import annotations

import click

from lokifi_tui.cli.options import json_option


@click.group("error")
def error() -> None:
    """Record errors by hand: record."""


@error.command("record")
@click.argument("message")
@click.option("--component", "-c", default="unknown", show_default=True, help="The component that raised it.")
@click.option("--host", default=None, help="Host name (default: this machine).")
@json_option
@click.pass_context
def error_record(ctx: click.Context, message: str, component: str, host: str | None, as_json: bool) -> None:
    """Record an error MESSAGE seen in COMPONENT and learn its pattern."""
    from analytics.patterns.learning import record_error
    from lokifi_tui.cli.context import get_store
    from lokifi_tui.cli.output import BAD_INPUT, console, fail, inert, print_json, shell_word

    if not message.strip():
        fail("the error message is empty; pass the text of the error in quotes", BAD_INPUT)
    store = get_store(ctx)
    with store.shared():  # the event appended, learned and read back: the file opened once
        p = record_error(store, message, component=component, host=host)
    if as_json:
        print_json({k: v for k, v in p.items() if k not in ("fixes",)})
        return
    if p.get("spooled") or p.get("learned") is False:
        how = (
            (
                "queued: the database is busy, so the error waits in the spool and is written (and learned) by "
                "the next Lokifi process that opens it — do not record it again"
            )
            if p.get("spooled")
            else ("stored; the database is busy, so its pattern is learned on the next refresh")
        )
        console.print(f"Recorded in {inert(component)}: {how}.")
        console.print(f"  pattern {p['error_hash'][:12]} ({p['error_type']}), template: {inert(p['template'], 300)}")
        return
    console.print(
        f"Recorded in {inert(component)}: pattern {p['error_hash'][:12]} ({p['error_type']}), "
        f"seen {p['occurrence_count']:,}x"
    )
    console.print(f"  template: {inert(p['template'], 300)}")
    console.print(f"  suggest a fix: lokifi fix suggest {inert(shell_word(message))}")
