"""Checks of relu(z): max(z, 0) elementwise, same shape, z itself unchanged."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader import tolerances as tol
from grader.checks_api import as_array, call_text, expect_close, fail_call, rounding_only, show
from grader.packs.cbow import inputs
from grader.packs.cbow.hints import HINTS

pytestmark = pytest.mark.function("relu")

columns = hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 3)),
                     elements=st.floats(-5, 5, allow_nan=False, width=64))


def _relu(student, z):
    call = call_text("relu", z)
    return as_array(student(z.copy()), call, z.shape), call


def _hint(got, z):
    if np.allclose(got, np.abs(z)) and np.any(z < 0):
        return HINTS["relu_abs"]
    if np.any(got[z < 0] < 0):
        return HINTS["relu_leaks_negatives"]
    return None


@pytest.mark.points(2)
@pytest.mark.published  # the notebook's two ReLU examples: z_1 of seed 10, and z1 -> h
def test_notebook_values(student):
    for z, expected in ((inputs.RELU_Z, np.maximum(inputs.RELU_Z, 0)), (inputs.Z1, inputs.H)):
        got, call = _relu(student, z)
        expect_close(got, expected, call=call, rtol=tol.KNOWN_VALUES_RTOL,
                     atol=tol.KNOWN_VALUES_ATOL, hint=_hint(got, z))


@pytest.mark.points(2)
@given(z=columns)
def test_matches_reference(student, reference, z):
    got, call = _relu(student, z)
    expect_close(got, np.asarray(reference.relu(z.copy())), call=call, rtol=0,
                 atol=tol.reference_atol(z), hint=_hint(got, z))


@pytest.mark.points(1)
@given(z=columns)
def test_non_negative_and_identity_on_positives(student, z):
    got, call = _relu(student, z)
    if np.any(got < 0) or not np.array_equal(got[z > 0], z[z > 0]):
        rounding = "" if np.any(got < 0) else rounding_only(got[z > 0], z[z > 0])
        fail_call("relu(z) must be >= 0 everywhere and equal z where z > 0." + rounding, call,
                  returned=got, hint=None if rounding else _hint(got, z))


@pytest.mark.points(1)
@pytest.mark.robustness
def test_argument_unchanged(student):
    z = inputs.Z1.copy()
    call = call_text("relu", z)
    result = student.call(z, echo_args=True)
    as_array(result.value, call, z.shape)
    (after,) = result.args_after
    if not np.array_equal(after, z):
        fail_call("relu changed its argument z in place.", call,
                  detail=f"before: {show(z)}\n  after:  {show(after)}",
                  hint=HINTS["relu_mutates_input"])
