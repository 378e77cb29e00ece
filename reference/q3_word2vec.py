"""Reference negative-sampling cost and gradient (CS224n 2017, assignment 1, q3)."""
import numpy as np

from q2_sigmoid import sigmoid


def getNegativeSamples(target, dataset, K):
    """K draws of dataset.sampleTokenIdx(), each re-drawn while it equals target (provided code)."""
    indices = [None] * K
    for k in range(K):
        newidx = dataset.sampleTokenIdx()
        while newidx == target:
            newidx = dataset.sampleTokenIdx()
        indices[k] = newidx
    return indices


def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):
    """cost = -log sigmoid(u_o . v_c) - sum_k log sigmoid(-u_k . v_c).

    Returns (cost, gradPred (D,), grad (V, D)). A negative drawn twice counts twice: np.add.at
    accumulates into repeated rows, where fancy-index assignment would keep only the last.
    """
    indices = [target]
    indices.extend(getNegativeSamples(target, dataset, K))
    negatives = np.asarray(indices[1:], dtype=np.intp)

    u_o = outputVectors[target]
    u_k = outputVectors[negatives]
    pos = sigmoid(u_o.dot(predicted))
    neg = sigmoid(-u_k.dot(predicted))

    cost = -np.log(pos) - np.sum(np.log(neg))
    gradPred = (pos - 1.0) * u_o + (1.0 - neg).dot(u_k)
    grad = np.zeros_like(outputVectors, dtype=np.float64)
    grad[target] += (pos - 1.0) * predicted
    np.add.at(grad, negatives, np.outer(1.0 - neg, predicted))
    return cost, gradPred, grad
