"""The root ``lokifi`` group. Subcommands are imported lazily (``name -> module:attr``), so a command
loads only what it needs and ``lokifi patterns group`` starts fast."""

from __future__ import annotations

import importlib
import sys

import click

from lokifi_tui import __version__
from lokifi_tui.cli.context import Globals
from lokifi_tui.cli.options import Finite
from lokifi_tui.cli.root_options import MIN_REFRESH


class LazyGroup(click.Group):
    """A click group whose subcommands are ``"module:attr"`` strings imported on first use."""

    def __init__(self, *args, lazy_subcommands: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands or {}

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_subcommands))

    def get_command(self, ctx, cmd_name):
        if cmd_name in self.lazy_subcommands:
            module, _, attr = self.lazy_subcommands[cmd_name].partition(":")
            cmd = getattr(importlib.import_module(module), attr)
            if isinstance(cmd, click.Command) and cmd.name != cmd_name:
                cmd.name = cmd_name
            return cmd
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    lazy_subcommands={
        "init": "lokifi_tui.cli.ai_init:init",
        "autofix": "lokifi_tui.cli.fixes:ai_autofix",
        "learn": "lokifi_tui.cli.fixes:ai_learn",
        "predict": "lokifi_tui.cli.predict:ai_predict",
        "forecast": "lokifi_tui.cli.forecast:ai_forecast",
        "recommendations": "lokifi_tui.cli.recs:ai_recommendations",
        "status": "lokifi_tui.cli.rca:ai_status",
        "analyze": "lokifi_tui.cli.rca:ai_analyze",
        "preview": "lokifi_tui.cli.rca:ai_preview",
        "cache": "lokifi_tui.cli.rca:ai_cache",
    },
)
def ai() -> None:
    """AI commands: analyze and preview a pattern, autofix, predict, forecast, recommendations, learn; status,
    init and the answer cache."""


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    lazy_subcommands={
        "ingest": "lokifi_tui.cli.ingest:ingest",
        "backfill": "lokifi_tui.cli.backfill:backfill",
        "demo": "lokifi_tui.cli.demo:demo",
        "db": "lokifi_tui.cli.db:db",
        "locate": "lokifi_tui.cli.locate:locate",
        "status": "lokifi_tui.cli.status:status",
        "patterns": "lokifi_tui.cli.patterns:patterns",
        "fix": "lokifi_tui.cli.fixes:fix",
        "error": "lokifi_tui.cli.error_record:error",
        "anomalies": "lokifi_tui.cli.predict:anomalies",
        "baselines": "lokifi_tui.cli.predict:baselines",
        "forecast": "lokifi_tui.cli.forecast:forecast",
        "recs": "lokifi_tui.cli.recs:recs",
        "scan": "lokifi_tui.cli.recs:scan",
        "clean": "lokifi_tui.cli.clean:clean",
        "collect": "lokifi_tui.cli.collect:collect",
        "config": "lokifi_tui.cli.config_cmds:config",
        "sources": "lokifi_tui.cli.sources:sources",
    },
)
@click.option(
    "--db", "db", metavar="PATH", envvar="LOKIFI_DB", help="Database file (default: platform data dir; env LOKIFI_DB)."
)
@click.option("--config", "config", metavar="PATH", envvar="LOKIFI_CONFIG", help="Config file (env LOKIFI_CONFIG).")
@click.option("--refresh", type=Finite(min=MIN_REFRESH), default=None, help="Dashboard refresh interval in seconds.")
@click.option("--theme", default=None, help="Dashboard theme name.")
@click.version_option(__version__, prog_name="lokifi")
@click.pass_context
def cli(ctx: click.Context, db: str | None, config: str | None, refresh: float | None, theme: str | None) -> None:
    """Lokifi: a self-learning operations assistant in your terminal.

    Run with no command to open the dashboard on your database; `lokifi demo` opens it on demo data.
    """
    ctx.obj = Globals(db=db, config=config, refresh=refresh, theme=theme)
    if ctx.invoked_subcommand is None:
        from lokifi_tui.cli.dashboard import open_dashboard

        open_dashboard(ctx.obj)


cli.add_command(ai, "ai")


def main() -> None:
    """The click command line (the ``lokifi`` executable is :func:`lokifi_tui.cli.entry.run`)."""
    from lokifi_tui.cli.output import err_console, run_command

    def invoke() -> None:
        try:
            rc = cli.main(prog_name="lokifi", standalone_mode=False)
            if type(rc) is int and rc:  # ctx.exit(n): click hands the code back when not standalone
                sys.exit(rc)
        except click.exceptions.Abort:
            err_console.print("aborted")
            sys.exit(130)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)

    run_command(invoke)


if __name__ == "__main__":
    from lokifi_tui.cli.entry import run

    run()
