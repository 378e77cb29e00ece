"""Notebook and script files as uploads, graded through the CLI: a top-level call on a module the
grading machine lacks is skipped, not the file; saved outputs never count towards the upload
limit (alone, in a folder or in a zip); a notebook's cells run as the main program; Python 2 and
removed numpy names are named by cell; unreadable files and bytes that are not UTF-8 say what
they are; a script export runs as its notebook.

(Split from tests/test_notebooks.py so that two pytest-xdist workers can share them.)
"""
from __future__ import annotations

import gzip
import importlib.util
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader import proxy, task

from conftest import checks_of, grade, grade_many, run_cli, scores
from notebook_helpers import FIRST_HALF, NOT_RUN, SECOND_HALF, SOLUTION, notebook_v4, script_export


SUBMISSIONS = Path(__file__).parent / "fixtures" / "submissions"
# The 2017 starter's q3_run.py header, above a correct submission.
MATPLOTLIB_HEADER = "import matplotlib\nmatplotlib.use('agg')\nimport matplotlib.pyplot as plt\n"
NOT_INSTALLED = "needs nosuchplotlib, which is not installed where your code is graded"


def test_a_top_level_call_on_a_missing_module_is_skipped_not_the_file(tmp_path):
    """The 2017 starter's q3_run.py begins `import matplotlib; matplotlib.use('agg')`: on a
    machine without matplotlib that call is skipped and noted, and the file goes on."""
    upload = tmp_path / "a04d_matplotlib_use_agg.py"
    upload.write_text(MATPLOTLIB_HEADER + (SUBMISSIONS / "correct_summed.py").read_text())
    report = grade(upload, tmp_path / "out")
    assert report["score"] == report["max_score"] == 100, (report["warnings"], report["error"])
    if importlib.util.find_spec("matplotlib") is None:
        assert ("a04d_matplotlib_use_agg.py, line 2: `matplotlib.use('agg')` needs matplotlib, "
                "which is not installed where your code is graded: that call was skipped, and "
                "the code after it ran") in report["warnings"], report["warnings"]


def test_only_a_bare_call_that_the_stand_in_stops_is_skipped(tmp_path):
    """A bare top-level call (or assignment) is skipped only for the stand-in's own error: a
    graded function that calls the missing module still loses its points, an assignment from it
    is skipped and its name stands in for the module (a function that uses it fails saying so),
    and a bare call that raises the student's own error (even a ModuleNotFoundError for the same
    module) fails the file as it always did."""
    head = "import random\nimport numpy as np\nimport nosuchplotlib as npl\n"
    uses = ("\n\ndef sigmoid(x):\n    npl.log(x)\n    return 1.0 / (1.0 + np.exp(-x))\n")
    cases = {
        "bare.py": head + "npl.style('dark')\n" + SOLUTION + uses + "\nnpl.show()\n",
        "assigned.py": head + "style = npl.style('dark')\n" + SOLUTION + (
            "\n\ndef sigmoid_grad(s):\n    style(s)\n    return s * (1.0 - s)\n"),
        "own_error.py": head + SOLUTION + (
            "\n\ndef setup():\n    raise ModuleNotFoundError('mine', name='nosuchplotlib')\n"
            "\nsetup()\n"),
    }
    for name, source in cases.items():
        (tmp_path / name).write_text(source)
    reports = {name: grade(tmp_path / name, tmp_path / f"out-{name}") for name in cases}

    bare = reports["bare.py"]
    assert scores(bare) == {"sigmoid": 0, "sigmoid_grad": 5, "softmax": 15,
                            "forward_backward_prop": 35, "negSamplingCostAndGradient": 35}, \
        bare["warnings"]
    assert "so nosuchplotlib.log cannot be used here" in checks_of(bare, "sigmoid")[0]["message"]
    skipped = [w for w in bare["warnings"] if NOT_INSTALLED in w]
    last = len(cases["bare.py"].splitlines())
    assert skipped == [f"bare.py, line 4: `npl.style('dark')` {NOT_INSTALLED}: that call was "
                       "skipped, and the code after it ran",
                       f"bare.py, line {last}: `npl.show()` {NOT_INSTALLED}: that call was "
                       "skipped, and the code after it ran"], bare["warnings"]

    assigned = reports["assigned.py"]
    assert scores(assigned) == {"sigmoid": 10, "sigmoid_grad": 0, "softmax": 15,
                                "forward_backward_prop": 35, "negSamplingCostAndGradient": 35}, \
        (assigned["error"], assigned["warnings"])
    assert "so style cannot be used here" in checks_of(assigned, "sigmoid_grad")[0]["message"]
    assert [w for w in assigned["warnings"] if NOT_INSTALLED in w] == [
        f"assigned.py, line 4: `style = npl.style('dark')` {NOT_INSTALLED}: that statement was "
        "skipped and the code after it ran; code that uses style fails, saying nosuchplotlib is "
        "missing"], assigned["warnings"]
    own = reports["own_error.py"]
    assert own["score"] == 0
    assert "could not be imported (ModuleNotFoundError in own_error.py" in own["error"]
    assert "mine" in own["error"], own["error"]
    assert not any(NOT_INSTALLED in w for w in own["warnings"])


def test_any_top_level_statement_the_stand_in_stops_is_skipped_not_the_file(tmp_path):
    """`if __name__ == main():` (a typo that calls main() while the file loads, as a real onelayer
    upload ends), a training loop that plots, an expression that is not a bare call: each stopped
    by the stand-in of a missing module is skipped from there on, named, and the defs after it
    still load; a docstring stays the module's, so `from __future__` after it still compiles."""
    first, second = SOLUTION.split("\ndef softmax")
    source = ('"""My a1."""\nfrom __future__ import division\n'
              "import random\nimport numpy as np\nimport nosuchplotlib as npl\n"
              + first
              + "\n\ndef main():\n    npl.plot([1, 2])\n    return 'done'\n"
              + "\nfor step in range(3):\n    npl.scatter(step)\n"
              + "\n[npl.plot(x) for x in range(2)]\n"
              + "\nif __name__ == main():\n    main()\n"
              + "\ndef softmax" + second)
    upload = tmp_path / "typo_main.py"
    upload.write_text(source)
    report = grade(upload, tmp_path / "out")
    assert report["score"] == report["max_score"] == 100, (report["error"], report["warnings"])
    lines = source.splitlines()
    where = {code: lines.index(code) + 1 for code in ("    npl.scatter(step)",
                                                        "[npl.plot(x) for x in range(2)]",
                                                        "if __name__ == main():")}
    rest = "the rest of that statement was skipped, and the code after it ran"
    assert [w for w in report["warnings"] if NOT_INSTALLED in w] == [
        f"typo_main.py, line {where['    npl.scatter(step)']}: `npl.scatter(step)` {NOT_INSTALLED}: {rest}",
        f"typo_main.py, line {where['[npl.plot(x) for x in range(2)]']}: "
        f"`[npl.plot(x) for x in range(2)]` {NOT_INSTALLED}: {rest}",
        f"typo_main.py, line {where['if __name__ == main():']}: `if __name__ == main():` "
        f"{NOT_INSTALLED}: {rest}"], report["warnings"]


def test_a_cells_assignment_that_needs_a_missing_module_keeps_the_defs_after_it(tmp_path):
    """The CBOW lecture's `words = tokenize(corpus)` (nltk) above a `def` in the same cell: the
    assignment is skipped and the cell goes on (it stopped the cell, losing every def after it,
    86/100 for a correct notebook)."""
    path = notebook_v4(tmp_path / "hw.ipynb", [
        "import random\nimport numpy as np\nimport nosuchplotlib as npl",
        "words = npl.tokenize('a b c')\nfirst = words[0]\n" + FIRST_HALF, SECOND_HALF])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], report["error"])
    assert [w for w in report["warnings"] if NOT_INSTALLED in w] == [
        f"hw.ipynb, cell 2, line 1: `words = npl.tokenize('a b c')` {NOT_INSTALLED}: that "
        "statement was skipped and the code after it ran; code that uses words fails, saying "
        "nosuchplotlib is missing",
        f"hw.ipynb, cell 2, line 2: `first = words[0]` {NOT_INSTALLED}: that statement was "
        "skipped and the code after it ran; code that uses first fails, saying nosuchplotlib is "
        "missing"], report["warnings"]


