"""Uploads whose code sits in several folders: a student's whole repository (assignment1/ to
assignment3/), a backup copy beside the real folder, a data folder beside the code. The folder
that holds the assignment's files is graded, and the report says which; two copies that tie are
refused by name, never as "no Python file"."""
from __future__ import annotations

import io
import json
import re
import shutil
import tarfile
import zipfile
from pathlib import Path, PureWindowsPath

import pytest

from archives import archive_of
from conftest import FIXTURES, ROOT, grade, grade_many, scores
from notebook_helpers import FIRST_HALF, notebook_v4

MULTIFILE = FIXTURES / "correct_multifile"
SEVERAL = "your upload holds code in several places"
# A student's file trying out one graded function, beside the assignment's folder.
TRY_SIGMOID = "import numpy as np\n\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"
TRY_BOTH = TRY_SIGMOID + "\n\ndef sigmoid_grad(s):\n    return s * (1 - s)\n"


def _assignment(folder: Path) -> None:
    folder.mkdir(parents=True)
    for path in MULTIFILE.glob("*.py"):
        shutil.copy(path, folder / path.name)


def _windows_zip(folder: Path) -> Path:
    """`folder` zipped as PowerShell 5's Compress-Archive zips it: made on "MS-DOS", each name
    with backslashes for separators (assignment1\\q2_sigmoid.py)."""
    zipped = folder.with_suffix(".zip")
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*.py")):
            info = zipfile.ZipInfo(str(PureWindowsPath(path.relative_to(folder.parent))),
                                   date_time=(2017, 1, 20, 12, 0, 0))
            info.create_system = 0
            zf.writestr(info, path.read_bytes())
    return zipped


def _zip(folder: Path) -> Path:
    zipped = folder.with_suffix(".zip")
    with zipfile.ZipFile(zipped, "w") as zf:
        for path in sorted(folder.rglob("*")):
            zf.write(path, path.relative_to(folder.parent).as_posix())
    return zipped


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, dict]:
    base = tmp_path_factory.mktemp("nested")
    repo = base / "repository"
    _assignment(repo / "assignment1")
    (repo / "assignment1" / "utils").mkdir()
    (repo / "assignment1" / "utils" / "treebank.py").write_text("class StanfordSentiment: pass\n")
    (repo / "assignment2").mkdir()
    (repo / "assignment2" / "q1_classifier.py").write_text("import numpy as np\n")
    (repo / "assignment3").mkdir()
    (repo / "assignment3" / "q2_rnn.py").write_text("raise SystemExit('not this one')\n")
    (repo / "README.md").write_text("# my CS224n solutions\n")
    backup = base / "backup"
    _assignment(backup / "assignment1")
    _assignment(backup / "assignment1_backup")
    data = base / "data_beside"
    _assignment(data / "assignment1")
    (data / "datasets").mkdir()
    (data / "datasets" / "stanfordSentimentTreebank.txt").write_text("words\n")
    zipped_repo = base / "zipped" / "repository"
    shutil.copytree(repo, zipped_repo)
    course = base / "course"
    (course / "C2" / "W4").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "fixtures" / "cbow" / "correct.ipynb", course / "C2" / "W4" / "cbow.ipynb")
    (course / "C2" / "W3").mkdir(parents=True)
    (course / "C2" / "W3" / "autocomplete.py").write_text("def f():\n    return 1\n")
    helper = base / "helper_beside"  # a script of the student's own at the top
    _assignment(helper / "assignment1")
    (helper / "setup_env.py").write_text("import os\nDATA = os.path.join('data', 'x')\n")
    # The assignment beside a folder with a stray copy of one of its files: the folder that
    # defines the functions is graded.
    upper = base / "upper"
    _assignment(upper / "hw")
    (upper / "old").mkdir()
    shutil.copy(MULTIFILE / "q1_softmax.py", upper / "old" / "q1_softmax.py")
    starter = base / "solution_beside_starter"  # the solution at the top, the starter below
    starter.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", starter / "hw1.py")
    (starter / "starter").mkdir()
    for path in sorted((ROOT / "student_template").glob("*.py")):
        shutil.copy(path, starter / "starter" / path.name)
    # An unfinished hw1.py at the top (softmax and sigmoid done), the starter's folder below:
    # the starter defines every function, but only as its template leaves them.
    partial = base / "partial_beside_starter"
    shutil.copytree(starter / "starter", partial / "starter")
    (partial / "hw1.py").write_text(FIRST_HALF)
    # The same beside the 2017 starter as it was handed out: its raises sit after lines of the
    # function's own, inside an if, and its files are Python 2 (print statements) that do not
    # parse in Python 3 (probe s57: the starter was graded, 25 or 65 to 0).
    for name, python2 in (("partial_beside_2017_starter", False),
                          ("partial_beside_python2_starter", True)):
        _starter_2017(base / name / "assignment1", python2)
        (base / name / "hw1.py").write_text(FIRST_HALF)
    # The starter's files at the top, as handed out, and the finished work in a folder below.
    below = base / "starter_above_solution"
    _starter_2017(below, python2=False)
    _assignment(below / "solution")
    windows = base / "windows" / "assignment1"
    _assignment(windows)
    strays = _strays(base / "strays")
    out = base / "out"
    reports = grade_many({"windows_zip": _windows_zip(windows), "repository": repo, "backup": backup, "data_beside": data,
                          "zipped_repository": _zip(zipped_repo), "helper_beside": helper,
                          "upper": upper, "solution_beside_starter": starter,
                          "partial_beside_starter": partial,
                          "partial_beside_2017_starter": base / "partial_beside_2017_starter",
                          "partial_beside_python2_starter":
                              base / "partial_beside_python2_starter",
                          "starter_above_solution": below, **strays}, out)
    reports.update(grade_many({"course": course}, out, "--pack", "cbow"))
    return reports


