"""What a check needs to judge a value and to say, to a student, what went wrong.

`CheckFailure` is an AssertionError, so hypothesis shrinks the input before the failure is shown.
Every failure says what was called, what came back and what was expected; it may name a recognised
mistake of the pack's catalogue (`hint`) and carry the measurements that showed it (`evidence`).
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Callable, TypeVar, Union

import numpy as np

from grader import fingerprint, python2_habits
from grader import tolerances as tol
from grader.closeness import all_close  # noqa: F401 (for packs: np.allclose, faster)
from grader.example_budget import whole_cases  # noqa: F401 (for packs: one import for checks)
from grader.hints import Mistake
from grader.known_answers import NotKnown
from grader.scoring import parts_evidence  # noqa: F401 (for packs: a values check's parts)
from grader.worker.wire import Iterated, Opaque, ReplayDataset

PRINT_OPTIONS = {"precision": 8, "threshold": 40, "edgeitems": 3, "linewidth": 100}


class CheckFailure(AssertionError):
    def __init__(self, message: str, hint: Mistake | None = None,
                 evidence: dict[str, Any] | None = None, fingerprint: str = "") -> None:
        if hint is not None and not isinstance(hint, Mistake):
            raise TypeError(f"hint must be a Mistake of the pack's catalogue, got {hint!r}")
        self.message = message
        self.hint = hint
        self.evidence = dict(evidence or {})
        # Of the wrong answer (grader/fingerprint.py): for the class overview, never shown.
        self.fingerprint = fingerprint
        super().__init__(message)


# What a message shows of one value at most: a returned string of megabytes, or an object whose
# class name is, would otherwise be copied into every message, view and report of the grade (a
# 20 MiB name took the grader minutes and gigabytes to word-wrap).
SHOWN_CHARS = 2000


def show(value: Any) -> str:
    """Numbers the way numpy prints them, trimmed to a readable size."""
    return _bounded(_show(value))


def _bounded(text: str) -> str:
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}... ({len(text):,} characters in all)"


def _show(value: Any) -> str:
    if isinstance(value, Opaque):
        # An array of a dtype that does not cross is named by its dtype (wire.py), not a class:
        # "a numpy array of dtype object object" said "object" twice (probe s61).
        noun = _article(value.type_name)
        return f"{noun if value.type_name.startswith('numpy array of') else noun + ' object'}: " \
               f"{value.text}"
    if isinstance(value, Iterated):
        return f"a generator that yielded {show(value.items)}"
    if isinstance(value, np.ndarray):
        with np.printoptions(**PRINT_OPTIONS):
            text = np.array2string(value, separator=", ")
        return f"array({text}) with shape {value.shape}" if value.ndim else text
    if isinstance(value, tuple):
        return "(" + ", ".join(show(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, np.generic):
        return repr(value.item())
    return repr(value)


def describe_type(value: Any) -> str:
    if isinstance(value, Opaque):
        if value.type_name == "int" and value.text.startswith(("an int of", "a negative int of")):
            return value.text  # 10**400: wire.py says how large, not its digits
        return _article(value.type_name)
    if isinstance(value, Iterated):
        count = len(value.items)
        return f"a generator (it yielded {count} item{'' if count == 1 else 's'})"
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, np.generic):
        return f"a numpy {type(value).__name__}"
    if isinstance(value, (tuple, list)):  # "a tuple of 2 items; expected a triple" shows what is off
        return f"a {type(value).__name__} of {len(value)} item{'' if len(value) == 1 else 's'}"
    if value is None:
        return "None"
    return _article(type(value).__name__)


def _article(noun: str) -> str:
    """`noun` with "a" or "an" as it is said: an int, an Opaque, a float, a str."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def describe_result(value: Any) -> str:
    """describe_type of what a call returned, saying where a None result usually comes from."""
    if value is None:
        # Both are common: a missing `return`, and a template's placeholder never replaced (the
        # first alone read as wrong to a student whose function did return).
        return ("None (a function that ends without `return` gives None, as does one returning "
                "a variable still None, a template's `yhat = None` left in)")
    return describe_type(value)


class LazyText:
    """Text made only when it is shown. A passing check never shows the call it made, and printing
    arrays was most of what a passing check cost; a failure shows exactly the text it would have
    had. Use it wherever a str goes into a failure (f-strings, fail_call, as_array, ...)."""

    __slots__ = ("_make", "_text")

    def __init__(self, make: Callable[[], str]) -> None:
        self._make: Callable[[], str] | None = make
        self._text = ""

    def __str__(self) -> str:
        if self._make is not None:
            self._text, self._make = str(self._make()), None
        return self._text

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return repr(str(self))

    def __eq__(self, other: object) -> bool:
        return str(self) == (str(other) if isinstance(other, (str, LazyText)) else other)

    def __hash__(self) -> int:
        return hash(str(self))


