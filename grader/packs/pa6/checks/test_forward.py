"""Checks of forward(x, W1, b1, W2, b2, U, b3) -> (h1, h2, yhat), rows as examples:
h1 = relu(x @ W1 + b1), h2 = relu(h1 @ W2 + b2), yhat = softmax(h2 @ U + b3).

Drawn networks have layers of different widths, so a weight used transposed fails; the check of the
order of multiplication then runs the one square network, where a transposed weight runs, to name
which weight it was."""
import numpy as np
import pytest
from hypothesis import given

from grader import tolerances as tol, training
from grader.checks_api import (as_array, call_text, describe_result, describe_type, fail_call,
                               lazy_text, whole_cases)
from grader.packs.pa6 import inputs
from grader.packs.pa6.hints import HINTS
from grader.proxy import StudentError

pytestmark = pytest.mark.function("forward")
ARGS = ("x",) + inputs.BLOCKS
OUTPUTS = ("h1", "h2", "yhat")
WEIGHTS = ("W1", "W2", "U")


def _call(a, case=None):
    if case is None:
        return call_text("forward", *(a[k] for k in ARGS))
    return lazy_text(lambda: "forward(" + ", ".join(f"{k} of shape {a[k].shape}" for k in ARGS)
                     + f")  [{case}]")


def _run(student, a, case=None):
    call = _call(a, case)
    value = student(*(a[k].copy() for k in ARGS))
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        fail_call(f"the result is {describe_result(value)}; expected a tuple (h1, h2, yhat).", call,
                  returned=value)
    B = a["x"].shape[0]
    shapes = {"h1": (B, a["W1"].shape[1]), "h2": (B, a["W2"].shape[1]),
              "yhat": (B, a["U"].shape[1])}
    return {n: as_array(v, call, shapes[n], f"{n} (item {i} of the result)")
            for i, (n, v) in enumerate(zip(OUTPUTS, value))}, call


def _variants(a):
    """What forward gives with each known mistake: a weight transposed (square layers only), ReLU
    on the scores, a hidden layer without ReLU."""
    out = {}
    for w in WEIGHTS:
        if a[w].shape[0] == a[w].shape[1]:
            out[("weights_transposed", w)] = inputs.layers({**a, w: a[w].T})
    s = inputs.layers(a)
    out[("relu_on_output", "")] = {**s, "yhat": inputs.softmax(inputs.relu(s["s"]))}
    h1 = a["x"] @ a["W1"] + a["b1"]
    h2 = h1 @ a["W2"] + a["b2"]
    out[("forward_no_relu", "")] = {"h1": h1, "h2": h2,
                                    "yhat": inputs.softmax(h2 @ a["U"] + a["b3"])}
    return out


def _atol(a, expected) -> float:
    """The atol of a comparison with the reference's (or the grader's) forward pass: SCALE_RTOL
    of the largest term a layer sums (an input times a weight, a bias, a hidden unit) or of 1
    (yhat, a probability). float32 on the way leaves about 1e-7 of it on every entry, an entry
    near 0 included (x @ W1 + b1 cancels terms into entries near 0), which REFERENCE_ATOL failed
    on some draws only; a wrong formula is off by far more."""
    terms = [np.abs(a[i]).max() * np.abs(a[w]).max()
             for i, w in (("x", "W1"), ("h1", "W2"), ("h2", "U")) if i in a]
    terms += [np.abs(expected[n]).max() * np.abs(a[w]).max()
              for n, w in (("h1", "W2"), ("h2", "U"))]
    return tol.reference_atol(*expected.values(), *(a[b] for b in ("b1", "b2", "b3")),
                              np.array(terms), 1.0)


def _judge(got, expected, a, call, rtol, atol):
    wrong = [n for n in OUTPUTS if not np.allclose(got[n], expected[n], rtol=rtol, atol=atol)]
    if not wrong:
        return
    hint, finding = None, ""
    for (mistake, weight), values in _variants(a).items():
        if all(np.allclose(got[n], values[n], rtol=rtol, atol=atol) for n in OUTPUTS):
            hint = HINTS[mistake]
            finding = f"the values are those of {weight}.T in place of {weight}." if weight else ""
            break
    first = wrong[0]
    fail_call(f"wrong {', '.join(wrong)}.", call, returned=got[first], expected=expected[first],
              detail=finding, hint=hint, evidence={"wrong_outputs": wrong})