_STARTER_2017 = {
    "q1_softmax.py": (["softmax"], "    orig_shape = x.shape\n    if len(x.shape) > 1:\n"
                      "        ### YOUR CODE HERE\n        raise NotImplementedError\n"
                      "        ### END YOUR CODE\n    else:\n        raise NotImplementedError\n"
                      "    assert x.shape == orig_shape\n    return x\n"),
    "q2_sigmoid.py": (["sigmoid", "sigmoid_grad"], "    ### YOUR CODE HERE\n"
                      "    raise NotImplementedError\n    ### END YOUR CODE\n    return s\n"),
    "q2_neural.py": (["forward_backward_prop"], "    ofs = 0\n    Dx, H, Dy = (dimensions[0], "
                     "dimensions[1], dimensions[2])\n    raise NotImplementedError\n"
                     "    return cost, grad\n"),
    "q3_word2vec.py": (["negSamplingCostAndGradient"], "    indices = [target]\n"
                       "    raise NotImplementedError\n    return cost, gradPred, grad\n"),
}


def _starter_2017(folder: Path, python2: bool) -> None:
    """The 2017 starter's files, as far as the layout choice reads them."""
    folder.mkdir(parents=True)
    for name, (functions, body) in _STARTER_2017.items():
        text = "import numpy as np\n\n"
        for function in functions:
            text += f"\ndef {function}(*args):\n{body}\n"
        if python2:
            text += '\nif __name__ == "__main__":\n    print "Running your tests..."\n'
        (folder / name).write_text(text)


def _strays(base: Path) -> dict[str, Path]:
    """The assignment's folder beside a stray file that defines one or two graded functions
    (probe s57: a repository's top-level notebook defining sigmoid and sigmoid_grad hid its
    assignment1/, which scored 15 for its 100, with no warning)."""
    uploads = {}
    for name, where, stray in (("stray_py", "scratch.py", TRY_SIGMOID),
                               ("stray_notebook", "vanishing_grad.ipynb", TRY_BOTH),
                               ("stray_in_folder", "notes/try_sigmoid.ipynb", TRY_BOTH),
                               ("stray_beside_copies", "scratch.py", TRY_SIGMOID),
                               ("stray_beside_many", "scratch.py", TRY_SIGMOID)):
        repo = base / name / "repo"
        _assignment(repo / "assignment1")
        (repo / where).parent.mkdir(parents=True, exist_ok=True)
        if where.endswith(".ipynb"):
            notebook_v4(repo / where, ["import numpy as np", stray.split("\n\n\n", 1)[1]])
        else:
            (repo / where).write_text(stray)
        uploads[name] = repo
    _assignment(uploads["stray_beside_copies"] / "assignment1_backup")
    for n in range(2, 10):  # a whole repository: assignment2/ to assignment9/, with code
        (uploads["stray_beside_many"] / f"assignment{n}").mkdir()
        (uploads["stray_beside_many"] / f"assignment{n}" / "model.py").write_text("x = 1\n")
    return {name: _zip(repo) for name, repo in uploads.items()}


@pytest.mark.parametrize("name,stray", [("stray_py", "repo/scratch.py"),
                                        ("stray_notebook", "repo/vanishing_grad.ipynb"),
                                        ("stray_in_folder", "repo/notes/")])
def test_a_stray_file_defining_a_graded_function_does_not_hide_the_assignment(graded, name,
                                                                               stray):
    """The stray file defines one or two graded functions, the folder beside it holds the
    assignment's files and defines them all: the folder is graded, and the warning names the
    stray file as not graded (it was graded alone: 10 or 15 of 100, "softmax was not found")."""
    report = graded[name]
    assert report["score"] == 100, (report["error"], report["warnings"])
    said = [w for w in report["warnings"] if SEVERAL in w]
    assert len(said) == 1, report["warnings"]
    assert "places: repo/assignment1/ (it holds" in said[0] and "q2_neural.py" in said[0], said
    assert f"; {stray} was not" in said[0], said


