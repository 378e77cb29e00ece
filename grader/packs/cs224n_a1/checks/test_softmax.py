"""Checks of softmax(x): a vector is one row, a matrix is softmaxed row by row, large values survive."""
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader import tolerances as tol
from grader.checks_api import CheckFailure, as_array, call_text, expect_close, fail_call, show
from grader.packs.cs224n_a1.hints import HINTS
from grader.packs.cs224n_a1.inputs import secret_draw
from grader.packs.cs224n_a1.integer_inputs import expect_integer_input_works
from grader.packs.cs224n_a1.row_loops import FEW_ROWS, MANY_ROWS, matrix, row_loop_finding
from grader.proxy import StudentError

pytestmark = pytest.mark.function("softmax")

PAIR = np.array([0.26894142, 0.73105858])

small = st.floats(-5, 5, allow_nan=False, width=64)
matrices = hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5),
                      elements=small)
vectors = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=1, min_side=1, max_side=6),
                     elements=small)


def _softmax_of(student, x, report=None, allow_nonfinite=False):
    call = call_text("softmax", x)
    result = student.call(x.copy(), echo_args=True)
    (after,) = result.args_after
    if report is not None and not np.array_equal(after, x):
        report.flag(HINTS["softmax_mutates_input"], {"argument_before": x, "argument_after": after})
    hint, finding, evidence = _broadcast_hint(student, x, result.value)
    if hint is not None:
        fail_call(f"the result has shape {np.shape(result.value)}; expected shape {x.shape}.",
                  call, returned=result.value, hint=hint, finding=finding, evidence=evidence)
    return as_array(result.value, call, x.shape, allow_nonfinite=allow_nonfinite), call


# Rows of different maxima and different sums: a maximum or a sum taken without keepdims shows
# which on it. A column (M, 1) only shows a result of shape (M, M), and hypothesis, stopping at
# the first failure it finds, often finds that one first.
SQUARE = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 5.0], [2.0, -1.0, 0.5]])


def _broadcast_hint(student, x: np.ndarray, value) -> tuple:
    """(hint, finding, evidence) when an (M, 1) input gives a result of shape (M, M), which a row
    maximum or sum of shape (M,) (no keepdims) broadcast against the column gives, and SQUARE,
    asked once more, names which of them it is; (None, "", None) otherwise."""
    m = x.shape[0] if x.ndim == 2 else 0
    try:
        shape = np.shape(value)
    except ValueError:  # a ragged list has no shape (as_array says what came back)
        return None, "", None
    if not (x.ndim == 2 and x.shape[1] == 1 and m > 1 and shape == (m, m)):
        return None, "", None
    try:
        got = as_array(student(SQUARE.copy()), call_text("softmax", SQUARE), SQUARE.shape,
                       allow_nonfinite=True)
    except (CheckFailure, StudentError):  # a question for a hint: its failure is no verdict
        return None, "", None
    r = np.exp(SQUARE - SQUARE.max(axis=1, keepdims=True))
    expected = r / r.sum(axis=1, keepdims=True)
    for hint, evidence in (_no_keepdims_hint(got, SQUARE), _sum_without_keepdims_hint(got, SQUARE),
                           _column_shift_hint(got, SQUARE, expected)):
        if hint is not None:
            return hint, (f"An array of shape ({m},), such as a row maximum or sum without "
                          f"keepdims=True, broadcasts against the ({m}, 1) input into ({m}, {m}); "
                          f"and on the square matrix {SQUARE.tolist()}, {evidence['seen']}."), \
                {**evidence, "square_matrix": SQUARE, "its_result": got}
    return None, "", None