Text = Union[str, LazyText]


def lazy_text(make: Callable[[], str]) -> LazyText:
    return LazyText(make)


def call_text(function: str, *args: Any) -> LazyText:
    """`function(args...)` as a failure shows it. Arrays are copied now: a check that changes an
    argument afterwards must not change what its failure says was called."""
    frozen = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    return LazyText(lambda: f"{function}({', '.join(show(a) for a in frozen)})")


# A brief call names at most this many characters of a short value (a number, a word): longer
# ones, and every array, are named by their kind and shape.
BRIEF_VALUE_CHARS = 30
BRIEF_CALL_CHARS = 200


def brief_call(function: str, *args: Any) -> str:
    """`function(args...)` in one short line: arrays by their shape, small values as they are. An
    error's default view names the call that raised with it (probe s60: a student's own assert on
    a (2, 1) column, shown without the column, gave nothing to reproduce)."""
    text = f"{function}({', '.join(_brief(a) for a in args)})"
    return text if len(text) <= BRIEF_CALL_CHARS else text[: BRIEF_CALL_CHARS - 4] + "...)"


def _brief(value: Any) -> str:
    if isinstance(value, np.ndarray) and value.ndim:
        kind = "array" if value.dtype.kind == "f" else f"{value.dtype} array"
        return f"{kind} of shape {value.shape}"
    if isinstance(value, (tuple, list)) and value:
        inner = [_brief(v) for v in value]
        text = ", ".join(inner)
        if len(value) <= 4 and len(text) <= 2 * BRIEF_VALUE_CHARS:
            return f"({text})" if isinstance(value, tuple) else f"[{text}]"
        return describe_type(value)
    if isinstance(value, (np.ndarray, np.generic, int, float, complex, str, bytes, type(None))):
        text = show(value)
        return text if len(text) <= BRIEF_VALUE_CHARS else describe_type(value)
    if isinstance(value, ReplayDataset):
        return "dataset"  # as the student's function names it; the full line shows its stream
    return describe_type(value)


def fail_call(problem: str, call: Text, *, returned: Any = None, expected: Any = None,
              detail: str = "", hint: Mistake | None = None,
              evidence: dict[str, Any] | None = None, finding: str = "") -> None:
    """Fail with the problem on the first line (the summary a student sees first), then what was
    called, what came back and what was expected. The same parts go, labelled, into the evidence
    under "call", for renderers that lay them out. A finding (what the check measured about the
    mistake, such as the constant factor a hint names) joins the problem's line: a hint that says
    "the message says which" must be answered where the student reads without --verbose. The
    call is also said in one line (evidence "called_briefly"), for the views that show a
    failure's first line only: what was called is part of every failure's lesson."""
    call = str(call)
    fingerprint_problem = problem
    if finding:
        first = finding.split(" ", 1)[0]
        if first.isalpha() and first.islower():  # a sentence of its own, unless a name opens it
            finding = finding[:1].upper() + finding[1:]
        problem = f"{problem} {finding}"
    parts = {"problem": problem, "called": call}
    if returned is not None:
        parts["returned"] = _bounded(returned) if isinstance(returned, str) else show(returned)
    if expected is not None:
        parts["expected"] = _bounded(expected) if isinstance(expected, str) else show(expected)
    if detail:
        detail = parts["detail"] = _bounded(str(detail))
    lines = [problem] + [f"  {label}: {text}" for label, text in parts.items()
                         if label in ("called", "returned", "expected")]
    if detail:
        lines.append(f"  {detail}")
    briefly = brief_of(call)
    said = {"call": parts, **({"called_briefly": briefly} if briefly else {})}
    raise CheckFailure("\n".join(lines), hint, {**said, **(evidence or {})},
                       fingerprint.of_failure(fingerprint_problem, call, returned))


# An array as show() wrote it into a call's text, whole or cut at SHOWN_CHARS.
_SHOWN_ARRAY = re.compile(r"array\((?:(?!\) with shape \().)*?\) with shape (\([^)]*\))"
                          r"|array\((?:(?!\) with shape \().)*?\.\.\. \([\d,]+ characters in all\)",
                          re.S)


