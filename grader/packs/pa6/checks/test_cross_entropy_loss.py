"""Checks of cross_entropy_loss(yhat, y) -> float: -sum(y * log(yhat)) / B, the slides' loss
averaged over the B examples (rows); y is one-hot, of yhat's shape (B, K)."""
import numpy as np
import pytest
from hypothesis import example, given

from grader import log_guards
from grader import tolerances as tol
from grader.checks_api import CheckFailure, as_scalar, call_text, fail_call, whole_cases
from grader.packs.pa6 import inputs
from grader.packs.pa6.hints import HINTS
from grader.proxy import StudentError

pytestmark = pytest.mark.function("cross_entropy_loss")
# A protection against log(0) accepted as the cross-entropy (as cs224n's forward_backward_prop):
# a small constant inside the log, log(yhat + eps), or yhat clipped to [eps, 1] or, as Keras does,
# to [eps, 1 - eps], for any eps up to GUARD_LIMIT. Larger ones, up to GUARD_DIAGNOSED, are named.
GUARD_LIMIT = 1e-6
GUARD_DIAGNOSED = 1e-2


def _loss(student, yhat, y):
    call = call_text("cross_entropy_loss", yhat, y)
    return as_scalar(student(yhat.copy(), y.copy()), call, "the loss"), call


def _guard(student, got, yhat, y) -> float | None:
    """The eps (up to GUARD_DIAGNOSED) of a loss that is the cross-entropy, averaged over the
    rows, under a protection against log(0); None when it is not that. Read from the rows one at
    a time (one round trip, asked by a failure only): each must be exactly the protected loss of
    its labelled probability, and the batch's loss their mean."""
    try:
        own = np.array([as_scalar(r.value, call_text("cross_entropy_loss", yhat[b:b + 1],
                                                      y[b:b + 1]), f"the loss of row {b} alone")
                        for b, r in enumerate(student.many([(yhat[b:b + 1].copy(),
                                                             y[b:b + 1].copy())
                                                            for b in range(yhat.shape[0])]))])
    except (CheckFailure, StudentError):
        return None
    if not np.all(np.isfinite(own)) or not np.isclose(got, own.mean(), rtol=1e-9, atol=1e-12):
        return None
    with np.errstate(divide="ignore"):  # a probability of 0 costs inf: no guard reads there
        exact = -np.log(np.sum(yhat * y, axis=1))
    return log_guards.guard_eps(own, exact, GUARD_DIAGNOSED)


def _judge(got, expected, yhat, call, rtol, atol, guard=None):
    """`guard`, when given, is (student, y, report): a loss that differs only by a protection
    against log(0) up to GUARD_LIMIT passes (with a warning), a larger one is named."""
    if np.isclose(got, expected, rtol=rtol, atol=atol):
        return
    finding, facts = "", {}
    if guard is not None:
        student, y, report = guard
        eps = _guard(student, got, yhat, y)
        if eps is not None and eps <= GUARD_LIMIT * (1 + 1e-6):
            report.flag(HINTS["loss_log_guarded"], {"guard_eps": eps}, if_passes=True)
            return
        if eps is not None:
            finding = (f"your loss is the cross-entropy with eps = {eps:.2g} inside the log, "
                       f"log(yhat + eps) (or yhat clipped at eps): a guard against log(0) may be "
                       f"up to {GUARD_LIMIT:g}, and none is needed (the log of a softmax output "
                       "is finite unless it underflowed to 0). It shows where the labelled "
                       "class's probability is below eps, as for a network that is confidently "
                       "wrong.")
            facts = {"guard_eps": eps}
    B, K = yhat.shape
    hint = None
    for factor, mistake in ((B, "loss_summed"), (1 / K, "loss_mean_over_entries"),
                            (-1, "loss_wrong_sign"), (-B, "loss_wrong_sign")):
        if np.isclose(got, factor * expected, rtol=rtol, atol=atol):
            hint = HINTS[mistake]
            break
    fail_call(f"wrong loss for B = {B} examples of K = {K} classes.", call, returned=repr(got),
              expected=f"{expected!r} (the cross-entropy averaged over the {B} rows)", hint=hint,
              finding=finding, evidence=facts or None)


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
@example(case=inputs.CONFIDENT_LOSS)
def test_matches_reference(student, reference, report, case):
    yhat, y = case.arrays()
    got, call = _loss(student, yhat, y)
    expected = float(reference.cross_entropy_loss(yhat.copy(), y.copy()))
    # Besides, SCALE_RTOL of the loss or of 1 (an averaged loss's terms), as cs224n's cost: a
    # loss computed in float32 is off by about 1e-7 of it; a wrong formula by far more.
    _judge(got, expected, yhat, call, tol.REFERENCE_RTOL, tol.reference_atol(expected, 1.0),
           guard=(student, y, report))


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
    if not np.isclose(got, mean, rtol=tol.REFERENCE_RTOL, atol=tol.reference_atol(mean, 1.0)):
        hint = HINTS["loss_summed"] if np.isclose(got, sum(singles), rtol=tol.REFERENCE_RTOL) \
            else None
        fail_call(f"the loss of the batch is not the mean of its {case.B} rows' losses.", call,
                  returned=repr(got), expected=f"{mean!r} (the rows alone give {singles!r})",
                  hint=hint)
