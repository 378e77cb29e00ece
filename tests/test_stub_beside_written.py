"""A graded function defined in several files of one upload, some only as the starter's stub: the
written definition is graded, whichever file holds it, and the report says which file's was
graded and that the other's is the stub. Two written definitions keep the usual rule (a .py
before the notebook of its name, the assignment's own file before another).

Probe s60: the CBOW template ships cbow.ipynb and cbow.py side by side; a student who filled in
the notebook and handed in the folder got 0 of 100, graded on the untouched cbow.py.
"""
from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from archives import archive_of
from conftest import ROOT, grade_many, scores
from fixtures.cbow.mistakes import MISTAKES
from grader.worker import python2_names, written_defs
from notebook_helpers import SOLUTION, notebook_v4

CBOW = ROOT / "tests" / "fixtures" / "cbow"
CBOW_TEMPLATE = ROOT / "student_template" / "cbow"
STARTER = ROOT / "student_template"
CBOW_STUBS = ("get_windows, word_to_one_hot_vector, context_words_to_vector, get_training_example, "
              "relu, softmax, cross_entropy_loss, forward_prop, back_prop and "
              "gradient_descent_step in cbow.py are the starter's stubs (they raise "
              "NotImplementedError): those in cbow.ipynb were graded instead.")
STEP = """    return (W1 - alpha * grad_W1, W2 - alpha * grad_W2,
            b1 - alpha * grad_b1, b2 - alpha * grad_b2)
"""
STEP_STUB = "    raise NotImplementedError\n"


def _cbow_uploads(tmp_path: Path) -> dict[str, Path]:
    # The template's folder, its notebook filled in and its cbow.py as handed out.
    folder = tmp_path / "cbow"
    folder.mkdir()
    shutil.copy(CBOW / "correct.ipynb", folder / "cbow.ipynb")
    shutil.copy(CBOW_TEMPLATE / "cbow.py", folder / "cbow.py")
    # Two written versions of every function but gradient_descent_step, left a stub in the .py:
    # it is the notebook's, the others the .py's (the notebook's softmax is wrong, the .py's
    # right). A function of the .py calls the .py's functions, as the file does when it runs.
    mixed = tmp_path / "mixed" / "cbow"
    mixed.mkdir(parents=True)
    correct = (CBOW / "correct.py").read_text()
    (mixed / "cbow.py").write_text(correct.replace(STEP, STEP_STUB))
    wrong_softmax = next(m for m in MISTAKES if m.name == "softmax_rows").source()
    notebook_v4(mixed / "cbow.ipynb", [wrong_softmax])
    # Both written throughout: the .py is graded, as it always was, its wrong softmax too.
    both = tmp_path / "both" / "cbow"
    both.mkdir(parents=True)
    (both / "cbow.py").write_text(wrong_softmax)
    shutil.copy(CBOW / "correct.ipynb", both / "cbow.ipynb")
    return {"cbow_folder": folder, "cbow_zip": archive_of(folder, tmp_path / "cbow.zip"),
            "cbow_mixed": mixed, "cbow_both": both}


def _cs224n_uploads(tmp_path: Path) -> dict[str, Path]:
    # The 2017 layout as handed out (q1_softmax.py's stub has lines of its own before its raise;
    # q2_sigmoid.py's sigmoid_grad here `pass` and a return of a name never set), and the
    # student's work in one file of their own beside it: a hw1.py, or a notebook.
    head, grad = (STARTER / "q2_sigmoid.py").read_text().split("def sigmoid_grad")
    stubs = head + "def sigmoid_grad" + grad.replace("raise NotImplementedError", "pass", 1)
    uploads = {}
    for name, write in (("hw1.py", lambda path: path.write_text(SOLUTION)),
                        ("hw1.ipynb", lambda path: notebook_v4(path, [SOLUTION]))):
        folder = tmp_path / Path(name).suffix[1:] / "a1"
        folder.mkdir(parents=True)
        for starter in ("q1_softmax.py", "q2_neural.py", "q3_word2vec.py"):
            shutil.copy(STARTER / starter, folder / starter)
        (folder / "q2_sigmoid.py").write_text(stubs)
        write(folder / name)
        uploads[f"a1_{Path(name).suffix[1:]}"] = folder
    return uploads


