"""Checks of forward_backward_prop(data, labels, params, dimensions): the two-layer network.

The cost may be summed or averaged over the M examples (the 2017 handout does not say); the
gradient must follow the same convention as the cost.
"""
from collections.abc import Callable
from fractions import Fraction
from itertools import permutations

import numpy as np
import pytest
from hypothesis import example, given

from grader import conventions, evidence, log_guards, numgrad
from grader import tolerances as tol
from grader.checks_api import (CheckFailure, NotKnown, Text, as_array, as_scalar, call_text,
                               describe_result, expect_varies, fail_call, parts_evidence, show,
                               whole_cases)
from grader.packs.cs224n_a1.hints import HINTS, constant_factor, flag_array_cost
from grader.packs.cs224n_a1.inputs import (GRADCHECK_CASES, LARGE_CASE, TIMED_SHARE, NetCase,
                                           net_cases, rng)
from grader.proxy import StudentError, StudentTimeout, StudentUnavailable

pytestmark = pytest.mark.function("forward_backward_prop")
BLOCKS = ("W1", "b1", "W2", "b2")
# A wrong formula puts a block off by a good fraction of itself; rounding in float32, with the
# gradient check's step, by 1e-7 / 1e-4 = 1e-3 at most. Below this, no block is named as wrong.
ROUNDING_LEVEL = 1e-3
# The largest constant inside the log (log(y_hat + eps)) taken for a guard against log(0): a larger
# one is another cost, no protection (the README allows up to 1e-6).
GUARD_LIMIT = 1e-6
# Up to this, a cost that is the cross-entropy with a larger constant inside the log is named as
# that (a wrong cost, and why) instead of "neither summed nor averaged" or float32 rounding.
GUARD_DIAGNOSED = 1e-2


def _call_text(case: NetCase) -> Text:
    data, labels, params = case.arrays()
    # Up to the gradient checks' M = 5 network (47 numbers): a student can rebuild that call, and
    # it is one of the few that shows a batch mistake; the handout's (M = 20) is named by shape.
    if data.size + params.size <= 64:
        return call_text("forward_backward_prop", data, labels, params, case.dimensions)
    return (f"forward_backward_prop(data of shape {data.shape}, labels of shape {labels.shape}, "
            f"params of shape {params.shape}, {case.dimensions})  [{case}]")


def _unpack(value, case: NetCase, call: str, *, gradient: bool = True,
            positive: bool = True, arrays: tuple | None = None) -> tuple[float, np.ndarray | None]:
    """(cost, grad), each validated; with gradient=False the gradient is neither validated nor
    returned (None): a check of the cost judges the cost, whatever the gradient's shape.
    positive=False: the cost of one example alone may be 0 (a label probability that rounds to 1)
    or below it (-log(1 + eps), guarded). `arrays`: the call's (data, labels, params) where they
    are not the case's own, which a cost below 0 is read against (_negated_cost)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        fail_call(f"the result is {describe_result(value)}; expected a pair (cost, grad).", call,
                  returned=value)
    if np.size(value[0]) == case.n_params != 1 and np.size(value[1]) == 1:
        # `return grad, cost`: "the cost is a numpy array of shape (P,)" on every check, and
        # nothing said the two had changed places.
        fail_call(f"the pair is in the other order: the first item has the gradient's "
                  f"{case.n_params} numbers and the second is one number. Return cost, grad in "
                  "that order.", call)
    cost = as_scalar(value[0], call, "the cost")
    if positive and cost <= 0:
        fail_call(f"the cost is {cost!r}; a cross-entropy of softmax outputs is always positive.",
                  call, finding=_negated_cost(cost, case, arrays or case.arrays()))
    if not gradient:
        return cost, None
    what = "the gradient (a flat vector of Dx*H + H + H*Dy + Dy numbers, in the order W1, b1, W2, b2)"
    size = np.size(value[1]) if isinstance(value[1], np.ndarray) else None
    if size is not None and size != case.n_params:
        fail_call(f"{what} has {size} numbers (shape {value[1].shape}); expected {case.n_params} "
                  f"(shape ({case.n_params},)) for {case}." + _size_diagnosis(size, case), call,
                  returned=value[1])
    return cost, as_array(value[1], call, (case.n_params,), what)


def _output_scores(case: NetCase, arrays: tuple) -> np.ndarray:
    """z2, the output layer's scores on (data, labels, params), as the handout defines the
    network: computed here, from a call's own numbers, so that a cost can be read against what
    the network's outputs are without the reference."""
    data, _, params = arrays
    blocks = {name: params[where].reshape(shape) for name, (where, shape) in case.blocks().items()}
    with np.errstate(all="ignore"):
        hidden = 1.0 / (1.0 + np.exp(-(data @ blocks["W1"] + blocks["b1"])))
        return hidden @ blocks["W2"] + blocks["b2"]


def _cross_entropy(case: NetCase, arrays: tuple) -> float:
    """The cross-entropy of the network on `arrays`, summed over the examples (a log-softmax,
    exact where a softmax output underflows)."""
    z2 = _output_scores(case, arrays)
    with np.errstate(all="ignore"):
        log_y_hat = z2 - np.logaddexp.reduce(z2, axis=1, keepdims=True)
    return float(-np.sum(arrays[1] * log_y_hat))


def _negated_cost(cost: float, case: NetCase, arrays: tuple) -> str:
    """What a cost below 0 is, where it is exactly the negative of the cross-entropy, summed or
    averaged (the log-likelihood: real code wrote np.sum(labels * np.log(y_hat)) and left out
    the minus): said, with the fix; "" otherwise. A sign is no convention: the cost still
    fails."""
    summed = _cross_entropy(case, arrays)
    scales = [("summed", summed), ("averaged", summed / case.M)] if case.M > 1 else [("", summed)]
    for scale, value in scales:
        if np.isfinite(value) and np.isclose(-cost, value, rtol=tol.SCALE_RTOL,
                                             atol=tol.REFERENCE_ATOL) \
                and _negated_reading_holds(scale, case.M):
            over = f" {scale} over the examples" if scale else ""
            total = "mean" if scale == "averaged" else "sum"
            return (f"your cost is the negative of the cross-entropy{over}: the log-likelihood, "
                    f"the {total} of log(y_hat) at each example's label. The cost is "
                    f"-{total} of log(y_hat) at the labels, with the minus sign.")
    return ""


def _negated_reading_holds(scale: str, M: int) -> bool:
    """Whether a cost that is -1/M of the summed cross-entropy is read as the averaged
    log-likelihood: not where a small M makes that a common constant (half the log-likelihood
    at M = 2 is -1 times the average there), as _convention_holds reads a positive cost. A
    cost that is exactly -1 times the summed one is that."""
    return scale != "averaged" or M > 4


# With one example, a bias gradient summed over the wrong axis is one number too.
_OR_THE_OTHER_AXIS = (", or over the wrong axis, one number per example (np.sum(delta, axis=1), or "
                      "axis=0 of delta.T)")


