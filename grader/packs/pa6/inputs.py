"""What the PA6 checks feed to student functions, and the grader's own statement of the network.

Drawn cases come from numpy generators seeded by hypothesis-drawn integers, keyed by the course
secret when there is one (grader/input_set.py), as in the other packs. The fixed small cases
(`SMALL`, the training problem) are the pack's own, the same under every secret.

Every layer of a drawn network has its own width, all different (D, H1, H2, K never equal), so a
weight used transposed (x @ W1.T, the slides' "note the order of multiplication") fails on every
drawn case instead of passing on square layers; `SQUARE` is the one case where it runs, so that
the checks can recognise it by its values.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from grader.input_set import current

SEEDS = st.integers(min_value=0, max_value=2**31 - 1)
BLOCKS = ("W1", "b1", "W2", "b2", "U", "b3")  # backward's arguments after x, y, and its keys
# Kept between a pre-activation and ReLU's kink, so central differences (h = 1e-4) see one side.
KINK_MARGIN = 0.02


def rng(seed: int) -> np.random.Generator:
    inputs = current()
    if not inputs.is_secret:
        return np.random.default_rng(seed)
    return np.random.default_rng(inputs.seed("arrays", seed))


# ---- the grader's own statement of the network (rows are examples) ------------------------------
def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def layers(a: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every intermediate value of the forward pass of case arrays `a`."""
    z1 = a["x"] @ a["W1"] + a["b1"]
    h1 = relu(z1)
    z2 = h1 @ a["W2"] + a["b2"]
    h2 = relu(z2)
    s = h2 @ a["U"] + a["b3"]
    return {"z1": z1, "h1": h1, "z2": z2, "h2": h2, "s": s, "yhat": softmax(s)}


def loss(a: dict[str, np.ndarray]) -> float:
    """The slides' cross-entropy, averaged over the rows."""
    return float(-np.sum(a["y"] * np.log(layers(a)["yhat"])) / a["y"].shape[0])


