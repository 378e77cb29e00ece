"""A student's odd answer is the student's failure, never "the grader itself failed".

A check whose own code raises is reported as the grader's fault (CheckResult.grader_error): its
points withheld as undecided, the instructor told to fix the pack, the upload graded again on the
next batch. That is right for a bug of the pack, and wrong when the student's answer made the
check raise: probe s55 found three such answers in the built-in packs. Each is graded here, and
must fail where the check says what came back, with no check in the grader's error.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, grade

REFERENCE = ROOT / "reference"

# (pack, reference file, what is replaced, by what, the check that must fail, what it says)
ODD_ANSWERS = {
    "cbow_center_is_an_array": (
        "cbow", "cbow/cbow.py", "        yield context_words, center_word\n",
        "        yield context_words, np.array([1.0, 2.0])\n", "get_windows",
        "its words must be the corpus's words (strings), not ndarray values"),
    "cbow_context_words_are_arrays": (
        "cbow", "cbow/cbow.py", "        yield context_words, center_word\n",
        "        yield [np.array([1.0, 2.0])] * len(context_words), center_word\n", "get_windows",
        "its words must be the corpus's words (strings), not ndarray values"),
    "pa6_update_empties_grads": (
        "pa6", "pa6/pa6.py",
        "    return {name: params[name] - lr * grads[name] for name in params}\n",
        "    new = {name: params[name] - lr * grads[name] for name in params}\n"
        "    grads.clear()\n    return new\n", "update",
        "update changed the caller's grads in place"),
}


def _upload(name: str, folder: Path) -> Path:
    pack, file, old, new, _, _ = ODD_ANSWERS[name]
    text = (REFERENCE / file).read_text()
    assert text.count(old) == 1, name
    path = folder / name / Path(file).name
    path.parent.mkdir(parents=True)
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize("name", sorted(ODD_ANSWERS))
def test_an_odd_answer_fails_as_the_students(name: str, tmp_path: Path) -> None:
    pack, _, _, _, function, said = ODD_ANSWERS[name]
    report = grade(_upload(name, tmp_path), tmp_path / "out", "--pack", pack)
    assert not [c["name"] for c in report["checks"] if c["grader_error"]]
    assert not [w for w in report["warnings"] if w.startswith("grader problem")]
    failed = [c["message"] for c in report["checks"]
              if c["function"] == function and c["status"] == "failed"]
    assert failed and any(said in m for m in failed), failed


def test_a_ragged_list_from_softmax_is_the_students_failure(tmp_path: Path) -> None:
    folder = tmp_path / "ragged"
    folder.mkdir()
    for module in REFERENCE.glob("q*.py"):
        (folder / module.name).write_text(module.read_text())
    softmax = folder / "q1_softmax.py"
    softmax.write_text(softmax.read_text() + "\n\ndef softmax(x):\n    return [[1, [2]], 3]\n")
    report = grade(folder, tmp_path / "out")
    assert not [c["name"] for c in report["checks"] if c["grader_error"]]
    assert all(c["status"] == "failed" for c in report["checks"]
               if c["function"] == "softmax" and c["max_score"] > 0)
