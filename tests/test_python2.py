"""Python 2 print statements (the 2017 starter's test code has them), and the other statements and
tokens Python 3 dropped, are run as what they meant, the lines named in a warning; any other syntax
error is still the student's. What Python 3 runs differently (map's iterator, true division) is run
as Python 3 runs it, and the error it raises says what to write instead."""
from __future__ import annotations

import ast
import collections
import itertools
import json
import string
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import FIXTURES, checks_of, grade, grade_many, scores
from notebook_helpers import FIRST_HALF, SECOND_HALF, notebook_v4
from grader import python2_habits
from grader.worker import python2_source

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("python2, python3", [
    ('print "hi"\n', 'print("hi")\n'),
    ("print\n", "print()\n"),
    ("print  # a blank line\n", "print()  # a blank line\n"),
    ('print "a", x,\n', 'print("a", x, end=" ")\n'),
    ('print >>sys.stderr, "e", 1\n', 'print("e", 1, file=sys.stderr)\n'),
    ("print >>f\n", "print(file=f)\n"),
    ('print "%d: %s" % (\n    1, x)\n', 'print("%d: %s" % (\n    1, x))\n'),
    ('a = 1; print a; b = 2\n', 'a = 1; print(a); b = 2\n'),
    ('if x: print x\nelse: print -x\n', 'if x: print(x)\nelse: print(-x)\n'),
    ('def f():\n    for i in xrange(3):\n        print i\n',
     'def f():\n    for i in xrange(3):\n        print(i)\n'),
])
def test_each_form_of_print_statement_becomes_the_call_it_meant(python2, python3):
    rewritten, forms = python2_source.rewrite(python2)
    assert rewritten == python3
    lines = forms.pop("print")
    assert lines and all(1 <= n <= python2.count("\n") for n in lines) and not forms


def test_python3_uses_of_print_are_left_alone():
    source = ('print("a")\nx = print\nprint.__name__\nprint (1, 2)\n'
              'f = lambda: print("b")\nprint "c"\n')
    rewritten, forms = python2_source.rewrite(source)
    assert rewritten == source.replace('print "c"', 'print("c")') and forms == {"print": [6]}
    assert python2_source.as_python3('print("ok")\n') == ('print("ok")\n', {})


@pytest.mark.parametrize("python2, python3, form", [
    ("try:\n    f()\nexcept IOError, e:\n    g(e)\n",
     "try:\n    f()\nexcept IOError as e:\n    g(e)\n", "except"),
    ("try: f()\nexcept (IOError, os.error), e: pass\n",
     "try: f()\nexcept (IOError, os.error) as e: pass\n", "except"),
    ('raise ValueError, "bad %s" % x\n', 'raise ValueError("bad %s" % x)\n', "raise"),
    ('if x: raise E, (1, 2)\n', 'if x: raise E(*(1, 2))\n', "raise"),  # Python 2: E(1, 2)
    ('raise E, (msg)\n', 'raise E((msg))\n', "raise"),
    ('exec "y = 1"\n', 'exec("y = 1")\n', "exec"),
    ('exec "y = 1" in globals()\n', 'exec("y = 1", globals())\n', "exec"),  # recheck s61
    ('exec code in g, l\n', 'exec(code, g, l)\n', "exec"),
    ('exec (code) in ns\n', 'exec((code), ns)\n', "exec"),  # probe s62-recheck, row 2
    ('if ns: exec(code) in ns, l\n', 'if ns: exec((code), ns, l)\n', "exec"),
    ("s = `x` + `a, b`\n", "s = repr((x)) + repr((a, b))\n", "backquote"),
    ("if a <> b: pass\n", "if a != b: pass\n", "not_equal"),
    ("mode = 0755\n", "mode = 0o755\n", "octal"),
    ("n = 10L + 0x1FL + 0l\n", "n = 10 + 0x1F + 0\n", "long"),
])
def test_the_other_python2_forms_become_their_python3_spelling(python2, python3, form):
    assert python2_source.rewrite(python2) == (python3, {form: [python2.count("\n", 0, python2.index(
        {"except": "except", "raise": "raise", "exec": "exec", "backquote": "`",
         "not_equal": "<>", "octal": "07", "long": "L"}[form])) + 1]})


def test_forms_inside_a_print_statement_and_strings_and_comments():
    """Tokens are fixed before statements (a backquote inside a print statement), and nothing
    in a string or a comment is touched."""
    source = 'print >>f, `x`, 0777L,\ns = "a <> b `c` 0777"  # `d` <> 10L\nraise E, 1\n'
    rewritten, forms = python2_source.rewrite(source)
    assert rewritten == ('print(repr((x)), 0o777, end=" ", file=f)\n'
                         's = "a <> b `c` 0777"  # `d` <> 10L\nraise E(1)\n')
    assert forms == {"backquote": [1], "octal": [1], "long": [1], "print": [1], "raise": [3]}


def test_exec_in_a_namespace_with_parentheses_is_run_as_python2_meant_it(tmp_path):
    """`exec (code) in ns` is Python 3 syntax too: exec(code) run in the module's namespace, then
    `None in ns` tested. A valid Python 2 file defining softmax that way in a namespace got 0 of
    100 (KeyError: 'softmax'; probe s62-recheck, row 2). In a file Python 3 compiles it is
    rewritten as in one it refuses; exec(code) and exec(code, ns) are left alone."""
    source = 'ns = {}\nexec ("x = 1") in ns\nprint(ns["x"])\n'
    assert python2_source.as_python3(source) == (
        'ns = {}\nexec(("x = 1"), ns)\nprint(ns["x"])\n', {"exec": [2]})
    for left in ('exec("y = 1")\n', 'exec (code)\n', 'exec("y = 1", g)\n', 'exec(x for x in y)\n',
                 's = "exec (a) in b"\n'):
        assert python2_source.as_python3(left) == (left, {}), left
    upload = tmp_path / "hw1.py"
    correct = (FIXTURES / "correct_summed.py").read_text()
    upload.write_text(correct.replace("def softmax(", "def _unused_softmax(") + (
        '\n_ns = {"np": np}\nexec ("def softmax(x):\\n    e = np.exp(x - np.max(x, axis=-1, '
        'keepdims=True))\\n    return e / e.sum(axis=-1, keepdims=True)\\n") in _ns\n'
        'softmax = _ns["softmax"]\n'))
    report = grade(upload, tmp_path / "out")
    assert report["score"] == 100, report["error"] or report["checks"]


