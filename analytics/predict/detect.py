"""The streaming anomaly detector: one configuration for every series; each decision uses only the past.

Owns ``Detector`` (online: ``update(ts, value) -> bool``), ``detect(ts, values)`` (the same detector
over a whole series, vectorised with NumPy; it raises exactly the alarms ``Detector`` raises, fed the
same rows one by one — a test checks it) and ``detect_scored`` (its alarms with why each rang). A CSV
series goes through :mod:`analytics.predict.detect_csv`.

How a decision is made at row t (all statistics from rows before t):

1. **Surprise of the value** under two models of "normal":
   * *local level*: robust z-score against the median of the previous ``window`` values, scaled by
     1.4826 x MAD (floored by a high quantile of the absolute deviations, so sparse counts whose MAD is
     0 still get a sensible scale, and by a tiny fraction of the level);
   * *daily profile*: the value minus the median of the same time of day over the previous
     ``seasonal_cycles`` days, robust-z-scored against the previous ``window`` such residuals (scale
     floored in the same way, and also by that tiny fraction of the local level, so a series that
     repeats exactly does not get a zero scale).
   * *weekly*: once a week of rows exists, the value minus the value at the same time a week ago,
     robust-z-scored the same way (a weekend that differs from weekdays is normal once one was seen).
   The score is the smallest of these (a value must be unusual for the time of day, the day of the
   week *and* the recent level), clipped at ``zclip``.
2. **Sustained surprise**: the mean score over the last ``short`` rows, compared with the mean and
   spread of that average over the previous ``history`` rows — Numenta's anomaly likelihood. An alarm
   needs a Gaussian tail probability below ``tail``.
3. **Novelty**: the short-term score must also beat a slowly decaying record of past short-term scores
   (``record_decay`` per row), so recurring, already-seen bursts stop alarming while a larger one still
   does, and reach the ``lone_rank``-th largest short-term score of the last ``history`` *ordinary* rows
   (armed, below the tail threshold, not extreme): a short average that pure noise has already produced
   is not news, however thin the Gaussian tail says it is (that tail is right-skewed on noise).
4. **Extreme single rows** (the other way to alarm): a row far from the daily profile alarms by itself
   when fewer than ``lone_repeats`` such rows were seen (while the detector was armed) in the previous
   ``history`` rows. Steps 1-3 cannot see an isolated spike: one row moves the ``short``-row mean by at
   most ``zclip / short``, and on a seasonal series the local level, whose spread is the day's own
   swing, vetoes it in step 1. "Far" is calibrated on the series itself once its weekly model has a
   full ``window`` of residuals: the smaller of the daily and weekly scores (not clipped) must reach
   ``lone_margin`` times the ``lone_rank``-th largest such score among the *ordinary* rows of the last
   ``history`` rows (rows that were neither extreme nor inside an alarmed incident, so an incident does
   not raise the bar for the next one), and at least ``lone_floor``. Before that (the first week, when
   a weekly pattern cannot yet be known), a row is extreme when its daily score reaches ``zclip`` (and,
   after a week, its weekly score too), once the profile's residual scale rests on a full ``window``.
5. **Suppression and re-arming**: after an alarm (by steps 2-3 or by step 4), none for ``refractory``
   rows -- unless neither a sustained surprise nor an extreme row has been seen for ``rearm`` rows in a
   row: the incident is over and a second one is a new event (a level shift hours after a spike is
   reported; a 3-hour shift is one incident, not one alarm per ``rearm`` rows).

Measured on the public NAB corpus with ``shared/eval/nab_score.py`` (figures in the README).
Only NumPy and the standard library are imported, so the CLI path starts fast.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from analytics.common.epoch_time import datetime_seconds
from analytics.common.float_range import exponent_for
from analytics.predict.window_stats import prefix_stats, window_stats

#: a series of numbers: a sequence or a NumPy array
Floats = Sequence[float] | np.ndarray

DAY_SECONDS = 86400.0
WEEK_DAYS = 7  # the weekly model compares with the same time a week ago (a calendar fact, not fitted)


@dataclass(frozen=True)
class DetectorConfig:
    window: int = 288  # rows of trailing history for level/scale (a day of 5-minute samples)
    short: int = 10  # rows averaged for the sustained surprise
    history: int = 4000  # rows of short-term scores that define "usual surprise" (and of
    # memory of a previous extreme row, step 4)
    seasonal_cycles: int = 5  # previous days whose same-time values make the daily profile
    min_points: int = 24  # rows before any score is computed (also fixes the sampling step)
    warmup: int = 60  # rows before any alarm
    zclip: float = 10.0  # cap on one row's score; a daily-profile score this high alarms alone
    tail: float = 1e-4  # Gaussian tail probability of the short-term score needed to alarm
    spread_quantile: float = 0.9  # quantile of |x - median| used as a floor for the scale
    spread_floor: float = 0.3  # weight of that floor (0 = plain MAD)
    rel_floor: float = 1e-3  # scale never below this fraction of |median|
    record_decay: float = 0.9998  # per-row decay of the record short-term score
    lone_repeats: int = 2  # extreme rows (step 4) in ``history`` rows after which such rows are usual:
    # a second is a second incident, a third within the window is a pattern
    lone_floor: float = 4.5  # once calibrated (step 4), no row with a robust z under this is extreme: a
    # Gaussian tail of 7e-6 per row, under one such row in 16 months of 5-min rows
    lone_margin: float = 1.5  # ... and a row is extreme when its z is this multiple of the series' own
    # ``lone_rank``-th largest z among the ordinary rows of the last ``history``
    # (a ratio, so scale-free; 1.3-1.8 give the same incident-pair and NAB figures)
    lone_rank: int = 4  # (the 4th largest: up to three unflagged rows of an earlier incident among the
    # ordinary rows do not raise the bar; the largest alone did)
    refractory: int = 288  # rows without alarms after an alarm, unless the detector re-armed:
    rearm: int = 20  # ... this many rows in a row without sustained surprise after an alarm
    # (2 x short: the incident's own rows have left the short average)

    def tail_z(self) -> float:
        """The standard-normal z whose upper tail probability is ``tail``."""
        return -NormalDist().inv_cdf(self.tail)


DEFAULT = DetectorConfig()


def _robust_z(
    x: np.ndarray, cfg: DetectorConfig, floor: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """|x_t - median| / scale over the previous ``window`` values (expanding from ``min_points``), that
    median and that scale; NaN before ``min_points`` values exist. ``floor``: a per-row lower bound on the
    scale (NaN = none)."""
    n, W, m0 = len(x), cfg.window, cfg.min_points
    z = np.full(n, np.nan)
    mid = np.full(n, np.nan)
    sc = np.full(n, np.nan)
    if min(W, n) > m0:  # the first rows: windows of every length up to a whole one, in one go
        rows = np.arange(m0, min(W, n))
        med, scale = prefix_stats(x, rows, cfg)
        if floor is not None:
            scale = np.fmax(scale, floor[rows])
        z[rows] = np.abs(x[rows] - med) / scale
        mid[rows] = med
        sc[rows] = scale
    if n > W:
        # chunks keep memory bounded on long series
        for a in range(W, n, 4096):
            b = min(n, a + 4096)
            win = sliding_window_view(x[a - W : b - 1], W)
            med, scale = window_stats(np.ascontiguousarray(win), cfg)
            if floor is not None:
                scale = np.fmax(scale, floor[a:b])
            z[a:b] = np.abs(x[a:b] - med) / scale
            mid[a:b] = med
            sc[a:b] = scale
    return z, mid, sc


def _step_seconds(ts: Floats, m0: int) -> float:
    """The sampling step: the median gap of the first ``m0`` timestamps (known by the time it is used)."""
    head = np.asarray(ts[:m0], dtype=float)
    gaps = np.diff(head)
    gaps = gaps[gaps > 0]
    return float(np.median(gaps)) if gaps.size else 0.0


def _period_rows(step: float) -> int:
    return int(round(DAY_SECONDS / step)) if step > 0 else 0


class _Bar:
    """The ``lone_rank``-th largest of the scores kept from the ordinary rows of the last ``history`` rows
    (a sorted list beside the rows in arrival order; memory bounded by ``history``): step 4's calibrated
    bar over the lone-row scores, and step 3's "already seen" over the short-term scores."""

    def __init__(self, cfg: DetectorConfig) -> None:
        self.cfg = cfg
        self.rows: deque[tuple[int, float]] = deque()
        self.sorted: list[float] = []

    def expire(self, t: int) -> None:
        while self.rows and self.rows[0][0] < t - self.cfg.history:
            self.sorted.pop(bisect.bisect_left(self.sorted, self.rows.popleft()[1]))

    def ranked(self) -> float | None:
        """The ``lone_rank``-th largest value kept (None while fewer are kept)."""
        k = self.cfg.lone_rank
        return self.sorted[-k] if len(self.sorted) >= k else None

    def extreme(self, zc: float) -> bool:
        cfg = self.cfg
        ranked = self.ranked()
        if ranked is None:
            ranked = self.sorted[0] if self.sorted else 0.0
        return zc >= max(cfg.lone_margin * ranked, cfg.lone_floor)

    def usual(self, sm: float) -> bool:
        """True when ``sm`` does not exceed what the ordinary rows have produced (step 3)."""
        ranked = self.ranked()
        return ranked is not None and sm < ranked

    def add(self, t: int, zc: float) -> None:
        self.rows.append((t, zc))
        bisect.insort(self.sorted, zc)


