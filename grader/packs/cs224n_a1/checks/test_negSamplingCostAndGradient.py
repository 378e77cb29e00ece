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
from grader.checks_api import as_array, as_scalar, describe_type, expect_close, fail_call, show
from grader.packs.cs224n_a1.inputs import ReplayDataset, W2VCase, expected_draws, padded, w2v_cases
from grader.proxy import StudentError
from grader.worker.wire import ReplayDataset as WireDataset

pytestmark = pytest.mark.function("negSamplingCostAndGradient")


def close(a, b) -> bool:
    return bool(np.allclose(a, b, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL))


def _args(case: W2VCase) -> tuple:
    predicted, vectors = case.arrays()
    return predicted, case.target, vectors, WireDataset(case.stream), case.K


def _call_text(case: W2VCase) -> str:
    predicted, vectors = case.arrays()
    negatives, _ = expected_draws(case.stream, case.target, case.K)
    return (f"negSamplingCostAndGradient(predicted={show(predicted)}, target={case.target}, "
            f"outputVectors={show(vectors)}, dataset, K={case.K})\n"
            f"  dataset.sampleTokenIdx() returns, in turn: {list(case.stream)} "
            f"(so the negatives are {negatives})")


def _unpack(value, case: W2VCase, call: str) -> tuple[float, np.ndarray, np.ndarray]:
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        fail_call(f"the result is {describe_type(value)}; expected a triple (cost, gradPred, grad).",
                  call, returned=value)
    cost = as_scalar(value[0], call, "the cost")
    grad_pred = as_array(value[1], call, (case.D,), "gradPred")
    grad = as_array(value[2], call, (case.V, case.D), "grad (one row per output vector)")
    return cost, grad_pred, grad


def _call(student, case: W2VCase, args: tuple | None = None, echo_args: bool = False):
    try:
        return student.call(*(args or _args(case)), echo_args=echo_args)
    except StudentError as exc:
        if exc.type_name == "DatasetExhausted":
            _, used = expected_draws(case.stream, case.target, case.K)
            fail_call(f"drew more than {len(case.stream)} indices from dataset.sampleTokenIdx(); "
                      f"K = {case.K} negatives need {used}.", _call_text(case),
                      hint="draw exactly K negatives, through getNegativeSamples(target, dataset, K).")
        raise


def _run(student, case: W2VCase):
    result = _call(student, case)
    return (*_unpack(result.value, case, _call_text(case)), result.draws[0])


def _reference(reference, case: W2VCase):
    predicted, vectors = case.arrays()
    cost, grad_pred, grad = reference.negSamplingCostAndGradient(
        predicted, case.target, vectors, ReplayDataset(case.stream), case.K)
    return float(cost), np.asarray(grad_pred, dtype=np.float64), np.asarray(grad, dtype=np.float64)


def _wrong_rows(grad: np.ndarray, expected: np.ndarray, case: W2VCase) -> str:
    """Which rows of grad are wrong, and what each row is: target, a negative, or unsampled."""
    negatives, _ = expected_draws(case.stream, case.target, case.K)

    def role(i: int) -> str:
        if i == case.target:
            return "the target"
        count = negatives.count(i)
        return f"a negative drawn {count} time{'s' if count > 1 else ''}" if count else "not sampled"

    bad = [i for i in range(case.V) if not close(grad[i], expected[i])]
    return ", ".join(f"row {i} ({role(i)})" for i in bad)


@pytest.mark.points(3)
@given(case=w2v_cases())
def test_returns_cost_and_gradients(student, case):
    cost, grad_pred, grad, _ = _run(student, case)
    if not (np.isfinite(cost) and np.all(np.isfinite(grad_pred)) and np.all(np.isfinite(grad))):
        fail_call("the cost or a gradient is not finite (inf or NaN).", _call_text(case),
                  returned=f"cost {cost!r}, gradPred {show(grad_pred)}, grad {show(grad)}")


