"""The CBOW pack (grader/packs/cbow), graded end to end through the CLI: the reference and a correct
submission (.py and notebook) get full marks, the template nothing, every one-mutation fixture
(tests/fixtures/cbow/mistakes.py) loses points on its function (and the functions that call it)
with the mistake named; both modes of back_prop; a student's copy (known answers); a course
secret; a batch of notebooks and Gradescope's contract.

Every grading is done once, in module-scoped fixtures, two at a time.
"""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from conftest import (ROOT, assert_costs_only_its_function, assert_template_says_not_implemented,
                      by_function, checks_of, grade, grade_many, mistakes_named, run_cli, scores)

FIXTURES = ROOT / "tests" / "fixtures" / "cbow"
from fixtures.cbow.mistakes import CALLERS, MISTAKES

PACK = ("--pack", "cbow")
REFERENCE = ROOT / "reference" / "cbow" / "cbow.py"
TEMPLATE = ROOT / "student_template" / "cbow"
FUNCTIONS = {"get_windows": 8, "word_to_one_hot_vector": 6, "context_words_to_vector": 8,
             "get_training_example": 8, "relu": 6, "softmax": 10, "cross_entropy_loss": 8,
             "forward_prop": 14, "back_prop": 22, "gradient_descent_step": 10}
STUDENT_MODE = ("one_hot_wrong_index", "softmax_rows", "forward_relu_on_output", "descent_ascends",
                "back_prop_sign")


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, dict]:
    src = tmp_path_factory.mktemp("cbow-src")
    paths = {m.name: m.write(src) for m in MISTAKES}
    paths.update({"reference": REFERENCE, "correct_py": FIXTURES / "correct.py",
                  "correct_nb": FIXTURES / "correct.ipynb", "lecture_nb": FIXTURES / "lecture.ipynb",
                  "template_py": TEMPLATE / "cbow.py",
                  "template_nb": TEMPLATE / "cbow.ipynb"})
    out = tmp_path_factory.mktemp("cbow-reports")
    reports = grade_many(paths, out, *PACK)
    exact = {"reference_exact": REFERENCE, "true_gradient_exact": paths["back_prop_true_gradient"]}
    reports.update(grade_many(exact, out, *PACK, "--mode", "exact"))
    reports.update(grade_many({"student_true_gradient_exact": paths["back_prop_true_gradient"],
                               "student_reference_exact": REFERENCE},
                              out, *PACK, "--mode", "exact", "--no-reference"))
    student = {f"student_{n}": paths[n] for n in STUDENT_MODE}
    student["student_correct"] = FIXTURES / "correct.py"
    reports.update(grade_many(student, out, *PACK, "--no-reference"))
    return reports


# ---- full marks, and none ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["reference", "correct_py", "correct_nb"])
def test_correct_submissions_get_full_marks(graded, name):
    report = graded[name]
    assert report["error"] == ""
    assert (report["score"], report["max_score"]) == (100, 100), [
        (c["name"], c["message"][:200]) for c in report["checks"] if c["score"] < c["max_score"]]
    assert scores(report) == FUNCTIONS
    assert report["versions"]["pack"] == "cbow" and report["reference"] is True


def test_notebook_noise_is_reported_and_costs_nothing(graded):
    warnings = graded["correct_nb"]["warnings"]
    assert any("cell" in w and "stopped with NameError" in w for w in warnings), warnings
    assert any("`!pip install emoji` was not run" in w for w in warnings), warnings
    assert "{'am': 0, 'because': 1, 'happy': 2, 'i': 3, 'learning': 4}" in \
        graded["correct_nb"]["import_output"]  # display(word2Ind), with utils2 from support/


def test_the_lecture_notebook_completed_by_a_student(graded):
    """The notebook's own cells: nltk and emoji (not installed here) are let through and only the
    cells that use them stop; its softmax (the sum of every entry) is the one loss."""
    report = graded["lecture_nb"]
    assert report["error"] == ""
    assert scores(report) == {**FUNCTIONS, "softmax": 3.75}, scores(report)
    # The whole-matrix sum costs the points; no shift before exp is advice (the notebook has none).
    assert mistakes_named(report, "softmax") == {"softmax_whole_matrix", "softmax_overflow"}
    warnings = report["warnings"]
    for module in ("nltk", "emoji"):
        assert any(f"imports {module}, which is not installed where your code is graded" in w
                   for w in warnings), warnings
    assert any("`!{sys.executable} -m pip install emoji` was not run" in w for w in warnings)
    # The %%time cell ran its loop: the generator's output is in the import output.
    assert "Context words vector:  [0.25 0.25 0.   0.5  0.  ]" in report["import_output"]


@pytest.mark.parametrize("name", ["template_py", "template_nb"])
def test_template_scores_zero_saying_not_implemented(graded, name):
    assert_template_says_not_implemented(graded[name], FUNCTIONS)


