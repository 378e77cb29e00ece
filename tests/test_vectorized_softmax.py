"""A softmax that works row by row in Python is warned of and never charged: the handout's "A
non-vectorized implementation will not receive full credit!" leaves the credit to the instructor.
What shows it is the number of lines of the submission's own code a call runs
(grader/worker/lines_run.py), the same for 2 rows and 32 when numpy does the rows' work, at least
one more per row when Python does: counted, never timed, so the same on every run."""
from __future__ import annotations

import types

import numpy as np
import pytest

from conftest import FIXTURES, ROOT, checks_of, grade, scores
from grader import proxy, reply_shapes
from grader.packs.cs224n_a1.row_loops import FEW_ROWS, MANY_ROWS, matrix, row_loop_finding
from grader.worker import lines_run

HEADER = "import math\nimport numpy as np\n\n\n"

VECTORIZED = {
    "keepdims": """
def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)
""",
    "reshape_and_branches": """
def softmax(x):
    orig_shape = x.shape
    if len(x.shape) > 1:
        x = x - np.max(x, axis=1).reshape(x.shape[0], 1)
        x = np.exp(x)
        x = x / np.sum(x, axis=1).reshape(x.shape[0], 1)
    else:
        x = np.exp(x - np.max(x))
        x = x / np.sum(x)
    assert x.shape == orig_shape
    return x
""",
    "in_place": """
def softmax(x):
    x -= np.max(x, axis=-1, keepdims=True)
    np.exp(x, out=x)
    x /= np.sum(x, axis=-1, keepdims=True)
    return x
""",
    # numpy prints an array by looping over its rows in Python: lines of numpy's, not of the
    # submission's.
    "prints_its_input": """
def softmax(x):
    print("softmax of", x, f"{x!r}")
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
""",
    "loop_over_columns_of_a_fixed_count": """
def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    total = 0
    for j in range(2):
        total = total + e.sum(axis=-1, keepdims=True) / 2
    return e / total
""",
}

LOOPING = {
    "for_loop": """
def softmax(x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        e = np.exp(x[i] - np.max(x[i]))
        out[i] = e / np.sum(e)
    return out
""",
    "while_loop": """
def softmax(x):
    out = np.empty_like(x)
    i = 0
    while i < len(x):
        e = np.exp(x[i] - np.max(x[i])); out[i] = e / np.sum(e); i += 1
    return out
""",
    "comprehension": """
def softmax(x):
    return np.array([np.exp(r - r.max()) / np.exp(r - r.max()).sum() for r in x])
""",
    "apply_along_axis": """
def softmax(x):
    return np.apply_along_axis(lambda r: np.exp(r - np.max(r)) / np.sum(np.exp(r - np.max(r))),
                               1, x)
""",
    "vectorize": """
def softmax(x):
    e = np.vectorize(lambda v: math.exp(v))(x - np.max(x, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)
""",
    "map_of_a_helper": """
def _row(r):
    e = np.exp(r - np.max(r))
    return e / np.sum(e)


def softmax(x):
    return np.array(list(map(_row, x)))
""",
}