def test_a_python2_raw_unicode_string_is_run_as_the_raw_string_it_is_in_python3():
    """`ur"..."` (a regular expression in a Python 2 file) got 0 of 100 with Python 3's bare
    "invalid syntax" (probe s62-recheck, row 9). Without a \\u escape, r"..." is the same text;
    with one, it is left for the student, and the error says what to write."""
    source = 'print "a"\npattern = ur"\\d+" + UR\'x\'\n'
    assert python2_source.as_python3(source) == (
        'print("a")\npattern = r"\\d+" + r\'x\'\n', {"print": [1], "ur_string": [2]})
    escaped = 'x = ur"\\u00e9"\n'
    assert python2_source.as_python3(escaped) == (escaped, {})
    said = python2_habits.advice("SyntaxError", "invalid syntax", escaped)
    assert said.startswith('ur"..." strings are Python 2 only'), said
    assert python2_habits.advice("SyntaxError", "invalid syntax", 'x = four"a"') == ""


@pytest.mark.parametrize("source", [
    "def f((a, b)):\n    return a\n", "def f(x, (a, b)=(1, 2)):\n    return a\n",
    "g = lambda (a, b): a\n"])
def test_a_tuple_parameter_is_said_to_be_python2_with_what_to_write(source):
    """`def f((a, b)):` got Python 3's bare error (probe s62-recheck, row 9). Python 3.11 and later
    name it; 3.10 says "invalid syntax", and the raising line tells."""
    with pytest.raises(SyntaxError) as raised:
        compile(source, "f.py", "exec")
    for message, code in ((raised.value.msg, ""), ("invalid syntax", source.splitlines()[0])):
        said = python2_habits.advice("SyntaxError", message, code)
        assert "is Python 2 only: in Python 3 take one parameter, def f(pair)" in said, message
    assert python2_habits.advice("SyntaxError", "invalid syntax", "def f(x=(1, 2):") == ""


@pytest.mark.parametrize("source", [
    "print = 8\nprint >> 1, 2\n", "def f(print):\n    print >> 1, 2\n",
    "from lib import exec\nexec(code) in ns\n", "exec = set\nexec (1) in [1]\n"])
def test_print_or_exec_bound_by_python3_code_is_its_own(source):
    """`print = 8` then `print >> 1, 2` in a valid Python 3 file was rewritten to
    print(2, file=1) (probe s62-recheck, row 14): a file that binds the name means its own."""
    assert python2_source.as_python3(source) == (source, {})


def test_python3_code_beside_python2_forms_is_left_alone():
    """Only what Python 3 refuses is rewritten: 00, 0.5, 1e3, a < b > c, raise E(m) from x,
    `except (A, B) as e`, exec(...), a name `L`."""
    python3 = ("x = 00 + 0.5 + 1e3 + 0o7 + L\nok = a < b > c\ntry: pass\n"
               "except (A, B) as e: raise E(m) from e\nexec(code)\n")
    rewritten, forms = python2_source.rewrite(python3 + "print x\n")
    assert rewritten == python3 + "print(x)\n" and forms == {"print": [6]}


def test_other_syntax_errors_are_not_rewritten_away():
    """A file that still fails once its Python 2 forms are rewritten is never graded as rewritten:
    the student sees their own syntax error, line and all, never one of the grader's making. When
    it fails on a line nothing was rewritten on, that error is the one to see (Python would have
    stopped at the first print statement); when it fails on a rewritten line, the file is run
    as written."""
    source = 'print "a"\ndef f(:\n    pass\n'
    assert python2_source.rewrite(source) == ('print("a")\ndef f(:\n    pass\n', {})
    assert python2_source.as_python3(source) == ('print("a")\ndef f(:\n    pass\n', {})
    with pytest.raises(SyntaxError) as raised:
        compile(python2_source.as_python3(source)[0], "f.py", "exec")
    assert raised.value.lineno == 2
    on_a_rewritten_line = 'print "a" +\nx = 1\n'
    assert python2_source.rewrite(on_a_rewritten_line) is None
    assert python2_source.as_python3(on_a_rewritten_line) == (on_a_rewritten_line, {})


def test_a_print_chevron_in_a_file_python3_compiles_is_run_as_python2_meant_it(tmp_path):
    """`print >>sys.stderr, x` is Python 3 syntax too (a tuple), raising TypeError when it runs:
    one debug line in softmax of an otherwise valid Python 2 file cost softmax and
    forward_backward_prop, 50 of 100 (recheck s61). Such a file is rewritten, prints only;
    `>>` anywhere else, and in strings, is left alone."""
    source = 'import sys\ndef f(x):\n    print >>sys.stderr, "x", x\n    return x >> 1\n'
    assert python2_source.as_python3(source) == (
        'import sys\ndef f(x):\n    print("x", x, file=sys.stderr)\n    return x >> 1\n',
        {"print": [3]})
    for left in ('s = "a: print >> b"\nprint(s)\n', "x = 2 >> 1; print(x)\n"):
        assert python2_source.as_python3(left) == (left, {})
    single = tmp_path / "hw1.py"
    correct = (FIXTURES / "correct_summed.py").read_text()
    at = correct.index("def softmax(x):\n") + len("def softmax(x):\n")
    single.write_text("import sys\n" + correct[:at]
                      + "    print >>sys.stderr, 'softmax', x.shape\n" + correct[at:])
    report = grade(single, tmp_path / "out")
    assert report["score"] == 100, [c["message"] for c in report["checks"] if c["message"]]
    assert any("print statements" in w and "hw1.py" in w for w in report["warnings"]), \
        report["warnings"]