def test_a_stray_file_beside_two_copies_alike_is_refused_naming_them_all(graded):
    """Beaten by the copies, the stray file is not graded in their place: they tie, as they do
    without it, and the refusal names them and says what the top holds."""
    report = graded["stray_beside_copies"]
    assert report["score"] == 0
    assert "in 2 folders alike: repo/assignment1/, repo/assignment1_backup/" in report["error"]
    assert "repo/scratch.py" in report["error"], report["error"]
    assert "no Python file of the assignment at its top" not in report["error"]


def test_a_stray_file_is_named_however_many_folders_the_repository_has(graded):
    """Eight assignment folders beside assignment1/: the warning lists the first few, and the
    stray file at the top is among them, with how many more were not graded."""
    report = graded["stray_beside_many"]
    assert report["score"] == 100, (report["error"], report["warnings"])
    said = [w for w in report["warnings"] if SEVERAL in w]
    assert len(said) == 1 and "; repo/scratch.py, repo/assignment2/" in said[0], said
    assert "repo/assignment6/ and 3 more were not" in said[0], said


@pytest.mark.parametrize("name,inside", [("repository", ""),
                                         ("zipped_repository", "repository/")])
def test_a_whole_repository_grades_the_folder_holding_the_assignment(graded, name, inside):
    report = graded[name]
    assert report["score"] == 100, report["error"]
    said = [w for w in report["warnings"] if SEVERAL in w]
    assert len(said) == 1, report["warnings"]
    assert f"places: {inside}assignment1/ (it holds" in said[0] and "q2_neural.py" in said[0]
    assert f"; {inside}assignment2/, {inside}assignment3/ were not" in said[0]


def test_a_backup_copy_beside_the_assignment_is_refused_by_name(graded):
    report = graded["backup"]
    assert report["score"] == 0
    assert "no Python file (.py) and no notebook" not in report["error"]
    assert "in 2 folders alike: assignment1/, assignment1_backup/" in report["error"]
    assert "Upload the one folder to grade" in report["error"]


def test_a_folder_without_code_beside_the_assignment_is_no_news(graded):
    report = graded["data_beside"]
    assert report["score"] == 100, report["error"]
    assert not [w for w in report["warnings"] if SEVERAL in w]


def test_a_notebook_course_repository_grades_the_notebook(graded):
    report = graded["course"]
    assert report["score"] == report["max_score"], report["error"]
    said = [w for w in report["warnings"] if SEVERAL in w]
    assert said and "C2/W4/ (it holds cbow.ipynb) was graded; C2/W3/ was not" in said[0], said


def test_a_script_of_the_students_beside_the_assignments_folder_does_not_hide_it(graded):
    """A setup_env.py at the top, beside assignment1/: the grader graded the top, which defines
    none of the functions (0, "sigmoid was not found in your submission")."""
    report = graded["helper_beside"]
    assert report["score"] == 100, report["error"]
    said = [w for w in report["warnings"] if SEVERAL in w]
    assert said and "assignment1/ (it holds" in said[0] and "setup_env.py was not" in said[0], said


def test_the_folder_that_defines_the_functions_wins_over_one_named_alike(graded):
    report = graded["upper"]
    assert report["score"] == 100, report["error"]
    assert any("hw/ (it holds" in w and "old/ was not" in w for w in report["warnings"])


def test_a_solution_at_the_top_is_graded_whatever_folder_is_beside_it(graded):
    """hw1.py defines every function; the starter code in a folder beside it must not win for
    holding the assignment's file names."""
    report = graded["solution_beside_starter"]
    assert report["score"] == 100, report["error"]
    assert not [w for w in report["warnings"] if SEVERAL in w]


def test_an_unfinished_solution_at_the_top_is_graded_beside_the_starters_folder(graded):
    """hw1.py defines softmax, sigmoid and sigmoid_grad; the starter's folder beside it holds
    the assignment's files and defines every function, as the template leaves them (`raise
    NotImplementedError`): that is no one's work, and it must not be graded in hw1.py's place."""
    for name in ("partial_beside_starter", "partial_beside_2017_starter",
                 "partial_beside_python2_starter"):
        report = graded[name]
        full = {"softmax": 15, "sigmoid": 10, "sigmoid_grad": 5}
        assert {f: s for f, s in scores(report).items() if f in full} == full, (name,
                                                                               report["error"])
        assert report["score"] == 30, name
        assert not [w for w in report["warnings"] if SEVERAL in w], (name, report["warnings"])


def test_a_zip_whose_names_use_backslashes_is_unpacked_into_its_folders(graded):
    """PowerShell 5's Compress-Archive (the zip Windows users make by script) writes
    `assignment1\\q2_sigmoid.py`; read as names of the top folder, q2_neural.py could not import
    q2_sigmoid and the upload scored 30 ("q2_sigmoid.py is not in your submission")."""
    report = graded["windows_zip"]
    assert report["score"] == 100, (report["error"], [c["message"] for c in report["checks"]
                                                      if c["status"] != "passed"][:2])
    assert not [w for w in report["warnings"] if "\\" in w], report["warnings"]


