"""Series at the edge of the floats: an exact power-of-two rescale for values near 1e308 or 1e-308.

The forecasters and the detector are scale-equivariant (a series times ``c`` gives forecasts times ``c``
and the same alarms), but their arithmetic is not: differences of values near the largest float
overflow to ``inf`` and the results become NaN, and subnormal values lose their digits. Dividing by a
power of two changes no digit of a normal float, so such a series is worked on at a magnitude near 1
and the results are scaled back.
"""

from __future__ import annotations

import numpy as np

#: magnitudes inside 2**-LIMIT .. 2**LIMIT are worked on as they are: their squares and sums of
#: thousands of them stay far inside the floats (2**+-1022), so nothing overflows or underflows
LIMIT = 100
_MAX = np.finfo(float).max


def exponent_for(values: np.ndarray) -> int:
    """The power of two to divide ``values`` by (``np.ldexp(values, -e)``): 0 when their largest
    finite magnitude is inside the safe range (or there is none), else that magnitude's exponent."""
    v = np.abs(values[np.isfinite(values)])
    if v.size == 0:
        return 0
    big = float(v.max())
    if big == 0.0 or 2.0**-LIMIT <= big <= 2.0**LIMIT:
        return 0
    return int(np.frexp(big)[1])


def scaled_back(values: np.ndarray, e: int) -> np.ndarray:
    """``values * 2**e``, kept finite: what would overflow is the largest float of its sign."""
    if e == 0:
        return values
    with np.errstate(over="ignore"):
        out = np.ldexp(values, e)
    return np.clip(out, -_MAX, _MAX)