def test_what_a_cell_does_with_a_skipped_value_is_skipped_too(tmp_path):
    """`n_words = len(words)`, a comparison, arithmetic on the stand-in: each is skipped in turn
    (len() raised "object of type 'Missing' has no len()", which stopped the cell and lost the
    defs after it: real copies of the CBOW lecture lost relu so). So is a loop over the stand-in
    (missing_imports.py: any top-level statement), and nothing names the stand-in's type."""
    path = notebook_v4(tmp_path / "hw.ipynb", [
        "import random\nimport numpy as np\nimport nosuchplotlib as npl",
        "words = npl.tokenize('a b c')\nn_words = len(words)\nbig = n_words > 2\n"
        "half = n_words % 2\n" + FIRST_HALF,
        "for word in reversed(words):\n    pass", SECOND_HALF])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], report["error"])
    # More than three of one notebook for one module: one line, each place named.
    assert [w for w in report["warnings"] if "nosuchplotlib, which is not installed" in w
            and "imports nosuchplotlib" not in w] == [
        "hw.ipynb: 5 statements needed nosuchplotlib, which is not installed where your code is "
        "graded, and were skipped, the code after each still running (the first: `words = "
        "npl.tokenize('a b c')`): cell 2, line 1; cell 2, line 2; cell 2, line 3; cell 2, line 4;"
        " cell 3, line 1. Code that uses what they would have set (`words`, `n_words`, `big` and "
        "`half`) fails, saying nosuchplotlib is missing."], report["warnings"]
    assert not any("stopped" in w for w in report["warnings"]), report["warnings"]
    assert not any("Missing" in w for w in report["warnings"]), report["warnings"]


def test_four_skipped_plotting_lines_that_set_nothing_are_one_warning(tmp_path):
    """More than three skipped statements for one module and none of them assigning a name (a
    plot: plot, xlabel, ylabel, show) raised IndexError while the warning was worded: `grade`
    wrote no report, a batch and Gradescope gave a correct notebook 0."""
    path = notebook_v4(tmp_path / "hw.ipynb", [
        "import random\nimport numpy as np\nimport nosuchplotlib as plt",
        FIRST_HALF, SECOND_HALF,
        "plt.plot([1, 2, 3])\nplt.xlabel('epoch')\nplt.ylabel('loss')\nplt.show()"])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], report["error"])
    assert [w for w in report["warnings"] if "nosuchplotlib, which is not installed" in w
            and "imports nosuchplotlib" not in w] == [
        "hw.ipynb: 4 statements needed nosuchplotlib, which is not installed where your code is "
        "graded, and were skipped, the code after each still running (the first: "
        "`plt.plot([1, 2, 3])`): cell 4, line 1; cell 4, line 2; cell 4, line 3; cell 4, line 4."
    ], report["warnings"]


def test_a_cell_stopped_by_an_exception_without_a_message_ends_its_warning_cleanly(tmp_path):
    """`raise NotImplementedError` (a starter's stub called at the top) has no message: the
    warning ended "... cell 4, line 1:" with nothing after the colon."""
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", FIRST_HALF,
                                       SECOND_HALF, "raise NotImplementedError"])
    report = grade(path, tmp_path / "out", "--only", "sigmoid")
    said = [w for w in report["warnings"] if "cell 4 stopped" in w]
    assert said == ["hw.ipynb, cell 4 stopped with NotImplementedError in hw.ipynb, cell 4, "
                    "line 1 (the cells after it still ran, so functions defined in other cells "
                    "were still graded)"], report["warnings"]


def test_half_a_character_in_a_cell_is_named_and_costs_nothing(tmp_path):
    """Valid JSON may escape half of a character ("\\ud83d", an emoji cut in two by a paste): no
    UTF-8 text holds it, the worker failed writing the cell out, and a correct notebook scored 0,
    told it had "broken the grader's worker"."""
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", FIRST_HALF,
                                       SECOND_HALF, "# pasted: EMOJI\nnote = 'xHALFy'"])
    # As JSON writes a lone surrogate (nbformat refuses to write one: a student's editor did).
    path.write_text(path.read_text().replace("EMOJI", "\\ud83d").replace("HALF", "\\udc00"))
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["error"], report["warnings"])
    said = [w for w in report["warnings"] if "half of a character" in w]
    assert said == ["hw.ipynb: cell 4, line 1 and cell 4, line 2 hold half of a character "
                    "(U+D83D: an emoji or other character cut in two, as a paste can leave it), "
                    "which no Python file can hold; it was read here as \"\ufffd\". Delete it, "
                    "or write the whole character."], report["warnings"]


def test_more_skipped_statements_than_are_listed_are_counted(tmp_path):
    """61 skipped plotting lines were said as "50 statements" (the worker lists 50), and each of
    the 50 places was printed, four statements on one line four times."""
    lines = "\n".join(f"plt.plot([{i}])" for i in range(59)) + "\nplt.xlabel('a'); plt.ylabel('b')"
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np\nimport nosuchplotlib as plt",
                                       FIRST_HALF, SECOND_HALF, lines])
    report = grade(path, tmp_path / "out", "--only", "sigmoid")
    said = [w for w in report["warnings"] if "statements needed" in w or "more statements" in w]
    assert said[0].startswith("hw.ipynb: 50 statements needed nosuchplotlib"), said
    assert said[0].count("cell 4, line ") == 10 and said[0].endswith("and 40 more lines."), said[0]
    assert said[1] == ("11 more statements needing a module that is not installed where your "
                       "code is graded were skipped after those listed, the code after each "
                       "still running (not listed one by one)."), said


def test_a_warning_that_cannot_be_worded_costs_the_report_nothing():
    """The last net under the wording of warnings (the bug above is one it would have caught):
    one line naming the grader's problem, never a lost report."""
    from grader.session import worded

    def broken(load: dict) -> list[str]:
        return [[][0]]

    said = worded(broken, {})
    assert said == [f"grader problem: some warnings could not be worded (IndexError in "
                    f"{Path(__file__).name}, line {broken.__code__.co_firstlineno + 1}); the scores "
                    "are not affected. Please report it to your instructor."], said
    assert worded(lambda load: ["fine"], {}) == ["fine"]


def test_a_cells_bare_call_on_a_missing_module_is_skipped_and_the_cell_goes_on(tmp_path):
    """In a notebook too, the last line of a cell (which Jupyter shows) included."""
    path = notebook_v4(tmp_path / "hw.ipynb", [
        "import random\nimport numpy as np\nimport nosuchplotlib as npl\nnpl.style('dark')\n"
        "print('after the style')",
        FIRST_HALF, SECOND_HALF, "sigmoid(np.array([0.0]))", "npl.plot([1, 2])\nnpl.show()"])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], report["error"])
    assert not any("stopped with" in w for w in report["warnings"]), report["warnings"]
    skipped = [w.split(":")[0] for w in report["warnings"] if NOT_INSTALLED in w]
    assert skipped == ["hw.ipynb, cell 1, line 4", "hw.ipynb, cell 5, line 1",
                       "hw.ipynb, cell 5, line 2"], report["warnings"]
    assert "after the style" in report["import_output"]
    assert "array([0.5])" in report["import_output"]  # a last value is still shown


def test_a_class_built_on_a_missing_module_says_which_module(tmp_path):
    """`class Net(torch.nn.Module)` with torch missing: named with torch, not with a puzzle about
    the stand-in's arguments; the class is skipped as a statement that needs torch (the rest of
    its cell runs) and the other cells' functions are graded."""
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np\nimport torch",
                                       "class Net(torch.nn.Module):\n    pass\n\nafter = 1",
                                       FIRST_HALF, SECOND_HALF + "\nassert after == 1\n"])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, report["warnings"]
    assert not [w for w in report["warnings"] if "stopped" in w], report["warnings"]
    assert any(w.startswith("hw.ipynb, cell 2, line 1: `class Net(torch.nn.Module):` needs "
                            "torch, which is not installed where your code is graded")
               for w in report["warnings"]), report["warnings"]


