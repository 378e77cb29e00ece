"""Checks of cross_entropy_loss(y_predicted, y_actual): J = -sum_k y_k log(yhat_k), one number."""
import numpy as np
import pytest
from hypothesis import given

from grader import tolerances as tol
from grader.checks_api import as_scalar, call_text, describe_type, fail_call, whole_cases
from grader.packs.cbow import inputs
from grader.packs.cbow.hints import HINTS

pytestmark = pytest.mark.function("cross_entropy_loss")


def _loss(student, yhat, y, expected=None):
    call = call_text("cross_entropy_loss", yhat, y)
    value = student(yhat.copy(), y.copy())
    if isinstance(value, np.ndarray) and value.size > 1:
        hint = None
        if expected is not None and np.isclose(value.sum(), expected):
            hint = HINTS["cross_entropy_not_summed"]
        fail_call(f"the loss is {describe_type(value)}; expected a single number.", call,
                  returned=value, hint=hint)
    return as_scalar(value, call, "the loss"), call


# The largest constant inside the log taken for a guard against log(0), as in the CS224n pack.
GUARD_LIMIT = 1e-6


def _check(got, expected, call, rtol, atol, entries, guarded=lambda: False):
    """`entries`: how many entries the prediction has (V). `guarded()`: whether the loss is the
    cross-entropy with a small constant inside its log (asked only when the values differ)."""
    if np.isclose(got, expected, rtol=rtol, atol=atol) or guarded():
        return
    hint = None
    if np.isclose(got, -expected, rtol=rtol, atol=atol):
        hint = HINTS["cross_entropy_sign"]
    elif entries > 1 and np.isclose(got, expected / entries, rtol=rtol, atol=atol):
        hint = HINTS["cross_entropy_averaged"]
    fail_call(f"wrong loss (relative difference {abs(got - expected) / abs(expected):.1e}, "
              f"allowed {rtol:g}).", call, returned=repr(got), expected=repr(expected), hint=hint)


def _log_guarded(student, yhat, y, got) -> bool:
    """Whether the loss is -log(yhat_target + eps) for one small constant eps: the eps the loss
    implies must also give the loss of a second prediction, where the target is less likely.
    (A one-hot target only: the loss is then the log of one entry.)"""
    if not (np.count_nonzero(y) == 1 and y.max() == 1):
        return False
    target = int(np.argmax(y.ravel()))
    p = float(yhat.ravel()[target])
    eps = float(np.exp(-got)) - p
    if not 0 < eps <= GUARD_LIMIT * (1 + 1e-6):  # read back from the loss: the limit, to ulps
        return False
    other = yhat ** 2
    other /= other.sum()
    q = float(other.ravel()[target])
    again, _ = _loss(student, other, y)
    return bool(np.isclose(again, -np.log(q + eps), rtol=1e-9, atol=0)
                and not np.isclose(again, -np.log(q), rtol=1e-9, atol=0))


@pytest.mark.points(3)
@pytest.mark.published  # the notebook's loss, 1.4650152923611106
def test_notebook_loss(student):
    got, call = _loss(student, inputs.YHAT, inputs.Y, inputs.LOSS)
    _check(got, inputs.LOSS, call, tol.KNOWN_VALUES_RTOL, tol.KNOWN_VALUES_ATOL, inputs.Y.size)


@pytest.mark.points(4)
@whole_cases
@given(case=inputs.net_cases())
def test_matches_reference(student, reference, report, case):
    g = inputs.rng(case.seed + 1)
    z = g.uniform(-3, 3, (case.V, 1))
    yhat = np.exp(z) / np.exp(z).sum()
    y = case.arrays()["y"]
    expected = float(reference.cross_entropy_loss(yhat.copy(), y.copy()))
    got, call = _loss(student, yhat, y, expected)

    def guarded() -> bool:
        if got < expected and _log_guarded(student, yhat, y, got):
            report.flag(HINTS["loss_log_guarded"], if_passes=True)
            return True
        return False
    # A log's value carries the relative rounding of its argument as an absolute one: a loss of
    # 0.0055 from -log(0.9945) in float32 is off by 3e-8, 5e-6 of itself.
    _check(got, expected, call, tol.REFERENCE_RTOL, tol.reference_atol(expected, 1.0), y.size,
           guarded)


@pytest.mark.points(1)
@whole_cases
@given(case=inputs.net_cases())
def test_positive(student, case):
    """-log of a probability below 1 is positive."""
    g = inputs.rng(case.seed + 2)
    z = g.uniform(-3, 3, (case.V, 1))
    yhat = np.exp(z) / np.exp(z).sum()
    got, call = _loss(student, yhat, case.arrays()["y"])
    if not got > 0:
        fail_call(f"the loss is {got!r}; the cross-entropy of a one-hot target is -log(yhat of the "
                  "target) > 0.", call, hint=HINTS["cross_entropy_sign"] if got < 0 else None)