def _size_diagnosis(size: int, case: NetCase) -> str:
    """Which block a flat gradient of the wrong size most likely got wrong, when its size tells
    (exactly one of the usual slips accounts for the difference, or the same slip in b1 or b2
    where H == Dy makes them alike), else nothing."""
    M, H, Dy = case.M, case.H, case.Dy
    slips = [((M - 1) * H, "b1", "unsummed", f"b1 has M*H = {M * H} numbers, expected H = {H}: "
                                             "gradb1 not summed over the examples?"),
             ((M - 1) * Dy, "b2", "unsummed", f"b2 has M*Dy = {M * Dy} numbers, expected Dy = "
                                              f"{Dy}: gradb2 not summed over the examples?"),
             (1 - Dy, "b2", "one", f"b2 is one number, expected Dy = {Dy}: gradb2 summed over "
                                   "every entry (np.sum without axis=0)"
                                   + (_OR_THE_OTHER_AXIS if M == 1 else "") + "?"),
             (1 - H, "b1", "one", f"b1 is one number, expected H = {H}: gradb1 summed over every "
                                  "entry (np.sum without axis=0)"
                                  + (_OR_THE_OTHER_AXIS if M == 1 else "") + "?")]
    # A bias gradient taken from the other layer's error: gradb2 = np.sum(d_hidden, axis=0)
    # has H numbers (where H == 1 or H == M it was told "one number" or "one per example").
    slips += [(H - Dy, "b2", "other_layer", f"b2 has H = {H} numbers, expected Dy = {Dy}: gradb2 "
                                            "summed from the hidden layer's error instead of the "
                                            "output layer's?"),
              (Dy - H, "b1", "other_layer", f"b1 has Dy = {Dy} numbers, expected H = {H}: gradb1 "
                                            "summed from the output layer's error instead of the "
                                            "hidden layer's?")]
    if M > 1:  # with one example, one number per example is the case above
        slips += [(M - H, "b1", "per_example",
                   f"b1 has M = {M} numbers, one per example, expected H = {H}: gradb1 summed "
                   "over the hidden units instead of the examples (np.sum(delta, axis=1), or "
                   "axis=0 of delta.T)?"),
                  (M - Dy, "b2", "per_example",
                   f"b2 has M = {M} numbers, one per example, expected Dy = {Dy}: gradb2 summed "
                   "over the outputs instead of the examples (np.sum(delta, axis=1), or axis=0 "
                   "of delta.T)?")]
    matches = [(block, kind, text) for extra, block, kind, text in slips
               if extra != 0 and size - case.n_params == extra]
    if len(matches) == 1:
        return f" Likely {matches[0][2]}"
    if len(matches) > 1 and len({m[0] for m in matches}) == 1:
        # Several slips of one block fit this case's sizes (H == 1, H == M): say which block,
        # not a cause a coincidence of sizes picked.
        block = matches[0][0]
        expected = H if block == "b1" else Dy
        count = expected + size - case.n_params
        return (f" Likely {block} has {count} number{'s' if count != 1 else ''}, expected "
                f"{'H' if block == 'b1' else 'Dy'} = {expected}.")
    if len(matches) == 2 and {m[0] for m in matches} == {"b1", "b2"} and \
            matches[0][1] == matches[1][1]:
        return f" Likely b1 or b2 (H = Dy = {H}) " + {
            "unsummed": f"has M*{H} = {M * H} numbers: a bias gradient not summed over the "
                        "examples?",
            "one": "is one number: a bias gradient summed over every entry (np.sum without "
                   "axis=0)" + (_OR_THE_OTHER_AXIS if M == 1 else "") + "?",
            "per_example": f"has M = {M} numbers, one per example: a bias gradient summed over "
                           "the wrong axis (np.sum(delta, axis=1), or axis=0 of delta.T)?",
        }[matches[0][1]]
    return ""


def _flat_gradient(value, case: NetCase) -> np.ndarray | None:
    """The gradient of a (cost, grad) answer as a flat float vector, or None where it is not one
    of the case's size (the checks of the gradient say what is wrong with it)."""
    try:
        grad = np.asarray(value[1], dtype=np.float64).ravel()
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    return grad if grad.size == case.n_params else None


def _run(student, case: NetCase, *, gradient: bool = True,
         positive: bool = True) -> tuple[float, np.ndarray | None]:
    data, labels, params = case.arrays()
    call = _call_text(case)
    return _unpack(student(data, labels, params, case.dimensions), case, call, gradient=gradient,
                   positive=positive)


@pytest.mark.exact_shapes
@pytest.mark.points(2)
@whole_cases
@given(case=net_cases())
def test_returns_cost_and_flat_gradient(student, case):
    cost, grad = _run(student, case)
    if not np.isfinite(cost) or not np.all(np.isfinite(grad)):
        fail_call("the cost or the gradient is not finite (inf or NaN).", _call_text(case),
                  returned=f"cost {cost!r}, gradient {show(grad)}")


@pytest.mark.points(2)
def test_inputs_not_modified(student, report):
    case = GRADCHECK_CASES[1]
    data, labels, params = case.arrays()
    result = student.call(data, labels, params, case.dimensions, echo_args=True)
    _unpack(result.value, case, _call_text(case))  # only a well-formed answer earns these points
    flag_array_cost(report, result.value[0])
    for name, before, after in zip(("data", "labels", "params"), (data, labels, params),
                                   result.args_after):
        if not np.array_equal(before, after):
            changed = {}
            reshaped = np.shape(before) != np.shape(after)  # `params.shape = ...` in place
            if name == "params" and not reshaped:
                changed = {b: bool(np.any(before[where] != after[where]))
                           for b, (where, _) in case.blocks().items()}
            what = f" (its shape, from {np.shape(before)} to {np.shape(after)})" if reshaped else ""
            fail_call(f"forward_backward_prop changed its argument `{name}` in place{what}.",
                      _call_text(case),
                      detail=f"before: {show(before)}\n  after:  {show(after)}",
                      hint=HINTS["params_views_mutated"] if name == "params" and not reshaped else None,
                      evidence={"argument": name, "blocks_changed": changed})


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
        answer = student(data, labels, params, case.dimensions)
        cost, grad = _unpack(answer, case, call)
        h = tol.GRADCHECK_STEP
        points = numgrad.perturbations(params, h)
        results = student.many([(data, labels, p, case.dimensions) for p in points])
        costs = [_unpack(r.value, case, call, gradient=False)[0] for r in results]
        expect_varies(costs, call, "params")
        numerical = numgrad.from_costs(costs, params.shape, h)
        outcome = {"cost": cost, "analytic": grad, "numerical": numerical,
                   "cost_dtype": numgrad.low_precision(answer[0])}
    except BaseException as exc:
        shared[key] = exc
        raise
    shared[key] = outcome
    return outcome