def _sum_without_keepdims_hint(got: np.ndarray, x: np.ndarray) -> tuple:
    """(hint, evidence) when a square matrix's result is each row's exponentials divided by the
    sums of the rows in column order, e / np.sum(e, axis=1) without keepdims (shape (M,), which
    broadcasts along the columns), with or without each row's maximum taken off first. Such a
    result can have columns summing to 1 (when the matrix of exponentials is symmetric): this is
    asked first, so that it is not taken for normalising the columns."""
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[0] != x.shape[1] or got.shape != x.shape \
            or not np.all(np.isfinite(got)):
        return None, None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for e in (np.exp(x - x.max(axis=1, keepdims=True)), np.exp(x)):
            sums = e.sum(axis=1)
            if not np.all(np.isfinite(sums)) or np.allclose(sums, sums[0], rtol=1e-9, atol=0):
                continue  # rows of equal sums: the broadcast changes nothing, nothing to see
            if np.allclose(got, e / sums[None, :], rtol=1e-6, atol=1e-12):
                return HINTS["softmax_sum_without_keepdims"], {
                    "row_sums_of_exp": sums,
                    "seen": "entry (i, j) of the result is row i's exp divided by the sum of row "
                            "j's exps"}
    return None, None


def _axis_hint(got: np.ndarray, x: np.ndarray) -> tuple:
    """(hint, evidence) when a matrix's columns, not its rows, sum to 1, and the shape lets the
    numbers tell the two apart: in one column, normalising the column and normalising the whole
    matrix are the same thing, and in one row every column holds a single entry."""
    hint, evidence = _sum_without_keepdims_hint(got, x)
    if hint is None:
        hint, evidence = _one_column_hint(got)
    if hint is not None or got.ndim != 2 or min(got.shape) < 2:
        return hint, evidence
    rows, columns = got.sum(axis=1), got.sum(axis=0)
    if np.allclose(columns, 1.0) and not np.allclose(rows, 1.0):
        return HINTS["softmax_wrong_axis"], {"row_sums": rows, "column_sums": columns}
    return None, None


def _one_column_hint(got: np.ndarray) -> tuple:
    """(hint, evidence) when an (M, 1) result sums to 1 down its column: each of its M rows,
    one entry each, should be exactly 1."""
    if got.ndim == 2 and got.shape[1] == 1 and got.shape[0] > 1 and np.all(np.isfinite(got)) \
            and np.isclose(got.sum(), 1.0) and not np.allclose(got, 1.0):
        return HINTS["softmax_one_column"], {"column_sum": float(got.sum())}
    return None, None


LOG_FLOAT_MAX = float(np.log(np.finfo(np.float64).max))  # about 709.78


# exp(-t) is below the smallest normal float64 for t above about 708.4, and 0 from about 745.2:
# a row whose entries all lie this far below the number subtracted gets exp 0 (or nearly)
# everywhere, and 0 / 0 is NaN.
UNDERFLOW_GAP = -float(np.log(np.finfo(np.float64).tiny))


def _rows_ok(got: np.ndarray, expected: np.ndarray | None) -> np.ndarray:
    """Per row of a matrix: right (close to the expected row) or, with no expected answer to
    compare with, at least a distribution (finite, non-negative, summing to 1)."""
    with np.errstate(invalid="ignore"):
        if expected is not None:
            return np.array([np.allclose(g, e, rtol=tol.KNOWN_VALUES_RTOL, atol=tol.KNOWN_VALUES_ATOL)
                             for g, e in zip(got, expected)])
        return (np.all(np.isfinite(got), axis=1) & np.all(got >= 0, axis=1)
                & np.isclose(got.sum(axis=1), 1.0, rtol=0, atol=tol.IDENTITY_ATOL))