def test_the_starters_files_at_the_top_give_way_to_the_finished_folder_below(graded):
    """The starter's files, none of them written, at the top of an upload and the finished
    assignment in solution/ below: the top was graded, 0 of 100, and solution/ never named
    (recheck probe s57)."""
    report = graded["starter_above_solution"]
    assert report["score"] == 100, report["error"]
    (said,) = [w for w in report["warnings"] if SEVERAL in w]
    assert "solution/" in said and "q1_softmax.py" in said, said


def test_a_notebook_whose_saved_plot_comes_first_is_graded_beside_the_starter(tmp_path):
    """A notebook whose first cell saved a 3 MB image before the cells that define every
    function: read for its defs up to 2 MiB only, it showed none, and the starter's folder beside
    it was graded, 0 of 100 (recheck probe s57)."""
    upload = tmp_path / "upload"
    _starter_2017(upload / "assignment1", python2=False)
    image = {"output_type": "display_data", "metadata": {},
             "data": {"image/png": "iVBORw0KGgo" + "A" * (3 * 2**20)}}
    code = (FIXTURES / "correct_summed.py").read_text().split('if __name__ == "__main__":')[0]
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": 1, "source": "print(1)",
              "outputs": [image]},
             {"cell_type": "code", "metadata": {}, "execution_count": 2, "source": code,
              "outputs": []}]
    (upload / "hw1.ipynb").write_text(json.dumps(
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}))
    report = grade(upload, tmp_path / "out")
    assert report["score"] == 100, report["error"]


def test_a_finished_python2_folder_with_its_raises_commented_out_beats_a_stray_file(tmp_path):
    """A real repository's finished assignment1/, in Python 2 (print statements, so read by its
    text) with the starter's `raise NotImplementedError` lines commented out, beside a top-level
    notebook trying out sigmoid: the comments counted as raises, the folder as none of the work,
    and the top was graded, 15 of 100."""
    repo = tmp_path / "repo"
    _assignment(repo / "assignment1")
    for path in (repo / "assignment1").glob("*.py"):
        text = re.sub(r"^(def \w+\(.*\):\n)", r"\1    # raise NotImplementedError\n",
                      path.read_text(), flags=re.M)
        path.write_text(text + '\n\nif __name__ == "__main__":\n    print "Running tests..."\n')
    (repo / "scratch.py").write_text(TRY_SIGMOID)
    report = grade(repo, tmp_path / "out")
    assert report["score"] == 100, report["error"]
    (said,) = [w for w in report["warnings"] if SEVERAL in w]
    assert "scratch.py" in said, said


# The 2017 starter's word2vec as a student left it in a backup copy: `pass` where the code goes,
# and the starter's return of names nothing binds.
STARTERS_WORD2VEC_WITH_PASS = """def negSamplingCostAndGradient(predicted, target, outputVectors, dataset,
                               K=10):
    indices = [target]
    indices.extend(getNegativeSamples(target, dataset, K))

    ### YOUR CODE HERE
    pass
    ### END YOUR CODE

    return cost, gradPred, grad


"""


def test_a_def_is_written_by_names_bound_in_another_cell_a_star_import_or_one_branch():
    """What counts as written (grader/worker/written_defs.py): the starter's `return cost,
    gradPred, grad` below a `pass` is not; a notebook's def returning np.exp(...) with numpy
    imported in another cell is (recheck probe s59: a finished notebook counted 3 of 5 written
    and lost to a backup folder, 100 to 0), and so are a def after a star import and one whose
    misspelt name sits in one branch only."""
    import ast
    from grader.worker import written_defs
    functions = ("sigmoid", "softmax", "negSamplingCostAndGradient")

    def writes(*cells: str) -> set[str]:
        return written_defs.written([ast.parse(cell) for cell in cells], functions)

    assert writes(STARTERS_WORD2VEC_WITH_PASS) == set()
    assert writes("import numpy as np", "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n") \
        == {"sigmoid"}
    assert writes("from numpy import *\ndef sigmoid(x):\n    return 1 / (1 + exp(-x))\n") \
        == {"sigmoid"}
    assert writes("def softmax(x):\n    if x is None:\n        return reslt\n"
                  "    return x / x.sum()\n") == {"softmax"}


def test_a_backup_whose_function_only_returns_unbound_names_is_no_more_written(tmp_path):
    """assignment1/ (the network being rewritten: a raise left in it) beside assignment1_backup/
    (its word2vec still the starter's `pass` and `return cost, gradPred, grad`, in Python 2): the
    backup counted five functions written to four and was graded, 32 where the student's folder
    gets 65 (probe s59). Four written each, the copies tie and are refused by name."""
    upload = tmp_path / "upload"
    _assignment(upload / "assignment1")
    _assignment(upload / "assignment1_backup")
    network = upload / "assignment1" / "q2_neural.py"
    text = network.read_text()
    head = "def forward_backward_prop(data, labels, params, dimensions):\n"
    assert text.count(head) == 1
    network.write_text(text.replace(head, head + "    raise NotImplementedError\n"))
    word2vec = upload / "assignment1_backup" / "q3_word2vec.py"
    text = word2vec.read_text()
    start = text.index("def negSamplingCostAndGradient(")
    end = text.index("\ndef ", start) + 1
    word2vec.write_text(text[:start] + STARTERS_WORD2VEC_WITH_PASS + text[end:]
                        + '\nif __name__ == "__main__":\n    print "Running tests..."\n')
    report = grade(upload, tmp_path / "out")
    assert report["score"] == 0, report["error"]
    assert "in 2 folders alike: assignment1/, assignment1_backup/" in report["error"]