def _check_block(student, report, oracle, block: str) -> None:
    shared = report.shared
    for case in GRADCHECK_CASES:
        got = _gradient_check(student, shared, case)
        # Asked on every run, not only on a failure: a student's copy answers these calls from the
        # known answers, which hold the calls the reference's own grade made.
        known = None if oracle is None else (_reference(oracle, case),
                                             _reference_example_costs(oracle, case))
        where, shape = case.blocks()[block]
        analytic = got["analytic"][where].reshape(shape)
        numerical = got["numerical"][where].reshape(shape)
        err = numgrad.relative_error(analytic, numerical)
        if err.max() <= tol.GRADCHECK_RTOL:
            continue
        if known is not None and _guard_explains(student, shared, case, got, *known):
            report.flag(HINTS["log_guarded"], if_passes=True)
            continue
        index = np.unravel_index(int(np.argmax(err)), err.shape)
        others = ", ".join(f"{b} {_block_error(got, case, b):.1e}" for b in BLOCKS if b != block)
        hint, finding, facts = (None, None, {})
        if got["cost_dtype"]:  # the numerical gradient is noise: no formula can be read from it
            finding = numgrad.low_precision_finding(got["cost_dtype"], tol.GRADCHECK_STEP)
            facts = {"cost_dtype": got["cost_dtype"]}
        if known is not None and not finding:
            hint, finding, facts = _guard_too_large(student, shared, oracle, case, got, known)
        if known is not None and not finding:
            hint, finding, facts = _cost_scaled(got, case, known)
        if hint is None and not finding:
            hint, finding, facts = _block_hint(got, case, block, analytic, numerical,
                                               lambda: _own_cost_scale(student, shared, case))
        fail_call(f"{block} gradient disagrees with the numerical gradient of your own cost: "
                  f"relative difference {err[index]:.1e} at {block}{[int(i) for i in index]} "
                  f"(allowed {tol.GRADCHECK_RTOL:g}).",
                  f"{_call_text(case)}, {block} of shape {shape}",
                  returned=analytic, expected=numerical,
                  detail=f"(expected = numerical gradient, h = {tol.GRADCHECK_STEP:g}); largest "
                         f"relative difference in the other blocks: {others}",
                  finding=finding or "", hint=hint,
                  evidence={"gradient": {**_gradient_evidence(got, case), **facts}})


def _guard_too_large(student, shared, oracle, case: NetCase, got: dict, known: tuple) -> tuple:
    """(hint, finding, facts) when the gradient is the cross-entropy's own (summed or averaged)
    and the cost is the cross-entropy with a constant too large for a guard inside the log: the
    cost is what is wrong (cost_matches_reference says so too), not rounding. Read from a network
    of several examples: on one example alone any cost a little low fits some eps, as it fits
    some constant factor."""
    (_, ref_grad), ref_costs = known
    if conventions.detect(got["analytic"], ref_grad, case.M, among=conventions.SCALES,
                          rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL) is None:
        return None, None, {}
    eps = _oversized_guard(student, shared, oracle, case, got["cost"], ref_costs)
    if eps is None:
        return None, None, {}
    return (None, _guard_finding(eps) + " Your gradient is the cross-entropy's own; the "
            "numerical gradient of your cost is not.", {"guard_eps": eps})


def _cost_scaled(got: dict, case: NetCase, known: tuple) -> tuple:
    """(hint, finding, facts) when the whole gradient is the right one (summed or averaged) and
    the numerical gradient of the student's own cost is a constant times it: the cost is what is
    off, by that constant, and the gradient's checks fail only because they differentiate it."""
    (_, ref_grad), _ = known
    if conventions.detect(got["analytic"], ref_grad, case.M, among=conventions.SCALES,
                          rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL) is None:
        return None, None, {}
    ratio = conventions.constant_ratio(got["numerical"], got["analytic"], rtol=1e-4, atol=1e-8)
    if ratio is None or ratio == 1.0 or (case.M > 1 and abs(ratio) in (case.M, 1 / case.M)):
        return None, None, {}  # a factor of M is a mix of conventions, named as such
    return (HINTS["cost_scaled"],
            f"your gradient is the correct one; your cost is {conventions.describe_ratio(ratio)} "
            "the cross-entropy, so its numerical gradient is that much of yours.",
            {"cost_to_cross_entropy": ratio})


def _gradient_evidence(got: dict, case: NetCase) -> dict:
    """Every block of the case's gradient check, so a report can show which ones disagree."""
    blocks = {}
    for block, (where, shape) in case.blocks().items():
        analytic = got["analytic"][where].reshape(shape)
        numerical = got["numerical"][where].reshape(shape)
        blocks[block] = evidence.gradient_block(analytic, numerical,
                                                numgrad.relative_error(analytic, numerical),
                                                tol.GRADCHECK_RTOL)
    return {"case": str(case), "compared_with": "numerical", "step": tol.GRADCHECK_STEP,
            "tolerance": tol.GRADCHECK_RTOL, "blocks": blocks}


def _own_cost_scale(student, shared, case: NetCase) -> str | None:
    """"summed" or "averaged": how the submission's own cost of the case's M examples relates to
    its costs of the examples one at a time (one call each), or None when it is neither. Only a
    failure asks, so a passing check never pays for it; it needs no reference."""
    key = ("fbp-own-cost-scale", case)
    if key not in shared:
        data, labels, params = case.arrays()
        call = _call_text(case)
        scale = None
        try:
            whole = _unpack(student(data, labels, params, case.dimensions), case, call,
                            gradient=False)[0]
            singles = [_unpack(r.value, case, call, gradient=False)[0] for r in student.many(
                [(data[i:i + 1], labels[i:i + 1], params, case.dimensions) for i in range(case.M)])]
            # The engine's detection (grader/conventions.py), as for the gradient's convention.
            followed = conventions.detect(whole, sum(singles), case.M, among=conventions.SCALES,
                                          rtol=1e-9, atol=1e-12)
            scale = None if followed is None else followed.scale
        except (CheckFailure, StudentError):
            pass
        shared[key] = scale
    return shared[key]


def _block_hint(got: dict, case: NetCase, block: str, analytic, numerical,
                own_scale: Callable[[], str | None]) -> tuple:
    """(mistake, what was seen, facts) when the evidence points at a known mistake."""
    order = _permuted_order(got["analytic"], got["numerical"], case)
    if order:
        return (HINTS["grad_blocks_out_of_order"],
                f"your gradient holds the right numbers in the wrong order: it looks like "
                f"{', '.join(order)} where the expected order is W1, b1, W2, b2.", {"order": order})
    transposed = _transposed_blocks(got["analytic"], got["numerical"], case)
    if block in transposed:
        return (HINTS["grad_block_transposed"],
                _transposed_finding([block], case, lambda square: f"{square[0]} is the "
                                    "transpose of the numerical gradient of your cost."),
                {"transposed": transposed})
    # The handout fixes the sign (a cross-entropy); only the scale may differ from the cost's,
    # by a factor of M. Any other constant factor (-1, 2) is a mistake in the formula.
    factor = conventions.constant_ratio(analytic, numerical, rtol=1e-3, atol=1e-8,
                                        prefer=(1.0, -1.0, float(case.M), 1 / case.M))
    if case.M > 1 and factor == case.M:
        return (HINTS["grad_summed_cost_averaged"],
                f"{block} is exactly M = {case.M} times the derivative of your cost.",
                {"ratio": case.M})
    if case.M > 1 and factor == 1 / case.M:
        seen = f"{block} is exactly 1/M = 1/{case.M} of the derivative of your cost"
        scale = own_scale()
        if scale == "averaged":  # then the gradient was divided by M twice
            return (HINTS["grad_averaged_twice"],
                    f"{seen}, and your cost is already averaged (it is the mean of your costs of "
                    "the examples one at a time).", {"ratio": 1 / case.M, "cost": scale})
        return (HINTS["grad_averaged_cost_summed"] if scale == "summed" else None, seen + ".",
                {"ratio": 1 / case.M, "cost": scale or "neither summed nor averaged"})
    if conventions.is_simple(factor):
        return constant_factor(block, factor, "the numerical gradient of your own cost")
    worst = max(_block_error(got, case, b) for b in BLOCKS)
    if worst < ROUNDING_LEVEL and _saturates(case):
        # The networks before it passed (they are checked in order): not rounding, which shows
        # on every network, but something that happens only past a pre-activation of 10.
        reach = _largest_preactivation(case)
        return (None, f"every block is within {worst:.1e} of the numerical gradient, and only on "
                      f"this network, whose hidden pre-activations reach {reach:.3g}: your cost stops "
                      "changing there where your gradient does not. Is the sigmoid's input "
                      "clipped (np.clip(z, -10, 10) against overflow)? The sigmoid needs no "
                      "clipping: 1 / (1 + np.exp(-z)) at most warns of an overflow, and its "
                      "value is right.", {"largest_relative_difference": worst,
                                          "saturated": True})
    if worst < ROUNDING_LEVEL:  # no block is wrong by a formula's margin: blame no block
        return (None, f"every block is within {worst:.1e} of the numerical gradient: a difference "
                      "of this size comes from rounding, not from a wrong formula. Does part of "
                      "your computation run in float32 (an array, or a function returning "
                      "float32)? Compute in float64.", {"largest_relative_difference": worst})
    weights = "W1" if block == "b1" else "W2"
    if block in ("b1", "b2") and case.M > 1 and _ok(got, case, weights):
        return (HINTS["bias_grad_not_summed"],
                f"{weights} is right but {block} is not, with M = {case.M} examples.", {})
    if block in ("W1", "b1") and _ok(got, case, "W2") and _ok(got, case, "b2") \
            and not _ok(got, case, "W1") and not _ok(got, case, "b1"):
        return HINTS["sigmoid_backprop_wrong"], "W2 and b2 are right, W1 and b1 are not.", {}
    return None, "", {}


