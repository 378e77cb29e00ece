"""Every known mistake loses points on exactly the function it breaks, with a message that names
the problem; every other function keeps full marks."""
from __future__ import annotations

import pytest

from conftest import by_function, grade_many
from fixtures.mistakes import GRADED_FUNCTIONS, MISTAKES, materialize

# What the report must say (in a failing check's message or hint) for each mistake.
NAMES_THE_PROBLEM = {
    "softmax_wrong_axis": "the columns of your result sum to 1, not the rows",
    "softmax_no_max_subtraction": "subtract each row's maximum",
    "softmax_only_2d": "softmax raised AxisError",
    "softmax_returns_list": "the result is a list; expected a numpy array",
    "softmax_memory_error": "softmax raised MemoryError",
    "softmax_hangs": "softmax did not return within",
    "sigmoid_wrong_sign": "wrong value",
    "sigmoid_mutates_input": "sigmoid changed its argument in place",
    "sigmoid_os_exit": "ended the process with exit status 1",
    "sigmoid_grad_from_x": "the sigmoid's output, not x",
    "sigmoid_grad_mutates_input": "sigmoid_grad changed its argument in place",
    "sigmoid_grad_sys_exit": "raised SystemExit: sys.exit(3)",
    "fbp_cost_averaged_grad_summed": "the cost is averaged over the examples but the gradient is summed",
    "fbp_sigmoid_grad_of_preactivation": "multiplied by the sigmoid's derivative",
    "fbp_missing_sigmoid_derivative": "multiplied by the sigmoid's derivative",
    "fbp_b1_grad_first_row": "W1 is right but b1 is not",
    "fbp_b2_grad_mean": "the cost is summed but the gradient is averaged",
    "fbp_gradW2_uses_preactivation": "W2 gradient disagrees with the numerical gradient",
    "fbp_mutates_params": "changed its argument `params` in place",
    "fbp_grad_order_swapped": "the right numbers in the wrong order",
    "fbp_segfault": "crashed with a segmentation fault",
    "negsampling_target_among_negatives": "also counts the target as a negative sample",
    "negsampling_repeats_overwritten": "np.add.at",
    "negsampling_target_not_redrawn": "the target was not re-drawn",
    "negsampling_gradpred_wrong_sign": "off by a multiple of u_0, the target's output vector",
    "negsampling_first_negative_only": "only the first negative sample",
    "negsampling_ignores_k": "10 indices drawn from dataset.sampleTokenIdx(); expected K = 1",
    "negsampling_grad_rows_only": "grad (one row per output vector) has shape",
    "negsampling_mutates_output_vectors": "changed its argument `outputVectors` in place",
    "negsampling_not_implemented": "negSamplingCostAndGradient is not implemented yet",
}


# Mistakes that keep full marks but must be warned about.
WARNS_ABOUT = {
    "softmax_prints_50mb": None,
    "negsampling_log_one_minus_sigmoid": "log(1 - sigmoid(x)) becomes log(0)",
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, dict]:
    src = tmp_path_factory.mktemp("mistakes")
    paths = {m.name: materialize(m, src) for m in MISTAKES}
    return grade_many(paths, tmp_path_factory.mktemp("reports"))


def test_every_mistake_has_an_expected_message():
    assert {m.name for m in MISTAKES if not m.full_marks} == set(NAMES_THE_PROBLEM)
    assert {m.name for m in MISTAKES if m.full_marks} == set(WARNS_ABOUT)


@pytest.mark.parametrize("name", [n for n, text in WARNS_ABOUT.items() if text])
def test_full_marks_mistake_is_warned_about(reports, name):
    report = reports[name]
    assert report["score"] == report["max_score"]
    assert any(WARNS_ABOUT[name] in w for w in report["warnings"]), report["warnings"]


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_mistake_costs_points_on_its_function_only(reports, mistake):
    report = reports[mistake.name]
    functions = by_function(report)
    for name in GRADED_FUNCTIONS:
        fn = functions[name]
        if name == mistake.function and not mistake.full_marks:
            assert fn["score"] < fn["max_score"], f"{mistake.name} should lose points on {name}"
        else:
            failing = [(c["name"], c["message"]) for c in report["checks"]
                       if c["function"] == name and c["status"] != "passed"]
            assert fn["score"] == fn["max_score"], (name, failing)


@pytest.mark.parametrize("mistake", [m for m in MISTAKES if not m.full_marks], ids=lambda m: m.name)
def test_mistake_message_names_the_problem(reports, mistake):
    report = reports[mistake.name]
    texts = [c["message"] + "\n" + c["hint"] for c in report["checks"]
             if c["function"] == mistake.function and c["status"] != "passed"]
    expected = NAMES_THE_PROBLEM[mistake.name]
    assert any(expected in t for t in texts), texts
    assert not any("Traceback" in t or "grader itself failed" in t for t in texts)
