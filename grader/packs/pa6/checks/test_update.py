"""Checks of update(params, grads, lr) -> new params: one step of gradient descent,
{k: params[k] - lr * grads[k] for k in params}, as a new dict of new arrays (the caller's params
unchanged: this pack's choice, so that a caller may keep the parameters of the step before)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader import tolerances as tol
from grader.checks_api import call_text, fail_call, show, whole_cases
from grader.packs.pa6 import inputs
from grader.packs.pa6.common import blocks
from grader.packs.pa6.hints import HINTS

pytestmark = pytest.mark.function("update")
BLOCKS = inputs.BLOCKS


def _grads(case):
    g = inputs.rng(case.seed + 7)
    return {b: g.standard_normal(shape) for b, shape in
            ((b, v.shape) for b, v in inputs.params_of(case.arrays()).items())}


def _step(student, params, grads, lr):
    call = call_text("update", params, grads, lr)
    args = ({b: v.copy() for b, v in params.items()}, {b: v.copy() for b, v in grads.items()}, lr)
    result = student.call(*args, echo_args=True)
    got = blocks(result.value, call, {b: v.shape for b, v in params.items()}, "the new params")
    return got, call, result.args_after


def _judge(got, params, grads, lr, call, rtol, atol):
    expected = {b: params[b] - lr * grads[b] for b in BLOCKS}
    wrong = [b for b in BLOCKS if not np.allclose(got[b], expected[b], rtol=rtol, atol=atol)]
    if not wrong:
        return
    hint = None
    if all(np.allclose(got[b], params[b] + lr * grads[b], rtol=rtol, atol=atol) for b in wrong):
        hint = HINTS["update_ascends"]
    elif all(np.allclose(got[b], params[b] - grads[b], rtol=rtol, atol=atol)
             or np.allclose(got[b], params[b], rtol=rtol, atol=atol) for b in wrong):
        hint = HINTS["lr_not_everywhere"]
    fail_call(f"wrong new {', '.join(wrong)} (lr = {lr!r}).", call, returned=got[wrong[0]],
              expected=expected[wrong[0]], hint=hint, evidence={"wrong_blocks": wrong})


def _atol(params, grads, lr) -> float:
    """SCALE_RTOL of the largest parameter or step, as the CBOW pack's step: parameters kept in
    float32 are the right step rounded to about 6e-8 of the parameter, an entry near 0 included,
    which REFERENCE_ATOL failed on some draws only (IDENTITY_ATOL on the small step always). A
    step of the wrong size or sign is off by far more. lr = 0 leaving the parameters exactly as
    they were is an identity, still checked at IDENTITY_ATOL (test_zero_step_changes_nothing)."""
    return tol.reference_atol(*params.values(), *(lr * np.asarray(g) for g in grads.values()))


SMALL_PARAMS = inputs.params_of(inputs.SMALL)


@pytest.mark.points(2)
@pytest.mark.published  # the small network's parameters, minus 0.5 times their pinned gradient
def test_small_step(student):
    got, call, _ = _step(student, SMALL_PARAMS, inputs.SMALL_GRAD, inputs.SMALL_LR)
    _judge(got, SMALL_PARAMS, inputs.SMALL_GRAD, inputs.SMALL_LR, call, tol.REFERENCE_RTOL,
           _atol(SMALL_PARAMS, inputs.SMALL_GRAD, inputs.SMALL_LR))


@pytest.mark.points(3)
@whole_cases
@given(case=inputs.net_cases(), lr=st.sampled_from([0.01, 0.1, 0.5, 2.0]))
def test_matches_reference(student, reference, case, lr):
    params, grads = inputs.params_of(case.arrays()), _grads(case)
    got, call, _ = _step(student, params, grads, lr)
    ref = reference.update({b: v.copy() for b, v in params.items()},
                           {b: v.copy() for b, v in grads.items()}, lr)
    atol = _atol(params, grads, lr)
    if any(not np.allclose(got[b], np.asarray(ref[b]), rtol=tol.REFERENCE_RTOL, atol=atol)
           for b in BLOCKS):
        _judge(got, params, grads, lr, call, tol.REFERENCE_RTOL, atol)


@pytest.mark.points(2)
@pytest.mark.robustness
def test_params_unchanged(student):
    """The caller's params and grads come back as they were: update returns new arrays."""
    got, call, after = _step(student, SMALL_PARAMS, inputs.SMALL_GRAD, inputs.SMALL_LR)
    for name, before, now in zip(("params", "grads"), (SMALL_PARAMS, inputs.SMALL_GRAD), after):
        # A block taken out (grads.clear()) is changed too: reading it raised KeyError, the
        # grader's failure instead of the student's (probe s55).
        changed = [b for b in BLOCKS if b not in now or not np.array_equal(before[b], now[b])]
        if changed:
            after = show(now[changed[0]]) if changed[0] in now else "(no longer there)"
            fail_call(f"update changed the caller's {name} in place: {', '.join(changed)}.", call,
                      detail=f"{changed[0]} before: {show(before[changed[0]])}\n  after:  "
                             f"{after}",
                      hint=HINTS["update_mutates_params"], evidence={"changed": changed})


@pytest.mark.points(1)
@whole_cases
@given(case=inputs.net_cases())
def test_zero_step_changes_nothing(student, case):
    params = inputs.params_of(case.arrays())
    got, call, _ = _step(student, params, {b: np.ones_like(v) for b, v in params.items()}, 0.0)
    if any(not np.allclose(got[b], params[b], rtol=0, atol=tol.IDENTITY_ATOL) for b in BLOCKS):
        fail_call("with lr = 0 the parameters must come back unchanged.", call)
