"""Points only a real implementation can earn (issue #11): under a course secret, with the
reference, a submission without one earns at most the points of the handout's own examples, and a
correct one earns everything whatever the secret.

The dishonest fixtures are tests/fixtures/gaming.py's: a self-consistent fake, the fake with the
right answer for every literal input in the check files, and a lookup table of every call the
public grader makes, recorded from a correct solution run under it.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, by_function, full_tier, grade, mistakes_named, run_cli
from fixtures import gaming

SECRETS = ("correct horse battery staple 1", "a second course secret, term 2",
           "third-secret-0123456789")
CHECKS = ROOT / "grader" / "packs" / "cs224n_a1" / "checks"


def published_points(report: dict) -> float:
    """The points of the checks whose inputs are the handout's own (@pytest.mark.published): the
    same under every secret, so a lookup table may earn them."""
    names = set()
    for path in CHECKS.glob("test_*.py"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"@pytest\.mark\.published[^\n]*\n(?:@[^\n]*\n)*def test_(\w+)", text):
            names.add((path.stem.removeprefix("test_"), match.group(1)))
    assert len(names) == 4, names  # sigmoid, sigmoid_grad, and softmax's two
    return sum(c["max_score"] for c in report["checks"] if (c["function"], c["name"]) in names)


@pytest.fixture(scope="module")
def dishonest(tmp_path_factory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("gaming")
    hardcoded = work / "hardcoded_literals.py"
    hardcoded.write_text(gaming.hardcoded_literals(), encoding="utf-8")
    log = work / "log"
    log.mkdir()
    logger = work / "logger.py"
    logger.write_text(gaming.logging_submission(log), encoding="utf-8")
    # The student's own machine: no sandbox in the way of the log. The public grader, reference and all.
    logged = grade(logger, work / "logged", "--isolation", "process")
    assert logged["score"] == 100
    table = gaming.read_log(log)
    assert len(table) > 500  # every call of every check, a few collisions aside
    lookup = work / "lookup_table.py"
    lookup.write_text(gaming.lookup_table(table), encoding="utf-8")
    return {"fake": gaming.FAKE, "hardcoded": hardcoded, "lookup": lookup}


def test_the_attacks_work_on_the_public_inputs(dishonest, tmp_path):
    """What the secret is for: without it, answers recorded from the public grader earn most of
    the points (every correct function call, replayed)."""
    lookup = grade(dishonest["lookup"], tmp_path / "lookup")
    assert lookup["inputs"] == {"set": "public", "answers": "reference"}
    assert lookup["score"] >= 75
    assert by_function(lookup)["forward_backward_prop"]["score"] == 35


@pytest.mark.parametrize("attack", ["fake", "hardcoded", "lookup"])
def test_no_real_implementation_earns_only_the_published_examples(dishonest, tmp_path, attack):
    report = grade(dishonest[attack], tmp_path / attack, "--secret", SECRETS[0])
    assert report["inputs"] == {"set": "secret", "answers": "reference"}
    allowed = published_points(report)
    assert allowed == 8.82  # sigmoid 2, sigmoid_grad 1.82 (2 of its 5.5 weights), softmax 5
    assert report["score"] <= allowed, [(c["function"], c["name"]) for c in report["checks"]
                                        if c["score"] > 0]
    # The self-consistency checks still ran and say what they measured...
    gradients = [c for c in report["checks"] if c["function"] == "forward_backward_prop"
                 and c["name"].startswith("gradient_") and c["kind"] == "consistency"]
    assert gradients and all(c["status"] == "passed" for c in gradients)
    # ...but their points went with the values checks, and the report says why.
    assert all(c["score"] == 0 and "values are right too" in c["points_withheld"] for c in gradients)


def test_the_fake_earns_nothing_on_public_inputs_either(tmp_path):
    report = grade(gaming.FAKE, tmp_path / "fake")
    assert report["score"] == 0
    withheld = [c for c in report["checks"] if c["points_withheld"]]
    assert len(withheld) >= 10  # every consistency check it passed


# A class batch per secret: the default tier one, `pytest --full` each.
@pytest.mark.parametrize("secret", SECRETS if full_tier() else SECRETS[:1])
def test_correct_submissions_get_full_marks_under_any_secret(tmp_path, secret):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    for name in ("correct_summed.py", "correct_averaged.py", "correct_direct_sampling.py",
                 "correct_xrange.py"):
        shutil.copy(FIXTURES / name, uploads / name)
    shutil.copytree(FIXTURES / "correct_multifile", uploads / "correct_multifile")
    shutil.copytree(ROOT / "reference", uploads / "reference")
    out = tmp_path / "out"
    proc = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "2", "--secret", secret)
    assert proc.returncode == 0, proc.stderr
    reports = {p.stem: json.loads(p.read_text()) for p in (out / "reports").glob("*.json")}
    assert len(reports) == 6
    for name, report in reports.items():
        assert report["inputs"]["set"] == "secret"
        assert report["score"] == 100, (name, [(c["name"], c["message"][:200])
                                               for c in report["checks"] if c["status"] != "passed"])


def _graded(report: dict) -> dict:
    data = {k: v for k, v in report.items() if not k.startswith("_")}
    for volatile in ("timings", "versions", "isolation", "submission", "upload"):
        data.pop(volatile)
    return data


def test_same_secret_same_report_other_secret_other_inputs(tmp_path):
    """A mistake whose messages show the inputs: identical under one secret, different under
    another and publicly (hypothesis's draws, the arrays, and the fixed cases' streams)."""
    from fixtures.mistakes import MISTAKES, materialize
    chosen = {m.name: m for m in MISTAKES}
    path = materialize(chosen["negsampling_target_among_negatives"], tmp_path / "src")
    first = grade(path, tmp_path / "a", "--secret", SECRETS[0])
    again = grade(path, tmp_path / "b", "--secret", SECRETS[0])
    other = grade(path, tmp_path / "c", "--secret", SECRETS[1])
    public = grade(path, tmp_path / "d")
    assert _graded(first) == _graded(again)
    for name in ("cost_matches_reference", "repeated_negatives_accumulate", "target_is_redrawn"):
        messages = [next(c["message"] for c in r["checks"] if c["name"] == name
                         and c["function"] == "negSamplingCostAndGradient")
                    for r in (first, other, public)]
        assert len(set(messages)) == 3, (name, messages)
    # Verdicts do not depend on the secret: the same functions lose the same points.
    assert [f["score"] for f in first["functions"]] == [f["score"] for f in other["functions"]]


def test_the_secret_is_never_written(dishonest, tmp_path):
    secret = "never-print-this-secret-4711"
    report = grade(dishonest["hardcoded"], tmp_path / "r", "--secret", secret, html=True)
    for text in (json.dumps(report), report["_terminal"], report["_stderr"], report["_html"]):
        assert secret not in text
    # Nor a seed that would let hypothesis redraw the secret inputs.
    assert "@seed" not in json.dumps(report) and "hypothesis-seed" not in json.dumps(report)


def test_secret_options(tmp_path):
    sub = str(FIXTURES / "correct_summed.py")
    both = run_cli("grade", sub, "--no-reference", "--secret", "x" * 20)
    assert both.returncode == 2 and "need the reference" in both.stderr
    missing = run_cli("grade", sub, "--secret-file", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "cannot read the secret file" in missing.stderr
    empty = tmp_path / "empty"
    empty.write_text("\n")
    assert "is empty" in run_cli("grade", sub, "--secret-file", str(empty)).stderr
    short = run_cli("grade", sub, "--secret", "short")
    assert short.returncode == 0 and "shorter than 16 characters" in short.stderr
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRETS[0] + "\n")
    from_file = grade(FIXTURES / "correct_summed.py", tmp_path / "f", "--secret-file", str(secret_file))
    assert from_file["inputs"]["set"] == "secret"


def test_secret_from_the_environment(tmp_path):
    import subprocess
    import sys
    out = tmp_path / "r.json"
    env = {"PATH": "/usr/bin:/bin", "AUTOGRADE_SECRET": SECRETS[2]}
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(FIXTURES / "correct_summed.py"),
                           "--json", str(out)], capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["inputs"]["set"] == "secret"
    # Set but empty (`AUTOGRADE_SECRET=$(cat a-missing-file)`): refused as --secret '' is; it
    # graded on the public inputs, unsaid.
    empty = run_cli("grade", str(FIXTURES / "correct_summed.py"), env={"AUTOGRADE_SECRET": " "})
    assert empty.returncode == 2 and "$AUTOGRADE_SECRET is set but empty" in empty.stderr


def test_batch_carries_the_secret_and_regrades_when_it_changes(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", uploads / "alice.py")
    shutil.copy(gaming.FAKE, uploads / "mallory.py")
    out = tmp_path / "out"
    first = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "2", "--secret", SECRETS[0])
    assert first.returncode == 0, first.stderr
    assert "graded on the public inputs" not in first.stderr
    reports = {p.stem: json.loads(p.read_text()) for p in (out / "reports").glob("*.json")}
    assert {s: r["inputs"]["set"] for s, r in reports.items()} == {"alice": "secret", "mallory": "secret"}
    assert reports["alice"]["score"] == 100 and reports["mallory"]["score"] == 0
    gradebook = (out / "gradebook.csv").read_text()
    assert SECRETS[0] not in gradebook and SECRETS[0] not in json.dumps(reports)
    same = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "2", "--secret", SECRETS[0])
    assert "2 of 2 already graded" in same.stderr
    other = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "2", "--secret", SECRETS[1])
    assert other.returncode == 0 and "other inputs" in other.stderr
    # The same command from a shell where the secret was never set: not a silent regrade of the
    # class on the inputs every student's copy draws, but a refusal that says why.
    graded = {p.name: p.read_bytes() for p in (out / "reports").iterdir()}
    none = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "2")
    assert none.returncode == 2, none.stderr
    assert "graded under a course secret" in none.stderr and "this run has none" in none.stderr
    assert {p.name: p.read_bytes() for p in (out / "reports").iterdir()} == graded
    forced = run_cli("batch", str(uploads), "--out", str(out), "--jobs", "2", "--force")
    assert forced.returncode == 0, forced.stderr
    # Said on the terminal and atop index.html, as gradescope-zip says it: a class graded on the
    # inputs every student's copy asks (probe s54: nothing said so).
    said = ("graded on the public inputs: no course secret (--secret, --secret-file or "
            "$AUTOGRADE_SECRET)")
    assert f"autograde batch: {said}" in forced.stderr
    assert said in (out / "index.html").read_text(encoding="utf-8")
    reports = {p.stem: json.loads(p.read_text()) for p in (out / "reports").glob("*.json")}
    assert {s: r["inputs"]["set"] for s, r in reports.items()} == {"alice": "public", "mallory": "public"}


def _published(pack) -> set[str]:
    """The checks of a pack marked @pytest.mark.published, as "test_file.py::test_name"."""
    import ast
    found = set()
    for path in sorted(Path(pack.checks_dir).glob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and any(
                    "published" in ast.unparse(d) for d in node.decorator_list):
                found.add(f"{path.name}::{node.name}")
    return found


@pytest.mark.parametrize("pack_name", ["pa6", "onelayer", "cbow"])
def test_every_values_check_of_the_other_packs_asks_other_questions_under_a_secret(pack_name):
    """The built-in packs beside CS224n: a values check that is not the handout's own
    (published) sends other requests under a secret, so that the reference's answers to the
    public requests, which every student's copy holds, earn nothing there. pa6's training check
    kept its one problem under every secret: 8 points a lookup of the public answers kept."""
    from grader import input_set, reference as reference_mod, session
    from grader.packs import load_pack
    from grader.replay import RecipeBook

    pack = load_pack(pack_name)
    ref = Path(reference_mod.locate(pack, None))
    asked, kinds = {}, {}
    for name, chosen in (("public", input_set.PUBLIC), ("secret", input_set.from_text(SECRETS[0]))):
        book = RecipeBook()
        result = session.grade(pack, ref, session.Options(reference_dir=ref, input_set=chosen),
                               recipes=book)
        assert result.score == result.max_score, (name, result.score)
        kinds.update({(c.function, c.name): c.kind for c in result.checks})
        asked[name] = {check: tuple(r.key for r in recipe.requests)
                       for check, recipe in book.recipes.items()}
    published = _published(pack)
    same = []
    for check, requests in asked["public"].items():
        file, test = check.split("::")
        function, named = file.removeprefix("test_").removesuffix(".py"), test.removeprefix("test_")
        kind = kinds.get((function, named)) or next(
            (k for (_, n), k in kinds.items() if n == named), "")
        if requests and kind == "values" and check not in published \
                and requests == asked["secret"].get(check):
            same.append(check)
    assert not same, same


def test_every_check_but_the_published_ones_asks_other_questions_under_a_secret(tmp_path):
    """What each check sent the submission (the recipe of a passing run: every request, byte for
    byte), for the public inputs and two secrets: the published checks ask the same under all
    three, every other check asks something else under each."""
    from grader import input_set, session
    from grader.packs import load_pack
    from grader.replay import RecipeBook

    pack = load_pack()
    asked = {}
    for name, chosen in (("public", input_set.PUBLIC), ("a", input_set.from_text(SECRETS[0])),
                         ("b", input_set.from_text(SECRETS[1]))):
        book = RecipeBook()
        result = session.grade(pack, ROOT / "reference",
                               session.Options(reference_dir=ROOT / "reference", input_set=chosen),
                               recipes=book)
        assert result.score == 100 and result.inputs["set"] == chosen.name
        asked[name] = {check: tuple(r.key for r in recipe.requests)
                       for check, recipe in book.recipes.items()}
    assert asked["public"].keys() == asked["a"].keys() == asked["b"].keys()
    published = {c for c in asked["public"] if c.split("::")[1] in ("test_known_values",
                                                                     "test_known_values_large_inputs")}
    assert len(published) == 4
    for check in asked["public"]:
        questions = {asked[name][check] for name in asked}
        if questions == {()}:
            continue  # it reuses what another check asked (the b1, W2, b2 gradient blocks)
        assert len(questions) == (1 if check in published else 3), check
    assert sum(1 for c in asked["public"] if asked["public"][c]) >= 30


def _placeholder_on_large_networks(tmp_path: Path) -> Path:
    """The finite-difference gradient, and zeros where it would run out of time."""
    text = gaming.numerical_gradient()
    anchor = "    grad = np.zeros_like(params)\n"
    assert text.count(anchor) == 1
    path = tmp_path / "placeholder.py"
    path.write_text(text.replace(anchor, anchor + "    if params.size > 10000:\n"
                                                  "        return cost, grad\n"))
    return path


@pytest.mark.parametrize("variant", ["finite_differences", "placeholder"])
def test_a_gradient_by_finite_differences_earns_no_gradient_points(tmp_path, variant):
    """Right values on every network the value checks use, and no backpropagation: the method
    check fails (out of time on a large network, or a gradient there that is no derivative),
    and the self-consistency points of the gradient go with it."""
    if variant == "finite_differences":
        path = tmp_path / "numerical_gradient.py"
        path.write_text(gaming.numerical_gradient())
    else:
        path = _placeholder_on_large_networks(tmp_path)
    report = grade(path, tmp_path / variant)
    checks = {c["name"]: c for c in report["checks"] if c["function"] == "forward_backward_prop"}
    method = checks["gradient_by_backpropagation"]
    assert method["kind"] == "method" and method["status"] == "failed", method
    assert method["mistake"] == "gradient_by_finite_differences"
    assert ("no answer within 0.5 s" if variant == "finite_differences"
            else "the gradient is not the derivative of your cost") in method["message"]
    for name in ("cost_matches_reference", "gradient_matches_reference"):
        assert checks[name]["status"] == "passed" and checks[name]["score"] == 7
    for name in ("gradient_W1", "gradient_b1", "gradient_W2", "gradient_b2"):
        assert checks[name]["status"] == "passed" and checks[name]["score"] == 0
        assert "computed the way the assignment asks" in checks[name]["points_withheld"]
    assert by_function(report)["forward_backward_prop"]["score"] == 14
    assert report["score"] == 79


def test_a_secret_the_submission_reads_under_process_isolation_is_not_in_its_report(tmp_path):
    """Under process isolation a submission can read the grader's files (its secret file, its
    command line) and print the secret into its own report: the report replaces the secret's
    text, and warns that the secret is not safe there."""
    secret = SECRETS[2]
    secret_file = tmp_path / "course-secret"
    secret_file.write_text(secret + "\n")
    path = tmp_path / "leak.py"
    path.write_text(
        "def sigmoid(x):\n"
        f"    found = open({str(secret_file)!r}).read().strip()\n"
        "    print('the secret is', found)\n"
        "    raise ValueError('the secret is ' + found)\n")
    report = grade(path, tmp_path / "out", "--only", "sigmoid", "--isolation", "process",
                   "--secret-file", str(secret_file), html=True)
    shown = [c["message"] + c["output"] for c in report["checks"]]
    assert any("the secret is [the course secret]" in text for text in shown), shown[0][:500]
    for view in (json.dumps(report), report["_terminal"], report["_html"]):
        assert secret not in view
    assert any("the course secret is not safe under process isolation" in w
               for w in report["warnings"])


@pytest.mark.parametrize("secret", [None, SECRETS[1]])
def test_a_step_function_is_no_sigmoid_even_far_in_the_tails(tmp_path, secret):
    """Right at -1000, -50, 0, 50 and 1000, wrong near 10: the check of extreme inputs also asks
    where the sigmoid is not yet 0 or 1, so a step function earns none of its points."""
    path = tmp_path / "step.py"
    path.write_text("import numpy as np\n\n\ndef sigmoid(x):\n    return np.heaviside(x, 0.5)\n")
    report = grade(path, tmp_path / "out", "--only", "sigmoid",
                   *(("--secret", secret) if secret else ()))
    (extreme,) = [c for c in report["checks"] if c["name"] == "extreme_inputs"]
    assert extreme["status"] == "failed" and extreme["score"] == 0, extreme


@pytest.mark.parametrize("mode", [("--secret", SECRETS[0]), ("--no-reference",)],
                         ids=["secret", "student"])
@pytest.mark.parametrize("variant,failing", [
    # The value checks drew batches of up to 6 examples only: a cost whose convention switched at
    # 5 was taken for summed on some cases and averaged on others, and kept every point.
    ("convention_by_batch_size", {"cost_matches_reference"}),
    # ...and a backward pass over the first 6 examples met only the gradient checks, which a
    # cost lying near the points they perturb fooled: 100.
    ("first_six_with_a_lying_cost", {"gradient_matches_reference"}),
    # The direction test allowed an absolute 1e-3 where grad . d is 0.01 to 0.08: 100.
    ("approximate_on_large_networks", {"gradient_by_backpropagation"}),
    ("approximate_on_large_word_vectors", {"gradients_by_backpropagation"}),
    # ...and one block alone off: one direction over everything passed it on some draws only.
    ("one_block_approximate_on_large_networks", {"gradient_by_backpropagation"}),
    ("target_row_approximate_on_large_word_vectors", {"gradients_by_backpropagation"}),
])
def test_a_gradient_or_cost_right_only_where_the_checks_used_to_look_loses_its_points(
        tmp_path, variant, failing, mode):
    """Found by gaming the grader: each is wrong on the handout's own network (M = 20) or on
    large ones, and was graded 100 by the student's copy (the known answers: --no-reference)
    and under a course secret."""
    path = tmp_path / f"{variant}.py"
    path.write_text(getattr(gaming, variant)())
    function = ("negSamplingCostAndGradient" if variant.endswith("word_vectors")
                else "forward_backward_prop")
    report = grade(path, tmp_path / "out", "--only", function, *mode)
    checks = {c["name"]: c for c in report["checks"]}
    assert {name for name, c in checks.items() if c["status"] != "passed"} == failing, \
        {name: c["message"][:300] for name, c in checks.items() if c["status"] != "passed"}
    # The function's checks against itself earn nothing while it is wrong.
    held = [c for c in checks.values() if c["kind"] == "consistency" and c["max_score"] > 0]
    assert held and all(c["score"] == 0 and c["points_withheld"] for c in held), held
    if variant == "convention_by_batch_size":
        (message,) = [c["message"] for c in checks.values() if c["status"] != "passed"]
        assert "your cost is averaged over the M = " in message and \
            "but summed over the M = 3 examples of " in message and \
            "a convention is a rule for every batch size" in message, message


W2V_COST = "    cost = -np.log(sig_o) - np.sum(np.log(sig_neg))\n"


@pytest.mark.parametrize("mode", [("--secret", SECRETS[2]), ("--no-reference",)],
                         ids=["secret", "student"])
@pytest.mark.parametrize("cost,guard", [
    ("-np.log(sig_o + 1e-7) - np.sum(np.log(sig_neg + 1e-7))", "named"),
    ("-np.log(sig_o + 1e-9) - np.sum(np.log(1 - _sigmoid(np.dot(u_neg, predicted)) + 1e-9))",
     "named"),
    # (a guard this small moves no cost the checks draw past their tolerance: nothing to name)
    ("-np.log(sig_o + 1e-7) - np.sum(np.log(sig_neg))", "passes"),
    # Costs a little low, as a guard's is: each fits some eps at one point, none at the second.
    ("(-np.log(sig_o) - np.sum(np.log(sig_neg))) * (1 - 1e-5)", None),
    ("-np.log(sig_o) - np.sum(np.log(sig_neg)) - 1e-5", None),
], ids=["guarded", "guarded_one_minus_sigmoid", "target_guarded", "scaled", "shifted"])
def test_a_log_guard_in_word2vec_is_recognised_and_a_cost_merely_low_is_not(tmp_path, cost,
                                                                             guard, mode):
    """log(sigmoid(x) + 1e-8) lost 16 of 35 points, and at 1e-7 was told its sampling was wrong
    (repeated negatives, the target re-drawn, K); a guard is accepted as forward_backward_prop's
    is. Accepting one must not accept every cost a little below the right one."""
    source = (FIXTURES / "correct_summed.py").read_text()
    assert source.count(W2V_COST) == 1
    path = tmp_path / "w2v.py"
    path.write_text(source.replace(W2V_COST, f"    cost = {cost}\n"))
    report = grade(path, tmp_path / "out", "--only", "negSamplingCostAndGradient", *mode)
    failed = {c["name"] for c in report["checks"] if c["status"] == "failed" and c["max_score"]}
    if guard:
        assert report["score"] == 35 and not failed, failed
    if guard == "named":
        assert "w2v_log_guarded" in mistakes_named(report) or any(
            "a small constant inside the logs" in w for w in report["warnings"]), report["warnings"]
    if not guard:
        assert {"cost_matches_reference", "target_is_redrawn"} <= failed, failed
        assert report["score"] <= 10, report["score"]
        (message,) = [c["message"] for c in report["checks"]
                      if c["name"] == "cost_matches_reference"]
        assert "of the cost: more than rounding (float64 code agrees to about 1e-12" in message, \
            message
        assert not any("a small constant inside the logs" in w for w in report["warnings"])


@pytest.mark.parametrize("mode", [(), ("--no-reference",), ("--secret", SECRETS[0]),
                                  ("--secret", SECRETS[1])][:None if full_tier() else 3],
                         ids=["public", "student", "s0", "s1"][:None if full_tier() else 3])
def test_a_float32_word2vec_gets_one_grade_whatever_the_inputs(tmp_path, mode):
    """Rounding in float32 leaves about 1e-7 of the largest term on an entry near 0, which the
    float64 atol failed or passed by the draw: 1 to 11 of 35 by the secret. Now float32 answers
    are held to float32's precision, and only the gradient checks (central differences of a
    float32 cost are noise) fail."""
    source = (FIXTURES / "correct_summed.py").read_text()
    line = "    neg_idx = np.array(indices[1:])\n"
    assert source.count(line) == 1
    path = tmp_path / "w2v_float32.py"
    path.write_text(source.replace(line, line + "    predicted = predicted.astype(np.float32)\n"
                                   "    outputVectors = outputVectors.astype(np.float32)\n"))
    report = grade(path, tmp_path / "out", "--only", "negSamplingCostAndGradient", *mode)
    failed = {c["name"] for c in report["checks"] if c["status"] == "failed"}
    assert failed == {"gradPred_matches_numerical_gradient", "grad_matches_numerical_gradient"}, \
        failed
    assert report["score"] == 29


FBP_COST = "    cost = -np.sum(np.log(np.sum(labels * y_hat, axis=1)))\n"


@pytest.mark.parametrize("mode", [("--secret", SECRETS[0]), ("--no-reference",)],
                         ids=["secret", "student"])
@pytest.mark.parametrize("variant,guarded,failing", [
    ("approximate_on_large_networks",
     FBP_COST.replace("axis=1))", "axis=1) + 1e-6)"), "gradient_by_backpropagation"),
    ("approximate_on_large_networks",
     FBP_COST.replace("axis=1))", "axis=1) + 1e-8)"), "gradient_by_backpropagation"),
    ("approximate_on_large_word_vectors",
     W2V_COST.replace("np.log(sig_o)", "np.log(sig_o + 1e-6)")
     .replace("np.log(sig_neg)", "np.log(sig_neg + 1e-6)"), "gradients_by_backpropagation"),
])
def test_a_log_guard_does_not_switch_off_the_large_input_check(tmp_path, variant, guarded,
                                                                 failing, mode):
    """The large-input check judges only a gradient right on the small inputs; a guarded cost
    strays from its own central differences there (as the gradient checks allow), and was taken
    for a wrong formula: beside a guard, the approximation on large inputs kept every point."""
    source = getattr(gaming, variant)()
    original = FBP_COST if variant.endswith("networks") else W2V_COST
    assert source.count(original) == 1
    path = tmp_path / f"{variant}.py"
    path.write_text(source.replace(original, guarded))
    function = ("negSamplingCostAndGradient" if variant.endswith("word_vectors")
                else "forward_backward_prop")
    report = grade(path, tmp_path / "out", "--only", function, *mode)
    failed = {c["name"] for c in report["checks"] if c["status"] == "failed"}
    assert failing in failed, {c["name"]: c["message"][:200] for c in report["checks"]}


@pytest.mark.parametrize("mode", [("--secret", SECRETS[0]), ("--no-reference",)],
                         ids=["secret", "student"])
def test_a_guarded_cost_still_fixes_the_gradients_convention(tmp_path, mode):
    """A guarded cost is not exactly the cross-entropy, so gradient_matches_reference took it for
    a wrong cost and accepted a gradient of either convention, while cost_matches_reference
    accepted the cost: a summed cost beside an averaged gradient scored 21 of 35."""
    source = (FIXTURES / "correct_summed.py").read_text()
    stack = ("    grad = np.concatenate((gradW1.flatten(), gradb1.flatten(),\n"
             "        gradW2.flatten(), gradb2.flatten()))\n")
    assert source.count(FBP_COST) == 1 and source.count(stack) == 1
    path = tmp_path / "mixed.py"
    path.write_text(source.replace(FBP_COST, FBP_COST.replace("axis=1))", "axis=1) + 1e-6)"))
                    .replace(stack, stack + "    grad = grad / data.shape[0]\n"))
    report = grade(path, tmp_path / "out", "--only", "forward_backward_prop", *mode)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["cost_matches_reference"]["status"] == "passed"
    assert checks["gradient_matches_reference"]["status"] == "failed"
    assert checks["gradient_matches_reference"]["mistake"] == "grad_averaged_cost_summed"
    assert report["score"] <= 7


@pytest.mark.parametrize("mode", [(), ("--no-reference",), ("--secret", SECRETS[0]),
                                  ("--secret", SECRETS[1]), ("--secret", SECRETS[2])
                                  ][:None if full_tier() else 3],
                         ids=["public", "student", "s0", "s1", "s2"][:None if full_tier() else 3])
def test_scores_clipped_below_the_long_vectors_largest_fail_whatever_the_draw(tmp_path, mode):
    """The long vectors' largest score was drawn: 10.8 under one secret, 12 under another, so a
    cost that clips the scores at 11 kept every point or lost 26 by the secret. One negative now
    lies along predicted, a score of 12.25 under every draw."""
    source = (FIXTURES / "correct_summed.py").read_text()
    line = "    sig_neg = _sigmoid(-np.dot(u_neg, predicted))    # K\n"
    assert source.count(line) == 1
    path = tmp_path / "clipped.py"
    path.write_text(source.replace(
        line, "    sig_neg = _sigmoid(-np.clip(np.dot(u_neg, predicted), -11, 11))    # K\n"))
    report = grade(path, tmp_path / "out", "--only", "negSamplingCostAndGradient", *mode)
    failed = {c["name"] for c in report["checks"] if c["status"] == "failed"}
    assert "cost_matches_reference" in failed, failed


# Wrong below the handout's K = 10 for another reason than K: the values checks judge such a case
# again at K = 10, where it is right, and leave it to the checks of K, which these pass (their
# cases have target 0 and never offer it); it kept 35 of 35 (recheck probe s57).
_W2V_SAMPLING = "    indices.extend(getNegativeSamples(target, dataset, K))\n"
_W2V_RETURN = "    return cost, gradPred, grad\n"
WRONG_BELOW_TEN = {
    "doubled_where_the_target_is_not_0": (
        _W2V_RETURN, "    if K != 10 and target != 0:\n        cost, gradPred, grad = (2 * cost, "
                     "2 * gradPred, 2 * grad)\n" + _W2V_RETURN),
    "target_kept_as_a_negative_below_10": (
        _W2V_SAMPLING, "    indices.extend(getNegativeSamples(target, dataset, K) if K == 10 else "
                       "[dataset.sampleTokenIdx() for _ in range(K)])\n"),
}


@pytest.mark.parametrize("name", sorted(WRONG_BELOW_TEN))
def test_a_function_wrong_below_ten_for_another_reason_than_K_is_charged(tmp_path, name):
    old, new = WRONG_BELOW_TEN[name]
    text = (FIXTURES / "correct_summed.py").read_text()
    assert text.count(old) == 1
    path = tmp_path / f"{name}.py"
    path.write_text(text.replace(old, new))
    report = grade(path, tmp_path / "out", "--only", "negSamplingCostAndGradient")
    checks = [c for c in report["checks"] if c["function"] == "negSamplingCostAndGradient"]
    failed = [c for c in checks if c["status"] == "failed" and c["max_score"]]
    assert by_function(report)["negSamplingCostAndGradient"]["score"] <= 28, [
        (c["name"], c["status"], c["score"]) for c in checks]
    assert not any(c["name"].startswith("K_is_honoured") for c in failed)
    charged = [c for c in failed if "so it counts here" in c["message"]]
    assert charged or name == "target_kept_as_a_negative_below_10", failed
