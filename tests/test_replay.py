"""A warm grader (grader/server.py) grades submission after submission and replays checks from the
recipes earlier submissions left (grader/replay.py). Every verdict must be the one grading the
upload alone gives, and the replay must really carry the load."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, grade_many
from fixtures.mistakes import MISTAKES, materialize
from grader.model import SubmissionResult
from grader.server import GraderServer

OTHERS = {
    "reference": ROOT / "reference",
    "correct_summed": FIXTURES / "correct_summed.py",
    "correct_averaged": FIXTURES / "correct_averaged.py",
    "correct_direct_sampling": FIXTURES / "correct_direct_sampling.py",
    "correct_multifile": FIXTURES / "correct_multifile",
    "correct_xrange": FIXTURES / "correct_xrange.py",
    "example": ROOT / "examples" / "submission.py",
    "template": ROOT / "student_template",
    "syntax_error": FIXTURES / "syntax_error.py",
    "missing_softmax": FIXTURES / "missing_softmax.py",
    "empty": FIXTURES / "empty.py",
}
CORRECT = [name for name in OTHERS if name.startswith("correct") or name == "reference"]


@pytest.fixture(scope="module")
def uploads(tmp_path_factory) -> dict[str, Path]:
    src = tmp_path_factory.mktemp("uploads")
    return {**OTHERS, **{m.name: materialize(m, src) for m in MISTAKES}}


@pytest.fixture(scope="module")
def alone(mistake_reports, tmp_path_factory) -> dict[str, dict]:
    return {**mistake_reports, **grade_many(OTHERS, tmp_path_factory.mktemp("alone"))}


@pytest.fixture(scope="module")
def warm(uploads, tmp_path_factory) -> dict[str, tuple[dict, dict]]:
    """Every upload graded in turn by one server: (its report, the server's reply)."""
    out = tmp_path_factory.mktemp("warm")
    server = GraderServer()
    graded = {}
    try:
        for name, path in uploads.items():
            report = out / f"{name}.json"
            status, why = server.grade([str(path), "--json", str(report)], wall_seconds=300)
            assert status == 0, why
            graded[name] = (json.loads(report.read_text()), dict(server.last_reply))
    finally:
        server.close()
    return graded


def _view(report: dict) -> dict:
    return SubmissionResult.from_dict({k: v for k, v in report.items() if not k.startswith("_")}
                                      ).graded_view()


@pytest.mark.parametrize("name", [*OTHERS, *(m.name for m in MISTAKES)])
def test_warm_grade_equals_grading_alone(warm, alone, name):
    assert _view(warm[name][0]) == _view(alone[name])


def test_correct_submissions_after_the_first_are_replayed_whole(warm):
    """After the reference, no correct submission runs a single check live."""
    for name in CORRECT[1:]:
        reply = warm[name][1]
        assert reply["live"] == 0 and reply["replayed"] == 40, (name, reply)


def test_a_failing_property_check_is_run_live_for_its_counterexample(warm, alone):
    report, reply = warm["softmax_wrong_axis"]
    failed = [c for c in report["checks"] if c["status"] == "failed" and c["counterexample"]]
    assert failed and reply["live"] >= len(failed)
    # the shrunk input hypothesis found live, not the first recorded example that failed
    assert [c["counterexample"] for c in failed] == [
        c["counterexample"] for c in alone["softmax_wrong_axis"]["checks"]
        if c["status"] == "failed" and c["counterexample"]]


def test_hostile_submissions_leave_the_server_grading(warm):
    """A hang, a segfault and an exit mid-check fall back to live runs, and the next upload is
    graded normally by the same server."""
    for name in ("softmax_hangs", "fbp_segfault", "sigmoid_os_exit"):
        assert warm[name][0]["score"] < 100
    names = list(warm)
    for name in ("softmax_hangs", "fbp_segfault", "sigmoid_os_exit"):
        following = names[names.index(name) + 1]
        assert warm[following][0]["checks"], following
