"""Checks of train_step(x, y, params, lr) -> new params: one step of minibatch gradient descent
with the submission's own functions, update(params, backward(x, y, W1, b1, W2, b2, U, b3), lr).

The training-loop check (grader/training.py) takes a few steps from a fixed start and compares
them with the reference's steps under the scale convention of the submission's own backward (the
gradient of the averaged loss, or PA6's summed gradient, B times longer at the same lr), and
watches the loss, measured by the grader, go down. A step of the other scale than its own
gradient's is a learning rate scaled by the batch size, though it matches a right step: an
averaged gradient stepped with lr * B moves as a summed one stepped with lr. Only when backward
follows neither scale (its own checks say why) is the step compared under the scale it follows
itself. It sees what the function checks cannot: an update of the wrong sign, a learning rate
scaled by the batch size, a parameter left out, or backward's arguments passed in the wrong
order."""
import numpy as np
import pytest

from grader import conventions, training
from grader import tolerances as tol
from grader.checks_api import fail_call, lazy_text, show
from grader.packs.pa6 import inputs
from grader.packs.pa6.common import SCALES, blocks, gradient_atol
from grader.packs.pa6.hints import HINTS
from grader.proxy import StudentError, StudentNotImplemented

# The step is judged under the scale of the submission's own backward, which the check asks.
pytestmark = [pytest.mark.function("train_step"), pytest.mark.uses("backward")]
BLOCKS = inputs.BLOCKS
DIAGNOSED = {d: HINTS[d] for d in training.DIAGNOSES}
# The slides' loss is averaged: a step that follows neither scale is compared with that one first.
AVERAGED_FIRST = (conventions.CROSS_ENTROPY_AVERAGED, conventions.CROSS_ENTROPY_SUMMED)


def _step(student, x, y, lr, shapes, call):
    def step(params):
        value = student(x.copy(), y.copy(), {b: v.copy() for b, v in params.items()}, lr)
        return blocks(value, call, shapes, "the new params")
    return step


def _reference_step(reference, x, y, lr):
    def step(params):
        new = reference.train_step(x.copy(), y.copy(), {b: v.copy() for b, v in params.items()}, lr)
        return {b: np.asarray(new[b], dtype=np.float64) for b in BLOCKS}
    return step


def _backward_convention(student, a, summed_gradient, n, rtol, atol):
    """The scale the submission's own backward follows at the arrays `a` (x, y and the blocks),
    or None when it follows neither, raises, or returns no dict of arrays of the blocks' shapes:
    its own checks say what is wrong with it."""
    try:
        got = student.other("backward")(a["x"].copy(), a["y"].copy(),
                                        *(a[b].copy() for b in BLOCKS))
    except (StudentError, StudentNotImplemented):
        return None
    if not isinstance(got, dict) or any(b not in got for b in BLOCKS):
        return None
    try:
        got = {b: np.asarray(got[b], dtype=np.float64) for b in BLOCKS}
    except (TypeError, ValueError):
        return None
    if any(got[b].shape != summed_gradient[b].shape for b in BLOCKS):
        return None
    found = conventions.detect_each(got, summed_gradient, n, among=SCALES, rtol=rtol, atol=atol)
    return conventions.common(found, n)


def _step_convention(student, a, summed_gradient, moved, summed_step, along, n, call, *, rtol,
                     atol):
    """The convention the submission's steps are held to: its backward's, else the one its first
    step follows (a mix between blocks fails here, by name), else the nearest."""
    return _backward_convention(student, a, summed_gradient, n, rtol, atol) \
        or _first_step_convention(moved, summed_step, n, call) \
        or training.nearest_convention(moved, along, n, default=conventions.CROSS_ENTROPY_AVERAGED)


def _first_step_convention(student_step, summed_step, n, call):
    """The scale convention of the submission's first step, from how far each block moved compared
    with a step along the summed gradient; a mix between blocks fails here, by name."""
    found = conventions.detect_each(student_step, summed_step, n, among=SCALES,
                                    rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL)
    convention = conventions.common(found, n)
    if convention is None and found and all(c is not None for c in found.values()):
        fail_call(f"the first step moves the blocks by different scales with B = {n} examples: "
                  f"{conventions.mix(found, n)}", call,
                  detail="Either scale is right, but every block must follow the same one (look at "
                         "backward's blocks).", hint=HINTS["gradient_scale_mix"],
                  evidence={"conventions": {b: c.as_json() for b, c in found.items()}})
    return convention