def test_a_python2_submission_gets_full_marks_and_the_lines_named(tmp_path):
    report = grade(FIXTURES / "correct_python2.py", tmp_path)
    assert report["score"] == 100, report["checks"]
    assert ("correct_python2.py has Python 2 print statements (lines 118, 120, 122, 124, 125, "
            "144), which Python 3 refuses or reads otherwise; they were run as print(...) calls. "
            "Write print(...) in Python 3.") in report["warnings"]
    assert ("correct_python2.py has Python 2 syntax that Python 3 refuses or reads otherwise: "
            "`except E, e:` (line "
            "141); `raise E, message` (line 142); backquotes `x` (lines 142, 144); `<>` (line "
            "143); octal literals such as `0777` (line 145); long literals such as `10L` (line "
            "134). It was run as Python 3 spells it: write `except E as e:`, `raise E(message)`, "
            "`repr(x)`, `!=`, `0o777`, `10`.") in report["warnings"]
    assert any("uses xrange" in w for w in report["warnings"])  # read through the rewrite too


def test_print_statements_in_several_files_are_one_warning(tmp_path):
    """The 2017 starter's test code prints in every file: one warning names them all, with their
    lines, instead of one per file taking more of the report than its failures."""
    folder = tmp_path / "assignment1"
    folder.mkdir()
    for path in sorted((FIXTURES / "correct_multifile").glob("*.py")):
        text = path.read_text()
        if path.name in ("q2_sigmoid.py", "q2_neural.py"):
            text += '\n\ndef _sanity():\n    print "running sanity checks..."\n'
        (folder / path.name).write_text(text)
    report = grade(folder, tmp_path / "out")
    assert report["score"] == 100, report["error"]
    said = [w for w in report["warnings"] if "print statements" in w]
    assert len(said) == 1 and said[0].startswith(
        "Python 2 print statements, which Python 3 refuses or reads otherwise, were run as "
        "print(...) calls: "), said
    assert "q2_sigmoid.py (line " in said[0] and "q2_neural.py (line " in said[0], said


def test_a_python2_file_with_a_real_syntax_error_is_still_reported_at_its_line(tmp_path):
    source = (FIXTURES / "correct_python2.py").read_text().replace(
        "def sigmoid_grad(s):", "def sigmoid_grad(s:", 1)
    path = tmp_path / "broken.py"
    path.write_text(source)
    report = grade(path, tmp_path / "out")
    assert report["score"] == 0
    assert "SyntaxError" in report["error"] and "broken.py, line 20" in report["error"], report["error"]


MIXED_TABS = ("def f(x):\n"
              "        y = x + 1\n"   # eight spaces
              "\treturn y\n")         # a tab: the same column to Python 2


def test_indentation_mixing_tabs_and_spaces_is_read_as_python2_reads_it():
    expanded = python2_source.tabs_as_python2(MIXED_TABS)
    assert expanded == MIXED_TABS.replace("\t", " " * 8)
    assert python2_source.tabs_as_python2("def f(x):\n\treturn x\n") is None  # tabs only: fine
    source, forms, tabs = python2_source.python3_source(MIXED_TABS.replace("\treturn y",
                                                                           "\tprint y"))
    assert tabs and forms == {"print": [3]} and source.endswith("        print(y)\n")


def test_a_submission_mixing_tabs_and_spaces_is_graded_with_a_warning(tmp_path):
    source = (FIXTURES / "correct_summed.py").read_text().replace(
        "def sigmoid_grad(s):\n    \"\"\"Derivative of the sigmoid, given s = sigmoid(x).\"\"\"\n"
        "    return s * (1.0 - s)",
        "def sigmoid_grad(s):\n        \"\"\"Derivative of the sigmoid, given s = sigmoid(x).\"\"\"\n"
        "\treturn s * (1.0 - s)", 1)
    assert "\treturn" in source
    path = tmp_path / "tabs.py"
    path.write_text(source)
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100, (report["error"], report["warnings"])
    assert ("tabs.py indents with tabs and spaces mixed, which Python 3 refuses (TabError); it "
            "was read as Python 2 reads it, a tab reaching the next multiple of 8 columns. Indent "
            "with spaces only.") in report["warnings"]


def test_python2_builtins_and_modules_are_found_where_the_student_did_not_define_them():
    from grader.worker import python2_names
    source = ("import cPickle as pickle, os\nfrom StringIO import StringIO\nimport Queue\n"
              "def f(xs, unicode=None):\n    long = 3\n    return reduce(max, xs), long, unicode\n"
              "def basestring(): pass\ng = lambda s: isinstance(s, basestring) or unichr(65)\n")
    assert python2_names.uses(source, "f.py") == [
        ("cPickle", 1), ("StringIO", 2), ("Queue", 3), ("reduce", 6), ("unichr", 8)]
    assert python2_names.uses("def f(:\n", "f.py") == []


def test_names_standard_modules_had_in_2017_are_found_under_any_name_they_are_imported_as():
    from grader.worker import python2_names
    source = ("import collections as co, time\nfrom itertools import izip, chain\n"
              "def f(s):\n    t0 = time.clock()\n"                       # line 4
              "    return isinstance(s, co.Iterable), collections.Mapping\n"  # line 5
              "reload(co)\nexecfile('helpers.py')\n"                      # lines 6, 7
              "x = time.perf_counter() + co.OrderedDict().__len__()\n")
    assert python2_names.uses(source, "f.py") == [
        ("itertools.izip", 2), ("time.clock", 4), ("collections.Iterable", 5),
        ("collections.Mapping", 5), ("reload", 6), ("execfile", 7)]
    assert python2_names.python3_spelling("collections.Iterable") == "collections.abc.Iterable"
    assert python2_names.dropped_in("time.clock") == "3.8"
    assert python2_names.dropped_in("itertools.izip") == "3.0"
    assert python2_names.dropped_in("collections.OrderedDict") is None


