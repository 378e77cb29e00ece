"""Checks of softmax(z): in the notebook's convention a column is one example, so each column
(axis 0) of softmax(z) is a distribution; a 1-D z is one column.

The notebook's own cell does not subtract the maximum, so overflow for huge inputs is an advisory
check (a warning, no points)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader import tolerances as tol
from grader.checks_api import as_array, call_text, expect_close, fail_call, rounding_only
from grader.packs.cbow import inputs
from grader.packs.cbow.hints import HINTS

pytestmark = pytest.mark.function("softmax")

small = st.floats(-5, 5, allow_nan=False, width=64)
matrices = hnp.arrays(np.float64, st.tuples(st.integers(2, 6), st.integers(2, 4)), elements=small)
anything = st.one_of(matrices, hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.just(1)),
                                          elements=small),
                     hnp.arrays(np.float64, st.tuples(st.integers(1, 6)), elements=small))


def _softmax(student, z, allow_nonfinite=False):
    call = call_text("softmax", z)
    return as_array(student(z.copy()), call, z.shape, allow_nonfinite=allow_nonfinite), call


def _axis_hint(got):
    if got.ndim != 2 or got.shape[0] < 2:
        return None, None
    columns, rows = got.sum(axis=0), got.sum(axis=1)
    if np.allclose(rows, 1.0) and not np.allclose(columns, 1.0):
        return HINTS["softmax_wrong_axis"], {"row_sums": rows, "column_sums": columns}
    if got.shape[1] > 1 and np.isclose(got.sum(), 1.0) and not np.allclose(columns, 1.0):
        return HINTS["softmax_whole_matrix"], {"column_sums": columns, "total": float(got.sum())}
    return None, None


@pytest.mark.points(3)
@pytest.mark.published  # softmax([9, 8, 11, 10, 8.5]) and yhat = softmax(z2) of the notebook
def test_notebook_values(student):
    for z, expected in ((inputs.SOFTMAX_Z, inputs.SOFTMAX_OF_Z), (inputs.Z2, inputs.YHAT)):
        got, call = _softmax(student, z)
        hint, evidence = _axis_hint(got)
        expect_close(got, expected, call=call, rtol=tol.KNOWN_VALUES_RTOL,
                     atol=tol.KNOWN_VALUES_ATOL, hint=hint, evidence=evidence)


@pytest.mark.points(3)
@given(z=anything)
def test_matches_reference(student, reference, z):
    got, call = _softmax(student, z)
    hint, evidence = _axis_hint(got)
    expected = np.asarray(reference.softmax(z.copy()))
    expect_close(got, expected, call=call, rtol=tol.REFERENCE_RTOL,
                 atol=tol.reference_atol(expected), hint=hint, evidence=evidence)


# The largest constant added to the denominator taken for a guard against dividing by 0.
GUARD_LIMIT = 1e-6


def _denominator_guarded(got, z) -> bool:
    """Whether `got` is softmax(z) with one small constant eps added to every column's sum of
    exponentials, with or without each column's maximum subtracted first: the eps each column's
    sum implies must be one and the same, and explain every entry."""
    sums = got.sum(axis=0)
    if np.any(got < 0) or not np.all((sums < 1) & (sums > 1 - 1e-4)):
        return False
    for shift in (z.max(axis=0, keepdims=True), 0.0):
        e = np.exp(z - shift)
        total = e.sum(axis=0)
        eps = total * (1 / sums - 1)
        if (0 < eps.min() and eps.max() <= GUARD_LIMIT * (1 + 1e-6) and np.allclose(eps, eps[0], rtol=1e-3)
                and np.allclose(got, e / (total + eps[0]), rtol=1e-9, atol=0)):
            return True
    return False


@pytest.mark.points(2)
@given(z=matrices)
def test_columns_sum_to_one(student, report, z):
    """V x m: m examples, each column its own distribution."""
    got, call = _softmax(student, z)
    sums = got.sum(axis=0)
    if not np.allclose(sums, 1.0, rtol=0, atol=tol.IDENTITY_ATOL) or np.any(got < 0):
        if _denominator_guarded(got, z):
            report.flag(HINTS["softmax_denominator_guarded"], if_passes=True)
            return
        hint, evidence = _axis_hint(got)
        off = float(np.max(np.abs(sums - 1.0)))
        fail_call("the columns of the result do not sum to 1 (each column is one example): "
                  f"a column sum is off by {off:.1e} (allowed {tol.IDENTITY_ATOL:g})"
                  + (", and the result has negative entries." if np.any(got < 0)
                     else "." + rounding_only(sums, np.ones_like(sums))),
                  call, returned=got, detail=f"column sums: {np.array2string(sums, precision=12)}",
                  hint=hint, evidence=evidence)


@pytest.mark.points(0)
def test_no_overflow_for_large_inputs(student):
    """Advisory: z2 of a trained network can be large; exp(1000) overflows without a shift."""
    z = np.array([[1000.0], [1001.0], [999.0]])
    got, call = _softmax(student, z, allow_nonfinite=True)
    if not np.all(np.isfinite(got)):  # a wrong axis is the other checks' business
        fail_call("softmax of large inputs holds inf or NaN (exp overflowed).", call, returned=got,
                  hint=HINTS["softmax_overflow"])