def _transposed_blocks(analytic: np.ndarray, expected: np.ndarray, case: NetCase,
                       rtol: float = tol.GRADCHECK_RTOL, atol: float = 0.0) -> list[str]:
    """The weight blocks whose values are the transpose of the expected block's, read in the
    transposed layout, and not the block itself: a gradW2 computed as delta.T times h, (Dy, H),
    flattened where W2's (H, Dy) belongs (its flat numbers are the expected block's transpose,
    row by row), or on a square layer (W1 when Dx == H, W2 when H == Dy) the transpose in W's
    own shape, which is the same thing there. A block with an axis of length 1 reads the same
    either way: it is never named."""
    found = []
    for block in ("W1", "W2"):
        where, shape = case.blocks()[block]
        if min(shape) < 2:
            continue
        mine, right = analytic[where].reshape(shape), expected[where].reshape(shape)
        laid_out = analytic[where].reshape(shape[::-1]).T
        if atol:
            close = lambda a, b: np.allclose(a, b, rtol=rtol, atol=atol)  # noqa: E731
        else:
            close = lambda a, b: numgrad.relative_error(a, b).max() <= rtol  # noqa: E731
        if close(laid_out, right) and not close(mine, right):
            found.append(block)
    return found


# Of each weight block: the names of its rows (the layer's inputs) and of its columns (its
# outputs). What a transposed block is told, where it is not square; the product that gives it
# is the student's to write (tests/test_hints_leak.py).
_LAYOUTS = {"W1": ("Dx", "H"), "W2": ("H", "Dy")}


def _transposed_finding(blocks: list[str], case: NetCase,
                        square_text: Callable[[list[str]], str]) -> str:
    """What the transposed `blocks` are told: `square_text` of those whose layer is square (the
    transpose has W's shape there, and the hint says why that hides it); of each other one, the
    layout it has, (outputs, inputs), and the fix."""
    square = [b for b in blocks if len(set(case.blocks()[b][1])) == 1]
    sentences = [square_text(square)] if square else []
    for block in blocks:
        shape = case.blocks()[block][1]
        if block in square:
            continue
        rows, cols = _LAYOUTS[block]
        sentences.append(
            f"your {block} gradient is laid out ({cols}, {rows}) = {shape[::-1]}: the transpose "
            f"of {block}'s ({rows}, {cols}) = {shape}, flattened in that order, so its numbers "
            f"land in the wrong places. Compute it laid out as {block} is, ({rows}, {cols}): "
            f"one row per input of the layer, one column per output (or transpose it before "
            "flattening).")
    return " ".join(sentences)


def _largest_preactivation(case: NetCase) -> float:
    data, _, params = case.arrays()
    blocks = {name: params[where].reshape(shape) for name, (where, shape) in case.blocks().items()}
    return float(np.max(np.abs(data @ blocks["W1"] + blocks["b1"])))


def _saturates(case: NetCase) -> bool:
    """A gradient-check network, not the first, whose hidden pre-activations pass 10 (where a
    clipped sigmoid stops): the networks before it passed the check."""
    return case in GRADCHECK_CASES[1:] and _largest_preactivation(case) > 10


def _block_error(got: dict, case: NetCase, block: str) -> float:
    where = case.blocks()[block][0]
    return float(numgrad.relative_error(got["analytic"][where], got["numerical"][where]).max())


def _ok(got: dict, case: NetCase, block: str) -> bool:
    return _block_error(got, case, block) <= tol.GRADCHECK_RTOL


def _permuted_order(analytic: np.ndarray, numerical: np.ndarray, case: NetCase) -> list[str] | None:
    """If the analytic gradient is the numerical one with its blocks concatenated in another
    order, that order."""
    blocks = case.blocks()
    sizes = {b: blocks[b][0].stop - blocks[b][0].start for b in BLOCKS}
    for order in permutations(BLOCKS):
        if list(order) == list(BLOCKS):
            continue
        pieces, ofs = {}, 0
        for b in order:
            pieces[b] = analytic[ofs:ofs + sizes[b]]
            ofs += sizes[b]
        rebuilt = np.concatenate([pieces[b] for b in BLOCKS])
        if numgrad.relative_error(rebuilt, numerical).max() <= tol.GRADCHECK_RTOL:
            return list(order)
    return None


@pytest.mark.consistency
@pytest.mark.points(4)
@pytest.mark.part("W1")
def test_gradient_W1(student, report, maybe_reference):
    _check_block(student, report, maybe_reference, "W1")


@pytest.mark.consistency
@pytest.mark.points(3)
@pytest.mark.part("b1")
def test_gradient_b1(student, report, maybe_reference):
    _check_block(student, report, maybe_reference, "b1")


@pytest.mark.consistency
@pytest.mark.points(4)
@pytest.mark.part("W2")
def test_gradient_W2(student, report, maybe_reference):
    _check_block(student, report, maybe_reference, "W2")


@pytest.mark.consistency
@pytest.mark.points(3)
@pytest.mark.part("b2")
def test_gradient_b2(student, report, maybe_reference):
    _check_block(student, report, maybe_reference, "b2")


# ---- against the reference --------------------------------------------------------------------
def _convention(cost: float, ref_cost: float, M: int) -> conventions.Convention | None:
    """Summed or averaged over the batch (the handout fixes the sign: a cross-entropy), within
    SCALE_RTOL of the cost, and of each example's term however small the term (summed or averaged
    as the cost is): float32 inside the network leaves about 1e-7 of the cost on it, more than
    REFERENCE_RTOL on some draws only (a float32 network scored 65 or 72 by the secret), and a
    log carries its argument's relative rounding as an absolute error, so a term near 0 is off by
    about 1e-7 too. As for word2vec, a cost off by 1e-6 of itself passes; by 1e-5, it fails."""
    for convention in conventions.SCALES:
        expected = abs(float(convention.of(float(ref_cost), M)))
        terms = abs(float(convention.of(float(M), M)))  # M summed, 1 averaged
        atol = max(tol.REFERENCE_ATOL, tol.SCALE_RTOL * max(expected, terms))
        if conventions.detect(cost, ref_cost, M, among=(convention,), rtol=tol.REFERENCE_RTOL,
                              atol=atol):
            return convention
    return None


