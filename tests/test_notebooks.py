"""Notebook submissions, graded through the CLI: IPython syntax never runs a command, a broken
cell costs only itself, old notebook versions read, and the import deadline names the cell.

Every notebook is written with nbformat, as Jupyter would write it, and holds the correct
solution (tests/fixtures/submissions/correct_summed.py) split over several cells.
"""
from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from conftest import FIXTURES, by_function, checks_of, grade, grade_many
from notebook_helpers import (FIRST_HALF, HARMLESS, HARMLESS_MANY, NOT_RUN, SECOND_HALF, SOLUTION,
                              notebook_v4, script_export)

@pytest.fixture(scope="module")
def markers():
    """A folder any uid can write to, outside every pytest folder (a worker that drops to a leased
    uid could not reach those), for files that only a shell command would create."""
    folder = Path(tempfile.mkdtemp(prefix="autograde-nb-markers-", dir="/tmp"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, markers) -> dict:
    """Every kind of cell a notebook that scores 0 today holds, around a correct solution, graded
    with process isolation only: there a command that ran would leave its file where the test
    sees it (the sandbox would hide it in a private /tmp and prove nothing)."""
    m = markers
    cells = [
        ("markdown", "# Assignment 1\nRun every cell."),                    # 1
        "%matplotlib inline\nimport random\nimport numpy as np",           # 2
        FIRST_HALF,                                                        # 3
        "display(sigmoid(np.array([0.0])))",                               # 4
        f"%%bash\ntouch {m}/bash\necho done",                              # 5
        f"files = !touch {m}/bang && ls\nprint('files:', files)",          # 6
        "np.sum?",                                                         # 7
        f"if True:\n    %time y = 1\n    !touch {m}/in-if\nprint('after the if')",  # 8
        f"ip = get_ipython()\nip.system('touch {m}/get-ipython')\n"        # 9
        f"ip.run_cell_magic('bash', '', 'touch {m}/cell-magic')",
        "import matplotlib\nimport matplotlib.pyplot as plt\n"             # 10
        "plt.plot([1, 2, 3])\nplt.show()",
        "x = 1\nprint(undefined_exploration)",                             # 11
        SECOND_HALF,                                                       # 12
        # A test of the test: student code's own subprocess does run without the sandbox, so a
        # file the magics above would have made could be seen here.
        f"import subprocess\nsubprocess.run(['touch', '{m}/control']);",   # 13: ';' shows nothing
        "float(sigmoid(0.0))",                                             # 14: shown as Out[]
    ]
    path = notebook_v4(tmp_path_factory.mktemp("hostile") / "hw.ipynb", cells)
    return grade(path, tmp_path_factory.mktemp("hostile-report"), "--isolation", "process")


def test_hostile_notebook_scores_full_marks(hostile):
    assert hostile["error"] == ""
    assert hostile["score"] == 100, hostile["warnings"]
    assert all(f["score"] == f["max_score"] for f in hostile["functions"])


def test_no_magic_or_shell_escape_ran(hostile, markers):
    assert (markers / "control").exists(), "the control cell's subprocess should have run"
    for name in ("bash", "bang", "in-if", "get-ipython", "cell-magic"):
        assert not (markers / name).exists(), f"a shell command ran: {name}"


def test_each_skipped_magic_is_named_with_its_cell(hostile):
    warnings = hostile["warnings"]
    expected = ["hw.ipynb, cell 5: `%%bash` " + NOT_RUN,
                f"hw.ipynb, cell 6: `!touch ", "hw.ipynb, cell 7: `np.sum?` " + NOT_RUN,
                "hw.ipynb, cell 8: `!touch ",
                "hw.ipynb, cell 9: `!touch ", "hw.ipynb, cell 9: `%%bash` " + NOT_RUN]
    for text in expected:
        assert any(w.startswith(text) for w in warnings), (text, warnings)
    # Skipping %matplotlib changes nothing (plots are headless anyway): listed, on a line of
    # its own that says so, not as a warning of its own.
    assert [w for w in warnings if "%matplotlib" in w] == [
        "hw.ipynb: `%matplotlib inline` (cell 2) " + HARMLESS]
    # `%time stmt` runs its statement, as Jupyter does: nothing was skipped.
    assert not any("%time" in w for w in warnings)


def test_every_magic_not_run_is_listed_with_its_cell(tmp_path):
    """The README's promise: every magic and shell escape that is not run is in the report. Those
    that change nothing here share one line per notebook, with their cells; the others have a
    line each."""
    path = notebook_v4(tmp_path / "hw.ipynb", [
        "%matplotlib inline\n%load_ext autoreload\n%autoreload 2\nimport random\nimport numpy as np",
        ("markdown", "## Setup"),
        "%config InlineBackend.figure_format = 'retina'\n%pylab inline",
        "%env MY_VAR=1\n%cd /tmp\n%who",
        "%%html\n<b>plots below</b>",
        "%%javascript\nalert(1)",
        "%reload_ext autoreload\n%precision 3\n%pip install emoji\n" + FIRST_HALF,
        SECOND_HALF,
    ])
    report = grade(path, tmp_path / "out", "--isolation", "process")
    assert report["score"] == 100, (report["warnings"], report["error"])
    listed = [w for w in report["warnings"] if w.startswith("hw.ipynb")]
    assert listed == [
        "hw.ipynb, cell 3: `%pylab inline` " + NOT_RUN,
        "hw.ipynb, cell 4: `%env MY_VAR=1` " + NOT_RUN,
        "hw.ipynb, cell 4: `%cd /tmp` " + NOT_RUN,
        "hw.ipynb, cell 4: `%who` " + NOT_RUN,
        "hw.ipynb, cell 5: `%%html` " + NOT_RUN,
        "hw.ipynb, cell 6: `%%javascript` " + NOT_RUN,
        "hw.ipynb, cell 7: `%precision 3` " + NOT_RUN,
        "hw.ipynb, cell 7: `%pip install emoji` " + NOT_RUN,
        "hw.ipynb: `%matplotlib inline`, `%load_ext autoreload`, `%autoreload 2` (cell 1), "
        "`%config InlineBackend.figure_format = 'retina'` (cell 3), `%reload_ext autoreload` "
        "(cell 7) " + HARMLESS_MANY,
    ], report["warnings"]


def test_more_shell_escapes_than_a_report_lists_are_said_to_be_more(tmp_path):
    """A report lists at most 50 (a `!cmd` in a loop is listed once); that it left some out is
    said, not silent."""
    path = notebook_v4(tmp_path / "hw.ipynb", [
        "import random\nimport numpy as np\nfor i in range(3):\n    !echo looped\n"
        + "\n".join(f"!echo {k}" for k in range(60)),
        FIRST_HALF + "\n" + SECOND_HALF,
    ])
    report = grade(path, tmp_path / "out", "--isolation", "process")
    assert report["score"] == 100, (report["warnings"], report["error"])
    listed = [w for w in report["warnings"] if w.startswith("hw.ipynb")]
    assert len(listed) == 51, listed
    assert listed[-1] == ("hw.ipynb: more magics and shell commands than the 50 listed were not "
                          "run either"), listed[-1]


def test_magics_over_the_students_own_python_keep_their_meaning(tmp_path):
    """Notebooks define functions under %%time and %%capture, and write modules with
    %%writefile to import them later; %%timeit's body stays in its own scope, as in IPython."""
    sigmoid_part, rest = FIRST_HALF.split("\ndef sigmoid_grad")
    rest = "def sigmoid_grad" + rest
    network, sampling = SECOND_HALF.split("\ndef getNegativeSamples")
    path = notebook_v4(tmp_path / "hw.ipynb", [
        "import random\nimport numpy as np",
        "%%time\n" + sigmoid_part,                               # 2: defined under %%time
        "%%capture captured\nprint('hidden')\n" + rest,          # 3: and under %%capture
        "print('captured:', captured.stdout.strip())",
        "%%writefile course_nn.py\nimport numpy as np\nfrom nn_helpers import _sigmoid, _softmax\n"
        + network,
        "%%writefile nn_helpers.py\nimport numpy as np\n" + FIRST_HALF,
        "from course_nn import forward_backward_prop",          # 7: imports what 5 and 6 wrote
        "%%timeit -n 1 -r 1\nleaked_from_timeit = 1",
        "%time assert 'leaked_from_timeit' not in globals()",
        "def getNegativeSamples" + sampling,
    ])
    report = grade(path, tmp_path / "out", "--isolation", "process")
    assert report["score"] == 100, (report["warnings"], report["error"])
    assert "captured: hidden" in report["import_output"]
    assert "\nhidden" not in report["import_output"].replace("captured: hidden", "")
    # %%timeit is skipped (its body never reaches the notebook's namespace anyway), and named.
    assert any(w.startswith("hw.ipynb, cell 8: `%%timeit -n 1 -r 1` " + NOT_RUN)
               for w in report["warnings"]), report["warnings"]
    assert not any("stopped with" in w for w in report["warnings"]), report["warnings"]


def test_a_module_of_the_assignments_layout_written_by_writefile_is_imported(tmp_path):
    """`%%writefile q1_softmax.py` writes the very file the assignment names, and the next
    cells import it as the handout's files do: the file written is the one imported, not a
    stand-in saying the upload lacks it."""
    layout = FIXTURES / "correct_multifile"
    path = notebook_v4(tmp_path / "hw.ipynb", [
        "%%writefile q1_softmax.py\n" + (layout / "q1_softmax.py").read_text(),
        "%%writefile q2_sigmoid.py\n" + (layout / "q2_sigmoid.py").read_text(),
        (layout / "q2_neural.py").read_text(),
        (layout / "q3_word2vec.py").read_text(),
    ])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], [
        c["message"] for c in report["checks"] if c["status"] != "passed"][:2])


