"""`autograde audit`: a pack's reference graded against the pack's own checks in every mode, and
its known answers checked against it. A reference that does not meet its own properties or
numerical gradients is reported, with what the check measured."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES, grade
from grader import audit, misplaced_arguments
from grader.packs import load_pack
from tests.test_modes import MODE_CHECK, MODES
from tests.test_packs import MANIFEST, REFERENCE, make_pack, run_cli


def test_the_cs224n_reference_holds(tmp_path: Path) -> None:
    out = tmp_path / "audit.json"
    done = run_cli("audit", "--pack", "cs224n-a1", "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the reference passes every check (100/100)" in done.stdout
    assert "known answers: every stored answer is the reference's" in done.stdout
    assert done.stdout.rstrip().endswith("The reference holds.")
    found = json.loads(out.read_text())
    assert found["holds"] is True and found["known_answers"] == []
    assert [(m["mode"], m["findings"]) for m in found["modes"]] == [("", [])]


@pytest.fixture
def modal_pack(tmp_path: Path) -> Path:
    folder = make_pack(tmp_path / "courses" / "modal", MANIFEST + MODES)
    (folder / "checks" / "test_mode.py").write_text(MODE_CHECK)
    return folder


def test_a_reference_that_fails_in_one_mode_is_reported_there(modal_pack: Path,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "audit.json"
    done = run_cli("audit", "--pack", str(modal_pack), "--json", str(out))
    assert done.returncode == 1, done.stdout + done.stderr
    course, leaky = done.stdout.split("mode leaky")
    assert "mode course (default): relu is max(x, 0)" in course
    assert "the reference passes every check (10/10)" in course
    assert "the reference fails 1 check(s) (8/10):" in leaky
    assert "- relu: relu_in_the_mode_in_force (failed)" in leaky
    # What the check measured, as a student would read it: called, returned, expected.
    assert "called: relu(array([-2.,  0.,  3.]) with shape (3,))" in leaky
    assert "returned: array([0., 0., 3.]) with shape (3,)" in leaky
    assert "expected: array([-0.2,  0. ,  3. ]) with shape (3,)" in leaky
    assert "known answers: the pack ships none" in done.stdout
    assert done.stdout.rstrip().endswith("The reference does not hold in every mode: see above.")
    found = json.loads(out.read_text())
    assert found["holds"] is False
    assert [(m["mode"], m["default"], len(m["findings"])) for m in found["modes"]] == \
        [("course", True, 0), ("leaky", False, 1)]


def test_stale_known_answers_are_reported(modal_pack: Path, tmp_path: Path) -> None:
    made = run_cli("known-answers", "--pack", str(modal_pack), "--out",
                   str(modal_pack / "known_answers.json"))
    assert made.returncode == 0, made.stderr
    pack = load_pack(str(modal_pack))
    assert audit.run(pack, modal_pack / "reference").known_answers == ()
    # The reference changes after its answers were stored: scaled_sum now answers otherwise.
    changed = tmp_path / "changed"
    changed.mkdir()
    (changed / "layers.py").write_text((modal_pack / "reference" / "layers.py").read_text()
                                       .replace("* 3.0", "* 4.0"))
    found = audit.run(pack, changed)
    assert not found.holds
    assert any("made from another reference" in p for p in found.known_answers)
    assert any("answers scaled_sum differently" in p for p in found.known_answers)
    text = audit.render(found)
    assert "known answers: do not hold" in text
    # Graded with itself as the reference, its own values hold by construction.
    assert "- scaled_sum:" not in text and all(
        f.function != "scaled_sum" for m in found.modes for f in m.findings)


def test_without_a_reference_the_audit_is_a_usage_error(modal_pack: Path) -> None:
    import shutil
    shutil.rmtree(modal_pack / "reference")
    done = run_cli("audit", "--pack", str(modal_pack))
    assert done.returncode == 2
    assert "has no reference here: give --reference DIR" in done.stderr


# ---- a training script read for arguments in another parameter's place ---------------------------
SIGNATURES = {"forward": ("X", "W1", "b1", "W2", "b2"), "cost": ("T", "Y")}


def test_signatures_are_read_from_the_manifests_text() -> None:
    from grader.misplaced_arguments import parameters
    assert parameters("forward(X, W1, b1, W2, b2) -> (Y, Z)") == SIGNATURES["forward"]
    assert parameters("derivative_b2(T, Y) -> array of b2's shape (K,)") == ("T", "Y")
    assert parameters("five gradient steps built from forward") is None
    assert parameters("") is None


def test_misplaced_arguments_positional_keyword_and_method(tmp_path: Path) -> None:
    from grader.misplaced_arguments import find
    script = tmp_path / "train.py"
    script.write_text(
        "import onelayer as net\n"
        "Y, Z = forward(X, W1, b1, W2, b2)\n"          # right
        "Y, Z = net.forward(X, W1, b1, W2, b1)\n"      # b1 where b2 belongs, through a module
        "c = cost(Y, T)\n"                             # both swapped
        "Y, Z = forward(X, W1, b1, W2=W2, b2=W1)\n"    # keyword
        "Y, Z = forward(X, W1, *rest)\n"               # positions unknown after *: not judged
        "Y, Z = forward(X2, W1, bias, W2, 0.0)\n"      # other names and constants: not judged
        "other(b2, b1)\n")                             # not a function of the pack
    found = find(script, SIGNATURES)
    assert [(f.line, f.function, f.parameter, f.position, f.passed) for f in found] == [
        (3, "forward", "b2", 5, "b1"), (4, "cost", "T", 1, "Y"), (4, "cost", "Y", 2, "T"),
        (5, "forward", "b2", 0, "W1")]
    assert str(found[0]) == ("train.py, line 3: net.forward(X, W1, b1, W2, b1) passes b1 as "
                             "argument 5, which is forward's parameter b2; b1 is the name of its "
                             "parameter 3. Is b2 meant?")


@pytest.mark.parametrize("theirs, required, expected, told", [
    (("T", "Y", "W2", "Z"), 4, ("T", "Y", "W2", "Z"), None),
    (("x",), 1, ("z",), None),                      # names of the student's own: never remarked on
    (("t", "y", "w2", "z"), 4, ("T", "Y", "W2", "Z"), None),
    (("Z", "T", "Y", "W2"), 4, ("T", "Y", "W2", "Z"), "another order"),
    (("E", "ids"), 2, ("ids", "E"), "another order"),
    (("Z", "T", "Y"), 3, ("T", "Y"), "takes Z, which the assignment's does not pass"),
    (("T", "Y", "Z"), 2, ("T", "Y"), None),          # an extra parameter with a default is harmless
    (("T", "Y", "Z"), 3, ("T", "Y", "W2", "Z"), "lacks the parameter W2"),
    (("predicted", "target", "outputVectors", "dataset", "K"), 4,
     ("predicted", "target", "outputVectors", "dataset", "K"), None),
    # probe s56: the lecture's y_hat for the assignment's yhat, moved before y
    (("x", "y", "y_hat", "h"), 4, ("x", "yhat", "y", "h"), "another order"),
    (("x", "y_hat", "y", "h"), 4, ("x", "yhat", "y", "h"), None),
    # ... and one tuple of gradients in place of four: no call with the assignment's binds
    (("W1", "W2", "b1", "b2", "grads", "alpha"), 5,
     ("W1", "W2", "b1", "b2", "grad_W1", "grad_W2", "grad_b1", "grad_b2", "alpha"),
     "takes grads where the assignment's takes grad_W1, grad_W2, grad_b1 and grad_b2"),
    (("a", "b", "c"), 3, ("x", "y"), None),
    # a name of their own in C's place, and V left out (recheck probe): what lacks is V
    (("words", "window", "word2Ind"), 3, ("words", "C", "word2Ind", "V"), "lacks the parameter V:"),
])
def test_parameters_unlike_the_signature_are_told_only_for_the_assignments_names(
        theirs, required, expected, told):
    said = misplaced_arguments.parameters_unlike_signature("f", theirs, required, expected)
    assert (said is None) if told is None else (told in said), said


def test_a_parameter_taken_by_keyword_only_is_named_as_that(tmp_path):
    """negSamplingCostAndGradient(predicted, target, outputVectors, dataset, *, K=10) was told it
    "lacks the parameter K", its signature quoted without K; the grader passes K by position."""
    told = misplaced_arguments.parameters_unlike_signature(
        "f", ("a", "b"), 2, ("a", "b", "K"), keyword_only=("K",))
    assert told and "takes K by keyword only (after the *): yours is f(a, b, *, K)" in told, told
    source = (FIXTURES / "correct_summed.py").read_text()
    old = "def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):"
    assert source.count(old) == 1
    path = tmp_path / "keyword_only.py"
    path.write_text(source.replace(old, old.replace("dataset, K=10", "dataset, *, K=10")))
    report = grade(path, tmp_path / "out", "--only", "negSamplingCostAndGradient")
    assert any("negSamplingCostAndGradient takes K by keyword only" in w and "lacks" not in w
               for w in report["warnings"]), report["warnings"]


def test_a_signature_with_a_default_gives_every_parameter():
    assert misplaced_arguments.signature_parameters(
        "negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10)") == (
        "predicted", "target", "outputVectors", "dataset", "K")
    assert misplaced_arguments.signature_parameters(
        "derivative_b1(T, Y, W2, Z) -> array of b1's shape (M,)") == ("T", "Y", "W2", "Z")
    assert misplaced_arguments.signature_parameters("five gradient steps built from forward") is None


def test_only_a_function_whose_every_call_raises_not_implemented_is_unwritten(
        tmp_path: Path) -> None:
    folder = make_pack(tmp_path / "courses" / "tiny")
    reference = folder / "reference" / "layers.py"
    pack = load_pack(folder)
    assert audit.unwritten_functions(pack, folder / "reference") == ()
    bodies = {"def relu(x):\n    '''the stub'''\n    # to do\n    raise NotImplementedError\n":
              ("relu in reference/layers.py",),
              "def relu(x):\n    y = x\n    raise NotImplementedError('relu')\n":
              ("relu in reference/layers.py",),
              # Written for some inputs, or raising another error: not a stub.
              "def relu(x):\n    if x is None:\n        raise NotImplementedError\n    return x\n":
              (),
              "def relu(x):\n    def inner():\n        return 1\n    raise NotImplementedError\n":
              ("relu in reference/layers.py",),
              "def relu(x):\n    raise ValueError('no')\n": ()}
    for body, expected in bodies.items():
        reference.write_text(REFERENCE + "\n\n" + body)
        assert audit.unwritten_functions(pack, folder / "reference") == expected, body


# A values check that computes its comparison and asserts nothing (probe s61), and one that looks
# at shapes only: a wrong answer of the right shape may pass the second, never the first.
NO_ASSERT_CHECKS = """\
import numpy as np
import pytest


