"""Live predictions reach people who are not looking: Prometheus Alertmanager, and the terminal.

:func:`deliver` (a collector hook) posts every live prediction at or above ``[alerts] min_severity`` to
Alertmanager's v2 API (``POST /api/v2/alerts``): one alert per prediction. Its labels are what the
prediction is about -- ``alertname`` (``lokifi_`` + the prediction type), ``component``, ``host``,
``severity``, and the ``pattern`` id for an error pattern or the ``metric`` otherwise (free text redacted:
:mod:`.labels`) -- so a prediction made again about the same thing is the same alert in Alertmanager, and a
silence made from its labels still holds. Its annotations say what is seen: the ``summary`` (an error
pattern's own words and count, as the dashboard's row shows them), the ``description`` (the rule's
message), the ``action``, the ``evidence``, the ``confidence`` (``0.97 (measured, 7 outcomes)``, or
``0.85 (prior)`` before any of its rule's predictions on the host was scored) and the ``prediction_id``,
each redacted as a model prompt is (``[ai] redact_ips`` / ``redact_hostnames`` apply).
A firing alert is re-posted every ``resend_seconds`` with ``endsAt`` a few intervals ahead, as
Alertmanager expects; when the prediction is scored or expires, or no longer meets ``min_severity``
(raised since), the alert is posted once more with ``endsAt`` in the past: resolved (not when a prediction
made again about the same thing fires in the same post: that one is the alert now); lowered again, it
fires again.

Alertmanager knows an alert by its label set only, so ``severity`` is part of its identity. It stays a
label (routes, receivers and inhibition rules match on it: a ``high`` alert inhibiting the ``medium`` ones
of the same component is the common setup), and a firing alert follows its prediction's labels: when the
severity stored changes (the rule re-evaluated) -- or any label (a host renamed, the redaction settings
changed) -- the label set Alertmanager accepted (``alert_deliveries.labels``) is resolved and the new one
fires in the same post, at once, not at the next re-post. A resolution always carries the labels that
were accepted: a prediction lowered below ``min_severity`` ends the alert Alertmanager holds.

Nothing is lost or sent twice: ``alert_deliveries`` (:mod:`.records`) records a firing alert as firing
only after Alertmanager accepted it (2xx) and a resolution only after that was accepted, so a failure
(down, 4xx/5xx) leaves the work for the next run; Alertmanager itself merges re-posts of the same label set
into one alert. Before a post, the alerts about to fire are written ahead as ``posting`` (possibly
delivered): a collector killed after Alertmanager accepted the post but before that was recorded -- or a
post that got no answer in time -- leaves them so, and the next run re-posts them while live and resolves
them once over, instead of forgetting an alert Alertmanager holds. An alert still waiting for Alertmanager
(refused) when its prediction is over, or below ``min_severity``, is abandoned (:data:`.records.OVER`),
not kept for ever. Whether the endpoint takes the
posts is recorded and logged once per change (:mod:`.endpoint`). The hook never blocks collection: it runs
in the collector's hook thread, with a short timeout.

:func:`notify` rings the terminal bell and, inside tmux, shows ``tmux display-message`` for each new HIGH
prediction (``[notify] bell`` / ``tmux``; both off by default) -- once per prediction, remembered in
``prediction_notices`` before it rings (a kill in between loses one bell rather than ringing it twice).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from analytics.sources.fleet.client import HttpSettings

from analytics.alerts import endpoint as health, records
from analytics.alerts.labels import FreeText, pattern_id
from analytics.common.clipping import clipped
from analytics.common.clock import utcnow
from analytics.common.http_answer import Deadline, Sockets, answer_head, whole_answer_seconds
from analytics.config.http_settings import redact_url
from analytics.patterns.mutes import NOT_MUTED
from analytics.predict.brief import example_context, pattern_words, prediction_brief
from analytics.predict.confidence import label as confidence_label
from analytics.rca.redact import Redactor
from analytics.store.errors import StoreError, store_error

SEVERITY_RANK = {"LOW": 0, "MEDIUM": 1, "HIGH": 2}
_LIVE = (
    "outcome_date IS NULL AND prediction_type <> 'forecast' AND due_at IS NOT NULL AND due_at > ? "
    f"AND prediction_date <= ? AND {NOT_MUTED}"
)


def _iso(t: dt.datetime) -> str:
    return t.replace(microsecond=0).isoformat() + "Z"


@dataclass
class DeliveryReport:
    posted: int = 0  # firing alerts accepted by Alertmanager this run
    resolved: int = 0  # resolutions accepted (prediction over, or below min_severity)
    waiting: int = 0  # live predictions not due for a re-post yet
    abandoned: int = 0  # deliveries whose prediction ended (or fell below min_severity) before Alertmanager took them
    error: str = ""  # why nothing was accepted this run (Alertmanager down, refused ...)
    skipped: list[str] = field(default_factory=list)


def _labels(p: dict[str, Any], free_text: FreeText) -> dict[str, str]:
    """The alert's labels: what the prediction is about, the same for a prediction made again about the
    same thing (the key an open prediction is kept by: its rule, host, component, and pattern or metric).
    Component, host and metric are named by the configuration or by the log source (a hostile source names
    its own component): free text, redacted as the annotations are. The others are Lokifi's identifiers --
    its rule's name, the severity, the pattern's hex id."""
    labels = {
        "alertname": f"lokifi_{p['prediction_type']}",
        "component": free_text(p["component"]),
        "host": free_text(p["host"]),
        "severity": str(p["severity"] or "").lower(),
        "source": "lokifi",
    }
    pattern = _pattern(p)
    if pattern:
        labels["pattern"] = pattern
    else:
        labels["metric"] = free_text(p.get("metric"))
    return {k: v for k, v in labels.items() if v}


def _pattern(p: dict[str, Any]) -> str:
    """The id of the error pattern a prediction is about ("" for one about a metric): a recurring error
    keeps the pattern's fingerprint as its subject (evidence written by hand may name it otherwise)."""
    try:
        ev = json.loads(p.get("evidence") or "{}")
    except ValueError:
        ev = {}
    ev = ev if isinstance(ev, dict) else {}
    subject = p.get("subject") if not p.get("metric") else None
    for value in (ev.get("error_hash"), ev.get("pattern"), ev.get("subject"), subject):
        if value:
            return pattern_id(value)
    return ""