def _global_max_hint(got: np.ndarray, x: np.ndarray, expected: np.ndarray | None = None) -> tuple:
    """(hint, evidence) when the rows holding the matrix's maximum are right and the only wrong
    rows hold NaN and lie so far below that maximum that exp(x - max(x)) underflows there,
    although exp(x) of some such row would not (so no missing subtraction explains them): what
    one maximum for the whole matrix gives (0 / 0 in each such row; a sum over the whole matrix
    gives zeros there instead). Read from which rows are wrong and where the maxima lie."""
    if x.ndim != 2 or x.shape[0] < 2 or got.shape != x.shape:
        return None, None
    ok = _rows_ok(got, expected)
    row_max = x.max(axis=1)
    gap = x.max() - row_max
    bad = ~ok
    if not bad.any() or not ok[gap == 0].all() or not np.all(gap[bad] > UNDERFLOW_GAP) \
            or not np.any(row_max[bad] > -UNDERFLOW_GAP) \
            or not np.all(np.isnan(got[bad]).any(axis=1)):  # 0 / 0 in each (not a sum elsewhere)
        return None, None
    rows = np.flatnonzero(bad).tolist()
    return HINTS["softmax_global_max"], {
        "wrong_rows": rows, "their_maxima": row_max[bad], "matrix_maximum": float(x.max()),
        "seen": (f"row {rows[0]} is wrong" if len(rows) == 1 else f"rows {rows} are wrong")
                + f" and lie{'s' if len(rows) == 1 else ''} more than {UNDERFLOW_GAP:.0f} below the "
                  f"matrix's maximum {x.max():g}, where exp(x - {x.max():g}) underflows to 0; the "
                  "rows holding that maximum are right"}


def _column_shift_hint(got: np.ndarray, x: np.ndarray, expected: np.ndarray) -> tuple:
    """(hint, evidence) when the result is what taking row j's maximum off column j gives (the
    row maxima without keepdims, broadcast along the columns), read from the right answer alone:
    a softmax ignores a constant taken off a whole row but not one taken off a column, so then
    log(got / expected) + max(x[j]) is the same all along each row i. Square matrices only, where
    that broadcast runs at all."""
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[0] != x.shape[1] or got.shape != x.shape:
        return None, None
    maxima = x.max(axis=1)
    if np.all(maxima == maxima[0]) or not np.all(np.isfinite(got)) or not np.all(got > 0) \
            or not np.all(expected > 0):
        return None, None
    offsets = np.log(got) - np.log(expected) + maxima[None, :]
    if not np.allclose(offsets, offsets[:, :1], rtol=0, atol=1e-6):
        return None, None
    return HINTS["softmax_max_without_keepdims"], {
        "row_maxima": maxima,
        "seen": "row j's maximum came off column j (log(result / expected) + row j's maximum "
                "is the same all along each row)"}


def _no_keepdims_hint(got: np.ndarray, x: np.ndarray) -> tuple:
    """(hint, evidence) when the result is exactly what the row maxima and the row sums, both
    taken without keepdims, give on a square matrix (both broadcast along the columns), and that
    differs from the softmax: read from x alone, overflow and NaN included (the large inputs'
    rows are then shifted by another row's maximum: "overflows" was said, of a softmax that
    does subtract a maximum)."""
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[0] != x.shape[1] or got.shape != x.shape:
        return None, None
    with np.errstate(all="ignore"):
        e = np.exp(x - x.max(axis=1)[None, :])
        both = e / e.sum(axis=1)[None, :]
        r = np.exp(x - x.max(axis=1, keepdims=True))
        right = r / r.sum(axis=1, keepdims=True)
        max_only = e / e.sum(axis=1, keepdims=True)  # each of the two mistakes alone
        sum_only = r / r.sum(axis=1)[None, :]

    def same(a: np.ndarray, b: np.ndarray) -> bool:
        return bool(np.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True))

    # Where one mistake alone gives the same numbers (rows of equal maxima), they tell nothing.
    if any(same(both, other) for other in (right, max_only, sum_only)) or not same(got, both):
        return None, None
    return HINTS["softmax_no_keepdims"], {
        "row_maxima": x.max(axis=1),
        "seen": "the result is exp(x - row j's maximum in column j), each entry (i, j) then "
                "divided by row j's sum"}


# The handout's own square matrix with rows of different maxima, and its right answer.
PROBE = (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([PAIR, PAIR]))


# Rows and columns of different maxima and different sums, and not x[i, j] = a[i] + b[j] (on such
# a matrix, the handout's [[1, 2], [3, 4]] among them, each column's maximum taken off and each
# column's sum divided by give the same numbers, every row 1 / N): asked where x cannot tell them
# apart, it names which of the two it is.
TELL_APART = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0]])


