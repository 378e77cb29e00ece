"""The onelayer pack (grader/packs/onelayer), graded end to end through the CLI: the reference and
correct submissions in each of the four conventions (.py and notebook) get full marks, the
template nothing; every one-mistake fixture (tests/fixtures/onelayer/mistakes.py) loses points on
its function (and the training check built from it) with the mistake named, a mix of conventions
named as one; a student's copy (known answers); Gradescope; the audit, with the blog's own
training-loop slip.

The fixtures are graded once, as one batch (which the batch test reads too), and a few again
without the reference.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from conftest import (ROOT, assert_costs_only_its_function, assert_template_says_not_implemented,
                      by_function, checks_of, grade, mistakes_named, run_cli, scores)

FIXTURES = ROOT / "tests" / "fixtures" / "onelayer"
from fixtures.onelayer.mistakes import CALLERS, CONVENTIONS, MISTAKES, Variant

PACK = ("--pack", "onelayer")
PACK_DIR = ROOT / "grader" / "packs" / "onelayer"
REFERENCE = ROOT / "reference" / "onelayer"
TEMPLATE = ROOT / "student_template" / "onelayer"
FUNCTIONS = {"forward": 16, "classification_rate": 6, "cost": 12, "derivative_w2": 12,
             "derivative_b2": 10, "derivative_w1": 14, "derivative_b1": 12, "training": 18}
# What each mistake costs, measured once and held: the function's checks, and training's.
SCORES = {"w2_sign_mix": 70, "b2_scale_mix": 72, "w1_scale_mix": 68, "cost_sign_mix": 93,
          "w1_sign_and_scale_mix": 68,
          "w1_no_sigmoid_derivative": 68, "w1_w2_not_transposed": 68, "w2_transposed": 70,
          "b2_not_summed": 72,
          "softmax_over_columns": 66, "forward_b1_for_b2": 66, "forward_b2_for_b1": 66,
          "forward_without_b2": 66, "forward_pair_swapped": 66,
          "cost_without_log": 88, "rate_counts_errors": 94}
STUDENT_MODE = ("w2_sign_mix", "softmax_over_columns")


def _batch(uploads: Path, out: Path, *extra: str) -> dict[str, dict]:
    done = run_cli("batch", str(uploads), "--out", str(out), *PACK, "--jobs", "2", *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    return {p.stem: json.loads(p.read_text()) for p in (out / "reports").glob("*.json")}


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """(the batch's output folder, its report per upload)."""
    uploads = tmp_path_factory.mktemp("onelayer-class") / "uploads"
    uploads.mkdir()
    for variant in CONVENTIONS + MISTAKES:
        variant.write(uploads)
    shutil.copy(REFERENCE / "onelayer.py", uploads / "reference.py")
    shutil.copy(FIXTURES / "correct.py", uploads / "correct_py.py")
    shutil.copy(FIXTURES / "correct.ipynb", uploads / "correct_nb.ipynb")
    shutil.copy(TEMPLATE / "onelayer.py", uploads / "template_py.py")
    shutil.copy(TEMPLATE / "onelayer.ipynb", uploads / "template_nb.ipynb")
    correct = (FIXTURES / "correct.py").read_text()
    without_cost = correct[:correct.index("def cost")] + correct[correct.index("def derivative_w2"):]
    (uploads / "cost_missing.py").write_text(without_cost)
    out = uploads.parent / "grades"
    return out, _batch(uploads, out)


@pytest.fixture(scope="module")
def graded(batch) -> dict[str, dict]:
    return batch[1]


@pytest.fixture(scope="module")
def student_mode(tmp_path_factory) -> dict[str, dict]:
    uploads = tmp_path_factory.mktemp("onelayer-student") / "uploads"
    uploads.mkdir()
    for variant in MISTAKES:
        if variant.name in STUDENT_MODE:
            variant.write(uploads)
    shutil.copy(FIXTURES / "correct.py", uploads / "correct_py.py")
    return _batch(uploads, uploads.parent / "grades", "--no-reference")


# ---- full marks, and none ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["reference", "correct_py", "correct_nb",
                                  *(v.name for v in CONVENTIONS)])
def test_correct_submissions_get_full_marks(graded, name):
    report = graded[name]
    assert report["error"] == ""
    assert (report["score"], report["max_score"]) == (100, 100), [
        (c["name"], c["message"][:300]) for c in report["checks"] if c["score"] < c["max_score"]]
    assert scores(report) == FUNCTIONS
    assert mistakes_named(report) == set()