# Where the student's own cost tells summed from averaged: asked once a grade, by the first check
# that compares the cost (the same requests for every submission, so a recipe replays them all).
SCALE_CASE = NetCase(3, 3, 4, 3, 17)


def _own_scale(student, shared) -> str | None:
    return _own_cost_scale(student, shared, SCALE_CASE)


def _convention_holds(student, shared, case: NetCase,
                      convention: conventions.Convention | None) -> conventions.Convention | None:
    """`convention`, unless it is "averaged" only by coincidence. With M = 2 examples, half the
    summed cost is the average (a third of it, at M = 3): a cost wrong by that factor passed for
    averaged there, and the right summed gradient was then failed as a mix of conventions. An
    averaged cost is the mean of the costs of its examples taken one at a time (asked of the
    student's own function: no reference needed), a halved one is their sum."""
    if convention is None or convention.scale != "averaged" or not 2 <= case.M <= 4:
        return convention
    return convention if _own_scale(student, shared) == "averaged" else None


def _reference(reference, case: NetCase) -> tuple[float, np.ndarray]:
    data, labels, params = case.arrays()
    cost, grad = reference.forward_backward_prop(data, labels, params, case.dimensions)
    return float(cost), np.asarray(grad, dtype=np.float64)


def _reference_example_costs(reference, case: NetCase) -> np.ndarray:
    """The reference's cost of each example of the case alone, -log(y_hat of its label)."""
    data, labels, params = case.arrays()
    return np.array([float(reference.forward_backward_prop(data[i:i + 1], labels[i:i + 1], params,
                                                           case.dimensions)[0])
                     for i in range(case.M)])


def _guard(student, shared, case: NetCase, cost: float, reference_costs: np.ndarray,
           gradients: tuple | None = None) -> conventions.Convention | None:
    """The convention (summed or averaged) of a cost that is the cross-entropy with one small
    constant eps inside the log, -log(y_hat + eps); None when the cost is not that. Read from the
    examples one at a time (one call each): the reference's costs give y_hat, the submission's
    must be exactly -log(y_hat + eps) for one eps, and its cost of the whole case their sum or
    mean. Only a failure asks, so a passing check never pays. y_hat clipped at such an eps
    (np.clip(y_hat, 1e-7, 1 - 1e-7), as Keras does) is the same protection: the confident network
    (inputs.NetCase.confident) puts y_hat far below eps, where it shows.
    `gradients` (the submission's, the reference's): a guard leaves the gradient the
    cross-entropy's, to eps or so. On a label probability of 1e-25 any cost a little low fits some
    eps of 1e-28, as a sigmoid clipped at 10 did (its gradient is off by 1e-3): a floor on eps
    (1e-16) failed the guards below it, and guards near 1e-28 by the secret."""
    key = ("fbp-guard", case, cost, gradients is not None)
    if key in shared:
        return shared[key]
    found = None
    own = _example_costs(student, shared, case)
    if own is not None:
        eps = log_guards.guard_eps(own, reference_costs, GUARD_LIMIT)
        if eps is not None:
            found = conventions.detect(cost, float(own.sum()), case.M,
                                       among=conventions.SCALES, rtol=1e-9, atol=1e-12)
        if found is not None and gradients is not None:
            grad, ref_grad = gradients
            # Of either scale: whether it follows the cost's is gradient_matches_reference's to
            # judge. (A clip reused in the gradient moves each entry by eps times its terms.)
            atol = max(tol.reference_atol(ref_grad, 1.0), 100 * case.M * eps)
            if grad is None or conventions.detect(grad, ref_grad, case.M,
                                                  among=conventions.SCALES,
                                                  rtol=tol.REFERENCE_RTOL, atol=atol) is None:
                found = None
    shared[key] = found
    return found


def _example_costs(student, shared, case: NetCase) -> np.ndarray | None:
    """The submission's cost of each example of the case alone (one call each), or None when
    it gave none. Asked by a failure only."""
    key = ("fbp-example-costs", case)
    if key not in shared:
        data, labels, params = case.arrays()
        call = _call_text(case)
        try:
            shared[key] = np.array([
                _unpack(r.value, case, call, gradient=False, positive=False)[0]
                for r in student.many([(data[i:i + 1], labels[i:i + 1], params, case.dimensions)
                                       for i in range(case.M)])])
        except (CheckFailure, StudentError):
            shared[key] = None
    return shared[key]


def _oversized_guard(student, shared, reference, case: NetCase, cost: float,
                     reference_costs: np.ndarray) -> float | None:
    """The eps of a cost that is the cross-entropy (summed or averaged) under a protection
    against log(0) (grader/log_guards.py) with a constant larger than GUARD_LIMIT (up to
    GUARD_DIAGNOSED): a wrong cost whose cause can be named. None otherwise. Read from several
    examples: on one alone any cost a little low fits some eps (a cost 1e-5 low was named a
    guard), so a case of one example is read on the handout's network (whose reference costs
    every check that uses it asks, in a student's copy too)."""
    if case.M == 1:
        case = HANDOUT_CASE
        try:
            cost = _run(student, case, gradient=False)[0]
        except (CheckFailure, StudentError):
            return None
        reference_costs = _reference_example_costs(reference, case)
    own = _example_costs(student, shared, case)
    if own is None:
        return None
    eps = log_guards.guard_eps(own, reference_costs, GUARD_DIAGNOSED)
    if eps is None or eps <= GUARD_LIMIT * (1 + 1e-6):
        return None
    if conventions.detect(cost, float(own.sum()), case.M, among=conventions.SCALES,
                          rtol=1e-9, atol=1e-12) is None:
        return None
    return eps


def _guard_finding(eps: float) -> str:
    return (f"your cost is the cross-entropy with eps = {eps:.2g} inside the log, "
            f"log(y_hat + eps) (or y_hat clipped at eps): a guard against log(0) may be up to "
            f"{GUARD_LIMIT:g}, and none is needed (the log of a softmax output is finite unless "
            "it underflowed to 0).")


def _guard_explains(student, shared, case: NetCase, got: dict, reference: tuple,
                    reference_costs: np.ndarray) -> bool:
    """A gradient that disagrees with the derivative of the submission's own cost only because
    that cost is log-guarded (_guard): the gradient itself is the cross-entropy's, exactly."""
    convention = _guard(student, shared, case, got["cost"], reference_costs)
    if convention is None:
        return False
    expected = convention.of(reference[1], case.M)
    return bool(np.allclose(got["analytic"], expected, rtol=tol.REFERENCE_RTOL,
                            atol=tol.REFERENCE_ATOL))


SCALE_READ_RTOL = 0.05  # how near a wrong cost must be to one scale to be read as that scale


# The handout's own network (M = 20): hypothesis draws M <= 6, and only the gradient checks,
# which compare the gradient with the submission's own cost, met larger batches. A backward pass
# over the first 6 examples only, with a cost that answered the gradient checks' perturbed calls
# from its own gradient, kept every point; and a cost summed for small batches and averaged for
# larger ones was taken for both conventions.
HANDOUT_CASE = GRADCHECK_CASES[2]
# Label probabilities of about 1e-28 to 1e-20, a hidden pre-activation of 12 (NetCase.confident).
CONFIDENT_CASE = NetCase(4, 3, 4, 3, 21, confident=True)
SMALL_CASE = NetCase(3, 2, 3, 2, 7)
SQUARE_CASE = NetCase(3, 3, 3, 3, 8)
# gradient_matches_reference's explicit examples, in the order every grade tries them first.
GRADIENT_EXAMPLES = (SMALL_CASE, SQUARE_CASE, HANDOUT_CASE, CONFIDENT_CASE)