def test_files_of_the_layout_a_notebook_only_wrote_are_graded(tmp_path):
    """A notebook of %%writefile cells alone writes the assignment's files and never imports
    them: Run All leaves them beside it, as a folder upload holds them (it scored 0, the
    message saying sigmoid was not found, normally in q2_sigmoid.py, which it had written)."""
    layout = FIXTURES / "correct_multifile"
    path = notebook_v4(tmp_path / "hw.ipynb", [
        f"%%writefile {name}\n" + (layout / name).read_text()
        for name in ("q1_softmax.py", "q2_sigmoid.py", "q2_neural.py", "q3_word2vec.py")])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], [
        c["message"] for c in report["checks"] if c["status"] != "passed"][:2])


def test_run_magic_runs_the_students_file_and_merges_what_it_defines(tmp_path):
    """`%run nn_part.py` runs the student's file as the main program and what it defines joins
    the notebook (a course folder whose notebook %runs its .py files scored 30 when %run was
    skipped). An error inside a %run file is reported at its file and line, and the cell runs
    on, as in IPython; a file written by %%writefile can be %run too."""
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "nn_part.py").write_text(
        FIRST_HALF + '\nif __name__ == "__main__":\n    print("nn_part ran as", __name__)\n')
    (upload / "broken.py").write_text("def defined_before_the_error():\n    return 1\n\n"
                                       "raise ValueError('broken on purpose')\n")
    network, sampling = SECOND_HALF.split("\ndef getNegativeSamples")
    notebook_v4(upload / "hw.ipynb", [
        "import random\nimport numpy as np\n%run nn_part.py",
        "%run broken\nafter_the_error = defined_before_the_error()",
        "assert after_the_error == 1 and sigmoid(0.0) == 0.5",
        "%%writefile sampling_part.py\nimport random\nimport numpy as np\n"
        "def getNegativeSamples" + sampling,
        "%run -i sampling_part.py",
        network,
    ])
    report = grade(upload, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], [
        c["message"] for c in report["checks"] if c["status"] != "passed"][:2])
    assert "nn_part ran as __main__" in report["import_output"]
    broken = [w for w in report["warnings"] if "broken on purpose" in w]
    assert broken == ["hw.ipynb, cell 2: `%run broken` stopped with ValueError in broken.py, "
                      "line 4: broken on purpose (what the file defined before that line was "
                      "kept, and the rest of the cell ran, as in Jupyter)"], report["warnings"]
    # Nothing else: no %run skipped, no cell after the error lost.
    assert not [w for w in report["warnings"] if w not in broken and ("%run" in w or "cell" in w)], \
        report["warnings"]


def test_a_later_cell_reusing_a_functions_name_is_named(tmp_path):
    """`softmax = softmax(scores)` in an exploration cell leaves the name holding an array, as it
    would in Jupyter: softmax scores 0, and the message names the cell that did it."""
    path = notebook_v4(tmp_path / "hw.ipynb", [
        "import random\nimport numpy as np", FIRST_HALF, SECOND_HALF,
        "scores = np.array([1.0, 2.0, 3.0])\nsoftmax = softmax(scores)"])
    report = grade(path, tmp_path / "out", "--only", "softmax")
    messages = {c["message"] for c in checks_of(report, "softmax")}
    assert messages == {"softmax is not a function but a numpy.ndarray: hw.ipynb, cell 4, line 2 "
                        "assigns to the name softmax, so it no longer holds your function. Give "
                        "that value another name."}, messages


def test_a_function_defined_again_in_a_later_cell_says_which_cell_was_graded(tmp_path):
    """Run All keeps a later cell's definition: the report says which cells define the function
    and which one was graded. The starter's stub pasted below the student's own is to be
    deleted whole, not its `raise` line (which would leave a def returning None that still
    replaces the student's)."""
    stub = 'def sigmoid(x):\n    """Compute the sigmoid."""\n    raise NotImplementedError\n'
    bug = "def sigmoid(x):\n    return 1.0 / (1.0 + np.exp(x))  # trying the sign\n"
    none = 'def sigmoid(x):\n    """Compute the sigmoid."""\n    s = None\n    return s\n'
    # A definition in a block at the top, or by a lambda, replaces the function as a def does.
    block = "if True:\n    def sigmoid(x):\n        return 1.0 / (1.0 + np.exp(x))\n"
    anonymous = "sigmoid = lambda x: 1.0 / (1.0 + np.exp(x))\n"
    # So does binding the name to another function (it was not counted as a definition).
    alias = "def sigmoid_try(x):\n    return 1.0 / (1.0 + np.exp(x))\n\nsigmoid = sigmoid_try\n"
    paths = {name: notebook_v4(tmp_path / f"{name}.ipynb", ["import random\nimport numpy as np",
                                                    FIRST_HALF, SECOND_HALF, later])
             for name, later in (("stub", stub), ("bug", bug), ("none", none), ("block", block),
                                 ("anonymous", anonymous), ("alias", alias))}
    reports = grade_many(paths, tmp_path / "out", "--only", "sigmoid")
    for name, report in reports.items():
        assert report["score"] < report["max_score"], name
        said = [w for w in report["warnings"] if w.startswith("sigmoid is defined in cells 2 and 4")]
        assert said and f"of {name}.ipynb" in said[0] and "the one in cell 4 was graded" in said[0], \
            report["warnings"]
    # The Coursera templates' stub (names set to None, None returned) is told to go too.
    said = [w for w in reports["none"]["warnings"] if "defined in cells" in w]
    assert "It is as the template leaves it: delete the definition in cell 4, and yours (cell 2) "\
        "is graded." in said[0], said
    assert "template leaves it" not in " ".join(reports["bug"]["warnings"])
    messages = {c["message"] for c in checks_of(reports["stub"], "sigmoid")}
    assert any("(it raises NotImplementedError at stub.ipynb, cell 4, line 3). Cell 4 defines "
               "sigmoid again after cell 2" in m and "delete the definition in cell 4" in m
               and "delete that line" not in m for m in messages), messages


