"""Inputs the CS224n checks feed to student functions, and the grader's own replay dataset.

Arrays come from numpy generators seeded by hypothesis-drawn integers: hypothesis shrinks the shapes
(the part of a counterexample a student reads first), and every run draws the same numbers.
Entries are of order 1, the range the assignment works in.

Under a course secret (grader/input_set.py) every generator is keyed by the secret too, and the
cases written in the checks keep their structure (which index repeats, where the target is
offered) but have their vocabulary relabelled: nothing but the handout's own examples is the same
as in the public grader.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from hypothesis import strategies as st

from grader.input_set import InputSet, current

SEEDS = st.integers(min_value=0, max_value=2**31 - 1)


def rng(seed: int) -> np.random.Generator:
    inputs = current()
    if not inputs.is_secret:
        return np.random.default_rng(seed)  # the public inputs, as they always were
    return np.random.default_rng(inputs.seed("arrays", seed))


Arrays = tuple[np.ndarray, ...]


def drawn_once(draw: Callable[[Any], Arrays]) -> Callable[[Any], Arrays]:
    """`draw(case)`, a case's arrays, made once for each case and input set and copied for each
    caller: a batch's warm grader asks the same cases of every submission, and making them again
    (a generator, its draws, the adjustments) was about a tenth of its CPU (cProfile, s62). The
    copies are the caller's to change."""
    @functools.lru_cache(maxsize=2048)
    def kept(case: Any, input_set: InputSet) -> Arrays:
        arrays = draw(case)
        for array in arrays:
            array.setflags(write=False)
        return arrays

    @functools.wraps(draw)
    def arrays(case: Any) -> Arrays:
        try:
            made = kept(case, current())
        except TypeError:  # a case holding a list: not kept, made each time
            return draw(case)
        return tuple(array.copy() for array in made)
    return arrays


def secret_draw(label: str) -> np.random.Generator | None:
    """A generator for the values a check writes as literals (an extreme input, a scalar), or
    None for the public set: the check then uses its literals."""
    inputs = current()
    return np.random.default_rng(inputs.seed("literal", label)) if inputs.is_secret else None


# ---- forward_backward_prop ------------------------------------------------------------------
# The gap between the output biases of a confident network's likeliest and least likely class
# (NetCase.confident): with the weights as drawn, a label probability of about 1e-28 to 1e-20,
# far below any guard against log(0) a student writes, and above float32's smallest number.
SPREAD = 50.0


@dataclass(frozen=True)
class NetCase:
    M: int
    Dx: int
    H: int
    Dy: int
    seed: int
    # A network sure of itself, for the cost and the gradient against the reference: a hidden
    # pre-activation of 12, beyond where a sigmoid clipped against overflow stops (np.clip(x, -10,
    # 10)), and output biases 50 apart, its labels alternately on the least likely class (a
    # probability of about 1e-28 to 1e-20) and the likeliest, so that a cost that clips y_hat
    # away from 0 and 1 (np.clip(y_hat, 1e-3, 1 - 1e-3)) is wrong there under every secret. Standard
    # normal draws made such values on some draws only (the clipped cost scored 100 under 5 of 11
    # secrets, 72 under the others). Never a numerical-gradient case: central differences of so
    # steep a cost are not accurate to GRADCHECK_RTOL.
    confident: bool = False
    # The hidden pre-activation of 12 alone (the output layer as drawn): a numerical-gradient
    # case, where a clipped sigmoid makes the student's cost flat and their gradient not.
    saturated: bool = False

    @property
    def dimensions(self) -> list[int]:
        return [self.Dx, self.H, self.Dy]

    @property
    def n_params(self) -> int:
        return self.Dx * self.H + self.H + self.H * self.Dy + self.Dy

    def blocks(self) -> dict[str, tuple[slice, tuple[int, int]]]:
        """Where W1, b1, W2 and b2 sit in the flat parameter vector, and their shapes."""
        out, ofs = {}, 0
        for name, shape in (("W1", (self.Dx, self.H)), ("b1", (1, self.H)),
                            ("W2", (self.H, self.Dy)), ("b2", (1, self.Dy))):
            size = shape[0] * shape[1]
            out[name] = (slice(ofs, ofs + size), shape)
            ofs += size
        return out

    @drawn_once
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        g = rng(self.seed)
        data = g.standard_normal((self.M, self.Dx))
        labels = np.zeros((self.M, self.Dy))
        labels[np.arange(self.M), g.integers(0, self.Dy, size=self.M)] = 1.0
        params = g.standard_normal(self.n_params)
        if self.confident or self.saturated:
            labels = self._made_extreme(data, labels, params)
        return data, labels, params

    def _made_extreme(self, data: np.ndarray, labels: np.ndarray,
                      params: np.ndarray) -> np.ndarray:
        """Set the parameters in place (see `confident` and `saturated`); the labels, for a
        confident network alternately its least likely class and its likeliest."""
        view = {name: params[where] for name, (where, _) in self.blocks().items()}
        shapes = {name: shape for name, (_, shape) in self.blocks().items()}
        z1 = data @ view["W1"].reshape(shapes["W1"]) + view["b1"]
        for name in ("W1", "b1"):
            view[name] *= 12.0 / max(float(np.max(np.abs(z1))), 1e-12)
        if not self.confident:
            return labels
        # The output's biases set the classes 0, ..., SPREAD apart, the weights as drawn adding a
        # few either way: the least likely class about 1e-28 to 1e-20 on every example, and
        # none so far below that float32 (down to 1e-45) or float64 lose it to 0, which a
        # scaling of drawn weights did on some draws (a float32 network's cost became NaN).
        view["b2"][:] = -SPREAD * np.arange(self.Dy) / (self.Dy - 1)
        # The example with the pre-activation of 12 is labelled with its least likely class, and
        # that hidden unit's weights to the two classes set 10 apart: a sigmoid clipped at 10
        # then moves that example's cost by 4e-4, four times what a cost may be off by
        # (SCALE_RTOL of a cost of 100 and more), wherever the rest was drawn.
        z1 = data @ view["W1"].reshape(shapes["W1"]) + view["b1"]
        steep, unit = np.unravel_index(int(np.argmax(np.abs(z1))), z1.shape)
        W2 = view["W2"].reshape(shapes["W2"])  # a view: writes reach params
        W2[unit, 0], W2[unit, self.Dy - 1] = 5.0, -5.0
        rows = np.arange(self.M)
        unlikely = (rows - steep) % 2 == 0
        labels = np.zeros((self.M, self.Dy))
        labels[rows, np.where(unlikely, self.Dy - 1, 0)] = 1.0
        return labels

    def __str__(self) -> str:
        return (f"M={self.M}, Dx={self.Dx}, H={self.H}, Dy={self.Dy}"
                + (", confident" if self.confident else ", saturated" if self.saturated else ""))


