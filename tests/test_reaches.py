"""Which graded functions a graded function reaches, read from its code (grader/worker/reaches.py),
and what that changes: only whom a failing caller is sent to fix first (grader/callees.py)."""
from __future__ import annotations

import json
import sys
import types
from pathlib import Path

from conftest import FIXTURES, LIVE, grade_many
from grader import callees
from grader.worker import reaches


def _module(name: str, source: str, root: Path) -> types.ModuleType:
    """`source` run as a module of the submission (its file under `root`)."""
    module = types.ModuleType(name)
    module.__file__ = str(root / f"{name}.py")
    sys.modules[name] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def test_a_callee_is_reached_through_helpers_closures_defaults_and_modules(tmp_path):
    helper = _module("reach_helper", "def sigmoid_grad(s):\n    return s * (1 - s)\n", tmp_path)
    main = _module("reach_main", (
        "import reach_helper\n"
        "def sigmoid(x):\n    return x\n"
        "def _back(h):\n    return sigmoid_grad(h)\n"
        "from reach_helper import sigmoid_grad\n"
        "def through_helper(x):\n    return _back(x)\n"
        "def through_module(x):\n    return reach_helper.sigmoid_grad(x)\n"
        "def through_default(x, f=sigmoid):\n    return f(x)\n"
        "def make():\n    g = sigmoid\n    def inner(x):\n        return g(x)\n    return inner\n"
        "through_closure = make()\n"
        "def inline(x):\n    h = 1 / (1 + 2.718 ** -x)\n    return h * (1 - h)\n"), tmp_path)
    functions = {"sigmoid": main.sigmoid, "sigmoid_grad": helper.sigmoid_grad,
                 **{n: getattr(main, n) for n in ("through_helper", "through_module",
                                                   "through_default", "through_closure", "inline")}}
    found = reaches.graded_callees(functions, tmp_path)
    assert found["through_helper"] == ["sigmoid_grad"]
    assert found["through_module"] == ["sigmoid_grad"]
    assert found["through_default"] == ["sigmoid"]
    assert found["through_closure"] == ["sigmoid"]
    assert found["inline"] == []


def test_code_it_cannot_follow_leaves_the_manifest_standing(tmp_path):
    main = _module("reach_opaque", (
        "import functools\n"
        "def sigmoid(x):\n    return x\n"
        "class Net:\n    def forward(self, x):\n        return sigmoid(x)\n"
        "net = Net()\n"
        "def by_object(x):\n    return net.forward(x)\n"
        "def by_class(x):\n    return Net().forward(x)\n"
        "partial = functools.partial(sigmoid)\n"), tmp_path)
    functions = {"sigmoid": main.sigmoid, "by_object": main.by_object,
                 "by_class": main.by_class, "partial": main.partial}
    found = reaches.graded_callees(functions, tmp_path)
    assert "by_object" not in found and "by_class" not in found and "partial" not in found
    calls = {"by_object": ["sigmoid"], "by_class": ["sigmoid"], "partial": ["sigmoid"]}
    assert callees.as_written(calls, {"reaches": found}) == calls


def test_a_network_that_differentiates_the_sigmoid_itself_is_not_sent_to_fix_sigmoid_grad(tmp_path):
    """sigmoid_grad wrong in both uploads; one network calls it, the other computes h * (1 - h)
    itself, wrongly too. Only the first is told to fix sigmoid_grad first."""
    text = (FIXTURES / "correct_summed.py").read_text()
    wrong_grad = text.replace("    return s * (1.0 - s)\n", "    return s * (1.0 + s)\n", 1)
    calls = wrong_grad.replace("d_z1 = d_h * h * (1.0 - h)", "d_z1 = d_h * sigmoid_grad(h)")
    inline = wrong_grad.replace("d_z1 = d_h * h * (1.0 - h)", "d_z1 = d_h * h * (1.0 + h)")
    assert calls != wrong_grad and inline != wrong_grad
    (tmp_path / "calls.py").write_text(calls)
    (tmp_path / "inline.py").write_text(inline)
    reports = grade_many({n: tmp_path / f"{n}.py" for n in ("calls", "inline")},
                         tmp_path / "out", env=LIVE)
    sentence = "forward_backward_prop calls it: fix sigmoid_grad first"
    for name, blamed in (("calls", True), ("inline", False)):
        failing = [c for c in reports[name]["checks"] if c["function"] == "forward_backward_prop"
                   and c["status"] != "passed" and c["max_score"] > 0]
        assert failing, name
        assert any(sentence in c["message"] for c in failing) is blamed, (name, failing[0]["message"])


