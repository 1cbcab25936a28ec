"""The detector on a CSV series: ``timestamp,value`` in, read by :mod:`analytics.common.series_csv` as
``lokifi forecast series`` reads it; one alarm timestamp per line out, in UTC (the ``lokifi anomalies
detect`` output)."""

from __future__ import annotations

from analytics.common.epoch_time import utc_iso
from analytics.common.series_csv import read_series_csv
from analytics.predict.detect import DEFAULT, DetectorConfig, detect


def detect_csv(
    data: str | bytes,
    name: str = "<stdin>",
    cfg: DetectorConfig = DEFAULT,
    notes: list[str] | None = None,
) -> list[str]:
    """Alarm timestamps (ISO 8601 UTC, ``...Z``) for a CSV series; the reader's notes on the input are
    added to ``notes``. Raises :class:`analytics.common.series_csv.SeriesInputError` on input it cannot
    read."""
    series = read_series_csv(data, name)
    if notes is not None:
        notes.extend(series.notes)
    return [utc_iso(series.times[i]) for i in detect(series.axis, series.values, cfg)]


def detect_text(text: str, cfg: DetectorConfig = DEFAULT) -> list[str]:
    return detect_csv(text, cfg=cfg)