@pytest.mark.points(4)
@pytest.mark.published  # the pack's own small network and its pinned outputs
def test_small_network(student):
    got, call = _run(student, inputs.SMALL)
    expected = {"h1": inputs.SMALL_H1, "h2": inputs.SMALL_H2, "yhat": inputs.SMALL_YHAT}
    _judge(got, expected, inputs.SMALL, call, tol.KNOWN_VALUES_RTOL, tol.KNOWN_VALUES_ATOL)


@pytest.mark.points(4)
@whole_cases
@given(case=inputs.net_cases())
def test_matches_reference(student, reference, case):
    a = case.arrays()
    got, call = _run(student, a, case)
    expected = dict(zip(OUTPUTS, (np.asarray(v) for v in
                                  reference.forward(*(a[k].copy() for k in ARGS)))))
    _judge(got, expected, a, call, tol.REFERENCE_RTOL, _atol(a, expected))


@pytest.mark.points(3)
def test_order_of_multiplication(student):
    """Layers of widths 6 -> 5 -> 4 -> 3: x @ W1 with W1 of shape (6, 5), never W1 @ x or x @ W1.T.
    When that fails, the square network (every width 4) tells which weight was transposed."""
    case = inputs.GRADCHECK_CASES[0]
    a = case.arrays()
    try:
        got, call = _run(student, a, case)
        expected = inputs.layers(a)
        atol = _atol(a, expected)
        if all(np.allclose(got[n], expected[n], rtol=tol.REFERENCE_RTOL, atol=atol)
               for n in OUTPUTS):
            return
        problem = "forward gives wrong values on layers of different widths"
    except StudentError as exc:
        call = _call(a, case)
        problem = f"forward raised {exc.type_name}: {exc.text}"
    square = inputs.SQUARE.arrays()
    transposed = []
    try:
        got_square, _ = _run(student, square, inputs.SQUARE)
        for (mistake, weight), values in _variants(square).items():
            if mistake == "weights_transposed" and all(
                    np.allclose(got_square[n], values[n], rtol=tol.REFERENCE_RTOL,
                                atol=tol.REFERENCE_ATOL) for n in OUTPUTS):
                transposed.append(weight)
    except StudentError:
        pass
    detail = (f"With every layer square ({inputs.SQUARE}) forward runs, and its values are those "
              f"of {', '.join(w + '.T' for w in transposed)} in place of "
              f"{', '.join(transposed)}." if transposed else "")
    layer = (": with rows as examples each layer is h @ W + b, W of shape (inputs, outputs)"
             if transposed or problem.startswith("forward raised") else "")
    fail_call(f"{problem}{layer}.", call, detail=detail,
              hint=HINTS["weights_transposed"] if transposed else None,
              evidence={"transposed": transposed})


@pytest.mark.points(3)
@whole_cases
@given(case=inputs.net_cases())
def test_a_batch_is_its_rows(student, case):
    """forward of B rows at once gives, row by row, what B single-row calls give (asked in one
    round trip): the network is broadcast over the batch."""
    a = case.arrays()
    got, call = _run(student, a, case)
    # At the comparison with the reference's tolerance (_atol): float32 rounds a batch and a
    # single row differently on some draws only (3 points by the secret).
    atol = _atol(a, got)
    singles = student.many([(a["x"][b:b + 1].copy(),) + tuple(a[k].copy() for k in inputs.BLOCKS)
                            for b in range(case.B)])
    for b, result in enumerate(singles):
        if not isinstance(result.value, (tuple, list)) or len(result.value) != 3:
            fail_call(f"forward of the single row x[{b}:{b + 1}] returned "
                      f"{describe_type(result.value)}; expected (h1, h2, yhat).", call)
        for n, v in zip(OUTPUTS, result.value):
            one = as_array(v, call, (1, got[n].shape[1]), f"{n} of the single row x[{b}:{b + 1}]")
            if not np.allclose(one[0], got[n][b], rtol=tol.REFERENCE_RTOL, atol=atol):
                why = ("each example must go through the network on its own." if not np.allclose(
                    one[0], got[n][b], rtol=training.ROUNDING_RTOL, atol=atol) else
                    "they agree to about 4 significant digits or more, so the batch is worked "
                    "out right, but rounded: in float32 (about 7 significant digits) a batch "
                    "and a single row add up in another order and round differently.")
                fail_call(f"row {b} of {n} for the whole batch differs from {n} of x[{b}:{b + 1}] "
                          f"alone: {why}", call, returned=got[n][b], expected=one[0])
