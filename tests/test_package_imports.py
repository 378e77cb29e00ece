"""Files of the upload imported through a package the upload does not have (grader/worker/
package_imports.py): `from assignment1.q1_softmax import softmax`, `from . import q2_sigmoid`.
Real CS224n repositories do both; their code is right, and scored 30 of 100 before."""
from __future__ import annotations

import ast
import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, by_function, grade

sys.path.insert(0, str(ROOT / "grader" / "worker"))
import package_imports  # noqa: E402  (the worker's modules import each other by bare name)

FLAT = {"q2_neural.py": ("from q1_softmax import softmax\nfrom q2_sigmoid import sigmoid, sigmoid_grad\n"),
        "q3_word2vec.py": ("from q1_softmax import softmax\nfrom q2_sigmoid import sigmoid, sigmoid_grad\n")}

# How each file's two import lines are written instead, and the folders the files sit in.
WAYS = {
    "repository_as_package": ({
        "q2_neural.py": "from assignment1.q1_softmax import softmax\n"
                        "from assignment1.q2_sigmoid import sigmoid, sigmoid_grad\n",
        "q3_word2vec.py": "from assignment1 import q1_softmax, q2_sigmoid\n"
                          "softmax = q1_softmax.softmax\n"
                          "import assignment1.q2_sigmoid as s2\n"
                          "sigmoid, sigmoid_grad = s2.sigmoid, s2.sigmoid_grad\n"}, ""),
    "two_levels_in_its_folder": ({
        "q2_neural.py": "from cs224n.assignment1.q1_softmax import softmax\n"
                        "from cs224n.assignment1.q2_sigmoid import sigmoid, sigmoid_grad\n",
        "q3_word2vec.py": "import cs224n.assignment1.q1_softmax\n"
                          "softmax = cs224n.assignment1.q1_softmax.softmax\n"
                          "from q2_sigmoid import sigmoid, sigmoid_grad\n"}, "assignment1"),
    "relative": ({
        "q2_neural.py": "from .q1_softmax import softmax\n"
                        "from .q2_sigmoid import sigmoid, sigmoid_grad\n",
        "q3_word2vec.py": "from . import q1_softmax\nfrom .q2_sigmoid import *\n"
                          "softmax = q1_softmax.softmax\n"}, ""),
}


def _upload(tmp_path: Path, lines: dict[str, str], folder: str, extra: str = "") -> Path:
    upload = tmp_path / "upload"
    where = upload / folder if folder else upload
    shutil.copytree(FIXTURES / "correct_multifile", where)
    for name, text in lines.items():
        source = (where / name).read_text()
        assert FLAT[name] in source
        (where / name).write_text(source.replace(FLAT[name], text + extra))
    return upload


@pytest.mark.parametrize("way", WAYS)
def test_the_uploads_own_files_are_reached_through_a_package_it_does_not_have(tmp_path, way):
    lines, folder = WAYS[way]
    report = grade(_upload(tmp_path, lines, folder), tmp_path / "out")
    assert report["score"] == report["max_score"] == 100, [
        (c["name"], c["message"]) for c in report["checks"] if c["status"] != "passed"]
    assert not report["error"]
    # The functions the other files imported are the ones their own files define: no copies.
    assert not any("more than one file" in w for w in report["warnings"]), report["warnings"]


def test_a_module_the_upload_lacks_is_still_missing_through_the_same_package(tmp_path):
    lines, _ = WAYS["repository_as_package"]
    with_missing = {**lines, "q2_neural.py": lines["q2_neural.py"]
                    + "from assignment1.q4_helpers import normalize_rows\n"}
    report = grade(_upload(tmp_path, with_missing, ""), tmp_path / "out")
    # The helper is never called by the graded functions: nothing is lost, and it is named.
    assert report["score"] == 100
    assert any("imports assignment1.q4_helpers, which is not installed where your code is "
               "graded, nor in your upload: if q4_helpers.py is a file of yours, upload it with "
               "the others" in w for w in report["warnings"]), report["warnings"]


