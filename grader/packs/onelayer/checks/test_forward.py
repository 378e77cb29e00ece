"""Checks of forward(X, W1, b1, W2, b2) -> (Y, Z): a sigmoid hidden layer Z (N x M) and softmax
outputs Y (N x K), one row per example."""
import numpy as np
import pytest
from hypothesis import given

from grader import tolerances as tol
from grader.checks_api import (as_array, call_text, describe_result, expect_close, fail_call,
                               whole_cases)
from grader.packs.onelayer import inputs
from grader.packs.onelayer.common import copies
from grader.packs.onelayer.hints import HINTS

pytestmark = pytest.mark.function("forward")
PARAMS = ("X", "W1", "b1", "W2", "b2")


def _forward(student, a):
    args = tuple(a[p] for p in PARAMS)
    call = call_text("forward", *args)
    value = student(*copies(args))
    N, K, M = a["X"].shape[0], a["W2"].shape[1], a["W1"].shape[1]
    if isinstance(value, np.ndarray) and value.shape == (N, K):
        fail_call("forward returned one array; expected a pair (Y, Z).", call, returned=value,
                  hint=HINTS["forward_returns_only_y"])
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        fail_call(f"the result is {describe_result(value)}; expected a pair (Y, Z).", call,
                  returned=value)
    if _swapped(value, a):
        fail_call("forward returned the pair in the other order: the hidden layer Z first, then "
                  "the output Y; expected (Y, Z).", call, returned=value,
                  hint=HINTS["forward_pair_swapped"])
    Y = as_array(value[0], call, (N, K), "Y (the first of the pair)")
    Z = as_array(value[1], call, (N, M), "Z (the second of the pair)")
    return Y, Z, call


def _swapped(value, a) -> bool:
    """Whether the pair is (Z, Y): by shape where the layers differ in width, by value (both
    right, each in the other's place) where they do not."""
    first, second = (np.asarray(v) if isinstance(v, np.ndarray) else None for v in value)
    if first is None or second is None:
        return False
    N, K, M = a["X"].shape[0], a["W2"].shape[1], a["W1"].shape[1]
    if M != K:
        return first.shape == (N, M) and second.shape == (N, K)
    right = inputs.forward(a)
    return (first.shape == second.shape == (N, K) and first.dtype.kind == second.dtype.kind == "f"
            and np.allclose(first, right["Z"], rtol=1e-7, atol=1e-9)
            and np.allclose(second, right["Y"], rtol=1e-7, atol=1e-9)
            and not np.allclose(right["Y"], right["Z"], rtol=1e-7, atol=1e-9))


def _hint(Y, a):
    """The mistake Y shows, from how its rows sum and which bias it is computed with."""
    if Y.shape[0] > 1 and not np.allclose(Y.sum(axis=1), 1.0) and np.allclose(Y.sum(axis=0), 1.0):
        return HINTS["softmax_wrong_axis"]
    if a["W2"].shape[0] == 1:
        # One hidden unit: b1 broadcast to every class shifts them alike, and softmax ignores a
        # shift, so b1-for-b2 and no b2 give the same Y; the other cases tell them apart.
        return None
    if a["W2"].shape[0] == a["W2"].shape[1] and np.allclose(
            Y, inputs.forward({**a, "b2": a["b1"]})["Y"], rtol=1e-7, atol=1e-9):
        return HINTS["forward_b1_for_b2"]
    if np.allclose(Y, inputs.forward({**a, "b2": np.zeros_like(a["b2"])})["Y"], rtol=1e-7,
                   atol=1e-9):
        return HINTS["forward_missing_b2"]
    return None


def _hidden_hint(Z, a):
    """The mistake Z shows: the hidden layer computed with b2 where b1 belongs, which runs only
    where the two layers have as many units (b1 unlike b2 there, so the values tell them apart)."""
    b1, b2 = a["b1"], a["b2"]
    if b1.shape != b2.shape or np.allclose(b1, b2, rtol=1e-7, atol=1e-9):
        return None
    if np.allclose(Z, inputs.forward({**a, "b1": b2})["Z"], rtol=1e-7, atol=1e-9):
        return HINTS["forward_b2_for_b1"]
    return None