def test_a_definition_under_a_timing_or_capturing_magic_counts_among_the_cells(tmp_path):
    """`%%time` and `%%capture` run their body as the notebook's own code, so a function
    redefined there replaces the earlier one (graded right), but the warning that names the
    cells defining it left that cell out, and said nothing (probe s62)."""
    bug = "def sigmoid(x):\n    return 1.0 / (1.0 + np.exp(x))  # trying the sign\n"
    paths = {name: notebook_v4(tmp_path / f"{name}.ipynb", ["import random\nimport numpy as np",
                                                    FIRST_HALF, SECOND_HALF, magic + bug])
             for name, magic in (("time", "%%time\n"), ("capture", "%%capture out\n"))}
    reports = grade_many(paths, tmp_path / "out", "--only", "sigmoid")
    for name, report in reports.items():
        assert report["score"] < report["max_score"], name  # the broken one, last, is graded
        said = [w for w in report["warnings"] if w.startswith("sigmoid is defined in cells 2 and 4")]
        assert said and "the one in cell 4 was graded" in said[0], (name, report["warnings"])


def test_the_definition_a_students_session_kept_is_named_where_run_all_keeps_another(tmp_path):
    """The saved In [n] tell what the student's own kernel held: a definition above the graded
    one run after it, or the graded one never run. "The last definition that ran" spoke of a cell
    the student had run first, or never (probe s54). A notebook saved without counts is not
    said to have been run in any order."""
    import nbformat
    bug = "def sigmoid(x):\n    return 1.0 / (1.0 + np.exp(x))  # a first try\n"
    def saved(name, counts):
        path = notebook_v4(tmp_path / f"{name}.ipynb",
                           ["import random\nimport numpy as np", FIRST_HALF, SECOND_HALF, bug])
        nb = nbformat.read(str(path), as_version=4)
        for cell, count in zip(nb.cells, counts):
            cell["execution_count"] = count
        nbformat.write(nb, str(path))
        return path
    paths = {"ran_above_last": saved("ran_above_last", [1, 40, 2, 12]),
             "never_ran": saved("never_ran", [1, 3, 2, None]),
             "in_order": saved("in_order", [1, 2, 3, 4]),
             "no_counts": saved("no_counts", [None, None, None, None])}
    reports = grade_many(paths, tmp_path / "out", "--only", "sigmoid")
    def said(name):
        [warning] = [w for w in reports[name]["warnings"] if "defined in cells 2 and 4" in w]
        return " ".join(warning.split())
    assert ("Your saved notebook ran cell 2 (In [40]) after cell 4 (In [12]), so your session "
            "kept cell 2's: Run All keeps cell 4's, and that is the one graded.") in \
        said("ran_above_last")
    assert ("Your saved notebook never ran cell 4 (the last of them your session ran is cell 2, "
            "In [3]): Run All does, and that is the definition graded.") in said("never_ran")
    for name in ("in_order", "no_counts"):
        assert "saved notebook" not in said(name), said(name)


def test_equal_execution_counts_say_nothing_of_which_cell_ran_last():
    """Two cells saved as In [42] ran in two sessions of the kernel: "ran cell 10 (In [42])
    after cell 14 (In [42]), so your session kept cell 10's" claimed an order nothing shows
    (probe s60). Distinct counts still tell it."""
    from grader.session import _session_order
    assert _session_order([10, 14], [42, 42], 14) == ""
    assert _session_order([3, 10, 14], [42, 42, 5], 14) == ""
    assert _session_order([10, 14], [42, None], 14) == \
        ("Your saved notebook never ran cell 14 (the last of them your session ran is cell 10, "
         "In [42]): Run All does, and that is the definition graded. ")
    assert _session_order([3, 10, 14], [42, 42, None], 14) == \
        "Your saved notebook never ran cell 14: Run All does, and that is the definition graded. "
    assert _session_order([10, 14], [42, 15], 14).startswith(
        "Your saved notebook ran cell 10 (In [42]) after cell 14 (In [15]), so your session kept")


def test_a_later_definition_that_does_not_compile_is_no_definition(tmp_path):
    """A second `def sigmoid` with an unclosed parenthesis, run after the right one: the report
    said the student's session kept the broken one, which no session ever could (probe s60).
    The cell's SyntaxError is said, and no second definition of sigmoid."""
    import nbformat
    broken = "def sigmoid(x):\n    return 1.0 / (1.0 + np.exp(-x)\n"
    path = notebook_v4(tmp_path / "hw.ipynb",
                       ["import random\nimport numpy as np", FIRST_HALF, SECOND_HALF, broken])
    nb = nbformat.read(str(path), as_version=4)
    for cell, count in zip(nb.cells, [1, 2, 3, 30]):
        cell["execution_count"] = count
    nbformat.write(nb, str(path))
    report = grade(path, tmp_path / "out", "--only", "sigmoid")
    assert report["score"] == report["max_score"]
    said = " ".join(report["warnings"])
    assert "cell 4 stopped with SyntaxError" in said, report["warnings"]
    assert "defined in cells" not in said and "session" not in said, report["warnings"]


def test_a_failing_function_reading_the_notebooks_variables_for_a_parameter_is_told(tmp_path):
    """forward_backward_prop reads the notebook's `dims` and never its parameter `dimensions`:
    the grader's own dimensions never reach the body. Said where it cost points, and only there:
    the correct copy, which needs no such warning, gets none."""
    reads_dims = SECOND_HALF.replace("Dx, H, Dy = (dimensions[0], dimensions[1], dimensions[2])",
                                     "Dx, H, Dy = dims")
    assert reads_dims != SECOND_HALF
    paths = {"dims": notebook_v4(tmp_path / "dims.ipynb", ["import random\nimport numpy as np\ndims = [10, 5, 10]",
                                                   FIRST_HALF, reads_dims]),
             "right": notebook_v4(tmp_path / "right.ipynb", ["import random\nimport numpy as np\ndims = [10, 5, 10]",
                                                     FIRST_HALF, SECOND_HALF])}
    reports = grade_many(paths, tmp_path / "out", "--only", "forward_backward_prop")
    assert reports["dims"]["score"] < reports["dims"]["max_score"]
    assert ("forward_backward_prop (dims.ipynb) never reads its parameter dimensions, and reads the "
            "variable `dims` of your notebook or file") in " ".join(reports["dims"]["warnings"])
    assert reports["right"]["score"] == reports["right"]["max_score"]
    assert not [w for w in reports["right"]["warnings"] if "never reads" in w]


