"""Imported history, learned at once: ``lokifi ingest`` reads a file into the store
(:func:`analytics.store.ingest.ingest_file`), then the error events it brought are learned as patterns,
as the collector does for live errors after each flush."""

from __future__ import annotations

import os
from typing import Any

from analytics.patterns.learning import learn_from_events
from analytics.patterns.severity import routine_rows
from analytics.store.database import Store
from analytics.store.ingest import IngestReport, ingest_file


def ingest_and_learn(store: Store, path: str | os.PathLike[str], **options: Any) -> IngestReport:
    """:func:`~analytics.store.ingest.ingest_file` (same ``options``, same report and errors; event rows
    whose level is routine are counted, not written), then the patterns engine learns from the error
    events it wrote."""
    report = ingest_file(store, path, routine=routine_rows, **options)
    if report.kind == "events" and report.rows_valid:
        learn_from_events(store)
    return report