@st.composite
def net_cases(draw, min_m: int = 1) -> NetCase:
    return NetCase(M=draw(st.integers(min_m, 6)), Dx=draw(st.integers(1, 5)),
                   H=draw(st.integers(1, 5)), Dy=draw(st.integers(2, 5)), seed=draw(SEEDS))


# The handout's own sanity check uses M=20, Dx=10, H=5, Dy=10; M=1 is where sums and means agree.
# The last is square everywhere (M == Dx == H == Dy): a block transposed, or a sum taken over the
# wrong axis, only where the shapes would not fit is wrong there (W1 transposed when Dx == H
# passed every gradient check, and was then called "not computed by backpropagation").
GRADCHECK_CASES = (NetCase(1, 3, 4, 2, 11), NetCase(5, 4, 3, 3, 12), NetCase(20, 10, 5, 10, 13),
                   NetCase(3, 3, 3, 3, 16), NetCase(2, 2, 3, 2, 15, saturated=True))
# 30,060 parameters: backpropagation answers in a few milliseconds, a gradient by finite
# differences needs 60,120 forward passes (1.5 s here), three times the quarter of the call
# deadline that test_gradient_by_backpropagation allows. A machine fast enough to difference it
# in time lets such a submission pass, never fails an honest one. 30 classes, not more: right
# code that picks each example's probability with np.choose (32 choices at most in numpy 1.x,
# 64 in 2.x) raised on 120 and lost the points its gradient checks had earned.
LARGE_CASE = NetCase(2, 200, 130, 30, 14)
# The share of the call deadline a large input is answered within, by a check that times it.
TIMED_SHARE = 0.25


# ---- word2vec negative sampling -------------------------------------------------------------
class ReplayDataset:
    """The grader-side twin of the worker's dataset, for running the reference on the same stream."""

    def __init__(self, stream: tuple[int, ...]) -> None:
        self._stream = stream
        self.draws = 0

    def sampleTokenIdx(self) -> int:  # noqa: N802
        value = self._stream[self.draws]
        self.draws += 1
        return value


def expected_draws(stream: tuple[int, ...], target: int, K: int) -> tuple[list[int], int]:
    """The negatives getNegativeSamples takes from `stream` (re-drawing the target) and how many
    draws that uses. This is the handout's provided sampling code, not part of any solution."""
    negatives, used = [], 0
    while len(negatives) < K:
        value = stream[used]
        used += 1
        if value != target:
            negatives.append(value)
    return negatives, used


