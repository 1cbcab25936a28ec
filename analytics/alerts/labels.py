"""Label values that leave the host: an alert's labels (Alertmanager) and the /metrics exposition's
(Prometheus, which may scrape from another machine).

A component, a host or a metric is named by the configuration or by the log source itself -- a syslog tag,
a journal identifier, a container's name -- and a hostile source can name its component
``password=hunter2``: such values are free text, and go through the same redaction as the annotations
and the prompts (:class:`FreeText`, with the ``[ai]`` settings: an IP address is ``[IP]`` unless
``redact_ips`` is off, a host name ``[HOST]`` when ``redact_hostnames`` is on), their control characters
and runs of blanks made one blank and their length bounded. The values Lokifi makes itself -- an alert's
name from its rule, a severity, a pattern's id (hex digits of its fingerprint) -- are identifiers and stay
as they are; a pattern id that is not hex is not sent (:func:`pattern_id`). Escaping for the text format
(backslash, double quote, line feed) is prometheus_client's, at exposition.
"""

from __future__ import annotations

import re

from analytics.common.clipping import clipped
from analytics.rca.redact import Redactor

#: characters of a free-text label value sent, counted after redaction
LABEL_LIMIT = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_HEX_ID = re.compile(r"[0-9a-f]{1,64}")


class FreeText:
    """Redacts free-text label values with one :class:`Redactor` (the ``[ai]`` settings' defaults unless
    given: :meth:`Redactor.for_config`), each distinct value once."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        self.redactor = redactor or Redactor.for_config(None)
        self._seen: dict[str, str] = {}

    def __call__(self, value: object) -> str:
        text = "" if value is None else str(value)
        out = self._seen.get(text)
        if out is None:
            out = clipped(" ".join(_CONTROL.sub(" ", self.redactor.redact(text).text).split()), LABEL_LIMIT)
            self._seen[text] = out
        return out


def pattern_id(value: object, length: int = 12) -> str:
    """A pattern's id (the first ``length`` hex digits of its fingerprint), or "" for anything else."""
    text = value[:length] if isinstance(value, str) else ""
    return text if _HEX_ID.fullmatch(text) else ""


__all__ = ["LABEL_LIMIT", "FreeText", "pattern_id"]