def _column_candidates(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(right, column maxima off, column sums): the softmax, exp(x - the column maxima) with each
    row divided by its sum, and exp(x - the row maxima) with each column divided by its sum
    (np.sum(e, axis=0), with or without keepdims: (N,) broadcasts as a row does)."""
    with np.errstate(all="ignore"):
        r = np.exp(x - x.max(axis=1, keepdims=True))
        e = np.exp(x - x.max(axis=0))
        return (r / r.sum(axis=1, keepdims=True), e / e.sum(axis=1, keepdims=True),
                r / r.sum(axis=0, keepdims=True))


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True))


def _column_max_hint(student, got: np.ndarray, x: np.ndarray) -> tuple:
    """(hint, evidence) when the result is exactly what taking each column's maximum off the
    column gives (np.max(x, axis=0)), and that differs from the softmax: read from x alone, so
    it holds with or without a right answer at hand, NaN from an underflowed row included (a
    single row too: its own entries are the column maxima, so every exponent is 0). Where x
    gives the same numbers for the row maxima taken off and each column divided by its sum (the
    handout's 2 x 2 matrix: probe s62, "subtracts each column's maximum" said of a softmax whose
    maximum was right and whose sum was over axis 0), TELL_APART is asked once more and names
    which of the two it is, or nothing."""
    if x.ndim != 2 or got.shape != x.shape:
        return None, None
    right, columns, column_sums = _column_candidates(x)
    if _same(columns, right) or not _same(got, columns):
        return None, None
    if not _same(columns, column_sums):
        return HINTS["softmax_column_max"], {
            "column_maxima": x.max(axis=0),
            "seen": "the result is exp(x - the column maxima), each row then divided by its sum"}
    try:
        told = as_array(student(TELL_APART.copy()), call_text("softmax", TELL_APART),
                        TELL_APART.shape, allow_nonfinite=True)
    except (CheckFailure, StudentError):  # a question for a hint: its failure is no verdict
        return None, None
    right, columns, column_sums = _column_candidates(TELL_APART)
    asked = (f"on {x.tolist()} the two give the same numbers, and softmax({TELL_APART.tolist()}) "
             f"returns {np.round(told, 6).tolist()}")
    if _same(told, column_sums):
        seen = (f"{asked}: exp(x - each row's maximum), each column then divided by its sum. "
                "The maximum is taken along the rows, the sum down the columns (axis=0)")
        return HINTS["softmax_wrong_axis"], {
            "told_apart_by": TELL_APART, "its_result": told, "seen": seen,
            "finding": f"Your maximum is right; your sum is not: {seen}."}
    if _same(told, columns):
        return HINTS["softmax_column_max"], {
            "column_maxima": x.max(axis=0), "told_apart_by": TELL_APART, "its_result": told,
            "seen": f"{asked}: exp(x - the column maxima), each row then divided by its sum"}
    return None, None


def _finding(evidence: dict | None) -> str:
    """What a hint's evidence found out by asking once more (TELL_APART), said in the failure:
    the hint alone, "the columns of your result sum to 1", is not true of every input (on the
    handout's 2 x 2 matrix its rows sum to 1 too)."""
    return str((evidence or {}).get("finding", ""))


def _wrong_max_hint(student, got: np.ndarray, x: np.ndarray,
                    expected: np.ndarray | None = None) -> tuple:
    """(hint, evidence) when a matrix's result shows a maximum subtracted other than each row's
    own: the whole matrix's, or the row maxima broadcast along the columns (or, where the values
    of the column maxima are also those of a sum down the columns, whichever of the two
    _column_max_hint's second question names). Where this call's numbers overflowed too much to
    tell, or no right answer is at hand, the handout's small matrix (whose answer is known) is
    asked once more: there no exponent can overflow, so a wrong answer is the shift's alone.
    With no right answer, a row holding the matrix's maximum counts as right when it is what the
    submission returns for that row alone (for one row, the whole matrix's maximum is the row's
    own)."""
    if x.ndim != 2 or x.shape[0] < 2 or got.shape != x.shape:
        return None, None
    hint, evidence = _column_max_hint(student, got, x)
    if hint is None:
        hint, evidence = _no_keepdims_hint(got, x)
    if hint is not None:
        return hint, evidence
    if expected is not None:
        hint, evidence = _global_max_hint(got, x, expected)
        if hint is None:
            hint, evidence = _column_shift_hint(got, x, expected)
        if hint is not None or np.all(np.isfinite(got)):
            return hint, evidence
    try:
        if x.shape[0] == x.shape[1] and not np.all(np.isfinite(got)):
            probe, answer = PROBE
            small = as_array(student(probe.copy()), call_text("softmax", probe), probe.shape,
                             allow_nonfinite=True)
            hint, evidence = _column_shift_hint(small, probe, answer)
            if hint is not None:
                return hint, {**evidence, "seen": f"softmax({probe.tolist()}) returns "
                                                  f"{np.round(small, 8).tolist()}, where no "
                                                  f"exponent can overflow: {evidence['seen']}"}
        if expected is not None:
            return None, None
        top = np.flatnonzero(x.max(axis=1) == x.max())
        alone = [as_array(student(x[r:r + 1].copy()), call_text("softmax", x[r:r + 1]),
                          (1, x.shape[1]), allow_nonfinite=True)[0] for r in top]
    except (CheckFailure, StudentError):  # a question for a hint: its failure is no verdict
        return None, None
    if not all(np.allclose(got[r], row, rtol=0, atol=tol.IDENTITY_ATOL)
               for r, row in zip(top, alone)):
        return None, None
    return _global_max_hint(got, x)


def _overflow_hint(got: np.ndarray, x: np.ndarray) -> tuple:
    """(hint, evidence) when exp overflowed: the result holds inf or NaN, or a row is all zeros
    where the sum of exp over that row's inputs exceeds the largest float (x / inf is 0)."""
    bad = ~np.isfinite(got)
    rows, inputs = np.atleast_2d(got), np.atleast_2d(x)
    zeroed = np.all(rows == 0, axis=-1) & (np.logaddexp.reduce(inputs, axis=-1) > LOG_FLOAT_MAX)
    nan_rows = np.all(np.isnan(rows), axis=-1)
    if np.any(nan_rows) and not np.any(bad & ~np.isnan(got)) and not np.any(zeroed) \
            and np.all(inputs[nan_rows].max(axis=-1) <= LOG_FLOAT_MAX):
        # No entry of those rows is large enough for exp to overflow: a row of NaN there is
        # 0 / 0, every exponent of the row pushed below exp's range (nothing, the minimum or the
        # largest |x| subtracted from very negative entries).
        first = int(np.flatnonzero(nan_rows)[0])
        which = f"row {first} of the result is" if got.ndim == 2 else "the result is"
        if float(np.max(np.abs(inputs))) * 2 < UNDERFLOW_GAP:
            # No difference of two inputs, and no input, reaches exp's lower end: no subtraction
            # makes every exponent of a row underflow (softmax(x / max(x)) of a row of zeros).
            return HINTS["softmax_zero_by_zero"], {
                "nan_rows": int(nan_rows.sum()), "largest_input": float(np.max(np.abs(inputs))),
                "seen": f"{which} all NaN, although no input, nor any difference of two, is near "
                        "the range where exp overflows or underflows"}
        return HINTS["softmax_underflow"], {
            "nan_rows": int(nan_rows.sum()), "row_maximum": float(inputs[first].max()),
            "seen": f"{which} all NaN, although its largest input, {inputs[first].max():g}, is "
                    "within exp's range"}
    if np.any(bad) or np.any(zeroed):
        return HINTS["softmax_overflow"], {"non_finite_entries": int(bad.sum()),
                                           "rows_of_zeros": int(zeroed.sum())}
    return None, None


def _row_minimum_finding(got: np.ndarray, x: np.ndarray) -> str:
    """What an overflowed result shows when it is exactly what subtracting each row's minimum
    gives, and not what subtracting nothing gives (on [710, 0] the two are the same NaN, and
    nothing is said): the shift "solves" the handout's [[1001, 1002]] and leaves exponents up to
    each row's maximum minus its minimum. "" otherwise."""
    rows = np.atleast_2d(x)
    with np.errstate(all="ignore"):
        def shifted(by: np.ndarray | float) -> np.ndarray:
            e = np.exp(rows - by)
            return (e / e.sum(axis=-1, keepdims=True)).reshape(got.shape)
        minimum, nothing = shifted(rows.min(axis=-1, keepdims=True)), shifted(0.0)
    if not _same(got, minimum) or _same(got, nothing):
        return ""
    spread = float(np.max(rows.max(axis=-1) - rows.min(axis=-1)))
    return (f"Your result is what subtracting each row's minimum gives (np.min): that leaves "
            f"exponents up to the row's maximum minus its minimum, here {spread:g}, and exp "
            f"overflows above about {LOG_FLOAT_MAX:.1f}; subtracting the maximum leaves them all "
            "at most 0.")


@pytest.mark.points(3)
@pytest.mark.published  # the handout's own examples
def test_known_values(student, report):
    for x, expected in ((np.array([1.0, 2.0]), PAIR),
                        (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([PAIR, PAIR]))):
        got, call = _softmax_of(student, x, report)
        hint, evidence = _wrong_max_hint(student, got, x, expected)
        if hint is None:
            hint, evidence = _axis_hint(got, x)
        expect_close(got, expected, call=call, rtol=tol.KNOWN_VALUES_RTOL,
                     atol=tol.KNOWN_VALUES_ATOL, hint=hint, evidence=evidence,
                     finding=_finding(evidence))
    # As the handout's own test writes it: softmax(np.array([1, 2])).
    expect_integer_input_works(student, "softmax", np.array([1, 2]), PAIR,
                               rtol=tol.KNOWN_VALUES_RTOL, atol=tol.KNOWN_VALUES_ATOL)


@pytest.mark.points(2)
@pytest.mark.robustness
@pytest.mark.published  # the handout's own examples
def test_known_values_large_inputs(student, report):
    """The handout's own test: large inputs must not overflow."""
    cases = ((np.array([[1001.0, 1002.0], [3.0, 4.0]]), np.array([PAIR, PAIR])),
             (np.array([[-1001.0, -1002.0]]), np.array([PAIR[::-1]])))
    for x, expected in cases:
        got, call = _softmax_of(student, x, report, allow_nonfinite=True)
        hint, evidence = _wrong_max_hint(student, got, x, expected)
        if hint is None:
            hint, evidence = _overflow_hint(got, x)
        expect_close(got, expected, call=call, rtol=tol.KNOWN_VALUES_RTOL,
                     atol=tol.KNOWN_VALUES_ATOL, hint=hint, evidence=evidence,
                     finding=_finding(evidence))
    for x, expected in cases:  # as the handout's own test writes them, integer arrays
        expect_integer_input_works(student, "softmax", x.astype(np.int64), expected,
                                   rtol=tol.KNOWN_VALUES_RTOL, atol=tol.KNOWN_VALUES_ATOL)


@pytest.mark.points(2)
@given(x=matrices)
def test_rows_sum_to_one(student, x):
    got, call = _softmax_of(student, x)
    sums = got.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=0, atol=tol.IDENTITY_ATOL) or np.any(got < 0):
        hint, evidence = _axis_hint(got, x)
        fail_call("the rows of the result do not sum to 1 (or have negative entries).", call,
                  returned=got, detail=f"row sums: {sums!r}", hint=hint, evidence=evidence)


@pytest.mark.points(2)
@given(x=matrices, shift=st.floats(-50, 50, allow_nan=False, width=64))
def test_invariant_to_adding_a_constant(student, x, shift):
    got, call = _softmax_of(student, x)
    if not np.allclose(got.sum(axis=1), 1.0, rtol=0, atol=tol.IDENTITY_ATOL) or np.any(got < 0):
        # Invariance means something only for a softmax: all zeros would be invariant too.
        fail_call("the rows of the result are not distributions (non-negative, summing to 1).",
                  call, returned=got)
    row_shifts = shift * np.arange(1, x.shape[0] + 1)[:, None]
    shifted, shifted_call = _softmax_of(student, x + row_shifts)
    expect_close(shifted, got, call=shifted_call,
                 what=f"softmax(x + c), which should equal softmax(x) = the 'expected' below, for c = "
                      f"{row_shifts.ravel().tolist()} added to the rows", rtol=0, atol=tol.IDENTITY_ATOL)


@pytest.mark.exact_shapes
@pytest.mark.points(2)
# The network, softmax's one caller here, passes (M, Dy) matrices: a softmax that gives a vector
# a (1, N) result is not why a network fails (probe s61: "fix softmax first", fixed, and the
# network failed the same). Where a caller's error is raised inside softmax and is this check's,
# softmax is named all the same (grader/callees.py).
@pytest.mark.callers_never_pass
@given(x=vectors)
def test_vector_input(student, x):
    """A 1-D input is one row: the output is 1-D, sums to 1, and equals softmax of [x]'s row."""
    got, call = _softmax_of(student, x)
    if not np.isclose(got.sum(), 1.0, rtol=0, atol=tol.IDENTITY_ATOL) or np.any(got < 0):
        fail_call("the result of a 1-D input does not sum to 1 (a vector is one row).", call,
                  returned=got)
    row, row_call = _softmax_of(student, x[None, :])
    if np.allclose(got, row[0], rtol=0, atol=tol.IDENTITY_ATOL):
        return
    # Which of the two is wrong, when one of them is no distribution: the submission's own
    # answer is never shown as the expected one (a softmax wrong on matrices only was told that
    # softmax([0, 0]) should be [1, 1]).
    if not np.isclose(row[0].sum(), 1.0, rtol=0, atol=tol.IDENTITY_ATOL):
        hint, evidence = _axis_hint(row, x[None, :])
        fail_call(f"a one-row matrix is not treated as its row: the row of the result sums to "
                  f"{row[0].sum():.6g}, not 1, while the same numbers as a vector give "
                  f"{show(got)}, which does sum to 1.", row_call, returned=row, hint=hint,
                  evidence=evidence)
    fail_call(f"a vector and a one-row matrix of the same numbers give different rows: row 0 of "
              f"{row_call} is {show(row[0])}; softmax must treat a vector as one row.", call,
              returned=got)


large = st.floats(-1e4, 1e4, allow_nan=False, width=64)


# Rows whose maxima lie more than 745 apart, inside exp's range without a shift: only a softmax
# that subtracts the whole matrix's maximum fails on it. Drawn matrices hold such rows too, but
# whether the first examples do depends on hypothesis's version: a fixed one makes the verdict not.
ROWS_FAR_APART = np.array([[700.0, 701.0], [-60.0, -59.0]])
# Rows spanning more than exp's range, none of their entries large: what subtracting nothing gets
# right and subtracting the row's minimum overflows on (x - min reaches 801). The drawn rows that
# overflow are most often shrunk to [710, 0], where those two give the same NaN, and the report
# could not say that the minimum was subtracted (probe s62: r25, r31, "#Solving overflow problem").
# Symmetric, and no row's maximum 0: a maximum or a sum over the wrong axis, and a division by
# the maximum, answer it right, and keep being told about the inputs that show their mistake (a
# sum over axis 0 made 0 / 0 of [[-800, 0]], and was told that exp overflowed).
ROWS_WIDER_THAN_EXP = np.array([[-800.0, 1.0], [1.0, -800.0]])


@pytest.mark.points(2)
@given(x=st.one_of(hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(2, 5)),
                              elements=large),
                   hnp.arrays(np.float64, st.tuples(st.integers(2, 6)), elements=large)))
