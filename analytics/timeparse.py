"""Vectorised timestamp parsing: ISO 8601 with or without a zone, epoch seconds/ms/µs/ns, dates.

Everything becomes a naive ``Datetime("us")`` in UTC; a value that cannot be read becomes null (the
caller reports it with its line). Works on whole Polars columns, never row by row in Python.
"""

from __future__ import annotations

import polars as pl

TS = pl.Datetime("us")

_ISO_FORMATS_NAIVE = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M")
_ISO_FORMATS_ZONED = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z")


def _epoch(num: pl.Series) -> pl.Series:
    """Numbers as epoch time; the unit is chosen per value by magnitude (s < 1e11 <= ms < 1e14 <= µs < 1e17 <= ns)."""
    x = num.cast(pl.Float64, strict=False)
    a = x.abs()
    us = (
        pl.when(a < 1e11).then(x * 1e6)
        .when(a < 1e14).then(x * 1e3)
        .when(a < 1e17).then(x)
        .otherwise(x / 1e3)
    )
    frame = pl.DataFrame({"x": x}).select(
        pl.when(pl.col("x").is_finite() & (pl.col("x").abs() < 9e18))
        .then(us.round(0))
        .otherwise(None)
        .alias("us")
    )
    return frame["us"].cast(pl.Int64, strict=False).cast(TS)


def parse_timestamps(s: pl.Series) -> pl.Series:
    """Parse a column of timestamps of any supported form into naive UTC ``Datetime("us")``."""
    name = s.name
    dtype = s.dtype
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            s = s.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return s.cast(TS).alias(name)
    if dtype == pl.Date:
        return s.cast(TS).alias(name)
    if dtype.is_numeric():
        return _epoch(s).alias(name)
    if dtype == pl.Null:
        return pl.Series(name, [None] * len(s), dtype=TS)
    s = s.cast(pl.String, strict=False)
    norm = (
        s.str.strip_chars()
        .str.replace(r"(?i)z$", "+00:00")
        .str.replace(r"^(\d{4}-\d\d-\d\d)[ ]", "${1}T")
    )
    candidates = []
    for fmt in _ISO_FORMATS_ZONED:
        z = norm.str.to_datetime(fmt, strict=False, time_zone="UTC", time_unit="us")
        candidates.append(z.dt.replace_time_zone(None))
    for fmt in _ISO_FORMATS_NAIVE:
        candidates.append(norm.str.to_datetime(fmt, strict=False, time_unit="us"))
    candidates.append(norm.str.to_date("%Y-%m-%d", strict=False).cast(TS))
    is_num = norm.str.contains(r"^[+-]?\d+(\.\d+)?$")
    epoch = _epoch(norm.cast(pl.Float64, strict=False))
    parsed = pl.DataFrame({f"c{i}": c for i, c in enumerate(candidates)}).select(
        pl.coalesce([pl.col(f"c{i}") for i in range(len(candidates))])
    ).to_series()
    out = pl.DataFrame({"num": is_num, "e": epoch, "p": parsed}).select(
        pl.when(pl.col("num")).then(pl.col("e")).otherwise(pl.col("p"))
    ).to_series()
    return out.cast(TS).alias(name)