@pytest.mark.points(7)
@whole_cases
@given(case=net_cases())
@example(case=NetCase(3, 2, 3, 2, 7))
# M == Dy: a softmax summed without keepdims divides by the wrong sums exactly there (and raises
# elsewhere, where a student's fallback reshapes it right); 2 of 11 secrets drew no such case.
@example(case=NetCase(3, 3, 3, 3, 8))
@example(case=HANDOUT_CASE)
@example(case=CONFIDENT_CASE)
def test_cost_matches_reference(student, reference, report, case):
    _own_scale(student, report.shared)
    data, labels, params = case.arrays()
    value = student(data, labels, params, case.dimensions)
    cost, _ = _unpack(value, case, _call_text(case), gradient=False)
    ref_cost, ref_grad = _reference(reference, case)
    # Asked on every example, not only on a failure: see _check_block.
    ref_costs = _reference_example_costs(reference, case)
    convention = _convention_holds(student, report.shared, case,
                                   _convention(cost, ref_cost, case.M))
    if convention is None:
        convention = _guard(student, report.shared, case, cost, ref_costs,
                            gradients=(_flat_gradient(value, case), ref_grad))
        if convention is not None:
            report.flag(HINTS["log_guarded"], if_passes=True)
    if convention is None:
        eps = _oversized_guard(student, report.shared, reference, case, cost, ref_costs)
        fail_call("wrong cost: neither the cross-entropy summed over the examples nor its "
                  f"average{_simple_ratio_note(cost, ref_cost, case, value, ref_grad)}.",
                  _call_text(case), returned=repr(cost),
                  expected=f"{ref_cost!r} (summed over the M = {case.M} examples) or "
                           f"{ref_cost / case.M!r} (averaged)",
                  **({"finding": _guard_finding(eps), "evidence": {"guard_eps": eps}}
                     if eps is not None else _output_layer_hint(cost, case)))
    own = _own_scale(student, report.shared)
    if case.M > 1 and own is not None and convention.scale != own:
        fail_call(f"your cost is {convention.scale} over the M = {case.M} examples of this batch, "
                  f"but {own} over the M = {SCALE_CASE.M} examples of "
                  f"{_call_text(SCALE_CASE)}: a convention is a rule for every batch size "
                  "(summed or averaged, either is accepted, the same for every batch).",
                  _call_text(case), returned=repr(cost),
                  expected=f"{ref_cost if own == 'summed' else ref_cost / case.M!r} ({own}, "
                           f"as your cost is for M = {SCALE_CASE.M})")
    if case.M > 1:
        report.note(f"forward_backward_prop: your cost is {convention.scale} over the examples of a batch "
                    "(either is accepted; the gradient must follow the same convention).",
                    if_passes=True)


def _output_layer_hint(cost, case: NetCase) -> dict:
    """{hint, evidence} when the cost is the cross-entropy of sigmoid(z2), summed or averaged,
    where softmax(z2) belongs (real 2017 code used the hidden layer's sigmoid twice); else {}.
    Computed from the case's own numbers, as the network is defined."""
    arrays = case.arrays()
    z2 = _output_scores(case, arrays)
    with np.errstate(all="ignore"):
        # -sum log sigmoid(z2)[label]
        summed = float(-np.sum(arrays[1] * -np.logaddexp(0.0, -z2)))
    try:
        cost = float(cost)
    except (TypeError, ValueError):
        return {}
    for scale, value in (("summed", summed), ("averaged", summed / case.M)):
        if np.isfinite(value) and np.isclose(cost, value, rtol=tol.REFERENCE_RTOL,
                                             atol=tol.REFERENCE_ATOL):
            return {"hint": HINTS["output_sigmoid"],
                    "evidence": {"sigmoid_output_cost": value, "scale": scale}}
    return {}


def _size_divided_by(ratio: float | None, case: NetCase, other: float | None) -> str:
    """"1 over Dy = ...: ..." when the cost and the gradient are both off by one factor (`ratio`,
    and `other` the other's), one over a size of the network other than the batch's: the two
    divided by dimensions[2], the number of classes, for the number of examples (real 2017 code),
    which a case of Dy = 2 shows as a factor of 1/2, and the hint of squares and terms counted
    twice then sent the student looking for what their code did not do. A cost or a gradient
    halved alone is no division by a size, and gets "". """
    if ratio is None or other is None or not 0 < ratio < 1 or abs(other - ratio) > 1e-6 * ratio:
        return ""
    entries = case.M * case.Dy
    if case.M > 1 and case.Dy > 1 and abs(ratio * entries - 1) < 1e-9:
        # np.mean of labels * log(yhat), an M x Dy array: the mean over every entry (probe s59).
        return (f"1 over M x Dy = {case.M} x {case.Dy} = {entries}, the number of entries of an "
                f"M x Dy array: a mean over every entry (np.mean of labels times the log of the "
                f"output) divides by that, where an average over the examples divides by their "
                f"number alone, M = data.shape[0] = {case.M}")
    sizes = [f"{name} = dimensions[{i}] = {n}"
             for i, (name, n) in enumerate((("Dx", case.Dx), ("H", case.H), ("Dy", case.Dy)))
             if n > 1 and n != case.M and abs(ratio * n - 1) < 1e-9]
    if not sizes:
        return ""
    return (f"1 over {' or '.join(sizes)}: is something divided by a size of the network where "
            f"an average over the examples divides by their number, M = data.shape[0] = {case.M}?")


def _simple_ratio_note(cost, ref_cost: float, case: NetCase, value, ref_grad) -> str:
    """ " (yours is half of the summed one)" when the cost is a simple fraction (denominator up to
    12) of the summed cross-entropy: the factor is then the whole mistake (cost_scaled), and the
    hint points here for it, with the size of the network it is one over, if any. Empty
    otherwise, where a ratio would be noise."""
    try:
        ratio = float(cost) / float(ref_cost)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return ""
    if not np.isfinite(ratio) or ratio == 0.0:
        return ""
    simple = Fraction(ratio).limit_denominator(12)
    if abs(float(simple) - ratio) > 1e-9 * abs(ratio) or simple == 1:
        return ""
    grad = _flat_gradient(value, case)
    grad_ratio = None if grad is None else conventions.constant_ratio(
        grad, ref_grad, rtol=1e-6, atol=1e-12, prefer=(float(simple),))
    size = _size_divided_by(float(simple), case, grad_ratio)
    return (f" (yours is {conventions.describe_ratio(float(simple))} the summed one"
            f"{'; that is ' + size if size else ''})")