def test_a_notebooks_printout_is_shown_without_a_warning_a_py_files_gets_one(tmp_path):
    """Notebook cells print and show values as a matter of course (the CBOW handout's own cell
    ends with a bare `word2Ind`): every notebook was warned that it "printed output while being
    imported". A .py file that prints at import still is; both printouts are shown."""
    printing = "print('shape check', 3)"
    notebook = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", FIRST_HALF,
                                           printing, SECOND_HALF])
    script = tmp_path / "hw.py"
    script.write_text("import random\nimport numpy as np\n" + FIRST_HALF + "\n" + printing
                      + "\n" + SECOND_HALF)
    # The notebook downloaded as a .py runs cell by cell as the notebook does: no warning either.
    export = tmp_path / "export" / "hw.py"
    export.parent.mkdir()
    export.write_text(script_export(["import random\nimport numpy as np", FIRST_HALF, printing,
                                      SECOND_HALF]))
    reports = grade_many({"notebook": notebook, "script": script, "export": export},
                         tmp_path / "out", "--only", "sigmoid")
    warned = {name: any("printed output while being imported" in w for w in r["warnings"])
              for name, r in reports.items()}
    assert warned == {"notebook": False, "script": True, "export": False}
    assert all("shape check 3" in r["import_output"] for r in reports.values())


def test_a_cell_that_asks_for_input_or_exits_says_what_happened(tmp_path):
    """input() meets no keyboard, and sys.exit() raises SystemExit with no message: each cell's
    warning says what happened, not an empty message or a bare 'EOF when reading a line'."""
    path = notebook_v4(tmp_path / "hw.ipynb", [
        "import random\nimport numpy as np", FIRST_HALF,
        "name = input('your name? ')", "import sys\nsys.exit()", SECOND_HALF])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, report["warnings"]
    said = " ".join(report["warnings"])
    assert ("hw.ipynb, cell 3, line 1: `name = input('your name? ')` asks for input(), which gets "
            "no answer while your code is graded: that statement was skipped and the code after it "
            "ran; code that uses name fails, saying input() got no answer") in said, said
    assert "cell 4, line 2: exit() or sys.exit() was called" in said, said


def test_a_statement_asking_for_input_is_skipped_not_the_rest_of_its_cell(tmp_path):
    """A cell that began with `C = int(input('window size? '))` stopped there, and every `def`
    after it in the cell was lost (a correct softmax scored 0), where a statement needing a
    missing module is skipped and the cell goes on (probe s56). The statement asking is skipped
    the same way; a submission's own `except EOFError:` still takes its fallback; and input()
    in a graded call still meets no keyboard."""
    cell = ("C = int(input('window size? '))\nwindow = 2 * C + 1\n" + FIRST_HALF + "\n"
            + SECOND_HALF)
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", cell])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, report["warnings"]
    assert any("cell 2, line 1: `C = int(input('window size? '))` asks for input()" in w
               for w in report["warnings"]), report["warnings"]
    # The line after it only uses what it would have set (recheck probe: it was said to ask).
    assert any("cell 2, line 2: `window = 2 * C + 1` uses what an input() above would have set"
               in w for w in report["warnings"]), report["warnings"]
    script = tmp_path / "script" / "hw.py"
    script.parent.mkdir()
    script.write_text("import numpy as np\ntry:\n    name = input()\nexcept EOFError:\n"
                      "    name = 'fallback'\nassert name == 'fallback'\n"
                      + (FIRST_HALF + "\n" + SECOND_HALF).replace(
                          "def softmax(x):", "def softmax(x):\n    input('go on? ')", 1))
    report = grade(script, tmp_path / "out2")
    assert report["score"] == 85, [c["message"] for c in report["checks"]
                                   if c["status"] != "passed"]
    said = [c["message"] for c in report["checks"] if c["function"] == "softmax"][0]
    assert "softmax raised EOFError" in said and "input() gets no answer" in said, said


def test_capture_without_a_name_hides_the_cells_output_as_jupyter_does(tmp_path):
    """`%%capture` alone discards what its cell prints; `%%capture out` keeps it in `out`, even
    when the cell raises (IPython binds the name after running the cell, whatever happened)."""
    path = notebook_v4(tmp_path / "hw.ipynb", [
        "import random\nimport numpy as np",
        "%%capture\nprint('epoch 1 loss 0.5')\n" + FIRST_HALF,
        "%%capture out\nprint('before the error')\nraise ValueError('late')",
        "print('kept:', out.stdout.strip())",
        "%%capture --no-stdout\nprint('shown anyway')\n" + SECOND_HALF,
    ])
    report = grade(path, tmp_path / "out", "--isolation", "process")
    assert report["score"] == 100, (report["warnings"], report["error"])
    output = report["import_output"]
    assert "epoch 1 loss" not in output, output
    assert "kept: before the error" in output and "shown anyway" in output, output
    assert output.count("before the error") == 1, output


def test_an_error_under_time_points_at_the_students_line(tmp_path):
    path = notebook_v4(tmp_path / "hw.ipynb", ["import numpy as np",
                                       "%%time\nx = 1\nraise ValueError('in the body')",
                                       FIRST_HALF, SECOND_HALF])
    report = grade(path, tmp_path / "out")
    broken = [w for w in report["warnings"] if "cell 2 stopped" in w]
    assert broken and broken[0].startswith(
        "hw.ipynb, cell 2 stopped with ValueError in hw.ipynb, cell 2, line 3: in the body"), broken


def test_broken_cell_is_reported_and_later_cells_still_ran(hostile):
    broken = [w for w in hostile["warnings"] if "cell 11 stopped" in w]
    assert len(broken) == 1
    assert broken[0].startswith("hw.ipynb, cell 11 stopped with NameError in hw.ipynb, cell 11, "
                                "line 2: name 'undefined_exploration' is not defined")
    # Said once, with the first broken cell (cell 10 too when matplotlib is missing).
    assert len([w for w in hostile["warnings"] if w.endswith(
        "(the cells after it still ran, so functions defined in other cells were still graded)")]) == 1
    assert by_function(hostile)["negSamplingCostAndGradient"]["score"] == 35  # cell 12


def test_output_and_display_are_captured(hostile):
    out = hostile["import_output"]
    assert "array([0.5])" in out  # display(...)
    assert "files: []" in out  # `files = !ls` is an empty list
    assert "after the if" in out
    assert out.rstrip().endswith("\n0.5")  # the last cell's value, as Jupyter shows it
    assert "CompletedProcess" not in out  # ...unless the cell ends with ';'



def test_matplotlib_is_headless_or_missing_for_its_cell_only(hostile):
    cell10 = [w for w in hostile["warnings"] if "cell 10" in w]
    if importlib.util.find_spec("matplotlib") is None:
        # The import is let through (missing_imports.py); the bare calls on it are skipped.
        assert len(cell10) == 3, cell10
        assert cell10[0].startswith("hw.ipynb, cell 10, line 1 imports matplotlib, which is not "
                                    "installed where your code is graded")
        for line, code in ((3, "plt.plot([1, 2, 3])"), (4, "plt.show()")):
            assert (f"hw.ipynb, cell 10, line {line}: `{code}` needs matplotlib, which is not "
                    "installed where your code is graded: that call was skipped, and the code "
                    "after it ran") in cell10, cell10
    else:
        assert cell10 == []
    assert not [w for w in hostile["warnings"] if "stopped with" in w and "cell 10" not in w
                and "cell 11" not in w]


