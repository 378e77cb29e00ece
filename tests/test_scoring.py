"""Properties of the scoring functions themselves."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader import scoring
from grader.hints import Catalogue, Mistake
from grader.model import CheckResult, SubmissionResult

weights = st.dictionaries(st.text("abcdefgh", min_size=1, max_size=4),
                          st.floats(0.1, 100, allow_nan=False), min_size=1, max_size=12)
totals = st.integers(1, 10_000).map(lambda c: c / 100)


@given(total=totals, w=weights)
def test_distribute_adds_up_exactly_and_never_exceeds(total, w):
    parts = scoring.distribute(total, w)
    assert set(parts) == set(w)
    assert round(sum(parts.values()) * 100) == round(total * 100)
    assert all(0 <= p <= total for p in parts.values())


def test_distribute_gives_whole_points_for_whole_weights():
    assert scoring.distribute(15, {"a": 3, "b": 2, "c": 10}) == {"a": 3.0, "b": 2.0, "c": 10.0}


statuses = st.sampled_from(["passed", "failed", "error", "timeout", "skipped"])


@given(st.lists(st.tuples(statuses, st.integers(1, 20)), min_size=1, max_size=15))
def test_function_score_never_above_its_max(outcomes):
    checks = [CheckResult(name=f"c{i}", function="f", status=s,
                          score=scoring.check_score(s, m), max_score=m, message="" if s == "passed" else "x")
              for i, (s, m) in enumerate(outcomes)]
    fn = scoring.summarise_function("f", checks)
    assert 0 <= fn.score <= fn.max_score
    assert fn.score == sum(m for s, m in outcomes if s == "passed")
    assert fn.skipped_points == sum(m for s, m in outcomes if s == "skipped")
    if all(s == "passed" for s, _ in outcomes):
        assert fn.summary == "all checks passed"


def test_identical_failures_summarise_to_one_line():
    checks = [CheckResult(f"c{i}", "f", "error", 0, 1, message="f is not implemented yet (x).")
              for i in range(3)]
    assert scoring.summarise_function("f", checks).summary == "f is not implemented yet (x)."


def test_placeholders_met_at_several_lines_still_summarise_as_not_implemented():
    """The 2017 starter's softmax raises NotImplementedError in its matrix branch and in its
    vector branch: every check said "not implemented yet", at one line or the other, and the
    summary said "7 of 7 checks failed" (probe s58). Where one of them passes, the count stays."""
    def said(line: int) -> str:
        return f"f is not implemented yet (it raises NotImplementedError at a.py, line {line})."
    checks = [CheckResult(f"c{i}", "f", "error", 0, 1, message=said(20 + 6 * (i % 2)))
              for i in range(4)]
    assert scoring.summarise_function("f", checks).summary == said(20)
    partly = [*checks[:3], CheckResult("c3", "f", "passed", 1, 1)]
    assert scoring.summarise_function("f", partly).summary.startswith("3 of 4 checks failed")


def test_check_result_rejects_impossible_values():
    with pytest.raises(ValueError):
        CheckResult("c", "f", "passed", 3, 2)
    with pytest.raises(ValueError):
        CheckResult("c", "f", "great", 0, 2)


def test_result_round_trips_through_dict():
    check = CheckResult("c", "f", "failed", 0, 2, message="m", hint="why", mistake="m1",
                        evidence={"gradient": {"blocks": {"W1": {"relative_error": [[1e-3, None]]}}}},
                        output="x" * 10, output_truncated=True)
    fn = scoring.summarise_function("f", [check])
    result = SubmissionResult("s.py", 0, 2, (check,), (fn,), warnings=("w",), timings={"t": 1.0},
                              mistakes={"m1": {"title": "t", "explanation": "why",
                                               "severity": "error"}})
    assert SubmissionResult.from_dict(result.to_dict()) == result
    assert SubmissionResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
    with pytest.raises(ValueError):
        SubmissionResult.from_dict({**result.to_dict(), "schema_version": 99})


def test_reports_without_the_newer_fields_still_load():
    """A report written before `mistake`, `evidence`, `output_truncated` and `mistakes` existed."""
    check = CheckResult("c", "f", "failed", 0, 2, message="m", hint="h")
    old = SubmissionResult("s.py", 0, 2, (check,), (scoring.summarise_function("f", [check]),)).to_dict()
    for c in old["checks"]:
        for key in ("mistake", "evidence", "output_truncated"):
            del c[key]
    del old["mistakes"]
    loaded = SubmissionResult.from_dict(old)
    assert loaded.checks[0].mistake == "" and loaded.checks[0].evidence == {}
    assert loaded.mistakes == {} and loaded.checks[0].hint == "h"


def test_catalogue_is_validated_when_built():
    good = Mistake("a", "title", "explanation")
    with pytest.raises(ValueError, match="listed twice"):
        Catalogue("p", [good, Mistake("a", "other", "text")])
    with pytest.raises(ValueError, match="identifier"):
        Mistake("not an id", "t", "e")
    with pytest.raises(ValueError, match="one non-empty line"):
        Mistake("b", "two\nlines", "e")
    with pytest.raises(ValueError, match="severity"):
        Mistake("b", "t", "e", severity="fatal")
    with pytest.raises(KeyError, match="known: a"):
        Catalogue("p", [good])["missing"]


# ---- a failure's likely cause in a callee (grader/callees.py) ---------------------------------
ORDER = ["sigmoid", "softmax", "network"]
CALLS = {"network": ("sigmoid", "softmax")}


def _check(function: str, status: str, name: str = "c", visibility: str = "visible",
           max_score: float = 1.0) -> CheckResult:
    return CheckResult(name, function, status, max_score if status == "passed" else 0.0,
                       max_score, message="" if status == "passed" else f"{name} went wrong.",
                       visibility=visibility)


def test_a_failing_callee_is_named_on_each_failing_check_of_its_caller():
    from grader import callees
    checks = [_check("sigmoid", "failed", "known_values"), _check("softmax", "passed"),
              _check("network", "failed", "cost"), _check("network", "error", "gradient"),
              _check("network", "passed", "shape")]
    out = callees.blame_failing_callees(checks, CALLS, ORDER)
    note = "sigmoid fails its own checks above; network calls it: fix sigmoid first."
    assert [c.message for c in out] == ["known_values went wrong.", "", f"cost went wrong.\n  {note}",
                                        f"gradient went wrong.\n  {note}", ""]
    assert out[2].evidence["failing_callees"] == ["sigmoid"]
    assert [c.score for c in out] == [c.score for c in checks]  # a message, never a score


def test_a_callers_own_diagnosis_waits_for_its_failing_callee():
    """A correct train_step was told "the learning rate is scaled by the batch size" when backward
    forgot to divide by N: the caller's hint reads the callee's bug as its own. It stays, as
    what to look at if the failure outlives the callee's fix."""
    from dataclasses import replace

    from grader import callees
    checks = [_check("sigmoid", "failed", "known_values"),
              replace(_check("network", "failed", "cost"), hint="the cost is averaged twice.",
                      mistake="cost_averaged_twice"),
              replace(_check("network", "failed", "step"), hint="")]
    out = callees.blame_failing_callees(checks, CALLS, ORDER)
    assert out[1].hint == ("if this still fails once sigmoid passes its own checks: the cost is "
                           "averaged twice.")
    # Still named (a loop's diagnosis often describes the callee's effect), said to wait.
    assert out[1].mistake == "cost_averaged_twice"
    assert callees.until_callees_pass([out[1]]) == ("if this still fails once sigmoid passes its "
                                                   "own checks")
    assert callees.until_callees_pass([out[1], checks[0]]) == ""
    assert out[2].hint == ""
    both = [_check("sigmoid", "failed"), _check("softmax", "failed"),
            replace(_check("network", "failed", "cost"), hint="the cost is averaged twice.")]
    assert callees.blame_failing_callees(both, CALLS, ORDER)[2].hint == (
        "if this still fails once sigmoid and softmax pass their own checks: the cost is averaged "
        "twice.")


