"""Python 2 print statements (the 2017 starter's test code has them) are run as the print calls
they meant, the lines named in a warning; any other syntax error is still the student's."""
from __future__ import annotations

import pytest

from conftest import FIXTURES, grade
from grader.worker import python2_source


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
    rewritten, lines = python2_source.rewrite(python2)
    assert rewritten == python3
    assert lines and all(1 <= n <= python2.count("\n") for n in lines)


def test_python3_uses_of_print_are_left_alone():
    source = ('print("a")\nx = print\nprint.__name__\nprint (1, 2)\n'
              'f = lambda: print("b")\nprint "c"\n')
    rewritten, lines = python2_source.rewrite(source)
    assert rewritten == source.replace('print "c"', 'print("c")') and lines == [6]
    assert python2_source.as_python3('print("ok")\n') == ('print("ok")\n', [])


def test_other_syntax_errors_are_not_rewritten_away():
    """A file that still fails once its prints are calls is run as written, so the student sees
    their own syntax error (line and all), not one of the grader's making."""
    source = 'print "a"\ndef f(:\n    pass\n'
    assert python2_source.rewrite(source) is None
    assert python2_source.as_python3(source) == (source, [])


def test_a_python2_submission_gets_full_marks_and_the_lines_named(tmp_path):
    report = grade(FIXTURES / "correct_python2.py", tmp_path)
    assert report["score"] == 100, report["checks"]
    assert ("correct_python2.py has Python 2 print statements (lines 118, 120, 122, 124, 125), "
            "which Python 3 refuses; they were run as print(...) calls. Write print(...) in "
            "Python 3.") in report["warnings"]
    assert any("uses xrange" in w for w in report["warnings"])  # read through the rewrite too


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
    source, printed, tabs = python2_source.python3_source(MIXED_TABS.replace("\treturn y",
                                                                             "\tprint y"))
    assert tabs and printed == [3] and source.endswith("        print(y)\n")


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