def _finish(
    sm_inputs: np.ndarray,
    extreme: np.ndarray,
    lone_from: int,
    zcal: np.ndarray,
    cal_from: int,
    cfg: DetectorConfig,
    why: list[tuple[str, float]] | None = None,
) -> list[int]:
    """Steps 2-5 over the per-row scores ``z`` (NaN = no score yet), the first-week extreme-row flags and
    the calibrated rows' scores ``zcal`` (NaN before ``cal_from``). ``why``, when given, receives one
    entry per alarm: ("sustained", how many standard deviations the short-term mean score stood above
    its recent history) when step 2-3 rang, else ("spike", nan): a lone row far from normal (step 5)."""
    z = np.where(np.isnan(sm_inputs), 0.0, sm_inputs)
    n = len(z)
    if n == 0:
        return []
    t = np.arange(n)
    c = np.concatenate(([0.0], np.cumsum(z)))
    a = np.maximum(0, t - cfg.short + 1)
    sm = (c[t + 1] - c[a]) / (t + 1 - a)
    c1 = np.concatenate(([0.0], np.cumsum(sm)))
    c2 = np.concatenate(([0.0], np.cumsum(sm * sm)))
    a = np.maximum(0, t - cfg.history)
    cnt = np.maximum(t - a, 1)
    mu = (c1[t] - c1[a]) / cnt
    sd = np.sqrt(np.maximum((c2[t] - c2[a]) / cnt - mu * mu, 0.0))
    ok = ((sm - mu) / (sd + 1e-6) > cfg.tail_z()) & (t >= cfg.warmup)
    out: list[int] = []
    cur = -math.inf
    last = -(10**12)
    extremes: deque[int] = deque()  # extreme rows seen while armed, in the last ``history`` rows
    quiet = 0
    decay = cfg.record_decay
    bar = _Bar(cfg)
    seen = _Bar(cfg)  # step 3: the short-term scores of the ordinary rows
    for i in range(n):
        s = float(sm[i])
        while extremes and extremes[0] < i - cfg.history:
            extremes.popleft()
        bar.expire(i)
        seen.expire(i)
        zc = float(zcal[i])
        cal = i >= cal_from and not math.isnan(zc)
        ext = bar.extreme(zc) if cal else bool(extreme[i])
        lone = ext and i >= lone_from and len(extremes) < cfg.lone_repeats and i >= cfg.warmup
        armed = i - last > cfg.refractory or quiet >= cfg.rearm
        if ext and armed:
            extremes.append(i)  # rows of an ongoing (alarmed) incident are not counted again
        alarm = ((ok[i] and s > cur and not seen.usual(s)) or lone) and armed
        if armed and not ok[i] and not ext:
            seen.add(i, s)
        if alarm:
            out.append(i)
            if why is not None:
                sustained = bool(ok[i] and s > cur and not seen.usual(s))
                why.append(("sustained", float((s - mu[i]) / (sd[i] + 1e-6))) if sustained else ("spike", math.nan))
            last = i
            quiet = 0
        else:
            quiet = 0 if (ok[i] or ext) else quiet + 1
            if cal and armed and not ext:
                bar.add(i, zc)  # an ordinary row: part of the series' own usual surprise
        cur = max(cur * decay if cur > 0 else cur, s)
    return out


