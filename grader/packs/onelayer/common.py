"""What the cost, derivative and training checks share: each part's arguments, the convention a
submission follows, and the judgement of one part against it.

A submission's convention is not imposed (grader/conventions.py): its cost and four derivatives
are each compared with the reference under every convention, and the convention most of them
follow is the submission's (`conventions.consensus`, the cost breaking ties). A part right under
another convention is the mix, and only that part loses points for it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from grader import conventions
from grader import tolerances as tol
from grader.checks_api import Text, as_array, call_text, fail_call, show
from grader.conventions import Convention
from grader.hints import Mistake
from grader.packs.onelayer import inputs
from grader.packs.onelayer.hints import HINTS
from grader.proxy import StudentError, StudentNotImplemented

# The reference's own convention: the blog's cost sum(T log Y), climbed by its derivatives.
REFERENCE_CONVENTION = conventions.LOG_LIKELIHOOD_SUMMED
# Each derivative function and the parameter it is the derivative for.
DERIVATIVES = {"derivative_w2": "W2", "derivative_b2": "b2", "derivative_w1": "W1",
               "derivative_b1": "b1"}
PARTS = ("cost", *DERIVATIVES)
MIX_HINTS = {"the sign": "sign_mix", "the scale": "scale_mix",
             "the sign and the scale": "sign_and_scale_mix"}


def arguments(name: str, a: dict[str, np.ndarray], f: dict[str, np.ndarray]) -> tuple:
    """The blog's arguments of `name` on a case (a: its arrays, f: the grader's forward pass)."""
    X, T, W2, Z, Y = a["X"], a["T"], a["W2"], f["Z"], f["Y"]
    return {"cost": (T, Y), "derivative_w2": (Z, T, Y), "derivative_b2": (T, Y),
            "derivative_w1": (X, Z, T, Y, W2), "derivative_b1": (T, Y, W2, Z)}[name]


# The blog's names of each function's arguments, for messages.
ARGUMENT_NAMES = {"cost": ("T", "Y"), "derivative_w2": ("Z", "T", "Y"),
                  "derivative_b2": ("T", "Y"), "derivative_w1": ("X", "Z", "T", "Y", "W2"),
                  "derivative_b1": ("T", "Y", "W2", "Z")}


def check_arguments_unchanged(student: Any, name: str) -> None:
    """The function leaves the arrays it is given as they were. The blog's training loop hands
    the same T, Y and Z to one derivative after another: a derivative_b2 that computes `T -= Y`
    in place gives every derivative after it the wrong T, while each function checked on copies
    of its arguments looks right."""
    a = inputs.VALUE_CASES[0].arrays()
    args = copies(arguments(name, a, inputs.forward(a)))
    result = student.call(*args, echo_args=True)
    for label, before, after in zip(ARGUMENT_NAMES[name], args, result.args_after):
        if not (isinstance(after, np.ndarray) and after.shape == before.shape
                and np.array_equal(before, after)):
            fail_call(f"{name} changed its argument {label} in place: the blog's training loop "
                      f"passes the same {label} on to the functions after it.",
                      call_text(name, *args),
                      detail=f"before: {show(before)}\n  after:  {show(after)}")


def copies(args: tuple) -> tuple:
    # Every call gets its own arrays: a function that changes its argument changes no other call.
    return tuple(np.array(x, copy=True) if isinstance(x, np.ndarray) else x for x in args)


def canonical(reference: Any, name: str, a: dict, f: dict, n: int) -> np.ndarray:
    """The reference's answer as the summed cross-entropy gives it (grader/conventions.py)."""
    value = np.asarray(getattr(reference, name)(*copies(arguments(name, a, f))), dtype=np.float64)
    return value / REFERENCE_CONVENTION.factor(n)


