"""Results of a kind 2017 code returned that is a plain value all the same: a numpy.matrix (the
course's Python 2 code used np.mat freely) and a namedtuple that `cost, grad = f(...)` unpacks.
They are graded by their values, as the starter's gradcheck took them."""
from __future__ import annotations

import io
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest

from conftest import FIXTURES, grade_many, scores
from grader.worker import wire

FULL = {"sigmoid": 10, "sigmoid_grad": 5, "softmax": 15, "forward_backward_prop": 35,
        "negSamplingCostAndGradient": 35}


def roundtrip(value):
    node, blobs = wire.encode_value(value)
    header, blobs2 = wire.read_frame(io.BytesIO(wire.message({"v": node}, blobs)))
    return wire.decode_value(header["v"], blobs2)


class TupleThatLies(tuple):
    def __iter__(self):
        return iter((0.0, 0.0))

    def __eq__(self, other):
        return True


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # numpy on np.matrix
def test_a_matrix_and_a_namedtuple_cross_as_the_plain_values_they_hold():
    pair = namedtuple("CostGrad", "cost grad")
    back = roundtrip((np.asmatrix([[1.5]]), pair(2.0, np.asmatrix(np.eye(2))),
                      TupleThatLies((1.0, 2.0))))
    assert type(back[0]) is np.ndarray and back[0].shape == (1, 1) and back[0][0, 0] == 1.5
    assert type(back[1]) is tuple and back[1][0] == 2.0
    assert type(back[1][1]) is np.ndarray and np.array_equal(back[1][1], np.eye(2))
    # What a tuple subclass holds is read by tuple's own iterator, never by its methods.
    assert back[2] == (1.0, 2.0) and type(back[2]) is tuple


def _variant(source: str, replacements: list[tuple[str, str]]) -> str:
    for old, new in replacements:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


def test_matrix_and_namedtuple_results_get_full_marks(tmp_path: Path):
    correct = (FIXTURES / "correct_summed.py").read_text()
    matrices = _variant(correct, [
        ("    return e / np.sum(e, axis=-1, keepdims=True)",
         "    out = e / np.sum(e, axis=-1, keepdims=True)\n"
         "    return np.asmatrix(out) if out.ndim == 2 else out"),
        ("    return cost, grad\n", "    return np.asmatrix([[cost]]), grad\n"),
        ("    return cost, gradPred, grad",
         "    return np.asmatrix(cost), gradPred, np.asmatrix(grad)"),
    ])
    named = _variant(correct, [
        ("    return cost, grad\n", "    return CostGrad(cost, grad)\n"),
        ("    return cost, gradPred, grad",
         "    return Result(cost, gradPred, grad)"),
        ("def sigmoid(x):",
         "from collections import namedtuple\n"
         "CostGrad = namedtuple('CostGrad', 'cost grad')\n"
         "Result = namedtuple('Result', ['cost', 'gradPred', 'grad'])\n\n\n"
         "def sigmoid(x):"),
    ])
    uploads = {}
    for name, text in (("matrices", matrices), ("named", named)):
        uploads[name] = tmp_path / f"{name}.py"
        uploads[name].write_text(text)
    reports = grade_many(uploads, tmp_path / "out")
    for name, report in reports.items():
        assert scores(report) == FULL, (name, [c["message"] for c in report["checks"]
                                               if c["status"] != "passed"][:3])