@pytest.mark.parametrize("name, convention", [
    ("correct_py", "the log-likelihood summed over the examples (ascent)"),
    ("descent_summed", "the cross-entropy summed over the examples (descent)"),
    ("ascent_averaged", "the log-likelihood averaged over the examples (ascent)"),
    ("descent_averaged", "the cross-entropy averaged over the examples (descent)")])
def test_the_convention_followed_is_reported(graded, name, convention):
    notes = graded[name]["notes"]
    assert any(n.startswith(f"cost: your cost and derivatives follow {convention}")
               for n in notes), notes
    assert not any("your cost and derivatives follow" in w for w in graded[name]["warnings"])


@pytest.mark.parametrize("name", ["template_py", "template_nb"])
def test_template_scores_zero_saying_not_implemented(graded, name):
    assert_template_says_not_implemented(graded[name], FUNCTIONS)


# ---- every mistake costs its own function, and names itself --------------------------------------
@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_each_mistake_loses_points_on_its_function(graded, mistake):
    report = graded[mistake.name]
    got = assert_costs_only_its_function(report, mistake.function, FUNCTIONS, CALLERS)
    assert got[mistake.function] < FUNCTIONS[mistake.function], got
    assert mistake.mistake in mistakes_named(report, mistake.function), mistakes_named(report)
    assert report["score"] == SCORES[mistake.name], got


def _failure(report: dict, function: str, check: str) -> dict:
    (found,) = [c for c in checks_of(report, function) if c["name"] == check]
    assert found["status"] == "failed", found
    return found


def test_a_derivative_with_an_extra_axis_of_length_1_costs_its_shape_check_only(tmp_path):
    """keepdims=True on a bias derivative: (1, H) where (H,) is asked, the values right. The
    check of its shape (marked exact_shapes) charges it; its values and the central differences
    of the submission's cost compare the numbers, as for any other function of the packs."""
    variant = Variant("b1_keepdims", "derivative_b1", (
        ("((T - Y).dot(W2.T) * Z * (1 - Z)).sum(axis=0)",
         "((T - Y).dot(W2.T) * Z * (1 - Z)).sum(axis=0, keepdims=True)"),))
    report = grade(variant.write(tmp_path), tmp_path / "out", *PACK)
    failed = [c for c in checks_of(report, "derivative_b1") if c["status"] != "passed"]
    assert [c["name"] for c in failed] == ["shape"], [(c["name"], c["message"]) for c in failed]
    assert "extra axis of length 1" in failed[0]["message"]
    assert scores(report)["derivative_b1"] == FUNCTIONS["derivative_b1"] - failed[0]["max_score"]


def test_a_sign_mix_names_what_follows_which_convention(graded):
    check = _failure(graded["w2_sign_mix"], "derivative_w2", "values")
    message = check["message"]
    assert message.startswith("derivative_w2 follows the cross-entropy summed over the examples "
                              "(descent), but the rest of your functions follow the "
                              "log-likelihood summed over the examples (ascent): the sign of "
                              "derivative_w2 differs")
    assert "a mix of conventions: cost, derivative_b2, derivative_w1 and derivative_b1 follow " \
           "the log-likelihood summed" in message
    # Against its own cost, the factor is measured and named.
    own = _failure(graded["w2_sign_mix"], "derivative_w2", "derivative_of_your_cost")
    assert own["mistake"] == "sign_mix"
    assert "-1 times (the opposite sign of) the derivative of your cost" in own["message"]


def test_a_scale_mix_is_charged_to_the_part_that_strays(graded):
    report = graded["b2_scale_mix"]
    check = _failure(report, "derivative_b2", "values")
    assert check["mistake"] == "scale_mix"
    assert "derivative_b2 follows the log-likelihood averaged over the examples" in check["message"]
    assert "the scale of derivative_b2 differs" in check["message"]


def test_a_part_that_strays_in_sign_and_scale_is_named_for_both(graded):
    check = _failure(graded["w1_sign_and_scale_mix"], "derivative_w1", "values")
    assert check["mistake"] == "sign_and_scale_mix"
    assert check["message"].startswith(
        "derivative_w1 follows the log-likelihood summed over the examples (ascent), but the rest "
        "of your functions follow the cross-entropy averaged over the examples (descent): the sign "
        "and the scale of derivative_w1 differ from theirs (N = 4 examples)."), check["message"]