def _with_output(path: Path, cells: list[str], output_bytes: int) -> Path:
    """A notebook whose last code cell saved `output_bytes` of printed text (a training loop's
    printout, a plot's PNG: what Jupyter keeps and the grader never runs)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                   text="loss 0.123456789\n" * (output_bytes // 17))]
    nbformat.write(nb, str(path))
    return path


def test_saved_outputs_do_not_count_towards_the_upload_limit(tmp_path):
    """61 MiB of saved output around 5 KB of code: the code is graded."""
    path = _with_output(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", FIRST_HALF,
                                                SECOND_HALF], 61 * 2**20)
    assert path.stat().st_size > proxy.MAX_UPLOAD_BYTES
    report = grade(path, tmp_path / "out")
    assert report["error"] == "" and report["score"] == 100, report["error"]


def test_a_batch_grades_a_notebook_whose_outputs_are_over_what_a_task_carries(tmp_path):
    """A batch ships each upload to its grader in a task of at most 64 MiB: a notebook with 70 MiB
    of training log is shipped without its outputs, and graded as `autograde grade` grades it."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    path = _with_output(uploads / "ada.ipynb", ["import random\nimport numpy as np", FIRST_HALF,
                                                 SECOND_HALF], 70 * 2**20)
    assert path.stat().st_size > task.MAX_PAYLOAD_BYTES
    done = run_cli("batch", str(uploads), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "reports" / "ada.json").read_text())
    assert report["error"] == "" and report["score"] == 100, report["error"]


def test_a_notebooks_code_is_still_held_to_the_upload_limit(tmp_path, monkeypatch):
    """Outputs are dropped before the size check; the code itself, and the notebook as it is on
    disk (up to a larger bound), are still limited."""
    monkeypatch.setattr(proxy, "MAX_UPLOAD_BYTES", 10_000)
    monkeypatch.setattr(proxy, "MAX_NOTEBOOK_BYTES", 200_000)
    small_code = _with_output(tmp_path / "small.ipynb", ["x = 1"], 100_000)
    copied = proxy.copy_upload(small_code, tmp_path / "a")
    assert copied.stat().st_size < 10_000
    cells = nbformat.read(str(copied), as_version=4).cells
    assert [c.source for c in cells] == ["x = 1"] and cells[0].outputs == []

    big_code = _with_output(tmp_path / "big.ipynb", ["# " + "x" * 20_000], 0)
    with pytest.raises(proxy.UploadTooLarge, match="MiB without its saved outputs; the limit is"):
        proxy.copy_upload(big_code, tmp_path / "b")
    huge = _with_output(tmp_path / "huge.ipynb", ["x = 1"], 300_000)
    with pytest.raises(proxy.UploadTooLarge, match="MiB for a notebook with its saved outputs, 0 MiB without them"):
        proxy.copy_upload(huge, tmp_path / "c")
    plain = tmp_path / "big.py"
    plain.write_text("x = 1\n" * 5000)
    with pytest.raises(proxy.UploadTooLarge, match=r"the submission holds 0 MiB; the limit is 0 MiB\. Nothing"):
        proxy.copy_upload(plain, tmp_path / "d")


def test_a_notebook_in_a_folder_or_a_zip_is_graded_as_it_is_alone(tmp_path):
    """A notebook course's students zip their notebook, or hand it in beside a helper file: the
    notebook is graded as a lone .ipynb is. Beside it, a notebook that cannot be read is named
    and the rest graded; a .py of the same name is graded instead of the notebook, and said so."""
    zipped = tmp_path / "zipped" / "hw"
    zipped.mkdir(parents=True)
    notebook_v4(zipped / "hw.ipynb", ["import numpy as np", FIRST_HALF, SECOND_HALF])
    archive = shutil.make_archive(str(tmp_path / "hw"), "zip", tmp_path / "zipped")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    notebook_v4(mixed / "hw.ipynb", ["import numpy as np", FIRST_HALF, SECOND_HALF])
    (mixed / "scratch.ipynb").write_text("{")
    both = tmp_path / "both"
    both.mkdir()
    (both / "hw.py").write_text(SOLUTION)
    notebook_v4(both / "hw.ipynb", ["raise SystemExit('never run')"])
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "hw.ipynb").write_text("")
    reports = grade_many({"folder": zipped, "zip": Path(archive), "mixed": mixed, "both": both,
                          "broken": broken}, tmp_path / "out")
    for name in ("folder", "zip", "mixed", "both"):
        assert reports[name]["score"] == 100 and reports[name]["error"] == "", \
            (name, reports[name]["error"])
    assert not [w for name in ("folder", "zip") for w in reports[name]["warnings"] if "ipynb" in w]
    assert ("scratch.ipynb is not a readable notebook: it is not valid JSON (Expecting property "
            "name enclosed in double quotes: line 1 column 2 (char 1)), as a notebook file is. "
            "Was it edited by hand, or cut short? Save the notebook in Jupyter and upload the "
            "saved file; the rest of your submission was graded") in reports["mixed"]["warnings"], \
        reports["mixed"]["warnings"]
    assert ("hw.ipynb was not run: hw.py, beside it, was graded instead (keep one of the two, or "
            "give them different names)") in reports["both"]["warnings"]
    assert reports["broken"]["score"] == 0
    assert "hw.ipynb is empty (0 bytes): it holds no notebook" in reports["broken"]["error"]


def test_files_uploaded_beside_the_code_are_read_by_the_paths_the_student_used(tmp_path):
    """Jupyter runs a notebook in its own folder, and a student runs `python hw.py` in theirs: a
    data file uploaded beside the code is opened by a path relative to that folder, at the top
    level (a notebook's first cell) and inside a graded function when it is called."""
    zipped = tmp_path / "zipped" / "hw"
    (zipped / "data").mkdir(parents=True)
    (zipped / "data" / "scale.txt").write_text("1.0\n")
    notebook_v4(zipped / "hw.ipynb", ["import numpy as np",
                              "with open('data/scale.txt') as f:\n    SCALE = float(f.read())",
                              FIRST_HALF, SECOND_HALF])
    archive = shutil.make_archive(str(tmp_path / "hw"), "zip", tmp_path / "zipped")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "one.txt").write_text("1.0\n")
    reading = ("def sigmoid(x):\n    with open('one.txt') as f:\n        one = float(f.read())\n"
               "    return one / (one + np.exp(-x))\n")
    (folder / "hw.py").write_text(SOLUTION + "\n\n" + reading)
    reports = grade_many({"zip": Path(archive), "folder": folder}, tmp_path / "out")
    for name, report in reports.items():
        failed = [c["message"] for c in report["checks"] if c["status"] != "passed"]
        assert report["score"] == 100 and report["error"] == "", (name, failed[:2])


