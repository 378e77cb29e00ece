"""Reference forward and backward pass of a two-layer network (CS224n 2017, assignment 1, q2)."""
import numpy as np

from q1_softmax import softmax
from q2_sigmoid import sigmoid, sigmoid_grad


def forward_backward_prop(data, labels, params, dimensions):
    """Sigmoid hidden layer, softmax output, cross-entropy cost SUMMED over the M examples.

    data: M x Dx; labels: M x Dy one-hot; params: flat, unpacked as W1 (Dx,H), b1 (1,H), W2 (H,Dy),
    b2 (1,Dy). Returns (cost, grad), grad flattened in the same order.
    """
    ofs = 0
    Dx, H, Dy = (dimensions[0], dimensions[1], dimensions[2])

    W1 = np.reshape(params[ofs:ofs + Dx * H], (Dx, H))
    ofs += Dx * H
    b1 = np.reshape(params[ofs:ofs + H], (1, H))
    ofs += H
    W2 = np.reshape(params[ofs:ofs + H * Dy], (H, Dy))
    ofs += H * Dy
    b2 = np.reshape(params[ofs:ofs + Dy], (1, Dy))

    hidden = sigmoid(data.dot(W1) + b1)
    probs = softmax(hidden.dot(W2) + b2)
    cost = -np.sum(labels * np.log(probs))

    d_scores = probs - labels
    gradW2 = hidden.T.dot(d_scores)
    gradb2 = np.sum(d_scores, axis=0, keepdims=True)
    d_hidden = d_scores.dot(W2.T) * sigmoid_grad(hidden)
    gradW1 = data.T.dot(d_hidden)
    gradb1 = np.sum(d_hidden, axis=0, keepdims=True)

    grad = np.concatenate((gradW1.flatten(), gradb1.flatten(),
                           gradW2.flatten(), gradb2.flatten()))
    return cost, grad
