"""Known answers (grader/known_answers.py): a student's copy, which has no reference, compares
values with the reference's shipped answers on the public inputs, and so deducts on the same
functions as the instructor's grader for every mistake fixture."""
from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from conftest import FIXTURES, ROOT, grade, run_cli
from grader import known_answers as ka
from grader.make_known_answers import files_changed, verify
from grader.packs import load_pack
from grader.packs.cs224n_a1.inputs import NetCase, ReplayDataset, W2VCase

PACK = load_pack()
FULL = {f.name: f.points for f in PACK.functions}


def test_the_shipped_answers_hold_for_the_reference():
    """Made from this reference (its files' hash), and every answer is what it computes now."""
    answers = ka.KnownAnswers.load(PACK.known_answers)
    assert verify(PACK, ROOT / "reference", answers) == []
    checked = run_cli("known-answers", "--check")
    assert checked.returncode == 0 and "the known answers hold" in checked.stdout, checked.stderr
    # What it holds: answers only for the inputs the checks ask about, and not a solution.
    calls = sum(len(entry.calls) for entry in answers.checks.values())
    assert 200 < calls < 1000
    assert not any(name.startswith("q") for name in json.dumps(answers.to_json()).split('"')
                   if name.endswith(".py"))


HALVED = """

_whole = forward_backward_prop


def forward_backward_prop(*args, **kwargs):
    cost, grad = _whole(*args, **kwargs)
    return 0.5 * cost, 0.5 * grad
"""


def test_answers_missing_for_a_case_a_check_now_asks_are_noticed(tmp_path):
    """A check that starts asking the reference about a new case keeps its name: the file still
    held an entry for every check and was said to hold, while every student's copy skipped the
    check (the onelayer pack, 2026-12-05). The last call a check made is dropped here."""
    data = json.loads(PACK.known_answers.read_text())
    check = "test_forward_backward_prop.py::test_cost_matches_reference"
    data["checks"][check]["calls"].pop()
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(data))
    problems = verify(PACK, ROOT / "reference", ka.KnownAnswers.load(partial),
                      answers_path=partial)
    assert len(problems) == 1 and "graded as a student's copy is" in problems[0], problems
    assert "forward_backward_prop: cost_matches_reference" in problems[0]


def test_examples_drawn_before_a_checks_code_changed_are_noticed(tmp_path):
    """A check's draws are seeded by a digest of its code: edited, it draws other examples,
    while the file kept the old ones and its answers still held. Five checks of this pack's
    file were so (probe s54): a student's copy asked 21 of softmax's 26 inputs that the
    instructor's grader never asked on the same public inputs. One example is changed here."""
    import hypothesis
    data = json.loads(PACK.known_answers.read_text())
    if data["made_with"]["hypothesis"] != hypothesis.__version__:
        pytest.skip("another version of hypothesis may draw otherwise: nothing to compare")
    check = "test_softmax.py::test_matches_reference"
    first = data["checks"][check]["examples"][0]
    other = ka.encode({"x": np.array([[5.0, -1.0, 0.25]])})
    assert first != other
    data["checks"][check]["examples"][0] = other
    drawn = tmp_path / "drawn.json"
    drawn.write_text(json.dumps(data))
    problems = verify(PACK, ROOT / "reference", ka.KnownAnswers.load(drawn))
    assert problems == [f"1 check(s) draw other examples than the known answers hold ({check}): "
                        "their code changed since the file was made, so a student's copy asks "
                        "other inputs than the instructor's grader does on the same public "
                        "inputs; run `autograde known-answers --out` again"], problems


def test_a_changed_reference_is_noticed_with_how_its_answers_changed(tmp_path):
    """A reference edited during the term: self-consistent and wrong (everything halved), the
    known answers students compare with no longer hold, and what changed is said, old against
    new; that tells an intended fix from a new bug."""
    changed = tmp_path / "reference"
    shutil.copytree(ROOT / "reference", changed)
    with open(changed / "q2_neural.py", "a") as module:
        module.write(HALVED)
    answers = ka.KnownAnswers.load(PACK.known_answers)
    problems = verify(PACK, changed, answers, remake=False)
    assert problems[0].startswith("the known answers were made from another reference (its "
                                  "files changed since), and it answers differently (below)")
    assert problems[1:] and all("forward_backward_prop" in p and "every value is 0.5 times the "
                                "file's" in p for p in problems[1:]), problems
    assert files_changed(PACK, changed, answers)


