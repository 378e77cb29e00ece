"""The engine's convention detection (grader/conventions.py) and training-loop check
(grader/training.py), on numbers whose answer is known."""
import numpy as np
import pytest

from grader import conventions as conv
from grader import training
from grader.checks_api import CheckFailure
from grader.hints import Mistake

CANONICAL = np.array([[0.5, -1.25], [2.0, 0.75]])


@pytest.mark.parametrize("convention", conv.ALL)
def test_each_convention_is_detected_from_its_own_values(convention):
    got = convention.of(CANONICAL, 4)
    assert conv.detect(got, CANONICAL, 4, rtol=1e-9, atol=0) == convention


def test_a_value_under_no_convention_is_none():
    assert conv.detect(CANONICAL * 2, CANONICAL, 4, rtol=1e-9, atol=0) is None
    assert conv.detect(CANONICAL[:1], CANONICAL, 4, rtol=1e-9, atol=0) is None  # another shape


def test_a_course_that_fixes_the_sign_does_not_accept_the_other():
    assert conv.detect(-CANONICAL, CANONICAL, 4, among=conv.SCALES, rtol=1e-9, atol=0) is None


def test_with_one_example_the_scales_agree_and_the_first_asked_for_wins():
    got = conv.detect(CANONICAL, CANONICAL, 1, among=(conv.CROSS_ENTROPY_AVERAGED,
                                                      conv.CROSS_ENTROPY_SUMMED), rtol=1e-9, atol=0)
    assert got == conv.CROSS_ENTROPY_AVERAGED
    assert conv.agree(conv.CROSS_ENTROPY_SUMMED, conv.CROSS_ENTROPY_AVERAGED, 1)
    assert not conv.agree(conv.CROSS_ENTROPY_SUMMED, conv.CROSS_ENTROPY_AVERAGED, 3)
    assert conv.mismatch(conv.CROSS_ENTROPY_SUMMED, conv.CROSS_ENTROPY_AVERAGED, 1) == ""


def test_mismatch_names_the_half_that_differs():
    assert conv.mismatch(conv.CROSS_ENTROPY_SUMMED, conv.LOG_LIKELIHOOD_SUMMED, 5) == "the sign"
    assert conv.mismatch(conv.CROSS_ENTROPY_SUMMED, conv.CROSS_ENTROPY_AVERAGED, 5) == "the scale"
    assert conv.mismatch(conv.CROSS_ENTROPY_SUMMED, conv.LOG_LIKELIHOOD_AVERAGED, 5) == \
        "the sign and the scale"


def test_mix_names_which_parts_follow_which_convention():
    found = {"cost": conv.LOG_LIKELIHOOD_SUMMED, "derivative_w2": conv.LOG_LIKELIHOOD_SUMMED,
             "derivative_w1": conv.CROSS_ENTROPY_SUMMED, "derivative_b1": None}
    text = conv.mix(found, 6)
    assert text is not None
    assert "cost and derivative_w2 follow the log-likelihood summed over the examples (ascent)" in text
    assert "derivative_w1 follows the cross-entropy summed over the examples (descent)" in text
    assert "derivative_b1" not in text
    assert conv.mix({"cost": conv.CROSS_ENTROPY_AVERAGED, "grad": conv.CROSS_ENTROPY_AVERAGED,
                     "other": None}, 6) is None


@pytest.mark.parametrize("factor", [1.0, -1.0, 7.0, 1 / 7, -7.0, -1 / 7])
def test_factor_between_finds_sign_and_batch_scale(factor):
    assert conv.factor_between(factor * CANONICAL, CANONICAL, 7, rtol=1e-9) == factor


def test_factor_between_finds_nothing_else():
    assert conv.factor_between(3 * CANONICAL, CANONICAL, 7, rtol=1e-9) is None
    assert conv.factor_between(CANONICAL, np.zeros_like(CANONICAL), 7, rtol=1e-9) is None


# ---- the training-loop check ------------------------------------------------------------------
HINTS = {d: Mistake(d, f"summary of {d}", f"advice for {d}") for d in training.DIAGNOSES}
X = np.array([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.25]])
Y = np.array([1.0, -2.0, 0.5])


def _objective(p):  # a least-squares problem: minimised by descent
    return float(np.sum((X @ p["w"] + p["b"] - Y) ** 2))


def _gradient(p):
    r = X @ p["w"] + p["b"] - Y
    return {"w": 2 * X.T @ r, "b": np.array([2 * r.sum()])}


def _descent(lr, scale=None):
    scale = scale or {"w": 1.0, "b": 1.0}

    def step(p):
        g = _gradient(p)
        return {k: p[k] - lr * scale[k] * g[k] for k in p}
    return step


START = {"w": np.array([0.1, -0.2]), "b": np.array([0.0])}


def _judge(step):
    student = training.run(step, START, 4, _objective)
    reference = training.run(_descent(0.02), START, 4, _objective)
    training.check_trajectory(student, reference, call="train(X, Y, w, b, steps=4)",
                              maximise=False, n=3, rtol=1e-7, atol=1e-10, hints=HINTS)