#: characters of an annotation sent, and of any one string of the evidence -- counted after redaction
TEXT_LIMIT = 4000
VALUE_LIMIT = 1000


def _annotations(p: dict[str, Any], redactor: Redactor) -> dict[str, str]:
    """What the alert says. The texts leave the host, so they go through the same redaction as what is
    sent to a model (an error pattern's evidence quotes a log line, and a log line can hold a password or a
    client's address), each whole before it is shortened: a cut first could leave half a secret that no
    rule knows. An error pattern's summary is its own words and count (two patterns of one component read
    apart), from the evidence redacted; the rule's message, which names only the pattern's type, is its
    description."""
    conf = p.get("confidence_score")
    kind = confidence_label(p.get("confidence_kind") or "prior", p.get("confidence_n"))
    evidence, shown = _evidence(redactor, p.get("evidence"))
    message = clipped(redactor.redact(str(p.get("message") or "")).text, TEXT_LIMIT)
    words = pattern_words(evidence)
    out = {
        "summary": words or message,
        "description": message if words else "",
        "action": clipped(redactor.redact(str(p.get("recommendation") or "")).text, TEXT_LIMIT),
        "evidence": shown,
        "confidence": (f"{conf:.2f} ({kind})" if isinstance(conf, (int, float)) else f"unknown ({kind})"),
        "prediction_id": str(p["id"]),
    }
    return {k: v for k, v in out.items() if v}


def _evidence(redactor: Any, stored: Any) -> tuple[Any, str]:
    """The stored evidence (JSON) with each of its strings redacted, and that serialised again to be sent --
    once serialised, a quote inside a string is ``\\"`` and the rules that read quoted values no longer
    match."""
    text = str(stored or "")
    try:
        data = json.loads(text) if text else None
    except ValueError:
        return None, clipped(redactor.redact(text).text, TEXT_LIMIT)
    red, _ = redactor.redact_data(data)
    return red, (clipped(json.dumps(_shortened(red), ensure_ascii=False), TEXT_LIMIT) if red is not None else "")


@dataclass(frozen=True)
class SentTexts:
    """A prediction's texts as its alert sends them, redacted: its message, summary (an error pattern's own
    words and count), the lines its example came with, and its recommendation."""

    message: str
    summary: str
    context: list[str]
    recommendation: str


