"""A shape failure says what the shape is of the expected one: transposed, or with an axis of
length 1 more or fewer (grader/checks_api.py as_array)."""
from __future__ import annotations

import numpy as np
import pytest

from grader.checks_api import (CheckFailure, as_array, expect_close, forget_precision, judge_shapes,
                               low_precision_note)


def message(got_shape: tuple, expected: tuple) -> str:
    judge_shapes(exact=True)  # as in a check of the result's form, and outside any grade
    with pytest.raises(CheckFailure) as failure:
        as_array(np.zeros(got_shape), "f(x)", expected)
    return str(failure.value)


def test_a_vector_returned_as_a_row_is_named():
    said = message((1, 3), (3,))
    assert "has shape (1, 3); expected shape (3,). That is the expected shape with an extra axis " \
           "of length 1: .reshape(3,) (or .ravel()) gives the shape asked for." in said, said


def test_a_row_returned_flat_is_named():
    assert "without its axis of length 1: keep that axis" in message((4,), (1, 4))


def test_the_transpose_is_named_and_nothing_else_is_guessed():
    assert "That is the transpose" in message((4, 3), (3, 4))
    assert "That is" not in message((4, 2), (3, 4))


@pytest.fixture
def lenient():
    """A check of a function that has a check of its result's form, and is not that check."""
    judge_shapes(exact=False, charged_by="returns_cost_and_gradients")
    forget_precision()
    yield
    judge_shapes(exact=True)
    forget_precision()


def test_elsewhere_a_unit_axis_is_compared_in_the_shape_asked_and_noted(lenient):
    row = np.array([[1.0, 2.0, 3.0]])
    assert as_array(row, "f(x)", (3,)).shape == (3,)
    expect_close(np.array([[1.0], [2.0]]), np.array([1.0, 2.0]), call="f(x)", rtol=0, atol=0)
    note = low_precision_note()
    assert "the result had shape (1, 3), not (3,)" in note, note
    assert "(`returns_cost_and_gradients`) only" in note, note
    # the values are still judged, in the shape asked for
    with pytest.raises(CheckFailure, match="wrong values"):
        expect_close(np.array([[1.0, 2.5]]), np.array([1.0, 2.0]), call="f(x)", rtol=0, atol=1e-9)


def test_elsewhere_other_shapes_still_fail(lenient):
    for got, expected in (((4, 3), (3, 4)), ((3,), (4,)), ((2, 3), (6,)), ((2, 1), (1, 3))):
        with pytest.raises(CheckFailure, match="has shape"):
            as_array(np.zeros(got), "f(x)", expected)
    assert low_precision_note() == ""


def test_a_check_of_the_form_fails_a_unit_axis():
    judge_shapes(exact=True)
    with pytest.raises(CheckFailure, match="extra axis of length 1"):
        as_array(np.zeros((1, 3)), "f(x)", (3,))
    with pytest.raises(CheckFailure, match=r"has shape \(2, 1\)"):
        expect_close(np.zeros((2, 1)), np.zeros(2), call="f(x)", rtol=0, atol=0)


def test_a_packs_check_may_compare_plain_numbers():
    """A cost from as_scalar is a float: an outside pack's author passing it to expect_close got
    "'float' object has no attribute 'shape'", a grader failure on every submission, the
    reference's own included. Numbers compare as arrays do, and show as numbers."""
    expect_close(2.0, np.float64(2.0), call="cost(x)", rtol=1e-9, atol=0)
    with pytest.raises(CheckFailure) as failure:
        expect_close(1.5, 2.0, call="cost(x)", what="the cost", rtol=1e-9, atol=0)
    said = str(failure.value)
    assert said.startswith("wrong values in the cost: largest difference 0.5"), said
    assert "returned: 1.5" in said and "expected: 2.0" in said, said
    with pytest.raises(CheckFailure) as failure:
        expect_close(float("nan"), 2.0, call="cost(x)", rtol=1e-9, atol=0)
    assert "NaN where a number was expected" in str(failure.value)