# ---- every mistake costs its own function ------------------------------------------------------
@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_each_mistake_loses_points_on_its_function(graded, mistake):
    report = graded[mistake.name]
    got = assert_costs_only_its_function(report, mistake.function, FUNCTIONS, CALLERS)
    if mistake.full_marks:
        assert got[mistake.function] == FUNCTIONS[mistake.function], got
    else:
        assert got[mistake.function] < FUNCTIONS[mistake.function], got
    if mistake.mistake:
        assert mistake.mistake in mistakes_named(report, mistake.function), \
            mistakes_named(report)


def test_a_failing_gradient_is_never_told_it_was_accepted(graded):
    """ReLU and the mask at once agrees with both accepted formulas on an example where
    W2^T (yhat - y) is nowhere negative: the check fails on another, and the warning that the
    derivative is accepted must not stand beside its 0 points."""
    report = graded["back_prop_relu_and_mask"]
    assert "true_gradient_in_course_mode" not in report["mistakes"]
    assert not [w for w in report["warnings"] if "derivative of the loss" in w], report["warnings"]


def test_a_generator_that_builds_every_example_first_is_told_so(graded):
    """`yield from` a list filled in the loop is a generator, but not a lazy one: the message
    says what it does, not only how many examples came out."""
    [lazy] = [c for c in checks_of(graded["training_examples_built_first"], "get_training_example")
              if c["name"] == "is_lazy"]
    assert lazy["status"] == "failed"
    assert "it makes every example before yielding the first" in lazy["message"], lazy["message"]


@pytest.mark.parametrize("name, named", [
    ("back_prop_transposed", "gradient_transposed"),
    ("back_prop_both_transposed", "gradient_transposed"),
    ("back_prop_transposed_swapped_back", "gradient_transposed"),
    ("back_prop_swapped_order", "gradient_blocks_swapped")])
def test_gradient_layout_is_named_by_value_not_shape(graded, name, named):
    """Both weight gradients transposed have the shapes of a swap; a swap back to fit them has the
    right shapes. Each is named for what it is, by every check that fails, and costs back_prop
    every point."""
    report = graded[name]
    assert scores(report)["back_prop"] == 0, scores(report)
    assert mistakes_named(report, "back_prop") == {named}, [
        (c["name"], c["mistake"], c["message"][:120]) for c in checks_of(report, "back_prop")]
    valued = [c for c in checks_of(report, "back_prop")
              if c["name"] in ("notebook_gradients", "matches_reference", "gradient_of_the_loss")]
    assert all(c["status"] == "failed" and c["mistake"] == named for c in valued), valued


def _back_prop_returning(tmp_path, name: str, returned: str) -> Path:
    """The reference's cbow.py with back_prop's return line replaced by `returned`."""
    source = REFERENCE.read_text()
    line = "    return grad_W1, grad_W2, grad_b1, grad_b2\n"
    assert source.count(line) == 1
    path = tmp_path / name / "cbow.py"
    path.parent.mkdir()
    path.write_text(source.replace(line, f"    return {returned}\n"))
    return path


def test_gradients_in_another_order_are_named_by_their_places(tmp_path):
    """(grad_W1, grad_b1, grad_W2, grad_b2), the parameters' order in the signature slipped: it
    was told "grad_W1 and grad_W2 have each other's shapes ... or both are transposed", blaming a
    grad_W1 in its right place (probe s62). The order each item holds is named, as
    gradient_descent_step names it."""
    path = _back_prop_returning(tmp_path, "order", "grad_W1, grad_b1, grad_W2, grad_b2")
    report = grade(path, tmp_path / "out", *PACK, "--only", "back_prop")
    assert scores(report)["back_prop"] == 0
    failed = [c for c in checks_of(report, "back_prop") if c["status"] == "failed"]
    said = " ".join(c["message"] for c in failed)
    assert "each other's shapes" not in said and "transposed" not in said, said
    first = next(c for c in failed if c["name"] == "notebook_gradients")
    assert first["message"].startswith(
        "the result holds (grad_W1, grad_b1, grad_W2, grad_b2), by the shapes and values of its "
        "items; expected (grad_W1, grad_W2, grad_b1, grad_b2) in that order."), first["message"]
    assert first["mistake"] == "gradient_blocks_swapped"


@pytest.mark.parametrize("returned", ["grad_W1, grad_b1, grad_W2, grad_b2",
                                      "grad_W1, grad_W2, grad_b1, np.sum(grad_b2)"])
