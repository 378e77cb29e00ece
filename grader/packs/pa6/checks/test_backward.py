"""Checks of backward(x, y, W1, b1, W2, b2, U, b3) -> {'W1': dW1, 'b1': db1, ..., 'b3': db3}.

Two scales are right: the gradient of the averaged loss (the slides' loss, the course's first
homework) or the summed minibatch gradient (PA6: B times the first). grader/conventions.py detects
which one each block follows; every block must follow the same one, and the report says which.
The numerical-gradient checks compare each block, on its own, with central differences of the
loss computed by the grader (a check calls only the function it grades, so a wrong forward or
loss costs their own checks, not these)."""
import numpy as np
import pytest
from hypothesis import given

from grader import conventions, numgrad
from grader import tolerances as tol
from grader.checks_api import CheckFailure, call_text, fail_call, lazy_text, show, whole_cases
from grader.packs.pa6 import inputs
from grader.packs.pa6.common import SCALES, blocks, gradient_atol, scale_sentence, shapes_of
from grader.packs.pa6.hints import HINTS
from grader.proxy import StudentError

pytestmark = pytest.mark.function("backward")
BLOCKS = inputs.BLOCKS
ARGS = ("x", "y") + BLOCKS


def _call(a, case=None):
    if case is None:
        return call_text("backward", *(a[k] for k in ARGS))
    return lazy_text(lambda: "backward(" + ", ".join(f"{k} of shape {a[k].shape}" for k in ARGS)
                     + f")  [{case}]")


def _run(student, a, case=None):
    call = _call(a, case)
    return blocks(student(*(a[k].copy() for k in ARGS)), call, shapes_of(a), "the result"), call


def _sign_hint(got, canonical, n, rtol, atol):
    """gradient_sign when the block is the right one with the other sign (at either scale)."""
    f = conventions.factor_between(got, canonical, n, rtol=max(rtol, 1e-6), atol=atol)
    if f is not None and f < 0:
        return HINTS["gradient_sign"]
    return None


def _constant_factor(got, canonical, wrong, n, k, among, rtol, atol):
    """(convention, ratio) when every block of `wrong` is one and the same constant times its
    gradient under a convention of `among`, on top of that convention's own factor; else None.
    A factor of 1/K or K (K classes, an average over every entry of yhat - y) is looked for first,
    under every convention, then any small fraction (conventions.is_simple). A lone bias block is
    never enough: a wrong formula can be a multiple of a vector of few, tied entries (b3's sum to
    0) by construction."""
    if len(wrong) < 2 and all(got[b].ndim < 2 for b in wrong):
        return None
    found = []
    for convention in among:
        ratios = {conventions.constant_ratio(got[b], convention.of(canonical[b], n), rtol=rtol,
                                             atol=atol, prefer=(1 / k, float(k))) for b in wrong}
        if len(ratios) == 1 and None not in ratios:
            found.append((convention, ratios.pop()))
    for convention, ratio in found:
        if ratio in (1 / k, float(k)):
            return convention, ratio
    for convention, ratio in found:
        if conventions.is_simple(ratio):
            return convention, ratio
    return None


def _factor_sentence(wrong, ratio, convention, k) -> str:
    whole = len(wrong) == len(BLOCKS)
    what = "every block" if whole else f"each of {', '.join(wrong)}"
    why = f": 1/K, with K = {k} classes" if ratio == 1 / k else (
        f": K, with K = {k} classes" if ratio == k else "")
    return (f"{what} is {conventions.describe_ratio(ratio)} the gradient {convention.scale} over "
            f"the examples, entry by entry (a constant factor of {ratio:.4g}{why}).")


def _relu_scaled(got, a, n, wrong, rtol, atol) -> bool:
    """Whether the wrong blocks are those of a backward that multiplies a layer's delta by
    relu(z) where relu_grad(z) belongs."""
    for layers in inputs.RELU_SCALED:
        variant = inputs.gradient(a, relu_scaled=layers)
        if all(conventions.detect(got[b], variant[b], n, among=conventions.SCALES, rtol=rtol,
                                  atol=atol) for b in wrong):
            return True
    return False