def test_a_derivative_that_changes_its_argument_loses_that_point(tmp_path):
    """The blog's training loop passes the same T on to the next derivative: derivative_b2
    computing `T -= Y` in place looks right on a copy, and is not."""
    text = (REFERENCE / "onelayer.py").read_text()
    start = text.index("def derivative_b2(")
    end = text.index("\ndef ", start + 1)
    (tmp_path / "onelayer.py").write_text(
        text[:start] + "def derivative_b2(T, Y):\n    T -= Y\n    return T.sum(axis=0)\n"
        + text[end:])
    report = grade(tmp_path / "onelayer.py", tmp_path / "out", *PACK)
    (check,) = [c for c in checks_of(report, "derivative_b2") if c["status"] != "passed"]
    assert check["name"] == "arguments_unchanged", check
    assert check["message"].startswith(
        "derivative_b2 changed its argument T in place: the blog's training loop passes the same "
        "T on to the functions after it."), check["message"]


def test_parameters_in_another_order_are_named_up_front(tmp_path):
    """The course's later file has derivative_b1(Z, T, Y, W2) where the blog has (T, Y, W2, Z),
    and a real upload's derivative_b2 takes (Z, T, Y): their failures show only what numpy made
    of the swapped values ("operands could not be broadcast"), so the report says which
    parameters are where. The right values in the assignment's order are untouched, and names of
    a student's own choosing are never remarked on."""
    source = (FIXTURES / "correct.py").read_text()
    for old, new in (("def derivative_b1(T, Y, W2, Z):", "def derivative_b1(Z, T, Y, W2):"),
                     ("def derivative_b2(T, Y):", "def derivative_b2(Z, T, Y):"),
                     ("def cost(T, Y):", "def cost(targets, predictions):\n"
                      "    T, Y = targets, predictions")):
        assert old in source, old
        source = source.replace(old, new)
    (tmp_path / "onelayer.py").write_text(source)
    report = grade(tmp_path / "onelayer.py", tmp_path / "out", *PACK)
    assert scores(report) == {**FUNCTIONS, "derivative_b2": 0, "derivative_b1": 0, "training": 0}
    told = [w for w in report["warnings"] if "the assignment's" in w]
    assert told == [
        "derivative_b2 takes Z, which the assignment's does not pass: yours is "
        "derivative_b2(Z, T, Y), the assignment's derivative_b2(T, Y). The grader calls it with "
        "the assignment's arguments only, so it fails or mixes them up: take exactly T, Y, in "
        "that order.",
        "derivative_b1 takes the assignment's parameters in another order: yours is "
        "derivative_b1(Z, T, Y, W2), the assignment's derivative_b1(T, Y, W2, Z). The grader "
        "calls it in the assignment's order, as the course's own code does, so each of your "
        "parameters receives another's value: put them in that order."], report["warnings"]


def test_a_cost_that_strays_costs_the_cost_not_the_derivatives(graded):
    """Four derivatives climb the log-likelihood, the cost is the cross-entropy: the cost is the
    mix, and the derivatives' check against central differences of that cost rescales it."""
    report = graded["cost_sign_mix"]
    # values (6 of 12) fails; arguments_unchanged passes but earns its point only with right values
    assert scores(report) == {**FUNCTIONS, "cost": 5}
    assert _failure(report, "cost", "values")["mistake"] == "sign_mix"


@pytest.mark.parametrize("name, diagnosis, parameter", [
    ("w2_sign_mix", "training_sign_mix", "W2"), ("b2_scale_mix", "training_scale_mix", "b2")])
def test_the_training_loop_shows_the_mix_as_a_wrong_step(graded, name, diagnosis, parameter):
    check = _failure(graded[name], "training", "training_steps")
    assert check["mistake"] == diagnosis
    assert check["message"].startswith(f"training goes wrong in step 1 of 5: {parameter} after the "
                                       "step")
    assert "gradient ascent with your forward and derivatives" in check["message"]


@pytest.mark.parametrize("name", ["forward_b1_for_b2", "forward_b2_for_b1"])
def test_a_bias_in_the_other_layer_fails_loudly_or_is_named_where_the_layers_agree(graded, name):
    report = graded[name]
    example = [c for c in checks_of(report, "forward") if c["name"] == "example"][0]
    assert "operands could not be broadcast" in example["message"]  # M = 4 hidden, K = 3 outputs
    assert _failure(report, "forward", "biases_in_their_places")["mistake"] == name