def test_a_graded_function_the_submission_lacks_is_reached_where_the_code_names_it(tmp_path):
    """get_training_example calls get_windows, which the submission misspelled: the NameError is
    the callee's fault, and the caller's failures say to fix it first (they said nothing)."""
    main = _module("reach_undefined", (
        "def get_windowz(words, C):\n    yield words, C\n"
        "def get_training_example(words, C):\n    yield from get_windows(words, C)\n"), tmp_path)
    found = reaches.graded_callees({"get_training_example": main.get_training_example},
                                   tmp_path, ("get_windows", "get_training_example"))
    assert found == {"get_training_example": ["get_windows"]}
    assert reaches.graded_callees({"get_training_example": main.get_training_example},
                                  tmp_path) == {"get_training_example": []}
    assert callees.sentence("get_training_example", ["get_windows"],
                            ["get_windows", "get_training_example"], absent={"get_windows"}) == (
        "get_windows was not found or did not load (see it above); get_training_example calls "
        "it: fix get_windows first.")


def test_a_graded_name_rebound_to_a_value_is_reached_where_the_code_calls_it(tmp_path):
    """A notebook cell's `relu = relu(z1)` leaves relu an array: forward_prop's call of it fails
    with a bare TypeError, and its failures say to fix relu first (they said nothing). Nor is
    the array a variable the body "reads in place of a parameter": it is called."""
    main = _module("reach_rebound", (
        "import numpy as np\n"
        "def relu(z):\n    return np.maximum(z, 0)\n"
        "relu = relu(np.ones(3))\n"
        "def forward_prop(x, W1, W2, b1, b2):\n    return relu(W1 @ x + b1)\n"), tmp_path)
    found = reaches.graded_callees({"forward_prop": main.forward_prop}, tmp_path,
                                   ("relu", "forward_prop"))
    assert found == {"forward_prop": ["relu"]}


def test_a_notebooks_rebound_relu_is_what_its_callers_are_sent_to_fix(tmp_path):
    notebook = json.loads((FIXTURES.parent / "cbow" / "correct.ipynb").read_text())
    notebook["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None,
                              "outputs": [], "source": "relu = relu(np.array([1.0, -1.0]))\n"})
    path = tmp_path / "rebound.ipynb"
    path.write_text(json.dumps(notebook))
    report = grade_many({"rebound": path}, tmp_path / "out", "--pack", "cbow")["rebound"]
    for caller in ("forward_prop", "back_prop"):
        failing = [c for c in report["checks"] if c["function"] == caller
                   and c["status"] != "passed" and c["max_score"] > 0]
        assert failing and all(f"{caller} calls it: fix relu first" in c["message"]
                               for c in failing), (caller, [c["message"] for c in failing])
    assert not [w for w in report["warnings"] if "never reads" in w], report["warnings"]


def test_a_body_reading_a_global_named_like_its_parameter_is_told(tmp_path):
    """`def word_to_one_hot_vector(word, word2ind, V)` whose body reads the notebook's global
    word2Ind: the grader's table is ignored, and only a hint about the index was given."""
    main = _module("reach_case", (
        "word2Ind = {'a': 0}\n"
        "def one_hot(word, word2ind, V):\n    return [word2Ind[word], V]\n"
        "def fine(word, word2ind, V):\n    return [word2ind[word], V, len(word)]\n"), tmp_path)
    found = reaches.globals_like_parameters({"one_hot": main.one_hot, "fine": main.fine})
    assert found == {"one_hot": [["word2Ind", "word2ind"]]}
    from grader.session import _load_warnings
    said = _load_warnings({"globals_like_parameters": found}, True)
    assert said == ["one_hot reads the name word2Ind, but its parameter is word2ind: Python tells "
                    "them apart by case, so the body uses whatever word2Ind holds outside the "
                    "function, not the word2ind it was called with. Use word2ind in the body (or "
                    "rename the parameter)."], said
