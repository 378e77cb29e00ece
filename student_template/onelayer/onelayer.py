"""A one-hidden-layer network from scratch in numpy: a sigmoid hidden layer and a softmax output,
with the functions (and signatures) of the lazyprogrammer course as the blog gives them.

Rows are examples. X is N x D (N examples, D inputs), W1 is D x M, b1 has shape (M,), W2 is
M x K, b2 has shape (K,), T is N x K one-hot (T[n, k] = 1 when example n is of class k).

Conventions: the blog climbs the log-likelihood L = sum(T log Y) by gradient ascent, summed over
the examples, so its derivatives are dL/dW (T - Y appears in them). Descent on the cross-entropy
J = -L (derivatives with Y - T) is accepted too, and so is averaging the cost and the derivatives
over the N examples instead of summing: any choice, followed consistently by cost and all four
derivatives. A mix (one derivative with the other sign, or averaged where the others are summed)
is a mistake, and the grader names it.
Grade with: autograde grade onelayer.py --pack onelayer   (onelayer.ipynb works too)
"""
import numpy as np


def forward(X, W1, b1, W2, b2):
    """Return the pair (Y, Z): Z = sigmoid(X W1 + b1), N x M, the hidden layer, and
    Y = softmax(Z W2 + b2), N x K, each row the class probabilities of one example."""
    raise NotImplementedError


def classification_rate(Y, P):
    """The fraction (between 0 and 1) of examples whose prediction P[n] equals the label Y[n];
    Y and P are arrays of N class indices."""
    raise NotImplementedError


def cost(T, Y):
    """One number: the log-likelihood sum(T log Y) (or the cross-entropy, its negative), summed
    (or averaged) over the examples."""
    raise NotImplementedError


def derivative_w2(Z, T, Y):
    """The derivative of your cost for W2: an M x K array."""
    raise NotImplementedError


def derivative_b2(T, Y):
    """The derivative of your cost for b2: an array of shape (K,)."""
    raise NotImplementedError


def derivative_w1(X, Z, T, Y, W2):
    """The derivative of your cost for W1: a D x M array (the error goes back through W2 and
    through the sigmoid)."""
    raise NotImplementedError


def derivative_b1(T, Y, W2, Z):
    """The derivative of your cost for b1: an array of shape (M,)."""
    raise NotImplementedError
