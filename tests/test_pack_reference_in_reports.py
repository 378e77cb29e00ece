"""A pack's reference, as the reports of `grade` and `gradescope` treat it: never a line of it
shown to a student, wherever it is kept (probe s61)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from test_gradescope import layout, valid
from test_packs import make_pack, run_cli, write

# A line only the reference holds: no report a student can see may carry it.
SECRET_LINE = "return x * (x > 0.0)  # SECRET_FORMULA_MARK"

REFERENCE = f"""\
import numpy as np
from course_utils import scale

def relu(x):
    {SECRET_LINE}

def scaled_sum(x):
    return np.sum(x) * 3.0
"""

# Feeds the reference what the student's relu returned: a list makes the reference raise.
CHAINED_CHECK = """\
import numpy as np
import pytest

from grader.checks_api import call_text, expect_close


@pytest.mark.function("relu")
@pytest.mark.points(1)
def test_relu_is_idempotent(student, reference):
    x = np.array([-1.0, 2.0])
    again = reference.relu(student(x))  # the check's own line
    expect_close(np.asarray(again), np.array([0.0, 2.0]), call=call_text("relu", x), rtol=0,
                 atol=1e-9)
"""

# Right where the checks compare arrays, a list where the chained check hands it on.
LIST_RELU = """\
import numpy as np

def relu(x):
    return [max(v, 0.0) for v in x] if np.ndim(x) == 1 else np.maximum(x, 0.0)

def scaled_sum(x):
    return np.sum(x) * 3.0
"""


def leaky_pack(folder: Path) -> Path:
    make_pack(folder)
    (folder / "reference" / "layers.py").write_text(REFERENCE)
    (folder / "checks" / "test_chain.py").write_text(CHAINED_CHECK)
    return folder


@pytest.mark.parametrize("where", ["the pack's reference/", "--reference elsewhere"])
def test_a_reference_that_raises_is_never_quoted_in_a_report(tmp_path: Path, where: str) -> None:
    """The reference raised on a value the check derived from the student's answer: the
    report's "grader problem" named the reference's own line, its solution, when the reference
    was the pack's own reference/ folder (the layout `new-pack` writes), in the JSON, the HTML,
    the terminal and Gradescope's results.json. The check's line that called it is named."""
    pack = leaky_pack(tmp_path / "pack")
    extra: list[str] = []
    if where != "the pack's reference/":
        shutil.copytree(pack / "reference", tmp_path / "elsewhere")
        extra = ["--reference", str(tmp_path / "elsewhere")]
    upload = write(tmp_path / "layers.py", LIST_RELU)
    out, page = tmp_path / "r.json", tmp_path / "r.html"
    done = run_cli("grade", str(upload), "--pack", str(pack), "--json", str(out),
                   "--html", str(page), "-v", *extra)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    problem = [w for w in report["warnings"] if w.startswith("grader problem")]
    assert problem and "test_chain.py" in problem[0] \
        and "reference.relu(student(x))" in problem[0], report["warnings"]
    for text in (out.read_text(), page.read_text(), done.stdout, done.stderr):
        assert "SECRET_FORMULA_MARK" not in text and "(x > 0.0)" not in text

    root = layout(tmp_path / "gs", [upload])
    done = run_cli("gradescope", "--root", str(root), "--pack", str(pack), *extra)
    assert done.returncode == 0, done.stderr
    results = (root / "results" / "results.json").read_text()
    valid(json.loads(results))
    assert "reference.relu(student(x))" in results, results
    for text in (results, done.stdout, done.stderr):
        assert "SECRET_FORMULA_MARK" not in text and "(x > 0.0)" not in text


# A reference that is there but cannot be used, each as an instructor's edit leaves it.
UNUSABLE = {
    "lacks a function": ("import numpy as np\n\ndef relu(x):\n    return np.maximum(x, 0.0)\n",
                         "the reference (reference/) lacks scaled_sum"),
    "does not import": ("import numpy as np\nimport scipy_not_here\n\n" + LIST_RELU,
                        "No module named 'scipy_not_here'"),
    "raises as it imports": ("import numpy as np\nSCALE = {}['scale']\n" + LIST_RELU,
                             "KeyError while importing layers.py: 'scale'"),
}


@pytest.mark.parametrize("broken", sorted(UNUSABLE))
def test_grade_and_gradescope_refuse_a_reference_that_cannot_be_used(tmp_path: Path,
                                                                     broken: str) -> None:
    """`grade` with a pack whose reference lacked a function graded as a student's copy: a
    correct upload 0 / 50, exit 0, in words addressed to a student; one that did not import
    ended as "a bug in the grader" (exit 70), as `known-answers` did once `grade` refused it.
    `batch` and `audit` refuse both in one line, exit 2, and so do `grade`, `gradescope` and
    `known-answers` now. --no-reference grades without it, as asked."""
    text, why = UNUSABLE[broken]
    pack = make_pack(tmp_path / "pack")
    (pack / "reference" / "layers.py").write_text(text)
    upload = write(tmp_path / "layers.py", LIST_RELU)
    out = tmp_path / "r.json"
    said = f"the reference at {pack / 'reference'} cannot be used ("
    done = run_cli("grade", str(upload), "--pack", str(pack), "--json", str(out))
    assert done.returncode == 2 and done.stdout == "", (done.returncode, done.stdout, done.stderr)
    assert said in done.stderr and why in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "usage:" not in done.stderr
    assert not out.exists()

    root = layout(tmp_path / "gs", [upload])
    done = run_cli("gradescope", "--root", str(root), "--pack", str(pack))
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert said in done.stderr and why in done.stderr, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    # No results.json: run_autograder writes "could not start" in its place.
    assert not (root / "results" / "results.json").exists()

    for command in (["known-answers", "--out", str(tmp_path / "answers.json")],
                    ["known-answers", "--check"]):
        done = run_cli(*command, "--pack", str(pack))
        assert done.returncode == 2 and said in done.stderr and why in done.stderr, \
            (command, done.returncode, done.stderr)

    done = run_cli("grade", str(upload), "--pack", str(pack), "--no-reference", "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["reference"] is False


PLAIN_ASSERT_CHECK = """\
import numpy as np
import pytest