# A correct softmax in Python 2, its only return reading xrange (the worker's shim supplies it),
# and a wrong one in a scratch file beside it (recheck probe s61, row 0).
PY2_SOFTMAX = """import numpy as np


def softmax(x):
    x2 = np.atleast_2d(x)
    return np.vstack([np.exp(x2[i] - x2[i].max()) / np.exp(x2[i] - x2[i].max()).sum()
                      for i in xrange(x2.shape[0])]).reshape(x.shape)
"""
WRONG_SOFTMAX = """import numpy as np


def softmax(x):
    e = np.exp(x)
    return e / np.sum(e)
"""


def _starter_with(raise_instead: str, tmp_path: Path, name: str) -> Path:
    """This pack's starter files with every `raise NotImplementedError` line replaced by
    `raise_instead` (`pass`: what a student who moved to a hw1.py of their own leaves; `raise
    NotImplemented`: the starter's misspelling), beside a hw1.py that writes every function."""
    folder = tmp_path / name / "a1"
    folder.mkdir(parents=True)
    for starter in ("q1_softmax.py", "q2_sigmoid.py", "q2_neural.py", "q3_word2vec.py"):
        text = (STARTER / starter).read_text()
        assert "raise NotImplementedError\n" in text, starter
        (folder / starter).write_text(text.replace("raise NotImplementedError\n",
                                                   raise_instead + "\n"))
    (folder / "hw1.py").write_text(SOLUTION)
    return folder


def _s61_uploads(tmp_path: Path) -> dict[str, Path]:
    py2 = tmp_path / "py2" / "a1"
    py2.mkdir(parents=True)
    (py2 / "q1_softmax.py").write_text(PY2_SOFTMAX)
    (py2 / "scratch.py").write_text(WRONG_SOFTMAX)
    return {"a1_pass": _starter_with("pass", tmp_path, "pass"),
            "a1_not_implemented": _starter_with("raise NotImplemented", tmp_path, "misspelt"),
            "py2_xrange": py2}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, dict]:
    tmp = tmp_path_factory.mktemp("stub-beside-written")
    out = tmp_path_factory.mktemp("stub-beside-written-reports")
    graded = grade_many(_cbow_uploads(tmp), out, "--pack", "cbow")
    graded.update(grade_many({**_cs224n_uploads(tmp), **_s61_uploads(tmp)}, out))
    return graded


@pytest.mark.parametrize("name", ["cbow_folder", "cbow_zip"])
def test_a_filled_in_notebook_beside_the_templates_py_is_graded(reports, name):
    report = reports[name]
    assert report["score"] == 100, (report["error"], report["warnings"])
    assert CBOW_STUBS in report["warnings"], report["warnings"]
    assert not [w for w in report["warnings"] if "cbow.ipynb was not run" in w], report["warnings"]


def test_each_function_is_graded_where_it_is_written(reports):
    """gradient_descent_step is written in the notebook only; softmax in both, and the .py's is
    graded."""
    report = reports["cbow_mixed"]
    assert report["score"] == 100, (scores(report), report["warnings"])
    assert ("gradient_descent_step in cbow.py is the starter's stub (it raises "
            "NotImplementedError): the one in cbow.ipynb was graded instead.") in report["warnings"], report["warnings"]
    assert any(w.startswith("softmax is defined in more than one file: the one in cbow.py was "
                            "graded, not the one in cbow.ipynb") for w in report["warnings"]), \
        report["warnings"]


def test_two_written_versions_keep_the_py_of_the_notebooks_name(reports):
    report = reports["cbow_both"]
    assert scores(report)["softmax"] == 0, scores(report)
    assert ("cbow.ipynb was not run: cbow.py, beside it, was graded instead (keep one of the two, "
            "or give them different names)") in report["warnings"], report["warnings"]