def test_a_result_of_the_wrong_shape_changes_no_argument(tmp_path, returned):
    """arguments_unchanged failed with the shape message ("the same failure") and `status:
    failed` in --json, although back_prop changed nothing (probe s62). It passes, and its point
    waits for right values, as any check of a function against itself does."""
    path = _back_prop_returning(tmp_path, "shape", returned)
    report = grade(path, tmp_path / "out", *PACK, "--only", "back_prop")
    check = next(c for c in checks_of(report, "back_prop") if c["name"] == "arguments_unchanged")
    assert check["status"] == "passed" and check["score"] == 0, check
    assert check["points_withheld"].startswith("this check passed, but"), check


@pytest.mark.parametrize("body, named", [
    ("    d1 = np.dot(W2.T, yhat - y) * (z1 > 0)\n", "`z1`"),
    # Sizes a notebook keeps at its top are no value of the example: nothing is said of them.
    ("    assert W1.shape == (N, V)\n    d1 = np.dot(W2.T, y - yhat)\n", None)])
def test_a_back_prop_reading_the_notebooks_forward_values_is_told_so(tmp_path, body, named):
    """The true derivative masked by the global `z1` of the notebook's forward cell: back_prop
    read every parameter it needs, so nothing named `z1`, and the student saw only a broadcast
    error (probe s62). The variable is named where points were lost; V and N are not."""
    from notebook_helpers import notebook_v4

    path = notebook_v4(tmp_path / "cbow.ipynb", [
        REFERENCE.read_text(),
        "def back_prop(x, yhat, y, h, W1, W2, b1, b2):\n" + body
        + "    return np.dot(d1, x.T), np.dot(yhat - y, h.T), d1, yhat - y",
        "N, V = 3, 5\nnp.random.seed(10)\nW1, W2 = np.random.rand(N, V), np.random.rand(V, N)\n"
        "b1, b2 = np.random.rand(N, 1), np.random.rand(V, 1)\nx = np.eye(V)[:, :1]\n"
        "z1, h, z2 = forward_prop(x, W1, W2, b1, b2)"])
    report = grade(path, tmp_path / "out", *PACK, "--only", "back_prop")
    assert scores(report)["back_prop"] < FUNCTIONS["back_prop"]
    told = [w for w in report["warnings"] if "reads the variable" in w]
    if named is None:
        assert not told, told
        return
    assert told == [
        f"back_prop (cbow.ipynb) reads the variable {named} of your notebook or file, which is "
        "not one of its parameters (forward_prop computes it): the grader calls back_prop with "
        "inputs of its own, and that variable still holds what your notebook's cells computed "
        "for their own example (its shape need not even fit). Compute it in the body of "
        "back_prop, from the parameters it is given."], report["warnings"]


def test_zeros_for_a_gradient_are_not_called_a_block_in_the_wrong_place(graded):
    """An all-zero block equals any block of zeros: where the notebook's example has dJ/dW1 all
    zeros, an all-zero grad_W2 was told it "holds dJ/dW1 transposed" (probe s54)."""
    report = graded["back_prop_all_zeros"]
    assert scores(report)["back_prop"] == 0
    said = " ".join(c["message"] + " " + str(c.get("hint") or "")
                    for c in checks_of(report, "back_prop"))
    assert "transposed" not in said and "holds dJ/d" not in said, said
    assert not mistakes_named(report, "back_prop") & {"gradient_transposed",
                                                      "gradient_blocks_swapped"}


def test_a_generator_stopped_by_another_error_is_not_said_to_meet_the_missing_word(tmp_path):
    """numpy imported from a module the grader lacks (`autograd.numpy`): is_lazy said "yielded 0
    examples before meeting the word missing from word2Ind", a word its generator never met
    (probe s60). What stopped it is said; a generator that meets the word without a KeyError is
    told so, not that it met it."""
    reference = REFERENCE.read_text()
    path = tmp_path / "a" / "cbow.py"
    path.parent.mkdir()
    path.write_text(reference + (
        "\n\n_right_example = get_training_example\n\n\n"
        "def get_training_example(words, C, word2Ind, V):\n"
        "    import autograd_missing_here\n"
        "    yield from _right_example(words, C, word2Ind, V)\n"))
    report = grade(path, tmp_path / "out", *PACK, "--only", "get_training_example")
    lazy = next(c for c in checks_of(report, "get_training_example") if c["name"] == "is_lazy")
    assert lazy["status"] == "failed" and "meeting" not in lazy["message"], lazy["message"]
    assert lazy["message"].startswith("get_training_example's generator raised "
                                      "ModuleNotFoundError"), lazy["message"]
    forgiving = tmp_path / "b" / "cbow.py"
    forgiving.parent.mkdir()
    forgiving.write_text(reference + (
        "\n\n_right_example = get_training_example\n\n\n"
        "def get_training_example(words, C, word2Ind, V):\n"
        "    table = dict(word2Ind)\n"
        "    table.setdefault('unseen', 0)\n"
        "    yield from _right_example(words, C, table, V)\n"))
    report = grade(forgiving, tmp_path / "out", *PACK, "--only", "get_training_example")
    lazy = next(c for c in checks_of(report, "get_training_example") if c["name"] == "is_lazy")
    assert lazy["message"].startswith("get_training_example yielded 4 examples and no KeyError "
                                      "for the word"), lazy["message"]