@pytest.mark.function("relu")
@pytest.mark.points(1)
@pytest.mark.formulas
def test_relu_by_its_formula(student):
    x = np.array([-1.0, 2.0])
    got = np.asarray(student(x))
    assert np.array_equal(got, np.where(x > 0, x, 0.0))
"""

ABS_RELU = """\
import numpy as np

def relu(x):
    return np.abs(x)

def scaled_sum(x):
    return np.sum(x) * 3.0
"""


def test_a_plain_assert_reads_the_same_on_every_run(tmp_path: Path) -> None:
    """pytest's introspection of a check's plain `assert` shows the functions it called by
    their repr, which holds a memory address: the same upload's message read
    `<function array_equal at 0x7f668050b9f0>` in one run and `... at 0x7fc3cabad3f0` in the
    next (probe s61). What was compared is still shown."""
    pack = make_pack(tmp_path / "pack")
    (pack / "checks" / "test_plain.py").write_text(PLAIN_ASSERT_CHECK)
    upload = write(tmp_path / "layers.py", ABS_RELU)
    messages = []
    for run in range(2):
        out = tmp_path / f"r{run}.json"
        done = run_cli("grade", str(upload), "--pack", str(pack), "--json", str(out))
        assert done.returncode == 0, done.stderr
        check = next(c for c in json.loads(out.read_text())["checks"]
                     if c["name"] == "relu_by_its_formula")
        assert check["status"] == "failed"
        messages.append(check["message"])
    assert "<function array_equal>" in messages[0] and "array([1., 2.])" in messages[0], messages
    assert " at 0x" not in messages[0] and messages[0] == messages[1], messages
