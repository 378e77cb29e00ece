"""End-to-end behaviour of `autograde grade`, through the command line."""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from conftest import FIXTURES, ROOT, by_function, checks_of, grade, grade_many, run_cli

FUNCTIONS = ["sigmoid", "sigmoid_grad", "softmax", "forward_backward_prop", "negSamplingCostAndGradient"]
DEFAULT_POINTS = {"sigmoid": 10, "sigmoid_grad": 5, "softmax": 15, "forward_backward_prop": 35,
                  "negSamplingCostAndGradient": 35}

REPORT_SCHEMA = {
    "type": "object",
    "required": ["schema_version", "submission", "score", "max_score", "checks", "functions",
                 "warnings", "isolation", "versions", "timings", "error", "reference"],
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "max_score": {"type": "number", "minimum": 0},
        "checks": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "function", "status", "score", "max_score", "message"],
            "properties": {
                "status": {"enum": ["passed", "failed", "error", "timeout", "skipped"]},
                "function": {"enum": FUNCTIONS},
                "score": {"type": "number", "minimum": 0},
                "message": {"type": "string"},
                "mistake": {"type": "string"},
                "evidence": {"type": "object"},
                "output_truncated": {"type": "boolean"}}}},
        "mistakes": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["title", "explanation", "severity"],
            "properties": {"severity": {"enum": ["error", "warning"]}}}},
        "functions": {"type": "array", "items": {
            "type": "object", "required": ["name", "score", "max_score"]}},
        "warnings": {"type": "array", "items": {"type": "string"}},
        "isolation": {"type": "object", "required": ["mode", "limits", "unavailable"]},
        "versions": {"type": "object", "required": ["grader", "python", "numpy"]},
    },
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("cli")
    multi_zip = out / "correct_multifile.zip"
    with zipfile.ZipFile(multi_zip, "w") as zf:
        for path in sorted((FIXTURES / "correct_multifile").glob("*.py")):
            zf.write(path, f"assignment1/{path.name}")  # zipped from a file manager: one folder
    subs = {
        "reference": ROOT / "reference",
        "template": ROOT / "student_template",
        "summed": FIXTURES / "correct_summed.py",
        "averaged": FIXTURES / "correct_averaged.py",
        "multifile": FIXTURES / "correct_multifile",
        "multifile_zip": multi_zip,
        "xrange": FIXTURES / "correct_xrange.py",
        "direct_sampling": FIXTURES / "correct_direct_sampling.py",
        "syntax_error": FIXTURES / "syntax_error.py",
        "missing_softmax": FIXTURES / "missing_softmax.py",
        "empty": FIXTURES / "empty.py",
        **_stale_copies(out),
        **_whole_folders(out),
        **_pasted_together(out),
    }
    return grade_many(subs, out)


def _whole_folders(out: Path) -> dict[str, Path]:
    """Uploads of a whole assignment folder, with the course's own scripts in it: q3_run.py
    trains for hours at its top level (here: forever) and q3_sgd.py fails without saved
    parameters. No graded function needs them, so they must not be run."""
    layout = out / "whole_assignment_folder"
    shutil.copytree(FIXTURES / "correct_multifile", layout)
    (layout / "q3_run.py").write_text("from q3_sgd import sgd\n\nwhile True:\n    pass\n")
    (layout / "q3_sgd.py").write_text("raise RuntimeError('no saved parameters')\n")
    one_file = out / "one_file_and_a_script"
    one_file.mkdir()
    shutil.copyfile(FIXTURES / "correct_summed.py", one_file / "hw1.py")
    (one_file / "a_train.py").write_text("import hw1\n\nwhile True:\n    pass\n")
    # Unfinished: negSamplingCostAndGradient as the starter leaves it. A copy of it elsewhere is
    # looked for only in files that `def` it, never in q3_run.py's `from q3_word2vec import *`.
    unfinished = out / "unfinished_with_a_script"
    shutil.copytree(FIXTURES / "correct_multifile", unfinished)
    word2vec = unfinished / "q3_word2vec.py"
    text = word2vec.read_text()
    start, end = text.index("def negSamplingCostAndGradient"), text.index("def test_word2vec")
    word2vec.write_text(text[:start] + (
        "def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):\n"
        "    ### YOUR CODE HERE\n    cost = None\n    gradPred = None\n    grad = None\n"
        "    ### END YOUR CODE\n    return cost, gradPred, grad\n\n\n") + text[end:])
    (unfinished / "q3_run.py").write_text("from q3_word2vec import *\n\nwhile True:\n    pass\n")
    return {"whole_assignment_folder": layout, "one_file_and_a_script": one_file,
            "unfinished_with_a_script": unfinished}


LAYOUT_FILES = ("q1_softmax", "q2_sigmoid", "q2_neural", "q3_word2vec")