def test_version_3_notebook_with_an_awkward_name(tmp_path):
    """nbformat upgrades it (its cells live under "worksheets"); the name is no module name."""
    v3 = nbformat.v3
    cells = [v3.new_text_cell("markdown", source="# old notebook"),
             v3.new_code_cell(input="%pylab inline\nimport random\nimport numpy as np"),
             v3.new_code_cell(input=FIRST_HALF), v3.new_code_cell(input=SECOND_HALF)]
    nb = v3.new_notebook(worksheets=[v3.new_worksheet(cells=cells)])
    path = tmp_path / "Homework 1 (final).ipynb"
    path.write_text(nbformat.writes(nb, version=3))
    assert '"worksheets"' in path.read_text()
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["error"], report["warnings"])
    assert "Homework 1 (final).ipynb, cell 2: `%pylab inline` " + NOT_RUN in report["warnings"]


def test_cell_that_cannot_compile_costs_only_its_function(tmp_path):
    sigmoid_cell = "def sigmoid(x):\n    return 1.0 / (1.0 + np.exp(-x)\n"  # unclosed bracket
    rest = FIRST_HALF.replace("def sigmoid(x):", "def _unused(x):", 1)
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", sigmoid_cell, rest,
                                       SECOND_HALF])
    report = grade(path, tmp_path / "out")
    scores = {name: f["score"] for name, f in by_function(report).items()}
    assert scores == {"sigmoid": 0, "sigmoid_grad": 5, "softmax": 15,
                      "forward_backward_prop": 35, "negSamplingCostAndGradient": 35}
    message = checks_of(report, "sigmoid")[0]["message"]
    assert "sigmoid could not be loaded: SyntaxError in hw.ipynb, cell 2, line" in message


def test_a_nul_byte_before_a_cells_def_is_that_cells_load_error(tmp_path):
    """A NUL byte at the start of a cell (a corrupted save) hid the cell's def from the grader:
    the function was said not to be in the submission at all, where other syntax errors say
    which cell could not be loaded and why (probe s62)."""
    sigmoid_cell = "\0def sigmoid(x):\n    return 1.0 / (1.0 + np.exp(-x))\n"
    rest = FIRST_HALF.replace("def sigmoid(x):", "def _unused(x):", 1)
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", sigmoid_cell,
                                               rest, SECOND_HALF])
    report = grade(path, tmp_path / "out", "--only", "sigmoid")
    message = checks_of(report, "sigmoid")[0]["message"]
    assert "sigmoid could not be loaded: SyntaxError in hw.ipynb, cell 2" in message, message
    assert "null bytes" in message and "not found" not in message, message


def test_a_cell_that_awaits_at_its_top_level_runs_as_jupyter_runs_it(tmp_path):
    """IPython runs `await`, `async for` and `async with` at a cell's top level (autoawait): a
    cell that awaits beside its defs defines them, its last awaited value is shown, and an
    awaited error is the cell's error, named with its line, as any other."""
    awaiting = "import asyncio\nawait asyncio.sleep(0)\n\n" + FIRST_HALF
    loops = ("async def _rows():\n    for n in range(3):\n        yield n\n"
             "total = 0\nasync for n in _rows():\n    total += n\n"
             "async def _answer():\n    return 'awaited %d' % total\nawait _answer()")
    failing = "async def _fails():\n    raise ValueError('inside the coroutine')\nawait _fails()"
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", awaiting, loops,
                                       failing, SECOND_HALF])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, [(c["name"], c["message"][:200]) for c in report["checks"]
                                    if c["status"] != "passed"]
    said = " ".join(report["warnings"])
    assert "SyntaxError" not in said and "outside function" not in said, said
    assert "'awaited 3'" in report["import_output"], report["import_output"]
    assert "cell 4 stopped with ValueError in hw.ipynb, cell 4, line 2: inside the coroutine" \
        in said, said


def test_an_exception_whose_message_never_ends_costs_its_cell_only(tmp_path):
    """An exception's message is the student's code: an __str__ that loops forever hung the
    grader formatting it, and the notebook scored 0 for "a long training loop" in that cell."""
    endless = ("class Endless(Exception):\n    def __str__(self):\n        while True:\n"
               "            pass\n\n\nraise Endless()")
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", FIRST_HALF, endless,
                                       SECOND_HALF])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["error"], report["warnings"])
    assert any(w.startswith("hw.ipynb, cell 3 stopped with Endless in hw.ipynb, cell 3, line 7: "
                            "<the exception's message was not printed: its __str__ ran for 1 s "
                            "without returning>") for w in report["warnings"]), report["warnings"]


def test_graded_call_traceback_names_the_cell(tmp_path):
    broken = SECOND_HALF.replace("cost = -np.sum(np.log(np.sum(labels * y_hat, axis=1)))",
                                 "cost = -np.sum(np.log(np.sum(labels * y_hat, axis=1)))\n"
                                 "    raise ValueError('oops')", 1)
    assert broken != SECOND_HALF
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", FIRST_HALF, broken])
    report = grade(path, tmp_path / "out")
    messages = " ".join(c["message"] for c in checks_of(report, "forward_backward_prop"))
    assert "ValueError: oops" in messages
    assert "at hw.ipynb, cell 3, line" in messages
    assert "raise ValueError('oops')" in messages  # the cell's code, from linecache


def test_long_training_at_top_level_loses_that_cell_not_the_functions(tmp_path):
    """A course-style notebook ends by training for minutes: that cell is stopped before the
    import deadline, the cells after it still run, and every function the others define is
    graded; the report says which cell was stopped and why."""
    training = ("W = np.zeros(3)\nfor epoch in range(10**9): W = W + sigmoid(W) * 1e-9")
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", FIRST_HALF,
                                       SECOND_HALF, training, "print('after the training')"])
    report = grade(path, tmp_path / "out", "--import-timeout", "4")
    assert not report.get("error"), report.get("error")
    assert report["score"] == report["max_score"]
    stopped = [w for w in report["warnings"]
               if w.startswith("hw.ipynb, cell 4 (`W = np.zeros(3)`) was stopped: this cell was "
                               "still running at the grader's stop threshold")]
    assert stopped and "until 70% of the 4 s your whole submission has to load" in stopped[0], \
        report["warnings"]
    assert "after the training" in report["import_output"]


def test_a_stopped_cell_of_a_script_export_is_named_by_its_first_line_of_code(tmp_path):
    """The same notebook downloaded as .py (`# In[4]:` above each cell): the warning quotes the
    cell's first line of code as the .ipynb's does, not its mark (probe s59)."""
    training = ("W = np.zeros(3)\nfor epoch in range(10**9): W = W + sigmoid(W) * 1e-9")
    path = tmp_path / "hw.py"
    path.write_text(script_export(["import random\nimport numpy as np", FIRST_HALF,
                                   SECOND_HALF, training, "print('after the training')"]))
    report = grade(path, tmp_path / "out", "--import-timeout", "4")
    assert report["score"] == report["max_score"], (report["error"], report["warnings"])
    stopped = [w for w in report["warnings"] if "was stopped:" in w]
    assert stopped and stopped[0].startswith("hw.py, cell 4 (`W = np.zeros(3)`) was stopped"), \
        report["warnings"]


