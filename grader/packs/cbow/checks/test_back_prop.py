"""Checks of back_prop(x, yhat, y, h, W1, W2, b1, b2) -> (grad_W1, grad_W2, grad_b1, grad_b2), for
one example in the notebook's column convention.

Two modes (pack.toml [modes]):
- course (the default): the notebook's formulas (7) to (10). Its (7) and (9) pass W2^T (yhat - y)
  through ReLU, which is not the derivative of the loss; a submission that returns the true
  derivative (masked by z1 > 0) is accepted too, with a warning. The numerical-gradient check
  covers only the W2 and b2 blocks, where the formulas are the derivative.
- exact: every block must be the derivative of the loss: compared with central differences of
  cross_entropy_loss(softmax(z2), y), z2 from forward_prop, computed with the reference's own
  functions (the notebook's example included), and checked against the submission's own loss.
"""

import numpy as np
import pytest
from hypothesis import given

from grader import numgrad
from grader import tolerances as tol
from grader.checks_api import (as_array, call_text, describe_result, fail_call, shape_accepted,
                               shape_note, show, whole_cases)
from grader.packs.cbow import inputs
from grader.packs.cbow.common import mode
from grader.packs.cbow.hints import HINTS

pytestmark = pytest.mark.function("back_prop")
BLOCKS = inputs.BLOCKS  # W1, W2, b1, b2: the order of the results


def _shapes(a):
    N, V = a["W1"].shape
    return {"W1": (N, V), "W2": (V, N), "b1": (N, 1), "b2": (V, 1)}


def _args(a, f):
    return (a["x"], f["yhat"], a["y"], f["h"], a["W1"], a["W2"], a["b1"], a["b2"])


def _call_text(a, f):
    return call_text("back_prop", *_args(a, f))


def _layout(got_w1, got_w2, a, f) -> tuple[str, str] | None:
    """(the mistake's key, what each slot holds) when grad_W1 and grad_W2 hold the gradients in the
    wrong places: each other's, transposed, or each other's transposed. Shapes cannot tell these
    apart (a swap and a transposition of both give the same shapes; with N == V none changes them),
    so the values decide: each slot is compared with dJ/dW1 and dJ/dW2, as they are and transposed,
    by the notebook's formulas and by the derivative (either may be what a student followed), up to
    sign, so that a sign mistake does not hide where the blocks went. A slot that matches none is
    left to the value checks."""
    expected = ((inputs.course_gradient(a["x"], a["y"], a["W2"], f["h"], f["yhat"]), _course_close),
                (_derivative(a), _is_derivative))

    def holds(v, target, close):
        # A block of zeros tells nothing of where a gradient went: an all-zero grad_W2 "held
        # dJ/dW1 transposed" where that block was all zeros too, and the student was sent to
        # look for a .T that was not there (probe s54).
        return v.shape == target.shape and not close(np.zeros_like(target), target) and any(
            close(v, s * target) for s in (1.0, -1.0))

    placed = {}
    for slot, v in (("W1", got_w1), ("W2", got_w2)):
        if not isinstance(v, np.ndarray) or v.dtype.kind not in "biuf":
            continue  # not numbers: as_array says so
        v = v.astype(float)
        other = "W2" if slot == "W1" else "W1"
        ways = [(src, t) for src in (slot, other) for t in (False, True)]
        found = next(((src, t) for src, t in ways
                      if any(holds(v, e[src].T if t else e[src], close)
                             for e, close in expected)), None)
        if found is not None and found != (slot, False):
            placed[slot] = found
    if not placed:
        return None
    text = " and ".join(f"grad_{slot} holds dJ/d{src}{' transposed' if t else ''}"
                        for slot, (src, t) in placed.items())
    key = "gradient_transposed" if any(t for _, t in placed.values()) else "gradient_blocks_swapped"
    return key, text


