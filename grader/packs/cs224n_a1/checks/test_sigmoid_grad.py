"""Checks of sigmoid_grad(s): the sigmoid's derivative, given the sigmoid's OUTPUT s."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader import tolerances as tol
from grader.checks_api import (RIGHT_ANSWER_TOO, as_array, as_scalar, call_text, expect_close,
                               fail_call)
from grader.packs.cs224n_a1.hints import HINTS
from grader.packs.cs224n_a1.inputs import secret_draw

pytestmark = pytest.mark.function("sigmoid_grad")

KNOWN_INPUT = np.array([[0.73105858, 0.88079708], [0.26894142, 0.11920292]])  # sigmoid([[1,2],[-1,-2]])
KNOWN_OUTPUT = np.array([[0.19661193, 0.10499359], [0.19661193, 0.10499359]])
FROM_X = {"seen": "the result equals sigmoid(s) * (1 - sigmoid(s)), the derivative at x = s"}

x_arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                      elements=st.floats(-8, 8, allow_nan=False, width=64))


@pytest.mark.points(2)
@pytest.mark.published  # the derivative at the handout's own example
def test_known_values(student):
    call = call_text("sigmoid_grad", KNOWN_INPUT)
    got = as_array(student(KNOWN_INPUT), call, KNOWN_INPUT.shape)
    from_x = 1 / (1 + np.exp(-KNOWN_INPUT)) * (1 - 1 / (1 + np.exp(-KNOWN_INPUT)))
    # What the result is, when it is one of the usual wrong formulas (here only: a check that
    # draws its inputs would draw others if its code changed, and these values name them all).
    seen = next(((HINTS[name], {"seen": text}) for name, formula, text in (
        ("sigmoid_grad_from_x", from_x, FROM_X["seen"]),
        ("sigmoid_grad_sign", -KNOWN_OUTPUT, "the result is minus the derivative"),
        ("sigmoid_grad_tanh", 1 - KNOWN_INPUT ** 2, "the result equals 1 - s**2"))
        if np.allclose(got, formula, atol=1e-6)), (None, None))
    expect_close(got, KNOWN_OUTPUT, call=call, rtol=tol.KNOWN_VALUES_RTOL,
                 atol=tol.KNOWN_VALUES_ATOL, hint=seen[0], evidence=seen[1])


@pytest.mark.points(2)
@given(x=x_arrays)
def test_matches_finite_differences(student, reference, x):
    """sigmoid_grad(sigmoid(x)) equals central differences of the reference sigmoid at x."""
    h = tol.SIGMOID_FD_STEP
    s = np.asarray(reference.sigmoid(x))
    numerical = (np.asarray(reference.sigmoid(x + h)) - np.asarray(reference.sigmoid(x - h))) / (2 * h)
    call = call_text("sigmoid_grad", s)
    got = as_array(student(s), call, x.shape)
    from_x = np.allclose(got, np.asarray(reference.sigmoid_grad(reference.sigmoid(s))), atol=1e-9)
    hint = HINTS["sigmoid_grad_from_x"] if from_x and not np.allclose(got, numerical) else None
    expect_close(got, numerical, call=call, what="the derivative (compared with central differences of sigmoid at x = log(s / (1 - s)))",
                 rtol=0, atol=tol.SIGMOID_FD_ATOL, hint=hint, evidence=FROM_X if hint else None)


def _scalars() -> tuple[float, ...]:
    """Two sigmoid outputs: 1/2 and sigmoid(2) of the handout's example, or drawn from the secret."""
    draw = secret_draw("sigmoid_grad scalars")
    return (0.5, float(KNOWN_INPUT[0, 1])) if draw is None else tuple(
        float(v) for v in draw.uniform(0.05, 0.95, size=2))


@pytest.mark.points(0.5)
@pytest.mark.robustness  # one kind of input: a sigmoid_grad right on arrays that mishandles a
@pytest.mark.callers_never_pass  # the network gives sigmoid_grad arrays
def test_scalar_input(student, reference):  # number loses this, not its consistency points
    """A scalar in, a number out: a Python float, and the numpy float64 that sigmoid(x) of a
    float returns (the value a student's own code passes on), each the sigmoid's output."""
    for s in _scalars():
        expected = float(np.asarray(reference.sigmoid_grad(s)))
        for value in (s, np.float64(s)):
            call = call_text("sigmoid_grad", value)
            got = as_scalar(student(value), call, what="the result")
            if abs(got - expected) <= tol.KNOWN_VALUES_ATOL:
                continue
            sig = 1 / (1 + np.exp(-s))
            from_x = abs(got - sig * (1 - sig)) <= tol.KNOWN_VALUES_ATOL
            fail_call(f"wrong value for a scalar input: {got!r}, expected {expected!r} "
                      f"(the sigmoid's derivative where its value is s = {s!r}).", call,
                      hint=HINTS["sigmoid_grad_from_x"] if from_x else None,
                      evidence=FROM_X if from_x else None)


@pytest.mark.exact_shapes
@pytest.mark.points(0.5)
@given(s=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
                    elements=st.floats(0, 1, width=64)))
def test_shape_kept(student, s):
    as_array(student(s), call_text("sigmoid_grad", s), s.shape)


@pytest.mark.points(0.5)
@pytest.mark.robustness
def test_input_not_modified(student, reference):
    draw = secret_draw("sigmoid_grad argument")
    s = KNOWN_INPUT.copy() if draw is None else draw.uniform(0.05, 0.95, size=(2, 2))
    result = student.call(s.copy(), echo_args=True)
    (after,) = result.args_after
    # Only a right answer earns the points for leaving the input alone.
    call = call_text("sigmoid_grad", s)
    expect_close(as_array(result.value, call, s.shape), np.asarray(reference.sigmoid_grad(s.copy())),
                 call=call, what=RIGHT_ANSWER_TOO, rtol=tol.KNOWN_VALUES_RTOL,
                 atol=tol.KNOWN_VALUES_ATOL)
    if not np.array_equal(after, s):
        fail_call("sigmoid_grad changed its argument in place.", call,
                  detail=f"afterwards the argument was {after!r}", hint=HINTS["input_mutated"],
                  evidence={"argument_before": s, "argument_after": after})