def test_no_callee_is_named_when_it_passes_or_only_an_advisory_check_fails():
    from grader import callees
    checks = [_check("sigmoid", "passed"), _check("softmax", "failed", "advice", max_score=0),
              _check("network", "failed", "cost")]
    assert callees.blame_failing_callees(checks, CALLS, ORDER) == tuple(checks)
    assert callees.blame_failing_callees(checks, {}, ORDER) == tuple(checks)


def test_several_failing_callees_are_named_in_one_sentence_in_the_report_order():
    from grader import callees
    checks = [_check("softmax", "failed"), _check("sigmoid", "timeout"), _check("network", "failed")]
    out = callees.blame_failing_callees(checks, CALLS, ORDER)
    assert out[2].message.endswith("\n  sigmoid and softmax fail their own checks above; network "
                                   "calls them: fix them first.")


def test_a_function_a_check_uses_is_named_when_it_fails_its_own_checks():
    """A check marked @pytest.mark.uses(X) that calls the submission's X (a numerical gradient of
    its own forward pass) charged X's bug to the function it grades, a correct one, unsaid. The
    check's own uses are named as a callee is, only on that check, and as the check's call."""
    from grader import callees
    order = ["forward", "backward"]
    checks = [_check("forward", "failed", "known_values"), _check("backward", "failed", "numgrad"),
              _check("backward", "failed", "values")]
    out = callees.blame_failing_callees(checks, {}, order,
                                        uses={("backward", "numgrad"): ("forward",)})
    assert out[1].message == ("numgrad went wrong.\n  forward fails its own checks above; this "
                              "check calls it: fix forward first.")
    assert out[1].evidence["failing_callees"] == ["forward"]
    assert out[2] == checks[2] and out[0] == checks[0]
    assert callees.blame_failing_callees(checks, {}, order) == tuple(checks)


