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
