"""The training-loop check: a few steps of training with the submission's own functions, compared
with the same steps taken with the reference's.

Per-function checks cannot see how functions are put together: an update with the wrong sign, a
learning rate applied to a gradient of the other scale, a parameter passed in another's place (the
blog's `forward(X, W1, b1, W2, b1)`, unnoticed while both layers have 3 units). A pack's check
runs both loops on a fixed small problem (the student's functions through the worker, the
reference's in the grader, the reference's loop under the convention the student follows), records
the parameters and the objective (measured by the reference, so the student's own cost cannot
vouch for itself) before each step and after the last, and hands both records to
`check_trajectory`, which decides and explains.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from grader.checks_api import Text, fail_call, show
from grader.conventions import Convention, describe_factor, factor_between
from grader.hints import Mistake

# What a pack's catalogue may give for each diagnosis; any it leaves out is reported without a
# named mistake.
# A step within this of the reference's is right but rounded (float32 on the way), not wrong: a
# misplaced argument or a convention's factor moves a parameter by far more.
ROUNDING_RTOL = 1e-4
DIAGNOSES = ("update_wrong_sign", "update_scaled_by_batch", "parameter_not_updated",
             "objective_not_improved", "trajectory_diverges")


@dataclass
class Trajectory:
    """Parameters and objective before each step and after the last (steps + 1 entries)."""
    params: list[dict[str, np.ndarray]] = field(default_factory=list)
    objective: list[float] = field(default_factory=list)

    def record(self, params: Mapping[str, np.ndarray], objective: float) -> None:
        self.params.append({k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()})
        self.objective.append(float(objective))


def check_trajectory(student: Trajectory, reference: Trajectory, *, call: Text, maximise: bool,
                     n: int, rtol: float, atol: float,
                     hints: Mapping[str, Mistake] | None = None) -> None:
    """Fail unless the student's steps follow the reference's and improve the objective.

    `maximise` says which way the objective improves (a log-likelihood climbs, a cross-entropy
    falls); `n` is the batch size, for naming a step scaled by it."""
    hints = dict(hints or {})
    steps = len(reference.params) - 1
    if len(student.params) != len(reference.params):
        raise ValueError("the two trajectories have different lengths")
    if not _improves(reference.objective, maximise):
        # A pack's problem that correct functions cannot improve would fail every student.
        raise ValueError("the reference's own training does not improve its objective: choose "
                         "another problem or learning rate for this pack's training check")
    for k in range(steps):
        for name, ref_after in reference.params[k + 1].items():
            got_after = student.params[k + 1][name]
            if got_after.shape == ref_after.shape and np.allclose(got_after, ref_after, rtol=rtol,
                                                                  atol=atol):
                continue
            _fail_at(student, reference, k, name, call=call, n=n, rtol=rtol, atol=atol,
                     maximise=maximise, hints=hints)
    first, last = student.objective[0], student.objective[-1]
    if not _improves(student.objective, maximise):
        fail_call(f"{steps} training steps did not improve the objective: it went from {first!r} "
                  f"to {last!r}, where it should {'rise' if maximise else 'fall'}.", call,
                  returned=f"objective after each step: {show(np.asarray(student.objective))}",
                  expected=f"objective after each step: {show(np.asarray(reference.objective))}",
                  hint=hints.get("objective_not_improved"),
                  evidence={"training": _evidence(student, reference, None, None)})


def _improves(objective: Sequence[float], maximise: bool) -> bool:
    first, last = objective[0], objective[-1]
    return last > first if maximise else last < first


def _fail_at(student: Trajectory, reference: Trajectory, k: int, name: str, *, call: Text, n: int,
             rtol: float, atol: float, maximise: bool, hints: Mapping[str, Mistake]) -> None:
    before = student.params[k][name]
    moved = student.params[k + 1][name] - before
    should = reference.params[k + 1][name] - reference.params[k][name]
    diagnosis, finding = "trajectory_diverges", ""
    if moved.shape != should.shape:
        finding = (f"{name} changed shape from {reference.params[k][name].shape} to "
                   f"{student.params[k + 1][name].shape}.")
    elif not np.any(moved) and np.any(should):
        diagnosis, finding = "parameter_not_updated", f"{name} did not change in step {k + 1}."
    elif np.allclose(student.params[k + 1][name], reference.params[k + 1][name],
                     rtol=ROUNDING_RTOL, atol=atol):
        # Not one of DIAGNOSES: no catalogue hint (those point at arguments and conventions).
        diagnosis = "rounding"
        finding = (f"{name} after the step agrees with the reference's to about "
                   f"{_digits(student.params[k + 1][name], reference.params[k + 1][name])} "
                   "significant digits, where float64 keeps 15: the step is right, and its "
                   "values were rounded on the way (a function that computes or returns "
                   "float32 keeps about 7).")
    else:
        f = factor_between(moved, should, n, rtol=max(rtol, 1e-6), atol=atol)
        if f is not None and f < 0:
            diagnosis = "update_wrong_sign"
            finding = (f"{name} moved {describe_factor(f, n)} the right step: the update goes "
                       f"{'down' if maximise else 'up'} the objective's slope instead of "
                       f"{'up' if maximise else 'down'}.")
        elif f is not None and f != 1.0:
            diagnosis = "update_scaled_by_batch"
            finding = (f"{name} moved {describe_factor(f, n)} the right step, with a batch of "
                       f"n = {n}: the learning rate is applied to a gradient of the other scale "
                       "(summed where the loop expects averaged, or the reverse).")
        else:
            finding = (f"{name} moved differently from the reference's step, though it started "
                       "from the same parameters: look at what this step passes where.")
    fail_call(f"training goes wrong in step {k + 1} of {len(reference.params) - 1}: {name} after "
              "the step is not what the same step with correct functions gives.", call,
              returned=student.params[k + 1][name], expected=reference.params[k + 1][name],
              detail=finding, hint=hints.get(diagnosis),
              evidence={"training": _evidence(student, reference, k, name),
                        "diagnosis": diagnosis})


def _digits(got: np.ndarray, expected: np.ndarray) -> int:
    """How many significant digits `got` shares with `expected` at worst (at most 15)."""
    scale = np.maximum(np.abs(expected), np.finfo(np.float64).tiny)
    worst = float(np.max(np.abs(got - expected) / scale)) if got.size else 0.0
    return 15 if worst <= 1e-15 else max(0, min(15, int(np.floor(-np.log10(worst)))))


def _evidence(student: Trajectory, reference: Trajectory, k: int | None, name: str | None) -> dict:
    return {"objective": [float(v) for v in student.objective],
            "reference_objective": [float(v) for v in reference.objective],
            "first_wrong_step": None if k is None else k + 1, "parameter": name}


def nearest_convention(moved: Mapping[str, np.ndarray],
                       along: Mapping[Convention, Mapping[str, np.ndarray]], n: int,
                       default: Convention) -> Convention:
    """For a step that follows no convention: the one it is a single sign or batch-size factor away
    from in every block (so that check_trajectory can say by what factor), else `default`.
    `along[c]` is how far correct functions move each block under convention c."""
    for convention, right in along.items():
        factors = {factor_between(moved[b], right[b], n, rtol=1e-6, atol=1e-12) for b in moved}
        if None not in factors and len(factors) == 1:
            return convention
    return default


def run(step, params: Mapping[str, np.ndarray], steps: int, objective) -> Trajectory:
    """Apply `step(params) -> params` `steps` times from `params`, recording `objective(params)`
    before each step and after the last. Either loop (student's or reference's) is run with it."""
    trajectory = Trajectory()
    current = {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
    trajectory.record(current, objective(current))
    for _ in range(steps):
        current = step(current)
        trajectory.record(current, objective(current))
    return trajectory


__all__: Sequence[str] = ("DIAGNOSES", "Trajectory", "check_trajectory", "nearest_convention", "run")