def test_a_function_the_submission_does_not_have_is_not_sent_to_its_callees():
    """A network that is missing (or whose file did not load) ran nothing: "fix sigmoid first"
    would send the student after a bug that cannot be why."""
    from grader import callees
    checks = [_check("sigmoid", "failed"), _check("network", "failed", "cost")]
    out = callees.blame_failing_callees(checks, CALLS, ORDER, absent={"network"})
    assert out == tuple(checks)
    assert "fix sigmoid first" in callees.blame_failing_callees(checks, CALLS, ORDER)[1].message


def test_a_callee_failing_only_on_inputs_no_caller_passes_is_not_named():
    """A sigmoid that refuses a Python float (@pytest.mark.callers_never_pass) is not why a network
    that gives it arrays fails (probe s57: "fix sigmoid first" 14 times, sigmoid right on arrays).
    One failure on the callers' kind of input names it again."""
    from grader import callees
    checks = [_check("sigmoid", "failed", "scalar_input"), _check("sigmoid", "passed", "arrays"),
              _check("network", "failed", "cost")]
    never = {("sigmoid", "scalar_input")}
    assert callees.blame_failing_callees(checks, CALLS, ORDER, callers_never_pass=never) == \
        tuple(checks)
    assert "fix sigmoid first" in callees.blame_failing_callees(checks, CALLS, ORDER)[2].message
    both = [*checks[:1], _check("sigmoid", "failed", "arrays"), checks[2]]
    out = callees.blame_failing_callees(both, CALLS, ORDER, callers_never_pass=never)
    assert "fix sigmoid first" in out[2].message