@pytest.mark.parametrize("name, file", [("a1_py", "hw1.py"), ("a1_ipynb", "hw1.ipynb")])
def test_the_starters_files_beside_the_students_own_file_give_way(reports, name, file):
    """The 2017 starter's stubs of each kind: raised after lines of their own, `pass` above a
    return of a name never set; q2_neural.py's `from q2_sigmoid import sigmoid` names no file."""
    report = reports[name]
    assert report["score"] == 100, (scores(report), report["warnings"])
    expected = [
        f"softmax in q1_softmax.py is the starter's stub (it raises NotImplementedError): the one "
        f"in {file} was graded instead.",
        f"sigmoid in q2_sigmoid.py is the starter's stub (it raises NotImplementedError): the one "
        f"in {file} was graded instead.",
        f"sigmoid_grad in q2_sigmoid.py is the starter's stub (it returns names it never sets): "
        f"the one in {file} was graded instead.",
        f"forward_backward_prop in q2_neural.py is the starter's stub (it raises "
        f"NotImplementedError): the one in {file} was graded instead.",
        f"negSamplingCostAndGradient in q3_word2vec.py is the starter's stub (it raises "
        f"NotImplementedError): the one in {file} was graded instead."]
    for warning in expected:
        assert warning in report["warnings"], report["warnings"]
    stubs = [w for w in report["warnings"] if "stub" in w or "template" in w]
    assert len(stubs) == len(expected), stubs
    assert not [w for w in report["warnings"] if "more than one file" in w], report["warnings"]


# ---- recheck probe s61: what the starter leaves, said otherwise ---------------------------------
def _stub_warnings(report: dict) -> list[str]:
    return [w for w in report["warnings"] if "stub" in w or "template" in w]


def test_the_starters_files_with_pass_for_each_raise_give_way(reports):
    """The starter's files, every raise replaced by `pass`, beside a complete hw1.py: softmax
    returns its argument as it came, the network's "do not modify" unpacking sets W1..b2 and its
    return reads gradients nothing sets, word2vec returns names only test_word2vec sets (in
    another function). Each can only end in an exception, or does nothing: 15 of 100 before."""
    report = reports["a1_pass"]
    assert report["score"] == 100, (scores(report), report["warnings"])
    expected = [
        "softmax in q1_softmax.py is as the template leaves it (it returns its argument "
        "unchanged): the one in hw1.py was graded instead.",
        "sigmoid and sigmoid_grad in q2_sigmoid.py are the starter's stubs (they return names "
        "they never set): those in hw1.py were graded instead.",
        "forward_backward_prop in q2_neural.py is the starter's stub (it returns names it never "
        "sets): the one in hw1.py was graded instead.",
        "negSamplingCostAndGradient in q3_word2vec.py is the starter's stub (it returns names it "
        "never sets): the one in hw1.py was graded instead."]
    assert sorted(_stub_warnings(report)) == sorted(expected), report["warnings"]
    assert not [w for w in report["warnings"] if "more than one file" in w], report["warnings"]


def test_raise_not_implemented_misspelt_is_the_starters_stub(reports):
    """`raise NotImplemented` (a TypeError when run) for each raise of the starter: 0 of 100
    before, graded over the complete hw1.py beside it."""
    report = reports["a1_not_implemented"]
    assert report["score"] == 100, (scores(report), report["warnings"])
    assert ("sigmoid and sigmoid_grad in q2_sigmoid.py are the starter's stubs (they raise "
            "NotImplemented): those in hw1.py were graded instead.") in report["warnings"], \
        report["warnings"]
    assert len(_stub_warnings(report)) == 4, report["warnings"]


def test_a_python2_function_reading_the_shims_names_is_written(reports):
    """q1_softmax.py's correct Python 2 softmax returns `... for i in xrange(n)`: it is written,
    and graded over the wrong copy in scratch.py by the usual rule (0 of 15 before: "the
    starter's stub (it returns names it never sets)")."""
    report = reports["py2_xrange"]
    assert scores(report)["softmax"] == 15, (scores(report), report["warnings"])
    assert not _stub_warnings(report), report["warnings"]
    assert any(w.startswith("softmax is defined in more than one file: the one in q1_softmax.py "
                            "was graded, not the one in scratch.py") for w in report["warnings"]), \
        report["warnings"]


def _writes(source: str, functions: tuple[str, ...] = ("softmax", "sigmoid",
                                                      "forward_backward_prop",
                                                      "negSamplingCostAndGradient")) -> set[str]:
    return written_defs.written([ast.parse(source)], functions)


