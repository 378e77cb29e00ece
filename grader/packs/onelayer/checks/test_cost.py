"""Checks of cost(T, Y): the log-likelihood sum(T log Y) of the blog, or the cross-entropy (its
negative), summed or averaged over the examples; the derivatives must follow the same choice."""
import numpy as np
import pytest
from hypothesis import example, given

from grader import conventions, log_guards
from grader import tolerances as tol
from grader.checks_api import CheckFailure, as_scalar, call_text, fail_call, whole_cases
from grader.packs.onelayer import inputs
from grader.packs.onelayer.common import (PARTS, canonical, check_arguments_unchanged, copies,
                                          describe_convention, detect, fail_mix, reference_scale,
                                          submission_convention, survey)
from grader.packs.onelayer.hints import HINTS
from grader.proxy import StudentError

pytestmark = pytest.mark.function("cost")

# A constant against log(0), inside the log or as a clip of Y, is accepted up to GUARD_LIMIT (as
# the cs224n pack's forward_backward_prop does) and named up to GUARD_DIAGNOSED.
GUARD_LIMIT = 1e-6
GUARD_DIAGNOSED = 1e-2


def _cost(student, T, Y):
    call = call_text("cost", T, Y)
    return as_scalar(student(*copies((T, Y))), call), call


def _wrong(student, got, T, Y, n, call, expected_text, evidence=None):
    """A cost under no convention: named when it is sum(T * Y) under one, or the cross-entropy
    under a protection against log(0) with too large a constant."""
    without_log = float(-np.sum(T * Y))
    scale = tol.reference_atol(without_log, 1.0)
    hint = HINTS["cost_without_log"] if detect(got, without_log, n, scale) is not None else None
    guarded = None if hint else _guard(student, got, T, Y, n, limit=GUARD_DIAGNOSED)
    finding = ""
    if guarded is not None:
        eps = guarded[1]
        finding = (f"your cost is the cross-entropy (or its negative) with eps = {eps:.2g} "
                   "inside the log, "
                   f"log(Y + eps) (or Y clipped at eps): a guard against log(0) may be up to "
                   f"{GUARD_LIMIT:g}, and none is needed (the log of a softmax output is finite "
                   "unless it underflowed to 0). The smallest label probability here is "
                   f"{float(np.min(np.sum(T * Y, axis=1))):.1e}.")
        evidence = {**(evidence or {}), "guard_eps": eps}
    fail_call("wrong cost: it is neither the log-likelihood sum(T log Y) nor the cross-entropy "
              "-sum(T log Y), summed or averaged over the examples.", call, returned=repr(got),
              expected=expected_text, hint=hint, evidence=evidence, finding=finding)


def _guard(student, got, T, Y, n, limit=GUARD_LIMIT):
    """(convention, eps) of a cost that is the cross-entropy or log-likelihood, summed or
    averaged, under a protection against log(0) with a constant eps up to `limit`; None when it
    is not that. Read from the examples one at a time (one call each, asked by a failure only):
    each must be exactly the protected cost of its label's probability for one eps, and the
    cost of the whole batch their sum or mean. The derivatives take Y as given, so the guard
    changes the cost only. It shows where a label probability is below eps, or not far above:
    the confident case (inputs.NetCase.confident) holds such probabilities on every input set."""
    reference_costs = -np.log(np.sum(T * Y, axis=1))
    try:
        each = np.array([float(np.asarray(r.value, dtype=np.float64).reshape(()))
                         for r in student.many([(T[i:i + 1].copy(), Y[i:i + 1].copy())
                                                for i in range(T.shape[0])])])
    except (StudentError, CheckFailure, TypeError, ValueError):
        return None
    for sign in (1.0, -1.0):  # the cross-entropy, or the log-likelihood
        eps = log_guards.guard_eps(sign * each, reference_costs, limit)
        if eps is None:
            continue
        convention = conventions.detect(got, float(np.sum(sign * each)), n,
                                        among=conventions.ALL, rtol=1e-9, atol=1e-12)
        if convention is not None:
            return convention, eps
    return None


def _choices(J, n):
    return (f"{-J!r} (log-likelihood, summed), {-J / n!r} (averaged), {J!r} (cross-entropy, "
            f"summed) or {J / n!r} (averaged)")


@pytest.mark.points(3)
@pytest.mark.published  # the pack's own small example (grader/packs/onelayer/inputs.py)
def test_example(student):
    T, Y = inputs.EXAMPLE["T"], inputs.EXAMPLE_Y
    got, call = _cost(student, T, Y)
    J, n = -inputs.EXAMPLE_LOG_LIKELIHOOD, T.shape[0]
    if not any(np.isclose(got, c.of(J, n), rtol=tol.KNOWN_VALUES_RTOL, atol=tol.KNOWN_VALUES_ATOL)
               for c in conventions.ALL):
        _wrong(student, got, T, Y, n, call, _choices(J, n))


@pytest.mark.points(6)
@pytest.mark.uses(*PARTS)
def test_values(student, reference, report):
    """The fixed cases against the reference, under the convention most of the submission's parts
    follow; the convention found is reported."""
    for case in (*inputs.VALUE_CASES, inputs.CONFIDENT_CASE):
        a = case.arrays()
        f = inputs.forward(a)
        n = case.N
        got, call = _cost(student, a["T"], f["Y"])
        J = float(canonical(reference, "cost", a, f, n))
        own = _convention(student, report, got, J, a, f, n)
        found = survey(student, reference, a, f, n, {"cost": own})
        agreed = submission_convention(found, n)
        if own is None:
            _wrong(student, got, a["T"], f["Y"], n, call, _choices(J, n),
                   {"parts": {p: describe_convention(c) for p, c in found.items()}})
        if own.factor(n) != agreed.factor(n):
            fail_mix("cost", own, agreed, found, n, call, repr(got), repr(agreed.of(J, n)))
    report.note(f"cost: your cost and derivatives follow {agreed} (the log-likelihood climbed by "
                "ascent and the cross-entropy by descent, summed or averaged over the examples, "
                "are all accepted when followed throughout).", if_passes=True)


def _convention(student, report, got, J, a, f, n):
    """The convention the cost follows on a case: against the reference within 1e-6 of its terms
    (common.reference_scale: a float32 cost passes), or as the cross-entropy under a guard
    against log(0) up to GUARD_LIMIT (warning log_guarded); None when it follows none."""
    own = detect(got, J, n, reference_scale("cost", a, f))
    if own is None:
        guarded = _guard(student, got, a["T"], f["Y"], n)
        if guarded is not None:
            own = guarded[0]
            report.flag(HINTS["log_guarded"], {"guard_eps": guarded[1]}, if_passes=True)
    return own


@pytest.mark.points(2)  # 3 until arguments_unchanged took one: the cost's 12 points stay 12 weights
@whole_cases
@given(case=inputs.net_cases())
@example(case=inputs.CONFIDENT_CASE)
def test_drawn_cases(student, reference, report, case):
    """Any size of network: the cost under one of the four conventions (a guard against log(0)
    judged as by test_values, on the confident case on every input set)."""
    a = case.arrays()
    f = inputs.forward(a)
    got, call = _cost(student, a["T"], f["Y"])
    J = float(canonical(reference, "cost", a, f, case.N))
    if _convention(student, report, got, J, a, f, case.N) is None:
        _wrong(student, got, a["T"], f["Y"], case.N, call, _choices(J, case.N))


@pytest.mark.points(1)
@pytest.mark.robustness
def test_arguments_unchanged(student):
    """The arrays passed in are as they were after the call (common.check_arguments_unchanged)."""
    check_arguments_unchanged(student, "cost")
