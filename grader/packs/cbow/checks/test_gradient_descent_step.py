"""Checks of gradient_descent_step(W1, W2, b1, b2, grad_W1, grad_W2, grad_b1, grad_b2, alpha)
-> (W1, W2, b1, b2), each parameter minus alpha times its gradient."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader import tolerances as tol
from grader.checks_api import call_text, fail_call, rounding_only, whole_cases
from grader.packs.cbow import inputs
from grader.packs.cbow.common import arrays
from grader.packs.cbow.hints import HINTS

pytestmark = pytest.mark.function("gradient_descent_step")
NAMES = ("W1", "W2", "b1", "b2")


def _step(student, params, grads, alpha, report=None):
    args = tuple(params[n].copy() for n in NAMES) + tuple(grads[n].copy() for n in NAMES) + (alpha,)
    call = call_text("gradient_descent_step", *args)
    result = student.call(*args, echo_args=True)
    got = arrays(result.value, call, {n: params[n].shape for n in NAMES}, "of updated parameters")
    if report is not None and any(not np.array_equal(a, b) for a, b in zip(args, result.args_after)):
        report.flag(HINTS["descent_mutates_input"])
    return got, call


def _judge(got, params, grads, alpha, call, rtol, atol):
    expected = {n: params[n] - alpha * grads[n] for n in NAMES}
    wrong = [n for n in NAMES if not np.allclose(got[n], expected[n], rtol=rtol, atol=atol)]
    if not wrong:
        return
    hint = None
    if all(np.allclose(got[n], params[n] + alpha * grads[n], rtol=rtol, atol=atol) for n in wrong):
        hint = HINTS["descent_ascends"]
    elif all(np.allclose(got[n], params[n] - grads[n], rtol=rtol, atol=atol)
             or np.allclose(got[n], params[n], rtol=rtol, atol=atol) for n in wrong):
        hint = HINTS["alpha_not_everywhere"]
    elif _fixed_step(got, params, grads, alpha, rtol, atol) is not None:
        hint = HINTS["alpha_not_the_argument"]
    fail_call(f"wrong updated {', '.join(wrong)} (alpha = {alpha!r}).", call,
              returned=got[wrong[0]], expected=expected[wrong[0]], hint=hint,
              evidence={"wrong_blocks": wrong})


def _fixed_step(got, params, grads, alpha, rtol, atol) -> float | None:
    """The one step size a != alpha with got == params - a * grads for every parameter (a global
    alpha read instead of the argument), or None."""
    g = np.concatenate([grads[n].ravel() for n in NAMES])
    moved = np.concatenate([(params[n] - got[n]).ravel() for n in NAMES])
    if not np.any(g):
        return None
    a = float(np.dot(moved, g) / np.dot(g, g))
    if np.isclose(a, alpha, rtol=rtol, atol=atol) or not all(
            np.allclose(got[n], params[n] - a * grads[n], rtol=rtol, atol=atol) for n in NAMES):
        return None
    return a


NOTEBOOK = {"W1": inputs.W1, "W2": inputs.W2, "b1": inputs.B1, "b2": inputs.B2}
NOTEBOOK_GRADS = {"W1": inputs.GRAD_W1, "W2": inputs.GRAD_W2, "b1": inputs.GRAD_B1,
                  "b2": inputs.GRAD_B2}


@pytest.mark.points(4)
@pytest.mark.published  # the notebook's step with alpha = 0.03: W1_new, W2_new, b1_new, b2_new
def test_notebook_step(student, report):
    got, call = _step(student, NOTEBOOK, NOTEBOOK_GRADS, inputs.ALPHA, report)
    published = {"W1": inputs.W1_NEW, "W2": inputs.W2_NEW, "b1": inputs.B1_NEW, "b2": inputs.B2_NEW}
    wrong = [n for n in NAMES if not np.allclose(got[n], published[n], rtol=tol.KNOWN_VALUES_RTOL,
                                                 atol=tol.KNOWN_VALUES_ATOL)]
    if wrong:
        _judge(got, NOTEBOOK, NOTEBOOK_GRADS, inputs.ALPHA, call, tol.KNOWN_VALUES_RTOL,
               tol.KNOWN_VALUES_ATOL)


@pytest.mark.points(5)
@whole_cases
@given(case=inputs.net_cases(), alpha=st.sampled_from([0.03, 0.1, 0.5, 1.0]))
def test_matches_reference(student, reference, case, alpha):
    a = case.arrays()
    params = {n: a[n] for n in NAMES}
    g = inputs.rng(case.seed + 3)
    grads = {n: g.standard_normal(params[n].shape) for n in NAMES}
    got, call = _step(student, params, grads, alpha)
    ref = reference.gradient_descent_step(*(params[n].copy() for n in NAMES),
                                          *(grads[n].copy() for n in NAMES), alpha)
    atol = tol.reference_atol(*params.values(), *(alpha * g for g in grads.values()))
    for n, value in zip(NAMES, ref):
        if not np.allclose(got[n], np.asarray(value), rtol=tol.REFERENCE_RTOL, atol=atol):
            _judge(got, params, grads, alpha, call, tol.REFERENCE_RTOL, atol)


@pytest.mark.points(1)
@whole_cases
@given(case=inputs.net_cases())
def test_zero_step_changes_nothing(student, case):
    a = case.arrays()
    params = {n: a[n] for n in NAMES}
    grads = {n: np.ones_like(params[n]) for n in NAMES}
    got, call = _step(student, params, grads, 0.0)
    if any(not np.allclose(got[n], params[n], rtol=0, atol=tol.IDENTITY_ATOL) for n in NAMES):
        flat = (np.concatenate([np.ravel(got[n]) for n in NAMES]),
                np.concatenate([np.ravel(params[n]) for n in NAMES]))
        rounding = rounding_only(*flat)
        if rounding:  # returned rounded, not moved: no other alpha to blame
            fail_call("with alpha = 0 the parameters must come back unchanged." + rounding, call)
        fixed = _fixed_step(got, params, grads, 0.0, tol.REFERENCE_RTOL, tol.REFERENCE_ATOL)
        fail_call("with alpha = 0 the parameters must come back unchanged"
                  + (f"; yours moved by {fixed:g} times the gradient." if fixed is not None else "."),
                  call, hint=None if fixed is None else HINTS[
                      "alpha_not_everywhere" if np.isclose(fixed, 1.0) else "alpha_not_the_argument"])