@pytest.mark.parametrize("name", sorted({"xrange", *python2_names.BUILTINS}))
def test_every_name_the_python2_shim_supplies_is_bound(name):
    """Whatever the worker's Python 2 shim supplies (loader.py's xrange, python2_names.BUILTINS)
    is bound for a def that returns it: a written Python 2 function, never the starter's."""
    assert _writes(f"def softmax(x):\n    return {name}(x)\n") == {"softmax"}


@pytest.mark.parametrize("statement", [
    "raise NotImplemented", "raise NotImplemented('write softmax')", "raise NotImplementedError",
    "raise NotImplementedError()", "raise NotImplementedError('write softmax')"])
def test_each_spelling_of_not_implemented_is_the_starters(statement):
    body = f"    orig_shape = x.shape\n    {statement}\n    return x\n"
    assert _writes("def softmax(x):\n" + body) == set()
    branches = f"    if x.ndim > 1:\n        {statement}\n    else:\n        {statement}\n"
    assert _writes("def softmax(x):\n" + branches + "    return x\n") == set()


# The softmax starters with their raises replaced by `pass`: 2016's, and 2017's if of a matrix
# and a vector (this pack's own student_template is graded end to end above).
SOFTMAX_2016_PASS = """def softmax(x):
    ### YOUR CODE HERE
    pass
    ### END YOUR CODE
    return x
"""
SOFTMAX_2017_PASS = """def softmax(x):
    orig_shape = x.shape
    if len(x.shape) > 1:
        # Matrix
        ### YOUR CODE HERE
        pass
        ### END YOUR CODE
    else:
        # Vector
        ### YOUR CODE HERE
        pass
        ### END YOUR CODE
    assert x.shape == orig_shape
    return x
"""


def _starter_pass(file: str) -> str:
    return (STARTER / file).read_text().replace("raise NotImplementedError\n", "pass\n")


@pytest.mark.parametrize("source", [
    SOFTMAX_2016_PASS, SOFTMAX_2017_PASS, "import numpy as np\n" + _starter_pass("q1_softmax.py"),
    _starter_pass("q2_neural.py"), _starter_pass("q3_word2vec.py")],
    ids=["softmax-2016", "softmax-2017", "softmax-ours", "network", "word2vec"])
def test_the_starters_defs_with_pass_are_not_written(source):
    assert _writes(source) == set()


# Written code, however unfinished, that must stay written beside the starters' forms above.
NETWORK_HEAD, NETWORK_TAIL = _starter_pass("q2_neural.py").split(
    "    ### YOUR CODE HERE: forward propagation\n    pass\n")
WRITTEN = {
    "partial-softmax": "import numpy as np\ndef softmax(x):\n    x = x - np.max(x)\n"
                       "    return x\n",
    "wrong-softmax": "import numpy as np\ndef softmax(x):\n    pass\n"
                     "    x = np.exp(x) / np.sum(np.exp(x))\n    return x\n",
    "in-place-softmax": "import numpy as np\ndef softmax(x):\n    pass\n"
                        "    np.exp(x, out=x)\n    x /= x.sum()\n    return x\n",
    "identity-without-placeholder": "def softmax(x):\n    return x\n",
    "misspelt-return": "import numpy as np\ndef sigmoid(x):\n    pass\n"
                       "    s = 1 / (1 + np.exp(-x))\n    return sigmiod_out\n",
    "forward-written-only": NETWORK_HEAD + "    h = sigmoid(data.dot(W1) + b1)\n" + NETWORK_TAIL,
    "unpacked-view-then-computed": "import numpy as np\ndef sigmoid(x):\n"
                                   "    x2 = x.reshape(-1)\n    s = 1 / (1 + np.exp(-x2))\n"
                                   "    return sigmoid_out\n",
    "global-set-elsewhere": "def setup():\n    global scale\n    scale = 2.0\n\n"
                            "def sigmoid(x):\n    return scale * x\n",
    "closure": "import numpy as np\ndef make(scale):\n    def sigmoid(x):\n"
               "        return scale / (1 + np.exp(-x))\n    return sigmoid\n",
}


@pytest.mark.parametrize("name", list(WRITTEN))
def test_unfinished_written_code_stays_written(name):
    source = WRITTEN[name]
    function = next(f for f in ("softmax", "sigmoid", "forward_backward_prop")
                    if f"def {f}(" in source)
    assert _writes(source) == {function}