@example(x=ROWS_FAR_APART)
@example(x=ROWS_WIDER_THAN_EXP)
def test_no_overflow(student, x):
    """Entries up to 10^4 in size, in a matrix or a vector (one row): every value finite, every
    row sums to 1."""
    got, call = _softmax_of(student, x, allow_nonfinite=True)
    hint, evidence = _wrong_max_hint(student, got, x)
    if hint:
        fail_call(f"{'NaN or inf' if not np.all(np.isfinite(got)) else 'wrong values'} in the "
                  f"result: {evidence['seen']}.", call, returned=got, hint=hint, evidence=evidence)
    hint, evidence = _overflow_hint(got, x)
    if hint:
        if hint is HINTS["softmax_underflow"]:
            problem = (f"NaN in the result: {evidence['seen']}: every exp of the row was 0, "
                       "and 0 / 0 is NaN.")
        elif hint is HINTS["softmax_zero_by_zero"]:
            problem = (f"NaN in the result: {evidence['seen']}: something divided 0 by 0.")
        elif evidence["non_finite_entries"]:
            problem = "inf or NaN in the result: exp overflowed."
        else:
            problem = "a row of the result is all zeros: the sum of exp overflowed to inf."
        finding = _row_minimum_finding(got, x) if hint is HINTS["softmax_overflow"] else ""
        fail_call(problem, call, returned=got, hint=hint, evidence=evidence, finding=finding)
    if not np.allclose(got.sum(axis=-1), 1.0, rtol=0, atol=tol.IDENTITY_ATOL):
        hint, evidence = _axis_hint(got, x)
        fail_call("the rows of the result do not sum to 1." if got.ndim == 2 else
                  "the result of a 1-D input does not sum to 1 (a vector is one row).",
                  call, returned=got, hint=hint, evidence=evidence)


