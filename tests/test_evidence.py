"""Evidence stays plain, bounded JSON whatever a check measured; a failure names a catalogue entry."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader import evidence
from grader.checks_api import CheckFailure, fail_call
from grader.packs.cs224n_a1.hints import HINTS

any_floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=40),
                    elements=any_floats)


@given(a=arrays)
def test_any_array_becomes_bounded_finite_json(a):
    data = evidence.bounded({"a": a, "block": evidence.gradient_block(a, a, np.abs(a), 1e-6)})
    text = json.dumps(data, allow_nan=False)     # NaN and infinities became null
    assert len(text) <= evidence.MAX_JSON_CHARS + 200
    block = data.get("block")
    if block is not None:
        assert len(block["analytic"]) <= evidence.MAX_SIDE
        assert all(len(row) <= evidence.MAX_SIDE for row in block["analytic"])


def test_numbers_are_rounded_and_non_finite_is_null():
    assert evidence.number(1 / 3) == 0.333333
    assert evidence.number(1.23456e-9, 3) == 1.23e-9
    assert evidence.number(float("nan")) is None and evidence.number(np.inf) is None
    assert evidence.number(np.int64(7)) == 7 and evidence.number(np.bool_(True)) is True
    assert evidence.matrix(np.arange(3.0)) == [[0.0, 1.0, 2.0]]   # a vector is one row


def test_block_bigger_than_the_cap_says_so():
    big = np.ones((20, 3))
    block = evidence.gradient_block(big, big, np.zeros((20, 3)), 1e-6)
    assert block["shape"] == [20, 3] and block["cut_to"] == [16, 3] and block["ok"] is True
    assert len(block["relative_error"]) == 16


def test_oversized_evidence_is_replaced_by_a_note():
    huge = {f"k{i}": "x" * 3000 for i in range(40)}
    assert set(evidence.bounded(huge)) == {"dropped"}


def test_failure_carries_its_catalogue_entry_and_labelled_call():
    with pytest.raises(CheckFailure) as info:
        fail_call("wrong.", "f(1)", returned=np.array([1.0]), expected="2", detail="more",
                  hint=HINTS["softmax_overflow"], evidence={"seen": 1})
    exc = info.value
    assert exc.hint is HINTS["softmax_overflow"]
    assert exc.evidence["call"] == {"problem": "wrong.", "called": "f(1)",
                                    "returned": "array([1.]) with shape (1,)", "expected": "2",
                                    "detail": "more"}
    assert exc.evidence["seen"] == 1
    assert exc.message.splitlines() == ["wrong.", "  called: f(1)",
                                        "  returned: array([1.]) with shape (1,)",
                                        "  expected: 2", "  more"]
    with pytest.raises(TypeError, match="Mistake"):
        CheckFailure("x", hint="free text is not a catalogue entry")


def test_a_wrong_kind_of_result_is_described_with_its_length_or_shape():
    """"the result is a tuple of 2 items; expected a triple" shows what is off where "a tuple"
    alone would not."""
    from grader.checks_api import describe_type

    assert describe_type((1.0, np.zeros(3))) == "a tuple of 2 items"
    assert describe_type([0.5]) == "a list of 1 item"
    assert describe_type(np.zeros((2, 3))) == "a numpy array of shape (2, 3) and dtype float64"
    assert describe_type(np.float32(1)) == "a numpy float32"
    assert describe_type(None) == "None"


def test_a_result_of_none_says_where_none_usually_comes_from():
    from grader.checks_api import CheckFailure, as_array, describe_result

    assert describe_result(None) == ("None (a function that ends without `return` gives None, "
                                     "as does one returning a variable still None, a template's "
                                     "`yhat = None` left in)")
    assert describe_result((1, 2)) == "a tuple of 2 items"
    with pytest.raises(CheckFailure) as failed:
        as_array(None, "softmax(x)", (2,))
    assert str(failed.value).startswith("the result is None (a function that ends without "
                                        "`return` gives None, as does one returning a variable "
                                        "still None, a template's `yhat = None` left in); "
                                        "expected a numpy array of shape (2,).")
    with pytest.raises(CheckFailure) as failed:
        as_array(None, "f(x)", what="gradPred")
    assert str(failed.value).startswith("gradPred is None; expected a numpy array.")


def test_a_type_is_named_with_the_article_it_is_said_with():
    """"the result is a int" read as a slip in the grader; the article follows the sound."""
    from grader.checks_api import describe_result, describe_type
    assert describe_result(3) == "an int"
    assert describe_type(2.5) == "a float"
    assert describe_type({"W1": 1}) == "a dict"
    assert describe_type(object()) == "an object"
    assert describe_type((1, 2)) == "a tuple of 2 items"
