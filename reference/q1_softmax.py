"""Reference softmax (CS224n 2017, assignment 1, q1)."""
import numpy as np


def softmax(x):
    """Row-wise softmax of a vector (one row) or an M x N matrix; the output has the input's shape.

    Subtracting each row's maximum first keeps exp() from overflowing; it does not change the result,
    because softmax(x) == softmax(x + c) for any constant c per row.
    """
    x = np.asarray(x, dtype=np.float64)
    shifted = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)