@dataclass(frozen=True)
class W2VCase:
    V: int
    D: int
    K: int
    target: int
    stream: tuple[int, ...]
    seed: int
    # The length of the centre vector and of every output vector. The handout's dummy vectors
    # are unit vectors, so every score u_k . v lies in [-1, 1]; trained vectors are longer, and a
    # cost that clips the scores (to [-1, 1], or to +-6 as word2vec.c's table does) or normalises
    # the vectors is right only on unit ones.
    norm: float = 1.0

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints a failing case with its pretty printer, which put each of the
        # stream's numbers on a line of its own: 60 lines a check under -v (probe s60).
        printer.text(repr(self))

    @drawn_once
    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        g = rng(self.seed)
        predicted = g.standard_normal(self.D)
        predicted /= np.linalg.norm(predicted)
        vectors = g.standard_normal((self.V, self.D))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)  # as the handout's dummy vectors
        if self.norm != 1.0:
            predicted, vectors = predicted * self.norm, vectors * self.norm
            # The first negative lies along predicted: its score is the largest vectors of this
            # length can give (norm ** 2, 12.25 at 3.5) under every draw. Drawn freely, the
            # largest score was 10.8 under one secret and 12 under another, and a cost that
            # clips the scores at 11 kept every point or lost 26 by the secret.
            vectors[expected_draws(self.stream, self.target, self.K)[0][0]] = predicted
        return predicted, vectors

    def __str__(self) -> str:
        length = f", vectors of length {self.norm:g}" if self.norm != 1.0 else ""
        return (f"V={self.V}, D={self.D}, K={self.K}, target={self.target}{length}, "
                f"sampleTokenIdx() stream {list(self.stream)}")


def padded(stream: list[int], V: int, target: int, extra: int = 12) -> tuple[int, ...]:
    """The stream followed by spare non-target draws, so that drawing too many (say always 10,
    whatever K is) is still answered and shows up in the draw count instead of as an error."""
    others = [i for i in range(V) if i != target]
    return tuple(stream + [others[i % len(others)] for i in range(extra)])


def fixed_case(V: int, D: int, K: int, target: int, stream: list[int],
               seed: int) -> tuple[W2VCase, Callable[[int], int]]:
    """A case a check writes out, and where each of its indices went. Under a secret the
    vocabulary is relabelled by a secret permutation (the stream keeps its repeats and its offers
    of the target) and the vectors are drawn afresh (`rng`); publicly it is the case as written."""
    case = W2VCase(V, D, K, target, padded(list(stream), V, target), seed)
    inputs = current()
    if not inputs.is_secret:
        return case, int
    # Word 0 stays word 0: it is the one index Python reads as false, and `if target:` meant as
    # "a target was given" drops its row exactly there. Relabelled away from 0, a case the public
    # inputs wrote with target 0 no longer showed it, and the same code scored 79 or 85 by the
    # input set (probe s54). The other words are relabelled by the secret.
    rest = np.random.default_rng(inputs.seed("relabel", V, K, target, seed, *stream)).permutation(
        V - 1) + 1
    new = [0] + [int(i) for i in rest]
    return (replace(case, target=new[target], stream=tuple(new[i] for i in case.stream)),
            new.__getitem__)


@st.composite
def w2v_cases(draw, K: int | None = None) -> W2VCase:
    """Cases whose negatives are distinct and never the target: the plain path of the algorithm.
    Repeats and target re-draws have checks of their own."""
    K = draw(st.integers(1, 6)) if K is None else K
    V = draw(st.integers(K + 1, K + 6))
    D = draw(st.integers(2, 5))
    target = draw(st.integers(0, V - 1))
    others = [i for i in range(V) if i != target]
    negatives = draw(st.permutations(others))[:K]
    return W2VCase(V, D, K, target, padded(list(negatives), V, target), draw(SEEDS))


# Scores u_k . v up to 12.25 in size (vectors of length 3.5), the target's and the negatives'
# alike: a cost or gradient that clips the scores to +-6 or normalises the vectors is wrong here,
# right on the unit vectors of every other case (a clip to +-15 stays exact, as it does
# everywhere the assignment goes). Under a secret its vectors are drawn afresh like any case's.
LONG_VECTORS = W2VCase(V=6, D=3, K=4, target=2, stream=padded([0, 5, 1, 3], 6, 2), seed=2017,
                       norm=3.5)


@st.composite
def training_cases(draw) -> W2VCase:
    """Streams as real training draws them: K = 10 over a small vocabulary, uniformly, so a
    negative is often drawn more than once and the target is often offered (and re-drawn).
    The stream is one of 16 made from a small drawn number: a failing case shrinks in a few
    steps (a wide seed would be tried again and again, one round trip each, to no purpose), and
    the vocabulary and the dimension shrink first, the parts a student reads first."""
    V = draw(st.integers(3, 8))
    D = draw(st.integers(2, 5))
    target = draw(st.integers(0, V - 1))
    stream_number = draw(st.integers(0, 15))
    stream = rng(7919 + stream_number).integers(0, V, size=40).tolist()
    return W2VCase(V, D, 10, target, padded(stream, V, target), draw(SEEDS))