def test_a_function_not_written_is_asked_for_by_its_signature(tmp_path):
    """The lecture computes forward propagation in loose cells; the pack asks for a function. A
    notebook without it was told only its name ("expected a function named forward_prop"): the
    message gives the pack's signature, what to write."""
    path = tmp_path / "cbow.py"
    path.write_text("import numpy as np\n\n\ndef relu(z):\n    return np.maximum(z, 0)\n")
    report = grade(path, tmp_path / "out", *PACK, "--only", "forward_prop", "--only", "relu")
    assert scores(report) == {"forward_prop": 0, "relu": FUNCTIONS["relu"]}, scores(report)
    messages = {c["message"] for c in checks_of(report, "forward_prop")}
    assert messages == {"forward_prop was not found in your submission (expected a function "
                        "forward_prop(x, W1, W2, b1, b2) -> (z1, h, z2), normally in cbow.py)."}, \
        messages


def test_a_notebook_function_under_another_name_or_in_a_class_is_pointed_to(tmp_path):
    """A notebook's cells run as __main__, as Jupyter runs them: `def ReLU` there was "relu was
    not found" with no word of ReLU, where the same code in a .py was pointed to. A name spelt
    out (forward_propagation) and a method of a class the notebook wrote are pointed to too."""
    from notebook_helpers import notebook_v4

    path = notebook_v4(tmp_path / "cbow.ipynb", [
        "import numpy as np",
        "def ReLU(z):\n    return np.maximum(z, 0)",
        "def forward_propagation(x, W1, W2, b1, b2):\n    z1 = W1 @ x + b1\n"
        "    h = np.maximum(z1, 0)\n    return z1, h, W2 @ h + b2",
        "class Model:\n    def softmax(self, z):\n        e = np.exp(z - z.max(axis=0))\n"
        "        return e / e.sum(axis=0)",
    ])
    report = grade(path, tmp_path / "out", *PACK, "--only", "relu", "--only", "forward_prop",
                   "--only", "softmax")
    first = {f: checks_of(report, f)[0]["message"] for f in ("relu", "forward_prop", "softmax")}
    assert "Your submission defines ReLU: the grader calls relu, and names must match exactly. " \
           "Rename it, or add `relu = ReLU`." in first["relu"], first["relu"]
    assert "Your submission defines forward_propagation: did you mean forward_prop?" \
        in first["forward_prop"], first["forward_prop"]
    assert "Your submission defines softmax as a method of class Model: the grader calls a " \
           "function softmax defined at the top level of the file, not a method." \
        in first["softmax"], first["softmax"]
    assert report["score"] == 0


def test_parameters_spelt_like_the_assignments_are_read_as_moved_only_where_points_are_lost(
        tmp_path):
    """back_prop(x, y, y_hat, ...) with y_hat the target: the assignment's yhat and y swapped,
    told so where it lost points (probe s56). A correct back_prop whose own names happen to read
    so (its y the output) was told to reorder them too (recheck probe, s56)."""
    source = (ROOT / "reference" / "cbow" / "cbow.py").read_text()
    assert source.count("def back_prop(x, yhat, y, h, W1, W2, b1, b2):") == 1
    wrapper = ("\n\ndef back_prop(x, y, y_hat, h, W1, W2, b1, b2):\n"
               "    return _back_prop(x, {}, h, W1, W2, b1, b2)\n")
    folder = {}
    for name, passed in (("own_names", "y, y_hat"), ("swapped", "y_hat, y")):
        path = tmp_path / name / "cbow.py"
        path.parent.mkdir()
        path.write_text(source.replace("def back_prop(", "def _back_prop(")
                        + wrapper.format(passed))
        folder[name] = path
    told = "back_prop takes the assignment's parameters in another order"
    right = grade(folder["own_names"], tmp_path / "out1", *PACK, "--only", "back_prop")
    assert right["score"] == FUNCTIONS["back_prop"], right["score"]
    assert not [w for w in right["warnings"] if told in w], right["warnings"]
    wrong = grade(folder["swapped"], tmp_path / "out2", *PACK, "--only", "back_prop")
    assert wrong["score"] < FUNCTIONS["back_prop"]
    assert [w for w in wrong["warnings"] if told in w], wrong["warnings"]