def _order(value, got_shapes, a, f) -> str | None:
    """"the result holds (grad_W1, grad_b1, grad_W2, grad_b2), by ...", when the result's items
    are the four gradients in another order: each item is placed by its values where they are a
    gradient's (the notebook's formula or the derivative, up to sign, as _layout does), else by
    its shape where only one gradient left has it. "grad_W1 and grad_W2 have each other's
    shapes" was said whatever the order, to a grad_W1 in its right place (probe s62). None where
    an item cannot be placed, and where shapes alone place a weight gradient where its own
    transposed would be too (a swap and a transposition look alike there: _layout decides)."""
    shapes = _shapes(a)
    if None in got_shapes or sorted(got_shapes) != sorted(shapes[b] for b in BLOCKS):
        return None
    expected = ((inputs.course_gradient(a["x"], a["y"], a["W2"], f["h"], f["yhat"]), _course_close),
                (_derivative(a), _is_derivative))

    def holds(v, b) -> bool:
        # A block of zeros tells nothing of which gradient it is (see _layout).
        return any(not close(np.zeros_like(e[b]), e[b]) and any(close(v, s * e[b])
                                                                for s in (1.0, -1.0))
                   for e, close in expected)

    fits = [{b for b in BLOCKS if shapes[b] == s} for s in got_shapes]
    by_value = [{b for b in fit if isinstance(v, np.ndarray) and v.dtype.kind in "biuf"
                 and holds(v.astype(float), b)} for v, fit in zip(value, fits)]
    labels = [next(iter(m)) if len(m) == 1 else None for m in by_value]
    while None in labels:  # an item whose shape only one gradient left has is that gradient
        placed = False
        for i, fit in enumerate(fits):
            left = fit - {b for b in labels if b is not None}
            if labels[i] is None and len(left) == 1:
                labels[i], placed = next(iter(left)), True
        if not placed:
            return None
    if len(set(labels)) != len(BLOCKS) or labels == list(BLOCKS):
        return None
    for i, b in enumerate(labels):
        own = shapes[BLOCKS[i]]
        if b != BLOCKS[i] and not by_value[i] and got_shapes[i] == own[::-1] != own:
            return None
    basis = ("the shapes and values of its items" if any(by_value) else
             "the shapes of its items")
    return f"the result holds ({', '.join(f'grad_{b}' for b in labels)}), by {basis}"


def _unpack(value, a, f, call) -> dict:
    shapes = _shapes(a)
    if not isinstance(value, (tuple, list)) or len(value) != 4:
        fail_call(f"the result is {describe_result(value)}; expected a tuple of four arrays "
                  "(grad_W1, grad_W2, grad_b1, grad_b2).", call, returned=value)
    got_shapes = [getattr(v, "shape", None) for v in value]
    expected = [shapes[b] for b in BLOCKS]
    if got_shapes != expected and all(s is not None for s in got_shapes):
        shape_text = (f"shapes {got_shapes}, expected {expected} (grad_W1, grad_W2, grad_b1, "
                      "grad_b2)")
        returned = "\n  ".join(f"grad_{b}: returned {show(v)}" for b, v in zip(BLOCKS[:2], value))
        order = _order(value, got_shapes, a, f)
        if order is not None:
            fail_call(f"{order}; expected (grad_W1, grad_W2, grad_b1, grad_b2) in that order.",
                      call, detail=returned, hint=HINTS["gradient_blocks_swapped"],
                      evidence={"layout": order})
        layout = _layout(value[0], value[1], a, f)
        if layout is not None:
            fail_call(f"{layout[1]}: {shape_text}.", call, detail=returned, hint=HINTS[layout[0]],
                      evidence={"layout": layout[1]})
        if got_shapes[:2] == expected[1::-1] and got_shapes[2:] == expected[2:]:
            # Not the gradients' values either way: the shapes alone fit a swap and a transposition
            # of both, so neither is named.
            fail_call(f"grad_W1 and grad_W2 have each other's shapes: {shape_text}. Either they "
                      "come in the wrong order or both are transposed.", call, detail=returned)
        if sorted(got_shapes) == sorted(expected):
            # Another order that neither shapes nor values settle: what is known, said as such.
            fail_call(f"the result's items have the expected shapes in another order: "
                      f"{shape_text}.", call, detail=returned)
        transposed = [b for b, s, e in zip(BLOCKS, got_shapes, expected) if s != e and s == e[::-1]]
        if transposed:
            fail_call(f"{', '.join(transposed)} has the transposed shape of its parameter: "
                      f"{shape_text}.", call, hint=HINTS["gradient_transposed"])
        _every_wrong_shape(value, got_shapes, expected, call)
    return {b: as_array(v, call, shapes[b], f"grad_{b}") for b, v in zip(BLOCKS, value)}