def brief_of(call: str) -> str:
    """A call's text (however a check wrote it) in one short line, as brief_call writes one:
    every array by its shape, the first line only (a line under it says what a dataset draws,
    which --verbose shows)."""
    def shape(match: re.Match) -> str:
        return f"array of shape {match.group(1)}" if match.group(1) else "an array"
    text = _SHOWN_ARRAY.sub(shape, call).split("\n", 1)[0].strip()
    return text if len(text) <= BRIEF_CALL_CHARS else text[: BRIEF_CALL_CHARS - 4] + "...)"


# What came back in a float narrower than float64 during the check now running ({what: dtype}).
# Such values are right to about 1e-7 (float32) only, which makes a right formula fail a tight
# comparison and look like a wrong one: a failure says so (grader/plugin.py resets this per check
# and adds `low_precision_note()` to a failure's message).
_low_precision: dict[str, str] = {}


# Results that held whole numbers only (an int or bool array where real numbers are asked): the
# display converts them to float, so the note says what they were.
_whole_numbers: dict[str, str] = {}


def _note_precision(value: Any, what: Text) -> None:
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind == "f" \
            and value.dtype.itemsize < 8:
        _low_precision.setdefault(str(what), str(value.dtype))
    elif isinstance(value, np.ndarray) and value.dtype.kind in "biu" and value.size > 1:
        _whole_numbers.setdefault(str(what), str(value.dtype))


# Results whose shape was off by axes of length 1 only, in the check now running, compared in
# the shape asked for: [(what, got, expected)] (see judge_shapes).
_unit_axes: list[tuple[Text, tuple[int, ...], tuple[int, ...]]] = []

# Whether the check now running fails a result for an axis of length 1 more or less (grader/plugin.py
# sets it per check); exact outside a grade, so a helper called on its own judges as it always did.
_exact_shapes = True
_shape_charged_by = ""


def judge_shapes(exact: bool, charged_by: str = "") -> None:
    """How the check now running judges a result whose shape differs from the one asked for by
    axes of length 1 only (a (1, D) row or a (D, 1) column for a vector of D, a vector for a
    one-row matrix): `exact`, it fails; else its values are compared in the shape asked for and
    a failure notes the shape, which `charged_by` (the function's checks of its result's form,
    marked exact_shapes) charges. One shape slip with right values then costs those checks'
    points, not every check's: real 2017 code returned gradPred as a (1, D) row and lost 18 of
    35 points, once per check that read it."""
    global _exact_shapes, _shape_charged_by
    _exact_shapes, _shape_charged_by = exact, charged_by


def forget_precision() -> None:
    """Start a check with no lower-precision result seen, no shape off by an axis of length 1,
    and no failure excused."""
    _low_precision.clear()
    _whole_numbers.clear()
    _unit_axes.clear()
    _excused.clear()
    _excused_mistake.clear()


# The first failure the check now running let pass because other checks charge its cause, and
# the mistake it recognised (charged after all, the failure keeps its lesson).
_excused: list[dict[str, Any]] = []
_excused_mistake: list[Mistake] = []


def excuse(failure: str, charged_by: Sequence[str], why: str,
           right_in: Sequence[str] = (), hint: Mistake | None = None) -> None:
    """Let a failure pass that the checks named `charged_by` (of the same function, by name
    without parameters) charge instead: word2vec's checks of values excuse a case wrong at a K
    other than 10 and right at 10, which its checks of K charge. Should none of them fail, the
    grader charges the failure to this check after all (scoring.charge_excused): an excuse
    that nothing charges is no excuse. `why`: what excused it, said in that case ("with
    K = 10 it answers this case right"); `right_in`: checks (by full name) that must pass for
    the excuse to hold, where the function must be right by its own checks too (K = 10's);
    `hint`: the mistake the failure recognised, which it names again if it is charged."""
    if not _excused:
        _excused.append({"failure": str(failure)[:4000], "charged_by": list(charged_by),
                         "why": str(why)[:300], "right_in": list(right_in),
                         "mistake": hint.id if hint is not None else ""})
        if hint is not None:
            _excused_mistake.append(hint)


# How the grader marks the calls of an aside (grader/plugin.py sets it for each check): it begins
# the aside and returns what ends it.
_aside_marker: list[Callable[[], Callable[[], None]]] = []


def mark_asides_with(marker: Callable[[], Callable[[], None]] | None) -> None:
    _aside_marker[:] = [marker] if marker is not None else []