def test_a_training_failure_names_the_part_that_fails_its_own_checks(graded):
    """A wrong forward makes every step wrong: the training check sends the student to forward
    first (as PA6's train_step does to backward), not to "what this step passes where"; a loop
    whose parts all pass is sent nowhere."""
    (check,) = checks_of(graded["softmax_over_columns"], "training")
    assert check["status"] == "failed"
    assert check["message"].endswith(
        "forward fails its own checks above; training calls it: fix forward first."), check
    assert check["evidence"]["failing_callees"] == ["forward"]
    (mix,) = checks_of(graded["w2_sign_mix"], "training")
    assert "fix derivative_w2 first" in mix["message"], mix["message"]
    for name in ("descent_summed", "correct_py"):
        assert all("first." not in c["message"] for c in graded[name]["checks"]), name


def test_a_missing_cost_costs_the_cost_alone(graded):
    """The derivatives are judged by the convention they follow together, and training asks the
    cost only for the convention: without a cost, both keep their points."""
    report = graded["cost_missing"]
    assert scores(report) == {**FUNCTIONS, "cost": 0}
    assert all("cost was not found in your submission" in c["message"]
               for c in checks_of(report, "cost"))


# ---- a student's copy: known answers instead of the reference ------------------------------------
def test_student_mode_full_marks_for_the_correct_fixture(student_mode):
    report = student_mode["correct_py"]
    assert report["reference"] is False and report["inputs"]["answers"] == "known answers"
    assert report["score"] == 100


@pytest.mark.parametrize("name", STUDENT_MODE)
def test_student_mode_deducts_the_same(graded, student_mode, name):
    assert scores(student_mode[name]) == scores(graded[name])
    assert mistakes_named(student_mode[name]) >= {m.mistake for m in MISTAKES if m.name == name}


# ---- batch and Gradescope ------------------------------------------------------------------------
def test_batch_scores(batch):
    out, _ = batch
    rows = {r["student"]: float(r["score"])
            for r in csv.DictReader(io.StringIO((out / "scores.csv").read_text()))}
    assert rows == {"reference": 100, "correct_py": 100, "correct_nb": 100, "template_py": 0,
                    "template_nb": 0, "cost_missing": 88, **{v.name: 100 for v in CONVENTIONS},
                    **SCORES}


def test_gradescope_grades_a_notebook(tmp_path):
    """A notebook whose softmax normalises the columns: forward and the training built on it lose
    their points, the rest keep theirs (the batch grades the correct notebook)."""
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    source = (FIXTURES / "correct.ipynb").read_text()
    wrong = source.replace("expA.sum(axis=1, keepdims=True)", "expA.sum(axis=0, keepdims=True)")
    assert wrong != source
    (root / "submission" / "onelayer.ipynb").write_text(wrong)
    done = run_cli("gradescope", "--root", str(root), *PACK)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == SCORES["softmax_over_columns"], results.get("output")


# ---- what ships, and what the audit says -------------------------------------------------------------------------
def test_the_wheel_ships_the_pack_and_its_training_script_but_not_its_reference():
    from grader import release
    shipped = release.package_files()
    for name in ("pack.toml", "known_answers.json", "training/train_onelayer.py",
                 "checks/test_training.py"):
        assert f"grader/packs/onelayer/{name}" in shipped, name
    solution = (REFERENCE / "onelayer.py").read_bytes()
    assert not any(path.read_bytes() == solution for path in shipped.values())


def test_audit_holds_for_the_reference_and_its_training_script():
    done = run_cli("audit", *PACK)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the reference passes every check (100/100)" in done.stdout
    assert "known answers: every stored answer is the reference's" in done.stdout
    assert "training script train_onelayer.py: every call to the pack's functions passes each " \
           "argument in its own parameter's place" in done.stdout
    assert done.stdout.rstrip().endswith("The reference holds.")


def test_audit_flags_the_blogs_b1_passed_for_b2(tmp_path):
    """The blog's loop, forward(X, W1, b1, W2, b1), in a copy of the pack: the audit names the
    file, line, call and parameter, and fails."""
    pack = tmp_path / "onelayer"
    shutil.copytree(PACK_DIR, pack, ignore=shutil.ignore_patterns("__pycache__",
                                                                  "known_answers.json"))
    manifest = (pack / "pack.toml").read_text()
    (pack / "pack.toml").write_text(manifest.replace('known_answers = "known_answers.json"\n', ""))
    script = pack / "training" / "train_onelayer.py"
    text = script.read_text()
    assert text.count("forward(X, W1, b1, W2, b2)") == 1
    script.write_text(text.replace("forward(X, W1, b1, W2, b2)", "forward(X, W1, b1, W2, b1)"))
    line = 1 + script.read_text().split("forward(X, W1, b1, W2, b1)\n")[0].count("\n")
    out = tmp_path / "audit.json"
    done = run_cli("audit", "--pack", str(pack), "--reference", str(REFERENCE), "--json", str(out))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the reference passes every check (100/100)" in done.stdout
    assert (f"train_onelayer.py, line {line}: forward(X, W1, b1, W2, b1) passes b1 as argument 5, "
            "which is forward's parameter b2; b1 is the name of its parameter 3.") in done.stdout
    found = json.loads(out.read_text())
    assert found["holds"] is False
    assert [(f["line"], f["parameter"], f["passed"]) for f in found["script_findings"]] == \
        [(line, "b2", "b1")]


