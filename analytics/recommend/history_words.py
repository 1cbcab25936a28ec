"""A recommendation's history as a person reads it: one sentence per stored event.

The events (``recommendation_events``) keep the machine's words — an action (``undone``), a note
(``undid applied``), the states before and after, where the change came from. ``lokifi recs history``
and the dashboard's details print this one sentence for each (``The apply was undone in the dashboard:
open again.``), so both say the same; ``--json`` keeps the stored fields.
"""

from __future__ import annotations

#: where a change came from, as the sentence says it (the engine's own changes say nothing)
WHERE = {"tui": " in the dashboard", "cli": " from the command line"}

#: what was undone, as a noun
UNDONE = {"applied": "apply", "dismissed": "dismissal", "snoozed": "snooze"}


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def event_sentence(action: str, note: str | None, to_status: str | None, source: str | None) -> str:
    """``undone``, ``undid applied``, ``open``, ``tui`` -> ``The apply was undone in the dashboard: open
    again.``"""
    note = (note or "").strip()
    where = WHERE.get(source or "", "")
    if action == "created":
        return _sentence(f"Created: {note}" if note else "Created")
    if action == "applied":
        return _sentence(f"Marked applied{where}")
    if action == "dismissed":
        return _sentence(f"Dismissed{where}")
    if action == "snoozed":
        return _sentence(f"Snoozed{where}" + (f", {note}" if note else ""))
    if action == "undone":
        what = UNDONE.get(note.removeprefix("undid ").strip(), "last change")
        state = "open again" if to_status == "open" else f"back to {to_status}" if to_status else ""
        return _sentence(f"The {what} was undone{where}" + (f": {state}" if state else ""))
    if action == "reopened":
        return _sentence("Open again" + (f": {note}" if note else ""))
    if action == "resolved":
        return _sentence("Resolved" + (f": {note}" if note else ""))
    words = action.replace("_", " ").capitalize() or "Changed"  # an action this module does not know yet
    return _sentence(words + (f": {note}" if note else ""))
