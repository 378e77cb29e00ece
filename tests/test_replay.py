"""A warm grader (grader/server.py) grades submission after submission and replays checks from the
recipes earlier submissions left (grader/replay.py). Every verdict must be the one grading the
upload alone gives, and the replay must really carry the load."""
from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from conftest import (FIXTURES, LIVE, ROOT, assert_every_failure_explained, grade, grade_many,
                      mistakes_in_tier)
from fixtures.mistakes import materialize
from hypothesis import given, settings, strategies as st

from grader import examples_run, recipe_cache, replay
from grader.isolation import could_write_users_files
from grader.model import SubmissionResult
from grader.packs import DEFAULT_PACK, load_pack, marker_cache
from grader.proxy import ReplayDiverged, Request, Submission
from grader.server import GraderServer
from grader.worker import wire

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
# The pack's checks, and those marked @pytest.mark.live (the two of one large call each, whose
# megabytes of arrays are not worth a recipe): never replayed, run live in every grade. 48 since
# softmax's advisory `vectorized` (the handout's rule, warned of): it replays, its requests asking
# the worker to count lines as the live run's do.
CHECKS, LIVE_CHECKS = 48, 2

# A sigmoid right for the first three calls a process makes and wrong after (a stale cache): its
# verdicts depend on every check starting from the state the import left, as live runs do.
STATEFUL_SIGMOID = '''_calls = [0]


def sigmoid(x):
    _calls[0] += 1
    s = 1.0 / (1.0 + np.exp(-x))
    return s if _calls[0] <= 3 else s * 0.5
'''


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """Uploads written for this module."""
    folder = tmp_path_factory.mktemp("made")
    text = (FIXTURES / "correct_summed.py").read_text()
    start, end = text.index("def sigmoid(x):"), text.index("def sigmoid_grad(s):")
    stateful = folder / "stateful_sigmoid.py"
    stateful.write_text(text[:start] + STATEFUL_SIGMOID + "\n\n" + text[end:])
    return {"stateful_sigmoid": stateful}


@pytest.fixture(scope="module")
def uploads(made, tmp_path_factory) -> dict[str, Path]:
    src = tmp_path_factory.mktemp("uploads")
    return {**OTHERS, **made, **{m.name: materialize(m, src) for m in mistakes_in_tier()}}


@pytest.fixture(scope="module")
def alone(mistakes_alone, made, tmp_path_factory) -> dict[str, dict]:
    return {**mistakes_alone, **grade_many({**OTHERS, **made}, tmp_path_factory.mktemp("alone"),
                                            env=LIVE)}


@pytest.fixture(scope="module")
def warm(uploads, tmp_path_factory) -> dict[str, tuple[dict, dict, str | None]]:
    """Every upload graded in turn by one of two servers (this machine has two cores), each
    grading the reference first and then every other upload: (its report, the server's reply,
    the upload that server graded next)."""
    out = tmp_path_factory.mktemp("warm")
    names = list(uploads)
    assert names[0] == "reference"
    shares = [names[0::2], ["reference", *names[1::2]]]  # the second grades the reference again

    def grade_in_turn(share: list[str], server_index: int) -> list[tuple[str, dict, dict]]:
        server = GraderServer()
        graded = []
        try:
            for name in share:
                report = out / f"{server_index}-{name}.json"
                status, why = server.grade([str(uploads[name]), "--json", str(report)],
                                           wall_seconds=300)
                assert status == 0, why
                graded.append((name, json.loads(report.read_text()), dict(server.last_reply)))
                assert_every_failure_explained(graded[-1][1])
        finally:
            server.close()
        return graded

    with ThreadPoolExecutor(max_workers=2) as pool:
        turns = list(pool.map(grade_in_turn, shares, range(2)))
    graded = {}
    for turn in turns:
        for i, (name, report, reply) in enumerate(turn):
            following = turn[i + 1][0] if i + 1 < len(turn) else None
            graded.setdefault(name, (report, reply, following))
    assert _view(turns[1][0][1]) == _view(turns[0][0][1])  # the reference, on both servers
    return graded