def _pasted_together(out: Path) -> dict[str, Path]:
    """The original files pasted into one file, and into one notebook (a cell per file): each
    part keeps its `from q1_softmax import softmax`, which names a file that is not there."""
    parts = [(FIXTURES / "correct_multifile" / f"{name}.py").read_text() for name in LAYOUT_FILES]
    script = out / "pasted_together.py"
    script.write_text("\n\n".join(parts))
    notebook = out / "pasted_together.ipynb"
    notebook.write_text(json.dumps({
        "nbformat": 4, "nbformat_minor": 4, "metadata": {},
        "cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                   "source": part} for part in parts]}))
    return {"pasted_together_py": script, "pasted_together_ipynb": notebook}


def test_files_no_graded_function_needs_are_not_run(reports):
    for name in ("whole_assignment_folder", "one_file_and_a_script"):
        report = reports[name]
        assert report["score"] == 100, (name, report["warnings"])
        assert not any("q3_run" in w or "q3_sgd" in w or "a_train" in w
                       for w in report["warnings"]), report["warnings"]


def test_a_script_that_imports_the_graded_file_is_not_run(tmp_path):
    """A hw1.py that writes every function, beside the course's q3_run.py (`from hw1 import *`,
    then training at its top level) or an experiments.py (`from hw1 import softmax`, then a
    print): the scripts only import what hw1.py writes, so they are not run. Chosen with hw1.py
    in one pass, q3_run.py waited out the import deadline, was named in a warning, and its
    imports were listed as modules missing where the code is graded (probe s61)."""
    folder = tmp_path / "hw1_and_scripts"
    folder.mkdir()
    shutil.copyfile(FIXTURES / "correct_summed.py", folder / "hw1.py")
    (folder / "q3_run.py").write_text(
        "import nunpy\nfrom hw1 import *\n\nwhile True:\n    pass\n")
    (folder / "experiments.py").write_text(
        "from hw1 import softmax\nprint('experiments top level')\n")
    report = grade(folder, tmp_path / "out", "-v")
    assert report["score"] == 100, report["warnings"]
    said = "\n".join(report["warnings"]) + report["_terminal"]
    for name in ("q3_run", "experiments", "nunpy"):
        assert name not in said, said
    assert report["timings"]["worker_starts"] <= 2, report["timings"]


def test_an_unfinished_function_runs_no_more_of_a_folder_than_a_finished_one(reports):
    report = reports["unfinished_with_a_script"]
    assert by_function(report)["negSamplingCostAndGradient"]["score"] == 0
    assert report["score"] == 65, report["warnings"]
    assert not any("q3_run" in w for w in report["warnings"]), report["warnings"]
    assert report["timings"]["worker_starts"] <= 2, report["timings"]


def test_a_file_pasted_together_from_the_layout_keeps_its_own_definitions(reports):
    for name in ("pasted_together_py", "pasted_together_ipynb"):
        report = reports[name]
        assert report["score"] == 100, (name, [c["message"] for c in report["checks"]
                                               if c["status"] != "passed"][:3])
        assert not any("not installed" in w for w in report["warnings"]), report["warnings"]


def test_a_function_no_file_defines_in_plain_sight_is_still_found(tmp_path):
    """A file that defines its function where reading the source cannot tell (exec) is run
    when no file visibly defines it."""
    folder = tmp_path / "dynamic"
    folder.mkdir()
    (folder / "notes.py").write_text("learning_rate = 0.1\n")
    (folder / "defs.py").write_text(
        "import numpy as np\nexec('def sigmoid(x):\\n    return 1.0 / (1.0 + np.exp(-x))')\n")
    report = grade(folder, tmp_path / "out", "--only", "sigmoid")
    assert by_function(report)["sigmoid"]["score"] == 10, report["checks"][0]["message"]


STALE_SIGMOID = "import numpy as np\n\n\ndef sigmoid(x):\n    return x\n"


def _stale_copies(out: Path) -> dict[str, Path]:
    """Uploads that also hold a wrong, older sigmoid: beside q2_sigmoid.py, the file the
    assignment names for it (graded, whatever the names' order); and in a folder without it,
    where the first file in name order is graded."""
    home = out / "stale_beside_home"
    shutil.copytree(FIXTURES / "correct_multifile", home)
    (home / "a_sigmoid_old.py").write_text(STALE_SIGMOID)
    (home / "q2_sigmoid_backup.py").write_text(STALE_SIGMOID)
    no_home = out / "stale_no_home"
    no_home.mkdir()
    shutil.copyfile(FIXTURES / "correct_summed.py", no_home / "assignment1.py")
    (no_home / "assignment1_old.py").write_text(STALE_SIGMOID)
    return {"stale_beside_home": home, "stale_no_home": no_home}


def test_a_module_of_the_layout_handed_in_under_another_name_is_pointed_at(tmp_path):
    """q1_softmax.py renamed softmax.py: softmax is graded from it, but q2_neural.py's
    `from q1_softmax import softmax` finds nothing, and the message only said that
    q1_softmax.py was not there."""
    folder = tmp_path / "hw"
    shutil.copytree(FIXTURES / "correct_multifile", folder)
    (folder / "q1_softmax.py").rename(folder / "softmax.py")
    report = grade(folder, tmp_path / "out")
    failed = [c["message"] for c in checks_of(report, "forward_backward_prop")
              if c["status"] != "passed"]
    assert failed and all("q1_softmax.py is not in your submission (softmax.py looks like it: "
                          "name it q1_softmax.py, as the assignment does, for the files that "
                          "import it)" in m for m in failed), failed[:1]
    assert by_function(report)["softmax"]["score"] == by_function(report)["softmax"]["max_score"]
    # A word of the student's after the name (probe s55: q2_sigmoid_final.py cost 70 points
    # with nothing said of it).
    (folder / "softmax.py").rename(folder / "q1_softmax.py")
    (folder / "q2_sigmoid.py").rename(folder / "q2_sigmoid_final.py")
    report = grade(folder, tmp_path / "out2")
    failed = [c["message"] for c in checks_of(report, "forward_backward_prop")
              if c["status"] != "passed"]
    assert failed and all("q2_sigmoid.py is not in your submission (q2_sigmoid_final.py looks "
                          "like it: name it q2_sigmoid.py" in m for m in failed), failed[:1]


def test_an_old_copy_of_several_functions_is_one_warning_naming_the_notebook(tmp_path):
    """A scratch notebook beside the four files, defining every function again: five warnings
    alike, each naming `scratch.py`, a file the student never had (probe s55)."""
    from notebook_helpers import notebook_v4
    folder = tmp_path / "hw"
    shutil.copytree(FIXTURES / "correct_multifile", folder)
    old = (FIXTURES / "correct_summed.py").read_text().replace("import numpy as np\n",
                                                               "import numpy as np  # old\n", 1)
    old = old.replace("    return", "    _earlier_try = 1\n    return")
    notebook_v4(folder / "scratch.ipynb", [old])
    report = grade(folder, tmp_path / "out")
    copies = [w for w in report["warnings"] if "more than one file" in w]
    assert len(copies) == 1 and "scratch.ipynb" in copies[0] and "scratch.py" not in copies[0] \
        and copies[0].startswith("sigmoid, sigmoid_grad, softmax, forward_backward_prop and "
                                 "negSamplingCostAndGradient are defined in more than one file: "
                                 "those in "), copies


def test_a_function_defined_in_several_files_is_graded_once_and_the_others_named(reports):
    home = reports["stale_beside_home"]
    assert home["score"] == 100
    assert by_function(home)["sigmoid"]["score"] == 10
    assert ("sigmoid is defined in more than one file: the one in q2_sigmoid.py was graded, not "
            "those in a_sigmoid_old.py and q2_sigmoid_backup.py. If those are old copies, remove "
            "them, so that the grader sees only the one you mean.") in home["warnings"]
    no_home = reports["stale_no_home"]
    assert no_home["score"] == 100
    assert ("sigmoid is defined in more than one file: the one in assignment1.py was graded, not "
            "the one in assignment1_old.py. If that is an old copy, remove it, so that the grader "
            "sees only the one you mean.") in no_home["warnings"]
    # Files that import the graded function hold the same one: nothing to say.
    for name in ("multifile", "multifile_zip", "summed"):
        assert not any("more than one file" in w for w in reports[name]["warnings"]), name


@pytest.mark.parametrize("name", ["reference", "summed", "averaged", "multifile", "multifile_zip",
                                  "xrange", "direct_sampling"])
def test_correct_submissions_get_full_marks(reports, name):
    report = reports[name]
    failing = [(c["name"], c["message"]) for c in report["checks"] if c["status"] != "passed"]
    assert failing == []
    assert report["score"] == report["max_score"] == 100
    assert {f["name"]: f["max_score"] for f in report["functions"]} == DEFAULT_POINTS


@pytest.mark.parametrize("name", ["reference", "summed", "averaged", "multifile", "multifile_zip",
                                  "xrange", "direct_sampling"])
def test_correct_submissions_trigger_no_recognised_mistake(reports, name):
    """Only the softmax of correct_multifile, which works in place as the handout allows, is named,
    as a warning on a passed check."""
    report = reports[name]
    expected = {"softmax_mutates_input"} if name.startswith("multifile") else set()
    assert {c["mistake"] for c in report["checks"] if c["mistake"]} == expected
    assert set(report["mistakes"]) == expected
    assert all(c["evidence"] == {} for c in report["checks"] if not c["mistake"])


def test_report_follows_the_documented_schema(reports):
    for report in reports.values():
        jsonschema.validate({k: v for k, v in report.items() if not k.startswith("_")}, REPORT_SCHEMA)
        assert report["score"] == pytest.approx(sum(f["score"] for f in report["functions"]))
        for fn in report["functions"]:
            assert fn["score"] == pytest.approx(sum(c["score"] for c in checks_of(report, fn["name"])))


def test_convention_detected_and_reported(reports):
    assert any("summed" in n for n in reports["summed"]["notes"])
    assert any("averaged" in n for n in reports["averaged"]["notes"])
    assert not any("averaged" in n for n in reports["summed"]["notes"])
    # Either convention is accepted: a full-marks report has nothing to warn about.
    assert reports["summed"]["warnings"] == reports["averaged"]["warnings"] == []


def test_template_scores_zero_with_one_not_implemented_line_per_function(reports):
    report = reports["template"]
    assert report["score"] == 0
    terminal = report["_terminal"]
    for fn in FUNCTIONS:
        lines = [ln for ln in terminal.splitlines() if f"{fn} is not implemented yet" in ln]
        # one line in the table and one under "What went wrong", not one per check
        assert 1 <= len(lines) <= 2, (fn, lines)
    assert "Traceback" not in terminal and "Traceback" not in report["_stderr"]
    # `raise NotImplementedError` then `return s`: the return never runs, so the template's
    # sigmoid reads nothing because it does nothing yet, not because it ignores x (two warnings
    # a student with an untouched template read as something they had done wrong).
    assert not [w for w in report["warnings"] if "never reads its parameters" in w], \
        report["warnings"]


def test_xrange_is_shimmed_with_a_warning(reports):
    assert any("xrange" in w and "range" in w for w in reports["xrange"]["warnings"])
    assert not any("xrange" in w for w in reports["summed"]["warnings"])


def test_xrange_shim_can_be_turned_off(tmp_path):
    report = grade(FIXTURES / "correct_xrange.py", tmp_path, "--no-xrange-shim")
    assert report["score"] < 100
    messages = [c["message"] for c in report["checks"] if c["status"] != "passed"]
    assert messages and all("xrange" in m for m in messages)


def test_syntax_error_names_the_file_and_line(reports):
    report = reports["syntax_error"]
    assert report["score"] == 0
    text = report["checks"][0]["message"]
    assert "SyntaxError" in text and "syntax_error.py" in text and "line 5" in text
    assert "Traceback" not in report["_terminal"]


def test_top_level_code_that_raises_on_import_is_named_as_the_cause_with_the_fix(tmp_path):
    """A correct file whose own test at the bottom fails, or that ends with exit(), cannot be
    imported: still 0 (a .py file is one unit), and the message says why top-level code ran and
    what to do. A syntax error is told no such thing."""
    text = (FIXTURES / "correct_summed.py").read_text()
    (tmp_path / "tested.py").write_text(
        text + '\n\nassert softmax(np.array([1.0, 2.0]))[0] > 0.5, "my own test"\n')
    (tmp_path / "exits.py").write_text(text + "\n\nimport sys\nsys.exit(0)\n")
    (tmp_path / "quits.py").write_text(text + "\n\nexit()\n")
    reports = grade_many({"tested": tmp_path / "tested.py", "exits": tmp_path / "exits.py",
                          "quits": tmp_path / "quits.py"}, tmp_path / "out")
    guard = 'under `if __name__ == "__main__":`.'
    tested, exits = reports["tested"], reports["exits"]
    assert tested["score"] == exits["score"] == 0
    assert tested["error"].endswith("nothing could be graded. Code at the top level of a file "
                                    "runs when the grader imports it: keep tests and experiments "
                                    + guard), tested["error"]
    assert "my own test" in tested["error"]
    assert exits["error"].endswith("nothing could be graded. exit() and sys.exit() at the top "
                                   "level of a file end its import, as the grader imports it: "
                                   "call them " + guard), exits["error"]
    # The line of the file that called it, not exit()'s own frame (a frozen module's line 26),
    # and exit()'s None is no message.
    lines = len((tmp_path / "quits.py").read_text().splitlines())
    assert (f"(SystemExit in quits.py, line {lines}: exit() or sys.exit() was called); nothing "
            "could be graded") in reports["quits"]["error"], reports["quits"]["error"]
    lines = len((tmp_path / "exits.py").read_text().splitlines())
    assert f"line {lines}: exit() or sys.exit() was called with 0)" in exits["error"]


def test_a_test_called_at_the_top_level_is_named_by_its_call_not_its_assert(tmp_path):
    """The starter's test_softmax_basic() left called at the bottom of q1_softmax.py, its assert
    failing: the report named the assert's line, and the line to put under the main guard, the
    call, was nowhere (probe s59). Both a file of a layout and a single file name the call."""
    call = "\n\ndef my_test():\n    assert softmax(np.array([1.0, 2.0]))[0] > 0.9, 'mine'\n\n\nmy_test()\n"
    layout = tmp_path / "assignment1"
    shutil.copytree(FIXTURES / "correct_multifile", layout)
    softmax = layout / "q1_softmax.py"
    softmax.write_text(softmax.read_text() + call)
    single = tmp_path / "hw1.py"
    single.write_text((FIXTURES / "correct_summed.py").read_text() + call)
    reports = grade_many({"layout": layout, "single": single}, tmp_path / "out",
                         "--only", "softmax")
    line = len(softmax.read_text().splitlines())
    shown = [c["message"] for c in reports["layout"]["checks"] if c["function"] == "softmax"]
    assert shown and all(f"a call that line {line} makes when the file is imported (`my_test()`)"
                         in m for m in shown), shown
    line = len(single.read_text().splitlines())
    assert f"Line {line} (`my_test()`) is such code" in reports["single"]["error"], \
        reports["single"]["error"]


def test_top_level_code_that_stops_the_file_gets_the_main_guard_advice(tmp_path):
    """The starter's q3_run.py trains at its top level on what utils.treebank (not in the
    upload) provides: the import is let through, and the loop over it, like a lone assignment
    from the module (`dataset = StanfordSentiment()`), is skipped and named, and the file goes
    on (grader/worker/missing_imports.py). Top-level code that fails for a reason of its own (a
    data file of the student's machine) still stops the file, and the advice is the main guard;
    an import statement that fails needs no such advice."""
    text = (FIXTURES / "correct_summed.py").read_text()
    head = "\n\nfrom utils.treebank import StanfordSentiment\n"
    (tmp_path / "hw1.py").write_text(
        text + head + "for sentence in StanfordSentiment().sentences():\n    print(sentence)\n")
    (tmp_path / "assigned.py").write_text(text + head + "dataset = StanfordSentiment()\n")
    (tmp_path / "bad_import.py").write_text(text + "\n\nfrom numpy import no_such_name\n")
    (tmp_path / "data.py").write_text(
        text + "\n\nfor line in open('sentences.txt'):\n    print(line)\n")
    reports = grade_many({"loop": tmp_path / "hw1.py", "assigned": tmp_path / "assigned.py",
                          "import": tmp_path / "bad_import.py", "data": tmp_path / "data.py"},
                         tmp_path / "out")
    loop, statement, assigned, data = (reports[k] for k in ("loop", "import", "assigned", "data"))
    assert statement["score"] == data["score"] == 0
    assert data["error"].endswith(
        'keep tests and experiments under `if __name__ == "__main__":`.'), data["error"]
    assert "sentences.txt" in data["error"]
    assert "no_such_name" in statement["error"] and "__main__" not in statement["error"]
    assert loop["score"] == 100, loop["error"]
    line = len((tmp_path / "hw1.py").read_text().splitlines()) - 1
    assert (f"hw1.py, line {line}: `for sentence in StanfordSentiment().sentences():` needs "
            "utils, which is not installed where your code is graded: the rest of that statement "
            "was skipped, and the code after it ran") in loop["warnings"], loop["warnings"]
    assert assigned["score"] == 100, assigned["error"]
    line = len((tmp_path / "assigned.py").read_text().splitlines())
    assert (f"assigned.py, line {line}: `dataset = StanfordSentiment()` needs utils, which is not "
            "installed where your code is graded: that statement was skipped and the code after "
            "it ran; code that uses dataset fails, saying utils is missing") in \
        assigned["warnings"], assigned["warnings"]


def test_syntax_error_gets_no_top_level_advice(reports):
    assert "__main__" not in reports["syntax_error"]["error"]


def test_missing_function_is_reported_and_the_rest_still_graded(reports):
    report = reports["missing_softmax"]
    fns = by_function(report)
    assert fns["softmax"]["score"] == 0
    assert all(fns[f]["score"] == fns[f]["max_score"] for f in FUNCTIONS if f != "softmax")
    assert all("softmax was not found" in c["message"] for c in checks_of(report, "softmax"))


def test_empty_upload_scores_zero_without_crashing(reports):
    report = reports["empty"]
    assert report["score"] == 0
    assert all(c["status"] == "failed" and "was not found: your submission is empty (empty.py "
               "holds nothing)" in c["message"] for c in report["checks"]), report["checks"][0]
    assert report["error"].startswith("your submission is empty: empty.py holds nothing"), \
        report["error"]


@pytest.mark.parametrize("extra", [(), ("--no-reference",)])
def test_grading_is_deterministic(tmp_path, extra):
    """Failing property checks included: the shrunk counterexamples must be the same too."""
    buggy = ROOT / "examples" / "submission.py"
    first = grade(buggy, tmp_path / "a", *extra)
    second = grade(buggy, tmp_path / "b", *extra)
    for volatile in ("timings", "isolation", "versions", "submission", "_terminal", "_stderr"):
        first.pop(volatile), second.pop(volatile)
    assert any(c["status"] == "failed" for c in first["checks"])
    assert first == second


def test_the_users_pytest_settings_change_no_grade(tmp_path):
    """The checks run under pytest in the grader's process: PYTEST_ADDOPTS="-x" in a student's
    shell gave the example 30/38 instead of 43/100 ("every check ran here"), "-k softmax" 15/15,
    in a batch's gradebook too; "--lf" or PYTEST_PLUGINS of the user's refused to grade, blaming
    the pack. Those are the user's settings for their own tests, never the grader's."""
    buggy = ROOT / "examples" / "submission.py"
    plain = grade(buggy, tmp_path / "plain")
    for settings in ({"PYTEST_ADDOPTS": "-x"}, {"PYTEST_ADDOPTS": "-k softmax --lf"},
                     {"PYTEST_PLUGINS": "no_such_plugin_of_the_users"}):
        theirs = grade(buggy, tmp_path / "theirs", env=settings)
        assert (theirs["score"], theirs["max_score"]) == (plain["score"], plain["max_score"]) \
            == (43, 100), settings
        assert [(c["function"], c["name"], c["status"], c["message"]) for c in theirs["checks"]] \
            == [(c["function"], c["name"], c["status"], c["message"]) for c in plain["checks"]]


def test_softmax_modifying_its_input_warns_without_deduction(reports):
    report = reports["multifile"]  # its q1_softmax.py works in place, as the handout allows
    assert report["score"] == 100
    assert any("softmax changes its input in place" in w for w in report["warnings"])
    assert not any("in place" in w for w in reports["summed"]["warnings"])


def test_syntax_error_in_one_file_of_the_layout_spares_the_others(tmp_path):
    sub = tmp_path / "hw"
    shutil.copytree(FIXTURES / "correct_multifile", sub)
    source = (sub / "q2_sigmoid.py").read_text()
    (sub / "q2_sigmoid.py").write_text('print("unclosed"\n' + source)
    report = grade(sub, tmp_path / "out")
    fns = by_function(report)
    assert fns["softmax"]["score"] == fns["softmax"]["max_score"]
    assert fns["sigmoid"]["score"] == fns["forward_backward_prop"]["score"] == 0
    sigmoid_msg = checks_of(report, "sigmoid")[0]["message"]
    assert "SyntaxError in q2_sigmoid.py, line 1" in sigmoid_msg
    # q2_neural.py itself imports (q2_sigmoid stands in for the broken file), so the network
    # fails where it calls sigmoid, and the message says why and where the cause is.
    neural_msg = checks_of(report, "forward_backward_prop")[0]["message"]
    assert ("forward_backward_prop raised ImportError: sigmoid is not available: q2_sigmoid.py "
            "could not be imported (SyntaxError in q2_sigmoid.py, line 1)") in neural_msg


def test_without_reference_values_come_from_the_known_answers(tmp_path):
    report = grade(FIXTURES / "correct_summed.py", tmp_path, "--no-reference")
    assert report["reference"] is False
    assert all(c["status"] == "passed" for c in report["checks"])
    assert report["inputs"]["answers"] == "known answers" and report["inputs"]["instructor_points"] == 0
    # every function has checks of its values here, not only checks of itself
    assert {c["function"] for c in report["checks"] if c["kind"] == "values"} == set(FUNCTIONS)
    assert "points checked against them; every check ran here" in report["_terminal"].replace("\n  ", " ")


def test_an_upload_that_could_not_be_read_is_not_said_to_have_run_every_check(tmp_path):
    """A student's copy said "every check ran here" of an empty file, a .pyc or a file
    without a suffix, which ran none."""
    (tmp_path / "hw1.py").write_text("")
    report = grade(tmp_path / "hw1.py", tmp_path / "out", "--no-reference")
    assert report["error"] and report["score"] == 0
    said = report["_terminal"].replace("\n  ", " ")
    assert "points checked against them." in said and "every check ran here" not in said


def test_without_reference_or_known_answers_values_are_left_to_the_instructor(tmp_path):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": 1, "pack": "another-course", "checks": {}}))
    report = grade(FIXTURES / "correct_summed.py", tmp_path, "--no-reference", "--known-answers", str(other))
    assert any("known answers not used" in w for w in report["warnings"])
    skipped = [c for c in report["checks"] if c["status"] == "skipped"]
    assert skipped and all("checked by your instructor's grader" in c["message"] for c in skipped)
    assert all(c["kind"] in ("values", "robustness") for c in skipped)
    # What compares a function with itself, or checks how it computes, still runs, but cannot
    # earn points unchecked.
    held = [c for c in report["checks"] if c["points_withheld"]]
    assert held and all(c["status"] == "passed" and c["kind"] in ("consistency", "method")
                        for c in held)
    assert {c["kind"] for c in held} == {"consistency", "method"}
    assert all("cannot do" in c["points_withheld"] for c in held)
    assert report["inputs"]["answers"] == "none"


def test_a_missing_known_answers_file_is_a_usage_error(tmp_path):
    proc = run_cli("grade", str(FIXTURES / "correct_summed.py"), "--no-reference",
                   "--known-answers", str(tmp_path / "nope.json"))
    assert proc.returncode == 2 and "--known-answers" in proc.stderr


def test_student_copy_without_reference_folder(tmp_path):
    """A wheel-installed grader has no reference/ beside it; simulate with an empty env var."""
    copy = tmp_path / "grader_copy"
    shutil.copytree(ROOT / "grader", copy / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(FIXTURES / "correct_summed.py"),
                           "--json", str(tmp_path / "r.json")], cwd=copy, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(copy)}, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["reference"] is False
    # The known answers ship inside the package: the copy checks values without the reference.
    assert report["inputs"]["answers"] == "known answers" and report["score"] == 100


def test_missing_submission_is_a_usage_error():
    proc = run_cli("grade", "no/such/file.py")
    assert proc.returncode == 2
    assert "no such file or folder" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unreadable_submission_kind_gets_a_report(tmp_path):
    weird = tmp_path / "homework.txt"
    weird.write_text("hello")
    report = grade(weird, tmp_path / "out")
    assert report["score"] == 0
    assert "expected a .py file" in report["error"]


def test_a_suffix_in_capitals_is_the_same_kind_of_file(tmp_path):
    """gina.PY (saved so on Windows) was accepted by a batch as an upload, then refused by the
    grade: 'expected a .py file'."""
    shutil.copy(FIXTURES / "correct_summed.py", tmp_path / "gina.PY")
    report = grade(tmp_path / "gina.PY", tmp_path / "out")
    assert report["score"] == 100, report["error"]


def test_notebook_submission(tmp_path):
    source = (FIXTURES / "correct_summed.py").read_text()
    nb = {"cells": [{"cell_type": "markdown", "source": ["# my homework"]},
                    {"cell_type": "code", "source": ["%matplotlib inline\n", source]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "homework.ipynb"
    path.write_text(json.dumps(nb))
    assert grade(path, tmp_path / "out")["score"] == 100


def test_links_and_special_files_in_an_upload_are_left_out_and_named(tmp_path):
    """A folder of links to the reference would be graded as the reference wherever the worker
    can read it (process isolation): links are never followed, nor are special files read, in a
    folder or a zip; each one left out is named. A named pipe as the upload is a usage error."""
    links = tmp_path / "links"
    links.mkdir()
    for path in sorted((ROOT / "reference").glob("q*.py")):
        (links / path.name).symlink_to(path)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    shutil.copyfile(FIXTURES / "correct_summed.py", mixed / "hw1.py")
    os.mkfifo(mixed / "zz.py")
    (mixed / "data").symlink_to("/etc")
    zipped = tmp_path / "zipped.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(FIXTURES / "correct_summed.py", "hw1.py")
        link = zipfile.ZipInfo("q2_neural.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, str(ROOT / "reference" / "q2_neural.py"))
    reports = grade_many({"links": links, "mixed": mixed, "zipped": zipped}, tmp_path / "out",
                         "--isolation", "process")
    left_out = "was left out: it is {}, and grading never follows a link or reads a special file."
    assert reports["links"]["score"] == 0
    assert "holds no Python file" in reports["links"]["error"]
    assert f"q1_softmax.py {left_out.format('a symbolic link')}" in " ".join(
        reports["links"]["warnings"])
    assert reports["mixed"]["score"] == reports["zipped"]["score"] == 100
    said = " ".join(reports["mixed"]["warnings"])
    assert f"zz.py {left_out.format('not a regular file')}" in said
    assert f"data {left_out.format('a symbolic link')}" in said
    assert f"q2_neural.py {left_out.format('a symbolic link')}" in " ".join(
        reports["zipped"]["warnings"])
    pipe = tmp_path / "pipe.py"
    os.mkfifo(pipe)
    proc = run_cli("grade", str(pipe))
    assert proc.returncode == 2 and "neither a file nor a folder" in proc.stderr, proc.stderr


@pytest.mark.parametrize("damage,says", [
    ("encrypted", "it is encrypted (a password-protected zip): zip your files again without a "
                  "password"),
    ("bad_crc", "the zip is damaged (Bad CRC-32 for file 'hw1.py'): zip your files again"),
    ("file_and_folder", "does the zip hold a file and a folder of the same name?"),
], ids=["encrypted", "bad_crc", "file_and_folder"])
def test_a_zip_that_cannot_be_unpacked_says_why(tmp_path, damage, says):
    upload = tmp_path / "hw.zip"
    data = (FIXTURES / "correct_summed.py").read_bytes()
    with zipfile.ZipFile(upload, "w") as zf:
        if damage == "file_and_folder":
            zf.writestr("hw1.py", data)
            zf.writestr("hw1.py/notes.py", b"x = 1\n")
        else:
            zf.writestr("hw1.py", data)
    raw = bytearray(upload.read_bytes())
    if damage == "encrypted":  # the general-purpose flag's bit 0, in both headers
        raw[6] |= 1
        central = raw.rfind(b"PK\x01\x02")
        raw[central + 8] |= 1
    elif damage == "bad_crc":
        raw[14] ^= 0xFF  # the local header's CRC-32
        central = raw.rfind(b"PK\x01\x02")
        raw[central + 16] ^= 0xFF
    upload.write_bytes(bytes(raw))
    report = grade(upload, tmp_path / "out")
    assert report["score"] == 0
    assert says in report["error"], report["error"]
    assert "broke the grader's worker" not in report["error"]


def test_an_array_of_a_dtype_that_does_not_cross_is_named_by_its_dtype(tmp_path):
    """An object, text or record array cannot cross as numbers: the message names its dtype,
    not 'a numpy.ndarray; expected a numpy array'."""
    (tmp_path / "hw1.py").write_text(
        "import numpy as np\n\n\ndef sigmoid(x):\n    return np.asarray(x).astype(object)\n")
    report = grade(tmp_path / "hw1.py", tmp_path / "out", "--only", "sigmoid")
    messages = {c["message"].splitlines()[0] for c in checks_of(report, "sigmoid")
                if c["status"] == "failed" and c["name"] != "scalar_input"}
    assert messages == {"the result has dtype object; expected real numbers."}, messages


def test_an_upload_over_the_limit_is_graded_without_its_data_and_says_which(tmp_path, monkeypatch):
    """The 2017 assignment's folder carries utils/datasets/ (a 165 MiB GloVe file) and
    saved_params_*.npy: zipped whole it got 0 ("holds 180 MiB; the limit is 50 MiB"), its code
    never run. What is not code is left out, largest first, and named; code alone over the limit
    is still refused, naming the largest files."""
    from grader import grading, proxy
    from grader.session import Options
    monkeypatch.setattr(proxy, "MAX_UPLOAD_BYTES", 100_000)
    folder = tmp_path / "assignment1"
    (folder / "utils" / "datasets").mkdir(parents=True)
    shutil.copy(FIXTURES / "correct_summed.py", folder / "q2_neural.py")
    (folder / "utils" / "datasets" / "saved_params_40000.npy").write_bytes(os.urandom(300_000))
    (folder / "utils" / "datasets" / "vocab.txt").write_bytes(b"w\n" * 1000)  # kept: it fits
    archive = tmp_path / "assignment1.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            zf.write(path, path.relative_to(tmp_path).as_posix())
    for upload, prefix in ((folder, ""), (archive, "assignment1/")):
        left: list = []
        copied = proxy.copy_upload(upload, tmp_path / f"scratch-{upload.suffix}", too_large=left)
        assert left == [(f"{prefix}utils/datasets/saved_params_40000.npy", 300_000)]
        if upload.is_dir():
            kept = sorted(p.relative_to(copied).as_posix() for p in copied.rglob("*") if p.is_file())
        else:
            kept = sorted(n for n in zipfile.ZipFile(copied).namelist() if not n.endswith("/"))
        assert kept == [f"{prefix}q2_neural.py", f"{prefix}utils/datasets/vocab.txt"], kept
        monkeypatch.setenv("AUTOGRADE_CACHE_DIR", "off")
        result = grading.grade_to_files(submission=upload, options=Options(isolation="process"),
                                        only=["sigmoid"])
        assert result.error == "" and result.score == result.max_score, result.error
        assert [w for w in result.warnings if "limit" in w] == [
            "your upload is over the grader's limits (0.0953674 MiB, 2,000 files), so files that "
            "are not code were left "
            f"out, largest first: {prefix}utils/datasets/saved_params_40000.npy (292 KiB). Only "
            "your code is graded (.py files, notebooks): code that reads these files does not "
            "find them. Leave data and saved parameters out of the upload."], result.warnings
    (folder / "q3_word2vec.py").write_text("# " + "x" * 120_000 + "\n")
    with pytest.raises(proxy.UploadTooLarge) as raised:
        proxy.copy_upload(folder, tmp_path / "scratch-code")
    assert str(raised.value).startswith("the submission holds 0 MiB; the limit is 0 MiB. Its "
                                        "largest files: utils/datasets/saved_params_40000.npy "
                                        "(292 KiB), q3_word2vec.py (117 KiB)"), raised.value


def test_a_name_as_long_as_the_file_system_allows_is_graded(tmp_path):
    """A stem of 235 bytes and more (an LMS's prefix on 80 CJK letters) got 0 with "your code
    broke the grader's worker": the worker's own file beside it passed the 255-byte limit."""
    stem = "学" * 80  # 240 bytes
    source = (FIXTURES / "correct_summed.py").read_text(encoding="utf-8")
    (tmp_path / f"{stem}.py").write_text(source, encoding="utf-8")
    (tmp_path / f"{stem}.ipynb").write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                   "source": source}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    for upload in (tmp_path / f"{stem}.py", tmp_path / f"{stem}.ipynb"):
        report = tmp_path / f"{upload.suffix[1:]}.json"
        proc = run_cli("grade", str(upload), "--json", str(report))
        assert proc.returncode == 0, proc.stderr
        assert json.loads(report.read_text())["score"] == 100, (upload.suffix, proc.stdout)


def test_a_non_ascii_name_is_graded_under_a_latin1_locale(tmp_path):
    """The worker reads names as UTF-8 (-X utf8); the grader as its locale does. Under
    LC_ALL=de_DE.ISO-8859-1 `é.py` decoded by one and encoded by the other named no file, and a
    correct upload got 0 ("your code broke the grader's worker")."""
    locales = tmp_path / "locales"
    locales.mkdir()
    made = subprocess.run(["localedef", "-i", "de_DE", "-f", "ISO-8859-1",
                           str(locales / "de_DE.ISO-8859-1")], capture_output=True)
    env = {**os.environ, "LOCPATH": str(locales), "LC_ALL": "de_DE.ISO-8859-1",
           "AUTOGRADE_CACHE_DIR": "off", "PYTHONUTF8": "0"}
    env.pop("AUTOGRADE_REFERENCE", None)
    encoding = subprocess.run([sys.executable, "-c", "import sys; print(sys.getfilesystemencoding())"],
                              env=env, capture_output=True, text=True).stdout.strip()
    if made.returncode not in (0, 1) or encoding not in ("iso8859-1", "latin-1"):
        pytest.skip(f"no Latin-1 locale can be made here (localedef: {made.returncode}, "
                    f"file system encoding {encoding!r})")
    upload = tmp_path / "mon devoir é.py"
    shutil.copy(FIXTURES / "correct_summed.py", upload)
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", os.fsdecode(bytes(upload)),
                           "--json", str(report)], env=env, cwd=ROOT, capture_output=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(report.read_text(encoding="utf-8"))["score"] == 100


@pytest.mark.parametrize("codec, name", [("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"),
                                         ("utf-16-be", "UTF-16"), ("utf-32", "UTF-32")])
def test_a_file_saved_as_utf16_is_read_and_the_student_told_to_save_utf8(tmp_path, codec, name):
    """Windows Notepad's "Unicode" is UTF-16 with a byte-order mark: Python refuses it (null
    bytes), the grader reads it as what it is, as it reads Latin-1, and says how to save it. So
    too without the mark (it was called binary data) and as UTF-32 (a SyntaxError)."""
    (tmp_path / "hw1.py").write_bytes(
        (FIXTURES / "correct_summed.py").read_text().encode(codec))
    report = grade(tmp_path / "hw1.py", tmp_path / "out")
    assert report["score"] == 100, report["error"]
    assert any(w.startswith(f"hw1.py is saved as {name}") and
               w.endswith("save it as UTF-8 (in Notepad: Save As, Encoding UTF-8).")
               for w in report["warnings"]), report["warnings"]


def test_a_zip_zipped_again_is_unpacked_once_more_and_no_deeper(tmp_path):
    """Zipping the zip (a common slip) costs nothing; a third level is named, not searched."""
    def zip_of(path: Path, name: str, data: bytes) -> Path:
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr(name, data)
        return path

    inner = zip_of(tmp_path / "hw.zip", "hw1.py", (FIXTURES / "correct_summed.py").read_bytes())
    twice = zip_of(tmp_path / "twice.zip", "hw.zip", inner.read_bytes())
    thrice = zip_of(tmp_path / "thrice.zip", "twice.zip", twice.read_bytes())
    reports = grade_many({"twice": twice, "thrice": thrice}, tmp_path / "out")
    assert reports["twice"]["score"] == 100, reports["twice"]["error"]
    assert reports["thrice"]["score"] == 0
    assert reports["thrice"]["error"].endswith(
        "holds no Python file (.py) and no notebook (.ipynb); it holds hw.zip: upload the files "
        "themselves, or one zip of them"), reports["thrice"]["error"]


def test_a_zip_holding_a_file_twice_grades_the_later_copy_and_says_so(tmp_path):
    """A zip updated by adding a file again (Python's zipfile in "a" mode, some LMS re-zips)
    holds the name twice: the student cannot tell which version was graded unless told."""
    upload = tmp_path / "hw.zip"
    with zipfile.ZipFile(upload, "w") as zf:
        zf.writestr("hw1.py", (FIXTURES / "missing_softmax.py").read_bytes())
    with zipfile.ZipFile(upload, "a") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("hw1.py", (FIXTURES / "correct_summed.py").read_bytes())
    report = grade(upload, tmp_path / "out")
    assert report["score"] == 100, report["error"]
    assert ("your zip holds hw1.py more than once (a zip updated by adding files again); the "
            "last copy in the zip was graded. Make a fresh zip that holds each file once, so "
            "that you know which version is graded.") in report["warnings"], report["warnings"]


def test_a_pdf_handed_in_as_a_py_file_is_named_for_what_it_is(tmp_path):
    """Not a syntax error on line 1, nor advice on saving as UTF-8 or on top-level code."""
    (tmp_path / "hw1.py").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n")
    report = grade(tmp_path / "hw1.py", tmp_path / "out")
    assert report["score"] == 0
    assert ("NotPython in hw1.py: this is a PDF document saved under a .py name, not Python "
            "code: upload your .py file itself") in report["error"], report["error"]
    assert "__main__" not in report["error"]
    assert not any("UTF-8" in w for w in report["warnings"]), report["warnings"]


def test_bytes_that_are_no_text_are_named_binary_not_a_file_to_resave_as_utf8(tmp_path):
    """Random bytes (or a .pyc) under a .py name were read as Windows-1252 text: "not saved as
    UTF-8 ... and 8649 more such bytes", advice to re-save a file that holds no text."""
    import random
    noise = random.Random(7).randbytes(20000)
    (tmp_path / "hw1.py").write_bytes(noise if b"\x00" in noise[:4096] else b"\x00" + noise)
    report = grade(tmp_path / "hw1.py", tmp_path / "out")
    assert report["score"] == 0
    assert ("NotPython in hw1.py: this is binary data (it holds NUL bytes, which no text file "
            "has) saved under a .py name, not Python code") in report["error"], report["error"]
    assert not any("UTF-8" in w for w in report["warnings"]), report["warnings"]


def test_a_file_renamed_by_a_browser_is_imported_by_the_name_the_others_use(tmp_path):
    """A folder of the four files where q2_sigmoid.py came back as `q2_sigmoid (1).py` (a browser
    downloading it twice) or `Q2_Sigmoid.py`: q2_neural.py's `from q2_sigmoid import sigmoid`
    found nothing, and a correct upload scored 30. The one look-alike is imported under the
    layout's name, with a warning; two look-alikes are not guessed between."""
    renamed = {"browser": "q2_sigmoid (1).py", "capitals": "Q2_Sigmoid.py",
               "windows": "q2_sigmoid - Copy.py", "mac": "q2_sigmoid 2.py",
               "twice": "q2_sigmoid (1) (1).py", "extension": "q2_sigmoid.py.py"}
    uploads = {}
    for key, names in [*((k, [v]) for k, v in renamed.items()),
                       ("two_copies", ["q2_sigmoid (1).py", "q2_sigmoid (2).py"]),
                       ("beside_the_stub", ["q2_sigmoid (1).py"])]:
        folder = tmp_path / key
        shutil.copytree(FIXTURES / "correct_multifile", folder)
        sigmoid = folder / "q2_sigmoid.py"
        for name in names:
            shutil.copyfile(sigmoid, folder / name)
        sigmoid.unlink()
        if key == "beside_the_stub":  # the starter's file, uploaded beside the student's own
            shutil.copyfile(ROOT / "student_template" / "q2_sigmoid.py", sigmoid)
        uploads[key] = folder
    reports = grade_many(uploads, tmp_path / "out")
    for key, shown in renamed.items():
        report = reports[key]
        assert report["score"] == 100, (key, report["error"], [
            (c["name"], c["message"]) for c in report["checks"] if c["status"] != "passed"])
        assert (f"{shown} was imported as q2_sigmoid, the name your other files import it by: "
                "name it q2_sigmoid.py, as the assignment does") in " ".join(report["warnings"])
    stub = reports["beside_the_stub"]
    assert stub["score"] == 100, stub["warnings"]
    assert ("q2_sigmoid (1).py was imported as q2_sigmoid, in place of q2_sigmoid.py, which holds "
            "only the starter's unfinished functions") in " ".join(stub["warnings"])
    two = reports["two_copies"]
    assert two["score"] < 100
    assert not any("was imported as" in w for w in two["warnings"])
    assert any("q2_sigmoid.py is not in your submission (q2_sigmoid (1).py and q2_sigmoid (2).py "
               "look like it: keep one, named q2_sigmoid.py" in c["message"]
               for c in two["checks"])


STANDARD_STREAMS_USED = {
    "reconfigure": 'sys.stdout.reconfigure(encoding="utf-8")\n',
    "buffer": 'sys.stdout.buffer.write("\u03c3 ready\\n".encode("utf-8"))\nsys.stderr.buffer.flush()\n',
    "encoding": 'print("stdout speaks", sys.stdout.encoding.lower())\n',
    "fileno": 'os.isatty(sys.stdout.fileno())\n',
}


def test_code_that_uses_the_standard_streams_as_files_is_graded(tmp_path):
    """sys.stdout and sys.stderr are the worker's bounded capture while a submission runs: a
    correct file whose import ran sys.stdout.reconfigure(...) (a Windows habit), wrote to
    sys.stdout.buffer, read sys.stdout.encoding or asked for its fileno() scored 0, told
    "'BoundedText' object has no attribute ..." (probe s53)."""
    code = (FIXTURES / "correct_summed.py").read_text()
    uploads = {}
    for name, lines in STANDARD_STREAMS_USED.items():
        uploads[name] = tmp_path / name / "hw1.py"
        uploads[name].parent.mkdir()
        uploads[name].write_text("import os\nimport sys\n" + lines + code, encoding="utf-8")
    reports = grade_many(uploads, tmp_path / "out")
    for name, report in reports.items():
        assert report["score"] == 100, (name, [c["message"] for c in report["checks"]
                                               if c["status"] != "passed"][:2])
    assert "\u03c3 ready" in reports["buffer"]["import_output"]
    assert "stdout speaks utf-8" in reports["encoding"]["import_output"]


def test_a_folder_of_more_files_than_a_zip_may_hold_is_graded_without_its_data(tmp_path):
    """A folder of 5,001 files (the code and a dataset of small files) filled the worker's scratch
    space: 0, with the grader's own traceback in the report (10,500: no report, exit 70; probe
    s53). The files that are not code beyond the zip's limit are left out and named; code alone
    over it is refused in one line."""
    folder = tmp_path / "a1"
    (folder / "data").mkdir(parents=True)
    shutil.copy(FIXTURES / "correct_summed.py", folder / "hw1.py")
    for i in range(2100):
        (folder / "data" / f"f{i:04d}.txt").write_text("x" * (1 + i % 7))
    report = grade(folder, tmp_path / "out", "--only", "sigmoid")
    assert report["error"] == "" and report["score"] == report["max_score"], report["error"]
    said, = [w for w in report["warnings"] if "limits" in w]
    assert said.startswith("your upload is over the grader's limits (50 MiB, 2,000 files), so "
                           "files that are not code were left out, largest first: data/"), said
    assert "Traceback" not in json.dumps(report)
    for i in range(2001):
        (folder / f"m{i:04d}.py").write_text("x = 1\n")
    refused = grade(folder, tmp_path / "out2", "--only", "sigmoid")
    assert refused["score"] == 0 and "files of code (.py, notebooks); the limit is 2000" in \
        refused["error"], refused["error"]



def test_a_file_saved_with_txt_added_is_told_its_name(tmp_path):
    """Notepad's "Save as" makes hw1.py.txt: 0, told only what kinds of file are graded."""
    upload = tmp_path / "hw1.py.txt"
    shutil.copy(FIXTURES / "correct_summed.py", upload)
    report = grade(upload, tmp_path / "out", "--only", "sigmoid")
    assert report["score"] == 0
    assert report["error"].endswith("It looks like a .py file saved with .txt added: rename it "
                                    "hw1.py."), report["error"]


def test_a_zip_rewritten_within_the_limit_keeps_its_names_as_the_worker_reads_them(tmp_path):
    """A zip whose names are UTF-8 without the zip's UTF-8 mark (many tools write so) is read
    as UTF-8 (José.py); rewritten without its data to fit the limit, it was written under the
    names as read in cp437 (JosÃ©.py), which the worker then took as they were."""
    import zipfile

    from grader import proxy
    upload = tmp_path / "a1.zip"
    with zipfile.ZipFile(upload, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("JosXY.py", (FIXTURES / "correct_summed.py").read_text())
        zf.writestr("data/big.bin", b"\0" * (proxy.MAX_UPLOAD_BYTES + 2**20))
    raw = upload.read_bytes()
    upload.write_bytes(raw.replace(b"JosXY.py", "José.py".encode("utf-8")))
    assert zipfile.ZipFile(upload).namelist()[0] != "José.py"  # unmarked: cp437 to zipfile
    left: list = []
    copied = proxy.copy_upload(upload, tmp_path / "scratch", too_large=left)
    assert [name for name, _ in left] == ["data/big.bin"]
    assert zipfile.ZipFile(copied).namelist() == ["José.py"]


def test_a_text_file_with_a_stray_nul_byte_is_told_what_python_says(tmp_path):
    """One NUL byte in a comment of a correct file (an editor's slip): Python refuses the file,
    but it is text, not the "binary data (it holds NUL bytes, which no text file has)" it was
    called (probe s53)."""
    lines = (FIXTURES / "correct_summed.py").read_text().splitlines(keepends=True)
    lines.insert(7, "# a comment with a stray \x00 byte\n")
    (tmp_path / "hw1.py").write_text("".join(lines))
    report = grade(tmp_path / "hw1.py", tmp_path / "out", "--only", "sigmoid")
    assert report["score"] == 0
    assert "null bytes" in report["error"] and "binary" not in report["error"], report["error"]


def test_what_the_failing_call_printed_is_shown_not_the_first_calls(tmp_path):
    """A check's captured output kept its first 4,000 characters and the terminal its first 20
    lines: the prints of the calls made first, never those of the failing call, which a check
    makes last (probe s55: a score printed under a call that cannot give it). Here the known
    values are asked as floats (right), then as the handout's integers (wrong)."""
    source = (FIXTURES / "correct_summed.py").read_text()
    old = "def sigmoid(x):\n"
    assert source.count(old) == 1
    wrong = source.replace(old, "def sigmoid(x):\n    kind = np.asarray(x).dtype.name\n"
                                "    for line in range(25):\n"
                                "        print('sigmoid got', kind, 'line', line, 'pad' * 40)\n"
                                "    if kind.startswith('int'):\n        return np.zeros(np.shape(x))\n"
                                "    return _sigmoid_ok(x)\n\n\ndef _sigmoid_ok(x):\n")
    upload = tmp_path / "hw.py"
    upload.write_text(wrong)
    report = grade(upload, tmp_path / "out", "-v", "--only", "sigmoid")
    check = next(c for c in report["checks"] if c["name"] == "known_values")
    assert check["status"] == "failed" and "int64" in check["message"], check["message"]
    printed = check["output"].splitlines()
    assert printed[-1].startswith("sigmoid got int64 line 24"), printed[-3:]
    assert printed[0].startswith("... (the first ") and "characters cut" in printed[0]
    terminal = report["_terminal"]
    assert re.search(r"your code printed \(\d+ lines; the last 20, those of the last calls\):"
                     r"\n +\| sigmoid got int64", terminal), terminal[:3000]


@pytest.mark.parametrize("mode", [(), ("--no-reference",)], ids=["instructor", "student"])
def test_a_failing_property_check_shows_what_its_reported_example_printed_only(tmp_path, mode):
    """Hypothesis runs a property check on many examples and reports the one it ran last (a
    student's copy, the first of the known answers' examples that fails): the prints of the
    other examples' calls, shown under it, told of inputs it was never called with (probe s57:
    a network's prints of shapes (3, 3) under a call of shape (3, 2))."""
    source = (FIXTURES / "correct_summed.py").read_text()
    old = "def softmax(x):\n"
    assert source.count(old) == 1
    wrong = source.replace(old, "def softmax(x):\n    print('softmax got', np.shape(x))\n"
                                "    if np.shape(x)[-1] == 3:\n        return np.ones(np.shape(x))\n"
                                "    return _softmax_ok(x)\n\n\ndef _softmax_ok(x):\n")
    upload = tmp_path / "hw.py"
    upload.write_text(wrong)
    report = grade(upload, tmp_path / "out", "--only", "softmax", *mode)
    failed = [c for c in report["checks"] if c["status"] == "failed" and c["counterexample"]]
    assert failed, [(c["name"], c["status"]) for c in report["checks"]]
    for check in failed:
        called = re.search(r"with shape \(([\d, ]+)\)", check["message"])
        assert called, check["message"]
        shape = "(" + called.group(1) + ")"
        printed = check["output"].splitlines()
        assert printed and all(line == f"softmax got {shape}" for line in printed), \
            (check["name"], shape, printed[:5])


def test_a_function_that_never_answers_is_not_said_to_answer_the_same_whatever_its_inputs(tmp_path):
    """`while True: pass` reads no parameter, but it never answers either: its checks' timeouts
    say so, and the warning that it "answers the same whatever it is called with" told the
    student something untrue (probe s58). One that answers without reading them is still told."""
    source = (FIXTURES / "correct_summed.py").read_text()
    old = "def sigmoid_grad(s):\n"
    assert source.count(old) == 1
    looping = source.replace(old, "def sigmoid_grad(s):\n    while True:\n        pass\n\n\n"
                                  "def _unused(s):\n")
    constant = source.replace(old, "def sigmoid_grad(s):\n    return 0.25\n\n\ndef _unused(s):\n")
    said = {}
    for name, code in {"looping": looping, "constant": constant}.items():
        (tmp_path / f"{name}.py").write_text(code)
        report = grade(tmp_path / f"{name}.py", tmp_path / name, "--only", "sigmoid_grad",
                       "--call-timeout", "0.5")
        said[name] = [w for w in report["warnings"] if "never reads its parameters" in w]
        if name == "looping":
            assert {c["status"] for c in report["checks"]} == {"timeout"}, report["checks"]
    assert said["looping"] == [] and len(said["constant"]) == 1, said


def test_a_printed_line_like_the_workers_cut_is_never_taken_for_it(tmp_path):
    """A student's own line `... (12 more characters not shown)`, printed last at import and in
    a call, was read as the worker's cut: "60 more lines and 12 more characters not shown" under
    101 printed lines of which nothing was cut, and the check's output marked as cut (recheck
    probe s58). The cut is carried apart from the text."""
    marker = "... (12 more characters not shown)"
    source = (FIXTURES / "correct_summed.py").read_text()
    old = "def sigmoid(x):\n"
    assert source.count(old) == 1
    loud = source.replace(old, f"def sigmoid(x):\n    print({marker!r})\n"
                               "    return _sigmoid_ok(x)\n\n\ndef _sigmoid_ok(x):\n")
    loud += f"\nfor _i in range(100):\n    print('line', _i)\nprint({marker!r})\n"
    upload = tmp_path / "hw.py"
    upload.write_text(loud)
    report = grade(upload, tmp_path / "out", "-v", "--only", "sigmoid")
    lines = report["_terminal"].splitlines()
    assert lines[lines.index("  | line 39") + 1] == "  ... (61 more lines not shown)", lines
    printed = [c for c in report["checks"] if c["output"]]
    assert printed and not any(c["output_truncated"] for c in printed), printed
    assert report["import_output"].rstrip().endswith(marker)
    assert report["import_output_dropped"] == 0


def test_brief_call_names_arrays_by_shape_and_small_values_as_they_are():
    """The short call an error's default view shows (probe s60): one line, whatever the input."""
    from grader.checks_api import brief_call
    from grader.worker.wire import ReplayDataset
    assert brief_call("softmax", np.zeros((2, 1))) == "softmax(array of shape (2, 1))"
    assert brief_call("f", 0.5, np.array([1, 2]), "abc", (1, 2), None) == \
        "f(0.5, int64 array of shape (2,), 'abc', (1, 2), None)"
    long = brief_call("f", list(range(1000)), "x" * 10_000, ReplayDataset(tuple(range(100))))
    assert long == "f(a list of 1000 items, a str, dataset)"
    assert len(brief_call("f", *[np.zeros((9,) * 8)] * 50)) <= 200


def test_brief_of_a_checks_call_text_names_its_arrays_by_shape():
    """A failure's call, however a check wrote it (keywords, a dataset's draws on a line of their
    own, an array cut short), in the one line the default view shows."""
    from grader.checks_api import SHOWN_CHARS, brief_of, show
    text = (f"f(x={show(np.zeros((3, 2)))}, {show(np.arange(3.0))}, [2, 3], dataset, K=2)\n"
            "  dataset.sampleTokenIdx() returns, in turn: [1, 2]")
    assert brief_of(text) == "f(x=array of shape (3, 2), array of shape (3,), [2, 3], dataset, K=2)"
    wide = show(np.array(["x" * 600] * 5, dtype=object))
    assert len(wide) > SHOWN_CHARS
    assert brief_of(f"g({wide}, 1)") == "g(an array, 1)"
    assert len(brief_of("h(" + ", ".join(["1.5"] * 200) + ")")) <= 200


def test_a_wrong_value_says_by_default_what_was_called_and_what_came_back(tmp_path):
    """A wrong cost said "neither summed nor averaged (yours is half)" with no input and no number
    unless the student asked for --verbose (probe s60): every failure's default view says the
    call, arrays by their shape, and what came back and was expected where each fits a line."""
    single = tmp_path / "hw1.py"
    single.write_text((FIXTURES / "correct_summed.py").read_text() + (
        "\n\n_right = forward_backward_prop\n\n\ndef forward_backward_prop(*args):\n"
        "    cost, grad = _right(*args)\n    return cost / 2, grad\n"))
    report = grade(single, tmp_path / "out", "--only", "forward_backward_prop")
    failed = [c for c in report["checks"] if c["status"] == "failed"]
    assert failed
    for check in failed:
        assert check["evidence"]["called_briefly"].startswith(
            "forward_backward_prop(array of shape ("), check
    lines = report["_terminal"].splitlines()
    at = next(i for i, line in enumerate(lines) if "x cost_matches_reference:" in line)
    shown = "\n".join(lines[at:at + 8])
    assert re.search(r"\n +called: forward_backward_prop\(array of shape \(\d+, \d+\)", shown), shown
    cost = next(c for c in failed if c["name"] == "cost_matches_reference")
    came_back = cost["evidence"]["call"]["returned"]
    assert f"returned: {came_back}" in shown and re.search(r"\n +expected: [\d.]+ \(summed", shown), \
        shown
    # hypothesis's header over the input named the pack's test function, not the check (s60)
    assert re.match(r"(Failing|Falsifying) explicit example: cost_matches_reference\($",
                    cost["counterexample"].splitlines()[0]), cost["counterexample"]


def test_an_error_says_by_default_what_was_called(tmp_path):
    """A student's own assert on a column: the default view named the line that raised but not
    the input, shown only with -v (probe s60, aircon). The call is said, arrays by their shape,
    under the line that raised, and the checks that raised on the same call still fold as one."""
    single = tmp_path / "hw1.py"
    single.write_text((FIXTURES / "correct_summed.py").read_text() + (
        "\n\n_right_softmax = softmax\n\n\ndef softmax(x):\n"
        "    assert x.ndim == 1 or x.shape[1] > 1\n    return _right_softmax(x)\n"))
    report = grade(single, tmp_path / "out", "--only", "softmax")
    errors = [c for c in report["checks"] if c["status"] == "error"]
    assert errors
    for check in errors:
        assert re.fullmatch(r"softmax\(array of shape \(\d+, 1\)\)",
                            check["evidence"]["called_briefly"]), check
    lines = report["_terminal"].splitlines()
    raised = [i for i, line in enumerate(lines) if "line " in line and "in softmax: assert" in line]
    assert raised, report["_terminal"]
    for i in raised:
        assert re.fullmatch(r" +called: softmax\(array of shape \(\d+, 1\)\)", lines[i + 1]), \
            report["_terminal"]


def _misspelt_own_import(out: Path) -> Path:
    """The four 2017 files, all correct, but q2_neural.py imports softmax from `q1_softmx`."""
    folder = out / "misspelt_own_import"
    shutil.copytree(FIXTURES / "correct_multifile", folder)
    neural = folder / "q2_neural.py"
    neural.write_text(neural.read_text().replace("from q1_softmax import", "from q1_softmx import"))
    return folder


def test_a_name_bound_by_a_failed_import_is_no_other_definition(tmp_path):
    """q2_neural.py's `from q1_softmx import softmax` (a misspelt module of the upload's own)
    binds softmax to a stand-in that raises when called: no copy of softmax, so no warning
    that q2_neural.py defines another softmax, "an old copy" to remove (probe s61)."""
    report = grade(_misspelt_own_import(tmp_path), tmp_path / "out")
    assert by_function(report)["softmax"]["score"] == 15, report["warnings"]
    assert by_function(report)["forward_backward_prop"]["score"] == 0, report["warnings"]
    assert not any("more than one file" in w for w in report["warnings"]), report["warnings"]


def test_a_missing_module_one_letter_from_a_known_one_is_named(tmp_path):
    """A module that is not installed, one edit from a module of the upload's own (`q1_softmx`
    for q1_softmax.py) or from one the submission imports (`nunpy` for numpy): the warning and
    the failing check ask "did you mean ...?". A name near nothing gets no guess (probe s61)."""
    report = grade(_misspelt_own_import(tmp_path), tmp_path / "out")
    said = [w for w in report["warnings"] if "q1_softmx" in w]
    assert said and all("did you mean q1_softmax?" in w for w in said), report["warnings"]
    failed = [c["message"] for c in report["checks"]
              if c["function"] == "forward_backward_prop" and c["status"] != "passed"]
    assert failed and "did you mean q1_softmax?" in failed[0], failed[0]
    single = tmp_path / "hw1.py"
    text = (FIXTURES / "correct_summed.py").read_text()
    body = '    """Elementwise sigmoid of a scalar or an array."""\n'
    assert body in text
    single.write_text("import nunpy\nimport nosuchlib\n"
                      + text.replace(body, body + "    import nunpy\n"))
    report = grade(single, tmp_path / "out1")
    warned = {m: [w for w in report["warnings"] if f"imports {m}," in w]
              for m in ("nunpy", "nosuchlib")}
    assert warned["nunpy"] and "did you mean numpy?" in warned["nunpy"][0], report["warnings"]
    assert warned["nosuchlib"] and "did you mean" not in warned["nosuchlib"][0], warned
    # The import inside sigmoid fails where it is called, and says so too.
    failed = [c["message"] for c in report["checks"]
              if c["function"] == "sigmoid" and c["status"] != "passed"]
    assert failed and "No module named 'nunpy' (did you mean numpy?)" in failed[0], failed[0]
    assert by_function(report)["softmax"]["score"] == 15, report["warnings"]


@pytest.mark.parametrize("source, module, near", [
    ("import numpy as np\nimport jumpy as jnp\n", "jumpy", ""),  # a real package, named apart
    ("import numpy as np\nimport numby as nb\n", "numby", ""),  # named apart from numpy
    ("import numpy as np\nimport gnumpy\n", "gnumpy", ""),  # a real package
    ("import numpy as np\nimport nunpy\n", "nunpy", "numpy"),
    ("import numpy as np\nimport nunpy as np\n", "nunpy", "numpy"),
    ("import numy as np\n", "numy", "numpy"),
    ("import nupmy as np\n", "nupmy", "numpy"),
])
def test_did_you_mean_is_not_asked_of_a_module_imported_on_purpose(monkeypatch, source, module,
                                                                   near):
    """`import jumpy as jnp` beside `import numpy as np` was asked "did you mean numpy?" (probe
    s62-recheck, row 10): a real package one edit from numpy, or a module given a name of its
    own beside numpy's, is meant. A misspelling (nunpy, numy, nupmy) is still named."""
    import ast

    from grader.worker import missing_imports
    for state in ("own_modules", "imported_names"):
        monkeypatch.setattr(missing_imports, state, set())
    monkeypatch.setattr(missing_imports, "bound_names", {}, raising=False)
    missing_imports.guard(ast.parse(source))
    assert missing_imports.near_module(module) == near