def test_saved_outputs_of_a_notebook_in_a_folder_or_zip_do_not_count_either(tmp_path):
    """The .py files are graded beside a notebook holding 61 MiB of training log, in a folder and
    in a .zip, as the same notebook uploaded alone is."""
    import zipfile
    folder = tmp_path / "hw"
    folder.mkdir()
    (folder / "sub.py").write_text(SOLUTION)
    _with_output(folder / "explore.ipynb", ["print('training')"], 61 * 2**20)
    with zipfile.ZipFile(tmp_path / "hw.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, f"hw/{path.name}")
    reports = grade_many({"folder": folder, "zip": tmp_path / "hw.zip"}, tmp_path / "out")
    for kind, report in reports.items():
        assert report["error"] == "" and report["score"] == 100, (kind, report["error"])


def test_a_folders_or_zips_code_is_still_held_to_the_upload_limit(tmp_path, monkeypatch):
    """As for one notebook: outputs are dropped before the size check, what is left is held to
    MAX_UPLOAD_BYTES, and the upload as it is on disk (or unpacked) to MAX_NOTEBOOK_BYTES."""
    import zipfile
    monkeypatch.setattr(proxy, "MAX_UPLOAD_BYTES", 10_000)
    monkeypatch.setattr(proxy, "MAX_NOTEBOOK_BYTES", 200_000)

    def upload(name: str, files: dict[str, bytes]) -> tuple[Path, Path]:
        folder = tmp_path / name
        folder.mkdir()
        for file, data in files.items():
            (folder / file).write_bytes(data)
        with zipfile.ZipFile(tmp_path / f"{name}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            for file, data in files.items():
                zf.writestr(f"{name}/{file}", data)
        return folder, tmp_path / f"{name}.zip"

    log = _with_output(tmp_path / "log.ipynb", ["x = 1"], 100_000).read_bytes()
    small, small_zip = upload("small", {"sub.py": b"y = 2\n", "log.ipynb": log})
    copied = proxy.copy_upload(small, tmp_path / "a")
    assert (copied / "sub.py").read_bytes() == b"y = 2\n"
    assert nbformat.reads((copied / "log.ipynb").read_text(), as_version=4).cells[0].outputs == []
    copied = proxy.copy_upload(small_zip, tmp_path / "b")
    with zipfile.ZipFile(copied) as zf:
        assert zf.namelist() == ["small/sub.py", "small/log.ipynb"]
        assert zf.read("small/sub.py") == b"y = 2\n"
        assert sum(i.file_size for i in zf.infolist()) < 10_000

    code = b"# " + b"x" * 20_000 + b"\n"
    for i, big in enumerate(upload("big", {"sub.py": code, "log.ipynb": log})):
        with pytest.raises(proxy.UploadTooLarge, match=r"the submission holds 0 MiB without its "
                           r"notebooks' saved outputs; the limit is 0 MiB\. Nothing"):
            proxy.copy_upload(big, tmp_path / f"c{i}")
    huge_log = _with_output(tmp_path / "huge.ipynb", ["x = 1"], 300_000).read_bytes()
    for i, huge in enumerate(upload("huge", {"sub.py": b"y = 2\n", "log.ipynb": huge_log})):
        with pytest.raises(proxy.UploadTooLarge, match=r"the limit is 0 MiB for a submission with "
                           r"its notebooks' saved outputs, 0 MiB without them\. Nothing"):
            proxy.copy_upload(huge, tmp_path / f"d{i}")
    # Without a notebook, nothing is dropped: a folder is held to the plain limit here, and a
    # zip that is small on disk goes on as it is, to the worker's limit on what it unpacks to.
    plain, plain_zip = upload("plain", {"sub.py": code})
    with pytest.raises(proxy.UploadTooLarge, match=r"the submission holds 0 MiB; the limit is "
                       r"0 MiB\. Its largest files: sub\.py \(19 KiB\)\. Nothing"):
        proxy.copy_upload(plain, tmp_path / "e")
    assert proxy.copy_upload(plain_zip, tmp_path / "f").read_bytes() == plain_zip.read_bytes()


MAIN_GUARD = "if __name__ == '__main__':\n    print('the main guard ran')\nprint('name is', __name__)"


def test_a_notebooks_cells_run_as_the_main_program_as_in_jupyter(tmp_path):
    """Jupyter runs cells with `__name__ == '__main__'`: a notebook's closing main guard runs."""
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", FIRST_HALF,
                                       SECOND_HALF, MAIN_GUARD])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], report["error"])
    assert "the main guard ran\nname is __main__" in report["import_output"], report["import_output"]


def test_a_py_files_main_guard_does_not_run(tmp_path):
    path = tmp_path / "sub.py"
    path.write_text(SOLUTION + "\n\n" + MAIN_GUARD + "\n")
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], report["error"])
    assert "the main guard ran" not in report["import_output"]
    assert "name is sub" in report["import_output"], report["import_output"]


def test_a_notebooks_xrange_is_named_by_its_cell(tmp_path):
    """The warning names the notebook and the cell, not the .py the grader made of it."""
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", FIRST_HALF,
                                       "total = 0\nfor i in xrange(3):\n    total += i",
                                       SECOND_HALF])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], report["error"])
    xrange = [w for w in report["warnings"] if "xrange" in w]
    assert xrange == ["hw.ipynb, cell 3 uses xrange (Python 2); it was run with xrange = range. "
                      "Use range in Python 3."], report["warnings"]


def test_a_python2_notebook_cells_prints_run_as_calls_named_by_cell(tmp_path):
    """A notebook saved from a Python 2 kernel: its print statements are run as calls, and the
    warning names the cell and the lines within it."""
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", FIRST_HALF,
                                       "total = 0\nprint 'total', total\nprint",
                                       SECOND_HALF])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], report["error"])
    assert "total 0" in report["import_output"]
    said = [w for w in report["warnings"] if "print statements" in w]
    assert said == ["hw.ipynb, cell 3 has Python 2 print statements (lines 2, 3), which Python 3 "
                    "refuses or reads otherwise; they were run as print(...) calls. Write "
                    "print(...) in Python 3."]


def test_a_notebooks_removed_numpy_names_are_named_by_their_cell(tmp_path):
    """np.float in a cell runs as float; the warning names the notebook, the cell and the line
    within the cell, as the student sees it in Jupyter."""
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", FIRST_HALF,
                                       "total = 0\nscale = np.float(2)\nbig = np.Inf",
                                       SECOND_HALF])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], report["error"])
    said = [w for w in report["warnings"] if "NumPy removed" in w]
    assert said == ["hw.ipynb, cell 3 uses names NumPy removed: np.float (line 2) and np.Inf "
                    "(line 3). NumPy 1.24 and later fail there with \"module 'numpy' has no "
                    "attribute 'float'\" (np.Inf from NumPy 2.0 on); they were run as what "
                    "they meant before. Write float "
                    "and np.inf instead."], report["warnings"]


def test_only_a_file_that_does_not_open_as_json_does_is_called_python_code():
    """What the worker's loader takes for Python code saved as a notebook: a file opening with
    `{` is a notebook whose JSON is broken, even when Python parses it as a dict (probe s60)."""
    from conftest import ROOT
    sys.path.insert(0, str(ROOT / "grader" / "worker"))
    from loader import _python_not_json  # the worker's modules import each other by bare name
    assert _python_not_json(b"import numpy as np\n\ndef f(x):\n    return x\n")
    for text in (b'{"cells": [],\n}', b'\xef\xbb\xbf  \r\n{"cells": [1,]}', b"{}\n"):
        assert not _python_not_json(text), text


@pytest.mark.parametrize("name, content, says", [
    ("empty.ipynb", "", "empty.ipynb is empty (0 bytes): it holds no notebook. Save the notebook in "
     "Jupyter and upload the saved file."),
    ("code.ipynb", SOLUTION, "code.ipynb is not a notebook: it looks like Python code. If it is a "
     ".py file, rename it to code.py and upload it again."),
    ("prose.ipynb", None, "prose.ipynb has no code cells: there is nothing in it to run or grade "
     "(was it saved before the code was written?)"),
    ("truncated.ipynb", '{"cells": [{"cell_type": "code", "source": "x = 1', "truncated.ipynb is "
     "not a readable notebook: it is not valid JSON (Unterminated string starting at"),
    # A trailing comma, as a hand edit leaves it, is a valid Python dict too: it was called
    # Python code to rename to .py, which graded 0 with nothing said about JSON (probe s60).
    ("comma.ipynb", '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5,\n}',
     "comma.ipynb is not a readable notebook: it is not valid JSON (Expecting property name "
     "enclosed in double quotes: line 2 column 1 (char 66)), as a notebook file is. Was it "
     "edited by hand, or cut short? Save the notebook in Jupyter"),
    # Valid JSON the notebook format refuses: it said only "'str' object has no attribute 'get'".
    ("cells_as_a_dict.ipynb", '{"cells": {"a": "x = 1"}, "metadata": {}, "nbformat": 4, '
     '"nbformat_minor": 5}', "cells_as_a_dict.ipynb is not a notebook Jupyter can open: its JSON "
     "does not follow the notebook format (a field missing or of the wrong type; the reader "
     "said: "),
    # Deeper than Python's parser goes: the worker died on it, blaming the student's code.
    ("deep.ipynb", '{"cells": [], "metadata": {"x": ' + "[" * 200_000 + "]" * 200_000 + "}}",
     "deep.ipynb is not a readable notebook: its JSON is nested too deeply or too large to read."),
])
def test_an_unreadable_notebook_says_what_the_file_is(tmp_path, name, content, says):
    path = tmp_path / name
    if content is None:
        notebook_v4(path, [("markdown", "# My answers\nI will write the code later.")])
    else:
        path.write_text(content)
    report = grade(path, tmp_path / "out")
    assert report["score"] == 0
    assert report["error"].startswith("your submission could not be read: " + says), \
        report["error"]


