"""Checks of cross_entropy_loss(yhat, y) -> float: -sum(y * log(yhat)) / B, the slides' loss
averaged over the B examples (rows); y is one-hot, of yhat's shape (B, K)."""
import numpy as np
import pytest
from hypothesis import given

from grader import tolerances as tol
from grader.checks_api import as_scalar, call_text, fail_call, whole_cases
from grader.packs.pa6 import inputs
from grader.packs.pa6.hints import HINTS

pytestmark = pytest.mark.function("cross_entropy_loss")


def _loss(student, yhat, y):
    call = call_text("cross_entropy_loss", yhat, y)
    return as_scalar(student(yhat.copy(), y.copy()), call, "the loss"), call


def _judge(got, expected, yhat, call, rtol, atol):
    if np.isclose(got, expected, rtol=rtol, atol=atol):
        return
    B, K = yhat.shape
    hint = None
    for factor, mistake in ((B, "loss_summed"), (1 / K, "loss_mean_over_entries"),
                            (-1, "loss_wrong_sign"), (-B, "loss_wrong_sign")):
        if np.isclose(got, factor * expected, rtol=rtol, atol=atol):
            hint = HINTS[mistake]
            break
    fail_call(f"wrong loss for B = {B} examples of K = {K} classes.", call, returned=repr(got),
              expected=f"{expected!r} (the cross-entropy averaged over the {B} rows)", hint=hint)


@pytest.mark.points(3)
@pytest.mark.published  # the loss of the pack's small network
def test_small_network(student, report):
    yhat, y = inputs.SMALL_YHAT, inputs.SMALL["y"]
    result = student.call(yhat.copy(), y.copy(), echo_args=True)
    for before, after in zip((yhat, y), result.args_after):
        if not np.array_equal(before, after):
            report.flag(HINTS["loss_changes_its_input"], {"argument_before": before,
                                                    "argument_after": after})
    call = call_text("cross_entropy_loss", yhat, y)
    got = as_scalar(result.value, call, "the loss")
    _judge(got, inputs.SMALL_LOSS, inputs.SMALL_YHAT, call, tol.KNOWN_VALUES_RTOL,
           tol.KNOWN_VALUES_ATOL)


@pytest.mark.points(4)
@whole_cases
@given(case=inputs.loss_cases())
def test_matches_reference(student, reference, case):
    yhat, y = case.arrays()
    got, call = _loss(student, yhat, y)
    _judge(got, float(reference.cross_entropy_loss(yhat.copy(), y.copy())), yhat, call,
           tol.REFERENCE_RTOL, tol.REFERENCE_ATOL)


@pytest.mark.points(3)
@whole_cases
@given(case=inputs.loss_cases())
def test_batch_loss_is_the_mean_of_its_rows(student, case):
    """The loss of B rows is the mean of the B one-row losses (asked in one round trip)."""
    yhat, y = case.arrays()
    got, call = _loss(student, yhat, y)
    singles = [as_scalar(r.value, call_text("cross_entropy_loss", yhat[b:b + 1], y[b:b + 1]),
                         f"the loss of row {b} alone")
               for b, r in enumerate(student.many([(yhat[b:b + 1].copy(), y[b:b + 1].copy())
                                                   for b in range(case.B)]))]
    mean = float(np.mean(singles))
    if not np.isclose(got, mean, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL):
        hint = HINTS["loss_summed"] if np.isclose(got, sum(singles), rtol=tol.REFERENCE_RTOL) \
            else None
        fail_call(f"the loss of the batch is not the mean of its {case.B} rows' losses.", call,
                  returned=repr(got), expected=f"{mean!r} (the rows alone give {singles!r})",
                  hint=hint)