@pytest.fixture(scope="module")
def cold(uploads, tmp_path_factory) -> tuple[dict[str, dict], Path]:
    """Every upload graded alone, each in a fresh process, from the recipes on disk that grading
    the reference left (grader/recipe_cache.py), as a student's second run would be."""
    cache = tmp_path_factory.mktemp("cache")
    env = {recipe_cache.CACHE_ENV: str(cache)}
    grade_many({"reference": ROOT / "reference"}, tmp_path_factory.mktemp("first"), env=env)
    return grade_many(uploads, tmp_path_factory.mktemp("cold"), env=env), cache


def _view(report: dict) -> dict:
    return SubmissionResult.from_dict({k: v for k, v in report.items() if not k.startswith("_")}
                                      ).graded_view()


# The mistakes of this tier: the sample by default, every one with --full (tests/conftest.py).
UPLOADS = [*OTHERS, "stateful_sigmoid", *(m.name for m in mistakes_in_tier())]


@pytest.mark.parametrize("name", UPLOADS)
def test_warm_grade_equals_grading_alone(warm, alone, name):
    assert _view(warm[name][0]) == _view(alone[name])


@pytest.mark.parametrize("name", UPLOADS)
def test_cold_grade_from_kept_recipes_equals_grading_alone(cold, alone, name):
    assert _view(cold[0][name]) == _view(alone[name])


def test_kept_recipes_are_one_book_that_reads_back_the_same(cold):
    """One book for the public inputs, and what it reads back is what was recorded: the same
    requests byte for byte, and examples that encode the same."""
    from grader.known_answers import encode

    books = list(cold[1].glob("recipes-*.json"))
    assert len(books) == 1
    recipes = recipe_cache.from_json(books[0].read_text())
    assert len(recipes) == CHECKS - LIVE_CHECKS
    book = replay.RecipeBook(recipes=recipes)
    again = recipe_cache.from_json(recipe_cache.to_json(book))
    assert again.keys() == recipes.keys()
    for check, recipe in recipes.items():
        assert [r.key for r in again[check].requests] == [r.key for r in recipe.requests]
        assert json.dumps(encode(again[check].examples)) == json.dumps(encode(recipe.examples))


def test_secret_inputs_keep_no_recipes_and_a_students_copy_keeps_its_own(tmp_path, monkeypatch):
    from grader import input_set, session

    monkeypatch.setenv(recipe_cache.CACHE_ENV, str(tmp_path))
    pack = load_pack(DEFAULT_PACK)
    public = session.Options(reference_dir=ROOT / "reference")
    instructor = recipe_cache.book_path(pack, public, ROOT / "reference")
    assert instructor.parent == tmp_path
    secret = session.Options(reference_dir=ROOT / "reference",
                             input_set=input_set.from_text("a course secret of some length"))
    assert recipe_cache.book_path(pack, secret, ROOT / "reference") is None
    # Without the reference, the known answers decide what the checks compare with: a book of
    # their own, and another for other answers.
    student = recipe_cache.book_path(pack, session.Options(no_reference=True), None)
    assert student.parent == tmp_path and student != instructor
    other = tmp_path / "other-answers.json"
    other.write_text(pack.known_answers.read_text().replace('"format"', '"format" ', 1))
    assert recipe_cache.book_path(pack, session.Options(no_reference=True, known_answers=other),
                                  None) not in (None, student)
    missing = session.Options(no_reference=True, known_answers=tmp_path / "missing.json")
    assert recipe_cache.book_path(pack, missing, None) is None