def _zipped(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("hw/hw.ipynb", text)
    return buffer.getvalue()


_NOT_A_NOTEBOOK = "hw.ipynb is not a notebook: it holds valid JSON, but "


@pytest.mark.parametrize("content, says", [
    (_zipped("{}"), "hw.ipynb is not a notebook: it is a zip archive with a notebook's name. If "
     "your notebook is inside it, rename the file to hw.zip and upload that"),
    (gzip.compress(b'{"cells": []}'), "hw.ipynb is not a notebook: it is gzip-compressed data"),
    (b'<!DOCTYPE html>\n<html lang="en"><head><title>hw.ipynb at main</title>',
     "hw.ipynb is not a notebook: it is a web page (HTML)"),
    (b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 2911\n",
     "hw.ipynb is not a notebook: it is a Git LFS pointer"),
    (b'{"a": 1}', _NOT_A_NOTEBOOK + "an object without the `cells` and `nbformat` fields, "
     "where a notebook is an object with its list of `cells` and its `nbformat` version."),
    (b"[]", _NOT_A_NOTEBOOK + "a list,"),
    (b'"just a string"', _NOT_A_NOTEBOOK + "a string,"),
    (b"null", _NOT_A_NOTEBOOK + "null,"),
], ids=["zip", "gzip", "html", "lfs", "object", "list", "string", "null"])
def test_a_file_under_a_notebooks_name_is_said_for_what_it_is(tmp_path, content, says):
    """A zip, a gzip, a saved GitHub page and a Git LFS pointer were all "not valid JSON ... Was it
    edited by hand, or cut short?", and JSON that is no notebook quoted the reader's exceptions
    ("ValidationError: Notebook could not be converted from version 1 to version 2", "'list'
    object has no attribute 'get'", probe s62). Alone and in a folder alike."""
    alone = tmp_path / "hw.ipynb"
    alone.write_bytes(content)
    folder = tmp_path / "folder"
    (folder / "week1").mkdir(parents=True)
    (folder / "week1" / "hw.ipynb").write_bytes(content)
    for upload in (alone, folder):
        report = grade(upload, tmp_path / "out" / upload.name)
        assert report["score"] == 0
        assert report["error"].startswith("your submission could not be read: " + says), \
            report["error"]
        assert "Error" not in report["error"] and "object has no" not in report["error"]


def test_an_unreadable_upload_says_why_once(tmp_path):
    """An empty notebook said its one sentence 21 times in the terminal, at the top, in every
    function's row and under every function in "What went wrong", and 11 times in the HTML
    (probe s62): once, and each function's row says it was not graded."""
    path = tmp_path / "empty.ipynb"
    path.write_text("")
    report = grade(path, tmp_path / "out", html=True)
    assert report["score"] == 0 and report["error"]
    why = "is empty (0 bytes)"
    assert report["_terminal"].count(why) == 1, report["_terminal"]
    assert "What went wrong" not in report["_terminal"]
    rows = [line for line in report["_terminal"].splitlines() if line.startswith("  -- ")]
    assert rows and all(line.endswith("not graded (see above)") for line in rows), rows
    assert report["_html"].count(why) == 1
    # The JSON keeps every check's own message: a gradebook reads them one by one.
    assert all(why in c["message"] for c in report["checks"])


# A stray Windows-1252 "è" (0xE8) in a comment, and "déjà" in a string, saved by an editor that
# does not write UTF-8: what Python 3 refuses to run ("SyntaxError: Non-UTF-8 code") and Jupyter
# refuses to open.
LATIN1_TAIL = b"# tr\xe8s important\nNOTE = 'd\xe9j\xe0'\nprint('note:', NOTE)\n"
NOT_UTF8_PY = ("{name} is not saved as UTF-8: {where} holds the byte 0xE8, read here as \"\u00e8\" "
               "(Windows-1252, as the editor that saved it most likely meant it), and 2 more such "
               "bytes ({more}). Python 3 refuses the file as it is (SyntaxError: Non-UTF-8 code): "
               "save it as UTF-8 (in most editors: Save with Encoding, UTF-8).")
NOT_UTF8_NB = ("{name} is not saved as UTF-8: {where} holds the byte 0xE8, read here as \"\u00e8\" "
               "(Windows-1252, as the editor that saved it most likely meant it), and 2 more such "
               "bytes ({more}). Jupyter cannot open the notebook as it is: save it as UTF-8 (open "
               "it in an editor that lets you choose the encoding, or fix the characters, and "
               "save it again).")


def test_bytes_that_are_not_utf8_are_read_as_meant_and_named_the_same_in_every_upload(tmp_path):
    """One rule for a .py file (alone, in a folder, in a .zip) and a notebook: the code is graded,
    read as its editor meant it, and the report names the file (the cell), the line and the byte,
    and says Python or Jupyter refuse it until it is saved as UTF-8."""
    import zipfile
    source = SOLUTION.encode() + b"\n" + LATIN1_TAIL
    line = SOLUTION.count("\n") + 2
    single = tmp_path / "sub.py"
    single.write_bytes(source)
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "sub.py").write_bytes(source)
    with zipfile.ZipFile(tmp_path / "zipped.zip", "w") as zf:
        zf.writestr("hw/sub.py", source)
    notebook = notebook_v4(tmp_path / "hw.ipynb", [("markdown", "# Homework 1"),
                                           "import random\nimport numpy as np", FIRST_HALF,
                                           SECOND_HALF, LATIN1_TAIL.decode("latin-1")])
    notebook.write_bytes(notebook.read_bytes().decode("utf-8").encode("latin-1"))
    with pytest.raises(UnicodeDecodeError):
        notebook.read_text(encoding="utf-8")
    # A UTF-8 byte order mark (some Windows editors write one) is UTF-8 still: nothing to say.
    bom = tmp_path / "bom.ipynb"
    bom.write_bytes(b"\xef\xbb\xbf" + notebook.read_bytes().decode("latin-1").encode("utf-8"))
    reports = grade_many({"py": single, "folder": tmp_path / "folder", "zip": tmp_path / "zipped.zip",
                          "nb": notebook, "bom": bom}, tmp_path / "out")
    for kind, report in reports.items():
        assert report["score"] == 100, (kind, report["warnings"], report["error"])
        assert "note: d\u00e9j\u00e0" in report["import_output"], (kind, report["import_output"])
    assert not any("UTF-8" in w for w in reports["bom"]["warnings"]), reports["bom"]["warnings"]
    expected = NOT_UTF8_PY.format(name="sub.py", where=f"line {line}",
                                  more=f"line {line + 1}")
    for kind in ("py", "folder", "zip"):
        assert [w for w in reports[kind]["warnings"] if "UTF-8" in w] == [expected], kind
    # Cells are counted from the top, the Markdown cell too; lines within the cell.
    assert [w for w in reports["nb"]["warnings"] if "UTF-8" in w] == [NOT_UTF8_NB.format(
        name="hw.ipynb", where="cell 5, line 1", more="cell 5, line 2")], reports["nb"]["warnings"]


def test_a_notebook_saved_as_utf16_or_utf32_is_graded_and_said_to_be_unopenable(tmp_path):
    """json.loads reads UTF-16 and UTF-32 without a word, so such a notebook graded in silence;
    Jupyter (nbformat, the notebook server) reads notebooks as UTF-8 only and refuses it: the
    student must hear it, as of a .py file saved so."""
    text = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", FIRST_HALF,
                                               SECOND_HALF]).read_text(encoding="utf-8")
    uploads = {}
    for codec in ("utf-16", "utf-16-le", "utf-32"):
        path = tmp_path / f"hw_{codec.replace('-', '_')}.ipynb"
        path.write_bytes(text.encode(codec))
        with pytest.raises((UnicodeDecodeError, nbformat.reader.NotJSONError)):
            nbformat.read(str(path), as_version=4)  # what Jupyter meets
        uploads[codec] = path
    reports = grade_many(uploads, tmp_path / "out")
    for codec, report in reports.items():
        assert report["score"] == 100, (codec, report["warnings"], report["error"])
        wide = "UTF-32" if codec == "utf-32" else "UTF-16"
        notepad = " (Windows Notepad's \"Unicode\")" if wide == "UTF-16" else ""
        assert [w for w in report["warnings"] if "UTF" in w] == [
            f"{uploads[codec].name} is saved as {wide}{notepad}, and was read as such here, but "
            "Jupyter reads notebooks as UTF-8 only and cannot open it as it is: save it as UTF-8 "
            "(in an editor that lets you choose the encoding: Save As, Encoding UTF-8)."], codec


def test_a_declared_encoding_is_read_as_python_reads_it(tmp_path):
    """PEP 263: a file that says `# -*- coding: latin-1 -*-` is valid Python 3; nothing to warn."""
    path = tmp_path / "sub.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\n" + SOLUTION.encode() + b"\n" + LATIN1_TAIL)
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], report["error"])
    assert "note: d\u00e9j\u00e0" in report["import_output"], report["import_output"]
    assert not any("UTF-8" in w for w in report["warnings"]), report["warnings"]