@pytest.mark.points(7)
@pytest.mark.judges_parts(*BLOCKS)
@whole_cases
@given(case=net_cases())
@example(case=SMALL_CASE)
# Every layer square (Dx == H == Dy): a gradient block transposed, and transposed back only when
# its shape would not fit, is wrong exactly there; hypothesis's draws held no such network, and
# gradW2 = delta.T.dot(h) scored 96 (72 under a course secret whose draws had one).
@example(case=SQUARE_CASE)
@example(case=HANDOUT_CASE)
@example(case=CONFIDENT_CASE)
def test_gradient_matches_reference(student, reference, report, case):
    _own_scale(student, report.shared)
    # The gradient's values are judged here, whatever the cost's sign: a cost of the wrong sign
    # fails the checks of the cost, and a right gradient beside it earned nothing (0 where a
    # halved cost beside it earns this check's points).
    cost, grad = _run(student, case, positive=False)
    ref_cost, ref_grad = _reference(reference, case)
    convention = _gradient_convention(student, report.shared, case, cost, ref_cost)
    followed = conventions.detect(grad, ref_grad, case.M, among=conventions.SCALES,
                                  rtol=tol.REFERENCE_RTOL, atol=tol.reference_atol(ref_grad, 1.0))
    detected = convention is not None
    negated = None
    if not detected:  # the cost is wrong (another check says so): accept either convention
        if followed is not None:
            return
        # A cost of the wrong sign (the log-likelihood) follows no convention and fails the
        # checks of the cost; its scale still says which gradient to compare with, and the
        # message names the sign instead of "neither summed nor averaged".
        negated = _convention(-cost, ref_cost, case.M)
        if negated is not None and not _negated_reading_holds(negated.scale, case.M):
            negated = None
        convention = negated or conventions.CROSS_ENTROPY_SUMMED
    expected = convention.of(ref_grad, case.M)
    # Besides rtol, SCALE_RTOL of the largest entry, or of 1 (y_hat - y, which every entry sums,
    # is computed from probabilities of order 1), as for every value compared with the reference
    # here (tol.SCALE_RTOL): float32 inside the network leaves a few 1e-8 on every entry, and
    # y_hat clipped at 1e-7 in the gradient too (Keras) 1e-7 where y_hat is below it.
    atol = tol.reference_atol(expected, 1.0)
    if np.allclose(grad, expected, rtol=tol.REFERENCE_RTOL, atol=atol):
        return
    hint = None
    if followed is not None:  # right for the other scale: a mix of conventions
        hint = HINTS["grad_summed_cost_averaged" if followed.scale == "summed" else "grad_averaged_cost_summed"]
    wrong, gaps, ratios = [], {}, {}
    for block, (where, shape) in case.blocks().items():
        gap = np.abs(grad[where] - expected[where]).max()
        gaps[block] = gap
        if not np.allclose(grad[where], expected[where], rtol=tol.REFERENCE_RTOL, atol=atol):
            wrong.append(f"{block} (largest difference {gap:.3g})")
            ratios[block] = conventions.constant_ratio(grad[where], expected[where], rtol=1e-6,
                                                       atol=tol.REFERENCE_ATOL)
    finding, facts = None, {}
    transposed = _transposed_blocks(grad, expected, case, rtol=tol.REFERENCE_RTOL,
                                    atol=tol.REFERENCE_ATOL)
    if hint is None and transposed and len(transposed) == len(ratios):
        hint, facts = HINTS["grad_block_transposed"], {"transposed": transposed}
        finding = _transposed_finding(
            transposed, case, lambda square: f"{' and '.join(square)} "
            f"{'holds' if len(square) == 1 else 'hold'} the transpose of the right block.")
    ratio = next(iter(ratios.values())) if len(set(ratios.values())) == 1 else None
    batch = case.M > 1 and ratio is not None and abs(ratio) in (case.M, 1 / case.M)
    if hint is None and batch and ratio == 1 / case.M and detected \
            and convention.scale == "averaged":
        hint, finding, facts = (HINTS["grad_averaged_twice"], f"the gradient is 1/M = 1/{case.M} "
                                "of the averaged one: divided by M once too often.",
                                {"ratio_to_expected": ratio})
    elif hint is None and not batch and conventions.is_simple(ratio):
        # every wrong block is the same small constant times the right one: name the constant
        whole = len(ratios) == len(BLOCKS)
        hint, finding, facts = constant_factor(
            "your gradient" if whole else f"each of {', '.join(ratios)}", ratio,
            "the correct one" if whole else "its correct block")
        size = _size_divided_by(ratio, case, cost / ref_cost if ref_cost else None)
        if size:  # the cost is off by the same factor: no slip in the gradient's formula
            hint, finding = None, f"{finding} So is your cost: that is {size}"
        elif whole and ratio == -1.0 and negated is not None:
            finding = (f"{finding} So is your cost, the log-likelihood: your gradient is its "
                       "derivative, and the cross-entropy's cost and gradient are the negatives "
                       "of both.")
    if detected:
        why = "the convention your cost follows"
    elif negated is not None:
        why = (f"your cost is the negative of the cross-entropy {negated.scale} over the "
               "examples, the log-likelihood, and the gradient matches neither convention")
    else:
        why = ("your cost is neither summed nor averaged, and the gradient matches neither "
               "convention")
    # Which blocks are shown right, for the gradient checks' points (their @pytest.mark.part):
    # only against a convention the cost follows, else no block is.
    parts = (_parts_verdict(student, report.shared, reference, case, list(ratios)) if detected
             else parts_evidence((), ()))
    fail_call(f"wrong gradient in {', '.join(wrong)}, compared with the correct gradient of a cost "
              f"{convention.scale} over the batch ({why}).", _call_text(case),
              returned=grad, expected=expected, hint=hint, finding=finding or "",
              evidence={**facts, **parts,
                        "convention": convention.scale, "convention_detected": detected,
                        "largest_difference_per_block": gaps,
                        # where W1, b1, W2, b2 sit in the flat vectors, so a report shows blocks
                        "layout": {name: [where.start, where.stop, *shape]
                                   for name, (where, shape) in case.blocks().items()}})


def _gradient_convention(student, shared, case: NetCase, cost: float,
                         ref_cost: float) -> conventions.Convention | None:
    """The convention (summed or averaged) the submission's cost follows on `case`, which its
    gradient must follow too; None where the cost follows neither."""
    convention = _convention_holds(student, shared, case, _convention(cost, ref_cost, case.M))
    if convention is None and case.M > 1:
        # A cost a little off (log(y_hat + eps), which cost_matches_reference accepts) still
        # shows its scale, and the gradient must follow it: a guarded summed cost beside an
        # averaged gradient scored 21. Read to 5%: the two scales differ by a factor of M. Only
        # where the student's own cost has that scale (of its examples' costs one at a time, the
        # mean or the sum, whatever M): the cost of the first example alone came within 0.81% of
        # the mean of five near-alike examples, and the right summed gradient failed as a mix.
        loose = conventions.detect(cost, ref_cost, case.M, among=conventions.SCALES,
                                   rtol=SCALE_READ_RTOL, atol=0.0)
        convention = (loose if loose is not None
                      and _own_scale(student, shared) == loose.scale else None)
    return convention


def _blocks_wrong(grad: np.ndarray, expected: np.ndarray, case: NetCase) -> list[str]:
    """The blocks of `grad` that are not `expected`'s, as gradient_matches_reference judges."""
    atol = tol.reference_atol(expected, 1.0)
    return [block for block, (where, _) in case.blocks().items()
            if not np.allclose(grad[where], expected[where], rtol=tol.REFERENCE_RTOL, atol=atol)]


