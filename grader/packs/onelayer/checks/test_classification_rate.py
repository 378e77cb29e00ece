"""Checks of classification_rate(Y, P): the fraction of examples whose prediction P equals the
label Y."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader import tolerances as tol
from grader.checks_api import as_scalar, call_text, fail_call
from grader.packs.onelayer import inputs
from grader.packs.onelayer.hints import HINTS

pytestmark = pytest.mark.function("classification_rate")

labels = st.integers(1, 8).flatmap(lambda n: st.tuples(
    hnp.arrays(np.int64, n, elements=st.integers(0, 3)),
    hnp.arrays(np.int64, n, elements=st.integers(0, 3))))


def _judge(student, Y, P, expected):
    call = call_text("classification_rate", Y, P)
    got = as_scalar(student(Y.copy(), P.copy()), call, "the rate")
    if np.isclose(got, expected, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL):
        return
    hint = None
    # With every prediction right, or every one wrong (a counterexample shrunk to one example),
    # any wrong answer is 1 - rate: only a rate strictly between tells.
    if 0.0 < expected < 1.0 and np.isclose(got, 1.0 - expected):
        hint = HINTS["rate_counts_errors"]
    elif np.isclose(got, expected * len(Y)):
        hint = HINTS["rate_is_a_count"]
    fail_call("wrong classification rate.", call, returned=repr(got), expected=repr(expected),
              hint=hint)


@pytest.mark.points(3)
@pytest.mark.published  # the pack's own examples (grader/packs/onelayer/inputs.py)
def test_examples(student):
    for Y, P, expected in inputs.RATE_EXAMPLES:
        _judge(student, Y, P, expected)


@pytest.mark.points(3)
@given(pair=labels)
def test_matches_reference(student, reference, pair):
    Y, P = pair
    _judge(student, Y, P, float(reference.classification_rate(Y.copy(), P.copy())))
