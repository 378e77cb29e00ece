"""Text a submission controls reaches every output harmless (grader/safe_text.py): escape sequences
and control characters become visible escapes, and no renderer fails on lone surrogates, NUL or
invalid UTF-8."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import xml.etree.ElementTree as ET
import pytest

from conftest import FIXTURES, by_function, grade, run_cli
from grader import safe_text
from grader.model import CheckResult, FunctionResult, SubmissionResult
from grader.render import gradebook, gradescope, html, json_report, junit, overview, terminal

# Cursor up and rewrite a line, a clear screen, a bell, NUL, a lone surrogate, an invalid UTF-8 byte
# as Python decodes it from a file name, a C1 control, a right-to-left override.
HOSTILE = "ok\x1b[1A\x1b[2K  total 100 / 100\x1b[2J\x07\x00\ud800\udcff\x9b\u202e\r!"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e]")


def hostile_result() -> SubmissionResult:
    check = CheckResult(name=HOSTILE, function="softmax", status="failed", score=0, max_score=5,
                        message=HOSTILE + "\n" + HOSTILE, hint=HOSTILE, counterexample=HOSTILE,
                        output=HOSTILE, evidence={HOSTILE: [HOSTILE], "call": {"problem": HOSTILE}})
    return SubmissionResult(
        submission=HOSTILE, score=0, max_score=5, checks=(check,),
        functions=(FunctionResult("softmax", 0, 5, 0, HOSTILE),), warnings=(HOSTILE,),
        error=HOSTILE, isolation={"summary": HOSTILE, "unavailable": [HOSTILE]},
        versions={HOSTILE: HOSTILE}, import_output=HOSTILE)


def test_visible_escapes_every_unsafe_character_and_is_idempotent():
    clean = safe_text.visible(HOSTILE)
    assert not RAW.search(clean)
    assert "\\x1b[1A" in clean and "\\x00" in clean and "\\ud800" in clean and "\\u202e" in clean
    assert safe_text.visible(clean) == clean
    assert safe_text.visible(b"caf\xc3\xa9 \xff") == "caf\u00e9 \\xff"
    assert safe_text.visible("line\n\ttab") == "line\n\ttab"


def test_the_model_holds_only_clean_text():
    data = hostile_result().to_dict()
    text = json.dumps(data, ensure_ascii=False)
    text.encode("utf-8")  # no lone surrogate left
    assert not RAW.search(text.replace("\n", ""))


@pytest.mark.parametrize("name", ["terminal", "json", "html", "junit", "csv", "gradescope",
                                  "overview"])
def test_each_renderer_takes_the_hostile_string(name, tmp_path):
    result = hostile_result()
    rendered = {
        "terminal": lambda: terminal.render(result, verbose=True),
        "json": lambda: json_report.dumps(result),
        "html": lambda: html.render(result),
        "junit": lambda: junit.dumps(result),
        "csv": lambda: gradebook.render({"student": result}),
        "gradescope": lambda: gradescope.dumps(gradescope.results(result)),
        "overview": lambda: overview.render({"student": result}, notes=[HOSTILE]),
    }[name]()
    assert not RAW.search(rendered.replace("\n", "").replace("\t", "")), name
    assert "\\x1b[1A" in rendered or "\\\\x1b[1A" in rendered, name  # visible, not dropped
    path = tmp_path / "out"
    json_report.write_text(path, rendered)  # every writer writes UTF-8: must not fail
    if name == "junit":
        ET.fromstring(path.read_bytes())
    if name in ("json", "gradescope"):
        json.loads(path.read_text(encoding="utf-8"))
    if name == "csv":
        assert list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_a_spoofing_submission_is_graded_with_every_output(tmp_path):
    source = (FIXTURES / "correct_summed.py").read_text() + '''

def sigmoid(x):
    print("\\ud800 \\x00 printed")
    raise ValueError("\\x1b[2K\\x1b[1A  sigmoid   10 / 10  \\x1b[1B\\r\\ud800")
'''
    path = tmp_path / "spoof.py"
    path.write_text(source)
    report = grade(path, tmp_path / "out", "--verbose", "--isolation", "process", html=True)
    assert by_function(report)["sigmoid"]["score"] == 0
    assert report["score"] == report["max_score"] - by_function(report)["sigmoid"]["max_score"]
    assert "\x1b" not in report["_terminal"] and "\\x1b[2K" in report["_terminal"]
    assert "\\ud800" in report["_html"]


def test_batch_shows_hostile_upload_names_as_escapes(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "alice.py").write_text((FIXTURES / "correct_summed.py").read_text())
    os.close(os.open(os.path.join(os.fsencode(uploads), b"evil\x1b[2J\x07\xff.txt"),
                     os.O_CREAT | os.O_WRONLY, 0o644))
    proc = run_cli("batch", str(uploads), "--out", str(tmp_path / "out"), "--jobs", "1",
                   "--isolation", "process")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr
    assert "ignored evil\\x1b[2J\\x07\\xff.txt" in proc.stderr
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "evil\\x1b[2J" in page


def test_a_returned_value_of_megabytes_is_shown_cut_in_every_message(tmp_path):
    """A string of 4 MiB (or a class whose name is that long) returned by sigmoid: every message
    shows a bounded part of it. Before, each was copied whole into the report (335 MB for a
    20 MiB name) and word-wrapping it took the grader minutes."""
    source = (FIXTURES / "correct_summed.py").read_text()
    source += ('\n\n_Big = type("Big", (), {})\n_Big.__qualname__ = "Q" * (4 * 2**20)\n\n\n'
               'def sigmoid(x):\n    return "Q" * (4 * 2**20)\n\n\n'
               'def sigmoid_grad(s):\n    return _Big()\n')
    path = tmp_path / "long_values.py"
    path.write_text(source)
    report = grade(path, tmp_path / "out")
    assert by_function(report)["sigmoid"]["score"] == by_function(report)["sigmoid_grad"]["score"] == 0
    assert report["score"] == 85
    assert (tmp_path / "out" / "long_values.py.json").stat().st_size < 200_000
    assert len(report["_terminal"]) < 50_000


def test_the_lines_of_a_students_exception_are_marked_as_the_students(tmp_path):
    """An exception's message may carry a fake report ("total 100 / 100"): its lines after the
    first are marked "| ", as printed output is, never left to pass for the report's own."""
    source = (FIXTURES / "correct_summed.py").read_text() + (
        '\n\ndef softmax(x):\n    raise ValueError("no values\\n     total   100 / 100\\nall ok")\n')
    path = tmp_path / "fake_lines.py"
    path.write_text(source)
    report = grade(path, tmp_path / "out", "--verbose")
    (check, *_) = [c for c in report["checks"] if c["function"] == "softmax"]
    lines = check["message"].splitlines()
    assert lines[0] == "softmax raised ValueError: no values"
    assert lines[1:3] == ["  |      total   100 / 100", "  | all ok"], lines
    assert report["score"] == 85
    faked = [line for line in report["_terminal"].splitlines() if "total   100 / 100" in line]
    # (the source line quoted after "at fake_lines.py, line ..." holds it too, as code)
    assert faked and not any(line.strip().startswith("total") for line in faked), faked


def test_an_exception_class_named_with_a_newline_stays_on_its_line(tmp_path):
    """type() makes a class of any name: one named "ok\\n     total 100 / 100", raised by
    softmax and at import, printed that total on a line of its own, outside the gutter marking a
    student's text (probe s56). The name's newline is shown escaped, in one line."""
    name = "ok softmax 15 / 15\\n     total 100 / 100"
    source = (FIXTURES / "correct_summed.py").read_text() + (
        f'\n\ndef softmax(x):\n    raise type("{name}", (Exception,), {{}})("no")\n')
    path = tmp_path / "fake_class.py"
    path.write_text(source)
    at_import = tmp_path / "fake_import.py"
    at_import.write_text(f'raise type("{name}", (Exception,), {{}})("no")\n')
    for report in (grade(path, tmp_path / "out", "--verbose", "--only", "softmax"),
                   grade(at_import, tmp_path / "out2", "--verbose", "--only", "softmax")):
        lines = report["_terminal"].splitlines()
        assert not [line for line in lines if line.strip().startswith("total 100")], lines
        said = [c["message"] for c in report["checks"] if c["status"] != "passed"]
        assert said and all("ok softmax 15 / 15\\n     total 100 / 100" in m for m in said), said