@pytest.mark.points(1)
def test_inputs_not_modified(student):
    case = W2VCase(V=6, D=3, K=3, target=1, stream=padded([2, 4, 5], 6, 1), seed=5)
    predicted, _, vectors, _, _ = _args(case)
    after = _call(student, case, echo_args=True).args_after
    for name, before, now in (("predicted", predicted, after[0]), ("outputVectors", vectors, after[2])):
        if not np.array_equal(before, now):
            fail_call(f"negSamplingCostAndGradient changed its argument `{name}` in place.",
                      _call_text(case), detail=f"before: {show(before)}\n  after:  {show(now)}")


@pytest.mark.points(6)
@given(case=w2v_cases())
def test_cost_matches_reference(student, reference, case):
    cost, _, _, _ = _run(student, case)
    ref_cost, _, _ = _reference(reference, case)
    if not close(cost, ref_cost):
        negatives, _ = expected_draws(case.stream, case.target, case.K)
        fail_call(f"wrong cost: {cost!r}, expected {ref_cost!r}.", _call_text(case),
                  detail=f"cost = -log sigmoid(u_{case.target} . v) - sum over the negatives "
                         f"{negatives} of log sigmoid(-u_k . v)",
                  hint=_cost_hint(cost, ref_cost, case, reference))


def _cost_hint(cost: float, ref_cost: float, case: W2VCase, reference) -> str:
    """Recognise the usual wrong costs from the numbers alone."""
    predicted, vectors = case.arrays()
    # -log sigmoid(-z) = log(1 + e^z): what counting the target as a negative too would add
    target_as_negative = np.logaddexp(0.0, vectors[case.target] @ predicted)
    if close(cost, ref_cost + target_as_negative):
        return ("your cost also counts the target as a negative sample: the negative terms run "
                "over indices[1:] (the K sampled words), not over all of indices.")
    if case.K > 1:
        first_only = W2VCase(case.V, case.D, 1, case.target, case.stream, case.seed)
        if close(cost, _reference(reference, first_only)[0]):
            return (f"your cost matches using only the first negative sample; all K = {case.K} "
                    "negatives count.")
    return ""


def _grad_pred_hint(grad_pred: np.ndarray, ref_pred: np.ndarray, case: W2VCase) -> str:
    predicted, vectors = case.arrays()
    if close(grad_pred, -ref_pred):
        return "your gradPred is exactly the negative of the right one: check its sign."
    diff = grad_pred - ref_pred
    u_o = vectors[case.target]
    along = (diff @ u_o) / (u_o @ u_o) * u_o
    if np.allclose(diff, along, atol=1e-9):
        return (f"your gradPred is off by a multiple of u_{case.target}, the target's output vector: "
                "the terms in u_o are wrong (the sign of (sigmoid(u_o . v) - 1) u_o? the target "
                "counted as a negative too?).")
    return ""


@pytest.mark.points(5)
@given(case=w2v_cases())
def test_gradPred_matches_reference(student, reference, case):
    _, grad_pred, _, _ = _run(student, case)
    _, ref_pred, _ = _reference(reference, case)
    expect_close(grad_pred, ref_pred, call=_call_text(case), what="gradPred",
                 rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL,
                 hint=_grad_pred_hint(grad_pred, ref_pred, case))


@pytest.mark.points(5)
@given(case=w2v_cases())
def test_grad_matches_reference(student, reference, case):
    _, _, grad, _ = _run(student, case)
    _, _, ref_grad = _reference(reference, case)
    if not close(grad, ref_grad):
        fail_call(f"wrong grad in {_wrong_rows(grad, ref_grad, case)}.", _call_text(case),
                  returned=grad, expected=ref_grad)