def test_a_callee_a_callers_error_was_raised_in_is_named_whatever_input_it_failed_on():
    """The other side: a word2vec that passes sigmoid a Python float (`sigmoid(float(...))`)
    raised inside sigmoid on every check, and sigmoid failed only its Python-float check: it was
    not named (regression probe s58). Where the error passed through it, it is."""
    from dataclasses import replace as with_
    from grader import callees
    never = {("sigmoid", "scalar_input")}
    refuses = "TypeError: 'float' object is not subscriptable"
    own = with_(_check("sigmoid", "error", "scalar_input"), evidence={"error": refuses})
    raised = with_(_check("network", "error", "cost"),
                   evidence={"raised_in": ["network", "sigmoid"], "error": refuses})
    out = callees.blame_failing_callees([own, raised], CALLS, ORDER, callers_never_pass=never)
    assert "fix sigmoid first" in out[1].message
    # Not where the error was raised elsewhere, nor where it is another error in sigmoid (a
    # generator passed where arrays belong: the caller's bug, recheck probe s58).
    elsewhere = with_(raised, evidence={"raised_in": ["network"], "error": refuses})
    other = with_(raised, evidence={"raised_in": ["network", "sigmoid"],
                                    "error": "TypeError: 'generator' object is not subscriptable"})
    for caller in (elsewhere, other):
        assert callees.blame_failing_callees([own, caller], CALLS, ORDER,
                                             callers_never_pass=never)[1] == caller


def test_a_hidden_failure_of_a_callee_is_not_given_away_on_a_visible_check():
    from grader import callees
    checks = [_check("sigmoid", "failed", visibility="hidden"),
              _check("network", "failed", "seen"), _check("network", "failed", "secret", "hidden")]
    out = callees.blame_failing_callees(checks, CALLS, ORDER)
    assert out[1].message == "seen went wrong."
    assert "fix sigmoid first" in out[2].message


@pytest.mark.parametrize("held, said", [((1.0,), "1 point waits"), ((1.0, 2.0), "3 points wait")])
def test_withheld_points_are_counted_in_good_english(held, said):
    from grader.model import FunctionResult
    from grader.render.feedback import withheld_text
    checks = [CheckResult(f"c{i}", "relu", "passed", 0.0, points, kind="consistency",
                          points_withheld="values") for i, points in enumerate(held)]
    checks.append(CheckResult("values", "relu", "failed", 0.0, 5.0, "wrong", kind="values"))
    result = SubmissionResult("s", 0.0, 5.0 + sum(held), tuple(checks),
                              (FunctionResult("relu", 0.0, 5.0 + sum(held)),))
    [line] = withheld_text(result)
    # A (1, D) row whose numbers are right fails on its shape: "values" covers both.
    assert f"but {said} until its values are right, numbers and shapes (see the failed checks)" \
        in line, line


def test_points_withheld_where_no_values_check_ran_do_not_point_at_failed_checks():
    """Values checks skipped (no reference, no known answers) withhold the consistency points:
    the line said "(see the failed checks)" where no check had failed (probe s61)."""
    from grader.model import FunctionResult
    from grader.render.feedback import withheld_text
    from grader.scoring import withhold_unverified
    checks = withhold_unverified((
        CheckResult("values", "relu", "skipped", 0.0, 5.0, "needs the reference", kind="values"),
        CheckResult("idempotent", "relu", "passed", 3.0, 3.0, kind="consistency")))
    result = SubmissionResult("s", 0.0, 8.0, checks, (FunctionResult("relu", 0.0, 8.0, 5.0),))
    [line] = withheld_text(result)
    assert "failed" not in line and "until its values are checked, which this copy of the " \
        "grader cannot do" in line, line


def test_a_failure_on_an_array_of_whole_numbers_says_its_dtype():
    """np.vectorize(lambda v: max(v, 0)) returns int64 for a float input: the values shown are
    converted to float, so the failure says what they were."""
    import numpy as np

    from grader import checks_api
    checks_api.forget_precision()
    checks_api.as_array(np.array([[0, 1]]), "relu(...)")
    assert "the result had dtype int64, which holds whole numbers only" in \
        checks_api.low_precision_note()
    checks_api.forget_precision()
    checks_api.as_array(np.array([[0.0, 1.5]]), "relu(...)")
    assert checks_api.low_precision_note() == ""