def test_a_back_prop_right_in_w2_and_b2_earns_the_check_of_those_blocks(graded):
    """gradient_of_the_loss compares with central differences of the grader's own loss (the
    notebook's formulas, @pytest.mark.formulas): a values check, which a made-up gradient cannot
    pass. One wrong block of four (grad_b1 left at zeros) scored 0 of 22, as four did; now the
    right W2 and b2 earn it, and the checks that compare back_prop with itself still wait."""
    one, four = graded["back_prop_b1_zero"], graded["back_prop_sign"]
    checks = {c["name"]: c for c in checks_of(one, "back_prop")}
    earned = checks["gradient_of_the_loss"]
    assert earned["kind"] == "values" and earned["status"] == "passed"
    assert earned["score"] == earned["max_score"] > 0
    assert {c["name"] for c in checks.values() if c["status"] == "failed"} == {
        "notebook_gradients", "matches_reference"}, checks
    assert all(c["score"] == 0 for c in checks.values() if c["kind"] == "consistency")
    assert scores(one)["back_prop"] == earned["score"] < FUNCTIONS["back_prop"]
    assert scores(four)["back_prop"] == 0


def test_a_failure_caused_by_a_function_the_notebook_calls_names_it(graded):
    """pack.toml: forward_prop and back_prop call relu, get_training_example calls the helpers
    before it. A wrong relu costs forward_prop too, and forward_prop's failure says so."""
    failing = [c for c in checks_of(graded["relu_abs"], "forward_prop") if c["status"] != "passed"]
    assert failing and all(c["message"].endswith(
        "relu fails its own checks above; forward_prop calls it: fix relu first.")
        for c in failing), [c["message"] for c in failing]
    example = [c for c in checks_of(graded["one_hot_wrong_index"], "get_training_example")
               if c["status"] != "passed"]
    assert example and all(c["evidence"]["failing_callees"] == [
        "context_words_to_vector", "word_to_one_hot_vector"] or c["evidence"][
        "failing_callees"] == ["word_to_one_hot_vector", "context_words_to_vector"]
        for c in example)


def test_warnings_only_where_the_notebook_allows(graded):
    no_shift = graded["softmax_no_shift"]
    assert no_shift["score"] == 100
    assert any(w.startswith("softmax: softmax of large inputs holds inf or NaN") for w in
               no_shift["warnings"])
    true = graded["back_prop_true_gradient"]
    assert true["score"] == 100
    assert true["mistakes"]["true_gradient_in_course_mode"]["severity"] == "warning"


# ---- the two modes of back_prop -----------------------------------------------------------------
# dJ/dW1 and dJ/db1 at the notebook's own numbers (fixtures/cbow/derivative.py), as printed:
# what the exact mode asks a student to work out, the notebook printing only its formula's values.
NOTEBOOK_DERIVATIVE = ("0.08586182", "0.10309036", "0.02146546", "0.02577259", "0.04293091",
                       "0.05154518")


@pytest.mark.parametrize("name", ["reference_exact", "student_reference_exact"])
def test_exact_mode_fails_the_course_formulas_with_the_notebooks_numbers(graded, name):
    """Told where the notebook's formula differs from the derivative, at which entries, and not
    shown the derivative's values there: at the notebook's own numbers they are the exact mode's
    answer (probe s59: `-v` printed them), in the instructor's grader and a student's copy."""
    report = graded[name]
    assert report["mode"]["name"] == "exact"
    assert scores(report) == {**FUNCTIONS, "back_prop": 0}
    (notebook,) = [c for c in checks_of(report, "back_prop") if c["name"] == "notebook_gradients"]
    message = notebook["message"]
    assert notebook["status"] == "failed" and notebook["mistake"] == "course_formula_in_exact_mode"
    assert message.startswith("back_prop's gradient is not the derivative of the loss in W1, b1")
    b1 = message[message.index("b1: back_prop returned"):]
    assert "0.17045858" in b1, message  # what came back
    source = "the reference's loss" if name == "reference_exact" else "the loss"
    assert (f"central differences of {source} at the notebook's numbers differ from it at the "
            "entries [0, 0], [1, 0], [2, 0]") in b1, message
    shown = json.dumps(report)
    assert not [v for v in NOTEBOOK_DERIVATIVE if v in shown], message


@pytest.mark.parametrize("name", ["true_gradient_exact", "student_true_gradient_exact"])
def test_exact_mode_gives_the_true_gradient_full_marks(graded, name):
    """In the instructor's grader and in a student's copy alike: the copy left matches_reference
    (6.6 points) to the instructor, its known answers holding nothing for the exact mode's
    questions, and a correct back_prop scored 93.4 there (probe s54)."""
    report = graded[name]
    assert report["score"] == 100, [(c["name"], c["message"][:200]) for c in report["checks"]
                                    if c["score"] < c["max_score"]]
    assert "true_gradient_in_course_mode" not in report["mistakes"]


# ---- a student's copy: known answers instead of the reference ------------------------------------
def test_student_mode_full_marks_for_the_correct_fixture(graded):
    report = graded["student_correct"]
    assert report["reference"] is False and report["inputs"]["answers"] == "known answers"
    assert report["score"] == 100