@pytest.mark.points(3)
def test_repeated_negatives_accumulate(student, reference):
    """A negative drawn twice counts twice, in the cost and in its row of grad."""
    case = W2VCase(V=5, D=3, K=4, target=0, stream=padded([2, 3, 2, 2], 5, 0), seed=21)
    cost, grad_pred, grad, _ = _run(student, case)
    ref_cost, ref_pred, ref_grad = _reference(reference, case)
    once = W2VCase(V=5, D=3, K=2, target=0, stream=padded([2, 3], 5, 0), seed=21)
    _, _, once_grad = _reference(reference, once)
    hint = ""
    if np.allclose(grad[2], once_grad[2], rtol=1e-6, atol=1e-9):
        hint = ("row 2 of your grad counts index 2 once although it was drawn 3 times: "
                "`grad[indices] += ...` with repeated indices keeps only one of the updates. "
                "Accumulate with a loop or np.add.at.")
    call = _call_text(case)
    if not close(cost, ref_cost):
        fail_call(f"wrong cost when a negative is drawn more than once: {cost!r}, expected "
                  f"{ref_cost!r} (index 2, drawn 3 times, counts 3 times).", call, hint=hint)
    expect_close(grad_pred, ref_pred, call=call, what="gradPred when a negative is drawn more than once",
                 rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL, hint=hint)
    if not close(grad, ref_grad):
        fail_call(f"wrong grad when a negative is drawn more than once, in "
                  f"{_wrong_rows(grad, ref_grad, case)}.", call, returned=grad, expected=ref_grad,
                  hint=hint)


@pytest.mark.points(3)
def test_target_is_redrawn(student, maybe_reference):
    """When sampleTokenIdx() offers the target, it is drawn again (as getNegativeSamples does)."""
    case = W2VCase(V=6, D=3, K=3, target=2, stream=padded([2, 4, 2, 1, 5], 6, 2), seed=31)
    cost, _, grad, draws = _run(student, case)
    negatives, used = expected_draws(case.stream, case.target, case.K)
    call = _call_text(case)
    if draws != used:
        hint = ("you drew exactly K indices and kept the target among them: re-draw while the "
                "index equals the target, as the provided getNegativeSamples does."
                if draws == case.K else "")
        fail_call(f"the target was not re-drawn: {draws} indices drawn from "
                  f"dataset.sampleTokenIdx(), expected {used} (the stream offers the target "
                  f"{case.target} twice, and each offer must be drawn again).", call, hint=hint)
    if maybe_reference is not None:
        ref_cost, _, ref_grad = _reference(maybe_reference, case)
        if not close(cost, ref_cost):
            fail_call(f"wrong cost when the stream offers the target: {cost!r}, expected "
                      f"{ref_cost!r} (the target is never a negative).", call)
        if not close(grad, ref_grad):
            fail_call(f"wrong grad when the stream offers the target, in "
                      f"{_wrong_rows(grad, ref_grad, case)}.", call, returned=grad, expected=ref_grad)


@pytest.mark.points(1)
@pytest.mark.parametrize("K", [1, 3, 10])
def test_K_is_honoured(student, maybe_reference, K):
    """Exactly K negatives are drawn, and all of them are used."""
    V = K + 4
    case = W2VCase(V=V, D=3, K=K, target=0, stream=padded(list(range(1, K + 1)), V, 0), seed=40 + K)
    cost, _, grad, draws = _run(student, case)
    call = _call_text(case)
    if draws != K:
        fail_call(f"{draws} indices drawn from dataset.sampleTokenIdx(); expected K = {K}.", call,
                  hint="use the K you are given: getNegativeSamples(target, dataset, K).")
    if maybe_reference is not None:
        ref_cost, _, ref_grad = _reference(maybe_reference, case)
        if not close(cost, ref_cost) or not close(grad, ref_grad):
            fail_call(f"K = {K} indices were drawn, but the cost or grad does not use all of them.",
                      call, returned=f"cost {cost!r}; wrong rows of grad: "
                                     f"{_wrong_rows(grad, ref_grad, case) or 'none'}",
                      expected=f"cost {ref_cost!r}")


# ---- numerical gradients of the student's own cost ----------------------------------------------
NUMGRAD_CASE = W2VCase(V=10, D=3, K=10, target=4, stream=padded([1, 7, 3, 9, 0, 2, 8, 5, 6, 1], 10, 4),
                       seed=3)


def _numerical(student, case: W2VCase, which: int) -> tuple[np.ndarray, np.ndarray]:
    """(analytic, numerical) gradient for argument 0 (predicted) or 2 (outputVectors); every
    evaluation replays the same stream, so the same negatives are drawn each time."""
    args = _args(case)
    call = _call_text(case)
    _, grad_pred, grad, _ = _run(student, case)
    h = tol.GRADCHECK_STEP
    batch = []
    for point in numgrad.perturbations(args[which], h):
        shifted = list(args)
        shifted[which] = point
        batch.append(tuple(shifted))
    costs = [_unpack(r.value, case, call)[0] for r in student.many(batch)]
    return (grad_pred if which == 0 else grad), numgrad.from_costs(costs, args[which].shape, h)