def _judge(got, canonical, a, n, call, report, rtol, atol, compared_with):
    """Pass when every block is the canonical gradient under one scale convention (and say which
    in the report); otherwise fail naming the blocks and the mistake."""
    found = conventions.detect_each(got, canonical, n, among=SCALES, rtol=rtol, atol=atol)
    convention = conventions.common(found, n)
    if convention is not None or not found:
        if convention is not None:
            report.note(f"backward: {scale_sentence(convention)}", if_passes=True)
        return
    evidence = {"conventions": {b: None if c is None else c.as_json() for b, c in found.items()},
                "batch_size": n, "compared_with": compared_with}
    if all(c is not None for c in found.values()):
        fail_call(f"the gradient blocks follow different scales with B = {n} examples: "
                  f"{conventions.mix(found, n)}", call,
                  detail="Either scale is right, but every block must follow the same one.",
                  hint=HINTS["gradient_scale_mix"], evidence=evidence)
    right = [c for c in found.values() if c is not None]
    expect = right[0] if right else conventions.CROSS_ENTROPY_AVERAGED
    wrong = [b for b, c in found.items() if c is None]
    hint = HINTS["backward_relu_not_relu_grad"] if _relu_scaled(got, a, n, wrong, rtol, atol) \
        else None
    hint = hint or _sign_hint(got[wrong[0]], canonical[wrong[0]], n, rtol, atol)
    finding, facts = [], {}
    if hint is None:
        # With no block right, either scale may be the one the factor is on top of.
        k = a["y"].shape[1]
        scaled = _constant_factor(got, canonical, wrong, n, k, [expect] if right else
                                  [expect, *(c for c in SCALES if c != expect)],
                                  max(rtol, 1e-6), atol)
        if scaled is not None:
            expect, ratio = scaled
            hint = HINTS["gradient_scaled"]
            finding = [_factor_sentence(wrong, ratio, expect, k)]
            facts = {"ratio_to_expected": ratio}
    lines = [f"{b}: returned {show(got[b])}\n    expected {show(expect.of(canonical[b], n))}"
             f"\n    (largest difference {_largest_difference(got[b], expect.of(canonical[b], n))}"
             f"; allowed {atol:.2g} + {rtol:g} x |expected|)" for b in wrong]
    fail_call(f"wrong gradient in {', '.join(wrong)}, compared with {compared_with} "
              f"({expect.scale} over the B = {n} examples, as your other blocks are).", call,
              detail="\n  ".join(lines), finding=" ".join(finding), hint=hint,
              evidence={**evidence, **facts, "wrong_blocks": wrong})


def _largest_difference(got, expected) -> str:
    return f"{float(np.max(np.abs(np.asarray(got, dtype=np.float64) - expected))):.2g}"


@pytest.mark.points(4)
@pytest.mark.published  # the pack's small network and its pinned gradient
def test_small_network(student, report):
    got, call = _run(student, inputs.SMALL)
    n = inputs.SMALL["x"].shape[0]
    canonical = {b: g * n for b, g in inputs.SMALL_GRAD.items()}
    _judge(got, canonical, inputs.SMALL, n, call, report, tol.KNOWN_VALUES_RTOL,
           tol.KNOWN_VALUES_ATOL, "the small network's known gradient")


@pytest.mark.points(6)
@whole_cases
@given(case=inputs.net_cases())
def test_matches_reference(student, reference, report, case):
    a = case.arrays()
    got, call = _run(student, a, case)
    ref = reference.backward(*(a[k].copy() for k in ARGS))
    # The reference returns the gradient of the averaged loss; canonical is the summed one.
    canonical = {b: np.asarray(ref[b], dtype=np.float64) * case.B for b in BLOCKS}
    _judge(got, canonical, a, case.B, call, report, tol.REFERENCE_RTOL, gradient_atol(canonical),
           "the reference's gradient")