def test_execfile_runs_the_file_in_the_callers_namespace(tmp_path):
    from grader.worker import python2_names
    helper = tmp_path / "helpers.py"
    helper.write_text("def helper():\n    return 7\n")
    namespace = {"execfile": python2_names._execfile}
    exec(f"execfile({str(helper)!r})\nvalue = helper()", namespace)
    assert namespace["value"] == 7


OLD_NAMES = '''
import collections
import time
import numpy as np

np.set_printoptions(threshold=np.nan)
STARTED = time.clock()


def sigmoid_grad(s):
    """For a number or an array, as 2017 code told them apart."""
    if isinstance(s, collections.Iterable):
        s = np.asarray(s)
    return s * (1.0 - s)
'''


def test_a_submission_using_names_an_older_python_and_numpy_had_gets_full_marks_and_is_told(
        tmp_path):
    """A top-level time.clock() or np.set_printoptions(threshold=np.nan) cost the whole file (0),
    and collections.Iterable every check that reached it."""
    source = (FIXTURES / "correct_summed.py").read_text()
    start, end = source.index("def sigmoid_grad(s):"), source.index("def softmax(x):")
    path = tmp_path / "old_names.py"
    path.write_text(source[:start] + OLD_NAMES.lstrip() + "\n\n" + source[end:])
    report = grade(path, tmp_path / "on")
    assert report["score"] == 100, (report["error"], [c["message"] for c in report["checks"]
                                                      if c["message"]][:3])
    lines = path.read_text().splitlines()
    clock = lines.index("STARTED = time.clock()") + 1
    iterable = lines.index("    if isinstance(s, collections.Iterable):") + 1
    printing = lines.index("np.set_printoptions(threshold=np.nan)") + 1
    assert (f"old_names.py uses names that Python 3.10 and later do not have: time.clock (line "
            f"{clock}) and collections.Iterable (line {iterable}); they were run as their Python "
            "3 counterparts. Write time.perf_counter for time.clock and collections.abc.Iterable "
            "for collections.Iterable.") in report["warnings"], report["warnings"]
    assert (f"old_names.py, line {printing}: np.set_printoptions(threshold=np.nan) is refused by "
            "NumPy 1.16 and later (ValueError: threshold must be numeric and non-NAN), and was "
            "run as earlier NumPy ran it (nothing summarised). Write "
            "np.set_printoptions(threshold=sys.maxsize) instead.") in report["warnings"], \
        report["warnings"]


PYTHON2_NAMES = '''
import cPickle
from functools import partial


def sigmoid(x):
    """Elementwise sigmoid, through Python 2's builtin reduce and a cPickle round trip."""
    x = cPickle.loads(cPickle.dumps(x))
    return reduce(lambda acc, f: f(acc), [np.negative, np.exp, partial(np.add, 1.0),
                                          np.reciprocal], x)
'''


def test_a_submission_using_python2_builtins_and_modules_gets_full_marks_and_is_told(tmp_path):
    source = (FIXTURES / "correct_summed.py").read_text()
    start, end = source.index("def sigmoid(x):"), source.index("def sigmoid_grad(s):")
    path = tmp_path / "py2names.py"
    path.write_text(source[:start] + PYTHON2_NAMES.lstrip() + "\n\n" + source[end:])
    report = grade(path, tmp_path / "on")
    assert report["score"] == 100, [c["message"] for c in report["checks"] if c["message"]]
    line = path.read_text().splitlines().index("import cPickle") + 1
    assert (f"py2names.py uses Python 2 names that Python 3 does not have: cPickle (line {line}) "
            f"and reduce (line {line + 7}); they were run as their "
            "Python 3 counterparts. Write pickle for cPickle and functools.reduce for reduce."
            ) in report["warnings"], report["warnings"]
    off = grade(path, tmp_path / "off", "--no-xrange-shim")
    sigmoid = [c for c in off["checks"] if c["function"] == "sigmoid"]
    assert off["score"] == 90 and all(c["status"] != "passed" for c in sigmoid)
    assert any("the Python 2 shim is off (--no-xrange-shim)" in w for w in off["warnings"])