def test_a_missing_package_everyone_knows_is_not_taken_for_a_file_left_out(tmp_path):
    from grader.session import WELL_KNOWN_PACKAGES
    absent = next(name for name in sorted(WELL_KNOWN_PACKAGES)
                  if importlib.util.find_spec(name) is None)  # matplotlib, unless installed here
    lines = {"q2_neural.py": FLAT["q2_neural.py"] + f"import {absent}\n"}
    report = grade(_upload(tmp_path, lines, ""), tmp_path / "out")
    assert report["score"] == 100
    (warning,) = [w for w in report["warnings"] if f"imports {absent}" in w]
    assert "which is not installed where your code is graded" in warning
    assert "file of yours" not in warning


def test_the_scan_finds_only_imports_that_reach_an_uploaded_module():
    modules = {"q1_softmax", "q2_sigmoid", "q2_neural"}
    sources = [
        ("a.py", "import numpy.linalg\nfrom os import path\nfrom q1_softmax import softmax\n"),
        ("b.py", "from hw.a1.q1_softmax import softmax\nfrom pkg import q2_sigmoid\n"),
        ("c.py", "def f():\n    from ..q2_neural import forward_backward_prop\n"),
        ("d.py", "from .helpers import x\nfrom . import utils\n"),
        ("e.py", "x = 1  # from nothing import q1_softmax, mentioned in a comment only\n"),
    ]
    found = package_imports.scan(sources, modules, ast.parse)
    assert found.packages == {"hw", "hw.a1", "pkg", "your_upload", "your_upload.your_upload"}
    assert found.relative == {"c.py": 2}


@pytest.mark.parametrize("helper", ["loader", "wire"])
def test_a_helper_file_named_like_one_of_the_graders_own_modules_is_the_students(tmp_path, helper):
    """The worker's modules (grader/worker/: loader.py, wire.py, capture.py, ...) are imported
    before the submission; a student's helper of the same name must still be what the
    student's files import (a correct upload scored 15 of 100)."""
    lines = {"q2_neural.py": FLAT["q2_neural.py"] + f"from {helper} import stable_sigmoid\n"}
    upload = _upload(tmp_path, lines, "")
    (upload / f"{helper}.py").write_text(
        "import numpy as np\n\n\ndef stable_sigmoid(x):\n    return np.exp(-np.logaddexp(0, -x))\n")
    sigmoid_file = upload / "q2_sigmoid.py"
    sigmoid_file.write_text(f"from {helper} import stable_sigmoid\n" + sigmoid_file.read_text())
    report = grade(upload, tmp_path / "out")
    assert report["score"] == 100, [(c["name"], c["message"]) for c in report["checks"]
                                    if c["status"] != "passed"]


def test_a_missing_module_is_worded_alike_whether_well_known_or_maybe_the_students():
    """`google` and `ipywidgets`, both missing, were told in two wordings (probe s60): one
    wording, the second adding where a file of the student's own would go. Each ends its last
    sentence (probe s61: "... only code that uses dask fails" had no final period)."""
    from grader.session import _missing_module_warning
    known = _missing_module_warning({"file": "nb.ipynb, cell 1", "line": 1, "module": "google"})
    other = _missing_module_warning({"file": "nb.ipynb, cell 2", "line": 3,
                                     "module": "ipywidgets"})
    assert known == ("nb.ipynb, cell 1, line 1 imports google, which is not installed where your "
                     "code is graded: the import was let through, and only code that uses google "
                     "fails.")
    assert other == ("nb.ipynb, cell 2, line 3 imports ipywidgets, which is not installed where "
                     "your code is graded, nor in your upload: if ipywidgets.py is a file of "
                     "yours, upload it with the others. The import was let through, and only "
                     "code that uses ipywidgets fails.")
