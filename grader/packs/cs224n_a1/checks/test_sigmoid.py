"""Checks of sigmoid(x): elementwise logistic function on scalars and arrays of any shape."""
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader import tolerances as tol
from grader.checks_api import (RIGHT_ANSWER_TOO, CheckFailure, as_array, as_scalar, call_text,
                               expect_close, fail_call)
from grader.packs.cs224n_a1.hints import HINTS
from grader.packs.cs224n_a1.inputs import secret_draw
from grader.packs.cs224n_a1.integer_inputs import expect_integer_input_works
from grader.proxy import StudentError

pytestmark = pytest.mark.function("sigmoid")

KNOWN_INPUT = np.array([[1.0, 2.0], [-1.0, -2.0]])
KNOWN_OUTPUT = np.array([[0.73105858, 0.88079708], [0.26894142, 0.11920292]])

moderate = st.floats(-30, 30, allow_nan=False, width=64)
any_shape_arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
                              elements=moderate)


@pytest.mark.points(2)
@pytest.mark.published  # the handout's own example
def test_known_values(student):
    call = call_text("sigmoid", KNOWN_INPUT)
    got = as_array(student(KNOWN_INPUT), call, KNOWN_INPUT.shape)
    expect_close(got, KNOWN_OUTPUT, call=call, rtol=tol.KNOWN_VALUES_RTOL, atol=tol.KNOWN_VALUES_ATOL)
    # As the handout's own test writes it: sigmoid(np.array([[1, 2], [-1, -2]])).
    expect_integer_input_works(student, "sigmoid", KNOWN_INPUT.astype(np.int64), KNOWN_OUTPUT,
                               rtol=tol.KNOWN_VALUES_RTOL, atol=tol.KNOWN_VALUES_ATOL)


def _scalars() -> tuple[float, ...]:
    draw = secret_draw("sigmoid scalars")
    return (0.0, 2.0) if draw is None else tuple(float(v) for v in draw.uniform(-6, 6, size=2))


@pytest.mark.points(1)
@pytest.mark.robustness  # one kind of input: a sigmoid right on arrays that refuses a Python
@pytest.mark.callers_never_pass  # the network and word2vec pass arrays (or numpy numbers)
def test_scalar_input(student, reference):  # float loses this, not its consistency points
    """A scalar in, a number out (a Python float, numpy scalar or 0-d array)."""
    for x in _scalars():
        call = call_text("sigmoid", x)
        got = as_scalar(student(x), call, what="the result")
        expected = float(np.asarray(reference.sigmoid(x)))
        if abs(got - expected) > tol.KNOWN_VALUES_ATOL:
            fail_call(f"wrong value for a scalar input: {got!r}, expected {expected!r}.", call)
    # An integer as well, as the handout's tests pass integers: sigmoid(2) of the handout's example.
    expect_integer_input_works(student, "sigmoid", 2, KNOWN_OUTPUT[0, 1],
                               rtol=tol.KNOWN_VALUES_RTOL, atol=tol.KNOWN_VALUES_ATOL)


@pytest.mark.exact_shapes
@pytest.mark.points(2)
@given(x=any_shape_arrays)
def test_elementwise_and_shape_kept(student, x):
    """The output has the input's shape and each entry depends on its own input entry only."""
    call = call_text("sigmoid", x)
    got = as_array(student(x), call, x.shape)
    flat_call = call_text("sigmoid", x.ravel())
    flat = as_array(student(x.ravel()), flat_call, (x.size,))
    expect_close(got.ravel(), flat, call=call, what="the result, compared with the same numbers as a "
                 "1-D array", rtol=0, atol=tol.IDENTITY_ATOL)


@pytest.mark.points(1)
@given(x=any_shape_arrays)
def test_symmetry(student, x):
    """sigmoid(-x) == 1 - sigmoid(x)."""
    pos = as_array(student(x), call_text("sigmoid", x), x.shape)
    neg = as_array(student(-x), call_text("sigmoid", -x), x.shape)
    expect_close(neg, 1.0 - pos, call=call_text("sigmoid", -x),
                 what="sigmoid(-x), compared with 1 - sigmoid(x)", rtol=0, atol=tol.IDENTITY_ATOL)


@pytest.mark.points(1)
@given(x=any_shape_arrays)
def test_values_between_0_and_1(student, x):
    call = call_text("sigmoid", x)
    got = as_array(student(x), call, x.shape)
    if np.any(~((got >= 0) & (got <= 1))):
        fail_call("values outside [0, 1]: a sigmoid is always between 0 and 1.", call, returned=got)


def _extremes() -> np.ndarray:
    """Far in both tails (where exp(-x) overflows), moderately far, and near enough that the
    sigmoid is not yet 0 or 1 (a step function is right everywhere else here):
    -big, -mid, -near, 0, near, mid, big."""
    draw = secret_draw("sigmoid extremes")
    if draw is None:
        return np.array([-1000.0, -50.0, -10.0, 0.0, 10.0, 50.0, 1000.0])
    big, mid = draw.uniform(720, 1000), draw.uniform(30, 60)
    near = draw.uniform(8, 12)
    return np.array([-big, -mid, -near, 0.0, near, mid, big])


