"""What the CBOW checks feed to student functions: the notebook's own example, and drawn cases.

The notebook's numbers (its corpus, its fixed W1, W2, b1, b2, and everything it prints from them)
are facts quoted from the lecture notebook; `published()` holds them. Drawn cases come from numpy
generators seeded by hypothesis-drawn integers, keyed by the course secret when there is one
(grader/input_set.py), as in the CS224n pack: the secret changes every drawn input, never the
notebook's.
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


# ---- the notebook's example ---------------------------------------------------------------------
CORPUS = "I am happy because I am learning"
WORDS = ["i", "am", "happy", "because", "i", "am", "learning"]
WORD2IND = {"am": 0, "because": 1, "happy": 2, "i": 3, "learning": 4}
V, N, C = 5, 3, 2
WINDOWS = [(["i", "am", "because", "i"], "happy"),
           (["am", "happy", "i", "am"], "because"),
           (["happy", "because", "am", "learning"], "i")]
CONTEXT_VECTORS = [np.array([0.25, 0.25, 0.0, 0.5, 0.0]), np.array([0.5, 0.0, 0.25, 0.25, 0.0]),
                   np.array([0.25, 0.25, 0.25, 0.0, 0.25])]
CENTER_VECTORS = [np.array([0.0, 0.0, 1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0, 0.0, 0.0]),
                  np.array([0.0, 0.0, 0.0, 1.0, 0.0])]
W1 = np.array([[0.41687358, 0.08854191, -0.23495225, 0.28320538, 0.41800106],
               [0.32735501, 0.22795148, -0.23951958, 0.4117634, -0.23924344],
               [0.26637602, -0.23846886, -0.37770863, -0.11399446, 0.34008124]])
W2 = np.array([[-0.22182064, -0.43008631, 0.13310965],
               [0.08476603, 0.08123194, 0.1772054],
               [0.1871551, -0.06107263, -0.1790735],
               [0.07055222, -0.02015138, 0.36107434],
               [0.33480474, -0.39423389, -0.43959196]])
B1 = np.array([[0.09688219], [0.29239497], [-0.27364426]])
B2 = np.array([[0.0352008], [-0.36393384], [-0.12775555], [-0.34802326], [-0.07017815]])
X = CONTEXT_VECTORS[0].reshape(V, 1)
Y = CENTER_VECTORS[0].reshape(V, 1)
Z1 = np.array([[0.36483875], [0.63710329], [-0.3236647]])
H = np.array([[0.36483875], [0.63710329], [0.0]])
Z2 = np.array([[-0.31973737], [-0.28125477], [-0.09838369], [-0.33512159], [-0.19919612]])
YHAT = np.array([[0.18519074], [0.19245626], [0.23107446], [0.18236353], [0.20891502]])
LOSS = 1.4650152923611106
GRAD_B2 = np.array([[0.18519074], [0.19245626], [-0.76892554], [0.18236353], [0.20891502]])
GRAD_W2 = np.array([[0.06756476, 0.11798563, 0.0],
                    [0.0702155, 0.12261452, 0.0],
                    [-0.28053384, -0.48988499, 0.0],
                    [0.06653328, 0.1161844, 0.0],
                    [0.07622029, 0.13310045, 0.0]])
GRAD_B1 = np.array([[0.0], [0.0], [0.17045858]])  # the notebook's formula (9), not dJ/db1
GRAD_W1 = np.array([[0.0, 0.0, 0.0, 0.0, 0.0],
                    [0.0, 0.0, 0.0, 0.0, 0.0],
                    [0.04261464, 0.04261464, 0.0, 0.08522929, 0.0]])
ALPHA = 0.03
W1_NEW = np.array([[0.41687358, 0.08854191, -0.23495225, 0.28320538, 0.41800106],
                   [0.32735501, 0.22795148, -0.23951958, 0.4117634, -0.23924344],
                   [0.26509758, -0.2397473, -0.37770863, -0.11655134, 0.34008124]])
W2_NEW = np.array([[-0.22384758, -0.43362588, 0.13310965],
                   [0.08265956, 0.0775535, 0.1772054],
                   [0.19557112, -0.04637608, -0.1790735],
                   [0.06855622, -0.02363691, 0.36107434],
                   [0.33251813, -0.3982269, -0.43959196]])
B1_NEW = np.array([[0.09688219], [0.29239497], [-0.27875802]])
B2_NEW = np.array([[0.02964508], [-0.36970753], [-0.10468778], [-0.35349417], [-0.0764456]])
# The notebook's ReLU example (its cell: np.random.seed(10); 10*np.random.rand(5, 1)-5) and its
# softmax example.
RELU_Z = 10 * np.random.RandomState(10).rand(5, 1) - 5
SOFTMAX_Z = np.array([9.0, 8.0, 11.0, 10.0, 8.5])
SOFTMAX_OF_Z = np.array([0.08276948, 0.03044919, 0.61158833, 0.22499077, 0.05020223])


# ---- drawn corpora ------------------------------------------------------------------------------
# Made-up tokens: the words are labels, their letters matter to no function.
VOCABULARY = ("am", "because", "happy", "i", "learning", "now", "it", "your", "turn", "try",
              "with", "own", "sentence", ".")


@st.composite
def corpora(draw, min_extra: int = 0) -> tuple[list[str], int]:
    """(words, C): a token list with at least 2C + 1 + min_extra words, so that it has windows."""
    C = draw(st.integers(1, 3))
    words = draw(st.lists(st.sampled_from(VOCABULARY), min_size=2 * C + 1 + min_extra,
                          max_size=2 * C + 8))
    return words, C


def word2ind(words: list[str]) -> dict[str, int]:
    """The table utils2.get_dict makes: the distinct words in sorted order."""
    return {w: i for i, w in enumerate(sorted(set(words)))}


def windows(words: list[str], C: int) -> list[tuple[list[str], str]]:
    """What get_windows yields, written out: the grader's own statement of the notebook's rule."""
    return [(words[i - C:i] + words[i + 1:i + C + 1], words[i]) for i in range(C, len(words) - C)]


# ---- drawn networks -----------------------------------------------------------------------------
@dataclass(frozen=True)
class NetCase:
    """One training example and a network of V words and N hidden units: x is the mean of `n_context`
    one-hot vectors, y a one-hot vector, weights uniform in [-1, 1) as the course initialises them
    (scaled). Every z1 = W1 x + b1 is kept at least 0.05 away from 0, where ReLU has its kink, so
    that central differences with h = 1e-4 see one side of it."""

    V: int
    N: int
    seed: int
    n_context: int = 4

    def arrays(self) -> dict[str, np.ndarray]:
        g = rng(self.seed)
        x = np.zeros((self.V, 1))
        for index in g.integers(0, self.V, size=self.n_context):
            x[index, 0] += 1.0 / self.n_context
        y = np.zeros((self.V, 1))
        y[g.integers(0, self.V), 0] = 1.0
        W1 = g.uniform(-1, 1, (self.N, self.V))
        W2 = g.uniform(-1, 1, (self.V, self.N))
        b1 = g.uniform(-1, 1, (self.N, 1))
        b2 = g.uniform(-1, 1, (self.V, 1))
        z1 = W1 @ x + b1
        near = np.abs(z1) < 0.05
        b1 = b1 + np.where(near, np.where(z1 < 0, -0.1, 0.1), 0.0)
        return {"x": x, "y": y, "W1": W1, "W2": W2, "b1": b1, "b2": b2}

    def __str__(self) -> str:
        return f"V={self.V}, N={self.N}"


@st.composite
def net_cases(draw) -> NetCase:
    return NetCase(V=draw(st.integers(2, 6)), N=draw(st.integers(1, 4)), seed=draw(SEEDS))


# Central differences in every coordinate: few and small, as each costs one call per point.
GRADCHECK_CASES = (NetCase(5, 3, 21), NetCase(4, 2, 22), NetCase(6, 4, 23))

BLOCKS = ("W1", "W2", "b1", "b2")  # back_prop's order of results, and forward_prop's arguments


# No formula of the derivative of the loss lives here (nor its values at the notebook's numbers):
# the exact mode asks students to work it out, and this module ships in every student's copy.
# The checks take it from central differences of the notebook's loss (checks/test_back_prop.py).


def course_gradient(x, y, W2, h, yhat) -> dict[str, np.ndarray]:
    """The notebook's formulas (7) to (10), as students are asked to write them."""
    delta = yhat - y
    upstream = np.maximum(W2.T @ delta, 0.0)
    return {"W1": upstream @ x.T, "W2": delta @ h.T, "b1": upstream, "b2": delta}


def forward(a: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """z1, h, z2 and yhat of a case, computed by the grader (the notebook's formulas (1) to (4)):
    what back_prop is given, whatever a submission's own forward_prop does."""
    z1 = a["W1"] @ a["x"] + a["b1"]
    h = np.maximum(z1, 0.0)
    z2 = a["W2"] @ h + a["b2"]
    e = np.exp(z2 - z2.max(axis=0, keepdims=True))
    return {"z1": z1, "h": h, "z2": z2, "yhat": e / e.sum(axis=0, keepdims=True)}


def notebook_case() -> dict[str, np.ndarray]:
    return {"x": X, "y": Y, "W1": W1, "W2": W2, "b1": B1, "b2": B2}
