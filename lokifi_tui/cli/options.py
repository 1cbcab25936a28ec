"""The options several commands share, declared once: ``--json``, ``--yes`` and ``--host NAME``.

Only click is imported here (no rich, no store), so commands that must start fast (``forecast
series``, ``patterns group``) can use them at module level. It builds on :mod:`lokifi_tui.cli.output` and
:mod:`lokifi_tui.cli.context`, neither of which imports it.
"""

from __future__ import annotations

import click

HOST_HELP = "Only this host's rows."


class Finite(click.FloatRange):
    """A float option (optionally in a range) that refuses nan and infinities: ``--step nan`` is a usage
    error, not a traceback deep in a model."""

    name = "number"

    def convert(self, value, param, ctx):
        import math

        v = super().convert(value, param, ctx)
        if not math.isfinite(v):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return v

    def _describe_range(self) -> str:
        # click prints "x<=None" for a range with no bounds; an unbounded number has no range to show
        if self.min is None and self.max is None:
            return ""
        # numbers as people write them (1/24 is not 0.041666666666666664)
        lo = None if self.min is None else f"{self.min:.4g}"
        hi = None if self.max is None else f"{self.max:.4g}"
        lop = "<" if self.min_open else "<="
        hop = "<" if self.max_open else "<="
        if lo is None:
            return f"x{hop}{hi}"
        if hi is None:
            return f"x{'>' if self.min_open else '>='}{lo}"
        return f"{lo}{lop}x{hop}{hi}"


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(f)


def yes_option(f):
    """``--yes``: a command that asks before it changes something acts without asking."""
    return click.option("--yes", is_flag=True, help="Do not ask for confirmation.")(f)


def component_option(text: str = "Only this component."):
    """``--component/-c NAME`` of a report: checked against the components the store knows before the command
    runs, so a misspelt name fails (exit code 3, the known names listed) instead of reporting nothing found."""

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        from analytics.store.components import UnknownComponent, require_component
        from lokifi_tui.cli.context import stored_store
        from lokifi_tui.cli.output import BAD_INPUT, fail

        try:
            return require_component(stored_store(ctx), value)
        except UnknownComponent as exc:
            fail(str(exc), BAD_INPUT)

    return click.option(
        "--component", "-c", default=None, callback=check, help=f"{text} NAME must have rows in the store."
    )


def host_option(text: str = HOST_HELP):
    """``--host NAME``: the one host filter of every command that shows per-host rows.

    ``text`` says what the filter means for that command (e.g. that a forecast is then computed over the
    host's own series). The name is checked against the hosts the store knows before the command runs:
    an unknown one fails with exit code 3 (bad input) and a message listing them, instead of the
    command printing an empty table. The command receives ``host`` (None when not given) and puts it
    in its ``--json`` output."""

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        from lokifi_tui.cli.output import BAD_INPUT, USAGE, fail

        value = value.strip()
        if not value:
            fail("--host needs a host name (`lokifi sources hosts` lists the fleet's)", USAGE)
        from analytics.store.hosts import UnknownHost, require_host
        from lokifi_tui.cli.context import stored_store

        try:
            return require_host(stored_store(ctx), value)
        except UnknownHost as exc:
            fail(str(exc), BAD_INPUT)

    return click.option(
        "--host",
        "host",
        metavar="NAME",
        default=None,
        callback=check,
        help=f"{text} NAME must be a host the store has rows from.",
    )
