"""Checks of negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K).

The grader controls sampling: `dataset` replays an index stream the grader chose (built inside the
worker), whether the student calls getNegativeSamples or dataset.sampleTokenIdx() directly, and the
worker reports how many indices were drawn.
"""
import numpy as np
import pytest
from hypothesis import given

from grader import numgrad
from grader import tolerances as tol
from grader.checks_api import as_array, as_scalar, describe_type, expect_close, fail, show
from grader.packs.cs224n_a1.inputs import ReplayDataset, W2VCase, expected_draws, padded, w2v_cases
from grader.worker.wire import ReplayDataset as WireDataset

pytestmark = pytest.mark.function("negSamplingCostAndGradient")


def _args(case: W2VCase) -> tuple:
    predicted, vectors = case.arrays()
    return predicted, case.target, vectors, WireDataset(case.stream), case.K


def _call_text(case: W2VCase) -> str:
    predicted, vectors = case.arrays()
    return (f"negSamplingCostAndGradient(predicted={show(predicted)}, target={case.target}, "
            f"outputVectors={show(vectors)}, dataset, K={case.K})\n  with {case}")


def _unpack(value, case: W2VCase, call: str) -> tuple[float, np.ndarray, np.ndarray]:
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        fail(f"{call}\n  returned {describe_type(value)}; expected a triple (cost, gradPred, grad).")
    cost = as_scalar(value[0], call, "the cost")
    grad_pred = as_array(value[1], call, (case.D,), "gradPred")
    grad = as_array(value[2], call, (case.V, case.D), "grad (the gradient for every output vector)")
    return cost, grad_pred, grad


def _run(student, case: W2VCase):
    result = student.call(*_args(case))
    return (*_unpack(result.value, case, _call_text(case)), result.draws[0])


def _reference(reference, case: W2VCase):
    predicted, vectors = case.arrays()
    cost, grad_pred, grad = reference.negSamplingCostAndGradient(
        predicted, case.target, vectors, ReplayDataset(case.stream), case.K)
    return float(cost), np.asarray(grad_pred, dtype=np.float64), np.asarray(grad, dtype=np.float64)


@pytest.mark.points(3)
@given(case=w2v_cases())
def test_returns_cost_and_gradients(student, case):
    cost, grad_pred, grad, _ = _run(student, case)
    if not (np.isfinite(cost) and np.all(np.isfinite(grad_pred)) and np.all(np.isfinite(grad))):
        fail(f"{_call_text(case)}\n  returned values that are not finite: cost {cost!r}, gradPred "
             f"{show(grad_pred)}, grad {show(grad)}")


@pytest.mark.points(1)
def test_inputs_not_modified(student):
    case = W2VCase(V=6, D=3, K=3, target=1, stream=padded([2, 4, 5], 6, 1), seed=5)
    predicted, _, vectors, dataset, K = _args(case)
    after = student.call(predicted, case.target, vectors, dataset, K, echo_args=True).args_after
    for name, before, now in (("predicted", predicted, after[0]), ("outputVectors", vectors, after[2])):
        if not np.array_equal(before, now):
            fail(f"{_call_text(case)}\n  changed its argument `{name}` in place: before "
                 f"{show(before)}\n  after {show(now)}")


@pytest.mark.points(6)
@given(case=w2v_cases())
def test_cost_matches_reference(student, reference, case):
    cost, _, _, _ = _run(student, case)
    ref_cost, _, _ = _reference(reference, case)
    if not np.isclose(cost, ref_cost, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL):
        negatives, _ = expected_draws(case.stream, case.target, case.K)
        fail(f"{_call_text(case)}\n  returned the cost {cost!r}; expected {ref_cost!r} = "
             f"-log sigmoid(u_{case.target} . v) - sum over the negatives {negatives} of "
             "log sigmoid(-u_k . v).")


@pytest.mark.points(5)
@given(case=w2v_cases())
def test_gradPred_matches_reference(student, reference, case):
    _, grad_pred, _, _ = _run(student, case)
    _, ref_pred, _ = _reference(reference, case)
    hint = ""
    if np.allclose(grad_pred, -ref_pred, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL):
        hint = "your gradPred is exactly the negative of the right one: check the signs."
    expect_close(grad_pred, ref_pred, call=_call_text(case), what="gradPred",
                 rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL, hint=hint)


