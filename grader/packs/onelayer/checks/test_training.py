"""The training check: five steps of training built from the submission's own forward and four
derivatives, on a fixed problem with 4 hidden units and 3 classes, against the same steps built
from the reference's (grader/training.py).

The step follows the submission's convention (grader/packs/onelayer/common.py): ascent for a
log-likelihood, descent for a cross-entropy, and a learning rate scaled so that summed and
averaged derivatives move as far. The objective after each step is the log-likelihood, measured
by the grader, never by the submission's own cost. It catches what per-function checks cannot: a
derivative whose sign or scale is not its siblings' moves its parameter the wrong way, or N times
too far.
"""
import pytest

from grader import training
from grader import tolerances as tol
from grader.checks_api import as_array, describe_result, fail_call
from grader.packs.onelayer import inputs
from grader.packs.onelayer.common import (DERIVATIVES, REFERENCE_CONVENTION, copies,
                                          submission_convention, survey)
from grader.packs.onelayer.hints import HINTS

# The step passes what the submission's forward returned back into its derivatives: a recipe
# (grader/replay.py) must not hand one student's answers to another's code.
# The cost is asked only for the convention (the step never calls it): a submission without one
# still trains, in the convention its derivatives follow.
pytestmark = [pytest.mark.function("training"), pytest.mark.live, pytest.mark.uses("cost")]
DIAGNOSES = {"update_wrong_sign": HINTS["training_sign_mix"],
             "update_scaled_by_batch": HINTS["training_scale_mix"],
             "parameter_not_updated": HINTS["training_parameter_frozen"]}


def _stepper(functions, a, convention, n, call):
    """One step with `functions` (an object with forward and the derivatives): every derivative
    at the same point, then each parameter moved along its own."""
    rate = inputs.LEARNING_RATE / convention.step_scale(n)

    def step(params):
        value = functions.forward(*copies((a["X"], params["W1"], params["b1"], params["W2"],
                                           params["b2"])))
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            fail_call(f"forward returned {describe_result(value)}; the step needs the pair (Y, Z).",
                      call, returned=value)
        Y = as_array(value[0], call, a["T"].shape, "Y from your forward")
        Z = as_array(value[1], call, (n, params["W1"].shape[1]), "Z from your forward")
        args = {"derivative_w2": (Z, a["T"], Y), "derivative_b2": (a["T"], Y),
                "derivative_w1": (a["X"], Z, a["T"], Y, params["W2"]),
                "derivative_b1": (a["T"], Y, params["W2"], Z)}
        moved = {}
        for name, block in DERIVATIVES.items():
            grad = as_array(getattr(functions, name)(*copies(args[name])), call,
                            params[block].shape, f"{name} during training")
            # Descent on a cross-entropy (sign +1) subtracts, ascent on a log-likelihood adds.
            moved[block] = params[block] - convention.sign * rate * grad
        return moved
    return step


def _log_likelihood(a):
    def objective(params):
        return -inputs.cross_entropy(a["T"], inputs.forward({**a, **params})["Y"])
    return objective


class _Parts:
    """The submission's functions under the names the step calls."""

    def __init__(self, student):
        for name in ("forward", *DERIVATIVES):
            setattr(self, name, student.other(name))


@pytest.mark.points(1)
def test_training_steps(student, reference):
    case = inputs.TRAINING_CASE
    a = case.arrays()
    n = case.N
    convention = submission_convention(survey(student, reference, a, inputs.forward(a), n), n) \
        or REFERENCE_CONVENTION
    call = (f"{inputs.TRAINING_STEPS} steps of gradient {convention.direction} with your forward "
            f"and derivatives, learning rate {inputs.LEARNING_RATE:g} (scaled for {convention}), "
            f"on a problem of {case}")
    params = {p: a[p] for p in inputs.PARAMETERS}
    objective = _log_likelihood(a)
    theirs = training.run(_stepper(_Parts(student), a, convention, n, call), params,
                          inputs.TRAINING_STEPS, objective)
    ours = training.run(_stepper(reference, a, REFERENCE_CONVENTION, n, "the reference's step"),
                        params, inputs.TRAINING_STEPS, objective)
    # 1e-6 (SCALE_RTOL) of the largest parameter or step (tol.reference_atol): float32 in forward
    # or in a derivative leaves about 1e-7 of them on the parameters, which the atol of 1e-9
    # failed on some draws only, so that the same float32 code lost these 18 points under some
    # input sets and kept them under others, told "the step is right" either way. A wrong step
    # is off by far more.
    atol = tol.reference_atol(*(p for step in ours.params for p in step.values()),
                              *(after[p] - before[p] for before, after in
                                zip(ours.params, ours.params[1:]) for p in after))
    training.check_trajectory(theirs, ours, call=call, maximise=True, n=n,
                              rtol=tol.REFERENCE_RTOL, atol=atol, hints=DIAGNOSES)
