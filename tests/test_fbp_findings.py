"""What forward_backward_prop's checks say of mistakes real uploads made (probe s61): a weight
gradient laid out transposed, a cost of the wrong sign, and a callee named as the cause of a
failure its failing checks cannot explain."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from conftest import LIVE, ROOT, edited_fixture, grade_many
from grader.packs.cs224n_a1.inputs import GRADCHECK_CASES, NetCase

CHECKS = ROOT / "grader" / "packs" / "cs224n_a1" / "checks" / "test_forward_backward_prop.py"


def _checks_module(config):
    # The check module's markers are the grading plugin's, not registered in this session.
    from grader import plugin
    plugin.register_markers(config)
    spec = importlib.util.spec_from_file_location("_fbp_checks", CHECKS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _failing(report: dict, function: str) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"] if c["function"] == function
            and c["status"] not in ("passed", "skipped") and c["max_score"] > 0}


# ---- a weight gradient laid out transposed -----------------------------------------------------
_LAID_OUT = {
    # delta2.T times h: (Dy, H), flattened where W2's (H, Dy) belongs (probe s61, e_fbp_W2T)
    "W2": ("    gradW2 = h.T.dot(d_z2)\n", "    gradW2 = d_z2.T.dot(h)\n",
           "your W2 gradient is laid out (Dy, H) = (2, 4): the transpose of W2's (H, Dy) = (4, 2)"),
    "W1": ("    gradW1 = data.T.dot(d_z1)\n", "    gradW1 = d_z1.T.dot(data)\n",
           "your W1 gradient is laid out (H, Dx) = (4, 3): the transpose of W1's (Dx, H) = (3, 4)"),
}


@pytest.mark.parametrize("block", list(_LAID_OUT))
def test_a_weight_gradient_laid_out_transposed_is_named(tmp_path, block):
    """gradW2 = delta2.T.dot(h) has W2's numbers, (Dy, H), flattened where (H, Dy) belongs: the
    report said only "W2 gradient disagrees with the numerical gradient" (probe s61). The first
    gradient check's network is not square (W2 is 4 x 2), where the layout, not the values,
    is what is transposed: it is named, with the fix."""
    old, new, named = _LAID_OUT[block]
    report = grade_many(edited_fixture(tmp_path, f"laid_out_{block}", [(old, new)]), tmp_path / "out",
                        "--only", "forward_backward_prop", env=LIVE)[f"laid_out_{block}"]
    failing = _failing(report, "forward_backward_prop")
    assert set(failing) == {f"gradient_{block}", "gradient_matches_reference"}, failing
    check = failing[f"gradient_{block}"]
    assert named.lower() in check["message"].lower(), check["message"]
    assert "transpose it before flattening" in check["message"], check["message"]
    assert check["mistake"] == "grad_block_transposed", check
    assert failing["gradient_matches_reference"]["mistake"] == "grad_block_transposed"
    assert f"your {block} gradient is laid out".lower() in \
        failing["gradient_matches_reference"]["message"].lower()


def test_a_transposed_layout_is_named_only_where_it_is_one(request):
    """Never on a right block, nor on one with an axis of length 1 (its flat numbers read the
    same in either layout); on a square block the transpose in W's shape is the same thing."""
    fbp = _checks_module(request.config)
    g = np.random.default_rng(0)
    cases = (*GRADCHECK_CASES, NetCase(2, 1, 3, 1, 5), NetCase(2, 4, 1, 3, 6),
             NetCase(2, 3, 3, 3, 7))
    for case in cases:
        right = g.standard_normal(case.n_params)
        assert fbp._transposed_blocks(right, right.copy(), case) == [], case
        assert fbp._transposed_blocks(right, right.copy(), case, rtol=1e-7, atol=1e-9) == []
        for block, (where, shape) in case.blocks().items():
            if block not in ("W1", "W2"):
                continue
            laid_out = right.copy()
            laid_out[where] = right[where].reshape(shape).T.ravel()  # (cols, rows), flattened
            found = fbp._transposed_blocks(laid_out, right, case)
            assert found == ([block] if min(shape) >= 2 else []), (case, block, found)
            if min(shape) >= 2 and shape[0] != shape[1]:
                text = fbp._transposed_finding(found, case, lambda square: "square")
                assert f"laid out {_names(block, reverse=True)} = {shape[::-1]}" in text, text
            elif min(shape) >= 2:
                assert fbp._transposed_finding(found, case, lambda sq: "square") == "square"


def _names(block: str, *, reverse: bool = False) -> str:
    rows, cols = {"W1": ("Dx", "H"), "W2": ("H", "Dy")}[block]
    return f"({cols}, {rows})" if reverse else f"({rows}, {cols})"


# ---- the log-likelihood, beside a softmax wrong on vectors only ---------------------------------
# benjamin (probe s61): cost = np.sum(labels * np.log(y_hat)), every gradient block that cost's
# derivative, and a softmax that returns (1, N) for a vector, which the network never gives it.
_LOG_LIKELIHOOD = (
    ("    cost = -np.sum(np.log(np.sum(labels * y_hat, axis=1)))\n",
     "    cost = np.sum(np.log(np.sum(labels * y_hat, axis=1)))\n"),
    ("    d_z2 = y_hat - labels\n", "    d_z2 = labels - y_hat\n"),
    ("    y_hat = _softmax(z2)\n", "    y_hat = softmax(z2)\n"),  # the network calls softmax
    ("    x = x - np.max(x, axis=-1, keepdims=True)\n",  # a vector becomes a one-row matrix
     "    x = np.atleast_2d(x)\n    x = x - np.max(x, axis=-1, keepdims=True)\n"),
)