def test_a_float16_result_is_told_float16s_precision_not_float32s():
    """A float16 softmax was told "(float32 keeps about 7 significant digits)" (probe s54)."""
    import numpy as np
    from grader import checks_api
    checks_api.forget_precision()
    checks_api.as_array(np.array([0.25, 0.75], dtype=np.float16), "softmax(...)")
    assert "(float16 keeps about 3 significant digits)" in checks_api.low_precision_note()
    checks_api.forget_precision()
    checks_api.as_array(np.array([0.25, 0.75], dtype=np.float32), "softmax(...)")
    assert "(float32 keeps about 7 significant digits)" in checks_api.low_precision_note()
    checks_api.forget_precision()


def test_a_one_check_function_that_gave_nothing_to_grade_says_why_not_1_of_1():
    """A pack's function of one check, not implemented: its row said "1 of 1 checks failed:
    matches_reference" where every other such function said why."""
    from grader.scoring import summarise_function
    missing = CheckResult("matches_reference", "accuracy", "error", 0.0, 4.0,
                          message="accuracy is not implemented yet (it raises "
                                  "NotImplementedError).\nmore")
    assert summarise_function("accuracy", [missing]).summary == (
        "accuracy is not implemented yet (it raises NotImplementedError).")
    wrong = CheckResult("matches_reference", "accuracy", "failed", 0.0, 4.0,
                        message="wrong value for accuracy(...)")
    assert summarise_function("accuracy", [wrong]).summary == "1 of 1 checks failed: matches_reference"


def test_points_held_back_by_a_method_check_that_raised_say_it_raised():
    """A function that raised on the method check's large input was told a gradient by finite
    differences is consistent with its cost too: nothing said it differenced anything."""
    from grader.model import FunctionResult
    from grader.render.feedback import withheld_text
    from grader.scoring import withhold_unverified

    def result(method_status: str) -> SubmissionResult:
        checks = withhold_unverified((
            CheckResult("values", "net", "passed", 5.0, 5.0, kind="values"),
            CheckResult("gradient", "net", "passed", 4.0, 4.0, kind="consistency"),
            CheckResult("by_backprop", "net", method_status, 0.0, 3.0, "x", kind="method")))
        return SubmissionResult("s", 5.0, 12.0, checks, (FunctionResult("net", 5.0, 12.0),))

    raised = result("error")
    assert "the function raised there (see by_backprop)" in raised.checks[1].points_withheld
    [line] = withheld_text(raised)
    assert "the function raised there" in line and "finite differences" not in line, line
    [line] = withheld_text(result("failed"))
    assert "a gradient by finite differences is consistent with its cost too" in line, line


def test_points_held_back_by_a_check_that_failed_in_the_grader_do_not_blame_the_values():
    """A values check whose own code raised (a pack's bug) held back the consistency points
    with "its values are right too, and they are not" (probe s55): they were never judged."""
    from grader.model import FunctionResult
    from grader.render.feedback import withheld_text
    from grader.scoring import withhold_unverified

    def result(grader_error: bool) -> SubmissionResult:
        checks = withhold_unverified((
            CheckResult("values", "net", "error", 0.0, 5.0, "the grader itself failed",
                        kind="values", grader_error=grader_error),
            CheckResult("gradient", "net", "passed", 4.0, 4.0, kind="consistency")))
        return SubmissionResult("s", 0.0, 9.0, checks, (FunctionResult("net", 0.0, 9.0),))

    undecided = result(True)
    assert undecided.checks[1].score == 0
    assert "failed in the grader itself, not in your code (see values)" in \
        undecided.checks[1].points_withheld
    [line] = withheld_text(undecided)
    assert "failed in the grader itself" in line and "values are right" not in line, line
    [line] = withheld_text(result(False))
    assert "until its values are right" in line, line
    with pytest.raises(ValueError, match="a grader error has status 'error'"):
        CheckResult("values", "net", "failed", 0.0, 5.0, "x", grader_error=True)