def _takes_a_plain_scalar(student) -> bool:
    """Whether sigmoid(0.5) comes back as a number. Asked only once a scalar far in the tails has
    failed: a sigmoid that refuses every Python float (x.astype, len(x.shape): real 2017 code)
    loses scalar_input's point for it, and the tails' check then judges its arrays alone."""
    try:
        as_scalar(student(0.5), call_text("sigmoid", 0.5), what="the result")
    except (CheckFailure, StudentError):
        return False
    return True


@pytest.mark.points(1)
@pytest.mark.robustness
# The network's and word2vec's checks give sigmoid pre-activations and scores of at most about 40
# in size (the 200-input network; 12 elsewhere), never near the +-709 where exp overflows: a
# sigmoid that is NaN only there (exp(x) / (1 + exp(x)), real 2017 code) is not why a network
# fails, and "fix sigmoid first" sent a student whose network never applied sigmoid_grad after
# a sigmoid that changes nothing there (probe s62, r43b). tests/test_fbp_findings.py holds the
# callers' inputs to that. A caller's error raised inside sigmoid, the same as this check's, still
# names it (grader/callees.py).
@pytest.mark.callers_never_pass
def test_extreme_inputs(student, reference):
    """No NaN, no error far in the tails, in every shape sigmoid accepts: sigmoid(-1000) is 0 and
    sigmoid(1000) is 1 for a vector, a scalar, a matrix and a 3-D array alike."""
    extreme = _extremes()
    inputs = [extreme, float(extreme[0]), float(extreme[-1]), extreme[[0, -1, 1, -2]].reshape(2, 2),
              extreme[[-1, 0]].reshape(1, 2, 1)]
    for x in inputs:
        expected = np.asarray(reference.sigmoid(np.array(x) if np.ndim(x) else x), dtype=np.float64)
        call = call_text("sigmoid", x)
        if np.ndim(x) == 0:
            try:
                got = np.asarray(as_scalar(student(x), call, what="the result",
                                           allow_nonfinite=True))
            except (CheckFailure, StudentError):
                if not _takes_a_plain_scalar(student):
                    continue  # refuses every scalar: scalar_input's point, not this one's too
                raise
        else:
            got = as_array(student(x), call, x.shape, allow_nonfinite=True)  # NaN: own message
        if np.any(np.isnan(got)):
            fail_call("NaN for large inputs.", call, returned=got, expected=expected,
                      hint=HINTS["sigmoid_overflow"],
                      evidence={"nan_at_inputs": np.asarray(x)[np.isnan(got)].tolist()})
        expect_close(got, np.asarray(expected), call=call, rtol=tol.KNOWN_VALUES_RTOL,
                     atol=tol.KNOWN_VALUES_ATOL)


@pytest.mark.points(1)
@pytest.mark.robustness
def test_input_not_modified(student, reference):
    draw = secret_draw("sigmoid argument")
    x = KNOWN_INPUT.copy() if draw is None else draw.uniform(-3, 3, size=(2, 2))
    result = student.call(x.copy(), echo_args=True)
    (after,) = result.args_after
    # Only a right answer earns the points for leaving the input alone.
    call = call_text("sigmoid", x)
    expect_close(as_array(result.value, call, x.shape), np.asarray(reference.sigmoid(x.copy())),
                 call=call, what=RIGHT_ANSWER_TOO, rtol=tol.KNOWN_VALUES_RTOL,
                 atol=tol.KNOWN_VALUES_ATOL)
    if not np.array_equal(after, x):
        fail_call("sigmoid changed its argument in place.", call,
                  detail=f"afterwards the argument was {after!r}", hint=HINTS["input_mutated"],
                  evidence={"argument_before": x, "argument_after": after})


# Both tails, 10 to 21 by 0.1: a sigmoid that returns exactly 0 below -T (or 1 above T) is off by
# more than REFERENCE_ATOL where -20.7 < x < -T, a band the draws hit under some course secrets
# only (T = 20: 58 or 63 points by the secret); in every input set now, for every such T.
TAILS = np.concatenate([-np.arange(100, 211) / 10.0, np.arange(100, 211) / 10.0])


@pytest.mark.points(1)
@given(x=any_shape_arrays)
@example(x=TAILS)
def test_matches_reference(student, reference, x):
    call = call_text("sigmoid", x)
    got = as_array(student(x), call, x.shape)
    # rtol SCALE_RTOL: a sigmoid in float32 is off by up to 2e-7 of each value, which 1e-7 failed on
    # some draws only (61 or 65 by the course secret); a wrong formula is off by far more.
    expect_close(got, np.asarray(reference.sigmoid(x)), call=call, rtol=tol.SCALE_RTOL,
                 atol=tol.REFERENCE_ATOL)
