"""Lokifi's own colour theme and the theme a dashboard starts in."""

from __future__ import annotations

from typing import Protocol

from textual.theme import BUILTIN_THEMES, Theme


class _Themed(Protocol):
    requested_theme: str  # the --theme option or the config's theme, "" for none


LOKIFI_THEME = Theme(
    name="lokifi",
    primary="#5fafd7",
    secondary="#87afaf",
    accent="#d7af5f",
    foreground="#d0d0d0",
    background="#1c1c1c",
    surface="#262626",
    panel="#303030",
    success="#87af5f",
    warning="#d7af00",
    error="#d75f5f",
    dark=True,
)


def start_theme(app: _Themed) -> str:
    """The theme the App starts in, as its ``theme`` reactive's initial value: App.__init__ then builds the
    stylesheet variables and the ANSI colour filter for it (a theme assigned after __init__ makes Textual
    re-parse every stylesheet, ~10 ms before the first frame). A built-in theme by name, else lokifi
    (registered after __init__: it is dark, as is the fallback the filter is built for until then).
    Changing the theme later assigns ``theme`` as usual."""
    return app.requested_theme if app.requested_theme in BUILTIN_THEMES else LOKIFI_THEME.name