def _every_wrong_shape(value, got_shapes, expected, call) -> None:
    """Fail naming every block whose shape is wrong, when more than one is: as_array names the
    first alone, and grad_b2's (V,) was told only once grad_b1's (1,) was fixed (probe s59)."""
    wrong = [(b, v, s, e) for b, v, s, e in zip(BLOCKS, value, got_shapes, expected)
             if not shape_accepted(s, e)]
    if len(wrong) < 2:
        return
    notes = {shape_note(s, e) for _, _, s, e in wrong}
    if len(notes) == 1 and next(iter(notes)).startswith(" That is "):
        # One slip made in each: said once.
        problem = ("; ".join(f"grad_{b} has shape {s}, expected shape {e}" for b, _, s, e in wrong)
                   + ". Each is " + next(iter(notes))[len(" That is "):])
    else:
        problem = " ".join(f"grad_{b} has shape {s}; expected shape {e}.{shape_note(s, e)}"
                           for b, _, s, e in wrong)
    fail_call(problem, call,
              detail="\n  ".join(f"grad_{b}: returned {show(v)}" for b, v, _, _ in wrong))


NOTEBOOK_CALL = ("back_prop(x, yhat, y, h, W1, W2, b1, b2) with the notebook's numbers: its first "
                 "training example, its fixed W1, W2, b1, b2, and the h and yhat it prints")


def _run(student, a, f, call=None) -> tuple[dict, object]:
    call = call or _call_text(a, f)
    value = student(*(v.copy() for v in _args(a, f)))
    return _unpack(value, a, f, call), call


# ---- the loss, and its central differences --------------------------------------------------------
def _numerical(loss_many, a) -> dict:
    """Central differences of the loss in every coordinate of W1, W2, b1, b2 (the others fixed).
    `loss_many` maps a list of parameter dicts to their losses."""
    h = tol.GRADCHECK_STEP
    points, where = [], {}
    for b in BLOCKS:
        start = len(points)
        for p in numgrad.perturbations(a[b], h):
            points.append({**{k: a[k] for k in BLOCKS}, b: p})
        where[b] = (start, len(points))
    costs = loss_many(points)
    return {b: numgrad.from_costs(costs[s:e], a[b].shape, h) for b, (s, e) in where.items()}


def _loss_with(functions, a):
    """A loss_many from (forward_prop, softmax, cross_entropy_loss) called one point at a time."""
    forward_prop, softmax, loss = functions

    def many(points):
        out = []
        for p in points:
            z2 = np.asarray(forward_prop(a["x"], p["W1"], p["W2"], p["b1"], p["b2"])[2])
            out.append(float(loss(np.asarray(softmax(z2)), a["y"])))
        return out
    return many


def _reference_loss(reference, a):
    return _loss_with((reference.forward_prop, reference.softmax, reference.cross_entropy_loss), a)


def _numpy_loss(a):
    def many(points):
        return [float(-np.sum(a["y"] * np.log(inputs.forward({**a, **p})["yhat"]))) for p in points]
    return many


def _derivative(a) -> dict:
    """The derivative of the loss at a case, block by block: central differences of the
    grader's own loss (the notebook's formulas (1) to (6)). Never a formula of it: the exact mode
    asks students to derive one, and this file ships in every student's copy (probe s59)."""
    return _numerical(_numpy_loss(a), a)


def _is_derivative(got: np.ndarray, numerical: np.ndarray) -> bool:
    """Whether a block is the derivative, by the exact mode's own measure: within
    GRADCHECK_RTOL of central differences (the course mode accepts what the exact mode would)."""
    return got.shape == numerical.shape and bool(
        numgrad.relative_error(got, numerical).max(initial=0.0) <= tol.GRADCHECK_RTOL)


def _course_close(got: np.ndarray, target: np.ndarray) -> bool:
    """Whether a block is the notebook's formula's, computed alike: the reference's tolerances."""
    return bool(np.allclose(got, target, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL))


def _errors(got, numerical):
    return {b: float(numgrad.relative_error(got[b], numerical[b]).max()) for b in BLOCKS}


def _misplaced(got, wrong, a, f, problem, hint, evidence):
    """The problem, hint and evidence of a value failure, with the layout named when grad_W1 and
    grad_W2 hold the right numbers in the wrong places (it comes first: fixing it changes what
    every other block is compared with)."""
    layout = _layout(got["W1"], got["W2"], a, f) if {"W1", "W2"} & set(wrong) else None
    if layout is None:
        return problem, hint, evidence
    return f"{problem} {layout[1]}.", HINTS[layout[0]], {**evidence, "layout": layout[1]}


def _wrong_entries(got, numerical) -> str:
    """Where a block differs from the derivative, as [row, column] indices (the first 10)."""
    where = np.argwhere(numgrad.relative_error(got, numerical) > tol.GRADCHECK_RTOL).tolist()
    more = f" and {len(where) - 10} more" if len(where) > 10 else ""
    return f"{', '.join(str(i) for i in where[:10])}{more}"


