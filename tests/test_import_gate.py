"""What a submission may import (grader/worker/import_gate.py): its own files, the standard
library, NumPy and the display libraries of a notebook; not the rest of the grader's environment
(pytest, hypothesis, jinja2, the grader itself), on every machine alike.

A submission took its sigmoid from a module of the grader's own package and scored 10 of 10 under
a course secret (probe s54), and `from scipy.special import expit` scored by whether the grading
machine happened to have scipy."""
from __future__ import annotations

from conftest import FIXTURES, grade, scores

CORRECT = (FIXTURES / "correct_summed.py").read_text()


def test_the_graders_own_package_and_its_tools_are_not_the_submissions(tmp_path):
    borrowed = CORRECT + (
        "\n\nimport hypothesis\nfrom grader.packs.cbow.support import utils2\n\n"
        "def sigmoid(x):\n    return utils2.sigmoid(x)\n\n"
        "_own_grad = sigmoid_grad\n\n"
        "def sigmoid_grad(s):\n    import pytest\n    return _own_grad(s) * pytest.approx(1.0).expected\n")
    path = tmp_path / "borrowed.py"
    path.write_text(borrowed)
    report = grade(path, tmp_path / "out")
    got = scores(report)
    assert got["sigmoid"] == 0 and got["sigmoid_grad"] == 0, got
    assert got["softmax"] == 15 and got["forward_backward_prop"] == 35, got
    # The grader's package: installed beside it (a wheel), or not there at all (an editable
    # install's source tree is not in the sandbox); neither way the submission's.
    messages = " ".join(c["message"] for c in report["checks"] if c["function"] == "sigmoid")
    assert "No module named 'grader'" in messages, messages
    grad = " ".join(c["message"] for c in report["checks"] if c["function"] == "sigmoid_grad")
    assert "sigmoid_grad raised ModuleNotFoundError: No module named 'pytest' (graded code may " \
           "use NumPy and Python's standard library only)" in grad, grad
    assert any(w.startswith("borrowed.py, line ") and w.endswith(
               "imports hypothesis, which graded code may not use (NumPy and Python's standard "
               "library only, on every machine alike): the import was let through, and only code "
               "that uses hypothesis fails.") for w in report["warnings"]), report["warnings"]


def test_what_the_submission_may_import_still_imports(tmp_path):
    """The standard library, NumPy's own lazy imports, and a file of the upload's own that has
    the name of an installed library (its `hypothesis.py`) are the submission's to import."""
    folder = tmp_path / "own"
    folder.mkdir()
    (folder / "hypothesis.py").write_text("def scale(x):\n    return 1.0 * x\n")
    (folder / "solution.py").write_text(CORRECT.replace(
        "    return 1.0 / (1.0 + np.exp(-x))",
        "    import json, fractions, numpy.ma, numpy.polynomial\n"
        "    from hypothesis import scale\n"
        "    return scale(1.0 / (1.0 + np.exp(-x)))", 1))
    assert (folder / "solution.py").read_text() != CORRECT
    report = grade(folder, tmp_path / "out")
    assert report["score"] == 100, [(c["name"], c["message"][:200]) for c in report["checks"]
                                    if c["status"] != "passed"]
    assert not report["warnings"], report["warnings"]