@pytest.mark.points(8)
def test_training_follows_the_reference(student, reference):
    case = inputs.train_case()  # the pack's own, or one drawn from the course secret
    a = case.arrays()
    n, lr, steps = case.B, inputs.TRAIN_LR, inputs.TRAIN_STEPS
    start = inputs.params_of(a)
    shapes = {b: v.shape for b, v in start.items()}
    call = lazy_text(lambda: f"params = train_step(x, y, params, lr={lr!r}), {steps} times, with "
                             f"x of shape {a['x'].shape}, y of shape {a['y'].shape} and params "
                             f"{', '.join(f'{b} {shapes[b]}' for b in BLOCKS)}  [{case}]")

    def objective(params):  # the slides' loss, averaged, computed by the grader
        return inputs.loss({**a, **params})

    # Both conventions' loops, always: a student's copy of the grader knows the reference's
    # answers to exactly these calls.
    ref = {c: training.run(_reference_step(reference, a["x"], a["y"], lr * n * c.step_scale(n)),
                           start, steps, objective) for c in SCALES}
    got = training.run(_step(student, a["x"], a["y"], lr, shapes, call), start, steps, objective)
    moved = {b: got.params[1][b] - start[b] for b in BLOCKS}
    along = {c: {b: ref[c].params[1][b] - start[b] for b in BLOCKS} for c in SCALES}
    summed_gradient = inputs.gradient(a)
    convention = _step_convention(student, a, summed_gradient, moved,
                                  along[conventions.CROSS_ENTROPY_SUMMED],
                                  {c: along[c] for c in AVERAGED_FIRST}, n, call,
                                  rtol=tol.REFERENCE_RTOL, atol=gradient_atol(summed_gradient))
    # SCALE_RTOL of the largest parameter on either trajectory, as update's own comparison:
    # parameters kept in float32 are the right steps rounded to about 6e-8 of a parameter.
    atol = tol.reference_atol(*(v for c in SCALES for p in ref[c].params for v in p.values()))
    training.check_trajectory(got, ref[convention], call=call, maximise=False, n=n,
                              rtol=tol.REFERENCE_RTOL, atol=atol, hints=DIAGNOSED)


@pytest.mark.points(2)
@pytest.mark.published  # the small network, one step of lr = 0.5 along its pinned gradient
def test_small_step(student):
    a = inputs.SMALL
    start = inputs.params_of(a)
    n, lr = a["x"].shape[0], inputs.SMALL_LR
    call = lazy_text(lambda: f"train_step(x, y, params, {lr!r}) on the small network: x = "
                             f"{show(a['x'])}, y = {show(a['y'])}")
    objective = lambda params: inputs.loss({**a, **params})  # noqa: E731
    got = training.run(_step(student, a["x"], a["y"], lr, {b: v.shape for b, v in start.items()},
                             call), start, 1, objective)
    moved = {b: got.params[1][b] - start[b] for b in BLOCKS}
    along = {c: {b: -lr * n * c.step_scale(n) * inputs.SMALL_GRAD[b] for b in BLOCKS}
             for c in SCALES}
    convention = _step_convention(student, a, {b: n * g for b, g in inputs.SMALL_GRAD.items()},
                                  moved, along[conventions.CROSS_ENTROPY_SUMMED],
                                  {c: along[c] for c in AVERAGED_FIRST}, n, call,
                                  rtol=tol.KNOWN_VALUES_RTOL, atol=tol.KNOWN_VALUES_ATOL)
    # One step along the pinned gradient, under the convention the submission's step is held to.
    scale = n * convention.step_scale(n)
    expected = training.run(lambda p: {b: p[b] - lr * scale * inputs.SMALL_GRAD[b] for b in BLOCKS},
                            start, 1, objective)
    training.check_trajectory(got, expected, call=call, maximise=False, n=n,
                              rtol=tol.KNOWN_VALUES_RTOL, atol=tol.KNOWN_VALUES_ATOL,
                              hints=DIAGNOSED)
