"""Checks of sigmoid_grad(s): the sigmoid's derivative, given the sigmoid's OUTPUT s."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader import tolerances as tol
from grader.checks_api import as_array, call_text, expect_close, fail_call

pytestmark = pytest.mark.function("sigmoid_grad")

KNOWN_INPUT = np.array([[0.73105858, 0.88079708], [0.26894142, 0.11920292]])  # sigmoid([[1,2],[-1,-2]])
KNOWN_OUTPUT = np.array([[0.19661193, 0.10499359], [0.19661193, 0.10499359]])
FROM_X_HINT = ("sigmoid_grad receives s = sigmoid(x), the sigmoid's output, not x: the derivative is "
               "s * (1 - s). Computing sigmoid(s) * (1 - sigmoid(s)) applies the sigmoid twice.")

x_arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                      elements=st.floats(-8, 8, allow_nan=False, width=64))


@pytest.mark.points(2)
def test_known_values(student):
    call = call_text("sigmoid_grad", KNOWN_INPUT)
    got = as_array(student(KNOWN_INPUT), call, KNOWN_INPUT.shape)
    hint = ""
    from_x = 1 / (1 + np.exp(-KNOWN_INPUT)) * (1 - 1 / (1 + np.exp(-KNOWN_INPUT)))
    if np.allclose(got, from_x, atol=1e-6):
        hint = FROM_X_HINT
    expect_close(got, KNOWN_OUTPUT, call=call, rtol=tol.KNOWN_VALUES_RTOL,
                 atol=tol.KNOWN_VALUES_ATOL, hint=hint)


@pytest.mark.points(2)
@given(x=x_arrays)
def test_matches_finite_differences(student, reference, x):
    """sigmoid_grad(sigmoid(x)) equals central differences of the reference sigmoid at x."""
    h = tol.SIGMOID_FD_STEP
    s = np.asarray(reference.sigmoid(x))
    numerical = (np.asarray(reference.sigmoid(x + h)) - np.asarray(reference.sigmoid(x - h))) / (2 * h)
    call = call_text("sigmoid_grad", s)
    got = as_array(student(s), call, x.shape)
    hint = FROM_X_HINT if np.allclose(got, np.asarray(reference.sigmoid_grad(reference.sigmoid(s))),
                                      atol=1e-9) and not np.allclose(got, numerical) else ""
    expect_close(got, numerical, call=call, what="the derivative (compared with central differences of sigmoid at x = log(s / (1 - s)))",
                 rtol=0, atol=tol.SIGMOID_FD_ATOL, hint=hint)


@pytest.mark.points(0.5)
@given(s=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
                    elements=st.floats(0, 1, width=64)))
def test_shape_kept(student, s):
    as_array(student(s), call_text("sigmoid_grad", s), s.shape)


@pytest.mark.points(0.5)
def test_input_not_modified(student):
    s = KNOWN_INPUT.copy()
    (after,) = student.call(s, echo_args=True).args_after
    if not np.array_equal(after, KNOWN_INPUT):
        fail_call("sigmoid_grad changed its argument in place.", call_text("sigmoid_grad", KNOWN_INPUT),
                  detail=f"afterwards the argument was {after!r}",
                  hint="return a new array (no `s *= ...` on the input).")