def test_a_stopped_cell_is_reported_the_same_on_every_run(tmp_path):
    """The alarm lands wherever the loop happens to be (in one function another cell defines, or
    another, at one line or the next) and after however long the cell ran: the report names the
    cell and the threshold it passed, never the line or the seconds, so two grades of one
    notebook say the same."""
    steps = ("def step_a(W):\n    W = W + 1e-9\n    return W * 1.0\n\n"
             "def step_b(W):\n    W = W - 1e-9\n    return W + 0.0\n")
    training = ("W = np.zeros(50)\nfor epoch in range(10**9):\n    W = step_a(W)\n"
                "    W = step_b(W)\n    W = np.tanh(W)\n")
    defined_after = "def after_training():\n    return 1"
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", FIRST_HALF, steps,
                                       training + "\n" + defined_after, SECOND_HALF])
    reports = [grade(path, tmp_path / f"out{n}", "--import-timeout", "4") for n in (1, 2)]
    assert reports[0]["warnings"] == reports[1]["warnings"]
    assert reports[0]["score"] == reports[0]["max_score"]
    stopped = [w for w in reports[0]["warnings"] if "cell 4" in w]
    assert stopped == [
        "hw.ipynb, cell 4 (`W = np.zeros(50)`) was stopped: this cell was still running at the "
        "grader's stop threshold: a notebook's cells may run until 70% of the 4 s "
        "your whole submission has to load when it is graded (a long training loop? keep it in a "
        "function the grader does not call, or train for fewer iterations). Grading went on with "
        "what the other cells define."], reports[0]["warnings"]
    assert not any("inside" in w or "line" in w for w in stopped)


def test_a_function_in_a_markdown_cell_is_said_to_be_there(tmp_path):
    """A code cell turned to Markdown (one stray key press) never runs: the function is missing,
    and the message says which cell holds it and how to make it code again."""
    path = notebook_v4(tmp_path / "hw.ipynb", [
        "import numpy as np",
        ("markdown", "def softmax(x):\n    e = np.exp(x - x.max(-1, keepdims=True))\n"
                     "    return e / e.sum(-1, keepdims=True)")])
    report = grade(path, tmp_path / "out", "--only", "softmax")
    messages = {c["message"] for c in checks_of(report, "softmax")}
    assert messages == {"softmax was not found in your submission: hw.ipynb, cell 2 defines it, "
                        "but that cell is a Markdown cell, not a code cell, so it never runs. "
                        "Change the cell's type to Code (in Jupyter: select it and press Y)."}, \
        messages


def test_a_second_stopped_cell_is_told_the_limit_it_had(tmp_path):
    """The first long cell is stopped at 70% of the deadline; the cells after it share what is
    left until 90%, and a second long cell is told that, not the 70% it never had."""
    loop = "x = 0\nwhile True:\n    x += 1\n"
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", FIRST_HALF, loop,
                                       SECOND_HALF, loop])
    report = grade(path, tmp_path / "out", "--import-timeout", "4")
    assert report["score"] == report["max_score"], report["warnings"]
    stopped = {w.split(" (`")[0]: w for w in report["warnings"] if "was stopped:" in w}
    assert "may run until 70% of the 4 s" in stopped["hw.ipynb, cell 3"], stopped
    assert ("once a cell has been stopped, the cells after it share what is left until 90% of "
            "the 4 s") in stopped["hw.ipynb, cell 5"], stopped


def test_what_a_stopped_cell_printed_is_not_shown_so_two_grades_print_the_same(tmp_path):
    """A training loop that prints its progress gets further on a faster run: what it printed
    before the stop would differ between two grades of one notebook. It is left out, and said
    to be; what the other cells printed stays."""
    training = ("for epoch in range(10**9):\n    if epoch % 1000 == 0:\n"
                "        print('epoch', epoch, 'loss', 1.0 / (epoch + 1))")
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np\nprint('loaded')",
                                       FIRST_HALF, training, SECOND_HALF, "print('done')"])
    reports = [grade(path, tmp_path / f"out{n}", "--import-timeout", "4") for n in (1, 2)]
    assert reports[0]["import_output"] == reports[1]["import_output"]
    assert reports[0]["import_output"] == (
        "loaded\n[hw.ipynb, cell 3 was stopped: what it printed is not shown, since how far it "
        "got differs from run to run]\ndone\n")
    assert reports[0]["score"] == reports[0]["max_score"]


@pytest.mark.parametrize("handler", ["except BaseException:", "except:"])
def test_a_cell_that_swallows_the_stop_is_stopped_all_the_same(tmp_path, handler):
    """A cell that catches even the grader's stop (a bare `except:` around its loop): the stop is
    raised again at the handler's next line, and the next, until the cell has ended. Where the
    alarm landed decided before whether the cell was stopped (the rest graded, 100) or ran into
    the import deadline (0), from one run of the same notebook to the next (probe s54)."""
    stubborn = ("W = np.zeros(3)\nwhile True:\n    try:\n        while True:\n"
                f"            W = W + 1e-9\n    {handler}\n        pass")
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", FIRST_HALF,
                                       SECOND_HALF, stubborn, "print('reached')"])
    report = grade(path, tmp_path / "out", "--import-timeout", "4")
    assert report["score"] == 100, (report["error"], report["warnings"])
    assert any(w.startswith("hw.ipynb, cell 4 stopped with CellStopped") or
               ("cell 4" in w and "still running at the grader's stop threshold" in w)
               for w in report["warnings"]), report["warnings"]
    assert "reached" in report["import_output"]


def test_a_cell_that_turns_the_stop_off_meets_the_deadline_naming_the_cell(tmp_path):
    """A cell that ignores the grader's alarm signal altogether cannot be stopped: the import
    deadline ends it, naming the cell."""
    ignoring = ("import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                "W = np.zeros(3)\nwhile True:\n    W = W + 1e-9\n")
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", FIRST_HALF,
                                       SECOND_HALF, ignoring, "print('never reached')"])
    report = grade(path, tmp_path / "out", "--import-timeout", "4")
    assert report["score"] == 0
    assert report["error"].startswith(
        "Importing your submission did not finish within 4 s: hw.ipynb, cell 4 (of 5: "
        "`import signal`) was still running"), report["error"]


def test_a_py_files_top_level_loop_past_the_deadline_is_named(tmp_path):
    """A .py file is one unit: a top-level training loop that outlasts the import deadline costs
    the import, and the message names the top-level statement that was running (its first
    line, wherever in its body the deadline fell)."""
    training = ("W = np.zeros(3)\nfor epoch in range(10**9):\n    W = W + 1e-9\n"
                "    W = sigmoid(W) * 0.5\nprint('trained')\n")
    path = tmp_path / "train.py"
    path.write_text(SOLUTION + "\n\n" + training)
    line = path.read_text().splitlines().index("for epoch in range(10**9):") + 1
    report = grade(path, tmp_path / "out", "--import-timeout", "2")
    assert report["score"] == 0
    assert report["error"] == (
        f"Importing your submission did not finish within 2 s: train.py, line {line} (`for epoch "
        "in range(10**9):`) was still running (a long training loop at the top level of the "
        "file? Nothing at module level may take that long: train in a function the grader does "
        "not call, or under `if __name__ == '__main__':`, which the grader does not run). "
        "Nothing could be graded.")


def test_the_running_statement_is_named_even_when_the_worker_started_late(tmp_path):
    """The worker names the running statement at 90% of the deadline from its own start, which
    comes after the grader's count began (Python, numpy, the sandbox): with a deadline of a quarter
    second that moment is past the grader's deadline on any machine, as it is on a loaded one
    with a longer deadline. The message must not depend on that: the grader waits a moment for
    the statement (the import has failed all the same)."""
    path = tmp_path / "spin.py"
    path.write_text(SOLUTION + "\n\nwhile True:\n    pass\n")
    line = path.read_text().splitlines().index("while True:") + 1
    report = grade(path, tmp_path / "out", "--import-timeout", "0.25")
    assert report["score"] == 0
    assert report["error"].startswith(
        f"Importing your submission did not finish within 0.25 s: spin.py, line {line} (`while "
        "True:`) was still running"), report["error"]


