"""Checks of forward_prop(x, W1, W2, b1, b2) -> (z1, h, z2): z1 = W1 x + b1, h = ReLU(z1),
z2 = W2 h + b2, in the notebook's column convention (x is V x 1). Softmax is not part of it."""
import numpy as np
import pytest
from hypothesis import given

from grader import tolerances as tol
from grader.checks_api import call_text, expect_close, fail_call, show, whole_cases
from grader.packs.cbow import inputs
from grader.packs.cbow.common import arrays
from grader.packs.cbow.hints import HINTS

pytestmark = pytest.mark.function("forward_prop")


def _forward(student, a):
    x, W1, W2, b1, b2 = (a[k] for k in ("x", "W1", "W2", "b1", "b2"))
    call = call_text("forward_prop", x, W1, W2, b1, b2)
    N, V = W1.shape
    got = arrays(student(x.copy(), W1.copy(), W2.copy(), b1.copy(), b2.copy()), call,
                 {"z1": (N, 1), "h": (N, 1), "z2": (V, 1)}, "of column vectors")
    return got, call


def _judge(got, expected, a, call, rtol, atol):
    """`a`: the arguments (W2 and b2 give the z2 a z1 in place of h would have made)."""
    for name in ("z1", "h", "z2"):
        hint = None
        if name == "z2" and np.allclose(got["z2"], np.maximum(expected["z2"], 0), rtol=rtol,
                                        atol=atol) and np.any(expected["z2"] < 0):
            hint = HINTS["relu_on_output"]
        if name == "z2" and hint is None and np.allclose(
                got["z2"], _softmax(expected["z2"]), rtol=rtol, atol=atol):
            hint = HINTS["softmax_on_output"]
        if name == "z2" and hint is None and np.any(expected["z1"] < 0) and np.allclose(
                got["z2"], a["W2"] @ expected["z1"] + a["b2"], rtol=rtol, atol=atol):
            hint = HINTS["output_from_z1"]
        if name == "h" and np.allclose(got["h"], expected["z1"], rtol=rtol, atol=atol):
            hint = HINTS["forward_no_relu"]
        if name == "z2" and hint is None and not np.allclose(got["h"], expected["h"]):
            continue  # z2 follows from a wrong h: say what is wrong with h first
        expect_close(got[name], expected[name], call=call, what=name, rtol=rtol, atol=atol,
                     hint=hint)


def _softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def _notebook():
    return {"x": inputs.X, "W1": inputs.W1, "W2": inputs.W2, "b1": inputs.B1, "b2": inputs.B2}


@pytest.mark.points(4)
@pytest.mark.published  # the notebook's z1, h and z2
def test_notebook_values(student):
    got, call = _forward(student, _notebook())
    _judge(got, {"z1": inputs.Z1, "h": inputs.H, "z2": inputs.Z2}, _notebook(), call,
           tol.KNOWN_VALUES_RTOL, tol.KNOWN_VALUES_ATOL)


@pytest.mark.points(5)
@whole_cases
@given(case=inputs.net_cases())
def test_matches_reference(student, reference, case):
    a = case.arrays()
    got, call = _forward(student, a)
    z1, h, z2 = reference.forward_prop(a["x"], a["W1"], a["W2"], a["b1"], a["b2"])
    # The terms each entry sums, as large as they are: z1 and z2 can cancel them to near 0.
    terms = (np.abs(a["W1"]) @ np.abs(a["x"]) + np.abs(a["b1"]),
             np.abs(a["W2"]) @ np.abs(np.asarray(h)) + np.abs(a["b2"]))
    _judge(got, {"z1": np.asarray(z1), "h": np.asarray(h), "z2": np.asarray(z2)}, a, call,
           tol.REFERENCE_RTOL, tol.reference_atol(z1, z2, *terms))


@pytest.mark.points(2)
@whole_cases
@given(case=inputs.net_cases())
def test_hidden_layer_is_relu_of_z1(student, case):
    got, call = _forward(student, case.arrays())
    if not np.allclose(got["h"], np.maximum(got["z1"], 0), rtol=0, atol=tol.IDENTITY_ATOL):
        fail_call("h is not ReLU(z1) of your own z1.", call, returned=got["h"],
                  expected=np.maximum(got["z1"], 0),
                  hint=HINTS["forward_no_relu"] if np.allclose(got["h"], got["z1"]) else None)


@pytest.mark.points(1)
@pytest.mark.robustness
def test_arguments_unchanged(student):
    a = _notebook()
    args = tuple(a[k].copy() for k in ("x", "W1", "W2", "b1", "b2"))
    call = call_text("forward_prop", *args)
    result = student.call(*args, echo_args=True)
    for name, before, after in zip(("x", "W1", "W2", "b1", "b2"), args, result.args_after):
        if not np.array_equal(before, after):
            fail_call(f"forward_prop changed its argument {name} in place.", call,
                      detail=f"before: {show(before)}\n  after:  {show(after)}")