# What Python 3 raises for each Python 2 habit, raised here for real so that a Python or numpy whose
# message changes fails this test rather than silently losing the advice; and what the advice
# must tell the student to write.
HABITS = [
    (lambda: len(map(abs, [1])), "list(map(...))"),
    (lambda: map(abs, [1])[0], "list(map(...))"),
    (lambda: filter(None, [1])[0], "list(filter(...))"),
    (lambda: zip([1], [2])[0], "list(zip(...))"),
    (lambda: map(abs, [1]).sort(), "list(map(...))"),
    # np.array(map(...)) holds the iterator itself: the errors it meets name a ufunc or a shape
    (lambda: np.array(map(abs, [1.0, 2.0])) * 2.0, "list(map(...))"),
    (lambda: 2.0 - np.array(filter(None, [1.0])), "list(filter(...))"),
    (lambda: np.exp(np.array(map(abs, [1.0, 2.0]))), "list(map(...))"),
    (lambda: float(map(abs, [1.0])), "list(map(...))"),
    (lambda: np.array(map(abs, [1.0, 2.0])).reshape(2, 1), "np.array(list(map(...)))"),
    (lambda: {1: 2}.keys()[0], "list(d.keys())"),
    (lambda: {1: 2}.values()[0], "list(d.values())"),
    (lambda: {1: 2}.items()[0], "list(d.items())"),
    (lambda: {1: 2}.keys().sort(), "list(d.keys())"),
    (lambda: {}.iteritems(), "d.items()"),
    (lambda: {}.itervalues(), "d.values()"),
    (lambda: {}.iterkeys(), "d.keys()"),
    (lambda: {}.has_key(1), "k in d"),
    # the standard library's dicts: counting negatives with a Counter got no advice
    (lambda: collections.Counter([1]).iteritems(), "d.items()"),
    (lambda: collections.defaultdict(int).itervalues(), "d.values()"),
    (lambda: collections.OrderedDict().iterkeys(), "d.keys()"),
    (lambda: collections.Counter().has_key(1), "k in d"),
    (lambda: range(3) + [1], "list(range(...))"),
    (lambda: range(3).append(1), "list(range(...))"),
    (lambda: range(5 / 2), "use //"),
    (lambda: [1, 2, 3][:3 / 2], "use //"),
    (lambda: [1, 2, 3][int(1) / 1], "use //"),
    (lambda: np.zeros(4)[:4 / 2], "use //"),
    (lambda: np.zeros(4)[4 / 2], "use //"),
    (lambda: np.zeros(4)[np.zeros(2)], "pass dtype=int"),
    # np.array(map(int, ...)) as an index: one object, the iterator (told of floats and / only)
    (lambda: np.zeros(4)[np.array(map(int, [1, 2]))], "np.array(list(map(...)))"),
    (lambda: np.zeros(5 / 2), "use //"),
    (lambda: np.zeros((5 / 2, 2)), "use //"),
    (lambda: np.zeros(4).reshape(4 / 2, 2), "use //"),
    (lambda: "text".decode("utf-8"), "drop .decode"),
    (lambda: sys.maxint, "sys.maxsize"),
    (lambda: itertools.izip, "write zip"),
    (lambda: string.letters, "string.ascii_letters"),
    (lambda: cmp(1, 2), "(a > b) - (a < b)"),  # noqa: F821 (Python 2's builtin)
    (lambda: unicode("a"), "write str"),  # noqa: F821
    (lambda: xrange(3), "write range"),  # noqa: F821
    (lambda: reduce(max, [1]), "functools.reduce"),  # noqa: F821
    # no Python 2 habit: array methods on a number the handout allows (sigmoid of a scalar)
    (lambda: (0.5).astype(np.float64), "convert the argument first with np.asarray(..., "
     "dtype=float)"),
    (lambda: (2).shape, "convert the argument first with np.asarray(..., dtype=float)"),
    # nor this: a row-wise sum without keepdims meeting its (M, N) array
    (lambda: np.ones((2, 3)) / np.ones((2, 3)).sum(axis=1), "keepdims=True"),
]


def _raised(habit) -> BaseException:
    try:
        habit()
    except Exception as exc:  # noqa: BLE001 (what each habit raises is the point)
        return exc
    raise AssertionError("the habit raised nothing")


@pytest.mark.parametrize("habit, fix", HABITS, ids=[fix + f"-{i}" for i, (_, fix) in enumerate(HABITS)])
def test_each_python2_habit_that_python3_refuses_at_run_time_is_explained(habit, fix):
    exc = _raised(habit)
    said = python2_habits.advice(type(exc).__name__, str(exc))
    assert fix in said, (type(exc).__name__, str(exc), said)


@pytest.mark.parametrize("habit", [
    lambda: 1 + "a",
    lambda: [].nothing,
    lambda: undefined_name,  # noqa: F821
    lambda: sys.nothing_of_python2,
    lambda: {}["key"],
    lambda: [1][5],
    lambda: np.zeros((2, 2))[0, 0, 0],
    lambda: np.zeros(4).reshape(3, 1),
    lambda: np.zeros(2) * "a",
    lambda: (0.5).nothing,
    lambda: np.ones((2, 3)) + np.ones(4),  # no (M,) against (M, N): no row-wise advice
    lambda: np.ones((3, 2)) + np.ones(3).reshape(1, 3),
])
def test_errors_that_are_no_python2_habit_get_no_advice(habit):
    exc = _raised(habit)
    assert python2_habits.advice(type(exc).__name__, str(exc)) == ""
    assert python2_habits.with_advice("x raised it", type(exc).__name__, str(exc)) == "x raised it"


def test_a_python2_habit_in_a_call_or_at_import_is_explained_in_the_report(tmp_path):
    """The advice is on the failure's first line, which the terminal summary shows alone; the
    verdicts are those the same errors always got."""
    text = (FIXTURES / "correct_summed.py").read_text()
    start, end = text.index("def softmax(x):"), text.index("\ndef ", text.index("def softmax(x):") + 5)
    in_call = tmp_path / "map_softmax.py"
    in_call.write_text(text[:start] + (
        "def softmax(x):\n"
        "    if x.ndim == 1:\n"
        "        return softmax(x.reshape(1, -1)).reshape(-1)\n"
        "    rows = map(lambda r: np.exp(r - np.max(r)), x)\n"
        "    return np.array([rows[i] / np.sum(rows[i]) for i in range(len(rows))])\n") + text[end:])
    at_import = tmp_path / "half.py"
    at_import.write_text(text + "\n\nN = 10\nHALF = list(range(N))[:N / 2]\n")
    reports = grade_many({"in_call": in_call, "at_import": at_import}, tmp_path / "out")

    report = reports["in_call"]
    assert scores(report)["softmax"] == 0 and report["score"] == 85
    for check in checks_of(report, "softmax"):
        if check["max_score"] == 0:
            continue  # advisory (vectorized): it judges nothing of a softmax that raises
        first = check["message"].splitlines()[0]
        assert first.endswith("has no len(). In Python 3, map() returns an iterator, not a list "
                              "as in Python 2: write list(map(...))."), first
    assert "write list(map(...))" in report["_terminal"]

    report = reports["at_import"]
    assert report["score"] == 0
    assert "slice indices must be integers" in report["error"] and "use // for a whole number" \
        in report["error"]