# ---- suffixes in capitals (probe s58) ----------------------------------------------------------
def test_code_files_with_suffixes_in_capitals_are_graded_in_folders_and_archives(tmp_path):
    """hw1.PY in a folder, q1_softmax.PY in a .ZIP: the same kind of file as hw1.py, as a single
    file upload of hw1.PY already was; in a folder they were no code at all, 0 of 100."""
    single = tmp_path / "single"
    single.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", single / "hw1.PY")
    zipped = tmp_path / "zipped"
    (zipped / "assignment1").mkdir(parents=True)
    for path in MULTIFILE.glob("*.py"):
        shutil.copy(path, zipped / "assignment1" / (path.stem + ".PY"))
    archive = archive_of(zipped / "assignment1", tmp_path / "in_zip" / "ASSIGNMENT1.ZIP")
    reports = grade_many({"single": single, "in_zip": archive.parent}, tmp_path / "out")
    for name, report in reports.items():
        assert report["score"] == 100, (name, report["error"], scores(report))


# ---- files of a kind not read, named (probe s58) -----------------------------------------------
@pytest.mark.parametrize("name,advice", [
    ("hw1.py.txt", "a .py file saved with .txt added: rename it hw1.py"),
    ("assignment1.rar", "a RAR archive, which the grader cannot open: upload a .zip or a tar "
                        "archive"),
    ("assignment1.7z", "a 7-Zip archive, which the grader cannot open")])