def _blocks_wrong_on(student, shared, reference, case: NetCase) -> list[str] | None:
    """The blocks of the submission's gradient wrong on `case` (against the reference, in the
    convention its cost follows there); None where that cannot be told: the call failed, or the
    cost follows no convention. Asked by a failure only, once a case."""
    key = ("fbp-blocks-wrong", case)
    if key not in shared:
        try:
            cost, grad = _run(student, case, positive=False)
            ref_cost, ref_grad = _reference(reference, case)
            convention = _gradient_convention(student, shared, case, cost, ref_cost)
        except (CheckFailure, StudentError, StudentUnavailable, NotKnown):
            convention = None
        shared[key] = (None if convention is None else
                       _blocks_wrong(grad, convention.of(ref_grad, case.M), case))
    return shared[key]


def _parts_verdict(student, shared, reference, case: NetCase, wrong_here) -> dict:
    """Which blocks of the gradient are shown right (scoring.parts_evidence): right on the
    failing `case` (`wrong_here` names its wrong blocks) and on every explicit example of the
    check. A failure ends the check at its first failing case, and a block right there may be
    wrong on a case not yet tried (W2 transposed on square networks only): the explicit ones,
    those every grade tries first, are asked too. A case that cannot be judged shows no block
    right."""
    wrong = set(wrong_here)
    judged = True
    for other in GRADIENT_EXAMPLES:
        found = [] if other == case else _blocks_wrong_on(student, shared, reference, other)
        if found is None:
            judged = False
        else:
            wrong.update(found)
    right = [b for b in BLOCKS if b not in wrong] if judged else []
    return parts_evidence(right, [b for b in BLOCKS if b in wrong])


# ---- computed by backpropagation ---------------------------------------------------------------
# How far the large network's gradient may be from central differences of the cost along one
# direction, relative to the size of that derivative (or, where the direction happens to be
# nearly flat, to a typical one: |grad| / sqrt(n)). Not a gradient check (the small networks'
# checks hold the gradient to GRADCHECK_RTOL): it tells an answer from a placeholder or an
# approximation, as a guarded log's gradient (off by at most 2.5e-4 of it here, where y_hat is
# near 1/120) is an answer. Against an absolute 1e-3, where grad . d is 0.01 to 0.08, a gradient
# 1% off on large networks only passed, and one 2% off passed or failed by the course secret.
DIRECTION_RTOL = 1e-3
# Along a direction within one block: a guarded log's discrepancy reaches 4.6e-4 of it there
# (31 draws, log(y_hat + 1e-6)); a block 1% off is 1e-2 of it.
BLOCK_DIRECTION_RTOL = 2e-3


@pytest.mark.method
@pytest.mark.live  # timed: an answer read from a recipe says nothing of how long it took
@pytest.mark.points(3)
def test_gradient_by_backpropagation(student, report, maybe_reference):
    """A gradient by finite differences of the cost is right on small networks and costs a
    forward pass per parameter: on LARGE_CASE it runs out of a quarter of the call deadline
    where backpropagation takes milliseconds. A gradient right on the small networks must be one
    there too (along a random direction it agrees with central differences of the submission's
    own cost): not a placeholder for networks too large to difference. A gradient wrong on the
    small networks is a wrong formula, which the gradient checks name; this check does not count
    it twice."""
    case = LARGE_CASE
    # Asked on every run, not only where it decides: a student's copy answers these from the
    # known answers, which hold what the reference's own grade asked.
    small = None if maybe_reference is None else [
        (_reference(maybe_reference, c), _reference_example_costs(maybe_reference, c))
        for c in GRADCHECK_CASES]
    data, labels, params = case.arrays()
    # Weights of order 1/sqrt(fan-in), as a network is initialised: the scores stay of order 1,
    # so no y_hat is tiny (a guarded log then stays within DIRECTION_RTOL).
    params = params / np.sqrt(case.H)
    call = (f"forward_backward_prop(data of shape {data.shape}, labels of shape {labels.shape}, "
            f"params of shape {params.shape}, {case.dimensions})  [{case}: "
            f"{case.n_params:,} parameters]")
    within = TIMED_SHARE * student.call_seconds
    try:
        value = student.call(data, labels, params, case.dimensions, within=within).value
    except StudentTimeout as exc:
        if exc.budget:
            raise
        fail_call(f"no answer within {within:g} s on a network of {case.n_params:,} parameters; "
                  "backpropagation takes a few milliseconds there. A gradient by finite "
                  f"differences needs {2 * case.n_params:,} forward passes; a Python loop over "
                  "an array's entries is slow there too.", call,
                  hint=HINTS["gradient_by_finite_differences"])
    _, grad = _unpack(value, case, call, arrays=(data, labels, params))
    g = rng(case.seed)
    whole = g.standard_normal(case.n_params)
    # One direction over every parameter, then one inside each block: an approximation in one
    # block (b2 5% off) moved a single direction by less than the tolerance on some draws, and
    # passed the student's copy while failing under a course secret.
    directions = [("a random direction d", whole / np.linalg.norm(whole), slice(None),
                   DIRECTION_RTOL)]
    for name, (where, _) in case.blocks().items():
        d = np.zeros(case.n_params)
        d[where] = g.standard_normal(where.stop - where.start)
        directions.append((f"a random direction d within {name}", d / np.linalg.norm(d), where,
                           BLOCK_DIRECTION_RTOL))
    h = tol.GRADCHECK_STEP
    costs = [_unpack(r.value, case, call, gradient=False)[0] for r in student.many(
        [(data, labels, params + s * h * d, case.dimensions)
         for _, d, _, _ in directions for s in (1, -1)])]
    for k, (label, d, where, rtol) in enumerate(directions):
        along = float(grad @ d)
        numerical = (costs[2 * k] - costs[2 * k + 1]) / (2 * h)
        part = grad[where]
        typical = float(np.linalg.norm(part)) / np.sqrt(part.size)
        if abs(along - numerical) > rtol * max(abs(along), abs(numerical), typical) \
                and _right_on_small_networks(student, report.shared, small):
            fail_call(f"on a network of {case.n_params:,} parameters the gradient is not the "
                      f"derivative of your cost: along {label}, grad . d = {along:.6g} but "
                      f"central differences of your cost give {numerical:.6g}.", call,
                      hint=HINTS["gradient_by_finite_differences"])


# "Right on the small networks", for the check above: the formula, not every digit. A log guard
# and float32 stray from central differences of their own cost by more than GRADCHECK_RTOL, which
# the gradient checks judge; held to that, they switched this check off, and a placeholder for
# large networks beside log(y_hat + 1e-8) kept every point. A wrong formula is off by 1e-2 or
# more.
FORMULA_RTOL = 1e-3


def _right_on_small_networks(student, shared, references: list | None) -> bool:
    """Whether the gradient is the derivative of the submission's cost on every small network
    (the gradient checks' own cases, whose measurements are shared with them): within
    FORMULA_RTOL of its central differences, or the cross-entropy's own gradient beside a
    guarded cost (_guard_explains, from the `references`' ((cost, gradient), example costs) of
    those networks), whose central differences stray further where a y_hat is tiny. A cost off
    by a factor, or a float32 one, is neither: the large case's central differences would judge
    the gradient against it."""
    try:
        outcomes = [_gradient_check(student, shared, case) for case in GRADCHECK_CASES]
    except (CheckFailure, StudentError, StudentUnavailable):
        return False  # the gradient checks say what went wrong there
    for k, (case, o) in enumerate(zip(GRADCHECK_CASES, outcomes)):
        if numgrad.relative_error(o["analytic"], o["numerical"]).max() <= FORMULA_RTOL:
            continue
        if references is None or not _guard_explains(student, shared, case, o, *references[k]):
            return False
    return True