@pytest.fixture(scope="module")
def students_copy(uploads, student_mistake_reports, tmp_path_factory
                  ) -> tuple[dict[str, dict], dict[str, dict], Path]:
    """The correct uploads and every mistake fixture graded as a student's copy grades them (no
    reference: the known answers): each alone and live, and each from the recipes that grading
    the reference that way left on disk."""
    names = {name: uploads[name] for name in [*CORRECT, *(m.name for m in mistakes_in_tier())]}
    alone = {**student_mistake_reports,
             **grade_many({name: uploads[name] for name in CORRECT},
                          tmp_path_factory.mktemp("student-alone"), "--no-reference", env=LIVE)}
    cache = tmp_path_factory.mktemp("student-cache")
    env = {recipe_cache.CACHE_ENV: str(cache)}
    grade_many({"reference": ROOT / "reference"}, tmp_path_factory.mktemp("student-first"),
               "--no-reference", env=env)
    kept = grade_many(names, tmp_path_factory.mktemp("student-kept"), "--no-reference", env=env)
    return alone, kept, cache


@pytest.mark.parametrize("name", [*CORRECT, *(m.name for m in mistakes_in_tier())])
def test_a_students_copy_grades_from_kept_recipes_as_it_grades_alone(students_copy, name):
    alone, kept, _ = students_copy
    assert kept[name]["inputs"]["answers"] == "known answers"
    assert _view(kept[name]) == _view(alone[name])


def test_a_students_copy_keeps_recipes_of_the_checks_run_on_the_known_examples(students_copy):
    """Those checks are plain ones there: the same examples every run, their requests the whole
    recipe (grader/replay.py). The correct reference, graded first, leaves a recipe for each."""
    *_, cache = students_copy
    (path,) = cache.glob("recipes-*.json")
    book = replay.RecipeBook()
    recipe_cache.load(path, book)
    answers = json.loads(load_pack(DEFAULT_PACK).known_answers.read_text())["checks"]
    known = [check for check, entry in answers.items() if entry.get("examples")]
    assert len(known) == 8
    for check in known:
        assert book.recipes[check].examples is None and book.recipes[check].requests, check


def test_stateful_submission_is_judged_check_by_check(warm):
    """Checks that call sigmoid at most three times pass, the others fail: each check, replayed
    or live, starts from the submission as its import left it."""
    sigmoid = [c for c in warm["stateful_sigmoid"][0]["checks"] if c["function"] == "sigmoid"]
    assert {c["status"] for c in sigmoid} == {"passed", "failed"}


def test_a_request_the_recipe_does_not_hold_ends_the_replay():
    """Byte for byte: -0.0 is not 0.0, and a request past the recipe's end is not in it."""
    submission = Submission(FIXTURES / "correct_summed.py", load_pack(DEFAULT_PACK).homes,
                            isolation_mode="process")
    node, blobs = wire.encode_value([(np.zeros(3),)])
    recorded = Request("sigmoid", node, tuple(blobs), False)
    try:
        assert submission.begin_replay("check", "sigmoid", [recorded])
        assert np.array_equal(submission.call("sigmoid", np.zeros(3)).value, np.full(3, 0.5))
        with pytest.raises(ReplayDiverged):
            submission.call("sigmoid", np.zeros(3))
        submission.end_check()
        assert submission.begin_replay("check", "sigmoid", [recorded])
        with pytest.raises(ReplayDiverged):
            submission.call("sigmoid", np.array([-0.0, 0.0, 0.0]))
        submission.end_check()
    finally:
        submission.close()


def test_correct_submissions_after_the_first_are_replayed_whole(warm):
    """After the reference, no correct submission runs a check live but those marked live."""
    for name in CORRECT[1:]:
        reply = warm[name][1]
        assert reply["live"] == LIVE_CHECKS and reply["replayed"] == CHECKS - LIVE_CHECKS, (
            name, reply)


def test_a_failing_property_check_is_run_live_for_its_counterexample(warm, alone):
    report, reply, _ = warm["softmax_wrong_axis"]
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
    for name in ("softmax_hangs", "fbp_segfault", "sigmoid_os_exit"):
        following = warm[name][2]
        assert following is not None and warm[following][0]["checks"], following


