"""Whether softmax works row by row in Python, for the advisory check `softmax: vectorized`.

The handout, 1(b): "Your implementation should be efficient and vectorized whenever possible (i.e.,
use numpy matrix operations rather than for loops). A non-vectorized implementation will not
receive full credit!" How much credit that costs is the instructor's to decide, so the check only
warns (README). What tells is the number of lines of the submission's own code a call runs
(grader/worker/lines_run.py), never time: a softmax run on a matrix of MANY_ROWS rows and on one of
FEW_ROWS runs the same lines when numpy does the rows' work, and at least one line more per row
when Python does (a loop, a comprehension, np.apply_along_axis, np.vectorize or map calling the
submission's function). Printing an array, or branching on its shape, runs no more lines for more
rows.
"""
from __future__ import annotations

import numpy as np

from grader.proxy import CallResult

FEW_ROWS, MANY_ROWS = 2, 32
HANDOUT_ON_VECTORIZING = ("The handout asks for a vectorized softmax (\"A non-vectorized "
                          "implementation will not receive full credit!\"): np.max, np.exp and "
                          "np.sum over axis=1 with keepdims=True do every row at once.")


def matrix(rows: int) -> np.ndarray:
    """`rows` rows of 4 columns, entries in [-2, 2], no two neighbouring rows alike."""
    return (np.arange(rows * 4, dtype=np.float64).reshape(rows, 4) % 9 - 4) / 2


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def row_loop_finding(few: CallResult, many: CallResult, rows: tuple[int, int]) -> str | None:
    """What shows that softmax works row by row in Python: the calls on `rows` = (fewer, more)
    rows, `few` and `many` (asked with count_lines), ran at least one more line of the
    submission's own code per added row; named by the line whose runs grew most. None when
    they did not (numpy did the rows' work)."""
    if few.lines_run is None or many.lines_run is None or not many.busiest:
        return None
    added = rows[1] - rows[0]
    if many.lines_run - few.lines_run < added:
        return None
    before = {(b.file, b.line): b.runs for b in few.busiest}
    grown = max(many.busiest, key=lambda b: b.runs - before.get((b.file, b.line), 0))
    was = before.get((grown.file, grown.line), 0)
    per_row, rest = divmod(grown.runs - was, added)
    pace = f", {_times(per_row)} per row" if per_row and not rest else ""
    code = f" (`{grown.code}`)" if grown.code else ""
    return (f"softmax works row by row in Python: it runs {many.lines_run} lines of your code on "
            f"a {rows[1]}-row matrix and {few.lines_run} on a {rows[0]}-row one; line "
            f"{grown.line} of {grown.file}{code} runs {_times(grown.runs)} for {rows[1]} rows and "
            f"{_times(was)} for {rows[0]}{pace}. {HANDOUT_ON_VECTORIZING}")
