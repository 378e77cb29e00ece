"""Reference solution of the one-hidden-layer network (the `onelayer` pack).

A sigmoid hidden layer and a softmax output, rows are examples, T one-hot. The convention is the
course's: `cost` is the log-likelihood L = sum(T log Y) over every example, and each derivative is
dL/d(parameter), summed over the examples, for gradient ascent. The grader accepts the other
consistent conventions too (grader/conventions.py); this file is the instructor's answer.
"""
from __future__ import annotations

import numpy as np


def forward(X: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray,
            b2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Y, Z): Y (N x K) the softmax outputs, Z (N x M) the sigmoid hidden layer."""
    Z = 1.0 / (1.0 + np.exp(-(X.dot(W1) + b1)))
    A = Z.dot(W2) + b2
    # Shifting each row by its maximum leaves softmax unchanged and keeps exp from overflowing.
    expA = np.exp(A - A.max(axis=1, keepdims=True))
    Y = expA / expA.sum(axis=1, keepdims=True)
    return Y, Z


def classification_rate(Y: np.ndarray, P: np.ndarray) -> float:
    """The fraction of examples whose prediction P equals the label Y."""
    return float(np.mean(np.asarray(Y) == np.asarray(P)))


def cost(T: np.ndarray, Y: np.ndarray) -> float:
    """The log-likelihood sum(T log Y), summed over the examples."""
    return float((T * np.log(Y)).sum())


def derivative_w2(Z: np.ndarray, T: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return Z.T.dot(T - Y)


def derivative_b2(T: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return (T - Y).sum(axis=0)


def derivative_w1(X: np.ndarray, Z: np.ndarray, T: np.ndarray, Y: np.ndarray,
                  W2: np.ndarray) -> np.ndarray:
    dZ = (T - Y).dot(W2.T) * Z * (1 - Z)
    return X.T.dot(dZ)


def derivative_b1(T: np.ndarray, Y: np.ndarray, W2: np.ndarray, Z: np.ndarray) -> np.ndarray:
    return ((T - Y).dot(W2.T) * Z * (1 - Z)).sum(axis=0)
