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


def _walk(value, spec) -> bool:
    """The shape test written as a plain walk of the spec (what reply_shapes compiles once)."""
    from grader.reply_shapes import NONE, Pairs, Record
    if isinstance(spec, Record):
        return (isinstance(value, dict)
                and all(k in value and _walk(value[k], s) for k, s in spec.required.items())
                and all(_walk(value[k], s) for k, s in spec.optional.items() if k in value))
    if isinstance(spec, Pairs):
        return isinstance(value, list) and all(
            isinstance(i, list) and len(i) == 2 and _walk(i[0], spec.first)
            and _walk(i[1], spec.second) for i in value)
    if isinstance(spec, list):
        return isinstance(value, list) and all(_walk(i, spec[0]) for i in value)
    if isinstance(spec, dict):
        return isinstance(value, dict) and all(
            isinstance(k, str) and _walk(i, spec["*"]) for k, i in value.items())
    if spec is int or spec == (int, NONE):
        return (value is None and spec != int) or (isinstance(value, int)
                                                  and not isinstance(value, bool))
    return isinstance(value, spec)


# What a part may be replaced with: every JSON type, and the look-alikes (True for 1, 1.0 for 1).
STAND_INS = [None, True, False, 0, 1, -3, 1.0, "", "x", [], ["x"], [1], [None], {}, {"k": 1},
             [["a", "b"]], [["a"]], [["a", 1]]]


def _variants(value, depth: int = 0):
    """`value`, and copies of it with one part (at any depth) replaced by each stand-in or left
    out."""
    yield value
    if depth > 4:
        return
    if isinstance(value, dict):
        for key in list(value):
            for stand_in in STAND_INS:
                yield {**value, key: stand_in}
            yield {k: v for k, v in value.items() if k != key}
            for inner in _variants(value[key], depth + 1):
                yield {**value, key: inner}
    elif isinstance(value, list):
        for i, item in enumerate(value):
            for inner in _variants(item, depth + 1):
                yield value[:i] + [inner] + value[i + 1:]


def test_the_compiled_shape_tests_say_what_a_walk_of_the_spec_says():
    from grader.reply_shapes import REPORT, RESULTS
    results = [{"ok": True, "output": "", "output_dropped": 0, "draws": [1, 2], "matrix": True},
               {"ok": False, "seeded": ["random.seed"], "error": {
                   "type": "ValueError", "message": "m", "traceback": [
                       {"file": "a.py", "line": 3, "function": "f", "code": "x"},
                       {"file": "b.py", "line": None, "function": "g", "code": ""}]}}]
    told = {True: 0, False: 0}
    for value in _variants(REAL):
        said = _walk(value, REPORT)
        assert (checked(value) is not None) == said, value
        told[said] += 1
    for value in _variants(results):
        said = _walk(value, RESULTS)
        assert (call_results(value) is not None) == said, value
        told[said] += 1
    assert min(told.values()) > 200  # both answers, many times over
