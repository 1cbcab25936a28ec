"""The root's options as the click-free ways in read them (the dashboard, ``lokifi demo``, the quick read
commands of :mod:`lokifi_tui.cli.quick`); ``tests/unit/test_cli_entry.py`` keeps them equal to the click
root's."""

from __future__ import annotations

import os

#: the least --refresh: the dashboard checks the store this often at most (0 or less would be a busy loop)
MIN_REFRESH = 0.5

#: ``--flag`` -> (the Globals field, the environment variable read when the flag is absent)
DASHBOARD_OPTIONS: dict[str, tuple[str, str | None]] = {
    "--db": ("db", "LOKIFI_DB"),
    "--config": ("config", "LOKIFI_CONFIG"),
    "--refresh": ("refresh", None),
    "--theme": ("theme", None),
}


def dashboard_args(argv: list[str]) -> dict[str, object] | None:
    """The Globals for ``argv`` when it only opens the dashboard; None when click must decide (a
    command, ``--help``, anything unknown or malformed)."""
    values: dict[str, object] = {}
    i = 0
    while i < len(argv):
        flag, eq, value = argv[i].partition("=")
        if flag not in DASHBOARD_OPTIONS:
            return None
        if not eq:
            if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
                return None
            i += 1
            value = argv[i]
        values[DASHBOARD_OPTIONS[flag][0]] = value  # repeated: the last one counts, as in click
        i += 1
    if "refresh" in values:
        try:
            values["refresh"] = float(values["refresh"])  # type: ignore[arg-type]
        except ValueError:
            return None
        # inf, -inf, nan (the only value unequal to itself) or below the least interval: click says why
        r = values["refresh"]
        if r in (float("inf"), float("-inf")) or r != r or r < MIN_REFRESH:  # type: ignore[operator]
            return None
    for field, env in DASHBOARD_OPTIONS.values():
        if field not in values:
            values[field] = (os.environ.get(env) if env else None) or None  # click ignores an empty variable
    return values