def scores(
    ts: Floats, values: Floats, cfg: DetectorConfig = DEFAULT
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, int]:
    """Step 1 for a whole series: the per-row score (NaN where none is computed yet), whether the row is
    an extreme departure by the first-week rule, the row from which that rule may alarm, and step 4's
    calibrated score (the smaller of the daily and weekly scores, unclipped; NaN before ``cal_from``)."""
    v = np.asarray(values, dtype=float)
    n = len(v)
    zl, level, _ = _robust_z(v, cfg)
    P = _period_rows(_step_seconds(ts, cfg.min_points)) if n > cfg.min_points else 0
    z = np.minimum(zl, cfg.zclip)
    extreme = np.zeros(n, dtype=bool)
    lone_from = cal_from = n
    zcal = np.full(n, np.nan)
    if P >= 4 and n > P:
        K = cfg.seasonal_cycles
        refs = np.full((n, K), np.nan)
        for k in range(1, K + 1):
            if k * P < n:
                refs[k * P :, k - 1] = v[: n - k * P]
        ref = np.full(n, np.nan)
        for k in range(1, K + 1):  # nanmedian of the available previous cycles, row by row group
            lo, hi = k * P, min(n, (k + 1) * P) if k < K else n
            if lo < n:
                ref[lo:hi] = np.median(refs[lo:hi, :k], axis=1)
        res = v[P:] - ref[P:]
        zs, _, res_scale = _robust_z(res, cfg, cfg.rel_floor * np.abs(level[P:]))
        extreme[P:] = zs >= cfg.zclip  # False while NaN
        W7 = WEEK_DAYS * P
        if n > W7 + cfg.min_points:
            rw = v[W7:] - v[: n - W7]
            zw = _robust_z(rw, cfg, cfg.rel_floor * np.abs(level[W7:]))[0]
            # until the week-ago residuals have a scale of their own, they are scored against the daily
            # residuals' scale, centred on 0 (a value like last week's): the first Monday after the first
            # weekend is then as usual as the Monday a week before, not a return from a level shift
            head = min(cfg.min_points, n - W7)
            zw[:head] = np.abs(rw[:head]) / res_scale[W7 - P : W7 - P + head]
            zw[np.isnan(zw)] = np.inf
            extreme[W7:] &= zw >= cfg.zclip
            cal_from = W7 + max(cfg.window, cfg.min_points)  # the weekly residual scale has a full window
            if n > cal_from:
                zcal[cal_from:] = np.minimum(zs[cal_from - P :], zw[cal_from - W7 :])
            zs[W7 - P :] = np.minimum(zs[W7 - P :], zw)
        zs[np.isnan(zs)] = np.inf
        zs = np.minimum(zs, cfg.zclip)
        z[P:] = np.minimum(z[P:], zs)
        lone_from = P + max(cfg.window, cfg.min_points)  # residual scale from a full window
    return z, extreme, lone_from, zcal, cal_from