def _compared(b, got, numerical, source, errors, withhold) -> str:
    """One wrong block: what came back, and what the derivative is, or, where its values would be
    the answer itself, where it differs."""
    if not withhold:
        return (f"{b}: back_prop returned {show(got[b])}\n    central differences of {source} "
                f"give {show(numerical[b])}\n    (largest relative difference {errors[b]:.1e})")
    return (f"{b}: back_prop returned {show(got[b])}\n    central differences of {source} differ "
            f"from it at the entries {_wrong_entries(got[b], numerical[b])} (largest relative "
            f"difference {errors[b]:.1e})\n    (their values are not shown here: at the "
            "notebook's own numbers they would be the exact mode's answer; the checks on the "
            "grader's own inputs show the derivative's values)")


def _not_derivative(got, numerical, blocks, call, source, a, f, hint=None, evidence_extra=None,
                    withhold=False):
    errors = _errors(got, numerical)
    wrong = [b for b in blocks if errors[b] > tol.GRADCHECK_RTOL]
    if not wrong:
        return
    lines = [_compared(b, got, numerical, source, errors, withhold) for b in wrong]
    problem, hint, evidence = _misplaced(
        got, wrong, a, f,
        f"back_prop's gradient is not the derivative of the loss in {', '.join(wrong)} "
        f"(allowed relative difference {tol.GRADCHECK_RTOL:g}, h = {tol.GRADCHECK_STEP:g}).", hint,
        {"mode": mode(), "wrong_blocks": wrong, "compared_with": source,
         "max_relative_error": errors, **(evidence_extra or {})})
    fail_call(problem, call, detail="\n  ".join(lines), hint=hint, evidence=evidence)


# ---- against the course's formulas, or the derivative ----------------------------------------------
def _course_judge(got, course, derivative, call, report, rtol, atol, a, f):
    """W2 and b2 as the notebook's; W1 and b1 as the notebook's formula or as the derivative
    (`derivative`: central differences of the loss, _derivative)."""
    def ok(b, target):
        return np.allclose(got[b], target[b], rtol=rtol, atol=atol)
    wrong = [b for b in BLOCKS if not ok(b, course)]
    if wrong and set(wrong) <= {"W1", "b1"} and all(
            _is_derivative(got[b], derivative[b]) for b in ("W1", "b1")):
        # Said once the check has passed: an example on which the two formulas agree with a third
        # (ReLU and the mask at once) must not tell a failing student they were accepted.
        report.flag(HINTS["true_gradient_in_course_mode"], if_passes=True)
        return
    if not wrong:
        return
    hint = None
    if set(wrong) <= {"W1", "b1"} and all(
            _is_derivative(got[b], np.maximum(derivative[b], 0.0)) for b in ("W1", "b1")):
        # ReLU and the derivative's mask at once keep the derivative's positive entries (in W1
        # too: x has no negative entry).
        hint = HINTS["relu_and_mask"]
    if any(b in wrong for b in ("W2", "b2")) and all(
            np.allclose(got[b], -course[b], rtol=rtol, atol=atol) for b in ("W2", "b2")):
        hint = HINTS["gradient_sign"]
    lines = [f"{b}: returned {show(got[b])}\n    expected {show(course[b])}" for b in wrong]
    problem, hint, evidence = _misplaced(
        got, wrong, a, f, f"wrong gradient in {', '.join(wrong)}, compared with the notebook's "
        "formulas (7) to (10).", hint, {"mode": "course", "wrong_blocks": wrong})
    fail_call(problem, call, detail="\n  ".join(lines), hint=hint, evidence=evidence)


@pytest.mark.points(5)
@pytest.mark.published  # the notebook's grad_W1, grad_W2, grad_b1, grad_b2
def test_notebook_gradients(student, report, maybe_reference):
    """Course mode: the notebook's printed gradients. Exact mode: central differences of the loss at
    the notebook's own numbers (with the reference's functions when it is here), which the
    notebook's formulas for b1 and W1 do not give."""
    a = inputs.notebook_case()
    f = {"h": inputs.H, "yhat": inputs.YHAT}
    got, call = _run(student, a, f, NOTEBOOK_CALL)
    if mode() == "exact":
        loss = _reference_loss(maybe_reference, a) if maybe_reference is not None else _numpy_loss(a)
        source = "the reference's loss" if maybe_reference is not None else "the loss"
        numerical = _numerical(loss, a)
        hint = None
        if np.allclose(got["b1"], inputs.GRAD_B1, atol=1e-6):
            hint = HINTS["course_formula_in_exact_mode"]
        # The exact mode asks for what the notebook does not print: the derivative at the
        # notebook's own numbers is that answer, so it is told where it differs, not shown
        # (probe s59). The other checks show it on the grader's inputs.
        _not_derivative(got, numerical, BLOCKS, call, source + " at the notebook's numbers", a, f,
                        hint, withhold=True)
        return
    course = {"W1": inputs.GRAD_W1, "W2": inputs.GRAD_W2, "b1": inputs.GRAD_B1, "b2": inputs.GRAD_B2}
    _course_judge(got, course, _derivative(a), call, report, tol.KNOWN_VALUES_RTOL,
                  tol.KNOWN_VALUES_ATOL, a, f)