def test_an_upload_of_a_kind_not_read_is_named_with_what_to_do(tmp_path, name, advice):
    """A folder holding only hw1.py.txt (or a .rar) was told "no Python file" without the file
    named; a single file upload of hw1.py.txt was told to rename it."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / name).write_bytes(b"def softmax(x):\n    return x\n")
    shutil.copy(tmp_path / "folder" / name, tmp_path / name)
    for upload in (tmp_path / "folder", tmp_path / name):
        report = grade(upload, tmp_path / "out" / upload.name)
        assert report["score"] == 0 and name in report["error"] and advice in report["error"], \
            report["error"]


# ---- an archive beside other code (probe s58) --------------------------------------------------
# Gradescope's upload dialog takes several files at once: assignment1.zip and a scratch file, or a
# draft notebook, beside it. The archive was never opened: every function "was not found", 0 (15
# with a draft defining softmax), and the zip was named nowhere.
SOFTMAX_ONLY = ("import numpy as np\n\n\ndef softmax(x):\n"
                "    e = np.exp(x - np.max(x, axis=-1, keepdims=True))\n"
                "    return e / e.sum(axis=-1, keepdims=True)\n")
SCRATCH = "import numpy as np\nprint(np.ones(3))\n"


@pytest.fixture(scope="module")
def beside(tmp_path_factory) -> dict[str, dict]:
    base = tmp_path_factory.mktemp("beside")
    _assignment(base / "src" / "assignment1")
    uploads = {}
    for name, stray, archive in (("zip_and_scratch", "scratch.py", "assignment1.zip"),
                                 ("tar_and_scratch", "scratch.py", "assignment1.tar.gz"),
                                 ("zip_and_draft", "scratch.ipynb", "assignment1.zip")):
        upload = base / name
        archive_of(base / "src" / "assignment1", upload / archive)
        if stray.endswith(".ipynb"):
            notebook_v4(upload / stray, [SOFTMAX_ONLY])
        else:
            (upload / stray).write_text(SCRATCH)
        uploads[name] = upload
    # A finished hw1.py beside a zip of the starter's files: the top writes every function and
    # is graded; the zip was opened, and the report says its code was not the one graded.
    finished = base / "finished_beside_starter_zip"
    shutil.copytree(ROOT / "student_template", base / "src" / "starter",
                    ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
    archive_of(base / "src" / "starter", finished / "starter.zip")
    shutil.copy(FIXTURES / "correct_summed.py", finished / "hw1.py")
    uploads["finished_beside_starter_zip"] = finished
    # A hostile zip beside the finished files keeps its limits: refused, named, never unpacked.
    hostile = base / "hostile_zip_beside"
    _assignment(hostile)
    with zipfile.ZipFile(hostile / "extra.zip", "w") as zf:
        zf.writestr("../../escaped.py", "def softmax(x):\n    return x\n")
    uploads["hostile_zip_beside"] = hostile
    # One level deep only: a zip beside scratch.py that holds another zip of the assignment.
    nested = base / "zip_of_zip_beside"
    inner = archive_of(base / "src" / "assignment1", base / "src" / "inner" / "assignment1.zip")
    archive_of(inner.parent, nested / "outer.zip")
    (nested / "scratch.py").write_text(SCRATCH)
    uploads["zip_of_zip_beside"] = nested
    # Two archives beside a scratch file: neither is chosen for the student, both are named.
    two = base / "two_zips_beside"
    archive_of(base / "src" / "assignment1", two / "a.zip")
    archive_of(base / "src" / "assignment1", two / "b.zip")
    (two / "scratch.py").write_text(SCRATCH)
    uploads["two_zips_beside"] = two
    # Archives the code beside them reads, at import: a corpus (no code in it), and a tar of
    # vectors with a script in it, beside a finished file that is graded instead. Each stays the
    # file it is (made a folder of its name, the code that opens it failed: recheck probe s58).
    reads = ("import tarfile as _t, zipfile as _z\n"
             "_z.ZipFile('corpus.zip').namelist()\n"
             "_t.open('vectors.tar.gz').getnames()\n")
    for name, archives in (("reads_a_data_zip", ("corpus.zip",)),
                           ("reads_a_tar_holding_a_script", ("vectors.tar.gz",))):
        upload = base / name
        upload.mkdir()
        data = base / "src" / name
        data.mkdir(parents=True)
        (data / "corpus.txt").write_text("the cat sat\n")
        if name.endswith("script"):
            (data / "make_vectors.py").write_text("print('made')\n")
        for archive in archives:
            archive_of(data, upload / archive)
        needs = [line for line in reads.splitlines()[1:] if any(a in line for a in archives)]
        (upload / "hw1.py").write_text(reads.splitlines()[0] + "\n" + "\n".join(needs) + "\n"
                                       + (FIXTURES / "correct_summed.py").read_text())
        uploads[name] = upload
    return grade_many(uploads, base / "out")


@pytest.mark.parametrize("name", ["reads_a_data_zip", "reads_a_tar_holding_a_script"])
def test_an_archive_the_code_beside_it_reads_stays_the_file_it_is(beside, name):
    report = beside[name]
    assert report["score"] == 100, (report["error"], report["import_output"][:500],
                                    scores(report))


def test_a_zip_named_in_capitals_holding_a_notebook_is_graded(tmp_path):
    """HW4.ZIP holding the notebook: "no Python file (.py) and no notebook (.ipynb)" where
    hw4.zip scored 100 (recheck probe s58)."""
    from notebook_helpers import SOLUTION
    folder = tmp_path / "hw4"
    folder.mkdir()
    notebook_v4(folder / "hw4.ipynb", ["import numpy as np", SOLUTION])
    archive = archive_of(folder, tmp_path / "upload" / "HW4.ZIP")
    report = grade(archive, tmp_path / "out")
    assert report["score"] == 100, (report["error"], scores(report))


@pytest.mark.parametrize("name,archive,stray", [
    ("zip_and_scratch", "assignment1.zip", "scratch.py"),
    ("tar_and_scratch", "assignment1.tar.gz", "scratch.py"),
    ("zip_and_draft", "assignment1.zip", "scratch.ipynb")])
def test_an_archive_beside_a_scratch_file_is_opened_and_graded(beside, name, archive, stray):
    report = beside[name]
    assert report["score"] == 100, (report["error"], scores(report))
    (said,) = [w for w in report["warnings"] if SEVERAL in w]
    assert f"{archive}/" in said and stray in said and "was graded" in said, said


def test_a_finished_file_beside_a_zip_of_the_starter_is_graded_and_the_zip_named(beside):
    report = beside["finished_beside_starter_zip"]
    assert report["score"] == 100, (report["error"], scores(report))
    (said,) = [w for w in report["warnings"] if "starter.zip" in w]
    assert "hw1.py" in said and "graded" in said, said


def test_a_hostile_zip_beside_the_files_is_refused_by_name_and_the_files_graded(beside):
    report = beside["hostile_zip_beside"]
    assert report["score"] == 100, (report["error"], scores(report))
    (said,) = [w for w in report["warnings"] if "extra.zip" in w]
    assert "not opened" in said and "outside its folder" in said, said


def test_an_archive_beside_code_is_opened_one_level_deep_only(beside):
    report = beside["zip_of_zip_beside"]
    assert report["score"] == 0


def test_several_archives_beside_code_are_named_not_chosen_between(beside):
    report = beside["two_zips_beside"]
    (said,) = [w for w in report["warnings"] if "a.zip" in w]
    assert "b.zip" in said and "not opened" in said and "more than one archive" in said, said


# ---- what an archive beside code left out (recheck probe s58) -------------------------------
def _with_link(archive: Path, files: dict[str, str], links: dict[str, str]) -> Path:
    """A .zip or a .tar of `files` (name: text) and symbolic links (name: target)."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    if archive.suffix == ".tar":
        with tarfile.open(archive, "w") as tf:
            for name, text in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(text.encode())
                tf.addfile(info, io.BytesIO(text.encode()))
            for name, target in links.items():
                info = tarfile.TarInfo(name)
                info.type, info.linkname = tarfile.SYMTYPE, target
                tf.addfile(info)
        return archive
    with zipfile.ZipFile(archive, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
        for name, target in links.items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, target)
    return archive