@contextmanager
def aside() -> Iterator[None]:
    """Calls made inside judge again a failure already found (word2vec's re-judge of a case at
    K = 10): what they print belongs to no example the check reports, so a failure does not show
    it under its own call (regression probe s58: the re-judge's prints doubled a failure's)."""
    end = _aside_marker[0]() if _aside_marker else None
    try:
        yield
    finally:
        if end is not None:
            end()


def excused_failure() -> dict[str, Any] | None:
    """What the check now running excused (see `excuse`), or None."""
    return dict(_excused[0]) if _excused else None


def excused_mistake() -> Mistake | None:
    """The mistake the failure the check now running excused had recognised, or None."""
    return _excused_mistake[0] if _excused_mistake else None


_SIGNIFICANT_DIGITS = {"float16": 3, "float32": 7, "complex64": 7}


def low_precision_note() -> str:
    """A line for a failure's message when the check got results in a float narrower than
    float64, or arrays of whole numbers, else ""."""
    note = ""
    if _low_precision:
        seen = "; ".join(f"{what} had dtype {dtype}" for what, dtype in _low_precision.items())
        # Said of the narrowest seen: float16 keeps about 3 digits, not float32's 7 (probe s54).
        digits = min(_SIGNIFICANT_DIGITS.get(str(d), 7) for d in _low_precision.values())
        kind = next((str(d) for d in _low_precision.values()
                     if _SIGNIFICANT_DIGITS.get(str(d), 7) == digits), "float32")
        note += (f"\n  Note: {seen}. Values are then off at that precision ({kind} keeps about "
                 f"{digits} significant digits), enough to fail a comparison made in float64: "
                 "return float64.")
    if _whole_numbers:
        seen = "; ".join(f"{what} had dtype {dtype}" for what, dtype in _whole_numbers.items())
        note += (f"\n  Note: {seen}, which holds whole numbers only: any fraction in a value "
                 "is cut off before it is returned (an array made with dtype=int, or by "
                 "np.vectorize whose first result was an int, keeps that type). Return floats.")
    if _unit_axes:
        # Each once: hypothesis's examples meet the same slip again (probe s60: "grad_b2 had
        # shape (3,), not (3, 1)" twice in one note).
        seen = "; ".join(list(dict.fromkeys(f"{what} had shape {got}, not {expected}"
                                            for what, got, expected in _unit_axes))[:3])
        where = f" (`{_shape_charged_by}`)" if _shape_charged_by else ""
        note += (f"\n  Note: {seen}: an axis of length 1 more or less, so this check compared "
                 f"the values as if in the shape asked for. The shape itself costs the points "
                 f"of the check of the result's form{where} only.")
    return note


