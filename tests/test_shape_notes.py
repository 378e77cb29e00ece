"""A shape failure says what the shape is of the expected one: transposed, or with an axis of
length 1 more or fewer (grader/checks_api.py as_array)."""
from __future__ import annotations

import numpy as np
import pytest

from grader.checks_api import CheckFailure, as_array


def message(got_shape: tuple, expected: tuple) -> str:
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
