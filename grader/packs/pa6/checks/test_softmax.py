"""Checks of softmax(z): z is (B, K), one row per example, and each row of the result is a
distribution. Large scores must not overflow (subtract each row's maximum)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader import tolerances as tol
from grader.checks_api import as_array, call_text, expect_close, fail_call
from grader.packs.pa6 import inputs
from grader.packs.pa6.hints import HINTS

pytestmark = pytest.mark.function("softmax")

small = st.floats(-5, 5, allow_nan=False, width=64)
batches = hnp.arrays(np.float64, st.tuples(st.integers(2, 5), st.integers(2, 6)), elements=small)


def _softmax(student, z, allow_nonfinite=False):
    call = call_text("softmax", z)
    return as_array(student(z.copy()), call, z.shape, allow_nonfinite=allow_nonfinite), call


def _axis_hint(got):
    if got.ndim != 2 or got.shape[0] < 2 or not np.all(np.isfinite(got)):
        return None
    rows, columns = got.sum(axis=1), got.sum(axis=0)
    if np.allclose(columns, 1.0) and not np.allclose(rows, 1.0):
        return HINTS["softmax_wrong_axis"]
    if np.isclose(got.sum(), 1.0) and not np.allclose(rows, 1.0):
        return HINTS["softmax_whole_matrix"]
    return None


@pytest.mark.points(3)
@pytest.mark.published  # softmax([1, 2, 3]) and of a row of zeros
def test_small_values(student, report):
    z = inputs.SOFTMAX_Z
    result = student.call(z.copy(), echo_args=True)
    if not np.array_equal(result.args_after[0], z):
        report.flag(HINTS["softmax_changes_its_input"], {"argument_before": z,
                                                "argument_after": result.args_after[0]})
    call = call_text("softmax", z)
    got = as_array(result.value, call, z.shape)
    expect_close(got, inputs.SOFTMAX_OF_Z, call=call, rtol=tol.KNOWN_VALUES_RTOL,
                 atol=tol.KNOWN_VALUES_ATOL, hint=_axis_hint(got))


@pytest.mark.points(3)
@given(z=batches)
def test_matches_reference(student, reference, z):
    got, call = _softmax(student, z)
    # rtol SCALE_RTOL, as cs224n's softmax: float32 on the way is off by a few 1e-8 of each value
    # (more than REFERENCE_RTOL on some draws only), and a constant of 1e-8 added to the
    # denominator by up to 1e-8; both lose rows_sum_to_one, under every input set. A wrong formula
    # is off by far more.
    expect_close(got, np.asarray(reference.softmax(z.copy())), call=call,
                 rtol=tol.SCALE_RTOL, atol=tol.REFERENCE_ATOL, hint=_axis_hint(got))


@pytest.mark.points(1)
@given(z=batches)
def test_rows_sum_to_one(student, z):
    got, call = _softmax(student, z)
    sums = got.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=0, atol=tol.IDENTITY_ATOL) or np.any(got < 0):
        off = float(np.max(np.abs(sums - 1.0)))
        # Every digit of the sums: numpy prints 1 - 5e-9 as 1.
        detail = (f"row sums: {', '.join(repr(float(s)) for s in sums)} (largest difference from "
                  f"1: {off:.2g}; allowed {tol.IDENTITY_ATOL:g})")
        if off <= tol.SCALE_RTOL and not np.any(got < 0):
            fail_call(f"the rows sum to 1 only to within {off:.2g}, where float64 gets a "
                      "softmax's row sums to 1 within about 1e-15: each row is a distribution "
                      "up to a rounding larger than float64's, as float32 on the way leaves, or "
                      "a constant added to the denominator (e / (e.sum(...) + eps); that sum is "
                      "at least 1 once each row's maximum is subtracted, so no eps is needed).",
                      call, returned=got, detail=detail)
        fail_call("the rows of the result do not sum to 1 (each row is one example).", call,
                  returned=got, detail=detail, hint=_axis_hint(got))


@pytest.mark.points(1)
@given(z=batches)
def test_a_batch_is_its_rows(student, z):
    """softmax of B rows at once is softmax of each row alone (asked in one round trip)."""
    got, call = _softmax(student, z)
    singles = student.many([(z[b:b + 1].copy(),) for b in range(z.shape[0])])
    for b, result in enumerate(singles):
        one = as_array(result.value, call_text("softmax", z[b:b + 1]), (1, z.shape[1]))
        # At the comparison with the reference's tolerance: float32 rounds a batch and a row
        # differently on some draws only, and would lose this check by the secret.
        if not np.allclose(one[0], got[b], rtol=tol.SCALE_RTOL, atol=tol.REFERENCE_ATOL):
            fail_call(f"row {b} of softmax(z) differs from softmax(z[{b}:{b + 1}]): the rows of a "
                      "batch are separate examples.", call, returned=got[b], expected=one[0],
                      hint=_axis_hint(got))


# exp(x) is 0 in float64 below about -745: a row whose scores all lie further than this under the
# value subtracted comes back 0 / 0.
UNDERFLOW_GAP = -float(np.log(np.finfo(np.float64).smallest_subnormal))


@pytest.mark.points(2)
@pytest.mark.robustness
def test_no_overflow_for_large_scores(student):
    """Scores of a trained network can be large; exp(1000) overflows without a shift."""
    z = inputs.SOFTMAX_BIG
    got, call = _softmax(student, z, allow_nonfinite=True)
    expected = inputs.softmax(z)
    if not np.all(np.isfinite(got)):
        bad = [b for b in range(z.shape[0]) if not np.all(np.isfinite(got[b]))]
        low = [b for b in bad if z[b].max() < z.max() - UNDERFLOW_GAP]
        if low and len(low) == len(bad):
            # The whole batch's maximum subtracted: exp of a row far below it is 0 everywhere.
            fail_call(f"softmax of large scores holds NaN in row {low[0]}, whose largest score is "
                      f"{z[low[0]].max():g} where the batch's is {z.max():g}: exp underflowed to 0 "
                      "across the row, and 0 / 0 is NaN.", call, returned=got, expected=expected,
                      hint=HINTS["softmax_batch_max"])
        fail_call("softmax of large scores holds inf or NaN (exp overflowed).", call,
                  returned=got, expected=expected, hint=HINTS["softmax_overflow"])
    expect_close(got, expected, call=call, rtol=tol.SCALE_RTOL, atol=tol.REFERENCE_ATOL,
                 hint=_axis_hint(got))