def gradient(a: dict[str, np.ndarray], relu_scaled: tuple[bool, bool] = (False, False),
             untransposed: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """The summed minibatch gradient (the canonical form of grader/conventions.py: the gradient of
    B times the averaged loss). `relu_scaled` (layer 1, layer 2) multiplies that layer's delta by
    relu(z) in place of relu_grad(z), and `untransposed` sends the error back through those of
    U and W2 untransposed (square layers only): what a submission with that mistake returns, for
    the hints."""
    f = layers(a)

    def slope(z, h, scaled):
        return h if scaled else (z > 0).astype(float)

    def back(w):
        return a[w] if w in untransposed else a[w].T
    d3 = f["yhat"] - a["y"]
    d2 = (d3 @ back("U")) * slope(f["z2"], f["h2"], relu_scaled[1])
    d1 = (d2 @ back("W2")) * slope(f["z1"], f["h1"], relu_scaled[0])
    return {"W1": a["x"].T @ d1, "b1": d1.sum(axis=0), "W2": f["h1"].T @ d2,
            "b2": d2.sum(axis=0), "U": f["h2"].T @ d3, "b3": d3.sum(axis=0)}


# Which layers a submission may have multiplied by relu(z) where relu_grad(z) belongs.
RELU_SCALED = ((True, False), (False, True), (True, True))
# Which weights a backward may send the error back through untransposed (delta @ W, not W.T).
UNTRANSPOSED = (("W2",), ("U",), ("W2", "U"))


def params_of(a: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {b: a[b] for b in BLOCKS}


# ---- drawn networks ------------------------------------------------------------------------------
@dataclass(frozen=True)
class NetCase:
    """B examples through a network of widths D -> H1 -> H2 -> K. x and the weights are uniform,
    the weights scaled by 1/sqrt(fan-in) as Xavier's idea has it (the slides' advanced
    initialisation); y is one-hot. Redrawn (from the same generator) until every pre-activation is
    at least KINK_MARGIN away from 0."""

    B: int
    D: int
    H1: int
    H2: int
    K: int
    seed: int
    # The same arrays under every course secret: for a problem whose suitability was checked once
    # (the training problem must be one that correct functions improve).
    fixed: bool = False

    def arrays(self) -> dict[str, np.ndarray]:
        g = np.random.default_rng(self.seed) if self.fixed else rng(self.seed)
        for _ in range(200):
            a = self._draw(g)
            f = layers(a)
            if min(np.abs(f["z1"]).min(), np.abs(f["z2"]).min()) >= KINK_MARGIN:
                return a
        raise RuntimeError(f"no case of {self} keeps its pre-activations off ReLU's kink")

    def _draw(self, g: np.random.Generator) -> dict[str, np.ndarray]:
        def weights(n_in: int, n_out: int) -> np.ndarray:
            return g.uniform(-1, 1, (n_in, n_out)) * 1.5 / np.sqrt(n_in)
        y = np.zeros((self.B, self.K))
        y[np.arange(self.B), g.integers(0, self.K, size=self.B)] = 1.0
        return {"x": g.uniform(-1, 1, (self.B, self.D)), "y": y,
                "W1": weights(self.D, self.H1), "b1": g.uniform(-0.5, 0.5, self.H1),
                "W2": weights(self.H1, self.H2), "b2": g.uniform(-0.5, 0.5, self.H2),
                "U": weights(self.H2, self.K), "b3": g.uniform(-0.5, 0.5, self.K)}

    def __str__(self) -> str:
        return f"B={self.B}, D={self.D}, H1={self.H1}, H2={self.H2}, K={self.K}"


@st.composite
def net_cases(draw) -> NetCase:
    """Non-square layers of widths drawn from disjoint sets, and at least two examples (with one,
    the summed and the averaged gradient are the same number)."""
    return NetCase(B=draw(st.integers(2, 4)), D=draw(st.sampled_from([6, 8])),
                   H1=draw(st.sampled_from([5, 7])), H2=draw(st.sampled_from([2, 4])), K=3,
                   seed=draw(SEEDS))


# Central differences in every coordinate of every block, computed in the grader (cheap): a few
# cases, each with its own batch size.
GRADCHECK_CASES = (NetCase(3, 6, 5, 4, 3, 31), NetCase(2, 8, 7, 2, 3, 32),
                   NetCase(4, 6, 5, 2, 3, 33))
# Every layer square: the one shape where a transposed weight runs, so its values can be named.
SQUARE = NetCase(3, 4, 4, 4, 4, 34)


# ---- drawn lookups and losses --------------------------------------------------------------------
@dataclass(frozen=True)
class LookupCase:
    """B examples of m feature ids each, from V words with embeddings of d dimensions."""
    B: int
    m: int
    V: int
    d: int
    seed: int

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        g = rng(self.seed)
        return g.integers(0, self.V, size=(self.B, self.m)), g.uniform(-1, 1, (self.V, self.d))


@st.composite
def lookups(draw) -> LookupCase:
    # m, d >= 2: with one feature or one dimension, stacking and interleaving look like the answer.
    return LookupCase(B=draw(st.integers(1, 4)), m=draw(st.integers(2, 4)),
                      V=draw(st.integers(2, 7)), d=draw(st.integers(2, 4)), seed=draw(SEEDS))


@dataclass(frozen=True)
class LossCase:
    """B rows of K classes, B != K, so that dividing by the wrong one shows.

    `confident`: the output of a trained network, each row's scores 50 apart from its likeliest
    class, and the labels alternately on that class (probability 1 in float64) and on another
    (probability between about 1e-24 and 1e-20), as cs224n's NetCase.confident. A protection
    against log(0) shows there under every input set: np.clip(yhat, 1e-3, 1) scored 100 under
    every input set tried but one, whose standard draws held a labelled probability below 1e-3
    (8.3e-4); log(yhat + 1e-7) and a clip at 1e-7 lower those rows' losses from about 50 to 16."""
    B: int
    K: int
    seed: int
    confident: bool = False

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        g = rng(self.seed)
        if self.confident:
            z = g.normal(0, 1, (self.B, self.K))
            top = g.integers(0, self.K, size=self.B)
            z[np.arange(self.B), top] += 50.0
            other = (top + g.integers(1, self.K, size=self.B)) % self.K
            labels = np.where(np.arange(self.B) % 2 == 0, top, other)
            y = np.zeros((self.B, self.K))
            y[np.arange(self.B), labels] = 1.0
            return softmax(z), y
        yhat = softmax(g.normal(0, 1.5, (self.B, self.K)))
        y = np.zeros((self.B, self.K))
        y[np.arange(self.B), g.integers(0, self.K, size=self.B)] = 1.0
        return yhat, y

    def __str__(self) -> str:
        return f"B={self.B}, K={self.K}" + (", a confident network" if self.confident else "")


@st.composite
def loss_cases(draw) -> LossCase:
    return LossCase(B=draw(st.integers(2, 3)), K=draw(st.integers(4, 5)), seed=draw(SEEDS))


# Held by the loss's comparison with the reference under every input set (an explicit example).
CONFIDENT_LOSS = LossCase(4, 5, 51, confident=True)


# ---- the fixed small case: known values ----------------------------------------------------------
# Two examples of m = 2 features from a vocabulary of 4 words with d = 2 dimensions, then layers of
# 3, 2 and 3 units; the values below were computed once from these numbers and are pinned here, so
# that a student's copy of the grader checks them without the reference.
SMALL_IDS = np.array([[0, 3], [2, 0]])
SMALL_E = np.array([[0.5, -1.0], [1.5, 0.25], [-0.5, 2.0], [1.0, 0.0]])
SMALL_X = np.array(  # embedding_lookup(SMALL_IDS, SMALL_E)
    [[0.5, -1.0, 1.0, 0.0], [-0.5, 2.0, 0.5, -1.0]])
SMALL = {
    "x": SMALL_X,
    "y": np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),
    "W1": np.array([[0.2, -0.4, 0.1], [0.3, 0.5, -0.2], [-0.6, 0.1, 0.4], [0.25, -0.3, 0.7]]),
    "b1": np.array([0.1, -0.1, 0.05]),
    "W2": np.array([[0.5, -0.3], [-0.2, 0.8], [0.6, 0.4]]),
    "b2": np.array([0.05, -0.05]),
    "U": np.array([[0.7, -0.5, 0.2], [-0.3, 0.9, -0.4]]),
    "b3": np.array([0.0, 0.1, -0.1]),
}
SMALL_H1 = np.array([[0.0, 0.0, 0.7], [0.05, 1.45, 0.0]])
SMALL_H2 = np.array([[0.47, 0.23], [0.0, 1.095]])
SMALL_YHAT = np.array([[0.3956184807, 0.3278152915, 0.2765662278],
                       [0.1688230526, 0.6942632008, 0.1369137466]])
SMALL_LOSS = 1.4471045516428678
# The gradient of the averaged loss at SMALL (the summed one is twice it).
SMALL_GRAD = {
    "W1": np.array([[0.061456835, -0.1638848933, 0.0168229531],
                    [-0.2458273399, 0.655539573, -0.0336459063],
                    [-0.061456835, 0.1638848933, 0.0336459063],
                    [0.1229136699, -0.3277697865, 0.0]]),
    "b1": np.array([-0.1229136699, 0.3277697865, 0.0336459063]),
    "W2": np.array([[0.0, 0.0204856117], [0.0, 0.5940827381], [0.2339184877, -0.2919973955]]),
    "b2": np.array([0.3341692681, -0.0074269033]),
    "U": np.array([[0.092970343, -0.1579634065, 0.0649930635],
                   [-0.4095732534, 0.302807861, 0.1067653924]]),
    "b3": np.array([-0.2177792334, 0.0110392462, 0.2067399872]),
}
SMALL_LR = 0.5
RELU_Z = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0], [3.0, -3.0, 1e-8, -1e-8, 0.0]])
# ReLU's kink: 0 and -0, the smallest numbers either side of it, and ordinary ones.
KINK_Z = np.array([[0.0, -0.0, 5e-324, -5e-324, 1e-300, -1e-300],
                   [1e-12, -1e-12, 1.0, -1.0, 0.0, 1e-8]])