def sent_texts(p: Any, redactor: Redactor) -> SentTexts:
    """What an alert says of prediction ``p`` (a :class:`~analytics.predict.predictions.Prediction`), for a
    terminal to show exactly that: each text redacted whole, as :func:`_annotations` redacts it."""
    evidence = p.evidence if isinstance(p.evidence, str) else json.dumps(p.evidence, default=str)
    data, _ = _evidence(redactor, evidence)
    message = redactor.redact(str(p.message or "")).text
    return SentTexts(
        message=message,
        summary=prediction_brief(p.type, p.component, message, data),
        context=example_context(data),
        recommendation=redactor.redact(str(p.recommendation or "")).text,
    )


def _shortened(value: Any) -> Any:
    if isinstance(value, str):
        return clipped(value, VALUE_LIMIT)
    if isinstance(value, list):
        return [_shortened(v) for v in value]
    if isinstance(value, dict):
        return {k: _shortened(v) for k, v in value.items()}
    return value


def _alert(
    p: dict[str, Any], ends: dt.datetime, free_text: FreeText, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "labels": labels if labels is not None else _labels(p, free_text),
        "annotations": _annotations(p, free_text.redactor),
        "startsAt": _iso(p["prediction_date"]),
        "endsAt": _iso(ends),
    }


def _client(config: Any) -> HttpSettings:
    from analytics.sources.fleet.client import HttpSettings

    settings = HttpSettings.from_dict(config.alerts.alertmanager, "alerts.alertmanager")
    return settings


class Unanswered(RuntimeError):
    """The post was made and no answer came (timed out, connection lost): Alertmanager may have taken it."""


def _post(settings: Any, alerts: list[dict[str, Any]]) -> None:
    """POST the alerts; raise RuntimeError saying why on failure (the caller names the endpoint):
    :class:`Unanswered` when the request may have reached Alertmanager."""
    import httpx

    # failures before the request left: the post was not made
    unsent = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError, httpx.UnsupportedProtocol)

    headers = {"User-Agent": "lokifi", "Content-Type": "application/json"}
    auth = None
    if settings.bearer_token:
        headers["Authorization"] = f"Bearer {settings.bearer_token}"
    elif settings.basic_user:
        auth = httpx.BasicAuth(settings.basic_user, settings.basic_password or "")
    verify: Any = bool(settings.base_url.startswith("https:") and not settings.insecure_skip_verify)
    if verify and settings.ca_file:
        import ssl

        verify = ssl.create_default_context(cafile=settings.ca_file)
    timeout = min(settings.timeout, 10.0)
    sockets = Sockets()  # an answer dripped or endless ends at the deadline; only an error's head is read
    deadline = Deadline(whole_answer_seconds(timeout), sockets)
    try:
        with (
            httpx.Client(
                headers=headers, auth=auth, verify=verify, timeout=timeout, follow_redirects=False, trust_env=True
            ) as c,
            deadline,
            c.stream(
                "POST",
                settings.base_url + "/api/v2/alerts",
                content=json.dumps(alerts).encode(),
                extensions={"trace": sockets.trace},
            ) as r,
        ):
            status = r.status_code
            head = b"" if 200 <= status < 300 else answer_head(r, deadline, 4096)
    except httpx.TimeoutException as exc:
        why = RuntimeError if isinstance(exc, unsent) else Unanswered
        raise why(f"no answer within {timeout:g}s") from None
    except httpx.TransportError as exc:
        why = RuntimeError if isinstance(exc, unsent) else Unanswered
        if deadline.passed:
            raise why(f"no complete answer within {deadline.seconds:g}s") from None
        raise why(f"cannot deliver ({' '.join(str(exc).split())[:160]})") from None
    if not 200 <= status < 300:
        text = head.decode("utf-8", "replace")
        raise RuntimeError(f"HTTP {status} {' '.join(text.split())[:200]}".rstrip())