def test_modules_the_grading_machine_lacks_cost_only_what_uses_them(tmp_path):
    """The CBOW notebook's first cell imports nltk and emoji, which its platform has, before
    numpy: the imports are let through, numpy still arrives, `nltk.download('punkt')` (a call
    made only for its effect) is skipped, and so is `tokens = tokenize(...)`, whose value
    needed nltk (code that uses `tokens` fails, saying why). A `try: import ...` with a fallback
    keeps its fallback."""
    first = ("import re\nimport nltk\nfrom nltk.tokenize import word_tokenize\nimport emoji\n"
             "import random\nimport numpy as np\n\nnltk.download('punkt')")
    fallback = "try:\n    import numba\nexcept ImportError:\n    numba = None\nprint('numba:', numba)"
    tokenize = "def tokenize(text):\n    return word_tokenize(text)\n\ntokens = tokenize('a b')"
    path = notebook_v4(tmp_path / "hw.ipynb", [first, fallback, FIRST_HALF, tokenize, SECOND_HALF])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], report["error"])
    warnings = report["warnings"]
    for module, line in (("nltk", 2), ("emoji", 4)):
        assert any(w.startswith(f"hw.ipynb, cell 1, line {line} imports {module}, which is not "
                                "installed where your code is graded") for w in warnings), warnings
    assert not any("numba" in w for w in warnings)
    assert "numba: None" in report["import_output"]
    assert ("hw.ipynb, cell 1, line 8: `nltk.download('punkt')` needs nltk, which is not "
            "installed where your code is graded: that call was skipped, and the code after it "
            "ran") in warnings, warnings
    assert not any(" stopped with " in w for w in warnings), warnings
    assert ("hw.ipynb, cell 4, line 4: `tokens = tokenize('a b')` needs nltk, which is not "
            "installed where your code is graded: that statement was skipped and the code after "
            "it ran; code that uses tokens fails, saying nltk is missing") in warnings, warnings


def test_a_missing_module_in_a_timed_cell_is_named_at_its_own_line(tmp_path):
    """The body of a `%%time` cell is the student's code as a plain cell's is: a line that needs
    a module the machine lacks is skipped and named by its own line, and the lines after it run
    (it was "line 1: `%%time` needs nltk", and the rest of the body skipped with it)."""
    timed = ("%%time\nimport nltk\n" + FIRST_HALF.replace("def sigmoid(x):", "def _first(x):", 1)
             + "\nnltk.download('punkt')\nprint('after the download')\n"
             + "def sigmoid(x):\n    return 1.0 / (1.0 + np.exp(-x))\n")
    line = timed.splitlines().index("nltk.download('punkt')") + 1
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np", timed, SECOND_HALF])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], report["error"])
    assert (f"hw.ipynb, cell 2, line {line}: `nltk.download('punkt')` needs nltk, which is not "
            "installed where your code is graded: that call was skipped, and the code after it "
            "ran") in report["warnings"], report["warnings"]
    assert "after the download" in report["import_output"], report["import_output"]


def test_a_decorator_from_a_missing_module_costs_its_own_def_not_the_rest_of_the_cell(tmp_path):
    """`@interact(...)` (ipywidgets, which Coursera's Jupyter has) on a helper the grader never
    calls, above the cell's graded defs: its error stopped the cell, and a correct notebook lost
    the functions after it (80 of 100, probe s54). Now the helper's name stands in for the
    missing module, and a graded function so decorated fails saying which module it needs."""
    cell = ("from ipywidgets import interact\nfrom numba import njit\n\n"
            "@interact(C=(1, 4))\ndef show(C=2):\n    print(C)\n\n"
            "class Net(torch_nn.Module):\n    pass\n\n"
            "def helper(scale=tqdm(range(3))):\n    return scale\n\n"
            + FIRST_HALF + "\n@njit\ndef fast_relu(z):\n    return z * (z > 0)\n")
    path = notebook_v4(tmp_path / "hw.ipynb", ["import random\nimport numpy as np\n"
                                               "import torch.nn as torch_nn\nfrom tqdm import tqdm",
                                               cell, SECOND_HALF,
                                               "fast_relu(np.ones(2))\nprint('still running')"])
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], report["error"])
    warnings = "\n".join(report["warnings"])
    for line, code, module in ((4, "@interact(C=(1, 4))", "ipywidgets"),
                               (8, "class Net(torch_nn.Module):", "torch"),
                               (11, "def helper(scale=tqdm(range(3))):", "tqdm"),
                               (1, "fast_relu(np.ones(2))", "numba")):
        cell_number = 4 if module == "numba" else 2
        assert f"hw.ipynb, cell {cell_number}, line {line}: `{code}` needs {module}" in warnings, \
            warnings
    assert "still running" in report["import_output"]


def test_a_py_file_importing_a_missing_plotting_module_still_loads(tmp_path):
    source = "import matplotlib.pyplot as plt\nimport seaborn as sns\n" + SOLUTION + (
        "\n\ndef plot_costs(costs):\n    plt.plot(costs)\n")
    path = tmp_path / "sub.py"
    path.write_text(source)
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["warnings"], report["error"])
    if importlib.util.find_spec("matplotlib") is None:
        assert any(w.startswith("sub.py, line 1 imports matplotlib") for w in report["warnings"])
    assert any(w.startswith("sub.py, line 2 imports seaborn") for w in report["warnings"])


def test_a_cell_that_stops_the_kernel_is_skipped_not_the_end_of_the_grade(tmp_path):
    """Colab's way to restart the runtime after a `!pip install`, `os.kill(os.getpid(), 9)`,
    killed the worker: a finished notebook scored 0, told of "out of memory, or stopped from
    outside" (probe s56); so did `os._exit(0)` in its last cell. Jupyter's kernel stops there;
    every grade imports the code afresh, as a restarted kernel does: the statement is named as
    not run, and the rest is graded. In a function, and in a .py, it runs as written."""
    restart = notebook_v4(tmp_path / "restart.ipynb", [
        "!pip install -q numpy",
        "import os as o\no.kill(o.getpid(), 9)  # restart the runtime\nnot_reached = 1",
        FIRST_HALF, SECOND_HALF, "from os import _exit\ndef stop():\n    _exit(0)\nstop()",
        "import os, signal\nsignal.signal(signal.SIGUSR1, lambda *a: None)\n"
        "os.kill(os.getpid(), signal.SIGUSR1)  # handled: the kernel goes on\n"
        "if os.fork() == 0:\n    os._exit(0)  # a child ends as it asks\nos.wait()",
        # and however else it is reached (recheck probe, s56): os made again from posix, a
        # signal that ends a process without being in a short list, signal's own way
        "import importlib, signal\nimportlib.reload(os)\nos.kill(os.getpid(), signal.SIGBUS)",
        "import posix\nposix._exit(0)", "signal.raise_signal(signal.SIGKILL)"])
    report = grade(restart, tmp_path / "out")
    assert report["score"] == 100 and not report["error"], report["error"]
    said = [w for w in report["warnings"] if "kernel" in w]
    assert said == [
        "restart.ipynb, cell 2: `o.kill(o.getpid(), 9) # restart the runtime` stops Jupyter's "
        "kernel (Colab's way to restart the runtime): that cell stopped there, and, since every "
        "grade imports your code afresh, the cells after it ran, as after a restart",
        "restart.ipynb, cell 5: `stop()` stops Jupyter's kernel (Colab's way to restart the "
        "runtime): that cell stopped there, and, since every grade imports your code afresh, "
        "the cells after it ran, as after a restart"] + [
        f"restart.ipynb, cell {cell}: `{line}` stops Jupyter's kernel (Colab's way to restart the "
        "runtime): that cell stopped there, and, since every grade imports your code afresh, "
        "the cells after it ran, as after a restart"
        for cell, line in ((7, "os.kill(os.getpid(), signal.SIGBUS)"), (8, "posix._exit(0)"),
                           (9, "signal.raise_signal(signal.SIGKILL)"))], said
    # A graded function that ends its process still ends it (in a .py, at import, as before).
    script = tmp_path / "script.py"
    script.write_text(FIRST_HALF + "\n" + SECOND_HALF + "\nimport os\nos._exit(3)\n")
    report = grade(script, tmp_path / "out2")
    assert report["score"] == 0 and "exit status 3" in report["error"], report["error"]