def test_a_reference_changed_in_its_files_only_still_holds(tmp_path):
    """A comment added, the shift moved by one (softmax's values stay, and it still cannot
    overflow): "the reference does not hold" and an audit that failed, though every answer
    students compare with was the same."""
    changed = tmp_path / "reference"
    shutil.copytree(ROOT / "reference", changed)
    path = changed / "q1_softmax.py"
    path.write_text(path.read_text().replace("np.max(x, axis=-1, keepdims=True)",
                                             "(np.max(x, axis=-1, keepdims=True) - 1.0)")
                    + "# a comment of the instructor's\n")
    answers = ka.KnownAnswers.load(PACK.known_answers)
    assert verify(PACK, changed, answers, remake=False) == []
    assert files_changed(PACK, changed, answers)
    assert not files_changed(PACK, ROOT / "reference", answers)
    drift = run_cli("student-release", str(tmp_path / "release"), "--reference", str(changed))
    assert drift.returncode == 0, drift.stderr
    assert f"the reference at {changed} is not the one the pack's known answers were made from" \
        in drift.stderr
    same = run_cli("student-release", str(tmp_path / "release2"))
    assert same.returncode == 0 and "known answers were made from" not in same.stderr


def test_made_afresh_the_file_covers_the_same_checks(tmp_path):
    out = tmp_path / "answers.json"
    proc = run_cli("known-answers", "--reference", str(ROOT / "reference"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    fresh, shipped = ka.KnownAnswers.load(out), ka.KnownAnswers.load(PACK.known_answers)
    assert set(fresh.checks) == set(shipped.checks)
    assert fresh.reference_sha256 == shipped.reference_sha256
    # Checks that hypothesis drives keep their examples (the rest ask on fixed inputs).
    assert all(fresh.checks[c].examples for c in fresh.checks if "matches_reference" in c)


@pytest.mark.parametrize("value", [
    np.arange(6.0).reshape(2, 3), np.array([1, 2], dtype=np.int32), np.float64(-0.5), float("inf"),
    (1.5, np.ones(3)), [1, "a", None, True], {"k": np.zeros((0, 2))},
    NetCase(2, 3, 4, 5, 6), W2VCase(5, 3, 2, 1, (2, 3, 4), 9)])
def test_values_survive_the_file(value):
    back = ka.decode(json.loads(json.dumps(ka.encode(value))))
    assert ka.same_value(ka.encode(back), ka.encode(value))
    assert type(back) is type(value)


def test_an_object_argument_keeps_its_state():
    dataset = ReplayDataset((1, 2, 3))
    back = ka.decode(ka.encode(dataset))
    assert isinstance(back, ReplayDataset) and back.sampleTokenIdx() == 1


def test_answers_match_up_to_the_last_bits_only():
    entry = ka.CheckAnswers(None, [{"function": "f", "args": ka.encode((np.array([1.0, 2.0]),)),
                                    "result": ka.encode(3.0)}])
    assert entry.answer("f", (np.array([1.0, 2.0 + 1e-15]),)) == 3.0
    with pytest.raises(ka.NotKnown):
        entry.answer("f", (np.array([1.0, 2.001]),))
    with pytest.raises(ka.NotKnown):
        entry.answer("g", (np.array([1.0, 2.0]),))


def test_numpy_scalars_match_up_to_the_last_bits_too():
    """A float64 cost computed on another CPU (other BLAS kernels) may differ in its last bit: found
    when the shipped answers failed to verify on an AVX-512 machine, where the reference's cost
    came out one ulp away."""
    cost = np.float64(10.08409)
    assert ka.same_value(ka.encode(np.nextafter(cost, 20.0)), ka.encode(cost))
    assert ka.same_value(ka.encode((np.nextafter(cost, 0.0), np.ones(2))), ka.encode((cost, np.ones(2))))
    assert not ka.same_value(ka.encode(cost * (1 + 1e-8)), ka.encode(cost))
    assert not ka.same_value(ka.encode(np.float32(cost)), ka.encode(cost))  # another dtype
    assert not ka.same_value(ka.encode(np.int64(3)), ka.encode(np.int64(4)))
    assert ka.same_value(ka.encode(np.float64("nan")), ka.encode(np.float64("nan")))
    entry = ka.CheckAnswers(None, [{"function": "f", "args": ka.encode((cost,)),
                                    "result": ka.encode(3.0)}])
    assert entry.answer("f", (np.nextafter(cost, 0.0),)) == 3.0


def test_student_mode_says_what_it_checked(tmp_path):
    report = grade(FIXTURES / "correct_summed.py", tmp_path, "--no-reference")
    assert report["score"] == 100
    assert report["inputs"] == {"set": "public", "answers": "known answers",
                                "known_answer_points": 56.55, "instructor_points": 0}


def test_a_check_the_answers_do_not_cover_is_left_to_the_instructor(tmp_path):
    """A file that lacks a check's answers (older than the check): that check is skipped and its
    points are counted as the instructor's, never failed and never passed."""
    data = json.loads(PACK.known_answers.read_text())
    dropped = "test_softmax.py::test_matches_reference"
    del data["checks"][dropped]
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(data))
    out = tmp_path / "r.json"
    proc = run_cli("grade", str(FIXTURES / "correct_summed.py"), "--no-reference", "--json", str(out),
                   "--known-answers", str(partial))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    check = next(c for c in report["checks"] if c["function"] == "softmax" and c["name"] == "matches_reference")
    assert check["status"] == "skipped" and "instructor's grader" in check["message"]
    assert report["inputs"]["instructor_points"] == check["max_score"] == 2
    assert report["score"] == 98


def _called(message: str) -> str:
    return next((line.strip() for line in message.splitlines()
                 if line.strip().startswith("called:")), "")


def test_student_mode_shows_the_failing_explicit_example_the_instructor_does(
        mistake_reports, student_mistake_reports):
    """Where the instructor's grader reports a failing explicit example (@example: the long
    vectors every word2vec grade tries first, the handout's network), a student's copy shows
    that input too, not the smallest of the file's examples: a K = 1 case there showed a mean
    over the K + 1 terms as a factor of 1/2, told of squares."""
    compared, differ = 0, {}
    for name, theirs_report in student_mistake_reports.items():  # the tier's mistakes
        student = {(c["function"], c["name"]): c for c in theirs_report["checks"]}
        for check in mistake_reports[name]["checks"]:
            # (hypothesis before 6.1xx says "Falsifying explicit example")
            if not re.search(r"(Failing|Falsifying) explicit example",
                             check.get("counterexample") or ""):
                continue
            theirs = student.get((check["function"], check["name"]))
            if theirs is None or theirs["status"] != check["status"]:
                continue  # the scores' agreement is the test above
            compared += 1
            if _called(theirs["message"]) != _called(check["message"]):
                differ[f"{name}: {check['name']}"] = (_called(check["message"])[:120],
                                                             _called(theirs["message"])[:120])
    assert compared >= 10 and not differ, (compared, differ)


def test_student_mode_deducts_where_the_instructor_does(student_mistake_reports):
    """Every mistake fixture, graded as a student's copy grades it: it loses points on exactly
    the functions the instructor's grader (tests/fixtures/expected_scores.tsv) takes them off."""
    student = {name: {f["name"]: f["score"] for f in report["functions"]}
               for name, report in student_mistake_reports.items()}
    assert all(r["inputs"]["answers"] == "known answers" for r in student_mistake_reports.values())
    instructor = {}
    for line in (ROOT / "tests" / "fixtures" / "expected_scores.tsv").read_text().splitlines():
        name, *cells = line.split("\t")
        instructor[name] = {k: float(v) for k, v in (c.split("=") for c in cells) if k in FULL}
    missed = {}
    for name in student:  # the tier's mistakes (tests/conftest.py mistakes_in_tier)
        lost_here = {f for f, s in student[name].items() if s < FULL[f]}
        lost_there = {f for f, s in instructor[name].items() if s < FULL[f]}
        if lost_here != lost_there:
            missed[name] = (sorted(lost_there), sorted(lost_here))
    assert not missed
