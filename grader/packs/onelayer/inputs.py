"""What the one-hidden-layer checks feed to student functions: a small example written out, fixed
cases, drawn cases and the training problem.

Rows are examples: X is N x D, W1 D x M, b1 (M,), W2 M x K, b2 (K,), T one-hot N x K. Every fixed
case has M != K: a b1 passed where b2 belongs then fails loudly instead of adding numbers of the
right shape (the blog's 3 hidden and 3 output units hide it); one case has M == K on purpose, to
recognise the swap by its values. Arrays come from numpy generators seeded by the case, keyed by
the course secret when there is one (grader/input_set.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from grader.input_set import current

SEEDS = st.integers(min_value=0, max_value=2**31 - 1)


def rng(seed: int) -> np.random.Generator:
    inputs = current()
    if not inputs.is_secret:
        return np.random.default_rng(seed)
    return np.random.default_rng(inputs.seed("arrays", seed))


# The gap between the output biases of a confident network's likeliest and least likely class
# (NetCase.confident): with the weights as drawn, a label probability far below any guard against
# log(0) a student writes, and far above float32's smallest number.
SPREAD = 50.0


@dataclass(frozen=True)
class NetCase:
    """N examples of D inputs, M hidden units, K classes; weights standard normal as the blog
    initialises them, every class present at least once when N >= K.

    `confident`: the output biases set the classes 0, ..., SPREAD apart, and the labels are
    alternately each example's least likely class and its likeliest, so that some label
    probabilities come to between about 1e-24 and 1e-19 (by the draw; 300 secrets measured) and
    the others to nearly 1. Standard normal draws alone put no label probability below 1e-3 on some input sets,
    so that a cost clipping Y at 1e-3 passed there, and `log(Y + 1e-8)` failed on some input sets
    only."""

    N: int
    D: int
    M: int
    K: int
    seed: int
    confident: bool = False

    def arrays(self) -> dict[str, np.ndarray]:
        g = rng(self.seed)
        X = g.standard_normal((self.N, self.D))
        labels = np.arange(self.N) % self.K
        g.shuffle(labels)
        a = {"X": X, "labels": labels,
             "W1": g.standard_normal((self.D, self.M)), "b1": g.standard_normal(self.M),
             "W2": g.standard_normal((self.M, self.K)), "b2": g.standard_normal(self.K)}
        if self.confident:
            a["b2"] = a["b2"] + SPREAD * np.linspace(0.0, 1.0, self.K)
            scores = forward(a)["A"]
            a["labels"] = labels = np.where(np.arange(self.N) % 2 == 0, scores.argmin(axis=1),
                                            scores.argmax(axis=1))
        T = np.zeros((self.N, self.K))
        T[np.arange(self.N), labels] = 1.0
        return {**a, "T": T}

    def __str__(self) -> str:
        return (f"N={self.N}, D={self.D}, M={self.M}, K={self.K}"
                + (", confident" if self.confident else ""))


@st.composite
def net_cases(draw) -> NetCase:
    return NetCase(N=draw(st.integers(2, 6)), D=draw(st.integers(1, 4)), M=draw(st.integers(1, 5)),
                   K=draw(st.integers(2, 4)), seed=draw(SEEDS))


# Fixed cases for the derivatives' values (N > 1, so that summed and averaged differ) and for
# central differences (one cost call per perturbed coordinate: kept small).
VALUE_CASES = (NetCase(5, 2, 4, 3, 31), NetCase(6, 3, 2, 4, 32), NetCase(4, 2, 3, 2, 33))
GRADCHECK_CASES = (NetCase(4, 2, 3, 2, 41), NetCase(3, 3, 2, 4, 42))
# Hidden and output layers of the same size, b1 unlike b2: forward(X, W1, b1, W2, b1) runs, and
# its values show which bias went where.
SAME_SIZE_CASE = NetCase(4, 2, 3, 3, 51)
# Label probabilities of about 1e-24 to 1e-19 and near 1 (NetCase.confident): for the cost's
# checks, where a guard against log(0) shows on every input set.
CONFIDENT_CASE = NetCase(6, 2, 3, 3, 71, confident=True)


def forward(a: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Z and Y of a case, computed by the grader: what the derivatives are given, whatever a
    submission's own forward does."""
    Z = 1.0 / (1.0 + np.exp(-(a["X"] @ a["W1"] + a["b1"])))
    A = Z @ a["W2"] + a["b2"]
    e = np.exp(A - A.max(axis=1, keepdims=True))
    return {"Z": Z, "A": A, "Y": e / e.sum(axis=1, keepdims=True)}


def cross_entropy(T: np.ndarray, Y: np.ndarray) -> float:
    """The canonical cost: -sum(T log Y) over every example (grader/conventions.py)."""
    return float(-np.sum(T * np.log(Y)))


# ---- a small example, written out (the blog prints none; these numbers are this pack's) --------
EXAMPLE = {
    "X": np.array([[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]),
    "W1": np.array([[0.2, -0.4, 0.1, 0.3], [0.5, 0.1, -0.2, 0.0]]),
    "b1": np.array([0.1, -0.1, 0.0, 0.2]),
    "W2": np.array([[0.3, -0.2, 0.1], [0.0, 0.4, -0.5], [0.2, 0.2, 0.2], [-0.1, 0.3, 0.0]]),
    "b2": np.array([0.05, -0.05, 0.1]),
    "T": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),
}
# The reference's answers on EXAMPLE, to 10 digits.
EXAMPLE_Z = np.array([[0.4255574832, 0.4013123399, 0.5621765009, 0.5866175789],
                      [0.6283161883, 0.3373781628, 0.5249791875, 0.6570104627],
                      [0.7211151780, 0.5986876601, 0.3834334955, 0.4937503255]])
EXAMPLE_Y = np.array([[0.3420471224, 0.3714230607, 0.2865298169],
                      [0.3545937498, 0.3488249162, 0.2965813340],
                      [0.3723720159, 0.3636933263, 0.2639346578]])
EXAMPLE_LOG_LIKELIHOOD = -3.2996848275

# ---- classification_rate -----------------------------------------------------------------------
RATE_EXAMPLES = ((np.array([0, 1, 2, 1]), np.array([0, 2, 2, 1]), 0.75),
                 (np.array([2, 2, 0, 1, 0]), np.array([1, 2, 0, 0, 0]), 0.6))

# ---- the training problem ----------------------------------------------------------------------
# Eight examples, 2 inputs, 4 hidden units, 3 classes; five steps of size 0.05 on the summed
# cross-entropy (under another convention the step is scaled to move as far; grader/conventions.py
# Convention.step_scale).
TRAINING_CASE = NetCase(8, 2, 4, 3, 61)
TRAINING_STEPS = 5
LEARNING_RATE = 0.05
PARAMETERS = ("W1", "b1", "W2", "b2")