def _row_report(grad: np.ndarray, expected: np.ndarray, case: W2VCase) -> str:
    negatives, _ = expected_draws(case.stream, case.target, case.K)
    bad = [i for i in range(case.V) if not np.allclose(grad[i], expected[i], rtol=tol.REFERENCE_RTOL,
                                                        atol=tol.REFERENCE_ATOL)]
    def role(i: int) -> str:
        if i == case.target:
            return "the target"
        count = negatives.count(i)
        return f"a negative drawn {count} time{'s' if count > 1 else ''}" if count else "not sampled"
    return ", ".join(f"row {i} ({role(i)})" for i in bad)


@pytest.mark.points(5)
@given(case=w2v_cases())
def test_grad_matches_reference(student, reference, case):
    _, _, grad, _ = _run(student, case)
    _, _, ref_grad = _reference(reference, case)
    if np.allclose(grad, ref_grad, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL):
        return
    fail(f"{_call_text(case)}\n  returned a wrong grad in {_row_report(grad, ref_grad, case)}.\n"
         f"  returned: {show(grad)}\n  expected: {show(ref_grad)}")


@pytest.mark.points(3)
def test_repeated_negatives_accumulate(student, reference):
    """A negative drawn twice counts twice, in the cost and in its row of grad."""
    case = W2VCase(V=5, D=3, K=4, target=0, stream=padded([2, 3, 2, 2], 5, 0), seed=21)
    cost, grad_pred, grad, _ = _run(student, case)
    ref_cost, ref_pred, ref_grad = _reference(reference, case)
    single = W2VCase(V=5, D=3, K=2, target=0, stream=padded([2, 3], 5, 0), seed=21)
    _, _, once_grad = _reference(reference, single)
    hint = ""
    if np.allclose(grad[2], once_grad[2], rtol=1e-6, atol=1e-9):
        hint = ("row 2 of your grad counts index 2 once although it was drawn 3 times: "
                "`grad[indices] += ...` with repeated indices keeps only one of the updates. "
                "Accumulate with a loop or np.add.at.")
    call = _call_text(case)
    if not np.isclose(cost, ref_cost, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL):
        fail(f"{call}\n  returned the cost {cost!r}; expected {ref_cost!r} (index 2 drawn 3 times "
             "counts 3 times).", hint)
    expect_close(grad_pred, ref_pred, call=call, what="gradPred", rtol=tol.REFERENCE_RTOL,
                 atol=tol.REFERENCE_ATOL, hint=hint)
    if not np.allclose(grad, ref_grad, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL):
        fail(f"{call}\n  returned a wrong grad in {_row_report(grad, ref_grad, case)}.\n"
             f"  returned: {show(grad)}\n  expected: {show(ref_grad)}", hint)


@pytest.mark.points(3)
def test_target_is_redrawn(student, maybe_reference):
    """When sampleTokenIdx() offers the target, it is drawn again (as getNegativeSamples does)."""
    case = W2VCase(V=6, D=3, K=3, target=2, stream=padded([2, 4, 2, 1, 5], 6, 2), seed=31)
    cost, grad_pred, grad, draws = _run(student, case)
    negatives, used = expected_draws(case.stream, case.target, case.K)
    call = _call_text(case)
    if draws != used:
        hint = ""
        if draws == case.K:
            hint = ("you drew exactly K indices and kept the target among them: re-draw while the "
                    "index equals the target, as the provided getNegativeSamples does.")
        fail(f"{call}\n  drew {draws} indices from dataset.sampleTokenIdx(); expected {used} "
             f"(the stream offers the target {case.target} twice, and each offer is re-drawn, "
             f"giving the negatives {negatives}).", hint)
    if maybe_reference is not None:
        ref_cost, ref_pred, ref_grad = _reference(maybe_reference, case)
        if not np.isclose(cost, ref_cost, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL):
            fail(f"{call}\n  returned the cost {cost!r}; expected {ref_cost!r} with the negatives "
                 f"{negatives} (the target is never a negative).")
        if not np.allclose(grad, ref_grad, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL):
            fail(f"{call}\n  returned a wrong grad in {_row_report(grad, ref_grad, case)}.")