def test_the_reference_loop_passes():
    _judge(_descent(0.02))


@pytest.mark.parametrize("step, diagnosis, parameter", [
    (_descent(-0.02), "update_wrong_sign", "w"),
    (_descent(0.02, {"w": 1.0, "b": 3.0}), "update_scaled_by_batch", "b"),
    (_descent(0.02, {"w": 1.0, "b": 0.0}), "parameter_not_updated", "b"),
    (_descent(0.02, {"w": 1.3, "b": 1.0}), "trajectory_diverges", "w"),
])
def test_each_broken_loop_is_named(step, diagnosis, parameter):
    with pytest.raises(CheckFailure) as failure:
        _judge(step)
    assert failure.value.hint is HINTS[diagnosis]
    assert failure.value.evidence["training"]["parameter"] == parameter
    assert failure.value.evidence["training"]["first_wrong_step"] == 1
    assert "step 1 of 4" in failure.value.message


def test_a_step_right_but_rounded_in_float32_is_told_as_rounding_not_a_misplaced_argument():
    """A loop whose every step is the right one, in float32: it still fails the float64
    comparison, but is told that the step is right and rounded, with no catalogue hint (they
    point at arguments and conventions); a step 1.3 times too far stays a divergence."""
    def rounded(p):
        return {k: v.astype(np.float32).astype(np.float64)
                for k, v in _descent(0.02)({k: v.astype(np.float32) for k, v in p.items()}).items()}
    with pytest.raises(CheckFailure) as failure:
        _judge(rounded)
    assert failure.value.hint is None
    assert failure.value.evidence["diagnosis"] == "rounding"
    assert "agrees with the reference's to about" in failure.value.message
    assert "the step is right, and its values were rounded on the way" in failure.value.message


def test_a_problem_the_reference_cannot_improve_is_the_packs_error():
    with pytest.raises(ValueError, match="does not improve"):
        reference = training.run(_descent(-0.02), START, 3, _objective)
        training.check_trajectory(reference, reference, call="c", maximise=False, n=3,
                                  rtol=1e-7, atol=1e-10)


def test_consensus_is_what_most_parts_follow():
    ll, ce = conv.LOG_LIKELIHOOD_SUMMED, conv.CROSS_ENTROPY_SUMMED
    found = {"cost": ce, "derivative_w2": ll, "derivative_b2": ll, "derivative_w1": ll,
             "derivative_b1": None}
    # The cost is outvoted: it is the part that strays, not the three derivatives.
    assert conv.consensus(found, 5, prefer=("cost",)) == ll


def test_consensus_ties_go_to_the_preferred_part_then_to_the_first_seen():
    ll, avg = conv.LOG_LIKELIHOOD_SUMMED, conv.LOG_LIKELIHOOD_AVERAGED
    found = {"derivative_w2": avg, "cost": ll, "derivative_b2": ll, "derivative_w1": avg}
    assert conv.consensus(found, 4, prefer=("cost",)) == ll
    assert conv.consensus(found, 4) == avg
    # With one example the scales agree: one group, whatever the labels.
    assert conv.consensus(found, 1).factor(1) == -1.0
    assert conv.consensus({"cost": None, "derivative_w2": None}, 4) is None


# ---- per part: the blocks of one gradient ----------------------------------------------------
GRAD = {"W": CANONICAL, "b": np.array([1.0, -2.0]), "zero": np.zeros(2)}


def test_detect_each_gives_every_block_its_own_convention_and_skips_a_right_zero():
    got = {"W": CANONICAL / 5, "b": GRAD["b"], "zero": np.zeros(2)}
    found = conv.detect_each(got, GRAD, 5, among=conv.SCALES, rtol=1e-9, atol=1e-12)
    assert found == {"W": conv.CROSS_ENTROPY_AVERAGED, "b": conv.CROSS_ENTROPY_SUMMED}
    assert conv.common(found, 5) is None  # a mix
    assert "W follows the cross-entropy averaged" in conv.mix(found, 5)
    same = {"W": CANONICAL / 5, "b": GRAD["b"] / 5, "zero": np.zeros(2)}
    assert conv.common(conv.detect_each(same, GRAD, 5, among=conv.SCALES, rtol=1e-9,
                                        atol=1e-12), 5) == conv.CROSS_ENTROPY_AVERAGED
    wrong = {"W": CANONICAL * 3, "b": GRAD["b"]}
    found = conv.detect_each(wrong, GRAD, 5, among=conv.SCALES, rtol=1e-9, atol=1e-12)
    assert found["W"] is None and conv.common(found, 5) is None


def test_nearest_convention_names_the_one_a_single_factor_away():
    along = {conv.CROSS_ENTROPY_AVERAGED: {"W": CANONICAL / 4},
             conv.CROSS_ENTROPY_SUMMED: {"W": CANONICAL}}
    moved = {"W": 4 * CANONICAL}  # n times the summed step: n² times the averaged one
    assert training.nearest_convention(moved, along, 4, default=conv.CROSS_ENTROPY_AVERAGED) \
        == conv.CROSS_ENTROPY_SUMMED
    assert training.nearest_convention({"W": CANONICAL * 3}, along, 4,
                                       default=conv.CROSS_ENTROPY_AVERAGED) \
        == conv.CROSS_ENTROPY_AVERAGED


