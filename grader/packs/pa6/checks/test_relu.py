"""Checks of relu(z): max(z, 0) elementwise, a new array of z's shape, z itself unchanged."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader import tolerances as tol
from grader.checks_api import as_array, call_text, expect_close, fail_call, show
from grader.packs.pa6 import inputs
from grader.packs.pa6.hints import HINTS

pytestmark = pytest.mark.function("relu")

batches = hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)),
                     elements=st.floats(-5, 5, allow_nan=False, width=64))


def _relu(student, z):
    call = call_text("relu", z)
    return as_array(student(z.copy()), call, z.shape), call


def _hint(got, z):
    if np.any(z < 0) and np.allclose(got, np.abs(z)):
        return HINTS["relu_abs"]
    if np.any(got[z < 0] < 0):
        return HINTS["relu_leaks_negatives"]
    return None


@pytest.mark.points(2)
@pytest.mark.published  # the pack's own small values, ReLU's kink among them
def test_small_values(student):
    z = inputs.RELU_Z
    got, call = _relu(student, z)
    expect_close(got, np.maximum(z, 0), call=call, rtol=0, atol=0, hint=_hint(got, z))


@pytest.mark.points(2)
@given(z=batches)
def test_matches_reference(student, reference, z):
    got, call = _relu(student, z)
    expect_close(got, np.asarray(reference.relu(z.copy())), call=call, rtol=0,
                 atol=tol.REFERENCE_ATOL, hint=_hint(got, z))


@pytest.mark.points(1)
@given(z=batches)
def test_non_negative_and_identity_on_positives(student, z):
    got, call = _relu(student, z)
    if np.any(got < 0) or not np.array_equal(got[z > 0], z[z > 0]):
        fail_call("relu(z) must be >= 0 everywhere and equal z where z > 0.", call, returned=got,
                  hint=_hint(got, z))


@pytest.mark.points(1)
@pytest.mark.robustness
def test_argument_unchanged(student):
    z = inputs.RELU_Z.copy()
    call = call_text("relu", z)
    result = student.call(z, echo_args=True)
    as_array(result.value, call, z.shape)
    (after,) = result.args_after
    if not np.array_equal(after, z):
        fail_call("relu changed its argument z in place.", call,
                  detail=f"before: {show(z)}\n  after:  {show(after)}",
                  hint=HINTS["relu_mutates_input"])
