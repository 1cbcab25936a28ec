"""What Lokifi has told Alertmanager about each prediction: ``alert_deliveries``, written only by
:func:`analytics.alerts.deliver.deliver` through the functions here, one transaction per step of a delivery
round (a statement each, whatever the number of alerts).

A round writes twice: :func:`write_ahead` before the post, then :func:`accepted` or :func:`refused` with
its answer. The first write is what a collector killed between Alertmanager's accept and the second leaves
behind: the alert is marked possibly delivered (``posting``), so the next run resolves it when its
prediction is over (or re-posts it while live: Alertmanager merges it by its label set) instead of
forgetting an alert Alertmanager holds until its ``endsAt``.
"""

from __future__ import annotations

import json
from typing import Any

# The states of an alert: alert_deliveries.state, one row per prediction sent or tried. Migration 090 made
# the column when there were two ("firing | resolved", says its comment; an applied migration is not
# edited): this is where they are defined. The names are analytics.alerts.endpoint.DELIVERY_STATES, which
# `lokifi status` counts.
#
#   pending    Alertmanager has not accepted the alert: a post was refused or could not be made. Sent again
#              at each delivery; counted as kept for the next try.
#   posting    a firing post was made and its answer is not recorded (the collector was killed before it
#              was, or no answer came in time): Alertmanager may hold the alert. Posted again at the next
#              delivery while live; resolved -- never abandoned -- once its prediction is over.
#   firing     accepted; re-posted every resend_seconds with endsAt a few intervals ahead.
#   resolved   its resolution (endsAt in the past) accepted: the prediction was scored, expired or muted, or
#              fell below min_severity.
#   abandoned  nothing more is sent about it: never accepted, and its prediction over (scored, expired,
#              muted, pruned) or below min_severity; or firing (or posting) when its prediction was deleted
#              (the resolution cannot be sent without it: Alertmanager ends the alert at its endsAt).
#
#   (no row) | pending | resolved | abandoned
#                        -> posting            about to be posted as firing (written before the post)
#   posting              -> firing             accepted
#   posting              -> pending            refused (4xx/5xx, no connection): restored to pending, as
#                                              before the post; one posting before stays posting
#   posting              -> posting            killed before the answer was recorded, or no answer in time
#   posting | firing     -> resolved           its resolution accepted (not accepted: it stays, and the
#                                              resolution is sent again)
#   posting | firing     -> abandoned          its prediction deleted
#   pending              -> abandoned          over, or below min_severity, before it was posted (:data:`OVER`)
#
# ``labels`` is the label set Alertmanager accepted (firing); ``posting_labels`` the label sets posted as
# firing whose answer is not recorded (a JSON list, written ahead of the post with the state): a firing
# alert whose labels changed posts its new set while the old one is resolved, so both may be held.
# Resolved and abandoned rows are pruned with their predictions (analytics.store.retention).

Labels = dict[str, str]

#: The deliveries to abandon whatever the threshold: pending ones whose prediction is over, firing or
#: posting ones whose prediction is gone (those below min_severity are found by the delivery, which knows
#: it). Parameters: the ``live`` condition's, given as ``{live}``.
OVER = (
    "SELECT d.prediction_id, d.state FROM alert_deliveries d LEFT JOIN predictions p ON p.id = d.prediction_id "
    "WHERE (d.state = 'pending' AND (p.id IS NULL OR NOT coalesce({live}, false))) "
    "OR (d.state IN ('firing', 'posting') AND p.id IS NULL)"
)
#: the columns a delivery reads of a prediction's row, joined as ``d``
COLUMNS = "d.state AS d_state, d.last_posted_at AS d_last, d.labels AS d_labels, d.posting_labels AS d_posting"
#: the states in which Alertmanager holds, or may hold, the alert: resolved when its prediction is over
HELD = ("firing", "posting")


def _one(value: Any) -> Labels | None:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else None


def _decoded(text: Any, default: str) -> Any:
    try:
        return json.loads(text or default)
    except (TypeError, ValueError):
        return None


def sent_labels(p: dict[str, Any]) -> Labels | None:
    """The label set Alertmanager last accepted for ``p``'s alert (None: not recorded, delivered before
    they were, or never accepted)."""
    return _one(_decoded(p.get("d_labels"), "null"))


def posting(p: dict[str, Any]) -> list[Labels]:
    """The label sets posted as firing for ``p`` whose answer is not recorded."""
    got = _decoded(p.get("d_posting"), "[]")
    return [x for x in map(_one, got if isinstance(got, list) else []) if x is not None]


def held(p: dict[str, Any], current: Labels) -> list[Labels]:
    """The label sets Alertmanager holds, or may hold, for ``p``'s alert (``current``: its labels now): the
    one it accepted while firing (``current`` when not recorded), then those posted without an answer."""
    out = [sent_labels(p) or current] if p.get("d_state") == "firing" else []
    for labels in posting(p) if p.get("d_state") in HELD else []:
        if labels not in out:
            out.append(labels)
    return out


def stale(p: dict[str, Any], current: Labels) -> list[Labels]:
    """The label sets held for ``p``'s alert that are not its labels now (its severity re-evaluated, its
    host renamed, the redaction settings changed): resolved when the new one fires."""
    return [labels for labels in held(p, current) if labels != current]


def _json(labels: list[Labels]) -> str | None:
    return json.dumps([dict(sorted(x.items())) for x in labels]) if labels else None