def test_a_recycled_server_starts_without_recipes(tmp_path):
    """After `recycle_after` submissions the server is replaced: a fresh one knows no recipe."""
    server = GraderServer(recycle_after=1)
    try:
        for run in range(2):
            status, why = server.grade([str(FIXTURES / "correct_summed.py"), "--json",
                                        str(tmp_path / f"{run}.json")], wall_seconds=300)
            assert status == 0, why
            assert server.last_reply["live"] == CHECKS and server.last_reply["replayed"] == 0
        status, why = server.grade(["--no-such-option"], wall_seconds=300)
        assert status == 2 and "arguments are required: submission" in why
    finally:
        server.close()


def test_a_check_marked_live_is_never_replayed():
    """The marker pack authors put on a check that passes an answer back in (README)."""
    class Check:
        def __init__(self, marks: set[str]) -> None:
            self.marks = marks

        def get_closest_marker(self, name: str) -> object | None:
            return object() if name in self.marks else None

    assert replay.replayable(Check({"points"}))
    assert not replay.replayable(Check({"points", "live"}))


def test_replayed_examples_meet_the_random_state_a_live_run_gives_them():
    """A check body that draws from `random` or numpy's global generator draws the same numbers
    replayed (grader/examples_run.py) as in hypothesis's own run of the same examples."""
    live: list[tuple] = []

    @settings(derandomize=True, database=None, max_examples=6)
    @given(st.integers(0, 1000))
    def body(x: int) -> None:
        live.append((x, random.random(), float(np.random.rand()), random.random()))

    random.seed(99)
    np.random.seed(99)
    body()
    after = (random.random(), float(np.random.rand()))
    assert len({entry[1:] for entry in live}) == 1  # hypothesis seeds every example alike
    replayed: list[tuple] = []
    random.seed(99)
    np.random.seed(99)
    examples_run.run_each([entry[0] for entry in live], lambda x: replayed.append(
        (x, random.random(), float(np.random.rand()), random.random())))
    assert replayed == live
    assert (random.random(), float(np.random.rand())) == after  # and leaves the state as it was


# Run apart from this session: its --strict-markers refuses the packs' own markers at import.
DIGESTS_OF_EVERY_CHECK = """
import importlib.util, json, sys
from pathlib import Path
from hypothesis.internal.reflection import function_digest
from grader import replay
from grader.packs import BUILTIN_PACKS

compared = []
for name, root in sorted(BUILTIN_PACKS.items()):
    for path in sorted(Path(root).glob("checks/test_*.py")):
        spec = importlib.util.spec_from_file_location(f"_digest_{name}_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for attribute in vars(module).values():
            inner = getattr(getattr(attribute, "hypothesis", None), "inner_test", None)
            if inner is not None:
                wrapped = replay._wrapped_like_the_recorder(inner)
                compared.append(function_digest(wrapped) == function_digest(inner))
print(json.dumps({"probe": replay._wrapping_keeps_the_digest(), "checks": compared}))
"""