def _unit_axes_only(got: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    """Whether two different shapes hold the same entries in the same order, apart from axes of
    length 1: (1, 3) or (3, 1) for (3,), (3,) for (1, 3)."""
    return got != expected and (tuple(n for n in got if n != 1)
                                == tuple(n for n in expected if n != 1))


def _in_shape_asked(value: np.ndarray, expected: tuple[int, ...], what: Text) -> np.ndarray | None:
    """`value` reshaped to `expected` where the check now running lets an axis of length 1 pass
    (judge_shapes), noted for its failure message; None where the shape must fail the check."""
    if _exact_shapes or not _unit_axes_only(value.shape, expected):
        return None
    if all(w is not what for w, _, _ in _unit_axes):
        _unit_axes.append((what, value.shape, expected))
    return value.reshape(expected)


def shape_accepted(got: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    """Whether the check now running takes a result of shape `got` where `expected` is asked
    (as_array's test): the same shape, or, where shapes are not judged exactly (judge_shapes),
    the same entries with an axis of length 1 more or less. For a check that names every
    wrong shape of several results at once, where as_array stops at the first."""
    got, expected = tuple(got), tuple(expected)
    return got == expected or (not _exact_shapes and _unit_axes_only(got, expected))


def shape_note(got: tuple[int, ...], expected: tuple[int, ...]) -> str:
    """What a wrong shape is, where it is a common slip (" That is the transpose: ..."), else
    "": the sentence as_array adds to "has shape X; expected shape Y."."""
    return _transposed_note(tuple(got), tuple(expected))


def as_array(value: Any, call: Text, expected_shape: tuple[int, ...] | None = None,
             what: str = "the result", allow_nonfinite: bool = False) -> np.ndarray:
    """The value as a finite float ndarray, or a failure that says what came back instead."""
    _note_precision(value, what)
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        value = np.asarray(value)
    shape_text = f" of shape {tuple(expected_shape)}" if expected_shape is not None else ""
    if isinstance(value, Opaque) and value.type_name.startswith("numpy array of dtype "):
        dtype = value.type_name.removeprefix("numpy array of dtype ")
        # np.array(map(f, x)) is returned, not raised: no error names map, so say it here.
        fail_call(f"{what} has dtype {dtype}; expected real numbers.", call, returned=value,
                  finding=python2_habits.returned(value.type_name, value.text))
    if not isinstance(value, np.ndarray):
        described = describe_result(value) if what == "the result" else describe_type(value)
        habit = python2_habits.returned(value.type_name, value.text) \
            if isinstance(value, Opaque) else ""
        fail_call(f"{what} is {described}; expected a numpy array{shape_text}.", call,
                  returned=value, finding=habit)
    if value.dtype.kind not in "biuf":
        fail_call(f"{what} has dtype {value.dtype}; expected real numbers.", call, returned=value)
    if expected_shape is not None and value.shape != tuple(expected_shape):
        reshaped = _in_shape_asked(value, tuple(expected_shape), what)
        if reshaped is None:
            fail_call(f"{what} has shape {value.shape}; expected shape {tuple(expected_shape)}."
                      f"{_transposed_note(value.shape, tuple(expected_shape))}", call,
                      returned=value)
        value = reshaped
    value = value.astype(np.float64, copy=False)
    if not allow_nonfinite and not np.all(np.isfinite(value)):
        fail_call(f"{what} holds NaN or inf.", call, returned=value)
    return value


def _transposed_note(got: tuple[int, ...], expected: tuple[int, ...]) -> str:
    # A matrix with its axes swapped is the commonest shape mistake of a gradient: say so, since
    # the numbers alone (4, 3) against (3, 4) are easy to misread.
    if len(got) == 2 and got == expected[::-1] and got != expected:
        return (" That is the transpose: the axes are swapped; check where .T goes (and, for a "
                "product, the order of its factors).")
    # The same entries with an axis of length 1 more or less: a vector returned as a row (or
    # column), or a row flattened. The numbers may be right; only the shape is not.
    squeezed = tuple(n for n in got if n != 1)
    if squeezed == tuple(n for n in expected if n != 1) and got != expected:
        if len(got) > len(expected):
            return (f" That is the expected shape with an extra axis of length 1: "
                    f".reshape({', '.join(map(str, expected))}{',' if len(expected) == 1 else ''})"
                    f"{' (or .ravel())' if len(expected) == 1 else ''} gives the shape asked for.")
        return (" That is the expected shape without its axis of length 1: keep that axis "
                "(keepdims=True, or .reshape of the expected shape).")
    return ""


def as_scalar(value: Any, call: Text, what: str = "the cost", allow_nonfinite: bool = False) -> float:
    """A real number (Python float, numpy scalar, or an array holding exactly one number); inf
    and NaN fail unless `allow_nonfinite` (the caller then says what they mean)."""
    _note_precision(value, what)
    if isinstance(value, (bool, np.bool_)):
        fail_call(f"{what} is a boolean; expected a number.", call, returned=value)
    if isinstance(value, (int, float)) or (isinstance(value, np.generic) and value.dtype.kind in "iuf"):
        number = float(value)
    elif isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        number = float(value.reshape(()))
    else:
        fail_call(f"{what} is {describe_type(value)}; expected a single number.", call, returned=value)
    if not allow_nonfinite and not np.isfinite(number):
        fail_call(f"{what} is {number!r}; expected a finite number.", call)
    return number


def expect_varies(costs: list[float], call: Text, what: str) -> None:
    """A gradient check compares a cost with itself, so a constant cost with a zero gradient would
    pass it: demand that the cost moves when its inputs do."""
    if costs and max(costs) == min(costs):
        fail_call(f"the cost is {costs[0]!r} whatever {what} is: it does not depend on {what}, "
                  "so there is no gradient to check.", call)


def worst_difference(actual: np.ndarray, expected: np.ndarray) -> tuple[float, tuple[int, ...]]:
    diff = np.abs(actual - expected)
    diff = np.where(np.isnan(diff), np.inf, diff)
    index = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
    return (float(diff[index]) if diff.size else 0.0), tuple(int(i) for i in index)


# `what` for a check of something besides the values (the argument left unchanged) that earns its
# points only with a right answer, so that its failure for wrong values does not read as a
# failure of what the check is named for.
RIGHT_ANSWER_TOO = ("the result (this check is of the argument afterwards, and counts only with "
                    "a right answer)")


def rounding_only(actual: Any, expected: Any) -> str:
    """A sentence for the failure of an exact identity (relu(z) = z, columns summing to 1, a zero
    step) whose differences are no larger than float32's rounding of the values, which is all that
    float32 arithmetic inside the function leaves: the student must learn that the formula is
    right and the precision is what the check refuses. "" when a difference is larger."""
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    if actual.shape != expected.shape or not actual.size \
            or not np.all(np.isfinite(actual)) or not np.all(np.isfinite(expected)):
        return ""
    gap = float(np.max(np.abs(actual - expected)))
    # float32 holds numbers below 1.2e-38 to a fixed spacing only (1.4e-45): hypothesis shrinks
    # a failing input towards such numbers.
    allowed = max(tol.SCALE_RTOL * float(np.max(np.abs(expected))),
                  float(np.finfo(np.float32).smallest_subnormal))
    if not 0 < gap <= allowed:
        return ""
    return (f" The differences are rounding only (at most {gap:.1e}, float32's precision on "
            "these values): the formula is right, and this check asks for the identity to hold "
            "as float64 arithmetic keeps it. Compute in float64.")


def expect_close(actual: np.ndarray, expected: np.ndarray, *, call: Text, what: Text = "the result",
                 rtol: float, atol: float, hint: Mistake | None = None,
                 evidence: dict[str, Any] | None = None, finding: str = "") -> None:
    """Fail unless actual matches expected elementwise (NaN never matches); a finding joins the
    failure's first line (fail_call). Arrays or plain numbers (what as_scalar returns) alike."""
    # A cost from as_scalar is a float: a pack's author comparing it crashed the check.
    actual, expected = np.asarray(actual), np.asarray(expected)
    shown = expected.item() if expected.ndim == 0 else expected
    if actual.shape != expected.shape:
        reshaped = _in_shape_asked(actual, expected.shape, what)
        if reshaped is None:
            fail_call(f"{what} has shape {actual.shape}; expected shape {expected.shape}.", call,
                      returned=_shown(actual), expected=shown, hint=hint, evidence=evidence,
                      finding=finding)
        actual = reshaped
    if all_close(actual, expected, rtol, atol):
        return
    odd = ~np.isfinite(actual) & np.isfinite(expected)
    if np.any(odd):  # NaN or inf is no difference of some size: name it
        first = tuple(int(i) for i in np.argwhere(odd)[0])
        where = f" at index {list(first)}" if first else ""
        kinds = [f"{n} {name}" for name, n in (("NaN", int(np.isnan(actual[odd]).sum())),
                                               ("inf", int(np.isinf(actual[odd]).sum()))) if n]
        value = float(actual[first])
        seen = "NaN" if np.isnan(value) else ("inf" if value > 0 else "-inf")
        fail_call(f"wrong values in {what}: {seen}{where} where a number was expected "
                  f"({' and '.join(kinds)} in all).", call, returned=_shown(actual),
                  expected=shown, hint=hint, evidence=evidence,
                  finding=finding)
    gap, index = worst_difference(actual, expected)
    where = f" at index {list(index)}" if index else ""
    fail_call(f"wrong values in {what}: largest difference {gap:.3g}{where} "
              f"(allowed {atol:g} + {rtol:g} x |expected|).", call, returned=_shown(actual),
              expected=shown, hint=hint, evidence=evidence, finding=finding)


def _shown(value: np.ndarray) -> Any:
    """A 0-d array as the number it holds, as a failure shows it."""
    return value.item() if value.ndim == 0 else value


T = TypeVar("T")

# The pack's grading mode while it grades (grader/session.py sets it); "" for a pack of one way.
_mode = ""


def mode() -> str:
    """The name of the pack's grading mode in force (its manifest's [modes]: the default, a
    course config's `mode` or `--mode`), "" for a pack that grades one way. A check whose
    verdict depends on it reads it at run time, never at import."""
    return _mode


@contextmanager
def mode_in_force(name: str) -> Iterator[None]:
    global _mode
    saved, _mode = _mode, name
    try:
        yield
    finally:
        _mode = saved



def if_known(compute: Callable[[], T]) -> T | None:
    """`compute()`, or None where it asks the reference something a student's copy has no known
    answer for. For what only a failure needs (a hint's extra question): the known answers hold
    what a passing run asks, so the verdict never depends on it."""
    try:
        return compute()
    except NotKnown:
        return None