@pytest.mark.points(2)
def test_order_of_multiplication(student):
    """Layers of widths 6 -> 5 -> 4 -> 3, all different: the error goes back a layer through the
    transposed weight (delta @ W.T), and any other order of multiplication raises here. When it
    does, the square network (every width 4), where delta @ W runs, tells which weight. Its
    values are the other checks' business."""
    case = inputs.GRADCHECK_CASES[0]
    a = case.arrays()
    try:
        _run(student, a, case)
        return
    except StudentError as exc:
        problem = f"backward raised {exc.type_name}: {exc.text}"
    square = inputs.SQUARE.arrays()
    n = inputs.SQUARE.B
    untransposed: tuple[str, ...] = ()
    try:
        got, _ = _run(student, square, inputs.SQUARE)
        for weights in inputs.UNTRANSPOSED:
            variant = inputs.gradient(square, untransposed=weights)
            if conventions.common(conventions.detect_each(
                    got, variant, n, among=SCALES, rtol=tol.REFERENCE_RTOL,
                    atol=tol.REFERENCE_ATOL), n) is not None:
                untransposed = weights
                break
    except (StudentError, CheckFailure):
        pass
    through = " and ".join(untransposed)
    detail = (f"With every layer square ({inputs.SQUARE}) backward runs, and its values are those "
              f"of a backward where the error goes back through {through} in place of "
              f"{' and '.join(w + '.T' for w in untransposed)}." if untransposed else "")
    fail_call(f"{problem}: with rows as examples the error goes back a layer through the "
              "transpose of the weights it came through, then through relu_grad at the layer "
              "below.", _call(a, case), detail=detail,
              hint=HINTS["backward_weight_not_transposed"] if untransposed else None,
              evidence={"untransposed": list(untransposed)})


# ---- central differences, block by block ---------------------------------------------------------
def _gradient_check(student, shared, case):
    """The student's gradient and central differences of the (averaged) loss in every coordinate,
    computed once per case for the session: the six block checks share them."""
    key = ("pa6-gradcheck", case)
    if key in shared:
        outcome = shared[key]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome
    try:
        a = case.arrays()
        got, call = _run(student, a, case)
        h = tol.GRADCHECK_STEP
        numerical = {}
        for b in BLOCKS:
            costs = [inputs.loss({**a, b: p}) for p in numgrad.perturbations(a[b], h)]
            numerical[b] = numgrad.from_costs(costs, a[b].shape, h)
        outcome = {"got": got, "numerical": numerical, "call": call, "a": a}
    except BaseException as exc:
        shared[key] = exc
        raise
    shared[key] = outcome
    return outcome


def _check_block(student, shared, block):
    # Both scales are compared with the numerical gradient of the averaged loss, so a summed
    # block's differences are B times larger: the tolerance is halved and taken as an absolute and
    # a relative part, never looser than numgrad's |a - n| / max(1, |a|, |n|) <= GRADCHECK_RTOL.
    tolerance = tol.GRADCHECK_RTOL / 2
    for case in inputs.GRADCHECK_CASES:
        out = _gradient_check(student, shared, case)
        got, numerical = out["got"][block], out["numerical"][block]
        n = case.B
        canonical = numerical * n
        if conventions.detect(got, canonical, n, among=conventions.SCALES, rtol=tolerance,
                              atol=tolerance) is not None:
            continue
        f = conventions.factor_between(got, numerical, n, rtol=1e-4, atol=1e-8)
        hint = HINTS["gradient_sign"] if f is not None and f < 0 else None
        if hint is None and _relu_scaled(out["got"], out["a"], n, [block], 1e-6, 1e-9):
            hint = HINTS["backward_relu_not_relu_grad"]
        finding, facts = "", {}
        if hint is None:
            scaled = _scaled_against_numerical(out, n, tolerance)
            if scaled is not None and block in scaled[0]:
                wrong, convention, ratio = scaled
                hint = HINTS["gradient_scaled"]
                finding = _factor_sentence(wrong, ratio, convention, out["a"]["y"].shape[1])
                facts = {"ratio_to_expected": ratio}
        err = numgrad.relative_error(got, numerical)
        err_sum = numgrad.relative_error(got, canonical)
        fail_call(f"d{block} is not the derivative of the loss: it is neither the central "
                  f"differences of the averaged loss nor B = {n} times them (the summed "
                  f"minibatch gradient).", f"{out['call']}, {block} of shape {got.shape}",
                  returned=got, expected=numerical,
                  detail=f"(expected = central differences of the averaged loss, h = "
                         f"{tol.GRADCHECK_STEP:g}; largest relative difference {err.max():.1e} to "
                         f"them, {err_sum.max():.1e} to B times them; allowed "
                         f"{tol.GRADCHECK_RTOL:g})",
                  finding=finding, hint=hint, evidence={"block": block, "case": str(case), **facts,
                                       "max_relative_error": float(min(err.max(), err_sum.max()))})