def test_a_consistency_check_of_one_output_waits_for_that_outputs_values_only():
    """word2vec returns gradPred and grad: a check of gradPred against the cost's derivative
    waits for the cost's and gradPred's values checks, not for grad's (probe s57: real code that
    overwrote a repeated negative's row of grad also lost gradPred's 3 points, though gradPred
    matched the reference). A check that names nothing waits for every values check."""
    from grader.scoring import withhold_unverified

    def values(name: str, status: str, points: float) -> CheckResult:
        return CheckResult(name, "w2v", status, scoring.check_score(status, points), points, "x",
                           kind="values")

    def graded(grad_status: str, cost_status: str = "passed") -> dict[str, float]:
        checks = withhold_unverified((
            values("cost_matches_reference", cost_status, 6.0),
            values("gradPred_matches_reference", "passed", 5.0),
            values("grad_matches_reference", grad_status, 5.0),
            CheckResult("gradPred_numerical", "w2v", "passed", 3.0, 3.0, kind="consistency"),
            CheckResult("grad_numerical", "w2v", "passed", 3.0, 3.0, kind="consistency"),
            CheckResult("returns", "w2v", "passed", 1.0, 1.0, kind="consistency")),
            {("w2v", "gradPred_numerical"): ("cost_matches_reference",
                                             "gradPred_matches_reference"),
             ("w2v", "grad_numerical"): ("cost_matches_reference", "grad_matches_reference")})
        return {c.name: c.score for c in checks if c.kind == "consistency"}

    assert graded("failed") == {"gradPred_numerical": 3.0, "grad_numerical": 0.0, "returns": 0.0}
    assert graded("passed", cost_status="failed") == {
        "gradPred_numerical": 0.0, "grad_numerical": 0.0, "returns": 0.0}