@pytest.mark.function('relu')
@pytest.mark.points(1)
def test_relu_compared_not_asserted(student, reference):
    x = np.array([-1.0, 0.5, 2.0])
    np.allclose(student(x), reference.relu(x))


@pytest.mark.function('relu')
@pytest.mark.points(1)
def test_relu_keeps_the_shape(student):
    x = np.array([-1.0, 0.5, 2.0])
    assert np.shape(student(x)) == x.shape, 'relu changed the shape'
"""


def test_audit_names_a_values_check_that_asserts_nothing(tmp_path: Path) -> None:
    """`np.allclose(got, expected)` as a bare statement passed audit ("The reference holds",
    "every check fails functions that only raise or return None": the None stand-in "failed" it
    only through the check's own TypeError) and gave a wrong relu its points (probe s61)."""
    folder = make_pack(tmp_path / "p")
    (folder / "checks" / "test_no_assert.py").write_text(NO_ASSERT_CHECKS)
    out = tmp_path / "audit.json"
    done = run_cli("audit", "--pack", str(folder), "--json", str(out))
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("- relu: relu_compared_not_asserted (a values check that a stand-in passes: it "
            "answers wrongly, the reference's answer scaled by -1.5 and shifted by 0.25)"
            ) in done.stdout, done.stdout
    # The check's own TypeError on None is no failure of the stand-in.
    assert ("- relu: relu_compared_not_asserted (raised in its own code on a stand-in that "
            "returns None: the check's error, not a verdict") in done.stdout, done.stdout
    # A check of shapes may pass a wrong answer of the right shape: its points wait for values.
    assert "relu_keeps_the_shape" not in done.stdout, done.stdout
    assert done.stdout.rstrip().endswith(
        "The pack does not hold: a values check passes a wrong answer of the right type and "
        "shape; a check raises in its own code on a stand-in, where it should fail it. See "
        "above."), done.stdout
    assert len(json.loads(out.read_text())["stand_ins"]) == 2


def test_the_wrong_stand_in_changes_every_kind_of_answer() -> None:
    """The stand-in that answers wrongly must differ from the reference in whatever a values
    check compares: numbers of any dtype, truths, integers, strings, nested containers, and the
    items of a generator (cbow's get_windows yields them)."""
    import numpy as np
    scope: dict = {}
    exec(audit.WRONG_HELPER, scope)
    wrong = scope["_autograde_wrong"]
    for right in (np.array([0.0, 0.1, -3.0]), np.array([0, 1, 7]), np.array([True, False]),
                  np.float32(2.0), 0.0, 0.1, 3, True, "king"):
        changed = wrong(right)
        assert type(changed) is type(right) or isinstance(right, np.ndarray), (right, changed)
        assert np.shape(changed) == np.shape(right)
        assert np.all(np.asarray(changed) != np.asarray(right)), (right, changed)
    parts = wrong((np.ones(2), [2.0, {"k": 1}]))
    assert isinstance(parts, tuple) and parts[1] == [-2.75, {"k": 0}]
    assert np.array_equal(parts[0], [-1.25, -1.25])
    assert list(wrong(iter([1.0, "a"]))) == [-1.25, "a (wrong)"]
    from collections import namedtuple
    pair = namedtuple("pair", "cost grad")
    assert wrong(pair(1.0, None)) == pair(-1.25, None)
    # An answer with nothing to make wrong (None: a function that works in place) raises, so
    # that its checks are not named for passing the reference's own answer.
    assert scope["_autograde_wrong_answer"](2.0) == -2.75
    for nothing in (None, (None, None), [], {"k": None}):
        with pytest.raises(ValueError, match="nothing in the answer to make wrong"):
            scope["_autograde_wrong_answer"](nothing)


def test_audit_says_a_check_raised_in_its_own_words(tmp_path: Path) -> None:
    """A check that raises in its own code (a typo) was reported to the pack's author in a
    student's words: "this is not your fault, please tell your instructor" (probe s61)."""
    folder = make_pack(tmp_path / "p")
    checks = folder / "checks" / "test_tiny.py"
    text = checks.read_text()
    assert text.count("np.asarray(reference.relu(x))") == 1
    checks.write_text(text.replace("np.asarray(reference.relu(x))", "np.asarray(refrence.relu(x))"))
    done = run_cli("audit", "--pack", str(folder))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "- relu: relu_matches_reference (error)" in done.stdout, done.stdout
    assert "the check raised in its own code" in done.stdout
    assert "NameError" in done.stdout  # where and what: the grader problem line
    assert "not your fault" not in done.stdout and "tell your instructor" not in done.stdout
    # Said once, with where; the stand-ins do not name it again as raising on them.
    assert done.stdout.count("relu: relu_matches_reference") == 1, done.stdout
    assert "(the checks that raised in their own code on the reference aside)" in done.stdout