@pytest.mark.points(6)
@whole_cases
@given(case=inputs.net_cases())
def test_matches_reference(student, reference, report, case):
    """Course mode: the reference's back_prop (the notebook's formulas), or the derivative for W1
    and b1. Exact mode: central differences of the notebook's loss, every block, computed by the
    grader (as gradient_of_the_loss does): the reference's loss asked at every perturbed point
    was more than a student's copy holds answers for, and a correct back_prop scored 93.4 there
    (probe s54); the loss is the notebook's, the same in both copies."""
    a = case.arrays()
    f = inputs.forward(a)
    got, call = _run(student, a, f)
    if mode() == "exact":
        hint = HINTS["course_formula_in_exact_mode"] if np.allclose(
            got["b1"], np.maximum(a["W2"].T @ (f["yhat"] - a["y"]), 0)) else None
        _not_derivative(got, _numerical(_numpy_loss(a), a), BLOCKS, call, "the loss", a, f,
                        hint, evidence_extra={"case": str(case)})
        return
    course = dict(zip(BLOCKS, (np.asarray(v) for v in reference.back_prop(
        *(v.copy() for v in _args(a, f))))))
    derivative = _derivative(a)
    _course_judge(got, course, derivative, call, report, tol.REFERENCE_RTOL,
                  tol.reference_atol(*course.values(), *derivative.values()), a, f)


# A values check: the loss is the grader's own (the notebook's formulas), not the student's, so
# a made-up gradient cannot pass it; a back_prop right in W2 and b2 only earns it (one wrong block
# scored 0 of 22, as four did).
@pytest.mark.formulas
@pytest.mark.points(6)
def test_gradient_of_the_loss(student):
    """back_prop against central differences of the loss, block by block, computed by the grader
    from the notebook's formulas (1) to (6) (a check calls only the function it grades, so a wrong
    forward_prop costs forward_prop's checks, not these): in course mode W2 and b2 only (the
    notebook's W1 and b1 formulas are not the derivative), in exact mode all four."""
    blocks = BLOCKS if mode() == "exact" else ("W2", "b2")
    for case in inputs.GRADCHECK_CASES:
        a = case.arrays()
        f = inputs.forward(a)
        got, call = _run(student, a, f)
        numerical = _numerical(_numpy_loss(a), a)
        hint = HINTS["course_formula_in_exact_mode"] if mode() == "exact" and np.allclose(
            got["b1"], np.maximum(a["W2"].T @ (f["yhat"] - a["y"]), 0)) else None
        _not_derivative(got, numerical, blocks, f"{call}  [{case}]", "the loss", a, f, hint,
                        {"case": str(case), "blocks_checked": list(blocks)})


@pytest.mark.exact_shapes
@pytest.mark.points(2)
@whole_cases
@given(case=inputs.net_cases())
def test_gradient_shapes(student, case):
    """Four arrays in the order W1, W2, b1, b2, each of its parameter's shape."""
    a = case.arrays()
    _run(student, a, inputs.forward(a))


@pytest.mark.points(1)
def test_arguments_unchanged(student):
    """The arguments are as they were after the call, whatever it returned: a result of the wrong
    shape or order changed nothing, and was told here as a failure too (probe s62). It compares
    back_prop with itself, so its point counts only with right values (scoring.py withholds it),
    as cs224n's inputs_not_modified and onelayer's arguments_unchanged do."""
    a = inputs.notebook_case()
    f = {"h": inputs.H, "yhat": inputs.YHAT}
    args = tuple(v.copy() for v in _args(a, f))
    result = student.call(*args, echo_args=True)
    for name, before, after in zip(("x", "yhat", "y", "h", "W1", "W2", "b1", "b2"), args,
                                   result.args_after):
        if not np.array_equal(before, after):
            fail_call(f"back_prop changed its argument {name} in place.", _call_text(a, f),
                      detail=f"before: {show(before)}\n  after:  {show(after)}")