def test_a_check_of_one_block_earns_its_points_where_that_block_is_shown_right():
    """A network's gradient wrong in b1 alone scored as one wrong in all four blocks (probe s60:
    7 of 35 both): the checks of W1, W2 and b2 against the cost's derivative, which passed, were
    withheld because the comparison of the whole gradient failed, though it found only b1 wrong.
    A check of one part (`parts`) earns its points where the values check that failed says that
    part was right; a part it found wrong, or a check that says nothing of parts, withholds as
    before, and the reason names the wrong parts."""
    from grader.scoring import parts_evidence, withhold_unverified
    blocks = {"W1": 4.0, "b1": 3.0, "W2": 4.0, "b2": 3.0}

    def graded(gradient: CheckResult, cost_status: str = "passed",
               consistent: tuple[str, ...] = tuple(blocks)) -> tuple[CheckResult, ...]:
        checks = (
            CheckResult("cost_matches_reference", "net", cost_status,
                        scoring.check_score(cost_status, 7.0), 7.0, "x", kind="values"),
            gradient,
            *(CheckResult(f"gradient_{b}", "net", "passed" if b in consistent else "failed",
                          points if b in consistent else 0.0, points,
                          "" if b in consistent else "x", kind="consistency")
              for b, points in blocks.items()),
            CheckResult("returns", "net", "passed", 2.0, 2.0, kind="consistency"))
        return withhold_unverified(checks, parts={("net", f"gradient_{b}"): b for b in blocks})

    def scores(checks) -> dict[str, float]:
        return {c.name: c.score for c in checks if c.kind == "consistency"}

    def failed(right, wrong) -> CheckResult:
        return CheckResult("gradient_matches_reference", "net", "failed", 0.0, 7.0,
                           "wrong gradient", kind="values", evidence=parts_evidence(right, wrong))

    one = graded(failed(["W1", "W2", "b2"], ["b1"]), consistent=("W1", "W2", "b2"))
    assert scores(one) == {"gradient_W1": 4.0, "gradient_b1": 0.0, "gradient_W2": 4.0,
                           "gradient_b2": 3.0, "returns": 0.0}
    returns = {c.name: c for c in one}["returns"]
    assert "see gradient_matches_reference: wrong in b1" in returns.points_withheld
    every = graded(failed([], ["W1", "b1", "W2", "b2"]), consistent=("W1", "b1"))
    assert scores(every) == {"gradient_W1": 0.0, "gradient_b1": 0.0, "gradient_W2": 0.0,
                             "gradient_b2": 0.0, "returns": 0.0}
    assert "wrong in W1, b1, W2, b2" in {c.name: c for c in every}["gradient_W1"].points_withheld
    # A block consistent with its cost, but found wrong: withheld, and told which block.
    wrong_b2 = {c.name: c for c in graded(failed(["W1", "b1", "W2"], ["b2"]))}
    assert wrong_b2["gradient_b2"].score == 0.0 and wrong_b2["gradient_W1"].score == 4.0
    assert "wrong in b2" in wrong_b2["gradient_b2"].points_withheld
    # The cost wrong: no block is shown right, whatever the gradient's comparison says.
    assert set(scores(graded(failed(["W1", "W2", "b2"], ["b1"]), cost_status="failed"))
               .values()) == {0.0}
    # A comparison that failed without saying which parts were right, or that raised, or that
    # failed in the grader itself: every block stays withheld.
    for gradient in (CheckResult("gradient_matches_reference", "net", "failed", 0.0, 7.0, "x",
                                 kind="values"),
                     CheckResult("gradient_matches_reference", "net", "error", 0.0, 7.0, "x",
                                 kind="values", evidence=parts_evidence(["W1"], [])),
                     CheckResult("gradient_matches_reference", "net", "error", 0.0, 7.0, "x",
                                 kind="values", evidence=parts_evidence(["W1"], []),
                                 grader_error=True)):
        assert set(scores(graded(gradient)).values()) == {0.0}, gradient
    # Without `parts`, a check waits for the whole of every values check, as it always did.
    plain = withhold_unverified((failed(["W1"], ["b1"]),
                                 CheckResult("gradient_W1", "net", "passed", 4.0, 4.0,
                                             kind="consistency")))
    assert plain[1].score == 0.0


def test_a_gate_naming_no_values_check_is_refused_at_collection(tmp_path):
    """A misspelt gated_by would let a consistency check's points wait for nothing: a made-up
    function consistent with itself would earn them."""
    said = _audit_with_one_change(tmp_path, "test_negSamplingCostAndGradient.py",
                                  '"gradPred_matches_reference")', '"gradPred_matches_refrence")')
    assert "gated_by names no values check of negSamplingCostAndGradient: " \
           "['gradPred_matches_refrence']" in said, said


