"""Checks of cost(T, Y): the log-likelihood sum(T log Y) of the blog, or the cross-entropy (its
negative), summed or averaged over the examples; the derivatives must follow the same choice."""
import numpy as np
import pytest
from hypothesis import given

from grader import conventions
from grader import tolerances as tol
from grader.checks_api import as_scalar, call_text, fail_call, whole_cases
from grader.packs.onelayer import inputs
from grader.packs.onelayer.common import (PARTS, canonical, check_arguments_unchanged, copies,
                                          describe_convention, detect, fail_mix,
                                          submission_convention, survey)
from grader.packs.onelayer.hints import HINTS

pytestmark = pytest.mark.function("cost")


def _cost(student, T, Y):
    call = call_text("cost", T, Y)
    return as_scalar(student(*copies((T, Y))), call), call


def _wrong(got, T, Y, n, call, expected_text, evidence=None):
    """A cost under no convention: named when it is sum(T * Y) under one."""
    without_log = float(-np.sum(T * Y))
    hint = HINTS["cost_without_log"] if detect(got, without_log, n) is not None else None
    fail_call("wrong cost: it is neither the log-likelihood sum(T log Y) nor the cross-entropy "
              "-sum(T log Y), summed or averaged over the examples.", call, returned=repr(got),
              expected=expected_text, hint=hint, evidence=evidence)


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
        _wrong(got, T, Y, n, call, _choices(J, n))


@pytest.mark.points(6)
@pytest.mark.uses(*PARTS)
def test_values(student, reference, report):
    """The fixed cases against the reference, under the convention most of the submission's parts
    follow; the convention found is reported."""
    for case in inputs.VALUE_CASES:
        a = case.arrays()
        f = inputs.forward(a)
        n = case.N
        got, call = _cost(student, a["T"], f["Y"])
        J = float(canonical(reference, "cost", a, f, n))
        own = detect(got, J, n)
        found = survey(student, reference, a, f, n, {"cost": own})
        agreed = submission_convention(found, n)
        if own is None:
            _wrong(got, a["T"], f["Y"], n, call, _choices(J, n),
                   {"parts": {p: describe_convention(c) for p, c in found.items()}})
        if own.factor(n) != agreed.factor(n):
            fail_mix("cost", own, agreed, found, n, call, repr(got), repr(agreed.of(J, n)))
    report.note(f"cost: your cost and derivatives follow {agreed} (the log-likelihood climbed by "
                "ascent and the cross-entropy by descent, summed or averaged over the examples, "
                "are all accepted when followed throughout).", if_passes=True)


@pytest.mark.points(2)  # 3 until arguments_unchanged took one: the cost's 12 points stay 12 weights
@whole_cases
@given(case=inputs.net_cases())
def test_drawn_cases(student, reference, case):
    """Any size of network: the cost under one of the four conventions."""
    a = case.arrays()
    f = inputs.forward(a)
    got, call = _cost(student, a["T"], f["Y"])
    J = float(canonical(reference, "cost", a, f, case.N))
    if detect(got, J, case.N) is None:
        _wrong(got, a["T"], f["Y"], case.N, call, _choices(J, case.N))


@pytest.mark.points(1)
@pytest.mark.robustness
def test_arguments_unchanged(student):
    """The arrays passed in are as they were after the call (common.check_arguments_unchanged)."""
    check_arguments_unchanged(student, "cost")
