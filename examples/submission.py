"""An example upload, as a student might submit it: Python 2 flavoured (xrange), and with two
mistakes the grader explains: forward_backward_prop averages its cost but sums its gradient, and
negSamplingCostAndGradient samples with dataset.sampleTokenIdx() without re-drawing the target.

    autograde grade examples/submission.py
"""
import numpy as np


def sigmoid(x):
    return 1. / (1. + np.exp(-x))


def sigmoid_grad(s):
    return s * (1. - s)


def softmax(x):
    if x.ndim == 1:
        z = x - np.max(x)
        return np.exp(z) / np.sum(np.exp(z))
    z = x - np.max(x, axis=1).reshape(-1, 1)
    ez = np.exp(z)
    return ez / np.sum(ez, axis=1).reshape(-1, 1)


def forward_backward_prop(data, labels, params, dimensions):
    ofs = 0
    Dx, H, Dy = (dimensions[0], dimensions[1], dimensions[2])
    W1 = np.reshape(params[ofs:ofs + Dx * H], (Dx, H))
    ofs += Dx * H
    b1 = np.reshape(params[ofs:ofs + H], (1, H))
    ofs += H
    W2 = np.reshape(params[ofs:ofs + H * Dy], (H, Dy))
    ofs += H * Dy
    b2 = np.reshape(params[ofs:ofs + Dy], (1, Dy))

    M = data.shape[0]
    a1 = sigmoid(np.dot(data, W1) + b1)
    yhat = softmax(np.dot(a1, W2) + b2)
    cost = -np.sum(labels * np.log(yhat)) / M      # averaged over the batch...

    delta2 = yhat - labels                          # ...but the gradient below is summed
    gradW2 = np.dot(a1.T, delta2)
    gradb2 = np.sum(delta2, axis=0)
    delta1 = np.dot(delta2, W2.T) * sigmoid_grad(a1)
    gradW1 = np.dot(data.T, delta1)
    gradb1 = np.sum(delta1, axis=0)

    grad = np.concatenate((gradW1.flatten(), gradb1.flatten(),
                           gradW2.flatten(), gradb2.flatten()))
    return cost, grad


def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):
    samples = [dataset.sampleTokenIdx() for _ in xrange(K)]   # the target may slip in

    score = sigmoid(np.dot(outputVectors[target], predicted))
    cost = -np.log(score)
    gradPred = (score - 1.) * outputVectors[target]
    grad = np.zeros(outputVectors.shape)
    grad[target] += (score - 1.) * predicted
    for k in samples:
        s = sigmoid(-np.dot(outputVectors[k], predicted))
        cost -= np.log(s)
        gradPred += (1. - s) * outputVectors[k]
        grad[k] += (1. - s) * predicted
    return cost, gradPred, grad
