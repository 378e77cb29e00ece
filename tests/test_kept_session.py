"""A process that grades again runs the checks pytest configured and collected at its first grade
(grader/kept_session.py). Every report must be the one pytest.main gives, whatever came before it
in the same process: another submission's failures, a crash, a selection of functions, another
course secret."""
from __future__ import annotations

import dataclasses

import pytest

from conftest import FIXTURES, ROOT
from fixtures.mistakes import MISTAKES, materialize

from grader import grading, input_set, kept_session, plugin, session
from grader.model import SubmissionResult
from grader.proxy import Limits

# Uploads that leave different things behind in the grader: failures shrunk by hypothesis, a
# function that ends its process, one that mutates its input, one that reseeds, and full marks.
MISTAKE_NAMES = ("softmax_wrong_axis", "sigmoid_os_exit", "fbp_mutates_params",
                 "negsampling_seeds_inside", "fbp_gradient_doubled")
SECRET = input_set.from_text("a course secret for the kept session's test")
OPTIONS = session.Options(reference_dir=ROOT / "reference", isolation="process",
                          limits=Limits(call_seconds=1, check_seconds=3))


@pytest.fixture(scope="module")
def uploads(tmp_path_factory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("kept")
    made = {m.name: materialize(m, folder) for m in MISTAKES if m.name in MISTAKE_NAMES}
    assert set(made) == set(MISTAKE_NAMES)
    return {"correct_summed": FIXTURES / "correct_summed.py", **made,
            "missing_softmax": FIXTURES / "missing_softmax.py"}


# (upload, --only, secret): grades in an order where each follows something different.
TURNS = [("correct_summed", None, False), ("softmax_wrong_axis", None, False),
         ("sigmoid_os_exit", None, False), ("fbp_mutates_params", ("forward_backward_prop",), False),
         ("negsampling_seeds_inside", None, True), ("missing_softmax", None, False),
         ("fbp_gradient_doubled", ("sigmoid", "forward_backward_prop"), False),
         ("correct_summed", None, True), ("correct_summed", None, False)]


def _graded(uploads, turns, *, kept: bool) -> list[dict]:
    kept_session.close_all()
    before = kept_session.ENABLED
    kept_session.ENABLED = kept
    try:
        views = []
        for name, only, secret in turns:
            options = dataclasses.replace(OPTIONS, input_set=SECRET) if secret else OPTIONS
            result = grading.grade_to_files(submission=uploads[name], options=options, only=only,
                                            recipe_books={})
            views.append(SubmissionResult.from_dict(result.to_dict()).graded_view())
        return views
    finally:
        kept_session.ENABLED = before


@pytest.fixture(scope="module")
def both_ways(uploads) -> tuple[list[dict], list[dict], int, list[list[tuple]]]:
    """Every turn graded in one process with a kept session, then again through pytest.main;
    with how many sessions were made, and what each kept grade ran: (function, hypothesis
    seed) for each of its checks."""
    made, ran = [], []
    real_init, real_choice = kept_session._Session.__init__, plugin.for_this_grade

    def counted(self, *args, **kwargs):
        made.append(1)
        real_init(self, *args, **kwargs)

    def chosen(config, items, state):
        items = real_choice(config, items, state)
        ran.append([(item.stash[plugin.FUNCTION],
                     getattr(getattr(item.obj, "__func__", item.obj),
                             "_hypothesis_internal_use_seed", "no property"))
                    for item in items])
        return items

    kept_session._Session.__init__ = counted
    kept_session.plugin.for_this_grade = chosen
    try:
        kept = _graded(uploads, TURNS, kept=True)
    finally:
        kept_session._Session.__init__ = real_init
        kept_session.plugin.for_this_grade = real_choice
        kept_session.close_all()
    return kept, _graded(uploads, TURNS, kept=False), len(made), ran


@pytest.mark.parametrize("turn", range(len(TURNS)), ids=[f"{i}-{t[0]}" for i, t in enumerate(TURNS)])
def test_a_kept_session_grades_as_pytest_main_does(both_ways, turn):
    kept, alone, _, _ = both_ways
    assert kept[turn] == alone[turn]


def test_the_checks_are_collected_once_per_pack_and_options(both_ways):
    """One session for the run's options; a course secret changes only the inputs, which each
    grade seeds anew, and --only only which items run: neither needs another."""
    kept, _, sessions, _ = both_ways
    assert sessions == 1
    # 48: the 47 graded checks and softmax's advisory `vectorized`, worth 0
    assert [len(view["checks"]) for view in kept][:3] == [48, 48, 48]


def test_each_kept_grade_runs_its_own_choice_of_checks_seeded_for_its_inputs(both_ways):
    """What a report cannot show: the checks of the functions not chosen never ran (they would
    have called the submission), and under a course secret every property check drew from the
    secret's seeds (a failing check's shrunk counterexample is often the same either way)."""
    _, _, _, ran = both_ways
    assert len(ran) == len(TURNS) + 1  # at collection, then for each grade
    for (name, only, secret), checks in zip(TURNS, ran[1:]):
        functions = {function for function, _ in checks}
        assert functions == set(only or functions) and len(functions) == len(only or "12345")
        seeds = [seed for _, seed in checks if seed != "no property"]
        assert seeds, name
        assert all((seed is not None) == secret for seed in seeds), (name, secret)


def test_a_first_grade_with_only_leaves_every_check_to_the_grades_after_it(uploads):
    """The session was collected with --only's choice alone: every later grade of the process
    graded sigmoid only (10 of 100 for a correct upload, where the checks asked for all)."""
    kept_session.close_all()
    try:
        first = grading.grade_to_files(submission=uploads["correct_summed"], options=OPTIONS,
                                       only=["sigmoid"], recipe_books={})
        then = grading.grade_to_files(submission=uploads["correct_summed"], options=OPTIONS,
                                      recipe_books={})
        assert (first.score, first.max_score) == (10, 10)
        assert (then.score, then.max_score, len(then.checks)) == (100, 100, 48)
        assert len(kept_session._kept) == 1
    finally:
        kept_session.close_all()


def test_a_grade_leaves_no_fixture_set_up_for_the_next(uploads):
    kept_session.close_all()
    grading.grade_to_files(submission=uploads["correct_summed"], options=OPTIONS, recipe_books={})
    (kept,) = kept_session._kept.values()
    assert kept.session._setupstate.stack == {}
    kept_session.close_all()


def test_an_interrupted_grade_drops_its_session(uploads, monkeypatch):
    """Stopped mid-grade, a session may hold fixtures set up for a submission: the next grade
    gets a new one, and grades as pytest.main does."""
    kept_session.close_all()
    grading.grade_to_files(submission=uploads["correct_summed"], options=OPTIONS, recipe_books={})
    (first,) = kept_session._kept.values()
    real = first.run

    def interrupted(state):
        raise KeyboardInterrupt

    monkeypatch.setattr(first, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        grading.grade_to_files(submission=uploads["correct_summed"], options=OPTIONS,
                               recipe_books={})
    assert kept_session._kept == {} and not first.usable
    monkeypatch.setattr(first, "run", real)
    result = grading.grade_to_files(submission=uploads["softmax_wrong_axis"], options=OPTIONS,
                                    recipe_books={})
    assert next(iter(kept_session._kept.values())) is not first
    assert result.score < result.max_score and result.checks
    kept_session.close_all()


def test_a_course_config_read_at_collection_gets_a_session_of_its_own(uploads):
    """A check's visibility (and its points) are read from the pack as pytest collects: a grade
    under another course config must not run the checks collected under the first."""
    from grader.packs import load_pack
    kept_session.close_all()
    pack = load_pack()
    hidden = dataclasses.replace(pack, forced_visibility={"sigmoid": "hidden"})
    try:
        first, second, third = (
            grading.grade_to_files(submission=uploads["correct_summed"], pack=p, options=OPTIONS,
                                   only=("sigmoid",), recipe_books={})
            for p in (pack, hidden, pack))
        assert {c.visibility for c in first.checks} == {"visible"}
        assert {c.visibility for c in second.checks} == {"hidden"}
        assert {c.visibility for c in third.checks} == {"visible"}
    finally:
        kept_session.close_all()


def test_a_kept_session_that_breaks_mid_grade_gives_a_report_and_is_dropped(uploads, monkeypatch):
    """What escapes pytest's own protocol (a plugin's bug) ends pytest.main with its
    INTERNAL_ERROR status, which a grade words as the grader's problem: a kept session does the
    same, and the next grade makes a new one."""
    kept_session.close_all()
    grading.grade_to_files(submission=uploads["correct_summed"], options=OPTIONS, recipe_books={})
    (first,) = kept_session._kept.values()
    real = first.run

    def broken(state):  # after the checks ran, as a hook breaking at the session's end would
        real(state)
        raise RuntimeError("a hook broke")

    monkeypatch.setattr(first, "run", broken)
    result = grading.grade_to_files(submission=uploads["correct_summed"], options=OPTIONS,
                                    recipe_books={})
    assert any(w.startswith("grader problem") for w in result.warnings), result.warnings
    assert kept_session._kept == {} and not first.usable
    kept_session.close_all()
