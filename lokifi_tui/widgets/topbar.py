"""The top bar: live host vitals (psutil sparklines), learning statistics and the AI status.

The vitals line is fed by :class:`~lokifi_tui.messages.VitalsSampled` from the first second, whether or
not the store has anything in it; the stats line by each :class:`~analytics.dashboard.view.DashboardView`.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from typing import Any

from rich.text import Text
from textual.widget import Widget

from analytics.sources.fleet.status import STALE_AFTER, format_age
from analytics.sources.vitals_glance import glance
from lokifi_tui.messages import VitalsSample
from lokifi_tui.widgets.empty_state import collector_text
from lokifi_tui.widgets.render import percent, spark
from lokifi_tui.widgets.safe import clean

HISTORY = 120


def sample_vitals(*, instant: bool = False) -> VitalsSample:
    """One glance at this host (:func:`analytics.sources.vitals_glance.glance`), run in the sampler thread;
    ``instant``: what the first frame shows before psutil is even imported."""
    g = glance(instant=instant)
    return VitalsSample(cpu=g.cpu, mem=g.mem, disk=g.disk, load=g.load, cores=g.cores)


def _level(value: float, warn: float, crit: float) -> str:
    return "bold red" if value >= crit else "yellow" if value >= warn else "green"


class _Line(Widget):
    """One line of text that repaints without a layout pass (a Static's update re-lays out the screen,
    which is most of an idle dashboard's CPU when it happens every two seconds)."""

    DEFAULT_CSS = "_Line { height: 1; }"

    def __init__(self, text: Text | str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._text = text if isinstance(text, Text) else Text(text)

    def render(self) -> Text:
        return self._text

    def update(self, text: Text) -> None:
        if text == self._text:
            return
        self._text = text
        self.refresh()


def _width(bar: Widget) -> int:
    """The bar's width; before the first layout (a first frame drawn from the last known state), the
    terminal's less the top bar's padding."""
    return bar.size.width or max(bar.app.size.width - 2, 0) or 80


class VitalsBar(_Line):
    """``CPU ▂▃▅▇ 42%  MEM ▅▅▅ 61%  DISK 71%  LOAD ▁▂ 0.42`` — sparklines sized to the width."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.series: dict[str, deque[float]] = {k: deque(maxlen=HISTORY) for k in ("cpu", "mem", "disk", "load")}
        self.cores = 1
        self.host = ""
        self.collector: tuple[Any, Any] = (None, None)  # (setup state, as of) from the last view

    def _collector_mode(self) -> str | None:
        mode = getattr(self.app, "live_collector_mode", None)  # a bare App (widget tests) has none
        return mode() if callable(mode) else None

    def seed(self, history: dict[str, tuple[float, ...]]) -> None:
        """Prefill from the vitals the collector stored (only while we have fewer of our own)."""
        for key, values in history.items():
            if key in self.series and len(self.series[key]) < len(values):
                self.series[key].clear()
                self.series[key].extend(values)
        self.refresh_text()

    def push(self, sample: VitalsSample) -> None:
        self.cores = sample.cores
        if sample.cpu is not None:
            self.series["cpu"].append(sample.cpu)
        if sample.mem is not None:
            self.series["mem"].append(sample.mem)
        self.series["disk"].append(sample.disk)
        self.series["load"].append(sample.load)
        self.refresh_text()

    def refresh_text(self) -> None:
        width = _width(self)
        setup, as_of = self.collector
        if setup is not None and as_of is not None:  # "wrote 12s ago" moves on between store reads
            as_of = max(as_of, dt.datetime.now(dt.UTC).replace(tzinfo=None))
        state, state_style = (
            collector_text(setup, as_of, short=width < 100, here=self._collector_mode())
            if setup is not None
            else ("", "")
        )
        spark_w = max(4, min(24, (width - 46 - (len(state) + 2 if state else 0)) // 3))
        text = Text(no_wrap=True, overflow="ellipsis")
        if not self.series["disk"]:
            text.append("host vitals: sampling…", style="dim")
            self.update(text)
            return
        disk, load = self.series["disk"][-1], self.series["load"][-1]
        for key, label, warn, crit in (("cpu", "CPU ", 70, 90), ("mem", "MEM ", 80, 95)):
            text.append(label, style="bold")
            if self.series[key]:
                value = self.series[key][-1]
                text.append(spark(self.series[key], spark_w, 0, 100), style=_level(value, warn, crit))
                text.append(f" {value:3.0f}%  ")
            else:  # the first frame: not measured yet (CPU needs an interval)
                text.append(" " * spark_w + "   …  ", style="dim")
        text.append("DISK ", style="bold")
        text.append(f"{disk:3.0f}%", style=_level(disk, 85, 95))
        text.append("  LOAD ", style="bold")
        text.append(
            spark(self.series["load"], spark_w, 0, max(max(self.series["load"]), self.cores)),
            style=_level(load / max(self.cores, 1) * 100, 80, 100),
        )
        text.append(f" {load:.2f}")
        if state:
            text.append("  ")
            text.append(state, style=state_style)
        self.update(text)

    def on_resize(self) -> None:
        self.refresh_text()


def down_text(down: Any, now: dt.datetime, named: int = 2) -> Text:
    """``✗ postgres down 3m  `` for this machine's services down (``down``: (component, since), longest
    down first): the first ``named`` by name, then how many more. Empty when none is."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for i, (component, since) in enumerate(down[:named]):
        text.append(("✗ " if i == 0 else ", ") + clean(component), style="bold red")
        text.append(f" down {format_age(max((now - since).total_seconds(), 0.0))}", style="red")
    if len(down) > named:
        text.append(f" +{len(down) - named} more", style="red")
    if down:
        text.append("  ")
    return text


class StatsBar(_Line):
    """Learning statistics (every figure counted from the store) and the AI status.

    Laid out for the width it has: full labels when they fit, short ones otherwise (80 columns must
    still show the prediction accuracy and the AI status), and the AI endpoint left out last."""

    _shown: Any = None
    _now: Any = None  # the time the view is shown as of (its services' down time moves on)
    host_filter = ""  # the dashboard's host filter (H), shown in place of the host count

    def show(self, view: Any, host_filter: str | None = None, now: Any = None) -> None:
        self._shown = view
        self._now = now
        if host_filter is not None:
            self.host_filter = host_filter
        self._render_view()

    def on_resize(self) -> None:
        if self._shown is not None:
            self._render_view()

    def _render_view(self) -> None:
        width = _width(self)
        view = self._shown
        down = down_text(getattr(view, "down", ()), max(self._now or view.now, view.now))
        for short, ai_short, tiny in (
            (False, False, False),
            (True, False, False),
            (True, True, False),
            (True, True, True),
        ):
            text = down + self._stats_text(view, short=short, ai_short=ai_short, tiny=tiny, host=self.host_filter)
            if text.cell_len <= width:
                break
        self.update(text)

    @staticmethod
    def _stats_text(view: Any, *, short: bool, ai_short: bool, tiny: bool = False, host: str = "") -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        gap = "  "
        learning = view.learning
        if learning is None:
            text.append("learning: no data", style="dim")
        else:
            text.append("Patterns ", style="bold")
            text.append(f"{learning.patterns}")
            text.append(gap + ("hi " if tiny else "hi-conf " if short else "high-conf "), style="bold")
            text.append(f"{learning.high_confidence}")
            # high-confidence share of the patterns: a confidence is measured from fix outcomes, so before
            # the first outcome the share says nothing yet (0% would read as "learning failed")
            eff = learning.effectiveness if learning.fixes_worked + learning.fixes_failed else None
            text.append(gap + ("eff " if short else "effectiveness "), style="bold")
            text.append(percent(eff), style="dim" if eff is None else _level(100 - eff, 30, 60))
            text.append(gap + "fixes ", style="bold")
            text.append(f"{learning.fixes_worked}✓{'' if short else ' '}{learning.fixes_failed}✗")
            text.append(gap + ("acc " if tiny else "pred acc " if short else "prediction accuracy "), style="bold")
            acc = learning.prediction_accuracy
            if acc is None:
                text.append("n/a" if short else "not scored yet", style="dim")
            else:
                text.append(f"{acc:.0f}%", style=_level(100 - acc, 30, 60))
                text.append(
                    f" n={learning.predictions_scored}" if short else f" (n={learning.predictions_scored})", style="dim"
                )
        status = clean(view.ai_status)
        if ai_short:
            status = status.split(" @ ", 1)[0]
        text.append(gap + "AI ", style="bold")
        text.append(status, style="dim" if view.ai_status.startswith("offline") else "")
        if learning is not None:  # how often the model's proposals worked, measured (or n=0)
            acc = learning.model_accuracy
            n = learning.model_fixes_worked + learning.model_fixes_failed
            measured = "n=0" if acc is None else f"{acc:.0f}% worked n={n}"
            if tiny:
                text.append(" (n=0)" if acc is None else f" ({acc:.0f}% n={n})", style="dim" if acc is None else "")
            elif short:
                text.append(f" (fixes {measured})", style="dim" if acc is None else "")
            else:
                text.append(gap + "AI fixes ", style="bold")
                text.append(measured, style="dim" if acc is None else "")
        if host:
            text.append(gap + "host ", style="bold")
            text.append(clean(host), style="reverse")
            if len(view.hosts) > 1:
                text.append(f" of {len(view.hosts)}", style="dim")
        elif len(view.hosts) > 1:
            text.append(gap + f"hosts {len(view.hosts)}", style="bold")
        for name, state, fresh in getattr(view, "sources", ()):  # each fleet source, its newest data's age
            bad = state not in ("up",)
            text.append(gap + clean(name) + " ", style="bold")
            text.append(
                format_age(fresh) if fresh is not None else state,
                style="red" if bad else ("yellow" if fresh is not None and fresh > STALE_AFTER else ""),
            )
            if bad and fresh is not None:
                text.append(f" {state}", style="red")
        am = getattr(view, "alertmanager", None)  # where the alerts go: shown while it refuses them
        if am is not None and am.failing:
            text.append(gap + ("AM " if short else "alertmanager "), style="bold")
            age = format_age((view.now - am.failing_since).total_seconds()) if am.failing_since else "?"
            text.append(f"✗ {age}" if short else f"failing {age}", style="red")
        return text