def _softmax(name: str, source: str, root) -> types.FunctionType:
    """The function `softmax` of `source`, run as the upload's q1_softmax.py under `root`."""
    path = root / "q1_softmax.py"
    path.write_text(HEADER + source)
    namespace: dict = {"__name__": f"upload_{name}"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace["softmax"]


def _counted(softmax, root, rows: int) -> proxy.CallResult:
    """One call as the worker answers a request with count_lines, read as the grader reads it."""
    x = matrix(rows)
    with lines_run.LineCounter(str(root)) as counter:
        got = softmax(x.copy())
    e = np.exp(x - x.max(axis=1, keepdims=True))
    assert np.allclose(got, e / e.sum(axis=1, keepdims=True))  # each one a right softmax
    entry = {"ok": True, **counter.report()}
    assert reply_shapes.call_results([entry]) is not None
    lines, busiest = proxy._lines_of(entry)
    return proxy.CallResult(got, lines_run=lines, busiest=busiest)


def _finding(name: str, source: str, root) -> str | None:
    softmax = _softmax(name, source, root)
    _counted(softmax, root, FEW_ROWS)  # as the check does: the first call warms up
    few, many = _counted(softmax, root, FEW_ROWS), _counted(softmax, root, MANY_ROWS)
    return row_loop_finding(few, many, (FEW_ROWS, MANY_ROWS))


@pytest.mark.parametrize("name", [*VECTORIZED, "reference"])
def test_a_vectorized_softmax_is_not_flagged(name, tmp_path):
    source = ((ROOT / "reference" / "q1_softmax.py").read_text() if name == "reference"
              else VECTORIZED[name])
    assert _finding(name, source, tmp_path) is None


@pytest.mark.parametrize("name", LOOPING)
def test_a_softmax_that_works_row_by_row_is_flagged_with_the_line_that_does(name, tmp_path):
    finding = _finding(name, LOOPING[name], tmp_path)
    assert finding is not None and finding.startswith("softmax works row by row in Python")
    assert f"on a {MANY_ROWS}-row matrix" in finding and "of q1_softmax.py (`" in finding
    assert "will not receive full credit" in finding  # the handout's own words


def test_the_line_named_is_the_one_run_per_row(tmp_path):
    finding = _finding("for_loop", LOOPING["for_loop"], tmp_path)
    line = 1 + (HEADER + LOOPING["for_loop"]).splitlines().index("    for i in range(x.shape[0]):")
    assert (f"line {line} of q1_softmax.py (`for i in range(x.shape[0]):`) runs "
            f"{MANY_ROWS + 1} times for {MANY_ROWS} rows and {FEW_ROWS + 1} times for "
            f"{FEW_ROWS}, once per row") in finding


def test_lines_of_code_outside_the_upload_are_not_counted(tmp_path):
    """numpy's own Python (np.apply_along_axis loops over the rows there) never counts: only the
    function it calls, which is the submission's."""
    (tmp_path / "upload").mkdir()
    softmax = _softmax("elsewhere", LOOPING["for_loop"], tmp_path)
    with lines_run.LineCounter(str(tmp_path / "upload")) as counter:
        softmax(matrix(MANY_ROWS))
    assert counter.report() == {"lines_run": 0, "busiest": []}


# ---- end to end ---------------------------------------------------------------------------------
LOOPING_UPLOAD_SOFTMAX = """def softmax(x):
    \"\"\"Softmax of each row of x, one row at a time.\"\"\"
    if x.ndim == 1:
        e = np.exp(x - np.max(x))
        return e / np.sum(e)
    out = np.empty(x.shape)
    for i in range(x.shape[0]):
        e = np.exp(x[i] - np.max(x[i]))
        out[i] = e / np.sum(e)
    return out
"""


def test_a_looping_softmax_keeps_full_marks_and_is_warned(tmp_path):
    source = (FIXTURES / "correct_summed.py").read_text()
    start = source.index("def softmax(x):")
    end = source.index("\n\n\n", start) + 1
    upload = tmp_path / "looping_softmax.py"
    upload.write_text(source[:start] + LOOPING_UPLOAD_SOFTMAX + source[end:])
    report = grade(upload, tmp_path / "out", "--only", "softmax")
    assert scores(report)["softmax"] == 15
    (check,) = [c for c in checks_of(report, "softmax") if c["name"] == "vectorized"]
    assert (check["status"], check["score"], check["max_score"]) == ("failed", 0, 0)
    (warning,) = [w for w in report["warnings"] if "row by row" in w]
    assert warning.startswith("softmax: softmax works row by row in Python")
    assert "(`for i in range(x.shape[0]):`)" in warning and "no points deducted" in warning
    assert "row by row" in report["_terminal"]


def test_a_vectorized_softmax_passes_the_check_silently(tmp_path):
    report = grade(FIXTURES / "correct_summed.py", tmp_path / "out", "--only", "softmax")
    (check,) = [c for c in checks_of(report, "softmax") if c["name"] == "vectorized"]
    assert check["status"] == "passed"
    assert not [w for w in report["warnings"] if "row by row" in w]