# ---- one grade under every input set: float32 and guards against log(0) ---------------------------
# Submissions of a tester who graded 47 under the public inputs, 5 course secrets and the student's
# copy (tests/fixtures/onelayer/probe/, each file's first line says what it does). Each got
# several grades by the input set: float32 in forward or a derivative lost the training check's 18
# points, told "the step is right", under some sets only (e01 49.57 or 67.57, d06 82 or 100), a
# log(Y + 1e-8) scored 91 to 100, and a cost that clips Y at 1e-3 scored 100 everywhere.
PROBE = FIXTURES / "probe"
PROBE_SECRET = "fifth secret for section E 2017!"
# The one score each gets in every way. float32 passes the comparisons with the reference (within
# 1e-6 of the terms a value sums, tol.reference_atol) and loses the checks of exact identities
# only: forward's rows summing to 1 (2 points). A guard against log(0) up to 1e-6 is accepted
# (warning log_guarded); a clip at 1e-3 or 1e-4 is named, and costs the cost's values.
PROBE_SCORES = {
    "e01_float32_forward_and_cost": 98, "c06_float32_all": 98, "c07_float32_forward_only": 98,
    "c13_float32_train_only": 100, "d06_b2_float32_only": 100, "d07_descent_avg_float32": 100,
    "d09_sigmoid_float32": 100, "d05_cost_float32": 100,
    "c08_log_eps": 100, "d03_log_eps_1e-6": 100, "b23_clip_large": 91, "d10_clip_1e-4": 91}


@pytest.fixture(scope="module")
def probe_ways(tmp_path_factory) -> dict[str, dict[str, dict]]:
    """The probe files graded on the public inputs, under a course secret and in a student's copy."""
    base = tmp_path_factory.mktemp("onelayer-probe")
    ways = {"public": (), "secret": ("--secret", PROBE_SECRET), "student": ("--no-reference",)}
    return {way: _batch(PROBE, base / way, *extra) for way, extra in ways.items()}


@pytest.mark.parametrize("way", ["public", "secret", "student"])
@pytest.mark.parametrize("name", sorted(PROBE_SCORES))
def test_one_grade_under_every_input_set(probe_ways, way, name):
    report = probe_ways[way][name]
    assert report["score"] == PROBE_SCORES[name], [
        (c["function"], c["name"], c["message"][:300]) for c in report["checks"]
        if c["score"] < c["max_score"]]


@pytest.mark.parametrize("way", ["public", "secret", "student"])
def test_float32_loses_only_the_rows_summing_to_one_told_as_rounding(probe_ways, way):
    report = probe_ways[way]["e01_float32_forward_and_cost"]
    (lost,) = [c for c in report["checks"] if c["score"] < c["max_score"]]
    assert (lost["function"], lost["name"]) == ("forward", "outputs_are_distributions")
    assert "That is rounding, not a wrong formula" in lost["message"], lost["message"]


@pytest.mark.parametrize("way", ["public", "secret", "student"])
def test_a_float32_cost_is_not_blamed_on_the_derivatives(probe_ways, way):
    """The cost in float32, the derivatives exact: central differences of that cost are noise,
    and the derivatives were told they were "not the derivative of your cost" (21.43 points)."""
    report = probe_ways[way]["d05_cost_float32"]
    assert any(n.startswith("derivatives: your cost is the log-likelihood summed over the "
                            "examples (ascent) computed less exactly than float64")
               for n in report["notes"]), report["notes"]


@pytest.mark.parametrize("way", ["public", "secret", "student"])
def test_a_guard_against_log0_is_recognised_or_named(probe_ways, way):
    guarded = probe_ways[way]["c08_log_eps"]
    assert any(c["mistake"] == "log_guarded" for c in checks_of(guarded, "cost")), [
        (c["name"], c["mistake"]) for c in checks_of(guarded, "cost")]
    clipped = _failure(probe_ways[way]["b23_clip_large"], "cost", "values")
    assert "Your cost is the cross-entropy (or its negative) with eps = 0.001 inside the log" \
        in clipped["message"], clipped["message"]