def _compare(Y, Z, expected_Y, expected_Z, a, call, rtol, atol):
    expect_close(Z, expected_Z, call=call, what="Z (the hidden layer)", rtol=rtol, atol=atol,
                 hint=_hidden_hint(Z, a))
    expect_close(Y, expected_Y, call=call, what="Y (the outputs)", rtol=rtol, atol=atol,
                 hint=_hint(Y, a))


@pytest.mark.points(5)
@pytest.mark.published  # the pack's own small example (grader/packs/onelayer/inputs.py)
def test_example(student):
    a = inputs.EXAMPLE
    Y, Z, call = _forward(student, a)
    _compare(Y, Z, inputs.EXAMPLE_Y, inputs.EXAMPLE_Z, a, call, tol.KNOWN_VALUES_RTOL,
             tol.KNOWN_VALUES_ATOL)


def _scale(a, ref_Z):
    """The atol of a comparison with the reference (tol.reference_atol): 1e-6 of the largest sum
    of absolute terms of X @ W1 + b1 and of Z @ W2 + b2, which can cancel to near 0. float32
    anywhere inside forward leaves about 1e-7 of them on every entry of Z and Y, which the atol
    of 1e-9 failed on some draws only: a float32 forward scored 71 or 89 by the course secret,
    a sigmoid whose exp alone was float32 71 to 93."""
    return tol.reference_atol(np.abs(a["X"]) @ np.abs(a["W1"]) + np.abs(a["b1"]),
                              np.abs(ref_Z) @ np.abs(a["W2"]) + np.abs(a["b2"]), 1.0)


@pytest.mark.points(5)
@whole_cases
@given(case=inputs.net_cases())
def test_matches_reference(student, reference, case):
    a = case.arrays()
    Y, Z, call = _forward(student, a)
    ref_Y, ref_Z = reference.forward(*copies(tuple(a[p] for p in PARAMS)))
    _compare(Y, Z, np.asarray(ref_Y), np.asarray(ref_Z), a, call, tol.REFERENCE_RTOL,
             _scale(a, np.asarray(ref_Z)))


@pytest.mark.points(4)
def test_biases_in_their_places(student, reference):
    """Hidden and output layers of the same size, b1 unlike b2: a b1 added where b2 belongs (or a
    b2 where b1 belongs) computes without an error here, so only its values show it."""
    a = inputs.SAME_SIZE_CASE.arrays()
    Y, Z, call = _forward(student, a)
    ref_Y, ref_Z = reference.forward(*copies(tuple(a[p] for p in PARAMS)))
    _compare(Y, Z, np.asarray(ref_Y), np.asarray(ref_Z), a, call, tol.REFERENCE_RTOL,
             _scale(a, np.asarray(ref_Z)))


@pytest.mark.points(2)
@whole_cases
@given(case=inputs.net_cases())
def test_outputs_are_distributions(student, case):
    """Each row of Y sums to 1 (one example's class probabilities); Z is strictly between 0 and 1."""
    a = case.arrays()
    Y, Z, call = _forward(student, a)
    sums = Y.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=0, atol=tol.IDENTITY_ATOL) or np.any(Y < 0):
        off = float(np.max(np.abs(sums - 1.0)))
        rounded = not np.any(Y < 0) and off <= tol.SCALE_RTOL
        fail_call("the rows of Y do not sum to 1 (a row is one example)"
                  + (f": they are off by {off:.1e} at most, allowed {tol.IDENTITY_ATOL:g}. That is "
                     "rounding, not a wrong formula (float32 keeps about 7 significant digits, "
                     "float64 15): compute in float64." if rounded else "."),
                  call, returned=Y, detail=f"row sums: {sums!r}",
                  hint=None if rounded else _hint(Y, a))
    if np.any(Z <= 0) or np.any(Z >= 1):
        fail_call("Z holds values outside (0, 1): the hidden layer is a sigmoid.", call, returned=Z)