def answer(student: Any, name: str, a: dict, f: dict) -> np.ndarray | None:
    """What the submission's `name` answers on the case, as numbers; None when it cannot say (it
    raises, is not written yet, or returns something that is not numbers): a part that cannot
    answer follows no convention, and its own checks say why."""
    try:
        value = student.other(name)(*copies(arguments(name, a, f)))
    except (StudentError, StudentNotImplemented):
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def detect(got: Any, canonical_value: np.ndarray, n: int, atol: float) -> Convention | None:
    """The convention under which `got` is the canonical value; `atol`: reference_scale's."""
    if got is None:
        return None
    return conventions.detect(got, canonical_value, n, among=conventions.ALL,
                              rtol=tol.REFERENCE_RTOL, atol=atol)


def reference_scale(name: str, a: dict, f: dict) -> float:
    """The atol of a comparison of `name`'s answer with the reference's (tol.reference_atol): 1e-6
    (SCALE_RTOL) of the largest sum of absolute terms an entry of its canonical value adds up.
    float32 anywhere inside a function, returned as float32 or cast back to float64, leaves
    about 1e-7 of those terms on every entry, an entry that cancels to near 0 included, which the
    atol of 1e-9 failed on some draws only: a derivative_b2 that returned float32 scored 82 on
    the public inputs and 100 under 4 of 5 course secrets (the training check lost its 18 points
    through the convention read from it), a float32 forward 71 or 89 by the secret. A wrong
    formula is off by far more than 1e-6 of its terms."""
    X, T, W2, Z, Y = a["X"], a["T"], a["W2"], f["Z"], f["Y"]
    delta = np.abs(Y - T)
    back = (delta @ np.abs(W2).T) * Z * (1 - Z)
    terms = {"cost": [np.sum(np.abs(T * np.log(Y))), 1.0],
             "derivative_w2": [np.abs(Z).T @ delta],
             "derivative_b2": [delta.sum(axis=0)],
             "derivative_w1": [np.abs(X).T @ back],
             "derivative_b1": [back.sum(axis=0)]}[name]
    return tol.reference_atol(*terms)


def survey(student: Any, reference: Any, a: dict, f: dict, n: int,
           known: dict[str, Convention | None] | None = None) -> dict[str, Convention | None]:
    """The convention each part of the submission follows on one case (`known`: parts already
    measured by the calling check)."""
    found = dict(known or {})
    for part in PARTS:
        if part not in found:
            found[part] = detect(answer(student, part, a, f), canonical(reference, part, a, f, n),
                                 n, reference_scale(part, a, f))
    return {part: found[part] for part in PARTS}


def submission_convention(found: dict[str, Convention | None], n: int) -> Convention | None:
    return conventions.consensus(found, n, prefer=("cost",))


def fail_mix(name: str, own: Convention, agreed: Convention, found: dict, n: int, call: Text,
             got: Any, expected: Any) -> None:
    """`name` is right under `own`, the rest of the submission follows `agreed`."""
    half = conventions.mismatch(agreed, own, n)
    differ = "differ" if " and " in half else "differs"  # "the sign and the scale ... differ"
    fail_call(f"{name} follows {own}, but the rest of your functions follow {agreed}: "
              f"{half} of {name} {differ} from theirs (N = {n} examples).", call,
              returned=got, expected=expected, detail=conventions.mix(found, n) or "",
              hint=HINTS[MIX_HINTS[half]],
              evidence={"convention": agreed.as_json(), "followed": own.as_json(),
                        "parts": {p: c.as_json() if c else None for p, c in found.items()}})


def describe_convention(convention: Convention | None) -> str:
    return str(convention) if convention is not None else "no convention"