def test_a_large_notebooks_bytes_that_are_not_utf8_survive_dropping_its_outputs(tmp_path,
                                                                                monkeypatch):
    monkeypatch.setattr(proxy, "MAX_UPLOAD_BYTES", 10_000)
    path = _with_output(tmp_path / "hw.ipynb", ["x = 'tr@@E8@@s'"], 100_000)
    path.write_bytes(path.read_bytes().replace(b"@@E8@@", b"\xe8"))
    copied = proxy.copy_upload(path, tmp_path / "a")
    assert copied.stat().st_size < 10_000 and b"x = 'tr\xe8s'" in copied.read_bytes()


def test_a_byte_that_is_not_utf8_is_placed_on_the_line_python_counts():
    from grader.worker import source_text
    text, found = source_text.python_source(b"a = 1\r\nb = 2\rc = 3\n# tr\xe8s \x81\n")
    assert text == "a = 1\r\nb = 2\rc = 3\n# tr\u00e8s \x81\n"
    assert found == [{"cell": None, "line": 4, "byte": "0xE8", "read_as": "\u00e8"},
                     {"cell": None, "line": 4, "byte": "0x81", "read_as": "\x81"}]


def test_a_byte_only_in_comments_of_a_file_declaring_utf8_is_not_said_to_stop_python(tmp_path):
    """Python reads a file that declares UTF-8 without checking its comments (3.8 to 3.13 alike):
    a Windows-1252 byte there must not be reported as a SyntaxError Python would raise. In code
    or a string, or in a file declaring nothing, it is one."""
    from grader.session import _not_utf8_warning
    from grader.worker import source_text
    declared = b"# -*- coding: utf-8 -*-\n# caf\xe9\nx = 1  # d\xe9j\xe0\n"
    _, found = source_text.python_source(declared)
    assert [f.get("python_reads") for f in found] == [True, True, True]
    for source in (b"# -*- coding: utf-8 -*-\n# caf\xe9\ns = 'caf\xe9'\n",  # and in a string
                   b"# caf\xe9\nx = 1\n"):                                   # nothing declared
        _, found = source_text.python_source(source)
        assert found and not any(f.get("python_reads") for f in found), source
    path = tmp_path / "declared.py"
    path.write_bytes(declared)
    assert subprocess.run([sys.executable, str(path)]).returncode == 0  # what the claim rests on
    said = _not_utf8_warning({"file": "declared.py", "notebook": None,
                              "bytes": source_text.python_source(declared)[1]})
    assert "Python reads the file all the same, since it declares UTF-8 and the bytes are only in " \
           "comments" in said and "refuses" not in said, said


def test_a_notebooks_script_export_runs_as_the_notebook(tmp_path):
    """Its magics are calls on get_ipython(), which a plain .py does not have: graded as a .py
    file, its first such line was a NameError that stopped the file, and nothing was graded."""
    path = tmp_path / "assignment1.py"
    path.write_text(script_export([
        "get_ipython().run_line_magic('matplotlib', 'inline')\nget_ipython().system('pip install numpy')",
        FIRST_HALF,
        "undefined_name_in_an_exploration_cell",
        SECOND_HALF]))
    report = grade(path, tmp_path / "out")
    assert report["error"] == "" and report["score"] == 100, report["error"]
    warnings = "\n".join(report["warnings"])
    assert "assignment1.py, cell 1: `!pip install numpy` " + NOT_RUN in warnings, warnings
    # The line is the .py's own, the one the student finds in the file uploaded (it counted
    # from the cell's `# In[3]:` mark, nbconvert's blank lines included).
    line = path.read_text().splitlines().index("undefined_name_in_an_exploration_cell") + 1
    assert (f"assignment1.py, cell 3 stopped with NameError in assignment1.py, line {line}: "
            "name 'undefined_name_in_an_exploration_cell' is not defined") in warnings, warnings


def test_an_export_without_magics_runs_as_the_notebook_too(tmp_path):
    """No get_ipython() call, but nbconvert's marks: a failing exploration cell (a module the
    grader does not have, a data file) stopped the whole file, and its .ipynb graded 100."""
    path = tmp_path / "cbow_lecture.py"
    path.write_text(script_export([
        FIRST_HALF, "import nltk\ntokens = nltk.word_tokenize('some text')", SECOND_HALF]))
    report = grade(path, tmp_path / "out")
    assert report["error"] == "" and report["score"] == 100, report["error"]
    line = path.read_text().splitlines().index("import nltk") + 1  # the .py's own line
    assert any(w.startswith(f"cbow_lecture.py, line {line} imports nltk") for w in
               report["warnings"]), report["warnings"]


JUPYTEXT_HEADER = """\
# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---
"""


@pytest.mark.parametrize("style", ["jupytext", "vscode"])
def test_a_percent_format_notebook_runs_cell_by_cell(tmp_path, style):
    """A notebook kept as a .py between `# %%` lines (jupytext's percent format, VS Code's and
    Spyder's cells) is the notebook: a cell that reads a data file not uploaded stops that cell,
    not the file (a statement asking for input() is skipped, as in any notebook or file). Run as
    a plain module it scored 0 where its .ipynb scored 100 (probe s54). VS Code runs IPython
    syntax in such a cell too."""
    header = JUPYTEXT_HEADER if style == "jupytext" else "import numpy as np\n"
    mark = "# %%" if style == "jupytext" else "#%% Set up"
    cells = [("# %% [markdown]\n# # CBOW, step by step\n" if style == "jupytext" else "")
             + f"{mark}\n" + FIRST_HALF,
             "# %%\nwith open('data/shakespeare.txt') as f:\n    text = f.read()\n",
             "# %%\n" + ("# !pip install numpy\n" if style == "jupytext" else "!pip install numpy\n")
             + "name = input('name? ')\n",
             "# %%\n" + SECOND_HALF]
    path = tmp_path / "cbow.py"
    path.write_text(header + "\n" + "\n".join(cells))
    report = grade(path, tmp_path / "out")
    assert report["error"] == "" and report["score"] == 100, (report["error"], report["warnings"])
    warnings = "\n".join(report["warnings"])
    lines = path.read_text().splitlines()
    opened = lines.index("with open('data/shakespeare.txt') as f:") + 1
    # Cells numbered as Jupyter numbers them: the Markdown cell counts.
    first = 3 if style == "jupytext" else 2
    assert (f"cbow.py, cell {first} stopped with FileNotFoundError in cbow.py, line {opened}"
            in warnings), warnings
    asked = lines.index("name = input('name? ')") + 1
    assert (f"cbow.py, line {asked}: `name = input('name? ')` asks for input(), which gets no "
            "answer while your code is graded") in warnings, warnings
    if style == "vscode":
        assert f"cbow.py, cell {first + 1}: `!pip install numpy` " + NOT_RUN in warnings, warnings


LIGHT_HEADER = JUPYTEXT_HEADER.replace("format_name: percent", "format_name: light").replace(
    "format_version: '1.3'", "format_version: '1.5'")


def test_a_light_format_notebook_runs_cell_by_cell(tmp_path):
    """jupytext's default .py ("light": `jupytext --to py`) has no mark above most cells: a code
    cell ends at a blank line, a Markdown cell is a paragraph of comments, a cell with blank
    lines of its own is framed by `# +` and `# -`. Run as one module, a cell's syntax error or
    endless training loop cost every function, 0 where its .ipynb scored 100 (probe s62). The
    cells are numbered as the .ipynb jupytext makes of the file numbers them, and the magics
    jupytext wrote as comments are skipped and named as the .ipynb's, `files = !ls` setting
    `files` as IPython does."""
    cells = ["# # CBOW, step by step",                                      # 1, Markdown
             "# %matplotlib inline\n# !pip install numpy",                  # 2
             "# +\nimport random\nimport numpy as np\n\n" + FIRST_HALF.strip() + "\n# -",  # 3
             "for x in range(3)\n    print(x)",                             # 4, SyntaxError
             "# files = !ls\nprint(len(files))",                            # 5
             "# Train it for a long time:",                                 # 6, Markdown
             "while True:\n    pass",                                       # 7, stopped
             "# +\n" + SECOND_HALF.strip() + "\n# -"]                       # 8
    path = tmp_path / "cbow.py"
    path.write_text(LIGHT_HEADER + "\n" + "\n\n".join(cells) + "\n")
    report = grade(path, tmp_path / "out")
    assert report["error"] == "" and report["score"] == 100, (report["error"], report["warnings"])
    warnings = "\n".join(report["warnings"])
    lines = path.read_text().splitlines()
    broken = lines.index("for x in range(3)") + 1
    assert f"cbow.py, cell 4 stopped with SyntaxError in cbow.py, line {broken}" in warnings, \
        warnings
    assert "cbow.py, cell 7 (`while True:`) was stopped" in warnings, warnings
    assert "cbow.py, cell 2: `!pip install numpy` " + NOT_RUN in warnings, warnings
    assert "cbow.py, cell 5: `!ls` " + NOT_RUN in warnings, warnings
    assert "NameError" not in warnings and "`%matplotlib inline` (cell 2)" in warnings, warnings