def _audit_with_one_change(tmp_path, module: str, old: str, new: str) -> str:
    """`autograde audit` of a copy of the cs224n pack with one line of a check module changed:
    what it printed (it must refuse the pack)."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    pack = Path(__file__).resolve().parents[1] / "grader" / "packs" / "cs224n_a1"
    copy = tmp_path / "pack"
    shutil.copytree(pack, copy, ignore=shutil.ignore_patterns("__pycache__"))
    checks = copy / "checks" / module
    text = checks.read_text()
    assert text.count(old) == 1
    checks.write_text(text.replace(old, new))
    proc = subprocess.run([sys.executable, "-m", "grader", "audit", "--pack", str(copy),
                           "--reference", str(pack.parents[2] / "reference")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    return proc.stdout + proc.stderr


def test_a_part_no_values_check_judges_is_refused_at_collection(tmp_path):
    """A misspelt part (a block the comparison with the reference does not judge) would never
    release the points of a block shown right, and nothing would say why."""
    said = _audit_with_one_change(tmp_path, "test_forward_backward_prop.py",
                                  '@pytest.mark.part("b2")', '@pytest.mark.part("B2")')
    assert "forward_backward_prop/gradient_b2: part('B2') is judged by no values check it " \
           "waits for" in said, said


def test_an_excused_failure_is_charged_where_nothing_it_was_left_to_fails():
    """word2vec's values checks let a case wrong at a K other than 10 pass when the function is
    right at 10, for its checks of K to charge. A function wrong there for another reason passes
    those checks of K, and kept every point (recheck probe s57: 35 of 35 for a cost doubled
    wherever the target is not 0): the failure is then charged where it was excused."""
    from grader.scoring import charge_excused

    excused = {"excused": {"failure": "wrong cost: 2.0, expected 1.0.\n  called: w2v(...)",
                           "charged_by": ["K_is_honoured"],
                           "why": "with the handout's K = 10 it answers this case right"}}

    def graded(k_status: str) -> CheckResult:
        checks = charge_excused((
            CheckResult("cost_matches_reference", "w2v", "passed", 6.0, 6.0, kind="values",
                        evidence=excused),
            CheckResult("K_is_honoured[1]", "w2v", k_status, scoring.check_score(k_status, 1.0),
                        1.0, "x", kind="robustness"),
            CheckResult("other", "net", "failed", 0.0, 1.0, "x", kind="values")))
        return checks[0]

    kept = graded("failed")
    assert kept.status == "passed" and kept.score == 6.0
    charged = graded("passed")
    assert charged.status == "failed" and charged.score == 0.0
    assert charged.message.startswith("wrong cost: 2.0, expected 1.0.")
    assert "K_is_honoured passed, so it counts here" in charged.message


def test_an_excused_failure_charged_after_all_keeps_the_mistake_it_recognised():
    """A failure excused, then charged where nothing it was left to failed, lost its hint and
    its mistake's id: a cost doubled wherever the target is not 0 was no longer told of the
    factor of 2, and left the class overview's list of recognised mistakes (regression probe
    s58)."""
    from grader.hints import Mistake
    from grader.scoring import charge_excused

    scaled = Mistake("gradient_scaled", "the gradient is scaled", "A factor of 2 too many.")
    excused = {"excused": {"failure": "wrong gradPred", "charged_by": ["K_is_honoured"],
                           "why": "right at K = 10", "mistake": "gradient_scaled"}}
    checks = charge_excused((
        CheckResult("gradPred_matches_reference", "w2v", "passed", 3.0, 3.0, kind="values",
                    evidence=excused),
        CheckResult("K_is_honoured[3]", "w2v", "passed", 1.0, 1.0, kind="robustness")),
        {"gradient_scaled": scaled})
    assert checks[0].status == "failed" and checks[0].mistake == "gradient_scaled"
    assert checks[0].hint == "A factor of 2 too many."


def test_an_excuse_does_not_hold_where_the_check_it_rests_on_fails():
    """A cost merely shifted down (wrong at every K) failed the K checks too, so its failures at
    K = 3, left to them, stood excused where a lenient reading at K = 10 let it pass: the check
    of K = 10 failing says the excuse never held."""
    from grader.scoring import charge_excused

    excused = {"excused": {"failure": "wrong cost when the stream offers the target",
                           "charged_by": ["K_is_honoured"], "why": "right at K = 10",
                           "right_in": ["K_is_honoured[10]"]}}
    checks = charge_excused((
        CheckResult("target_is_redrawn", "w2v", "passed", 3.0, 3.0, kind="values",
                    evidence=excused),
        CheckResult("K_is_honoured[3]", "w2v", "failed", 0.0, 1.0, "x", kind="robustness"),
        CheckResult("K_is_honoured[10]", "w2v", "failed", 0.0, 1.0, "x", kind="robustness")))
    assert checks[0].status == "failed" and checks[0].score == 0
    assert "K_is_honoured[10] failed too, so it counts here" in checks[0].message