def test_the_recorder_keeps_every_checks_digest_as_its_probe_says():
    """The recorder stands in for a check only where hypothesis gives it the check's own digest
    (the seed of a derandomized run): asked once of a probe, that must hold for every property
    check of every built-in pack."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", DIGESTS_OF_EVERY_CHECK], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert found["probe"] is True
    assert len(found["checks"]) >= 30 and all(found["checks"])


def test_a_recorder_that_would_change_the_digest_keeps_no_recipe(monkeypatch):
    @given(st.integers(0, 5))
    def check(x: int) -> None:
        pass

    class Item:
        obj = check

    monkeypatch.setattr(replay, "_wrapping_keeps_the_digest", lambda: False)
    with replay._Recorder(Item(), set()) as recorder:
        check()
    assert not recorder.usable and check.hypothesis.inner_test is not None
    monkeypatch.undo()
    with replay._Recorder(Item(), set()) as recorder:
        check()
    assert recorder.usable and len(recorder.examples) > 0


def test_a_grade_whose_submission_could_write_the_cache_leaves_no_book_behind(tmp_path):
    """Under process isolation as the grader's own uid, or as root with no unprivileged uid to
    drop to, the submission could rewrite any recipe book (or the markers file) in the cache
    folder, and the next student's grade (in a sandbox, say) would replay from it: such a grade
    removes every book. A grade whose worker could not write them keeps its own
    (tests/test_cache_folder.py has a submission that does rewrite them)."""
    cache = tmp_path / "cache"
    first = grade(FIXTURES / "correct_summed.py", tmp_path / "a", "--isolation", "process",
                  env={"AUTOGRADE_CACHE_DIR": str(cache)})
    exposed = could_write_users_files(first["isolation"])
    if not exposed:
        assert list(cache.glob("recipes-*.json")), "a grade that ran safely keeps its book"
        assert (cache / marker_cache.FILE_NAME).exists(), "... and the check files' markers"
    planted = cache / "recipes-cs224n-a1-000000000000000000000000.json"
    cache.mkdir(exist_ok=True)
    planted.write_text("{}")
    markers = cache / marker_cache.FILE_NAME  # (grader/packs/marker_cache.py)
    markers.write_text('{"format": 1, "files": {}}')
    again = grade(FIXTURES / "correct_summed.py", tmp_path / "b", "--isolation", "process",
                  env={"AUTOGRADE_CACHE_DIR": str(cache)})
    assert again["score"] == 100
    assert planted.exists() != exposed, again["isolation"]
    assert markers.exists() != exposed, again["isolation"]
    if again["isolation"]["user"].startswith("root"):
        assert "privilege drop" in " ".join(again["isolation"]["unavailable"])


def test_the_cache_lives_in_an_existing_home_and_never_makes_one(tmp_path, monkeypatch):
    """HOME=/nonexistent (a service account's) as root: the grader made /nonexistent/.cache/...
    The cache is a speed-up: without a home it is simply not kept."""
    monkeypatch.delenv(recipe_cache.CACHE_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "nonexistent"))
    assert recipe_cache.folder() is None
    monkeypatch.setenv("HOME", str(tmp_path))
    assert recipe_cache.folder() == tmp_path / ".cache" / "autograde"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert recipe_cache.folder() == tmp_path / "xdg" / "autograde"
    assert not (tmp_path / "nonexistent").exists()


STACK_READER = '''
import inspect

def sigmoid(x):
    """What the frames above this call show: each one's function, its locals' names, and
    those of its locals that are text, flags or mappings (their keys and text values)."""
    seen = []
    for info in inspect.stack()[1:]:
        shown = []
        for name, value in sorted(info.frame.f_locals.items()):
            if isinstance(value, (str, bool)) or value is None:
                shown.append((name, value))
            elif isinstance(value, dict):
                shown.append((name, sorted((k, v) for k, v in value.items()
                                           if isinstance(v, (str, bool)))))
            else:
                shown.append((name, type(value).__name__))
        seen.append((info.function, shown))
    return repr(seen)
'''


def test_a_replayed_call_meets_the_frames_a_live_one_meets(tmp_path):
    """A function could tell a replayed check from a live one by its stack (`_run_in_fork` or
    `serve_check` on it, an `op` of "run"), answer wrongly live and rightly replayed, and earn in
    a batch, after any upload that passed, points its code never earns alone (probe s61)."""
    upload = tmp_path / "stack_reader.py"
    upload.write_text(STACK_READER)
    submission = Submission(upload, {"sigmoid": "q2_sigmoid.py"}, isolation_mode="process")
    node, blobs = wire.encode_value([(np.zeros(3),)])
    recorded = Request("sigmoid", node, tuple(blobs), False)
    try:
        submission.begin_check("live", "sigmoid")
        live = submission.call("sigmoid", np.zeros(3)).value
        submission.end_check()
        assert submission.begin_replay("replayed", "sigmoid", [recorded])
        replayed = submission.call("sigmoid", np.zeros(3)).value
        submission.end_check()
    finally:
        submission.close()
    assert isinstance(live, str) and "'answer'" in live  # the worker's frames are seen
    assert replayed == live