def test_light_cells_are_cut_as_jupytext_cuts_them():
    """The light format's cells, as jupytext 1.19 reads them (checked against it): a comment
    right above code is code, a blank line inside a def or a string cuts nothing, a commented
    magic makes a paragraph code, and `# +` / `# -` frame a cell, `# + [markdown]` a text one.
    Only real comments are magics: a line of a string is left as it is."""
    from conftest import ROOT
    sys.path.insert(0, str(ROOT / "grader" / "worker"))
    import jupytext_text  # the worker's modules import each other by bare name
    text = (LIGHT_HEADER + "\n# # A title\n# and its text\n\n# a comment right above code\nx = 1\n"
            "\ndef f():\n    a = 1\n\n    return a\n\n# %matplotlib inline\n\n"
            'S = """\n\n# +\ntext of a string\n"""\n\n'
            "# + [markdown]\n# Markdown with a blank line\n#\n# in it\n# -\n\n"
            "# +\ny = 2\n\nz = 3\n# -\n\n# !ls\n")
    lines = text.splitlines()
    found = [(number, kind, lines[first:end], marked)
             for number, kind, first, end, marked in jupytext_text.light_cells(text)]
    assert found == [
        (1, "text", ["# # A title", "# and its text"], False),
        (2, "code", ["# a comment right above code", "x = 1"], False),
        (3, "code", ["def f():", "    a = 1", "", "    return a"], False),
        (4, "code", ["# %matplotlib inline"], False),
        (5, "code", ['S = """', "", "# +", "text of a string", '"""'], False),
        (6, "text", ["# Markdown with a blank line", "#", "# in it"], True),
        (7, "code", ["y = 2", "", "z = 3"], True),
        (8, "code", ["# !ls"], False)]
    cell = 'files = 1\n# files = !ls\ns = """\n# !ls\n"""\n# a comment\n'
    assert jupytext_text.uncomment_magics(cell) == cell.replace("# files", "files", 1)


def test_a_percent_notebooks_commented_magics_are_the_notebooks_magics(tmp_path):
    """jupytext writes a percent cell's magics as comments: `# files = !ls` was a comment, and
    the `files` a later line used a NameError the .ipynb does not have; `# %%time` under a
    cell's mark was named as a magic not run, though its body ran (probe s62). Only in a file
    with jupytext's header: a comment of a VS Code file is the student's."""
    cells = ["# %%\n" + FIRST_HALF,
             "# %%\n# !pip install numpy\n# files = !ls\nn_files = len(files)\n",
             "# %%\n# %%time\n" + SECOND_HALF]
    paths = {"jupytext": tmp_path / "jt.py", "vscode": tmp_path / "vscode.py"}
    paths["jupytext"].write_text(JUPYTEXT_HEADER + "\n" + "\n".join(cells))
    paths["vscode"].write_text("import numpy as np\n" + "\n".join(cells))
    reports = grade_many(paths, tmp_path / "out")
    for name, report in reports.items():
        assert report["score"] == 100, (name, report["error"], report["warnings"])
        assert not any("%%time" in w for w in report["warnings"]), report["warnings"]
    warnings = "\n".join(reports["jupytext"]["warnings"])
    assert "jt.py, cell 2: `!pip install numpy` " + NOT_RUN in warnings, warnings
    assert "jt.py, cell 2: `!ls` " + NOT_RUN in warnings and "NameError" not in warnings, warnings
    said = "\n".join(reports["vscode"]["warnings"])
    assert "vscode.py, cell 2 stopped with NameError" in said and NOT_RUN not in said, said


def test_percent_marks_inside_a_statement_do_not_cut_a_file_and_its_main_block_stays_off(
        tmp_path):
    """A `# %%` comment at column 0 inside a def or a call spanning lines is no cell boundary:
    cut there, a valid file raised an IndentationError Python never does. A VS Code cell file is
    a module: its main block (an interactive loop that a bare `except:` kept going past the
    grader's stop, 0 or 100 from run to run) does not run; jupytext's notebook does, as its .ipynb
    (probe s54). Past MAX_PERCENT_CELLS marks, a file is one unit."""
    inside = SOLUTION.replace("def sigmoid(x):\n", "def sigmoid(x):\n# %%\n", 1)
    assert inside != SOLUTION
    main = ("\n# %%\nHELP = dict(\n    a=1,\n# %%\n    b=2)\n\n# %%\n"
            "if __name__ == '__main__':\n    while True:\n        try:\n"
            "            float(input('x? '))\n        except:\n            pass\n")
    many = "".join(f"# %%\nv{i} = {i}\n" for i in range(2100)) + "# %%\n" + SOLUTION
    paths = {"inside": tmp_path / "inside.py", "vscode": tmp_path / "vscode.py",
             "many": tmp_path / "many.py", "jupytext": tmp_path / "jt.py"}
    paths["inside"].write_text("# %%\nimport numpy as np\n" + inside)
    paths["vscode"].write_text("# %%\n" + SOLUTION + main)
    paths["many"].write_text(many)
    paths["jupytext"].write_text(JUPYTEXT_HEADER + "# %%\n" + SOLUTION
                                 + "\n# %%\nif __name__ == '__main__':\n    print('main ran')\n")
    reports = grade_many(paths, tmp_path / "out")
    for name, report in reports.items():
        assert report["score"] == 100, (name, report["error"], report["warnings"])
    assert not any("stopped" in w or "still running" in w
                   for r in reports.values() for w in r["warnings"])
    assert "main ran" in reports["jupytext"]["import_output"]


def test_a_percent_cell_is_named_by_its_code_not_its_mark():
    """A stopped cell of a VS Code file was named "cell 3 (`# %%`)" (probe s54)."""
    from conftest import ROOT
    sys.path.insert(0, str(ROOT / "grader" / "worker"))
    import loader  # the worker's modules import each other by bare name
    assert loader._first_line("# %% Train it\n\nwhile True:\n    pass\n") == "while True:"
    assert loader._first_line("# a comment of the student's\nx = 1\n") == \
        "# a comment of the student's"


def test_a_script_exports_cell_is_named_by_its_code_not_its_mark():
    """A stopped cell of a notebook downloaded as .py was named "cell 19 (`# In[19]:`)" where
    the .ipynb said "cell 24 (`num_iters = 150000`)" (probe s59): the export's `# In[N]:` mark
    is no code of the cell's, in the stopped cell's warning or the running cell's name."""
    from conftest import ROOT
    sys.path.insert(0, str(ROOT / "grader" / "worker"))
    import loader  # the worker's modules import each other by bare name
    import notebook_cells
    assert loader._first_line("# In[19]:\n\n\nnum_iters = 150000\n") == "num_iters = 150000"
    assert loader._first_line("# In[ ]:\n\n\n# train it\nx = 1\n") == "# train it"
    assert notebook_cells.first_code_line(["# In[7]:\n", "\n", "for epoch in range(9):\n"]) \
        == "for epoch in range(9):"


def test_percent_marks_inside_a_string_do_not_cut_a_file(tmp_path):
    """`# %%` lines that are text in a string, not comments, leave the file one unit."""
    path = tmp_path / "solution.py"
    path.write_text(SOLUTION + '\nHELP = """\n# %%\ncells are cut here\n# %%\n"""\n'
                    "raise SystemExit('a top level that stops the file')\n")
    report = grade(path, tmp_path / "out")
    assert report["score"] == 0 and "SystemExit" in report["error"] + str(report["warnings"])
    assert not any("cell" in w for w in report["warnings"]), report["warnings"]


