"""The worker's load report and a call's results are read only when every part the grader reads
has the type it reads it as: a submission can write a frame of its own on the grader's pipe
(tests/fixtures/attacks.py, forge_worker_frames), and a malformed part must cost that submission
its grade, never stop the grader with a traceback nor blame the grader for the check."""
from __future__ import annotations

import copy

import pytest

from grader.reply_shapes import call_results, load_report as checked

REAL = {  # the shape of a real report (a notebook with a stopped cell, Python 2, a missing module)
    "functions": {"sigmoid": {"found": True, "file": "hw.py", "problem": None},
                  "softmax": {"found": False, "file": None, "problem": "missing"},
                  "relu": {"found": True, "file": "b.ipynb", "problem": None,
                           "unfinished_in": [["a.ipynb", "template"]],
                           "ignores_arguments": ["y_hat"]}},
    "errors": [{"module": "hw.py", "file": "hw.py", "line": 3, "type": "NameError",
                "message": "name 'x' is not defined", "code": "x"},
               {"module": "nb.ipynb", "file": "nb.ipynb", "line": None, "type": "CellStopped",
                "message": "it ran too long", "notebook": "nb.ipynb", "cell": 4, "first_line": "",
                "defines": ["train"]}],
    "files": ["hw.py"], "shadowed_notebooks": [["a.ipynb", "a.py"]], "uses_xrange": ["hw.py"],
    "uses_numpy_aliases": [{"where": "hw.py", "line": 2, "name": "float"}],
    "uses_python2_names": [{"where": "hw.py", "line": 1, "name": "cPickle"}],
    "python2_rewrites": [{"where": "hw.py", "forms": {"print": [4, 5]}, "tabs": False}],
    "skipped": [{"notebook": "nb.ipynb", "cell": 2, "what": "%matplotlib inline", "quiet": True}],
    "skipped_unlisted": [], "missing_modules": [{"module": "nltk", "file": "hw.py", "line": 1}],
    "not_utf8": [{"file": "hw.py", "notebook": None, "bytes": [
        {"cell": None, "line": 3, "byte": "0xE9", "read_as": "é"},
        {"cell": None, "line": None, "byte": None, "read_as": None}]}],
    "skipped_calls": [{"module": "nltk", "file": "hw.py", "line": 2, "code": "nltk.download()"}],
    "output": "hello\n", "output_dropped": 0,
}


def test_a_real_report_and_a_fatal_one_are_read():
    assert checked(REAL) is REAL
    assert checked({"fatal": "empty upload", "functions": {}, "errors": [], "files": []})
    assert checked({}) == {}


@pytest.mark.parametrize("path, value", [
    ((), []),
    (("errors",), 7),
    (("errors", 0), "NameError"),
    (("errors", 0, "line"), True),  # a bool is no line number
    (("errors", 1, "file"), None),
    (("functions",), [1]),
    (("functions", "sigmoid"), None),
    (("functions", "relu", "unfinished_in"), ["a.ipynb"]),
    (("functions", "relu", "unfinished_in", 0), ["a.ipynb", 2]),
    (("functions", "relu", "ignores_arguments"), "y_hat"),
    (("uses_xrange",), 5),
    (("uses_numpy_aliases", 0, "line"), "2"),
    (("python2_rewrites", 0, "forms", "print"), "4"),
    (("shadowed_notebooks", 0), ["a.ipynb"]),
    (("not_utf8", 0, "bytes"), 2),
    (("skipped", 0, "cell"), None),
    (("missing_modules", 0), "nltk"),
    (("output_dropped",), "many"),
])
def test_a_part_of_the_wrong_type_makes_the_report_malformed(path, value):
    report = copy.deepcopy(REAL)
    if not path:
        report = value
    else:
        holder = report
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = value
    assert checked(report) is None


RESULTS = [{"ok": True, "value": {"t": "float", "v": 1.0}, "output": "", "output_dropped": 0,
            "draws": [3, 1], "seeded": ["np.random.seed"]},
           {"ok": False, "output": "x\n", "draws": [], "error": {
               "type": "ValueError", "message": "bad", "traceback": [
                   {"file": "hw.py", "line": 3, "function": "f", "code": "raise ValueError"}]}}]


def test_real_call_results_are_read():
    assert call_results(RESULTS) is RESULTS and call_results([]) == []


@pytest.mark.parametrize("results", [
    5, [5, "x"], [{"value": 1}], [{"ok": "yes"}], [{"ok": True, "draws": "x"}],
    [{"ok": True, "output_dropped": "y"}], [{"ok": False, "error": 5}],
    [{"ok": True, "seeded": "random.seed"}], [{"ok": True, "seeded": [1]}],
    [{"ok": False, "error": {"type": 1}}], [{"ok": False, "error": {"traceback": 7}}],
    [{"ok": False, "error": {"traceback": [{"file": "a.py"}]}}],
])
def test_call_results_of_the_wrong_shape_are_malformed(results):
    assert call_results(results) is None