SOFTMAX_Z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
SOFTMAX_OF_Z = np.array([[0.0900305732, 0.2447284711, 0.6652409558], [1 / 3, 1 / 3, 1 / 3]])
SOFTMAX_BIG = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]])


# ---- the training problem ------------------------------------------------------------------------
TRAIN_CASE = NetCase(6, 6, 5, 4, 3, 41, fixed=True)
TRAIN_STEPS = 4
# Small enough that both conventions' steps (the summed one B = 6 times longer) lower the loss.
TRAIN_LR = 0.05
TRAIN_CANDIDATES = 32  # problems a course secret offers before the pack's own is used instead


def train_case() -> NetCase:
    """The training check's problem: the pack's own (TRAIN_CASE) on the public inputs; under a
    course secret, the first problem of its shape drawn from the secret on which descent by
    either convention lowers the loss at every step (else the pack's own). Every student's copy
    holds the reference's answers for the public problem: those answer nothing under a secret."""
    if not current().is_secret:
        return TRAIN_CASE
    for seed in range(TRAIN_CANDIDATES):
        case = NetCase(TRAIN_CASE.B, TRAIN_CASE.D, TRAIN_CASE.H1, TRAIN_CASE.H2, TRAIN_CASE.K,
                       seed)
        if _descends(case):
            return case
    return TRAIN_CASE


def _descends(case: NetCase) -> bool:
    """Whether TRAIN_STEPS steps of descent at TRAIN_LR lower the averaged loss at every step,
    with the averaged gradient and with the summed one (B times longer): what the check needs of
    its problem, so that a correct train_step improves the loss under either convention."""
    a = case.arrays()
    for scale in (1.0 / case.B, 1.0):
        params = params_of(a)
        before = loss(a)
        for _ in range(TRAIN_STEPS):
            step = gradient({**a, **params})
            params = {b: params[b] - TRAIN_LR * scale * step[b] for b in BLOCKS}
            after = loss({**a, **params})
            if not after < before:
                return False
            before = after
    return True
