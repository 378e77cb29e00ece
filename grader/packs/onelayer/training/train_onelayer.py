"""The course's training loop for the one-hidden-layer network, as the blog gives it, corrected.

Three Gaussian clouds of points in the plane, 3 hidden units, 3 classes, trained by gradient
ascent on the log-likelihood with the functions of onelayer.py. Two corrections to the blog: it
called forward(X, W1, b1, W2, b1), passing b1 where b2 belongs (unnoticed there because both
layers have 3 units; `autograde audit` flags calls like it), and it computed derivative_w1 with
the W2 it had just updated; here every derivative is taken at the same point.
"""
from __future__ import annotations

import numpy as np

from onelayer import (classification_rate, cost, derivative_b1, derivative_b2, derivative_w1,
                      derivative_w2, forward)


def main(epochs: int = 100000, learning_rate: float = 10e-7, seed: int = 0) -> list[float]:
    rng = np.random.default_rng(seed)
    n_class, D, M, K = 500, 2, 3, 3
    X = np.vstack([rng.standard_normal((n_class, D)) + centre
                   for centre in ([0, -2], [2, 2], [-2, 2])])
    Y = np.repeat(np.arange(K), n_class)
    T = np.zeros((len(Y), K))
    T[np.arange(len(Y)), Y] = 1

    W1, b1 = rng.standard_normal((D, M)), rng.standard_normal(M)
    W2, b2 = rng.standard_normal((M, K)), rng.standard_normal(K)
    costs = []
    for epoch in range(epochs):
        output, hidden = forward(X, W1, b1, W2, b2)
        if epoch % 100 == 0:
            c = cost(T, output)
            r = classification_rate(Y, np.argmax(output, axis=1))
            print("epoch", epoch, "cost", c, "classification rate:", r)
            costs.append(c)
        gW2 = derivative_w2(hidden, T, output)
        gb2 = derivative_b2(T, output)
        gW1 = derivative_w1(X, hidden, T, output, W2)
        gb1 = derivative_b1(T, output, W2, hidden)
        W2 += learning_rate * gW2
        b2 += learning_rate * gb2
        W1 += learning_rate * gW1
        b1 += learning_rate * gb1
    return costs


if __name__ == "__main__":
    main()
