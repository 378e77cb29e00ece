"""Each derivative against central differences of the submission's own cost, for its one block
of parameters: the part of the gradient check a student can act on (W1, b1, W2 or b2).

The Y of each perturbed parameter comes from the grader's forward pass (a check of a derivative
must not lose points for a wrong `forward`); the cost is the student's, so that the derivative is
held to the convention that cost follows. A cost that follows no convention cannot vouch for
anything: the derivative is then compared with the cross-entropy's, under whichever convention it
follows (the cost's own checks say what is wrong with the cost).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from grader import conventions, numgrad
from grader import tolerances as tol
from grader.checks_api import call_text, fail_call, show
from grader.packs.onelayer import inputs
from grader.packs.onelayer.common import (DERIVATIVES, answer, arguments, derivative,
                                          submission_convention, survey)
from grader.packs.onelayer.hints import HINTS
from grader.proxy import StudentError


def _own_costs(student: Any, a: dict, f: dict, Ys: list[np.ndarray]
               ) -> tuple[list[float], conventions.Convention, set[str]] | None:
    """The student's cost at each perturbed Y, the convention it follows and the dtypes it
    answered in, when it follows one."""
    T = a["T"]
    at_case = answer(student, "cost", a, f)
    followed = None if at_case is None or at_case.size != 1 else conventions.detect(
        at_case.reshape(()), inputs.cross_entropy(T, f["Y"]), T.shape[0],
        rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL)
    if followed is None:
        return None
    try:
        results = student.other("cost").many([(T.copy(), Y) for Y in Ys])
        return ([float(np.asarray(r.value, dtype=np.float64).reshape(())) for r in results],
                followed, {str(np.asarray(r.value).dtype) for r in results})
    except (StudentError, TypeError, ValueError):
        return None


def check_against_own_cost(student: Any, name: str, reference: Any = None,
                           report: Any = None) -> None:
    block = DERIVATIVES[name]
    h = tol.GRADCHECK_STEP
    for case in inputs.GRADCHECK_CASES:
        a = case.arrays()
        f = inputs.forward(a)
        n = case.N
        call = call_text(name, *arguments(name, a, f))
        got = derivative(student, name, a, f, call)
        points = numgrad.perturbations(a[block], h)
        Ys = [inputs.forward({**a, block: p})["Y"] for p in points]
        own = _own_costs(student, a, f, Ys)
        costs = None if own is None else own[0]
        if own is None:
            numerical = numgrad.from_costs([inputs.cross_entropy(a["T"], Y) for Y in Ys],
                                           a[block].shape, h)
            if any(numgrad.relative_error(got, c.of(numerical, n)).max() <= tol.GRADCHECK_RTOL
                   for c in conventions.ALL):
                continue
            source = ("the cross-entropy (your cost cannot be used: it is missing, fails, or "
                      "follows no convention; cost's own checks say which)")
        else:
            numerical = numgrad.from_costs(costs, a[block].shape, h)
            source = "your cost"
            agreed = None if reference is None else submission_convention(
                survey(student, reference, a, f, n), n)
            if agreed is not None and agreed.factor(n) != own[1].factor(n):
                numerical = numerical * (agreed.factor(n) / own[1].factor(n))
                source = (f"your cost, rescaled from {own[1]} to {agreed}, which the rest of your "
                          "functions follow (cost's checks say more)")
            if numgrad.relative_error(got, numerical).max() <= tol.GRADCHECK_RTOL:
                continue
            if _cross_entropy_instead(got, name, a, Ys, own, agreed, n, report):
                continue
        error = float(numgrad.relative_error(got, numerical).max())
        factor = conventions.factor_between(got, numerical, n, rtol=1e-4, atol=1e-8)
        hint, finding = None, ""
        if costs is not None and factor is not None and factor != 1.0:
            finding = (f"\n  It is {conventions.describe_factor(factor, n)} the derivative of your "
                       f"cost, with N = {n} examples.")
            sign, scale = factor < 0, abs(factor) != 1.0
            hint = HINTS["sign_and_scale_mix" if sign and scale else
                         "sign_mix" if sign else "scale_mix"]
        fail_call(f"{name} is not the derivative of {source} for {block} (largest relative "
                  f"difference {error:.1e}, allowed {tol.GRADCHECK_RTOL:g}; central differences "
                  f"with h = {h:g}).", f"{call}  [{case}]", returned=got,
                  expected=f"central differences of {source}: {show(numerical)}",
                  detail=finding.strip(), hint=hint,
                  evidence={"case": str(case), "block": block, "compared_with": source,
                            "max_relative_error": error, "factor": factor})


def _cross_entropy_instead(got: np.ndarray, name: str, a: dict, Ys: list[np.ndarray],
                           own: tuple, agreed: Any, n: int, report: Any) -> bool:
    """Whether `got` is the derivative of the cross-entropy under the convention the submission
    follows, where the central differences of its own cost (which follows that convention at
    the case, within rounding) are not: a cost computed in float32, whose central differences
    with h = 1e-4 are noise of about 1e-7 of the cost / h, or guarded against log(0) (a constant
    of 1e-6 moves them by 1e-6 / Y). That is the cost's rounding, not the derivative's fault:
    a derivative exact in float64 lost all four of these checks beside a float32 cost, told it
    was "not the derivative of your cost". Said in a note."""
    convention = agreed or own[1]
    exact = [inputs.cross_entropy(a["T"], Y) for Y in Ys]
    numerical = convention.of(numgrad.from_costs(exact, a[DERIVATIVES[name]].shape,
                                                 tol.GRADCHECK_STEP), n)
    if numgrad.relative_error(got, numerical).max() > tol.GRADCHECK_RTOL:
        return False
    if report is not None:
        # One text for every derivative and case, so that the report says it once.
        narrow = sorted(d for d in own[2] if d.startswith("float") and d != "float64")
        report.note("derivatives: your cost is " + str(own[1]) + " computed less exactly than "
                    "float64 computes it"
                    + (f" (it returns {', '.join(narrow)})" if narrow else
                       " (rounded, as float32 does, or guarded against log(0))")
                    + f", so that its central differences (h = {tol.GRADCHECK_STEP:g}) are "
                    f"off by more than {tol.GRADCHECK_RTOL:g}: each derivative was checked "
                    "against central differences of the same cost computed by the grader in "
                    "float64, and it is that cost's derivative.", if_passes=True)
    return True
