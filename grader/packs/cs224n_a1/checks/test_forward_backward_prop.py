"""Checks of forward_backward_prop(data, labels, params, dimensions): the two-layer network.

The cost may be summed or averaged over the M examples (the 2017 handout does not say); the
gradient must follow the same convention as the cost.
"""
import numpy as np
import pytest
from hypothesis import example, given

from grader import numgrad
from grader import tolerances as tol
from grader.checks_api import as_array, as_scalar, call_text, describe_type, fail, show
from grader.packs.cs224n_a1.inputs import GRADCHECK_CASES, NetCase, net_cases

pytestmark = pytest.mark.function("forward_backward_prop")
BLOCKS = ("W1", "b1", "W2", "b2")


def _call_text(case: NetCase) -> str:
    data, labels, params = case.arrays()
    if data.size + params.size <= 30:
        return call_text("forward_backward_prop", data, labels, params, case.dimensions)
    return (f"forward_backward_prop(data of shape {data.shape}, labels of shape {labels.shape}, "
            f"params of shape {params.shape}, {case.dimensions})  [{case}]")


def _unpack(value, case: NetCase, call: str) -> tuple[float, np.ndarray]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        fail(f"{call} returned {describe_type(value)}; expected a pair (cost, grad).")
    cost = as_scalar(value[0], call, "the cost")
    grad = as_array(value[1], call, (case.n_params,), "the gradient (a flat vector of "
                    "Dx*H + H + H*Dy + Dy numbers, in the order W1, b1, W2, b2)")
    return cost, grad


def _run(student, case: NetCase) -> tuple[float, np.ndarray]:
    data, labels, params = case.arrays()
    call = _call_text(case)
    return _unpack(student(data, labels, params, case.dimensions), case, call)


@pytest.mark.points(5)
@given(case=net_cases())
def test_returns_cost_and_flat_gradient(student, case):
    cost, grad = _run(student, case)
    if not np.isfinite(cost) or not np.all(np.isfinite(grad)):
        fail(f"{_call_text(case)} returned a cost or gradient that is not finite: cost {cost!r}, "
             f"gradient {show(grad)}")


@pytest.mark.points(2)
def test_inputs_not_modified(student):
    case = GRADCHECK_CASES[1]
    data, labels, params = case.arrays()
    result = student.call(data, labels, params, case.dimensions, echo_args=True)
    for name, before, after in zip(("data", "labels", "params"), (data, labels, params),
                                   result.args_after):
        if not np.array_equal(before, after):
            fail(f"{_call_text(case)} changed its argument `{name}` in place. "
                 f"Before: {show(before)}\n  after: {show(after)}\n  Work on copies (params is "
                 "only unpacked with reshape, which shares memory with it).")


# ---- numerical gradient, per block ------------------------------------------------------------
def _gradient_check(student, shared, case: NetCase) -> dict:
    """Analytic vs central-difference gradient of the student's own cost, cached for the session
    so that the four block checks share one batch of evaluations."""
    key = ("fbp-gradcheck", case)
    if key in shared:
        outcome = shared[key]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome
    try:
        data, labels, params = case.arrays()
        call = _call_text(case)
        cost, grad = _unpack(student(data, labels, params, case.dimensions), case, call)
        h = tol.GRADCHECK_STEP
        points = numgrad.perturbations(params, h)
        results = student.many([(data, labels, p, case.dimensions) for p in points])
        costs = [_unpack(r.value, case, call)[0] for r in results]
        numerical = numgrad.from_costs(costs, params.shape, h)
        outcome = {"cost": cost, "analytic": grad, "numerical": numerical}
    except BaseException as exc:
        shared[key] = exc
        raise
    shared[key] = outcome
    return outcome


