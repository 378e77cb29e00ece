"""What negSamplingCostAndGradient's checks say of mistakes real uploads made (probe s62): the
negatives drawn twice, told in one word at every K."""
from __future__ import annotations

from conftest import edited_fixture, grade_many


def _failing(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"]
            if c["function"] == "negSamplingCostAndGradient"
            and c["status"] not in ("passed", "skipped") and c["max_score"] > 0}


_SAMPLING = "    indices.extend(getNegativeSamples(target, dataset, K))\n"
_NEG_IDX = "    neg_idx = np.array(indices[1:])\n"
# What each upload draws at K = 1 and at K = 5: 2 and 10, twice K, for each of them.
_TWICE_K_AT_ONE_AND_FIVE = {
    # r10: getNegativeSamples, then K plain draws of its own that the cost and gradients use
    "own_draws": [(_NEG_IDX, "    neg_idx = np.array([dataset.sampleTokenIdx() for _ in "
                             "range(K)])\n")],
    # K + 1 negatives drawn, one dropped: 2 at K = 1 (and 6 at K = 5)
    "k_plus_one": [(_SAMPLING, "    indices.extend(getNegativeSamples(target, dataset, K + 1)"
                               "[:K])\n")],
    # a 10 written for K: 10 at K = 5
    "ten": [(_SAMPLING, "    indices.extend(getNegativeSamples(target, dataset, 10))\n")],
}


def test_negatives_drawn_twice_are_named_so_at_every_K(tmp_path):
    """Two samplings' worth of draws at K = 1 (also what K + 1 draws) and at K = 5 (also the
    handout's 10) were told only "too many" where the other K said "drawn twice" (probe s62,
    r10): K = 3, where the three draw apart, decides. K + 1 draws and a 10 for K keep "too many"."""
    paths = {}
    for name, edits in _TWICE_K_AT_ONE_AND_FIVE.items():
        paths.update(edited_fixture(tmp_path, name, edits))
    reports = grade_many(paths, tmp_path / "out", "--only", "negSamplingCostAndGradient")
    twice = _failing(reports["own_draws"])
    for K in (1, 2, 3, 4, 5, 6, 10):
        check = twice[f"K_is_honoured[{K}]"]
        assert check["mistake"] == "negatives_drawn_twice", (K, check["message"])
        assert f"indices drawn from dataset.sampleTokenIdx(), twice the K = {K} expected: the " \
               "negatives are drawn twice." in check["message"], check["message"]
    one = _failing(reports["k_plus_one"])["K_is_honoured[1]"]
    assert one["mistake"] == "k_not_honoured" and "2 indices drawn" in one["message"], one
    five = _failing(reports["ten"])["K_is_honoured[5]"]
    assert five["mistake"] == "k_not_honoured" and "10 indices drawn" in five["message"], five


def _checks_module(config):
    # The check module's markers are the grading plugin's, not registered in this session.
    import importlib.util

    from conftest import ROOT
    from grader import plugin
    plugin.register_markers(config)
    path = ROOT / "grader" / "packs" / "cs224n_a1" / "checks" / "test_negSamplingCostAndGradient.py"
    spec = importlib.util.spec_from_file_location("_w2v_checks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_k_plain_draws_after_a_sampling_count_as_drawing_twice(pytestconfig):
    """r10's second drawing is K plain draws, which keep the target where a second
    getNegativeSamples call draws again: where the stream offers the target there, its count is
    the first sampling's and K more, not two samplings', and it was told only "too many"."""
    from grader.packs.cs224n_a1.inputs import fixed_case
    checks = _checks_module(pytestconfig)
    case, _ = fixed_case(V=6, D=3, K=3, target=2, stream=[4, 1, 5, 2, 3, 0, 1], seed=31)
    assert checks._draws_for_two_samplings(case) == 7  # the target's offer drawn again
    found = checks._drawn_twice(6, 3, case)  # 3 for getNegativeSamples, 3 plain draws
    assert found["hint"].id == "negatives_drawn_twice", found
    assert "and then 3 draws of its own take" in found["evidence"]["seen"], found
    assert checks._drawn_twice(7, 3, case)["hint"].id == "negatives_drawn_twice"
    assert checks._drawn_twice(5, 3, case) == {}


def test_a_negated_objective_is_one_failure_with_one_hint(tmp_path):
    """The log-likelihood returned for the cost, with its gradients (probe s62, r31): eleven
    failures each said "the cost is <its value>", never that it was exactly minus the expected
    one, beside a sign hint for gradPred and another for grad. The cost's failures are now one
    entry of the report, and every failure names the one mistake."""
    from grader.model import SubmissionResult
    from grader.render import terminal
    paths = edited_fixture(tmp_path, "negated", [("    return cost, gradPred, grad\n",
                                           "    return -cost, -gradPred, -grad\n")])
    report = grade_many(paths, tmp_path / "out", "--only", "negSamplingCostAndGradient")["negated"]
    failing = _failing(report)
    assert {c["mistake"] for c in failing.values()} == {"objective_negated"}, failing
    cost = failing["cost_matches_reference"]["message"]
    assert cost.startswith("the cost is exactly minus the handout's: -log sigmoid(...) terms are "
                           "always positive"), cost
    values = ("gradPred_matches_reference", "grad_matches_reference")  # told by their values
    assert {c["message"].splitlines()[0] for name, c in failing.items()
            if name not in values} == {cost.splitlines()[0]}
    result = SubmissionResult.from_dict({k: v for k, v in report.items() if not k.startswith("_")})
    text = terminal.render(result, width=140)
    assert text.count("the cost is exactly minus the handout's") == 1, text
    assert text.count("hint: ") == 1, text