@pytest.mark.parametrize("name", STUDENT_MODE)
def test_student_mode_deducts_on_the_same_functions(graded, name):
    instructor, student = scores(graded[name]), scores(graded[f"student_{name}"])
    assert {f for f in FUNCTIONS if instructor[f] < FUNCTIONS[f]} == \
           {f for f in FUNCTIONS if student[f] < FUNCTIONS[f]}, (instructor, student)


def test_known_answers_hold_for_the_reference():
    done = run_cli("known-answers", *PACK, "--check")
    assert done.returncode == 0, done.stdout + done.stderr


# ---- a course secret -----------------------------------------------------------------------------
def test_secret_changes_drawn_inputs_not_the_reference_score(tmp_path):
    """The arrays of every drawn case come from the secret: the same mistake fails on other
    numbers; the reference still gets full marks."""
    secret = ("--secret", "cbow course secret for the tests")
    reference = grade(REFERENCE, tmp_path / "ref", *PACK, *secret)
    assert reference["score"] == 100 and reference["inputs"]["set"] == "secret"
    ascends = next(m for m in MISTAKES if m.name == "descent_ascends").write(tmp_path)
    public = grade(ascends, tmp_path / "public", *PACK, "--only", "gradient_descent_step")
    hidden = grade(ascends, tmp_path / "secret", *PACK, "--only", "gradient_descent_step", *secret)

    def failure(report):
        (check,) = [c for c in checks_of(report, "gradient_descent_step")
                    if c["name"] == "matches_reference"]
        assert check["status"] == "failed" and check["mistake"] == "descent_ascends"
        return check["message"]
    assert scores(hidden)["gradient_descent_step"] == 0
    assert failure(hidden) != failure(public)


# ---- float32 ---------------------------------------------------------------------------------------
FLOAT32_IDENTITIES = {("relu", "non_negative_and_identity_on_positives"),
                      ("softmax", "columns_sum_to_one"),
                      ("gradient_descent_step", "zero_step_changes_nothing")}


def test_float32_code_gets_one_grade_whatever_the_inputs(tmp_path):
    """Correct code computing in float32 (returned so, or cast back to float64) passes every
    comparison with the reference and fails the checks of exact identities only, saying the
    differences are rounding: one grade under the public inputs, two course secrets and the
    student's copy. Before, the reference comparisons failed it by rounding on some draws only
    (52.92 to 62.92 by the secret) and blamed a global alpha for the rounded zero step."""
    source = (FIXTURES / "float32.py").read_text()
    cast_back = source.replace("def _out(a):\n    return a\n",
                               "def _out(a):\n    return np.asarray(a, dtype=np.float64)\n")
    assert cast_back != source
    (tmp_path / "cast_back.py").write_text(cast_back)
    files = {"float32": FIXTURES / "float32.py", "cast_back": tmp_path / "cast_back.py"}
    ways = {"public": (), "secret_a": ("--secret", "the first section's cbow secret"),
            "secret_b": ("--secret", "another section, another cbow secret"),
            "student": ("--no-reference",)}
    for way, extra in ways.items():
        reports = grade_many(files, tmp_path / way, *PACK, *extra)
        for name, report in reports.items():
            failed = {(c["function"], c["name"]) for c in report["checks"]
                      if c["score"] < c["max_score"]}
            assert failed == FLOAT32_IDENTITIES, (way, name, failed)
            assert report["score"] == 95.5, (way, name)
            for check in report["checks"]:
                if (check["function"], check["name"]) in FLOAT32_IDENTITIES:
                    assert "The differences are rounding only" in check["message"], check
                    assert not check["mistake"], check  # no alpha of another value blamed


# ---- a class of notebooks: batch and Gradescope ------------------------------------------------
@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cbow-class") / "uploads"
    folder.mkdir()
    shutil.copy(FIXTURES / "correct.ipynb", folder / "alice.ipynb")
    shutil.copy(TEMPLATE / "cbow.ipynb", folder / "bob.ipynb")
    source = (FIXTURES / "correct.ipynb").read_text()
    # carol's notebook: the forward pass applies ReLU to the output layer too
    carol = source.replace("z2 = np.dot(W2, h) + b2", "z2 = relu(np.dot(W2, h) + b2)")
    assert carol != source
    (folder / "carol.ipynb").write_text(carol)
    return folder


def test_batch_of_notebooks(notebooks, tmp_path):
    out = tmp_path / "grades"
    done = run_cli("batch", str(notebooks), "--out", str(out), *PACK, "--jobs", "2")
    assert done.returncode == 0, done.stderr
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "scores.csv").read_text()))}
    assert {s: float(rows[s]["score"]) for s in rows} == {"alice": 100, "bob": 0, "carol": 86}
    carol = json.loads((out / "reports" / "carol.json").read_text())
    assert scores(carol)["forward_prop"] == 0 and "relu_on_output" in mistakes_named(carol)


