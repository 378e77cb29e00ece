"""A case's arrays are drawn once per input set and handed out as copies (grader/packs/cs224n_a1/
inputs.py drawn_once): a warm grader must give every submission the same numbers, whatever a
check or an earlier grade did to the arrays it was given, and a secret's numbers, not the public
ones it drew first."""
from __future__ import annotations

import numpy as np

from grader.input_set import from_text, using
from grader.packs.cs224n_a1.inputs import NetCase, W2VCase, padded

CASES = (NetCase(3, 2, 3, 2, 7), NetCase(4, 3, 4, 3, 21, confident=True),
         W2VCase(6, 3, 3, 2, padded([2, 4, 2, 1, 5], 6, 2), 31))


def test_arrays_changed_by_a_caller_are_not_the_next_callers():
    for case in CASES:
        first = case.arrays()
        expected = [a.copy() for a in first]
        for array in first:
            array += 1.0  # a check that perturbs its inputs in place (central differences)
        again = case.arrays()
        assert all(np.array_equal(a, b) for a, b in zip(again, expected)), case
        assert all(a.flags.writeable for a in again)


def test_a_secret_draws_its_own_arrays_after_the_public_ones():
    secret = from_text("a course secret of some length")
    for case in CASES:
        public = case.arrays()
        with using(secret):
            hidden = case.arrays()
        with using(from_text("another course secret, as long")):
            other = case.arrays()
        assert not np.array_equal(public[0], hidden[0]), case
        assert not np.array_equal(hidden[0], other[0]), case
        with using(secret):
            assert all(np.array_equal(a, b) for a, b in zip(case.arrays(), hidden))
        assert all(np.array_equal(a, b) for a, b in zip(case.arrays(), public))
