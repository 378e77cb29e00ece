"""grader/closeness.py all_close gives np.allclose's verdict (equal_nan=False) on every pair: its
fast path may only say yes where np.allclose says yes."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from grader.closeness import all_close

FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.floats(-10, 10), st.sampled_from([0.0, -0.0, 1e-300, 5e-324, 1.7e308]))
TOLERANCES = st.sampled_from([(1e-7, 1e-9), (1e-5, 1e-8), (0.0, 0.0), (1e-3, 0.0), (2.0, 1e300)])


@settings(max_examples=400, derandomize=True, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4),
                  elements=FLOATS), st.data(), TOLERANCES)
def test_the_verdict_is_np_allclose(expected, data, tolerances):
    rtol, atol = tolerances
    nudge = data.draw(hnp.arrays(np.float64, expected.shape, elements=st.sampled_from(
        [0.0, 1e-12, -1e-6, 1e-3, np.nan, np.inf, 1e308])))
    with np.errstate(all="ignore"):
        actual = np.asarray(expected + nudge * data.draw(st.sampled_from([1.0, 0.0])))
        # the verdict, not numpy's warnings (a grading session does not raise them)
        want = bool(np.allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=False))
        assert all_close(actual, expected, rtol, atol) is want


def test_what_the_fast_path_leaves_out_is_np_allclose_too():
    pairs = [(np.array([np.inf]), np.array([np.inf])),        # close: equal infinities
             (np.array([1.0]), np.array([np.inf])),           # not: a number is not infinity
             (np.array([np.nan]), np.array([np.nan])),        # not: NaN never matches
             (np.array([1, 2]), np.array([1.0, 2.0])),        # ints against floats
             (np.array([1.0], dtype=np.float32), np.array([1.0])),
             (np.ones((2, 3)), np.ones(3)),                   # broadcast
             (1.0, 1.0 + 1e-12), (np.float64(3.0), 3.0),
             (np.array(2.0), np.array(2.0 + 1e-12)),            # 0-d: a cost as an array
             (np.array(2.0), np.array(np.inf)), (np.array(np.inf), np.array(np.inf))]
    for actual, expected in pairs:
        assert all_close(actual, expected, 1e-7, 1e-9) is bool(
            np.allclose(actual, expected, rtol=1e-7, atol=1e-9)), (actual, expected)
