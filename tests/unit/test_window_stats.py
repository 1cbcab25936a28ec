"""The detector's first rows: the windows x[:t] of every length, computed in one sort, give bit for bit
what NumPy's median and quantile give for each window alone — so the batch detector and the streaming one
(which sees one window at a time) agree on every row."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from analytics.predict import window_stats as ws
from analytics.predict.detect import DEFAULT, DetectorConfig

values = st.lists(
    st.one_of(
        st.integers(-5, 5).map(float),  # ties, the usual case of counters
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=120,
)


@settings(max_examples=300, deadline=None)
@given(values, st.sampled_from([DEFAULT, DetectorConfig(spread_floor=0.0), DetectorConfig(spread_quantile=0.5)]))
def test_every_prefix_matches_its_window_alone(xs, cfg):
    x = np.asarray(xs)
    lengths = np.arange(1, len(x) + 1)
    med, scale = ws.prefix_stats(x, lengths, cfg)
    for i, t in enumerate(lengths):
        m1, s1 = ws.window_stats(x[None, :t], cfg)
        assert med[i] == m1[0] and scale[i] == s1[0], (t, med[i], m1[0], scale[i], s1[0])


def test_prefixes_in_several_chunks_match_one_chunk(monkeypatch):
    x = np.random.default_rng(3).normal(size=300).round(1)  # rounded: many ties
    lengths = np.arange(24, 300)
    whole = ws.prefix_stats(x, lengths, DEFAULT)
    monkeypatch.setattr(ws, "PREFIX_CHUNK", 7)
    parts = ws.prefix_stats(x, lengths, DEFAULT)
    assert np.array_equal(whole[0], parts[0]) and np.array_equal(whole[1], parts[1])


@pytest.mark.parametrize("n", [25, 200, 300, 700])
def test_the_streaming_detector_scores_the_first_rows_as_the_batch_one(n):
    from analytics.predict.detect import Detector, detect

    rng = np.random.default_rng(n)
    x = np.round(rng.normal(size=n) + (np.arange(n) > n // 2) * 8, 2)
    ts = np.arange(n) * 300.0
    det = Detector()
    streamed = [i for i, (t, v) in enumerate(zip(ts, x, strict=True)) if det.update(t, v)]
    assert streamed == detect(ts, x) and (n < 300 or streamed)  # the shift is found once a window is held