def test_a_notebook_saved_with_another_languages_kernel_is_told_so(tmp_path):
    """An R notebook's cells are SyntaxErrors in Python: "SyntaxError in cell 1" alone did not
    say why (probe s54). The kernel is named; a Python notebook says nothing of it."""
    r_notebook = notebook_v4(tmp_path / "hw_r.ipynb", ["x <- c(1, 2, 3)\nprint(mean(x))"])
    data = json.loads(r_notebook.read_text())
    data["metadata"] = {"kernelspec": {"display_name": "R", "language": "R", "name": "ir"},
                        "language_info": {"name": "R"}}
    r_notebook.write_text(json.dumps(data))
    python = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", SOLUTION])
    reports = grade_many({"r": r_notebook, "python": python}, tmp_path / "out")
    assert reports["r"]["score"] == 0
    assert reports["r"]["warnings"][0] == (
        "hw_r.ipynb was saved with a kernel for R, not Python: the grader runs its cells as "
        "Python 3, as the assignment asks, so code in another language fails there. Write the "
        "assignment in a Python notebook."), reports["r"]["warnings"]
    assert reports["python"]["score"] == 100
    assert not any("kernel" in w for w in reports["python"]["warnings"])


def test_a_py_file_without_an_exports_marks_still_runs_as_a_file(tmp_path):
    """Only a script export is cut into cells: a .py of the student's own that mentions
    get_ipython() in a string keeps Python's rule, one file, top to bottom."""
    path = tmp_path / "solution.py"
    path.write_text(SOLUTION + "\nNOTE = 'run get_ipython() in a notebook'\n")
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100
    assert not any("cell" in w for w in report["warnings"]), report["warnings"]


def test_copies_of_a_function_are_named_by_the_notebooks_and_only_where_they_differ(tmp_path):
    """Two notebooks of one student, the same functions in both but softmax changed in the
    newer one: one warning, about softmax, naming the notebooks as saved (not the modules the
    grader made of them); an identical copy grades the same whichever is graded."""
    folder = tmp_path / "two_notebooks"
    folder.mkdir()
    changed = SOLUTION.replace("    x = x - np.max(x, axis=-1, keepdims=True)\n",
                               "    x = x - np.max(x, axis=-1, keepdims=True)  # stable\n"
                               "    x = x + 0.0\n")
    assert changed != SOLUTION
    notebook_v4(folder / "hw_old.ipynb", [SOLUTION])
    notebook_v4(folder / "hw_new.ipynb", [changed])
    report = grade(folder, tmp_path / "out")
    copies = [w for w in report["warnings"] if "more than one file" in w]
    assert copies == [
        "softmax is defined in more than one file: the one in hw_new.ipynb was graded, not the "
        "one in hw_old.ipynb. If that is an old copy, remove it, so that the grader sees only "
        "the one you mean."], copies


def test_saved_outputs_are_dropped_in_a_child_whose_memory_is_bounded(monkeypatch):
    """The notebook's JSON is the student's: 20 MB of empty lists would cost the grader about
    half a gigabyte parsed (a 200 KB zip of 190 MB, 5.6 GB). The child that drops the outputs
    runs out of its memory instead, and the notebook keeps its size (so the upload is judged by
    it, and refused)."""
    from grader import notebook_outputs
    cell = {"cell_type": "code", "metadata": {}, "source": ["x = 1\n"], "execution_count": 1,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["a" * 1000]}]}
    small = json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    stripped = json.loads(notebook_outputs.without_outputs(small.encode()))
    assert stripped["cells"][0]["outputs"] == [] and stripped["cells"][0]["source"] == ["x = 1\n"]
    assert notebook_outputs.without_outputs(b"[1, 2]") is None  # JSON, but no notebook
    # Never larger than it came: a notebook saved without spaces stays without them.
    compact = json.dumps(json.loads(small), separators=(",", ":")).encode()
    assert len(notebook_outputs.without_outputs(compact)) < len(compact)
    monkeypatch.setattr(notebook_outputs, "MEMORY_BYTES", 200 * 2**20)
    bomb = b'{"cells": [{"cell_type": "code", "source": [], "outputs": [' \
        + b",".join([b"[]"] * (7 * 10**6)) + b"]}]}"
    assert notebook_outputs.without_outputs(bomb) is None


def test_saved_outputs_of_a_shape_nbformat_refuses_do_not_make_the_notebook_unreadable(tmp_path):
    """Outputs are never run: one saved as a string (a hand-edited notebook) refused the whole
    notebook, 0 of 100, where Jupyter opens it."""
    path = notebook_v4(tmp_path / "hw.ipynb", [SOLUTION])
    raw = json.loads(path.read_text())
    raw["cells"][0]["outputs"] = "printed text saved where a list belongs"
    raw["cells"][0]["attachments"] = "not a dict"
    path.write_text(json.dumps(raw))
    assert grade(path, tmp_path / "out")["score"] == 100


def test_a_function_left_as_the_template_has_it_gives_way_to_a_finished_copy(tmp_path):
    """The CBOW course repeats its functions from one lecture notebook to the next, an exercise's
    blank (`loss = None; return loss`) in one and finished in a later one: a week uploaded
    whole is graded on the finished copy (it was the first file's blank, 0 points), whichever
    file comes first, and the report says which copy was passed over."""
    stub = ("import numpy as np\n\n\ndef sigmoid(x):\n    \"\"\"Compute the sigmoid.\"\"\"\n"
            "    ### YOUR CODE HERE\n    s = None\n    ### END YOUR CODE\n    return s\n")
    week = tmp_path / "week"
    week.mkdir()
    notebook_v4(week / "a_lecture.ipynb", [stub])
    notebook_v4(week / "b_lecture.ipynb", ["import random\nimport numpy as np", FIRST_HALF, SECOND_HALF])
    report = grade(week, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], report["error"])
    assert ("sigmoid in a_lecture.ipynb is as the template leaves it (nothing but None returned): "
            "the one in b_lecture.ipynb was graded instead.") in report["warnings"], report["warnings"]
    assert not any("more than one file" in w for w in report["warnings"]), report["warnings"]
    # Alone, the blank is what there is: graded, and failing as a function that returns None.
    alone = grade(week / "a_lecture.ipynb", tmp_path / "alone", "--only", "sigmoid")
    assert alone["score"] == 0 and "None" in checks_of(alone, "sigmoid")[0]["message"]


def test_a_function_that_reads_the_notebooks_variables_instead_of_its_parameters_is_named(tmp_path):
    """`def cross_entropy_loss(y_predicted, y_actual): ... np.log(y_hat) * y`, from real copies of
    the CBOW lecture: its answer is the same whatever it is called with, and the report names
    the variables it reads; a copy elsewhere that uses its parameters is graded instead."""
    reads_globals = ("x_seen = np.array([0.0, 2.0])\n\n\ndef sigmoid(x):\n"
                     "    return 1.0 / (1.0 + np.exp(-x_seen))\n")
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", FIRST_HALF,
                                       reads_globals, SECOND_HALF])
    report = grade(path, tmp_path / "out", "--only", "sigmoid")
    assert report["score"] < report["max_score"]
    assert any(w.startswith("sigmoid (hw.ipynb) never reads its parameters; it reads the "
                            "variables `x_seen` of your notebook or file instead") for w in
               report["warnings"]), report["warnings"]
    week = tmp_path / "week"
    week.mkdir()
    notebook_v4(week / "a.ipynb", ["import numpy as np", reads_globals])
    notebook_v4(week / "b.ipynb", ["import random\nimport numpy as np", FIRST_HALF, SECOND_HALF])
    both = grade(week, tmp_path / "both", "--only", "sigmoid")
    assert both["score"] == both["max_score"], both["warnings"]
    assert ("sigmoid in a.ipynb never reads its parameters: the one in b.ipynb was graded "
            "instead.") in both["warnings"], both["warnings"]


def test_a_missing_function_is_not_blamed_on_a_cell_that_never_defined_it(tmp_path):
    """A lecture notebook's cells that stop (nltk missing) were repeated under every function the
    notebook does not define; the warnings name them once, and a missing function's message says
    only that it is missing."""
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np",
                                       "ratio = 1 / 0", SECOND_HALF])
    report = grade(path, tmp_path / "out", "--only", "sigmoid")
    message = checks_of(report, "sigmoid")[0]["message"]
    assert message.startswith("sigmoid was not found in your submission"), message
    assert "Separately" not in message and "ZeroDivisionError" not in message, message
    assert any("cell 2 stopped with ZeroDivisionError" in w for w in report["warnings"]), \
        report["warnings"]