def _ahead(p: dict[str, Any], labels: Labels) -> list[Labels]:
    """What ``posting_labels`` says once ``labels`` is posted for ``p`` (unchanged: Alertmanager holds it)."""
    return posting(p) + ([] if labels in held(p, labels) else [labels])


def write_ahead(con: Any, firing: list[tuple[dict[str, Any], Labels]]) -> None:
    """Before the post: mark the alerts about to fire (prediction row, labels) possibly delivered, on an
    open write connection -- a firing one stays firing, any other is ``posting``. A firing alert re-posted
    with the labels Alertmanager accepted needs nothing (:func:`needs_ahead`)."""
    new = [(p, _ahead(p, labels)) for p, labels in firing if labels not in held(p, labels)]
    if not new:
        return
    con.execute(
        "INSERT INTO alert_deliveries (prediction_id, state, attempts, posting_labels) "
        "SELECT unnest(CAST(? AS BIGINT[])), 'posting', 0, unnest(CAST(? AS VARCHAR[])) "
        "ON CONFLICT (prediction_id) DO UPDATE SET posting_labels = excluded.posting_labels, "
        "state = CASE WHEN alert_deliveries.state = 'firing' THEN 'firing' ELSE 'posting' END",
        [[p["id"] for p, _ in new], [_json(ahead) for _, ahead in new]],
    )


def needs_ahead(firing: list[tuple[dict[str, Any], Labels]]) -> bool:
    """Whether :func:`write_ahead` has anything to write for these alerts."""
    return any(labels not in held(p, labels) for p, labels in firing)


def accepted(con: Any, now: Any, firing: list[tuple[dict[str, Any], Labels]], resolved: list[int]) -> None:
    """Alertmanager accepted the post: the alerts that fired are firing with their labels, the
    resolutions resolved, nothing is left possibly delivered."""
    if firing:
        con.execute(
            "INSERT INTO alert_deliveries (prediction_id, state, first_posted_at, last_posted_at, attempts, "
            "last_error, labels, posting_labels) SELECT unnest(CAST(? AS BIGINT[])), 'firing', ?, ?, 1, NULL, "
            "unnest(CAST(? AS VARCHAR[])), NULL ON CONFLICT (prediction_id) DO UPDATE SET state = 'firing', "
            "last_posted_at = excluded.last_posted_at, "
            "first_posted_at = coalesce(alert_deliveries.first_posted_at, excluded.first_posted_at), "
            "attempts = alert_deliveries.attempts + 1, last_error = NULL, labels = excluded.labels, "
            "posting_labels = NULL",
            [[p["id"] for p, _ in firing], now, now, [json.dumps(x, sort_keys=True) for _, x in firing]],
        )
    if resolved:
        con.execute(
            "UPDATE alert_deliveries SET state = 'resolved', last_posted_at = ?, last_error = NULL, "
            "posting_labels = NULL WHERE prediction_id IN (SELECT unnest(CAST(? AS BIGINT[])))",
            [now, resolved],
        )


def refused(
    con: Any,
    error: str,
    firing: list[tuple[dict[str, Any], Labels]],
    resolving: list[dict[str, Any]],
    *,
    answered: bool,
) -> None:
    """The post failed (``error``): ``answered`` -- refused, or never made -- the alerts that were to fire
    are as before the post (a pending, resolved or abandoned one pending: it waits for Alertmanager as a
    new one does); not answered (no answer in time: it may have been accepted) they stay as written ahead.
    The resolutions wait for the next delivery, their alerts still held."""
    rows: list[tuple[int, str, str | None]] = []
    for p, labels in firing:
        before = p.get("d_state")
        if answered:
            rows.append((p["id"], before if before in HELD else "pending", p.get("d_posting")))
        else:
            rows.append((p["id"], "firing" if before == "firing" else "posting", _json(_ahead(p, labels))))
    rows += [(p["id"], p["d_state"], p.get("d_posting")) for p in resolving]
    if not rows:
        return
    ids, states, ahead = (list(x) for x in zip(*rows, strict=True))
    con.execute(
        "INSERT INTO alert_deliveries (prediction_id, state, attempts, last_error, posting_labels) "
        "SELECT unnest(CAST(? AS BIGINT[])), unnest(CAST(? AS VARCHAR[])), 1, ?, unnest(CAST(? AS VARCHAR[])) "
        "ON CONFLICT (prediction_id) DO UPDATE SET state = excluded.state, "
        "posting_labels = excluded.posting_labels, attempts = alert_deliveries.attempts + 1, "
        "last_error = excluded.last_error",
        [ids, states, error, ahead],
    )


def abandon(con: Any, over: list[tuple[int, str]]) -> None:
    """Mark the deliveries ``over`` (:data:`OVER`) abandoned, on an open write connection."""
    if over:
        con.execute(
            "UPDATE alert_deliveries SET state = 'abandoned', posting_labels = NULL "
            "WHERE state IN ('pending', 'firing', 'posting') AND prediction_id IN (SELECT unnest(?))",
            [[pid for pid, _ in over]],
        )


__all__ = [
    "COLUMNS",
    "HELD",
    "OVER",
    "abandon",
    "accepted",
    "held",
    "needs_ahead",
    "posting",
    "refused",
    "sent_labels",
    "stale",
    "write_ahead",
]