@pytest.mark.parametrize("upload, expected", [("alice.ipynb", 100), ("carol.ipynb", 86)])
def test_gradescope_grades_a_notebook(notebooks, tmp_path, upload, expected):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    shutil.copy(notebooks / upload, root / "submission" / "cbow.ipynb")
    done = run_cli("gradescope", "--root", str(root), *PACK)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == expected, results.get("output")


# ---- what ships, and what the audit says ----------------------------------------------------------
def test_the_wheel_ships_the_pack_but_not_its_reference():
    from grader import release
    shipped = release.package_files()
    for name in ("pack.toml", "known_answers.json", "support/utils2.py", "checks/test_back_prop.py"):
        assert f"grader/packs/cbow/{name}" in shipped, name
    solution = REFERENCE.read_bytes()
    assert not any(path.read_bytes() == solution for path in shipped.values())
    assert not any("reference" in name.split("/") for name in shipped)


def test_audit_shows_the_notebooks_b1_against_the_derivative():
    done = run_cli("audit", *PACK)
    assert done.returncode == 1, done.stdout + done.stderr  # the exact mode does not hold
    out = done.stdout
    assert "the reference passes every check (100/100)" in out  # the course mode
    exact = out[out.index("mode exact"):]
    assert "back_prop: notebook_gradients (failed)" in exact
    assert "0.17045858" in exact and "at the entries [0, 0], [1, 0], [2, 0]" in exact


def test_the_assignments_utils2_imports_are_served(tmp_path):
    """The week's assignment opens with `from utils2 import sigmoid, get_batches, compute_pca,
    get_dict` before numpy (and the lecture's later copies with `from utils2 import get_dict,
    get_emoji_regexp`): utils2 must have every name it imports, or the cell stops before numpy is
    imported and every graded function fails on `np`."""
    import nbformat

    source = (FIXTURES / "correct.py").read_text()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from utils2 import sigmoid, get_batches, compute_pca, get_dict\n"
        "from utils2 import get_emoji_regexp\nimport numpy as np"),
        nbformat.v4.new_code_cell(source),
        nbformat.v4.new_code_cell(
            "words = 'i am happy because i am learning'.split()\n"
            "word2Ind, Ind2word = get_dict(words)\n"
            "x, y = next(get_batches(words, word2Ind, len(word2Ind), 2, 3))\n"
            "assert x.shape == y.shape == (len(word2Ind), 3)\n"
            "assert np.allclose(x.sum(axis=0), 1) and np.allclose(y.sum(axis=0), 1)\n"
            "assert compute_pca(np.eye(5)[:, :3], 2).shape == (5, 2)\n"
            "assert sigmoid(0) == 0.5\n"
            "found = [t for t in ['happy', '\\U0001F600', 'ok\\u2764\\ufe0f', ','] "
            "if get_emoji_regexp().search(t)]\n"
            "assert found == ['\\U0001F600', 'ok\\u2764\\ufe0f'], found\n")]
    path = tmp_path / "assignment.ipynb"
    nbformat.write(nb, str(path))
    report = grade(path, tmp_path / "out", *PACK)
    assert report["score"] == 100, [w for w in report["warnings"]][:3]
    assert not any("stopped with" in w for w in report["warnings"]), report["warnings"]


def test_a_parameter_the_course_formula_never_reads_is_not_named_as_unread(tmp_path):
    """back_prop reading the notebook's global `y_hat` for its parameter `yhat` is told so; W1, b1
    and b2, which the notebook's formulas (and the reference) never read either, are not named:
    the warning once said they were never read, as if the student had to use them."""
    source = (FIXTURES / "correct.py").read_text()
    body = ("    grad_b2 = yhat - y\n    grad_W2 = np.dot(yhat - y, h.T)\n"
            "    grad_b1 = relu(np.dot(W2.T, yhat - y))\n"
            "    grad_W1 = np.dot(relu(np.dot(W2.T, yhat - y)), x.T)\n")
    assert source.count(body) == 1
    path = tmp_path / "global_y_hat.py"
    path.write_text(source.replace(body, body.replace("yhat", "y_hat"))
                    + "\n\ny_hat = np.full((5, 1), 0.2)\n")
    report = grade(path, tmp_path / "out", *PACK, "--only", "back_prop")
    assert report["score"] < report["max_score"]
    said = [w for w in report["warnings"] if "never reads" in w]
    assert len(said) == 1 and said[0].startswith(
        "back_prop (global_y_hat.py) never reads its parameter yhat, and reads the variable "
        "`y_hat`"), said


