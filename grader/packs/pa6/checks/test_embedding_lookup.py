"""Checks of embedding_lookup(ids, E) -> x: ids (B, m) word ids, E (V, d); row b of x is the m
embeddings E[ids[b, 0]], ..., E[ids[b, m-1]] one after the other (the slides' x = [E_w1, ...,
E_wm]), so x has shape (B, m*d)."""
import numpy as np
import pytest
from hypothesis import given

from grader import tolerances as tol
from grader.checks_api import as_array, call_text, expect_close, fail_call
from grader.packs.pa6 import inputs
from grader.packs.pa6.hints import HINTS

pytestmark = pytest.mark.function("embedding_lookup")


def _hint(value, ids, E):
    """The mistake a result of the wrong shape or order shows, if it is one we know."""
    B, m = ids.shape
    d = E.shape[1]
    rows = E[ids]  # (B, m, d)
    shape = getattr(value, "shape", None)
    # The right shape first: when B == m, (m, B*d) is (B, m*d), and a result of the right shape
    # is never stacked, whatever its values.
    if shape == (B, m * d):
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
            return None
        if np.allclose(value, rows.transpose(0, 2, 1).reshape(B, -1)):
            return HINTS["embedding_wrong_order"]
        # Every row the first example's: told apart from the right x only when another example
        # has other features.
        first = np.broadcast_to(rows[0].reshape(-1), (B, m * d))
        if np.allclose(value, first) and not np.allclose(value, rows.reshape(B, -1)):
            return HINTS["embedding_first_example_only"]
        return None
    if shape in ((B, m, d), (B * m, d), (m, B, d), (m, B * d)):
        return HINTS["embedding_stacked"]
    if shape == (B, d):
        return HINTS["embedding_summed"]
    return None


def _lookup(student, ids, E):
    call = call_text("embedding_lookup", ids, E)
    value = student(ids.copy(), E.copy())
    hint = _hint(value, ids, E)
    expected_shape = (ids.shape[0], ids.shape[1] * E.shape[1])
    if hint is not None and getattr(value, "shape", None) != expected_shape:
        fail_call(f"the result has shape {value.shape}; expected {expected_shape} "
                  f"(B = {ids.shape[0]} rows of m*d = {ids.shape[1]}*{E.shape[1]} numbers).", call,
                  returned=value, hint=hint)
    return as_array(value, call, expected_shape), call, hint


@pytest.mark.points(3)
@pytest.mark.published  # the pack's own small example: x = [[E0, E3], [E2, E0]]
def test_small_example(student):
    got, call, hint = _lookup(student, inputs.SMALL_IDS, inputs.SMALL_E)
    expect_close(got, inputs.SMALL_X, call=call, rtol=0, atol=tol.IDENTITY_ATOL, hint=hint)


@pytest.mark.points(4)
@given(case=inputs.lookups())
def test_matches_reference(student, reference, case):
    ids, E = case.arrays()
    got, call, hint = _lookup(student, ids, E)
    expected = np.asarray(reference.embedding_lookup(ids.copy(), E.copy()))
    # As every comparison with the reference (README, Tolerances): an embedding kept in float32 is
    # the right lookup, rounded to about 6e-8 of E's entries, which IDENTITY_ATOL (1e-10)
    # failed; a wrong row or order is off by a whole embedding.
    expect_close(got, expected, call=call, rtol=tol.REFERENCE_RTOL,
                 atol=tol.reference_atol(expected, E), hint=hint)


@pytest.mark.points(3)
@given(case=inputs.lookups())
def test_a_batch_is_its_rows(student, case):
    """Row b of a batch's x is the lookup of ids[b] alone: B rows at once, or one at a time
    (asked in one round trip)."""
    ids, E = case.arrays()
    got, call, hint = _lookup(student, ids, E)
    singles = student.many([(ids[b:b + 1].copy(), E.copy()) for b in range(case.B)])
    for b, result in enumerate(singles):
        row_call = call_text("embedding_lookup", ids[b:b + 1], E)
        one = as_array(result.value, row_call, (1, got.shape[1]))
        if not np.array_equal(one[0], got[b]):
            fail_call(f"row {b} of the batch's result differs from the lookup of ids[{b}] alone.",
                      call, returned=got[b], expected=one[0], hint=hint,
                      detail=f"embedding_lookup(ids[{b}:{b + 1}], E) gave {one[0]!r}")