@pytest.fixture(scope="module")
def archive_links(tmp_path_factory) -> dict[str, dict]:
    base = tmp_path_factory.mktemp("archive_links")
    uploads = {}
    # The finished files beside an archive of data holding a link named as one of them, and
    # beside a tar holding a script and links: the files are graded, the archives are not.
    data = base / "link_in_a_data_zip"
    _assignment(data)
    _with_link(data / "sl.zip", {"notes.txt": "mine\n"}, {"q1_softmax.py": "/etc/passwd"})
    uploads["link_in_a_data_zip"] = data
    tar = base / "links_in_a_tar_not_graded"
    _assignment(tar)
    _with_link(tar / "links.tar", {"extra/helper.py": "x = 1\n"},
               {"passwd.py": "/etc/passwd", "up": "../.."})
    uploads["links_in_a_tar_not_graded"] = tar
    # The finished files in a zip beside a scratch file: the zip is graded, and what it left out
    # is named as the zip's.
    graded_zip = base / "link_in_the_zip_graded"
    graded_zip.mkdir()
    (graded_zip / "scratch.py").write_text(SCRATCH)
    files = {f"assignment1/{p.name}": p.read_text() for p in MULTIFILE.glob("*.py")}
    _with_link(graded_zip / "final.zip", files, {"assignment1/link.py": "/etc/passwd"})
    uploads["link_in_the_zip_graded"] = graded_zip
    # The same in a tar that holds a file twice (appended with `tar -r`): said of the tar.
    twice = base / "file_twice_in_the_tar_graded"
    twice.mkdir()
    (twice / "scratch.py").write_text(SCRATCH)
    with tarfile.open(twice / "final.tar", "w") as tf:
        for path in sorted(MULTIFILE.glob("*.py")) + [MULTIFILE / "q2_sigmoid.py"]:
            tf.add(path, f"assignment1/{path.name}")
    uploads["file_twice_in_the_tar_graded"] = twice
    return grade_many(uploads, base / "out", "--only", "softmax")


@pytest.mark.parametrize("name", ["link_in_a_data_zip", "links_in_a_tar_not_graded"])
def test_what_an_archive_whose_code_is_not_graded_holds_is_not_said_left_out(
        archive_links, name):
    """"q1_softmax.py was left out: it is a symbolic link" was said of a link inside sl.zip,
    beside the student's own q1_softmax.py, which was graded: the archive stays the file it
    is, so nothing was left out of the grade."""
    report = archive_links[name]
    assert report["score"] == report["max_score"], (report["error"], scores(report))
    assert not [w for w in report["warnings"] if "left out" in w], report["warnings"]


def test_what_the_archive_graded_left_out_is_named_as_the_archives(archive_links):
    report = archive_links["link_in_the_zip_graded"]
    assert report["score"] == report["max_score"], (report["error"], scores(report))
    said = [w for w in report["warnings"] if "left out" in w]
    assert said == ["final.zip/assignment1/link.py was left out: it is a symbolic link, and "
                    "grading never follows a link or reads a special file. If your code is in "
                    "it, put the file itself in your upload."], report["warnings"]
    report = archive_links["file_twice_in_the_tar_graded"]
    assert report["score"] == report["max_score"], (report["error"], scores(report))
    (said,) = [w for w in report["warnings"] if "more than once" in w]
    assert said.startswith("your archive holds final.tar/assignment1/q2_sigmoid.py more than once "
                           "(a tar updated by appending files"), said


# ---- a helper the code graded imports, outside the folder graded (recheck probe s58) ---------
MATHUTIL = ("import numpy as np\n\n\ndef stable_exp(x):\n    x = np.asarray(x, dtype=float)\n"
            "    return np.exp(x - np.max(x, axis=-1, keepdims=True))\n")
SOFTMAX_WITH_HELPER = ("import numpy as np\nfrom mathutil import stable_exp\n\n\n"
                       "def softmax(x):\n    e = stable_exp(x)\n"
                       "    return e / np.sum(e, axis=-1, keepdims=True)\n")