def test_a_gradient_flattened_costs_the_shape_check_only(tmp_path):
    """grad_b1 returned flat, (N,) where b1 is (N, 1), the numbers right: back_prop's check of
    the gradients' shapes (marked exact_shapes) charges it; its values and the central
    differences of the loss compare the numbers."""
    source = (FIXTURES / "correct.py").read_text()
    line = "    grad_b1 = relu(np.dot(W2.T, yhat - y))\n"
    assert source.count(line) == 1
    path = tmp_path / "flat_grad_b1.py"
    path.write_text(source.replace(line, line.replace("))\n", ")).ravel()\n")))
    report = grade(path, tmp_path / "out", *PACK, "--only", "back_prop")
    failed = [c for c in checks_of(report, "back_prop") if c["status"] != "passed"]
    assert [c["name"] for c in failed] == ["gradient_shapes"], \
        [(c["name"], c["message"]) for c in failed]
    assert "without its axis of length 1" in failed[0]["message"]


def test_every_gradient_of_the_wrong_shape_is_named_in_one_failure(tmp_path):
    """grad_b1 and grad_b2 both returned flat: the check of the shapes named grad_b1 alone, and
    grad_b2 only once that was fixed, two rounds for one slip (probe s59). It names both, and
    the slip they share once."""
    source = (FIXTURES / "correct.py").read_text()
    for line, flat in (("    grad_b1 = relu(np.dot(W2.T, yhat - y))\n",
                        "    grad_b1 = relu(np.dot(W2.T, yhat - y)).ravel()\n"),
                       ("    grad_b2 = yhat - y\n", "    grad_b2 = (yhat - y).ravel()\n")):
        assert source.count(line) == 1
        source = source.replace(line, flat)
    path = tmp_path / "flat_biases.py"
    path.write_text(source)
    report = grade(path, tmp_path / "out", *PACK, "--only", "back_prop")
    failed = [c for c in checks_of(report, "back_prop") if c["status"] != "passed"]
    assert [c["name"] for c in failed] == ["gradient_shapes"], \
        [(c["name"], c["message"]) for c in failed]
    first = failed[0]["message"].splitlines()[0]
    assert re.match(r"grad_b1 has shape \(\d+,\), expected shape \(\d+, 1\); grad_b2 has shape "
                    r"\(\d+,\), expected shape \(\d+, 1\)\. Each is the expected shape without "
                    r"its axis of length 1", first), first


def test_an_advisory_check_the_function_raises_in_still_warns(tmp_path):
    """A check worth no points warns where the function fails it: a softmax without the max
    subtraction under np.seterr(all="raise") raises in the overflow check instead of returning
    inf, and that warning vanished (probe s60: nothing in the report, even with -v), where the
    same softmax without seterr was warned of its overflow."""
    source = (FIXTURES / "correct.py").read_text()
    right = "    e_z = np.exp(z - np.max(z, axis=0, keepdims=True))\n"
    assert right in source
    path = tmp_path / "cbow.py"
    path.write_text("import numpy as np\nnp.seterr(all='raise')\n"
                    + source.replace(right, "    e_z = np.exp(z)\n"))
    report = grade(path, tmp_path / "out", *PACK, "--only", "softmax")
    assert scores(report) == {"softmax": FUNCTIONS["softmax"]}, scores(report)
    advisory = [c for c in checks_of(report, "softmax") if c["max_score"] == 0]
    assert [c["status"] for c in advisory] == ["error"], advisory
    warned = [w for w in report["warnings"] if w.startswith("softmax: ")]
    assert any("FloatingPointError" in w for w in warned), report["warnings"]
    assert "FloatingPointError" in report["_terminal"], report["_terminal"]


def test_an_advisory_check_failing_as_the_graded_ones_do_is_not_warned_as_free(tmp_path):
    """A function that raises on every call fails its advisory check too: that check's error is
    the crash its graded checks charged, and warning of it "(a warning only, no points
    deducted)" under a 0 for the function read as if the crash cost nothing (probe s61). The
    message differs with each input's shape; the exception and the line are the same."""
    source = (FIXTURES / "correct.py").read_text()
    right = "    e_z = np.exp(z - np.max(z, axis=0, keepdims=True))\n"
    assert right in source
    path = tmp_path / "cbow.py"
    path.write_text(source.replace(right, "    e_z = np.zeros_like(z.shape)\n"
                                          "    e_z[:] = np.exp(z - np.max(z, axis=0, keepdims=True))\n"))
    report = grade(path, tmp_path / "out", *PACK, "--only", "softmax")
    graded = [c for c in checks_of(report, "softmax") if c["max_score"] > 0]
    assert scores(report)["softmax"] == 0 and "error" in {c["status"] for c in graded}, graded
    advisory = [c for c in checks_of(report, "softmax") if c["max_score"] == 0]
    assert [c["status"] for c in advisory] == ["error"], advisory
    assert not [w for w in report["warnings"] if w.startswith("softmax: ")], report["warnings"]
    assert "no points deducted" not in report["_terminal"], report["_terminal"]