def _scaled_against_numerical(out, n, tolerance):
    """(wrong blocks, convention, ratio) when the blocks that are neither scale of the central
    differences are all one constant times them (_constant_factor); None otherwise."""
    canonical = {b: out["numerical"][b] * n for b in BLOCKS}
    wrong = [b for b in BLOCKS if conventions.detect(out["got"][b], canonical[b], n, among=SCALES,
                                                     rtol=tolerance, atol=tolerance) is None]
    scaled = _constant_factor(out["got"], canonical, wrong, n, out["a"]["y"].shape[1], SCALES,
                              rtol=1e-4, atol=1e-8)
    return None if scaled is None else (wrong, *scaled)


@pytest.mark.points(2)
def test_gradient_W1(student, report):
    _check_block(student, report.shared, "W1")


@pytest.mark.points(1.5)
def test_gradient_b1(student, report):
    _check_block(student, report.shared, "b1")


@pytest.mark.points(2)
def test_gradient_W2(student, report):
    _check_block(student, report.shared, "W2")


@pytest.mark.points(1.5)
def test_gradient_b2(student, report):
    _check_block(student, report.shared, "b2")


@pytest.mark.points(2)
def test_gradient_U(student, report):
    _check_block(student, report.shared, "U")


@pytest.mark.points(1)
def test_gradient_b3(student, report):
    _check_block(student, report.shared, "b3")


# ---- broadcasting over the batch -----------------------------------------------------------------
@pytest.mark.points(3)
@whole_cases
@given(case=inputs.net_cases())
def test_a_batch_is_its_rows(student, case):
    """The gradient of B rows at once is the sum (PA6) or the mean (the averaged loss) of the B
    one-row gradients, asked in one round trip; with one row the two scales agree."""
    a = case.arrays()
    got, call = _run(student, a, case)
    rows = [{**a, "x": a["x"][b:b + 1], "y": a["y"][b:b + 1]} for b in range(case.B)]
    singles = [blocks(r.value, _call(row), shapes_of(a), f"the result for row {i} alone")
               for i, (row, r) in enumerate(zip(rows, student.many(
                   [tuple(row[k].copy() for k in ARGS) for row in rows])))]
    total = {b: sum(s[b] for s in singles) for b in BLOCKS}
    # At the comparison with the reference's tolerance (gradient_atol): float32 rounds a batch and
    # its rows differently on some draws only.
    found = conventions.detect_each(got, total, case.B, among=SCALES, rtol=tol.REFERENCE_RTOL,
                                    atol=gradient_atol(total))
    if not found or conventions.common(found, case.B) is not None:
        return
    mix = conventions.mix(found, case.B)
    wrong = [b for b, c in found.items() if c is None] or list(found)
    fail_call(f"the batch's gradient is neither the sum nor the mean of its {case.B} rows' "
              f"gradients in {', '.join(wrong)}" + (f" ({mix})" if mix else "") + ".", call,
              returned=got[wrong[0]], expected=f"sum {show(total[wrong[0]])}, or mean "
              f"{show(total[wrong[0]] / case.B)}",
              hint=HINTS["gradient_scale_mix"] if mix else None)


@pytest.mark.points(1)
@pytest.mark.robustness
def test_arguments_unchanged(student):
    a = inputs.SMALL
    args = tuple(a[k].copy() for k in ARGS)
    result = student.call(*args, echo_args=True)
    blocks(result.value, _call(a), shapes_of(a), "the result")
    for name, before, after in zip(ARGS, args, result.args_after):
        if not np.array_equal(before, after):
            fail_call(f"backward changed its argument {name} in place.", _call(a),
                      detail=f"before: {show(before)}\n  after:  {show(after)}")