def detect(ts: Floats, values: Floats, cfg: DetectorConfig = DEFAULT) -> list[int]:
    """Row indices at which the detector alarms. ``ts``: seconds since the epoch (any monotonic origin).
    Rows with a non-finite value are skipped, as ``Detector.update`` skips them."""
    return [a[0] for a in detect_scored(ts, values, cfg)]


def detect_scored(ts: Floats, values: Floats, cfg: DetectorConfig = DEFAULT) -> list[tuple[int, float, str, float]]:
    """:func:`detect`'s alarms, each as (row, its surprise from step 1 — a robust z, the smallest of the
    level, daily and weekly models', at most ``zclip`` —, why it rang: "sustained" or "spike", and for a
    sustained one how many standard deviations the short-term mean surprise stood above its recent
    history, else nan)."""
    t = np.asarray(ts, dtype=float)
    v = np.asarray(values, dtype=float)
    keep = np.nonzero(np.isfinite(v) & np.isfinite(t))[0]
    v = v[keep]
    e = exponent_for(v)
    if e:  # values near the largest or smallest floats: the same alarms at a magnitude near 1
        v = np.ldexp(v, -e)
    z, extreme, lone_from, zcal, cal_from = scores(t[keep], v, cfg)
    why: list[tuple[str, float]] = []
    rows = _finish(z, extreme, lone_from, zcal, cal_from, cfg, why)
    return [(int(keep[i]), float(z[i]), kind, rise) for i, (kind, rise) in zip(rows, why, strict=True)]