# Loading an upload of Python 2 files: each file is rewritten once, however many times the loader
# reads it (its import, the scans for packages and top-level names). With room for 4 sources
# kept, an upload of 8 files was rewritten again on every pass (0.11 CPU-s of a real 2017
# upload's 0.17 s load), and every file was tokenized twice even when the first pass changed
# nothing.
_COUNT_LOAD = r"""
import collections, json, sys
sys.path.insert(0, sys.argv[1])
import loader, python2_source
from pathlib import Path
rewritten, tokenized = collections.Counter(), collections.Counter()
rewrite, tokens = python2_source.rewrite, python2_source._tokens
def counting_rewrite(source):
    rewritten[source.splitlines()[0]] += 1
    return rewrite(source)
def counting_tokens(source):
    tokenized[source.splitlines()[0]] += 1
    return tokens(source)
python2_source.rewrite, python2_source._tokens = counting_rewrite, counting_tokens
python2_source.python3_source.cache_clear()
functions, report = loader.import_submission(Path(sys.argv[2]), {"sigmoid": "q2_sigmoid"}, True)
print(json.dumps({"rewritten": rewritten, "tokenized": tokenized, "loaded": sorted(functions),
                  "fatal": report.get("fatal")}))
"""


def test_a_python2_upload_is_rewritten_once_per_file(tmp_path):
    upload = tmp_path / "upload"
    upload.mkdir()
    names = ["q1_softmax", "q2_gradcheck", "q2_neural", "q2_sigmoid", "q3_sgd", "q3_word2vec",
             "q4_sentiment", "utils"]
    for name in names:
        body = (f"# {name}\nimport numpy as np\n\n"
                "def sigmoid(x):\n    return 1.0 / (1.0 + np.exp(-x))\n\n" if name == "q2_sigmoid"
                else f"# {name}\nimport numpy as np\n\n")
        (upload / f"{name}.py").write_text(
            body + "if __name__ == '__main__':\n    print 'testing', " + repr(name) + "\n")
    done = subprocess.run([sys.executable, "-c", _COUNT_LOAD, str(ROOT / "grader" / "worker"),
                           str(upload)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["loaded"] == ["sigmoid"] and not seen["fatal"], seen
    assert seen["rewritten"] == {f"# {name}": 1 for name in names}, seen
    # Only print statements: one pass of the tokenizer finds them all.
    assert seen["tokenized"] == {f"# {name}": 1 for name in names}, seen


def test_raw_input_while_the_file_loads_is_skipped_as_input_is(tmp_path):
    """raw_input() is Python 2's input(): at the top of a file it stopped the import (0/100) where
    input() is skipped as a statement nobody answers (recheck probe, s56)."""
    path = tmp_path / "asks.py"
    path.write_text("n = int(raw_input('n? '))\n" + (FIXTURES / "correct_summed.py").read_text())
    report = grade(path, tmp_path / "out")
    assert report["score"] == 100 and not report["error"], report["error"]
    assert any("`n = int(raw_input('n? '))` asks for input()" in w for w in report["warnings"]), \
        report["warnings"]


def test_a_number_where_an_array_was_meant_is_named_as_the_raising_line_names_it():
    """sigmoid_grad(s) doing `len(s.shape)` on a float was told to convert `x`, a name it does
    not have (probe s60, jasonchu). The value the raising line reads the attribute of is named;
    where the line does not say which (none, or two), no name is made up."""
    from grader.proxy import StudentError
    message = "'float' object has no attribute 'shape'"
    said = python2_habits.advice("AttributeError", message, "if len(s.shape) > 0:")
    assert "convert s first with np.asarray(s, dtype=float)" in said, said
    said = python2_habits.advice("AttributeError", message, "n = np.shape(z) + z.shape")
    assert "convert z first with np.asarray(z, dtype=float)" in said, said
    for code in ("", "return a.shape + b.shape", "return (s + 1).shape"):
        said = python2_habits.advice("AttributeError", message, code)
        assert "convert the argument first with np.asarray(..., dtype=float)" in said, said
    error = StudentError("sigmoid_grad", {"type": "AttributeError", "message": message,
                                          "traceback": [{"file": "q2_sigmoid.py", "line": 41,
                                                         "function": "sigmoid_grad",
                                                         "code": "if len(s.shape) > 0:"}]})
    first = error.describe().splitlines()[0]
    assert "np.asarray(s, dtype=float)" in first and "(x," not in first, first


# Python 2's / floored two integers. Each line: a division of likely integers Python 2 floored.
_FLOORED = '''
import numpy as np
K_DEFAULT = 10

def average(X, costs, K=5):
    m = X.shape[0]
    N, D = X.shape
    total = 0
    for i in range(len(costs)):
        total += 1
    a = -(1/m) * np.sum(costs)
    b = 1 / N
    c = total/len(costs)
    d = total / X.shape[0]
    e = 1/2 * np.sum(costs)
    f = -1/K
    g = 3/K_DEFAULT
    return a + b + c + d + e + f + g
'''
# Each line: a division Python 2 gave the fraction too, or one it floored as the student meant.
_NOT_FLOORED = '''
import numpy as np

def kept(X, costs, h, n=1e-4):
    m = X.shape[0]
    cost = np.sum(costs)
    s = 1 + np.exp(-cost)
    N = wordVectors.shape[0]
    a = 1.0/m
    b = 1./m
    c = cost / len(costs)
    d = float(1)/m
    e = 1/h
    f = 1/n
    s = 1/s
    g = wordVectors[:N/2, :]
    k = 4/2
    z = 0/m
    y = (np.dot(X, X) * 1) / m
    return a + b + c + d + e + f + s + g + k + z + y
'''


def test_divisions_python2_floored_are_found_with_how_each_side_is_spelled():
    from grader.worker import python2_division
    found = python2_division.integer_divisions(ast.parse(_FLOORED))
    assert [(f["line"], f["left"], f["right"], f.get("left_value"), f.get("right_value"))
            for f in found] == [
        (11, "1", "m", 1, None), (12, "1", "N", 1, None), (13, "total", "len(costs)", None, None),
        (14, "total", "X.shape[0]", None, None), (15, "1", "2", 1, 2), (16, "-1", "K", -1, None),
        (17, "3", "K_DEFAULT", 3, None)]
    assert python2_division.integer_divisions(ast.parse(_NOT_FLOORED)) == []
    future = ast.parse("from __future__ import division, print_function\n" + _FLOORED)
    assert python2_division.future_division(future)
    assert not python2_division.future_division(ast.parse(_FLOORED))


def test_finding_divisions_takes_linear_time_on_a_long_chain_of_names():
    """A hostile file: a chain of 10,000 names each bound from the one before, each divided by,
    the deepest first: each name is judged once, and nothing recurses down the chain."""
    from grader.worker import python2_division
    lines = ["n0 = 1"] + [f"n{i} = n{i - 1} + 1" for i in range(1, 10000)]
    lines += [f"x{i} = 1 / n{9999 - i}" for i in range(10000)] + ["y = 1 / n0"]
    tree = ast.parse("\n".join(lines))
    started = time.process_time()
    found = python2_division.integer_divisions(tree)
    assert time.process_time() - started < 2
    assert 0 < len(found) <= python2_division.MOST_FOUND


_AVERAGED = "\n\ndef average(costs):\n    m = len(costs)\n    return (1/m) * np.sum(costs)\n"


def test_a_python2_file_dividing_integers_is_told_what_python2_computed(tmp_path):
    """A file read as Python 2 (print statements) that averages with 1/m: Python 2 made that 0,
    so the student ran a cost and gradient of 0; the grade stays Python 3's (README), and the
    warning names the lines. Not said for Python 3 code, nor under `from __future__ import
    division`, nor for a notebook whose cell says that; said for a notebook whose other cell
    has a print statement."""
    python2 = (FIXTURES / "correct_python2.py").read_text() + _AVERAGED
    line = len(python2.splitlines())
    python3 = (FIXTURES / "correct_summed.py").read_text() + _AVERAGED
    future = "from __future__ import division\n" + python2
    for name, text in (("py2.py", python2), ("py3.py", python3), ("future.py", future)):
        (tmp_path / name).write_text(text)
    cells = [FIRST_HALF, 'print "the first half ran"', SECOND_HALF + _AVERAGED]
    notebook_v4(tmp_path / "py2.ipynb", cells)
    notebook_v4(tmp_path / "future.ipynb", ["from __future__ import division", *cells])
    # A future import in a later cell holds from there on, not for the cells IPython ran before
    # it; a notebook whose metadata says Python 3 is not Python 2 for a stray print statement
    # (recheck probe s62, rows 5 and 8).
    notebook_v4(tmp_path / "late.ipynb", [*cells, "from __future__ import division"])
    notebook_v4(tmp_path / "py3.ipynb", cells)
    saved = json.loads((tmp_path / "py3.ipynb").read_text())
    saved["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    (tmp_path / "py3.ipynb").write_text(json.dumps(saved))
    reports = grade_many({name: tmp_path / name for name in
                          ("py2.py", "py3.py", "future.py", "py2.ipynb", "future.ipynb",
                           "late.ipynb", "py3.ipynb")}, tmp_path / "out")
    assert {name: r["score"] for name, r in reports.items()} == dict.fromkeys(reports, 100)
    assert (f"py2.py is Python 2 code (it has print statements), and divides whole numbers with "
            f"/: 1/m (line {line}). In Python 2, / between two integers is integer division, "
            "rounded down: 1/m is 0 for m > 1, so your code as you ran it in Python 2 computed 0 "
            "there, not the fraction. The grader runs your code as Python 3, where / always "
            "gives the fraction, and graded that (no points deducted for this): write 1.0/m, "
            "which means the fraction in both.") in reports["py2.py"]["warnings"]
    cell = len(cells)
    for name in ("py2.ipynb", "late.ipynb"):
        said = [w for w in reports[name]["warnings"] if "divides whole numbers" in w]
        assert len(said) == 1 and said[0].startswith(
            f"{name}, cell {cell} is Python 2 code (cell 2 has print statements), and divides "
            f"whole numbers with /: 1/m (line {len((SECOND_HALF + _AVERAGED).splitlines())})"), said
    for name in ("py3.py", "future.py", "future.ipynb", "py3.ipynb"):
        assert not [w for w in reports[name]["warnings"] if "divides whole numbers" in w], name


_MAP_SIGMOID = '''

def sigmoid(x):
    """Python 2: map gives a list."""
    if np.isscalar(x):
        return 1.0 / (1.0 + np.exp(-x))
    return np.array(map(lambda v: 1.0 / (1.0 + np.exp(-v)), x))
'''


def test_an_array_of_a_map_object_reads_the_same_in_every_grade(tmp_path):
    """Python 2's `np.array(map(f, x))` is an object array holding a map object, whose repr
    holds a memory address: the report's "returned", its HTML and the wrong answer's
    fingerprint differed between two grades of the same upload (probe s62-recheck, row 3). The
    same upload graded twice gives the same report but for its timings."""
    upload = tmp_path / "hw1.py"
    upload.write_text((FIXTURES / "correct_summed.py").read_text() + _MAP_SIGMOID)
    reports = grade_many({"first": upload, "second": upload}, tmp_path / "out", html=True)
    first, second = ({k: v for k, v in r.items() if k not in ("timings", "_html_path")}
                     for r in reports.values())
    assert first == second
    failed = [c for c in checks_of(first, "sigmoid") if c["status"] == "failed"]
    assert failed and all(c["fingerprint"] for c in failed)
    returned = failed[0]["evidence"]["call"]["returned"]
    assert returned == "a numpy array of dtype object: array(<map object>, dtype=object)"
    # ... and what Python 3 made of it is said where the student reads first (row 7)
    first = failed[0]["message"].splitlines()[0]
    assert first.startswith("the result has dtype object; expected real numbers. The array holds "
                            "a map object: in Python 3 map() returns an iterator"), first
    assert "write np.array(list(map(...)))" in first, first


@pytest.mark.parametrize("value, said", [
    (lambda: np.array(map(abs, [1.0])), "The array holds a map object: in Python 3 map() "),
    (lambda: np.array([filter(None, [1]), filter(None, [2])]), "write np.array(list(filter(...)))"),
    (lambda: np.array(zip([1], [2])), "The array holds a zip object"),
    (lambda: np.array({"a": 1}.keys()), "write np.array(list(d.keys()))"),
    (lambda: map(abs, [1.0]), "In Python 3, map() returns an iterator"),
    (lambda: {"a": 1}.values(), "write list(d.values())"),
    (lambda: range(3), "write list(range(...))"),
])
def test_a_returned_iterator_or_an_array_holding_one_is_explained(value, said):
    """np.array(map(f, x)) returned (not raised) was told only "the result has dtype object"
    (probe s62-recheck, row 7): the Python 2 habit is named from what the worker describes."""
    from grader.checks_api import CheckFailure, as_array
    from grader.worker import wire
    node, blobs = wire.encode_value(value())
    described = wire.decode_value(node, blobs)
    assert said in python2_habits.returned(described.type_name, described.text)
    with pytest.raises(CheckFailure) as failed:
        as_array(described, "sigmoid(x)")
    assert said in str(failed.value).splitlines()[0]


@pytest.mark.parametrize("value", [
    lambda: np.array([1, "a"], dtype=object), lambda: np.array(range(3), dtype=object),
    lambda: np.array([object()]), lambda: {1, 2}, lambda: object(),
])
def test_other_objects_returned_get_no_python2_advice(value):
    from grader.worker import wire
    node, blobs = wire.encode_value(value())
    described = wire.decode_value(node, blobs)
    assert python2_habits.returned(described.type_name, described.text) == ""


def test_names_a_later_python3_dropped_do_not_make_a_file_python2():
    """time.clock (until 3.8) and collections.Iterable (until 3.10) are Python 3 code's too: a
    Python 3.6 course's timing helper made a file "Python 2 code" that "as you ran it in Python 2
    computed 0" (probe s62-recheck, row 4). Python 2's own names and syntax still do."""
    from grader.worker import python2_division
    source = "import time\nstart = time.clock()\n\ndef average(costs):\n    m = len(costs)\n" \
             "    return (1/m) * sum(costs)\n"
    for name in ("time.clock", "collections.Iterable"):
        assert not python2_division.is_python2_evidence(name)
        assert python2_division.floored_divisions([("hw1.py", source)], {"hw1.py": name}) == []
    for evidence in ("xrange", "print", "exec", "tabs", "cPickle", "itertools.izip", "unicode"):
        assert python2_division.is_python2_evidence(evidence), evidence
    found = python2_division.floored_divisions([("hw1.py", source)], {"hw1.py": "xrange"})
    assert [(f["where"], f["line"], f["left"], f["right"], f["evidence"]) for f in found] == [
        ("hw1.py", 6, "1", "m", "xrange")] and "evidence_where" not in found[0]


_CELL_DIVIDES = "def average(costs):\n    m = len(costs)\n    return (1/m) * sum(costs)\n"


def test_a_python3_notebook_with_a_stray_print_statement_is_not_called_python2():
    """A notebook whose metadata says its kernel was Python 3, with one `print "x"` cell (a
    SyntaxError in the student's own run), was told its `1/M` in cell 1 "computed 0" in Python 2,
    and that cell 1 had the print statements (probe s62-recheck, row 5). Without such metadata,
    one Python 2 cell still speaks for all, and the division says which cell is Python 2."""
    from grader.worker import python2_division
    cells = [("hw1.ipynb, cell 1", _CELL_DIVIDES), ("hw1.ipynb, cell 2", 'print("all done")\n')]
    evidence = {"hw1.ipynb, cell 2": "print"}
    assert python2_division.floored_divisions(cells, evidence, python=3) == []
    for python in (None, 2):
        found = python2_division.floored_divisions(cells, evidence, python=python)
        assert [(f["where"], f["line"], f["evidence"], f.get("evidence_where")) for f in found] \
            == [("hw1.ipynb, cell 1", 3, "print", "hw1.ipynb, cell 2")]
    said = {"kernelspec": {"name": "python3", "display_name": "Python 3"},
            "language_info": {"name": "python", "version": "3.8.10"}}
    assert python2_division.notebook_python(said) == 3
    assert python2_division.notebook_python({"kernelspec": {"name": "python2"}}) == 2
    assert python2_division.notebook_python({"language_info": {"version": "2.7.18"}}) == 2
    for unsaid in ({}, None, {"kernelspec": {"name": "ir"}}, {"language_info": {"version": 3}}):
        assert python2_division.notebook_python(unsaid) is None


def test_a_future_import_holds_for_its_cell_and_the_cells_after_it_only():
    """IPython applies `from __future__ import division` to the cells run after it: cell 1 ran
    `1/M` as Python 2 did, and the future import in cell 2 silenced its warning (probe
    s62-recheck, row 8). The cells from the import on are still silenced, and so is a file that
    says it anywhere at its top."""
    from grader.worker import python2_division
    future = "from __future__ import division\n"
    cells = [("nb, cell 1", "for i in xrange(2):\n    pass\n" + _CELL_DIVIDES),
             ("nb, cell 2", future + _CELL_DIVIDES), ("nb, cell 3", _CELL_DIVIDES)]
    found = python2_division.floored_divisions(cells, {"nb, cell 1": "xrange"})
    assert [(f["where"], f["line"]) for f in found] == [("nb, cell 1", 5)]
    whole = [("hw1.py", future + "for i in xrange(2):\n    pass\n" + _CELL_DIVIDES)]
    assert python2_division.floored_divisions(whole, {"hw1.py": "xrange"}) == []