@pytest.mark.points(3)
def test_gradPred_matches_numerical_gradient(student):
    case = NUMGRAD_CASE
    analytic, numerical = _numerical(student, case, 0)
    err = numgrad.relative_error(analytic, numerical)
    if err.max() > tol.GRADCHECK_RTOL:
        hint = ("your gradPred has the opposite sign of the derivative of your cost."
                if np.allclose(analytic, -numerical, rtol=1e-4, atol=1e-7) else "")
        fail_call(f"gradPred disagrees with central differences of your own cost with respect to "
                  f"predicted: relative difference {err.max():.2e} (allowed {tol.GRADCHECK_RTOL:g}).",
                  _call_text(case), returned=analytic, expected=numerical,
                  detail=f"(expected = numerical gradient, h = {tol.GRADCHECK_STEP:g})", hint=hint)


@pytest.mark.points(3)
def test_grad_matches_numerical_gradient(student):
    case = NUMGRAD_CASE
    analytic, numerical = _numerical(student, case, 2)
    err = numgrad.relative_error(analytic, numerical)
    if err.max() > tol.GRADCHECK_RTOL:
        negatives, _ = expected_draws(case.stream, case.target, case.K)
        neg_rows = sorted(set(negatives))
        fail_call(f"grad disagrees with central differences of your own cost with respect to "
                  f"outputVectors: relative difference {err.max():.2e} (allowed "
                  f"{tol.GRADCHECK_RTOL:g}); target row {case.target}: {err[case.target].max():.1e}, "
                  f"negative rows {neg_rows}: {err[neg_rows].max():.1e}.", _call_text(case),
                  returned=analytic, expected=numerical,
                  detail=f"(expected = numerical gradient, h = {tol.GRADCHECK_STEP:g})")


# ---- beyond the assignment's range: advisory only -----------------------------------------------
@pytest.mark.points(0)
def test_large_scores_stay_finite(student, maybe_reference):
    """With |u . v| around 40 the cost is still finite and right. The assignment's vectors never get
    there, so this only warns: log(1 - sigmoid(x)) is exact in the assignment's range but becomes
    log(0) once sigmoid(x) rounds to 1."""
    base = W2VCase(V=6, D=3, K=3, target=1, stream=padded([0, 2, 3], 6, 1), seed=8)
    predicted, vectors = base.arrays()
    vectors = vectors.copy()
    vectors[[0, 2, 3]] = 40.0 * predicted     # negatives aligned with v: u_k . v = 40
    args = (predicted, base.target, vectors, WireDataset(base.stream), base.K)
    call = (f"negSamplingCostAndGradient(predicted, target={base.target}, outputVectors, dataset, "
            f"K={base.K}) with u_k . v = 40 for the negatives {[0, 2, 3]}")
    cost, grad_pred, grad = _unpack(_call(student, base, args).value, base, call)
    hint = ("log(1 - sigmoid(x)) becomes log(0) once sigmoid(x) rounds to 1 (x above about 37); "
            "log(sigmoid(-x)) is the same number and stays finite")
    if not (np.isfinite(cost) and np.all(np.isfinite(grad_pred)) and np.all(np.isfinite(grad))):
        fail_call("the cost or a gradient is not finite when the scores u . v are large (about 40).",
                  call, returned=f"cost {cost!r}", hint=hint)
    if maybe_reference is not None:
        ref_cost, _, _ = maybe_reference.negSamplingCostAndGradient(
            predicted, base.target, vectors, ReplayDataset(base.stream), base.K)
        if not np.isclose(cost, ref_cost, rtol=1e-6):
            fail_call(f"the cost loses precision when the scores u . v are large (about 40): "
                      f"{cost!r}, expected {float(ref_cost)!r}.", call, hint=hint)