def test_a_convention_found_is_reported_only_by_a_check_that_passed():
    """A hypothesis check can pass an example (find a scale) and fail the next (a mix): the
    convention it found is held until it ends, given if it passed and dropped if it failed, so a
    report never names a convention beside the failure that contradicts it."""
    from grader.plugin import GradingState
    state = GradingState(pack=None, submission=None, reference=None)
    state.current_check = "check_that_fails"
    state.note("backward: summed", if_passes=True)
    state.warn("plain")
    assert state.warnings == ["plain"] and state.notes == []
    saved = state.snapshot()
    state.settle("check_that_fails", passed=False)
    assert state.notes == [] and not state.pending
    state.restore(saved)  # a replay that starts over live: the held note is back, undecided
    assert state.pending == {"check_that_fails": [("notes", "backward: summed")]}
    state.current_check = "check_that_passes"
    state.note("backward: averaged", if_passes=True)
    state.warn("held warning", if_passes=True)
    state.settle("check_that_passes", passed=True)
    state.settle("check_that_fails", passed=False)
    assert state.warnings == ["plain", "held warning"] and not state.pending
    assert state.notes == ["backward: averaged"]


@pytest.mark.parametrize("ratio", [-1.0, 2.0, 0.5, 3.0, -2.0])
def test_constant_ratio_finds_the_factor_a_slip_makes(ratio):
    noisy = ratio * CANONICAL * (1 + 1e-9 * np.array([[1, -1], [-1, 1]]))
    found = conv.constant_ratio(noisy, CANONICAL, rtol=1e-6)
    assert found == ratio and conv.is_simple(found)


def test_constant_ratio_holds_across_every_entry_or_is_none():
    twisted = CANONICAL * np.array([[2.0, 2.0], [2.0, -2.0]])  # one entry with the other sign
    assert conv.constant_ratio(twisted, CANONICAL, rtol=1e-6) is None
    assert conv.constant_ratio(CANONICAL, np.zeros_like(CANONICAL), rtol=1e-6) is None
    assert conv.constant_ratio(CANONICAL * np.nan, CANONICAL, rtol=1e-6) is None


def test_only_a_small_fraction_is_a_slip_worth_naming():
    assert not conv.is_simple(1.0) and not conv.is_simple(None)
    assert not conv.is_simple(0.3712) and not conv.is_simple(7.0)
    assert conv.describe_ratio(-1.0) == "the negative of" and conv.describe_ratio(2.0) == "twice"
    assert conv.describe_ratio(1 / 3) == "1/3 of"


def test_factor_between_is_constant_ratio_restricted_to_the_conventions():
    """One place measures a constant ratio: the batch conventions are the factors it prefers."""
    assert conv.constant_ratio(7 * CANONICAL, CANONICAL, rtol=1e-9, prefer=(7.0,)) == 7.0
    assert conv.constant_ratio(2 * CANONICAL, CANONICAL, rtol=1e-9) == 2.0
    assert conv.factor_between(2 * CANONICAL, CANONICAL, 7, rtol=1e-9) is None


# ---- the packs use this module, not copies of it -----------------------------------------------
def test_the_cs224n_pack_asks_the_engine_whether_its_cost_is_summed_or_averaged(monkeypatch,
                                                                                  request):
    """#17: convention detection is written once. When a gradient is 1/M of its own cost's
    derivative, the CS224n pack asks whether the submission's cost is summed or averaged over the
    examples (to name "averaged twice"): the answer must come from grader/conventions.py."""
    import importlib.util
    from pathlib import Path

    from grader.packs.cs224n_a1.inputs import NetCase
    # The check module's markers are the grading plugin's, not registered in this session: all of
    # them, as the plugin registers them (a list kept here went stale as markers were added).
    from grader import plugin
    plugin.register_markers(request.config)
    path = (Path(conv.__file__).parent / "packs" / "cs224n_a1" / "checks"
            / "test_forward_backward_prop.py")
    spec = importlib.util.spec_from_file_location("cs224n_fbp_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    case = NetCase(4, 3, 2, 3, 5)

    class Reply:
        def __init__(self, value):
            self.value = value

    class Student:  # each example costs 1 + the squares of its data; the batch, their mean
        def __call__(self, data, labels, params, dimensions):
            return float(np.mean(1.0 + np.sum(data ** 2, axis=1))), np.zeros(case.n_params)

        def many(self, calls):
            return [Reply(self(*c)) for c in calls]

    asked = []

    def spy(*args, **kwargs):
        found = real(*args, **kwargs)
        asked.append(found)
        return found
    real = conv.detect
    monkeypatch.setattr(conv, "detect", spy)
    assert module._own_cost_scale(Student(), {}, case) == "averaged"
    assert asked == [conv.CROSS_ENTROPY_AVERAGED]