@pytest.fixture(scope="module")
def log_likelihood(tmp_path_factory) -> dict:
    src = tmp_path_factory.mktemp("log-likelihood")
    return grade_many(edited_fixture(src, "log_likelihood", _LOG_LIKELIHOOD), src / "out", "--only",
                      "softmax", "--only", "forward_backward_prop", env=LIVE)["log_likelihood"]


def test_a_cost_of_the_wrong_sign_is_named(log_likelihood):
    """A cost exactly -1 times the cross-entropy was told "a cross-entropy ... is always
    positive" and, beside its gradient, "your cost is neither summed nor averaged": it is the
    log-likelihood, and the report says so (the score is the same)."""
    failing = _failing(log_likelihood, "forward_backward_prop")
    named = "your cost is the negative of the cross-entropy summed over the examples: the log-"
    for name in ("cost_matches_reference", "inputs_not_modified",
                 "gradient_by_backpropagation"):
        assert named in failing[name]["message"].lower(), failing[name]["message"]
    gradient = failing["gradient_matches_reference"]["message"]
    assert "neither summed nor averaged" not in gradient, gradient
    assert "the negative of the cross-entropy summed over the examples, the log-likelihood" \
        in gradient, gradient
    assert "So is your cost, the log-likelihood" in gradient, gradient


def test_a_negative_cost_that_is_not_the_log_likelihood_is_not_named_so(tmp_path):
    """Half the log-likelihood is below 0 too, and no negated cross-entropy: nothing is named."""
    edits = (("    cost = -np.sum(np.log(np.sum(labels * y_hat, axis=1)))\n",
              "    cost = 0.5 * np.sum(np.log(np.sum(labels * y_hat, axis=1)))\n"),)
    report = grade_many(edited_fixture(tmp_path, "half", edits), tmp_path / "out", "--only",
                        "forward_backward_prop", env=LIVE)["half"]
    failing = _failing(report, "forward_backward_prop")
    assert "always positive" in failing["cost_matches_reference"]["message"]
    assert not any("log-likelihood" in c["message"] for c in failing.values()), failing


def test_a_callee_failing_only_on_vectors_is_not_named_for_a_network(log_likelihood):
    """softmax's one failure is a (1, N) result for a vector, which the network never passes
    it (it gives softmax (M, Dy) matrices): every network failure said "fix softmax first", and
    with softmax fixed the network failed the same (probe s61)."""
    assert set(_failing(log_likelihood, "softmax")) == {"vector_input"}
    failing = _failing(log_likelihood, "forward_backward_prop")
    assert len(failing) == 9, failing
    for check in failing.values():
        assert "its own checks" not in check["message"], check["message"]
        assert "failing_callees" not in check["evidence"], check
        assert "once softmax passes" not in (check["hint"] or ""), check["hint"]
    assert "fix softmax first" not in log_likelihood["_terminal"]


# ---- a sigmoid wrong only where exp overflows, beside a network of its own mistake -------------
# Cloaked04 (probe s62, r43b): sigmoid = exp(x) / (1 + exp(x)), NaN above about 709 only, and a
# network that computes sigmoid_grad(h) * d_h and then uses d_h: every network failure said
# "fix sigmoid first", and fixing it changes nothing there.
_OVERFLOWING_SIGMOID = (
    ("    return 1.0 / (1.0 + np.exp(-x))\n", "    return np.exp(x) / (1.0 + np.exp(x))\n"),
    ("    h = _sigmoid(z1)\n", "    h = sigmoid(z1)\n"),  # the network calls it ...
    ("    d_z1 = d_h * h * (1.0 - h)\n", "    d_z1 = d_h\n"),  # ... and skips the derivative
)


def test_a_callee_wrong_only_past_its_callers_inputs_is_not_named(tmp_path):
    report = grade_many(edited_fixture(tmp_path, "overflowing_sigmoid", _OVERFLOWING_SIGMOID),
                        tmp_path / "out", "--only", "sigmoid", "--only", "forward_backward_prop",
                        env=LIVE)["overflowing_sigmoid"]
    assert set(_failing(report, "sigmoid")) == {"extreme_inputs"}, _failing(report, "sigmoid")
    failing = _failing(report, "forward_backward_prop")
    assert {"gradient_W1", "gradient_b1", "gradient_matches_reference"} <= set(failing), failing
    for check in failing.values():
        assert "its own checks" not in check["message"], check["message"]
        assert "failing_callees" not in check["evidence"], check
        assert "once sigmoid passes" not in (check["hint"] or ""), check["hint"]
    assert "fix sigmoid first" not in report["_terminal"], report["_terminal"]


def test_the_callers_never_give_sigmoid_inputs_where_exp_overflows():
    """What extreme_inputs' @pytest.mark.callers_never_pass rests on: every network the checks
    build has hidden pre-activations, and word2vec's longest vectors scores, far below the
    size (about 709) where exp overflows, where extreme_inputs' largest inputs lie."""
    from grader.packs.cs224n_a1.inputs import LARGE_CASE, LONG_VECTORS
    cases = (*GRADCHECK_CASES, LARGE_CASE, NetCase(4, 3, 4, 3, 21, confident=True),
             NetCase(6, 5, 5, 5, 99))
    for case in cases:
        data, _, params = case.arrays()
        blocks = {n: params[w].reshape(s) for n, (w, s) in case.blocks().items()}
        assert np.max(np.abs(data @ blocks["W1"] + blocks["b1"])) < 100, case
    predicted, vectors = LONG_VECTORS.arrays()
    assert np.max(np.abs(vectors @ predicted)) < 100
