"""What the screens and the first-start flow need from the App that hosts them, as a Protocol.

The App (:mod:`lokifi_tui.app`) imports the screens; no screen imports the App: each reaches it through
``self.app`` typed as :class:`DashboardHost` (``host(self)``), so the dependency goes one way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from analytics.store.database import Store
    from lokifi_tui.messages import VitalsSample


class Banner(Protocol):
    def show_banner(self, text: str | None) -> None: ...


class DashboardHost(Protocol):
    """The App, as the dashboard, the detail screens and first start use it (beside Textual's App API)."""

    config: Any  # an analytics.config.settings.Config (tests may pass a mapping), or None
    demo: bool
    collect: bool
    propose_setup: bool
    #: the clock triage is stamped with (None: the real one; tests give one)
    action_now: dt.datetime | None
    #: the clock the panes are read at when it is frozen (the demo, tests), else None
    fixed_now: dt.datetime | None
    #: the ``[keymap]`` of the config as a Textual keymap (binding id -> keys)
    keymap_config: dict[str, str]
    sampler: Callable[[], VitalsSample]
    dashboard: Banner

    # Textual's App methods the callers use
    run_worker: Callable[..., Any]
    call_from_thread: Callable[..., Any]
    push_screen: Callable[..., Any]
    pop_screen: Callable[..., Any]

    @property
    def store(self) -> Store: ...

    def now(self) -> dt.datetime: ...

    def say(self, text: str, *, severity: str = "information", timeout: float = 5, title: str = "") -> None: ...

    def reload_now(self) -> None: ...

    def check_store_now(self) -> None: ...

    def set_vitals_paused(self, paused: bool) -> None: ...

    def restart_collector(self) -> None: ...

    def live_collector_mode(self) -> str | None: ...

    def stop_collector(self, wait: float = 20.0) -> None: ...


def host(node: DOMNode) -> DashboardHost:
    """``node.app`` as the Lokifi App it is."""
    return cast("DashboardHost", node.app)
