"""CS224n (winter 2017), assignment 1: sigmoid, softmax, a two-layer network, word2vec negative
sampling. The default points of each function are set here and nowhere else; each check's share of
its function's points comes from the relative weight in its `points` marker."""
from __future__ import annotations

from pathlib import Path

from grader.packs import FunctionSpec, Pack

_HERE = Path(__file__).resolve().parent

PACK = Pack(
    name="cs224n-a1",
    title="CS224n assignment 1 (2017): neural network basics and word2vec",
    functions=(
        FunctionSpec("sigmoid", 10, "q2_sigmoid", "sigmoid(x)"),
        FunctionSpec("sigmoid_grad", 5, "q2_sigmoid", "sigmoid_grad(s)"),
        FunctionSpec("softmax", 15, "q1_softmax", "softmax(x)"),
        FunctionSpec("forward_backward_prop", 35, "q2_neural",
                     "forward_backward_prop(data, labels, params, dimensions)"),
        FunctionSpec("negSamplingCostAndGradient", 35, "q3_word2vec",
                     "negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10)"),
    ),
    checks_dir=_HERE / "checks",
    # q3_word2vec.py of the 2017 starter imports gradcheck_naive from q2_gradcheck.py.
    provided_modules=("q2_gradcheck",),
    # In a source checkout the reference sits at the top level, beside the grader package.
    default_reference=_HERE.parents[2] / "reference",
    known_answers=_HERE / "known_answers.json",
)