@pytest.mark.skipif(__import__("grader.isolation").isolation.bwrap_problem() is not None,
                    reason="the sandbox cannot run here")
def test_a_download_that_fails_without_network_says_the_grader_has_none(tmp_path):
    """A notebook's download cell failed with "Temporary failure in name resolution" and nothing
    said that the sandbox has no network (probe s56)."""
    path = notebook_v4(tmp_path / "fetch.ipynb", [
        FIRST_HALF, "import socket\nsocket.getaddrinfo('data.example.org', 443)", SECOND_HALF])
    report = grade(path, tmp_path / "out", "--isolation", "sandbox")
    assert report["score"] == 100
    said = [w for w in report["warnings"] if "fetch.ipynb, cell 2 stopped" in w]
    assert said and ("The machine could not be reached: a grader's sandbox has no network, so a "
                     "download fails where your code is graded.") in said[0], report["warnings"]


def test_a_star_import_of_a_file_the_upload_lacks_is_named_as_the_cause(tmp_path):
    """A notebook uploaded without the q2_sigmoid.py its first cell star-imports was told only
    "could not be imported (NameError in ..., cell 2 ...: name 'test_sigmoid_basic' is not
    defined)", and the same for later cells: the missing file was never named (probe s57). Its
    cell and file are the cause, said first; each later NameError is said to follow from the
    star import that ran last before it."""
    notebook = notebook_v4(tmp_path / "only_notebook.ipynb", [
        "import numpy as np\nfrom q2_sigmoid import *", "test_sigmoid_basic()",
        "from q2_neural import *", "sanity_check()"])
    report = grade(notebook, tmp_path / "out")
    error = report["error"]
    assert error.startswith("only_notebook.ipynb, cell 1, line 2 runs `from q2_sigmoid import *`, "
                            "but q2_sigmoid.py is not in your upload"), error
    assert "upload q2_sigmoid.py with the notebook, or define its functions in the notebook" \
        in error
    assert "The NameError in only_notebook.ipynb, cell 2, line 1 (name 'test_sigmoid_basic' is " \
           "not defined) follows from it." in error
    cell_4 = next(w for w in report["warnings"] if w.startswith("only_notebook.ipynb, cell 4 "))
    assert "most likely follows from `from q2_neural import *` in only_notebook.ipynb, cell 3, " \
           "line 1: q2_neural.py is not in your upload" in cell_4, cell_4
    assert report["score"] == 0


def test_a_py_files_star_import_of_a_file_the_upload_lacks_is_named(tmp_path):
    """The same in a .py uploaded alone: `from q2_sigmoid import *` imported nothing, and the
    network's NameError for sigmoid did not say why. A named import keeps saying it at the call
    ("q2_sigmoid.py is not in your submission")."""
    star = tmp_path / "star" / "q2_neural.py"
    named = tmp_path / "named" / "q2_neural.py"
    for path, line in ((star, "from q2_sigmoid import *"),
                       (named, "from q2_sigmoid import sigmoid")):
        path.parent.mkdir()
        path.write_text(f"import numpy as np\n{line}\n\n\n"
                        "def forward_backward_prop(data, labels, params, dimensions):\n"
                        "    h = sigmoid(data)\n"
                        "    return float(np.sum(h)), np.zeros_like(params)\n")
    reports = grade_many({"star": star, "named": named}, tmp_path / "out")
    cause = ("q2_neural.py, line 2 runs `from q2_sigmoid import *`, but q2_sigmoid.py is not in "
             "your upload")
    assert cause in " ".join(reports["star"]["warnings"]), reports["star"]["warnings"]
    # and where the NameError is told, at the call
    said = checks_of(reports["star"], "forward_backward_prop")[0]["message"]
    assert "name 'sigmoid' is not defined" in said and cause in said, said
    said = checks_of(reports["named"], "forward_backward_prop")[0]["message"]
    assert "q2_sigmoid.py is not in your submission" in said, said
    for report in reports.values():
        assert by_function(report)["forward_backward_prop"]["score"] == 0


def test_a_typo_after_a_star_import_of_a_missing_file_is_not_blamed_on_it(tmp_path):
    """A NameError for a near spelling of a name the code has (`softmx` beside its own softmax)
    is the student's typo: it was said to follow from the `from q2_sigmoid import *` before it
    (recheck probe s57), as any NameError after such an import was."""
    notebook = notebook_v4(tmp_path / "typo.ipynb", [
        "import numpy as np\nfrom q2_sigmoid import *",
        "def softmax(x):\n    e = np.exp(x - np.max(x, axis=-1, keepdims=True))\n"
        "    return e / np.sum(e, axis=-1, keepdims=True)",
        "print(softmx(np.array([1.0, 2.0])))",
        "test_sigmoid_basic()"])
    report = grade(notebook, tmp_path / "out")
    cell_3 = next(w for w in report["warnings"] if w.startswith("typo.ipynb, cell 3 "))
    assert "name 'softmx' is not defined" in cell_3 and "follows from" not in cell_3, cell_3
    cell_4 = next(w for w in report["warnings"] if w.startswith("typo.ipynb, cell 4 "))
    assert "most likely follows from `from q2_sigmoid import *`" in cell_4, cell_4


def test_a_typo_in_a_graded_function_after_a_star_import_is_not_blamed_on_it(tmp_path):
    """The same at call time: `softmx` inside the graded network, after `from q2_sigmoid import
    *` of a file not uploaded, was told in every check to follow from that import (regression
    probe s58); a name nothing near was, `sigmoid` itself, still is."""
    network = ("def forward_backward_prop(data, labels, params, dimensions):\n"
               "    h = {}(data)\n    return float(np.sum(h)), np.zeros_like(params)")
    softmax = ("def softmax(x):\n    e = np.exp(x - np.max(x, axis=-1, keepdims=True))\n"
               "    return e / np.sum(e, axis=-1, keepdims=True)")
    said = {}
    for name, called in (("typo", "softmx"), ("missing", "sigmoid")):
        notebook = notebook_v4(tmp_path / f"{name}.ipynb", [
            "import numpy as np\nfrom q2_sigmoid import *", softmax, network.format(called)])
        report = grade(notebook, tmp_path / name, "--only", "forward_backward_prop")
        said[name] = checks_of(report, "forward_backward_prop")[0]["message"]
    assert "name 'softmx' is not defined" in said["typo"], said["typo"]
    assert "from q2_sigmoid import *" not in said["typo"], said["typo"]
    assert "runs `from q2_sigmoid import *`, but q2_sigmoid.py is not in your upload" \
        in said["missing"], said["missing"]