# One example of each row, a column: a softmax that squeezes it to a vector, or reads it as a
# column vector, normalises down the column. rows_sum_to_one and invariant_to_adding_a_constant
# find that under every input set; whether the drawn inputs of this values check held a column
# depended on the course secret, and so did the 6 points the checks of the function against
# itself keep only when its values are right (5 or 11 of 15 for one mistake).
ONE_COLUMN = np.array([[1.0], [2.0]])


@pytest.mark.points(2)
@given(x=st.one_of(matrices, vectors))
@example(x=ONE_COLUMN)
def test_matches_reference(student, reference, x):
    got, call = _softmax_of(student, x)
    hint, evidence = _column_max_hint(student, got, x)
    if hint is None:
        hint, evidence = _one_column_hint(got)
    # rtol SCALE_RTOL: a softmax in float32 is off by a few 1e-8 of each value, over 1e-7 on
    # some draws only; a wrong formula is off by far more.
    expect_close(got, np.asarray(reference.softmax(x.copy())), call=call, rtol=tol.SCALE_RTOL,
                 atol=tol.REFERENCE_ATOL, hint=hint, evidence=evidence, finding=_finding(evidence))


# ---- vectorized: advisory only ------------------------------------------------------------------
@pytest.mark.points(0)
def test_vectorized(student):
    """Advisory: softmax does a matrix's rows in numpy, not one by one in Python. The handout
    asks for it ("A non-vectorized implementation will not receive full credit!"); what it is
    worth is the instructor's to decide, so this only warns (row_loops.py says how it is told).
    The first call only warms up: a function's first call may run lines the next ones skip (a
    cache filled, a lazy import)."""
    # Under a course secret its values are drawn from it, as every check's but the published
    # ones are: the same two matrices everywhere could be answered from a table.
    draw = secret_draw("softmax rows")
    few_rows, many_rows = (matrix(n) if draw is None else matrix(n) + draw.uniform(-1, 1, (n, 4))
                           for n in (FEW_ROWS, MANY_ROWS))
    try:
        _, few, many = student.many([(few_rows,), (few_rows.copy(),), (many_rows,)],
                                    count_lines=True)
    except StudentError:
        return  # the checks of its values say what went wrong
    finding = row_loop_finding(few, many, (FEW_ROWS, MANY_ROWS))
    if finding is not None:
        fail_call(finding, f"softmax(x) with x of shape ({FEW_ROWS}, 4), then of shape "
                           f"({MANY_ROWS}, 4)", evidence={
                               "lines_run": {f"{FEW_ROWS} rows": few.lines_run,
                                             f"{MANY_ROWS} rows": many.lines_run}})