def _check_block(student, shared, block: str) -> None:
    for case in GRADCHECK_CASES:
        got = _gradient_check(student, shared, case)
        where, shape = case.blocks()[block]
        analytic = got["analytic"][where].reshape(shape)
        numerical = got["numerical"][where].reshape(shape)
        err = numgrad.relative_error(analytic, numerical)
        if err.max() <= tol.GRADCHECK_RTOL:
            continue
        index = np.unravel_index(int(np.argmax(err)), err.shape)
        others = ", ".join(
            f"{b} {numgrad.relative_error(got['analytic'][case.blocks()[b][0]], got['numerical'][case.blocks()[b][0]]).max():.1e}"
            for b in BLOCKS if b != block)
        hint = ""
        ratio = np.divide(analytic, numerical, out=np.full(shape, np.nan), where=np.abs(numerical) > 1e-8)
        finite = ratio[np.isfinite(ratio)]
        if case.M > 1 and finite.size and np.allclose(finite, case.M, rtol=1e-3):
            hint = (f"your gradient is exactly M = {case.M} times the derivative of your cost: the cost "
                    "is averaged over the examples but the gradient is summed. Use one convention "
                    "for both.")
        elif case.M > 1 and finite.size and np.allclose(finite, 1 / case.M, rtol=1e-3):
            hint = (f"your gradient is 1/M = 1/{case.M} of the derivative of your cost: the cost is "
                    "summed but the gradient is averaged. Use one convention for both.")
        elif block in ("b1", "b2") and case.M > 1:
            hint = (f"a bias is added to every one of the M = {case.M} examples, so its gradient is "
                    "the sum over the batch of the upstream gradient (np.sum(..., axis=0)).")
        elif block == "W1" or block == "b1":
            hint = ("the error reaching the hidden layer must pass through the sigmoid's derivative, "
                    "sigmoid_grad(h) = h * (1 - h) of the hidden activations h (not of the "
                    "pre-activations).")
        fail(f"The {block} part of your gradient (shape {shape}) disagrees with central differences "
             f"of your own cost (h = {tol.GRADCHECK_STEP:g}), for {case}.\n"
             f"  worst entry {block}{list(int(i) for i in index)}: your gradient "
             f"{analytic[index]:.8g}, numerical {numerical[index]:.8g} (relative difference "
             f"{err[index]:.2e}, allowed {tol.GRADCHECK_RTOL:g})\n"
             f"  your {block} gradient: {show(analytic)}\n"
             f"  numerical:            {show(numerical)}\n"
             f"  largest relative difference in the other blocks: {others}", hint)


@pytest.mark.points(4)
def test_gradient_W1(student, report):
    _check_block(student, report.shared, "W1")


@pytest.mark.points(3)
def test_gradient_b1(student, report):
    _check_block(student, report.shared, "b1")


@pytest.mark.points(4)
def test_gradient_W2(student, report):
    _check_block(student, report.shared, "W2")


@pytest.mark.points(3)
def test_gradient_b2(student, report):
    _check_block(student, report.shared, "b2")


# ---- against the reference --------------------------------------------------------------------
def _convention(cost: float, ref_cost: float, M: int) -> str | None:
    if np.isclose(cost, ref_cost, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL):
        return "summed"
    if np.isclose(cost, ref_cost / M, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL):
        return "averaged"
    return None


def _reference(reference, case: NetCase) -> tuple[float, np.ndarray]:
    data, labels, params = case.arrays()
    cost, grad = reference.forward_backward_prop(data, labels, params, case.dimensions)
    return float(cost), np.asarray(grad, dtype=np.float64)


@pytest.mark.points(7)
@given(case=net_cases())
@example(case=NetCase(3, 2, 3, 2, 7))
def test_cost_matches_reference(student, reference, report, case):
    cost, _ = _run(student, case)
    ref_cost, _ = _reference(reference, case)
    convention = _convention(cost, ref_cost, case.M)
    if convention is None:
        fail(f"{_call_text(case)} returned the cost {cost!r}; expected the cross-entropy summed over "
             f"the M = {case.M} examples, {ref_cost!r}, or averaged over them, {ref_cost / case.M!r}.")
    if case.M > 1:
        report.warn(f"forward_backward_prop: your cost is {convention} over the examples of a batch "
                    "(either is accepted; the gradient must follow the same convention).")


@pytest.mark.points(7)
@given(case=net_cases())
@example(case=NetCase(3, 2, 3, 2, 7))
def test_gradient_matches_reference(student, reference, case):
    cost, grad = _run(student, case)
    ref_cost, ref_grad = _reference(reference, case)
    convention = _convention(cost, ref_cost, case.M)
    targets = {"summed": ref_grad, "averaged": ref_grad / case.M}
    if convention is None:  # the cost is wrong (another check says so): accept either convention
        if any(np.allclose(grad, g, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL)
               for g in targets.values()):
            return
        convention = "summed"
    expected = targets[convention]
    if np.allclose(grad, expected, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL):
        return
    other = "averaged" if convention == "summed" else "summed"
    hint = ""
    if case.M > 1 and np.allclose(grad, targets[other], rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL):
        hint = (f"your cost is {convention} over the M = {case.M} examples but your gradient is "
                f"{other}; they must use the same convention.")
    wrong = []
    for block, (where, shape) in case.blocks().items():
        gap = np.abs(grad[where] - expected[where]).max()
        if not np.allclose(grad[where], expected[where], rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL):
            wrong.append(f"{block} (largest difference {gap:.3g})")
    fail(f"{_call_text(case)} returned a gradient that differs from the correct one ({convention} "
         f"convention, as your cost) in: {', '.join(wrong)}.\n"
         f"  returned: {show(grad)}\n  expected: {show(expected)}", hint)