@pytest.fixture(scope="module")
def helpers_outside(tmp_path_factory) -> dict[str, dict]:
    """The starter's files and a helper at the top, the finished files (which import the helper)
    in final.zip beside them; and the same finished files in a folder, the helper at the top."""
    base = tmp_path_factory.mktemp("helpers_outside")
    finished = {p.name: p.read_text() for p in MULTIFILE.glob("*.py")}
    finished["q1_softmax.py"] = SOFTMAX_WITH_HELPER
    beside_zip = base / "helper_beside_the_zip"
    shutil.copytree(ROOT / "student_template", beside_zip,
                    ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
    (beside_zip / "mathutil.py").write_text(MATHUTIL)
    with zipfile.ZipFile(beside_zip / "final.zip", "w") as zf:
        for name, text in finished.items():
            zf.writestr(name, text)
    beside_folder = base / "helper_beside_the_folder"
    (beside_folder / "assignment1").mkdir(parents=True)
    (beside_folder / "mathutil.py").write_text(MATHUTIL)
    for name, text in finished.items():
        (beside_folder / "assignment1" / name).write_text(text)
    return grade_many({"helper_beside_the_zip": beside_zip,
                       "helper_beside_the_folder": beside_folder},
                      base / "out", "--only", "softmax")


def test_a_helper_beside_the_archive_graded_is_imported_by_its_code(helpers_outside):
    """final.zip's q1_softmax.py imports mathutil, uploaded beside the zip: "No module named
    'mathutil': it is neither in your upload nor installed" (recheck probe s58)."""
    report = helpers_outside["helper_beside_the_zip"]
    assert report["score"] == report["max_score"], (report["error"], scores(report))
    (said,) = [w for w in report["warnings"] if "mathutil" in w]
    assert said.startswith("mathutil.py, beside final.zip in your upload, was imported by the "
                           "code graded in final.zip/"), said
    (several,) = [w for w in report["warnings"] if SEVERAL in w]
    assert "final.zip/" in several and "q1_softmax.py" in several \
        and "mathutil.py" not in several, several


def test_a_helper_outside_the_folder_graded_is_said_to_be_in_the_upload(helpers_outside):
    report = helpers_outside["helper_beside_the_folder"]
    assert report["score"] == 0
    (said,) = [w for w in report["warnings"] if "imports mathutil" in w]
    assert "mathutil.py is in your upload, but not in assignment1/, the folder that was " \
        "graded" in said and "neither in your upload" not in said, said
    messages = [c["message"] for c in report["checks"] if c["status"] != "passed"]
    assert messages and all("mathutil.py is in your upload, but not in assignment1/" in m
                            for m in messages), messages[:2]


GRADE_THE_FOLDER = "grade the folder (autograde grade "


def test_one_file_of_the_layout_graded_alone_says_first_to_grade_the_folder(tmp_path):
    """`autograde grade q3_word2vec.py` with the assignment's other files beside it grades that
    file, as asked (every function it imports is "not found"), and says first, in every report,
    which files beside it hold the rest: by the layout's name, or by a def of the function. A
    file beside it that holds none of them is not named, nor another copy of the whole (it
    defines what the graded file has too) (probe s59: 0 / 100 with no pointer)."""
    folder = tmp_path / "assignment1"
    _assignment(folder)
    (folder / "q1_softmax.py").rename(folder / "my_softmax.py")  # softmax, under another name
    (folder / "notes.py").write_text("def plot_losses(losses):\n    pass\n")
    shutil.copy(FIXTURES / "correct_summed.py", folder / "hw1_old.py")
    report = grade(folder / "q3_word2vec.py", tmp_path / "out", html=True)
    assert {f["name"]: f["score"] for f in report["functions"]}["softmax"] == 0  # as asked
    first = report["warnings"][0]
    assert first == (f"{GRADE_THE_FOLDER}{folder}): my_softmax.py, q2_neural.py and q2_sigmoid.py"
                     " are beside q3_word2vec.py, which was graded alone, without sigmoid, "
                     "sigmoid_grad, softmax and forward_backward_prop."), first
    terminal = report["_terminal"].splitlines()
    assert terminal[1].startswith(f"  ! {GRADE_THE_FOLDER}"), terminal[:4]
    assert report["_terminal"].count(GRADE_THE_FOLDER) == 1  # not again among the warnings
    page = report["_html"]
    assert page.index('id="grade-the-folder"') < page.index('id="summary"')


def test_a_file_graded_alone_beside_the_starters_stubs_is_not_sent_to_the_folder(tmp_path):
    """The files beside it are the starter's, unfinished: grading the folder would lose points
    (recheck probe s59: 30 alone, 15 for the folder it was sent to). Only files that write one
    of the missing functions are named."""
    folder = tmp_path / "assignment1"
    _starter_2017(folder, python2=True)
    shutil.copy(MULTIFILE / "q2_sigmoid.py", folder / "q2_sigmoid.py")
    report = grade(folder / "q2_sigmoid.py", tmp_path / "out")
    assert {f["name"]: f["score"] for f in report["functions"]}["sigmoid"] == 10
    assert not [w for w in report["warnings"] if w.startswith(GRADE_THE_FOLDER)], \
        report["warnings"]


def test_a_whole_file_graded_beside_the_layouts_files_is_not_sent_to_the_folder(tmp_path):
    """A single file that defines every function is what the student meant, whatever sits
    beside it: no pointer to the folder."""
    folder = tmp_path / "assignment1"
    _assignment(folder)
    shutil.copy(FIXTURES / "correct_summed.py", folder / "hw1.py")
    report = grade(folder / "hw1.py", tmp_path / "out")
    assert report["score"] == 100, report["warnings"]
    assert not [w for w in report["warnings"] if w.startswith(GRADE_THE_FOLDER)]
    assert GRADE_THE_FOLDER not in report["_terminal"]
