"""A process that grades one submission after another starts each grade's worker while the grade
before it runs (grader/spare_worker.py). The spare must be a worker like any other: a fresh
process, scratch folder, uid and sandbox for each submission, and the same report."""
from __future__ import annotations

import dataclasses
import os

import pytest

from conftest import FIXTURES, ROOT

from grader import grading, session, spare_worker
from grader.isolation import bwrap_problem
from grader.model import SubmissionResult
from grader.proxy import Limits, Submission

MODES = ["process", "sandbox"]

# What a submission's import finds around it, printed; then it leaves marks of its own for the
# next submission to find: in its working folder, its home and (in the sandbox, where /tmp is
# its own) /tmp.
NOSY = '''
import os as _os, glob as _glob
_places = [".", _os.path.expanduser("~")] + (["/tmp"] if _os.getcwd() == "/sandbox" else [])
print("pid", _os.getpid(), "uid", _os.getuid(), "cwd", _os.getcwd())
print("found", sorted(sum((_glob.glob(_os.path.join(_p, "mark-*")) for _p in _places), [])))
for _where in _places:
    try:
        open(_os.path.join(_where, "mark-%d" % _os.getpid()), "w").write("left behind")
    except OSError:
        pass
'''


@pytest.fixture
def spares(monkeypatch):
    monkeypatch.setattr(spare_worker, "_enabled", True)
    spare_worker.discard()
    yield
    spare_worker.discard()


def _mode_or_skip(mode: str) -> str:
    if mode == "sandbox" and bwrap_problem() is not None:
        pytest.skip(f"the sandbox cannot run here: {bwrap_problem()}")
    return mode


def _options(mode: str) -> session.Options:
    return session.Options(reference_dir=ROOT / "reference", isolation=mode)


def _view(result) -> dict:
    return SubmissionResult.from_dict(result.to_dict()).graded_view()


@pytest.mark.parametrize("mode", MODES)
def test_each_submission_gets_a_fresh_worker_started_ahead_of_it(tmp_path, spares, mode):
    options = _options(_mode_or_skip(mode))
    nosy = tmp_path / "nosy.py"
    nosy.write_text((FIXTURES / "correct_summed.py").read_text() + NOSY)
    seen, spare = [], None
    for _ in range(3):
        result = grading.grade_to_files(submission=nosy, options=options, only=("sigmoid",),
                                        recipe_books={})
        assert result.score == result.max_score, result.checks
        seen.append(dict(zip(*[iter(result.import_output.split(maxsplit=6)[:6])] * 2)))
        assert "found []" in result.import_output, result.import_output
        if spare is not None:  # the spare served this grade, and ended with it
            assert spare.popen.poll() is not None and spare_worker._spare[1] is not spare
        spare = spare_worker._spare[1]  # started during this grade, for the next
        assert spare.popen.poll() is None
    # Three processes, three scratch folders (in the sandbox each sees its own as /sandbox).
    assert len({s["pid"] for s in seen}) == 3 or mode == "sandbox"
    assert len({s["cwd"] for s in seen}) == (1 if mode == "sandbox" else 3)
    if os.geteuid() == 0 and "root" not in str(result.isolation.get("user", "")):
        assert len({s["uid"] for s in seen}) >= 2  # leased afresh; two live at once at least


@pytest.mark.parametrize("mode", MODES)
def test_a_spare_grades_as_a_worker_started_for_the_submission(tmp_path, spares, mode):
    options = _options(_mode_or_skip(mode))
    names = ["correct_summed.py", "correct_python2.py", "missing_softmax.py", "correct_summed.py"]
    only = ("sigmoid", "softmax")  # a third of the checks: enough to see the worker answer

    def graded() -> list[dict]:
        return [_view(grading.grade_to_files(submission=FIXTURES / name, options=options,
                                             only=only, recipe_books={})) for name in names]

    with_spares = graded()
    spare_worker.discard()
    spare_worker._enabled = False
    assert with_spares == graded()
    assert with_spares[2] != with_spares[0]  # a missing function graded as missing


def test_a_spare_of_another_kind_or_one_that_died_is_not_used(tmp_path, spares):
    """Limits fixed at a worker's start (its cgroups) cannot change after it: a spare started
    for others is ended; so is one that died while it waited."""
    path = FIXTURES / "correct_summed.py"
    first = Submission(path, {"sigmoid": "sigmoid"}, isolation_mode="process")
    first.ensure_loaded()
    (_, spare, scratch) = spare_worker._spare
    other = Submission(path, {"sigmoid": "sigmoid"}, isolation_mode="process",
                       limits=Limits(processes=64))
    try:
        other.ensure_loaded()
        assert other._proc is not spare and spare.popen.poll() is not None
        assert not scratch.path.exists()
        (_, spare, _) = spare_worker._spare  # started for `other`'s kind
        spare.popen.kill()
        spare.popen.wait()
        again = Submission(path, {"sigmoid": "sigmoid"}, isolation_mode="process",
                           limits=Limits(processes=64))
        try:
            assert again.ensure_loaded()["functions"]["sigmoid"]["found"]
            assert again._proc is not spare
        finally:
            again.close()
    finally:
        first.close()
        other.close()


def test_an_upload_too_large_for_a_spare_ends_it(tmp_path, spares, monkeypatch):
    from grader import proxy
    path = FIXTURES / "correct_summed.py"
    first = Submission(path, {"sigmoid": "sigmoid"}, isolation_mode="process")
    first.ensure_loaded()
    first.close()
    (_, spare, scratch) = spare_worker._spare
    monkeypatch.setattr(proxy, "MAX_UPLOAD_BYTES", 10)
    big = Submission(path, {"sigmoid": "sigmoid"}, isolation_mode="process")
    big.ensure_loaded()
    big.close()
    assert big.load_failure and "the limit is" in big.load_failure, big.load_failure
    assert spare.popen.poll() is not None and not scratch.path.exists()


def test_spares_are_off_unless_a_process_turns_them_on(tmp_path):
    """A single grade starts no worker for nobody."""
    assert not spare_worker.enabled()
    grading.grade_to_files(submission=FIXTURES / "correct_summed.py", options=_options("process"),
                           only=("sigmoid",), recipe_books={})
    assert spare_worker._spare is None


def test_options_change_only_the_request_not_the_kind(spares):
    """The deadlines and shims travel in the start request: a spare serves any of them."""
    path = FIXTURES / "correct_summed.py"
    a = Submission(path, {"sigmoid": "sigmoid"}, isolation_mode="process")
    b = Submission(path, {"sigmoid": "sigmoid"}, isolation_mode="process", shim_xrange=False,
                   limits=dataclasses.replace(Limits(), import_seconds=3, call_seconds=1))
    assert a._worker_kind() == b._worker_kind()