class Detector:
    """The same detector, one row at a time: ``update(ts, value)`` returns True when it alarms.

    Memory is bounded: ``window`` values, a week of values and ``history`` scores."""

    def __init__(self, cfg: DetectorConfig = DEFAULT) -> None:
        self.cfg = cfg
        self._zthr = cfg.tail_z()
        self.n = 0
        self._ts: list[float] = []  # the first min_points timestamps (sampling step)
        self._period = 0
        self._vals: deque[float] = deque()  # the last max(window, K*period) values
        self._res: deque[float] = deque(maxlen=cfg.window)
        self._nres = 0
        self._resw: deque[float] = deque(maxlen=cfg.window)  # residuals against the value a week ago
        self._nresw = 0
        self._c = 0.0
        self._cs: deque[float] = deque([0.0], maxlen=cfg.short + 1)
        self._c1 = 0.0
        self._c2 = 0.0
        self._c12: deque[tuple[float, float]] = deque([(0.0, 0.0)], maxlen=cfg.history + 1)
        self._record = -math.inf
        self._last = -(10**12)
        self._extremes: deque[int] = deque()
        self._quiet = 0
        self._bar = _Bar(cfg)
        self._seen = _Bar(cfg)

    def _z(self, buf: Sequence[float], count: int, x: float, floor: float = math.nan) -> tuple[float, float, float]:
        """(robust z of x, window median, scale), as ``_robust_z`` computes them for one row."""
        cfg = self.cfg
        if count < cfg.min_points:
            return math.nan, math.nan, math.nan
        win = np.asarray(list(buf)[-cfg.window :], dtype=float)
        if len(win) < cfg.window:  # the series' first rows: as _robust_z computes them
            med, scale = prefix_stats(win, np.array([len(win)]), cfg)
        else:
            med, scale = window_stats(win[None, :], cfg)
        sc = float(scale[0])
        if not math.isnan(floor):
            sc = max(sc, floor)
        return float(abs(x - med[0]) / sc), float(med[0]), sc

    def update(self, ts: float | dt.datetime, value: float) -> bool:
        cfg = self.cfg
        if isinstance(ts, dt.datetime):
            ts = datetime_seconds(ts)
        x = float(value)
        if not (math.isfinite(x) and math.isfinite(float(ts))):
            return False
        t = self.n
        if t < cfg.min_points:
            self._ts.append(float(ts))
        if t == cfg.min_points:
            self._period = _period_rows(_step_seconds(self._ts, cfg.min_points))
        zl, level, _ = self._z(self._vals, t, x)
        z = min(zl, cfg.zclip) if not math.isnan(zl) else math.nan
        extreme = mature = False
        zcal = math.nan
        P = self._period
        if P >= 4 and t >= P:
            K = cfg.seasonal_cycles
            k_avail = min(K, t // P)
            vals = self._vals
            ref = float(
                np.median(np.asarray([vals[len(vals) - k * P] for k in range(1, k_avail + 1)])[None, :], axis=1)[0]
            )
            r = x - ref
            zs_raw, _, res_scale = self._z(self._res, self._nres, r, cfg.rel_floor * abs(level))
            zs = math.inf if math.isnan(zs_raw) else zs_raw
            extreme = zs >= cfg.zclip and not math.isnan(zs_raw)
            if t >= WEEK_DAYS * P:  # the weekly model: the value a week ago
                rw = x - vals[len(vals) - WEEK_DAYS * P]
                zw = self._z(self._resw, self._nresw, rw, cfg.rel_floor * abs(level))[0]
                if self._nresw < cfg.min_points:  # the daily residuals' scale, centred on 0
                    zw = abs(rw) / res_scale
                zw = math.inf if math.isnan(zw) else zw
                extreme = extreme and zw >= cfg.zclip
                if self._nresw >= max(cfg.window, cfg.min_points):
                    zcal = min(zs_raw, zw)
                zs = min(zs, zw)
                self._resw.append(rw)
                self._nresw += 1
            zs = min(zs, cfg.zclip)
            z = min(z, zs)  # NaN while the local score is (P < min_points), as np.minimum gives
            mature = self._nres >= max(cfg.window, cfg.min_points)
            self._res.append(r)
            self._nres += 1
        self._vals.append(x)
        keep = max(cfg.window, cfg.seasonal_cycles * P, WEEK_DAYS * P)
        while len(self._vals) > keep:
            self._vals.popleft()
        # steps 2-5, mirroring _finish operation by operation
        z = 0.0 if math.isnan(z) else z
        self._c = float(np.float64(self._c) + np.float64(z))
        self._cs.append(self._c)
        a = max(0, t - cfg.short + 1)
        sm = (self._cs[-1] - self._cs[len(self._cs) - 1 - (t + 1 - a)]) / (t + 1 - a)
        cnt_raw = t - max(0, t - cfg.history)
        cnt = max(cnt_raw, 1)
        c1_t, c2_t = self._c12[-1]
        c1_a, c2_a = self._c12[len(self._c12) - 1 - cnt_raw]
        mu = (c1_t - c1_a) / cnt
        sd = math.sqrt(max((c2_t - c2_a) / cnt - mu * mu, 0.0))
        self._c1 = self._c1 + sm
        self._c2 = self._c2 + sm * sm
        self._c12.append((self._c1, self._c2))
        ex = self._extremes
        while ex and ex[0] < t - cfg.history:
            ex.popleft()
        self._bar.expire(t)
        self._seen.expire(t)
        cal = not math.isnan(zcal)
        if cal:
            extreme = self._bar.extreme(zcal)
        lone = extreme and mature and len(ex) < cfg.lone_repeats and t >= cfg.warmup
        ok = (sm - mu) / (sd + 1e-6) > self._zthr and t >= cfg.warmup
        armed = t - self._last > cfg.refractory or self._quiet >= cfg.rearm
        if extreme and armed:
            ex.append(t)
        alarm = bool(((ok and sm > self._record and not self._seen.usual(sm)) or lone) and armed)
        if armed and not ok and not extreme:
            self._seen.add(t, sm)
        if alarm:
            self._last = t
            self._quiet = 0
        else:
            self._quiet = 0 if (ok or extreme) else self._quiet + 1
            if cal and armed and not extreme:
                self._bar.add(t, zcal)
        self._record = max(self._record * cfg.record_decay if self._record > 0 else self._record, sm)
        self.n += 1
        return alarm
