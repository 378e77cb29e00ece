"""Reference sigmoid and its gradient (CS224n 2017, assignment 1, q2)."""
import numpy as np


def sigmoid(x):
    """Elementwise logistic function 1 / (1 + exp(-x)) for a scalar or an array of any shape.

    Written in two branches so that neither exp() ever sees a large positive argument: no overflow
    warning at |x| = 1000, and full precision in both tails.
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1.0 + e)
    return out[()]  # a scalar in, a numpy scalar out


def sigmoid_grad(s):
    """Derivative of the sigmoid, given its OUTPUT s = sigmoid(x): s * (1 - s)."""
    s = np.asarray(s, dtype=np.float64)
    return (s * (1.0 - s))[()]