def test_a_unit_axis_seen_again_is_noted_once(lenient):
    """Each hypothesis example of a check met the same 1-D grad_b2: the note said "grad_b2 had
    shape (3,), not (3, 1)" once per example (probe s60, m17)."""
    for rows in (2, 3, 3, 3, 3):  # a name made anew for each result, as the checks make it
        as_array(np.zeros(rows), "f(x)", (rows, 1), what="".join(["grad_", "b2"]))
    note = low_precision_note()
    assert note.count("grad_b2 had shape (3,), not (3, 1)") == 1, note
    assert "grad_b2 had shape (2,), not (2, 1); grad_b2 had shape (3,)" in note, note


# A function written for a (1, D) row meets the (D,) vector the assignment passes (probe s61).
_READS_A_ROW = '''
import numpy as np

def as_row_reader(predicted, outputVectors):
    local = outputVectors[0]
    size = outputVectors.shape[1]
    predicted = np.reshape(predicted, (predicted.shape[1],))
    return size

def reads_a_third_axis(outputVectors):
    local = outputVectors
    return local.shape[0] + local.shape[2]

def reads_a_good_axis(outputVectors):
    return outputVectors.shape[1] + (1, 2)[5]

def unpacks_a_row(x):
    m, n = x.shape  # rows and columns
    return m * n
'''


