"""Vectorised timestamp parsing: ISO 8601 with or without a zone, epoch seconds/ms/µs/ns (written as
whole or decimal numbers, with or without an exponent: ``1.7e9``), dates.

Everything becomes a naive ``Datetime("us")`` in UTC; a value that cannot be read becomes null (the
caller reports it with its line; :func:`epoch_numbers` tells a number too far from now to be held, such
as ``1e30``, from text that is no time at all). Works on whole Polars columns, never row by row in Python.
"""

from __future__ import annotations

import polars as pl

TS = pl.Datetime("us")

_ISO_FORMATS_NAIVE = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M")
_ISO_FORMATS_ZONED = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z")
#: text read as an epoch number (the rest as ISO 8601)
_NUMBER = r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$"


def _epoch(num: pl.Series) -> pl.Series:
    """Numbers as epoch time; the unit is chosen per value by magnitude (s < 1e11 <= ms < 1e14 <= µs < 1e17 <= ns).

    Whole numbers are scaled in integer arithmetic (a float64 cannot hold epoch microseconds exactly)."""
    if num.dtype != pl.Float64:
        as_int = num.cast(pl.Int64, strict=False)
    else:
        as_int = pl.Series(num.name, [None] * len(num), dtype=pl.Int64)
    x = num.cast(pl.Float64, strict=False)
    frame = pl.DataFrame({"i": as_int, "x": x}).select(
        pl.when(pl.col("i").is_not_null())
        .then(
            pl.when(pl.col("i").abs() < 100_000_000_000)
            .then(pl.col("i") * 1_000_000)
            .when(pl.col("i").abs() < 100_000_000_000_000)
            .then(pl.col("i") * 1_000)
            .when(pl.col("i").abs() < 100_000_000_000_000_000)
            .then(pl.col("i"))
            .otherwise(pl.col("i") // 1_000)
        )
        .when(pl.col("x").is_finite() & (pl.col("x").abs() < 9e18))
        .then(
            pl.when(pl.col("x").abs() < 1e11)
            .then(pl.col("x") * 1e6)
            .when(pl.col("x").abs() < 1e14)
            .then(pl.col("x") * 1e3)
            .when(pl.col("x").abs() < 1e17)
            .then(pl.col("x"))
            .otherwise(pl.col("x") / 1e3)
            .round(0)
            .cast(pl.Int64, strict=False)
        )
        .otherwise(None)
        .alias("us")
    )
    return frame["us"].cast(TS)


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
    norm = s.str.strip_chars().str.replace(r"(?i)z$", "+00:00").str.replace(r"^(\d{4}-\d\d-\d\d)[ ]", "${1}T")
    candidates = []
    for fmt in _ISO_FORMATS_ZONED:
        z = norm.str.to_datetime(fmt, strict=False, time_zone="UTC", time_unit="us")
        candidates.append(z.dt.replace_time_zone(None))
    for fmt in _ISO_FORMATS_NAIVE:
        candidates.append(norm.str.to_datetime(fmt, strict=False, time_unit="us"))
    candidates.append(norm.str.to_date("%Y-%m-%d", strict=False).cast(TS))
    is_num = norm.str.contains(_NUMBER)
    epoch = _epoch(norm)
    parsed = (
        pl.DataFrame({f"c{i}": c for i, c in enumerate(candidates)})
        .select(pl.coalesce([pl.col(f"c{i}") for i in range(len(candidates))]))
        .to_series()
    )
    out = (
        pl.DataFrame({"num": is_num, "e": epoch, "p": parsed})
        .select(pl.when(pl.col("num")).then(pl.col("e")).otherwise(pl.col("p")))
        .to_series()
    )
    return out.cast(TS).alias(name)


def epoch_numbers(s: pl.Series) -> pl.Series:
    """Which values of a timestamp column are finite numbers, read as epoch time: where
    :func:`parse_timestamps` gives null for one, the number is beyond any time a timestamp can hold
    (``1e30``), not text that is no time."""
    if s.dtype.is_numeric():
        return s.cast(pl.Float64, strict=False).is_finite().fill_null(False)
    if s.dtype != pl.String:
        return pl.repeat(False, len(s), dtype=pl.Boolean, eager=True)
    return s.str.strip_chars().str.contains(_NUMBER).fill_null(False)