# ---- a derivative's values --------------------------------------------------------------------
def derivative(student: Any, name: str, a: dict, f: dict, call: Text) -> np.ndarray:
    """The derivative `name` returned, as an array of its parameter's shape; a bias derivative
    with one row per example is named."""
    value = student(*copies(arguments(name, a, f)))
    shape = a[DERIVATIVES[name]].shape
    if name in ("derivative_b1", "derivative_b2") and isinstance(value, np.ndarray) \
            and value.shape == (a["X"].shape[0],) + shape:
        fail_call(f"the result has shape {value.shape}, one row per example; expected shape "
                  f"{shape}, one number per unit of the bias.", call, returned=value,
                  hint=HINTS["bias_not_summed"])
    what = f"the derivative for {DERIVATIVES[name]}"
    if isinstance(value, np.ndarray) and len(shape) == 2 and value.shape == shape[::-1] \
            and shape[0] != shape[1]:
        fail_call(f"{what} has shape {value.shape}; expected shape {shape}, the shape of "
                  f"{DERIVATIVES[name]}: yours is its transpose.", call, returned=value,
                  hint=HINTS["derivative_transposed"])
    return as_array(value, call, shape, what)


def variants(name: str, a: dict, f: dict) -> dict[str, np.ndarray]:
    """Canonical values (summed cross-entropy) of the mistakes a derivative can be recognised by,
    computed by the grader, under the mistake's id."""
    X, T, W1, W2, Z, Y = a["X"], a["T"], a["W1"], a["W2"], f["Z"], f["Y"]
    delta = Y - T
    found = {}
    if name in ("derivative_w1", "derivative_b1"):
        no_sigmoid = delta @ W2.T
        found["sigmoid_derivative_missing"] = X.T @ no_sigmoid if name == "derivative_w1" \
            else no_sigmoid.sum(axis=0)
        if name == "derivative_w1" and W2.shape[0] == W2.shape[1]:
            found["w2_transposed_in_w1"] = X.T @ ((delta @ W2) * Z * (1 - Z))
    # A square weight matrix (the blog's W2 is 3 x 3) takes its transposed derivative without a
    # shape error, so only the values can tell.
    weights = {"derivative_w1": W1, "derivative_w2": W2}.get(name)
    if weights is not None and weights.shape[0] == weights.shape[1]:
        right = X.T @ ((delta @ W2.T) * Z * (1 - Z)) if name == "derivative_w1" else Z.T @ delta
        found["derivative_transposed"] = right.T
    return found


def judge_derivative(student: Any, reference: Any, name: str, case: inputs.NetCase) -> None:
    """`name` on `case` against the reference, under the convention the submission follows."""
    a = case.arrays()
    f = inputs.forward(a)
    n = case.N
    call = call_text(name, *arguments(name, a, f))
    got = derivative(student, name, a, f, call)
    expected = canonical(reference, name, a, f, n)
    atol = reference_scale(name, a, f)
    own = detect(got, expected, n, atol)
    found = survey(student, reference, a, f, n, {name: own})
    agreed = submission_convention(found, n)
    if own is not None and conventions.agree(own, agreed, n):
        return
    if own is not None:
        fail_mix(name, own, agreed, found, n, call, got, agreed.of(expected, n))
    target = agreed or REFERENCE_CONVENTION
    hint = _recognise(name, got, a, f, n, atol)
    fail_call(f"wrong derivative for {DERIVATIVES[name]}: it is the derivative of the cost under "
              f"no convention (your functions follow {describe_convention(agreed)}; expected is "
              f"shown under {target}).", call, returned=got, expected=target.of(expected, n),
              hint=hint, evidence={"case": str(case), "convention": target.as_json(),
                                   "parts": {p: c.as_json() if c else None
                                             for p, c in found.items()}})


def _recognise(name: str, got: np.ndarray, a: dict, f: dict, n: int,
               atol: float) -> Mistake | None:
    for mistake, value in variants(name, a, f).items():
        if detect(got, value, n, atol) is not None:
            return HINTS[mistake]
    return None


__all__ = ["DERIVATIVES", "PARTS", "REFERENCE_CONVENTION", "answer", "arguments", "canonical",
           "copies", "derivative", "detect", "fail_mix", "judge_derivative", "reference_scale",
           "survey", "submission_convention"]