def _raised(tmp_path, function: str, *args, kind: type = IndexError) -> BaseException:
    import importlib.util
    path = tmp_path / "student.py"
    path.write_text(_READS_A_ROW)
    spec = importlib.util.spec_from_file_location("student_axes", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(kind) as raised:
        getattr(module, function)(*args)
    return raised.value


def test_the_worker_names_the_array_whose_missing_axis_a_line_read(tmp_path):
    from grader.worker.missing_axes import missing_axes
    row = _raised(tmp_path, "as_row_reader", np.zeros(3), np.zeros((5, 3)))
    assert missing_axes(row, tmp_path) == [
        {"name": "predicted", "shape": [3], "index": 1, "parameter": True}]
    third = _raised(tmp_path, "reads_a_third_axis", np.zeros((5, 3)))
    assert missing_axes(third, tmp_path) == [
        {"name": "local", "shape": [5, 3], "index": 2, "parameter": False}]
    # Its own tuple index out of range, beside a shape read that is fine: no array is named.
    assert missing_axes(_raised(tmp_path, "reads_a_good_axis", np.zeros((5, 3))), tmp_path) == []
    assert missing_axes(row, tmp_path / "elsewhere") == []  # not the submission's code
    unpacked = _raised(tmp_path, "unpacks_a_row", np.zeros(4), kind=ValueError)
    assert missing_axes(unpacked, tmp_path) == [
        {"name": "x", "shape": [4], "index": 1, "parameter": True, "unpacked": 2}]


def test_an_array_unpacked_into_more_names_than_axes_is_named():
    from grader.proxy import StudentError
    said = StudentError("softmax", {
        "type": "ValueError", "message": "not enough values to unpack (expected 2, got 1)",
        "traceback": [{"file": "q1_softmax.py", "line": 33, "function": "softmax",
                       "code": "m,n = x.shape"}],
        "axes": [{"name": "x", "shape": [4], "index": 1, "parameter": True, "unpacked": 2}],
    }).describe()
    assert said.splitlines()[0] == (
        "softmax raised ValueError: not enough values to unpack (expected 2, got 1). x, a "
        "parameter of softmax, is a vector (1-D) there (shape (N,)), and line 33 unpacks x.shape "
        "into 2 names, one per axis, but x has 1 axis. The grader passes x as the assignment "
        "describes it; if your code needs a (1, N) row, make one with x.reshape(1, -1), and "
        "read its length with x.shape[-1]."), said


def test_a_vector_read_as_a_row_is_named_in_the_failure(tmp_path):
    """negSampling written for a (1, D) row: the score stays what it was (0), and the failure's
    first line, which the report shows and folds the same checks under, says which argument is
    a vector and which line reads its second axis."""
    from conftest import FIXTURES, grade
    source = (FIXTURES / "correct_summed.py").read_text()
    head = "    indices = [target]\n    indices.extend(getNegativeSamples(target, dataset, K))\n"
    assert head in source
    path = tmp_path / "row.py"
    path.write_text(source.replace(
        head, "    predicted = np.reshape(predicted, (predicted.shape[1],))\n" + head, 1))
    line = path.read_text().splitlines().index(
        "    predicted = np.reshape(predicted, (predicted.shape[1],))") + 1
    report = grade(path, tmp_path / "out", "--only", "negSamplingCostAndGradient")
    checks = [c for c in report["checks"] if c["function"] == "negSamplingCostAndGradient"]
    assert sum(c["score"] for c in checks) == 0
    first = next(c for c in checks if c["name"] == "returns_cost_and_gradients")
    assert first["message"].splitlines()[0] == (
        "negSamplingCostAndGradient raised IndexError: tuple index out of range. predicted, a "
        "parameter of negSamplingCostAndGradient, is a vector (1-D) there (shape (N,)), and line "
        f"{line} reads predicted.shape[1], its second axis, which it does not have. The grader "
        "passes predicted as the assignment describes it; if your code needs a (1, N) row, make "
        "one with predicted.reshape(1, -1), and read its length with predicted.shape[-1]."
    ), first["message"]
    errors = {c["message"].splitlines()[0] for c in checks if c["status"] == "error"}
    assert errors == {first["message"].splitlines()[0]}  # one failure, said once


def test_a_negsampling_written_for_a_column_is_named_in_the_failure(tmp_path):
    """negSampling written for a (D, 1) column (its author's own skipgram passed one): on the
    (D,) vector the assignment passes it raised numpy's error, which said nothing of predicted
    (probe s62, r37). The score stays what it was (0), as for a (1, D) row; the failure's first
    line says that a column answers and how to take either."""
    from conftest import FIXTURES, grade
    source = (FIXTURES / "correct_summed.py").read_text()
    head = "    indices = [target]\n"
    assert source.count(head) == 1
    path = tmp_path / "column.py"
    path.write_text(source.replace(head, "    predicted = predicted[:, 0]\n" + head))
    report = grade(path, tmp_path / "out", "--only", "negSamplingCostAndGradient")
    checks = [c for c in report["checks"] if c["function"] == "negSamplingCostAndGradient"]
    assert sum(c["score"] for c in checks) == 0
    first = next(c for c in checks if c["name"] == "returns_cost_and_gradients")
    assert first["message"].splitlines()[0].endswith(
        "predicted is a vector of shape (D,) there, as the assignment passes it, and your code "
        "is written for a column: with predicted.reshape(-1, 1), shape (D, 1), it answers, and "
        "its cost is the handout's. To take either, begin with predicted = predicted.reshape(-1) "
        "(or ravel()) and write the code for a vector, returning gradPred of shape (D,); or "
        "begin with predicted = predicted.reshape(-1, 1) and return gradPred.reshape(-1)."
    ), first["message"]
    errors = {c["message"].splitlines()[0] for c in checks if c["status"] == "error"}
    assert errors == {first["message"].splitlines()[0]}  # one failure, said once


def test_a_column_is_not_offered_where_it_does_not_help(tmp_path):
    """A negSampling that raises whatever predicted's shape is told nothing of columns."""
    from conftest import FIXTURES, grade
    source = (FIXTURES / "correct_summed.py").read_text()
    head = "    indices = [target]\n"
    path = tmp_path / "raises.py"
    path.write_text(source.replace(head, "    predicted = predicted[:, 0, 0]\n" + head))
    report = grade(path, tmp_path / "out", "--only", "negSamplingCostAndGradient")
    said = [c["message"] for c in report["checks"] if c["status"] == "error"]
    assert said and not any("written for a column" in m for m in said), said