def _rows(con: Any, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _label_set(alert: dict[str, Any]) -> frozenset[tuple[str, str]]:
    return frozenset(alert["labels"].items())


def _write_ahead(store: Any, settings: Any, fires: list[tuple[dict[str, Any], dict[str, str]]]) -> None:
    """Record the alerts about to fire as possibly delivered, before the post (a collector killed after
    Alertmanager's accept leaves them so). When that cannot be written (the database held by another
    process, a DuckDB error) the post is not made -- an alert Alertmanager took that the store knows nothing
    of would be forgotten -- and the round raises the store's error (same class: a busy database is retried
    as any), saying that nothing was posted."""
    try:
        with store.write() as con:
            records.write_ahead(con, fires)
    except (StoreError, duckdb.Error, OSError) as exc:  # said and raised again, as the store's error
        err = store_error(store.path, exc)
        n = len(fires)
        raise type(err)(
            f"nothing posted to {redact_url(settings.base_url + '/api/v2/alerts')}: {n} "
            f"{'alert' if n == 1 else 'alerts'} could not be recorded as posting first, the next delivery "
            f"tries again. {err}"
        ) from exc


def deliver(store: Any, config: Any = None, now: dt.datetime | None = None) -> DeliveryReport | None:
    """Post due firing alerts and pending resolutions to Alertmanager (None when none is configured)."""
    alerts_cfg = getattr(config, "alerts", None)
    if alerts_cfg is None or not alerts_cfg.alertmanager:
        return None
    now = now or utcnow()
    settings = _client(config)
    endpoint = health.endpoint_name(settings.base_url)
    floor = SEVERITY_RANK.get(alerts_cfg.min_severity.upper(), 1)
    every = dt.timedelta(seconds=max(5.0, float(alerts_cfg.resend_seconds)))
    with store.read() as con:
        live = _rows(
            con,
            f"SELECT p.*, {records.COLUMNS} FROM predictions p "
            f"LEFT JOIN alert_deliveries d ON d.prediction_id = p.id WHERE {_LIVE}",
            [now, now, now, now],
        )
        # possibly delivered (firing, or posted without the answer recorded) and over: resolved now
        ended = _rows(
            con,
            f"SELECT p.*, {records.COLUMNS} FROM alert_deliveries d JOIN predictions p ON p.id = d.prediction_id "
            f"WHERE d.state IN {records.HELD} AND NOT ({_LIVE})",
            [now, now, now, now],
        )
        over = con.execute(records.OVER.format(live=_LIVE), [now, now, now, now]).fetchall()
    report = DeliveryReport()
    free_text = FreeText(Redactor.for_config(config))
    firing, resolving = [], []
    for p in live:
        if SEVERITY_RANK.get(str(p.get("severity") or "").upper(), 0) < floor:
            # below min_severity (raised since): a firing alert is resolved now, one waiting is not sent
            if p["d_state"] in records.HELD:
                resolving.append((p, now))
            elif p["d_state"] == "pending":
                over.append((p["id"], "pending"))
            continue
        # a firing alert is re-posted when due; any other live one (waiting for Alertmanager, posted without
        # its answer recorded, or resolved or abandoned and live again: its pattern unmuted) fires now
        # (its labels changed: the alert Alertmanager holds is another one, resolved and replaced now)
        if (
            p["d_state"] == "firing"
            and p["d_last"] is not None
            and now - p["d_last"] < every
            and not records.stale(p, _labels(p, free_text))
        ):
            report.waiting += 1
            continue
        firing.append(p)
    for p in ended:
        when = p.get("outcome_date") or min(p.get("due_at") or now, now)
        resolving.append((p, min(when, now)))
    report.abandoned = len(over)
    if not firing and not resolving:
        if over:
            with store.write() as con:
                records.abandon(con, over)
                # the alerts the last failed post carried, kept for the next try: these are not any more
                con.execute(
                    "UPDATE alert_endpoint SET undelivered = greatest(undelivered - ?, 0) WHERE endpoint = ?",
                    [sum(state == "pending" for _, state in over), endpoint],
                )
        return report
    batch = [_alert(p, min(p["due_at"], now + 4 * every), free_text) for p in firing]
    fires = [(p, a["labels"]) for p, a in zip(firing, batch, strict=True)]
    # a prediction made again about the same thing is the same alert: its predecessor's resolution, posted
    # after it, would end it -- that one is recorded as resolved without being sent
    fired = {_label_set(a) for a in batch}
    # a resolution ends each label set Alertmanager holds or may hold (the one it accepted, any posted
    # without an answer), not the prediction's now; a firing alert whose labels changed is a new alert
    # there, and the ones it replaces are resolved with it
    ends = [_alert(p, when, free_text, x) for p, when in resolving for x in records.held(p, _labels(p, free_text))]
    ends += [_alert(p, now, free_text, x) for p, labels in fires for x in records.stale(p, labels)]
    batch += [a for a in ends if _label_set(a) not in fired]
    if records.needs_ahead(fires):
        _write_ahead(store, settings, fires)
    try:
        _post(settings, batch)
    except RuntimeError as exc:
        report.error = f"{redact_url(settings.base_url + '/api/v2/alerts')}: {exc}"
        with store.write() as con:
            records.refused(
                con, report.error, fires, [p for p, _ in resolving], answered=not isinstance(exc, Unanswered)
            )
            records.abandon(con, over)
            before = health.record(con, endpoint, now, str(exc), len(batch), health.owner(config))
        health.announce((str(store.path), endpoint), before, str(exc), undelivered=len(batch))
        return report
    with store.write() as con:
        records.accepted(con, now, fires, [p["id"] for p, _ in resolving])
        records.abandon(con, over)
        before = health.record(con, endpoint, now, config=health.owner(config))
    health.announce((str(store.path), endpoint), before)
    report.posted, report.resolved = len(firing), len(resolving)
    return report


def notify(store: Any, config: Any = None, now: dt.datetime | None = None, *, tty: str = "/dev/tty") -> int:
    """Ring the bell / show a tmux message for each new HIGH prediction, once each. Returns how many.

    At most once: the notices are recorded (``prediction_notices``) before the bell rings, in one
    statement that returns the ones this call recorded -- another process noticing the same prediction
    meanwhile rings it, not both. Recorded after the bell, a collector killed between the two rang it again
    at its next run, and one whose record could not be written (the database busy or full) rang it at
    every run until it could; recorded first, a kill in that instant loses one bell, for a prediction the
    dashboard still shows (and Alertmanager, when configured, holds)."""
    n_cfg = getattr(config, "notify", None)
    if n_cfg is None or not (n_cfg.bell or n_cfg.tmux):
        return 0
    now = now or utcnow()
    with store.read() as con:
        rows = con.execute(
            f"SELECT id, component, host, message FROM predictions p WHERE {_LIVE} AND upper(severity) = 'HIGH' "
            "AND NOT EXISTS (SELECT 1 FROM prediction_notices n WHERE n.prediction_id = p.id) ORDER BY id",
            [now, now, now, now],
        ).fetchall()
    if not rows:
        return 0
    with store.write() as con:
        recorded = con.execute(
            "INSERT INTO prediction_notices (prediction_id, noticed_at) SELECT unnest(CAST(? AS BIGINT[])), ? "
            "ON CONFLICT DO NOTHING RETURNING prediction_id",
            [[r[0] for r in rows], now],
        ).fetchall()
    mine = {r[0] for r in recorded}
    rows = [r for r in rows if r[0] in mine]
    if rows:
        _ring(n_cfg, rows, tty)
    return len(rows)


def _ring(n_cfg: Any, rows: list[Any], tty: str) -> None:
    """The bell on ``tty`` and, inside tmux, one message for the new HIGH predictions ``rows`` (recorded)."""
    if n_cfg.bell:
        try:
            with open(tty, "w") as fh:
                fh.write("\a")
        except OSError:
            pass  # no terminal (a service): nothing to ring
    if n_cfg.tmux and os.environ.get("TMUX"):
        try:
            subprocess.run(["tmux", "display-message", tmux_notice(rows)], timeout=3, check=False, capture_output=True)
        except (OSError, subprocess.SubprocessError):
            pass


def tmux_notice(rows: list[Any]) -> str:
    """The tmux message for the new HIGH predictions ``rows`` (id, component, host, message): their text
    comes from log lines, so it is plain text to tmux (``#`` doubled: ``display-message`` expands formats,
    and ``#(cmd)`` runs cmd) and to the terminal (control characters, escapes among them, are spaces)."""
    first = rows[0]
    more = f" (+{len(rows) - 1} more)" if len(rows) > 1 else ""
    component, host = _plain(first[1], 40), _plain(first[2] or "local", 60)
    text = f"Lokifi: HIGH {component}@{host}: {_plain(first[3] or '', 120)}{more}"
    return text.replace("#", "##")


def _plain(value: Any, most: int) -> str:
    text = str(value)[:most]
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


__all__ = ["SEVERITY_RANK", "DeliveryReport", "deliver", "notify", "tmux_notice"]
