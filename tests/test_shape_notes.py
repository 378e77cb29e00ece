"""A shape failure says what the shape is of the expected one: transposed, or with an axis of
length 1 more or fewer (grader/checks_api.py as_array)."""
from __future__ import annotations

import numpy as np
import pytest

from grader.checks_api import (CheckFailure, as_array, expect_close, forget_precision, judge_shapes,
                               low_precision_note)


def message(got_shape: tuple, expected: tuple) -> str:
    judge_shapes(exact=True)  # as in a check of the result's form, and outside any grade
    with pytest.raises(CheckFailure) as failure:
        as_array(np.zeros(got_shape), "f(x)", expected)
    return str(failure.value)


def test_a_vector_returned_as_a_row_is_named():
    said = message((1, 3), (3,))
    assert "has shape (1, 3); expected shape (3,). That is the expected shape with an extra axis " \
           "of length 1: .reshape(3,) (or .ravel()) gives the shape asked for." in said, said


def test_a_row_returned_flat_is_named():
    assert "without its axis of length 1: keep that axis" in message((4,), (1, 4))


def test_the_transpose_is_named_and_nothing_else_is_guessed():
    assert "That is the transpose" in message((4, 3), (3, 4))
    assert "That is" not in message((4, 2), (3, 4))


@pytest.fixture
def lenient():
    """A check of a function that has a check of its result's form, and is not that check."""
    judge_shapes(exact=False, charged_by="returns_cost_and_gradients")
    forget_precision()
    yield
    judge_shapes(exact=True)
    forget_precision()


def test_elsewhere_a_unit_axis_is_compared_in_the_shape_asked_and_noted(lenient):
    row = np.array([[1.0, 2.0, 3.0]])
    assert as_array(row, "f(x)", (3,)).shape == (3,)
    expect_close(np.array([[1.0], [2.0]]), np.array([1.0, 2.0]), call="f(x)", rtol=0, atol=0)
    note = low_precision_note()
    assert "the result had shape (1, 3), not (3,)" in note, note
    assert "(`returns_cost_and_gradients`) only" in note, note
    # the values are still judged, in the shape asked for
    with pytest.raises(CheckFailure, match="wrong values"):
        expect_close(np.array([[1.0, 2.5]]), np.array([1.0, 2.0]), call="f(x)", rtol=0, atol=1e-9)


def test_elsewhere_other_shapes_still_fail(lenient):
    for got, expected in (((4, 3), (3, 4)), ((3,), (4,)), ((2, 3), (6,)), ((2, 1), (1, 3))):
        with pytest.raises(CheckFailure, match="has shape"):
            as_array(np.zeros(got), "f(x)", expected)
    assert low_precision_note() == ""


def test_a_check_of_the_form_fails_a_unit_axis():
    judge_shapes(exact=True)
    with pytest.raises(CheckFailure, match="extra axis of length 1"):
        as_array(np.zeros((1, 3)), "f(x)", (3,))
    with pytest.raises(CheckFailure, match=r"has shape \(2, 1\)"):
        expect_close(np.zeros((2, 1)), np.zeros(2), call="f(x)", rtol=0, atol=0)


def test_a_packs_check_may_compare_plain_numbers():
    """A cost from as_scalar is a float: an outside pack's author passing it to expect_close got
    "'float' object has no attribute 'shape'", a grader failure on every submission, the
    reference's own included. Numbers compare as arrays do, and show as numbers."""
    expect_close(2.0, np.float64(2.0), call="cost(x)", rtol=1e-9, atol=0)
    with pytest.raises(CheckFailure) as failure:
        expect_close(1.5, 2.0, call="cost(x)", what="the cost", rtol=1e-9, atol=0)
    said = str(failure.value)
    assert said.startswith("wrong values in the cost: largest difference 0.5"), said
    assert "returned: 1.5" in said and "expected: 2.0" in said, said
    with pytest.raises(CheckFailure) as failure:
        expect_close(float("nan"), 2.0, call="cost(x)", rtol=1e-9, atol=0)
    assert "NaN where a number was expected" in str(failure.value)


def test_a_unit_axis_seen_again_is_noted_once(lenient):
    """Each hypothesis example of a check met the same 1-D grad_b2: the note said "grad_b2 had
    shape (3,), not (3, 1)" once per example (probe s60, m17)."""
    for rows in (2, 3, 3, 3, 3):  # a name made anew for each result, as the checks make it
        as_array(np.zeros(rows), "f(x)", (rows, 1), what="".join(["grad_", "b2"]))
    note = low_precision_note()
    assert note.count("grad_b2 had shape (3,), not (3, 1)") == 1, note
    assert "grad_b2 had shape (2,), not (2, 1); grad_b2 had shape (3,)" in note, note