@pytest.mark.points(1)
@pytest.mark.parametrize("K", [1, 3, 10])
def test_K_is_honoured(student, maybe_reference, K):
    """Exactly K negatives are drawn, and all of them are used."""
    V = K + 4
    case = W2VCase(V=V, D=3, K=K, target=0, stream=padded(list(range(1, K + 1)), V, 0, extra=12),
                   seed=40 + K)
    cost, _, grad, draws = _run(student, case)
    call = _call_text(case)
    if draws != K:
        fail(f"{call}\n  drew {draws} indices from dataset.sampleTokenIdx(); expected K = {K}. "
             "Use the K you are given (through getNegativeSamples(target, dataset, K)).")
    if maybe_reference is not None:
        ref_cost, _, ref_grad = _reference(maybe_reference, case)
        if not np.isclose(cost, ref_cost, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL) or \
                not np.allclose(grad, ref_grad, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL):
            fail(f"{call}\n  drew K = {K} indices, but the cost or grad does not use all of them: "
                 f"cost {cost!r} (expected {ref_cost!r}); wrong rows of grad: "
                 f"{_row_report(grad, ref_grad, case) or 'none'}.")


# ---- numerical gradients of the student's own cost ----------------------------------------------
NUMGRAD_CASE = W2VCase(V=10, D=3, K=10, target=4, stream=padded([1, 7, 3, 9, 0, 2, 8, 5, 6, 1], 10, 4),
                       seed=3)


def _numerical(student, case: W2VCase, which: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(analytic, numerical, point) for argument 0 (predicted) or 2 (outputVectors); every
    evaluation replays the same stream, so the same negatives are drawn each time."""
    args = list(_args(case))
    call = _call_text(case)
    _, grad_pred, grad, _ = _run(student, case)
    h = tol.GRADCHECK_STEP
    batch = []
    for point in numgrad.perturbations(args[which], h):
        shifted = list(args)
        shifted[which] = point
        batch.append(tuple(shifted))
    costs = [_unpack(r.value, case, call)[0] for r in student.many(batch)]
    numerical = numgrad.from_costs(costs, args[which].shape, h)
    return (grad_pred if which == 0 else grad), numerical, args[which]


@pytest.mark.points(3)
def test_gradPred_matches_numerical_gradient(student):
    case = NUMGRAD_CASE
    analytic, numerical, _ = _numerical(student, case, 0)
    err = numgrad.relative_error(analytic, numerical)
    if err.max() > tol.GRADCHECK_RTOL:
        hint = ("your gradPred has the opposite sign of the derivative of your cost."
                if np.allclose(analytic, -numerical, rtol=1e-4, atol=1e-7) else "")
        fail(f"{_call_text(case)}\n  gradPred disagrees with central differences of your own cost "
             f"with respect to predicted (h = {tol.GRADCHECK_STEP:g}): largest relative difference "
             f"{err.max():.2e} (allowed {tol.GRADCHECK_RTOL:g}).\n  your gradPred: {show(analytic)}\n"
             f"  numerical:     {show(numerical)}", hint)


@pytest.mark.points(3)
def test_grad_matches_numerical_gradient(student):
    case = NUMGRAD_CASE
    analytic, numerical, _ = _numerical(student, case, 2)
    err = numgrad.relative_error(analytic, numerical)
    if err.max() > tol.GRADCHECK_RTOL:
        target_err = err[case.target].max()
        negatives, _ = expected_draws(case.stream, case.target, case.K)
        neg_rows = sorted(set(negatives))
        neg_err = err[neg_rows].max()
        fail(f"{_call_text(case)}\n  grad disagrees with central differences of your own cost with "
             f"respect to outputVectors (h = {tol.GRADCHECK_STEP:g}): largest relative difference "
             f"{err.max():.2e} (allowed {tol.GRADCHECK_RTOL:g}); target row {case.target}: "
             f"{target_err:.2e}, negative rows {neg_rows}: {neg_err:.2e}.\n"
             f"  your grad: {show(analytic)}\n  numerical: {show(numerical)}")
