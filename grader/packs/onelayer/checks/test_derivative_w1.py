"""Checks of derivative_w1: the derivative for W1, under the convention the submission follows
(grader/packs/onelayer/common.py), and against central differences of the submission's own cost."""
import pytest
from hypothesis import given

from grader.checks_api import call_text, whole_cases
from grader.packs.onelayer import inputs
from grader.packs.onelayer.common import (PARTS, arguments, check_arguments_unchanged,
                                           derivative, judge_derivative)
from grader.packs.onelayer.gradcheck import check_against_own_cost

NAME = "derivative_w1"
pytestmark = [pytest.mark.function("derivative_w1"), pytest.mark.uses(*PARTS)]


@pytest.mark.points(9)
def test_values(student, reference):
    """The fixed cases (M != K but for one), each compared with the reference under the
    convention most of the submission's cost and derivatives follow."""
    for case in (inputs.SAME_SIZE_CASE, *inputs.VALUE_CASES):
        judge_derivative(student, reference, NAME, case)


@pytest.mark.points(5)
def test_derivative_of_your_cost(student, maybe_reference, report):
    """Central differences of the submission's own cost, block by block; the reference, when it
    is here, only tells which convention the rest of the submission follows."""
    check_against_own_cost(student, NAME, maybe_reference, report)


@pytest.mark.exact_shapes
@pytest.mark.points(1)
@whole_cases
@given(case=inputs.net_cases())
def test_shape(student, case):
    """Any size of network: an array of W1's shape."""
    a = case.arrays()
    f = inputs.forward(a)
    derivative(student, NAME, a, f, call_text(NAME, *arguments(NAME, a, f)))


@pytest.mark.points(1)
@pytest.mark.robustness
def test_arguments_unchanged(student):
    """The arrays passed in are as they were after the call (common.check_arguments_unchanged)."""
    check_arguments_unchanged(student, NAME)
