"""CBOW, step by step: the functions of the lecture notebook (Coursera NLP, course 2, week 4).

Shapes follow the notebook's column convention: V words in the vocabulary, N hidden units,
x is V x 1 (one training example is a column), W1 is N x V, b1 N x 1, W2 V x N, b2 V x 1.
Grade with: autograde grade cbow.py --pack cbow   (cbow.ipynb works too)
"""
import numpy as np

from utils2 import get_dict  # noqa: F401  (the course's helper: word2Ind, Ind2word = get_dict(words))


def get_windows(words, C):
    """Yield (context_words, center_word) for every center word with C words on each side:
    context_words = the C words before it + the C words after it (a list), in order.
    A generator: use `yield`. len(words) - 2C windows in all."""
    raise NotImplementedError


def word_to_one_hot_vector(word, word2Ind, V):
    """An array of shape (V,): zeros, and 1 at word2Ind[word]."""
    raise NotImplementedError


def context_words_to_vector(context_words, word2Ind, V):
    """An array of shape (V,): the mean of the context words' one-hot vectors."""
    raise NotImplementedError


def get_training_example(words, C, word2Ind, V):
    """Yield (context_words_vector, center_word_vector), both of shape (V,), for each window of
    get_windows(words, C), in order. A generator: use `yield`."""
    raise NotImplementedError


def relu(z):
    """max(z, 0) elementwise, as a new array of z's shape (z itself unchanged)."""
    raise NotImplementedError


def softmax(z):
    """exp(z) normalised over axis 0: each column of the result (one example) sums to 1.
    A 1-D z is one column."""
    raise NotImplementedError


def cross_entropy_loss(y_predicted, y_actual):
    """J = -sum_k y_k log(yhat_k), a single number (y_predicted, y_actual: V x 1)."""
    raise NotImplementedError


def forward_prop(x, W1, W2, b1, b2):
    """Return (z1, h, z2): z1 = W1 x + b1 (N x 1), h = ReLU(z1) (N x 1), z2 = W2 h + b2 (V x 1).
    yhat = softmax(z2) is not part of it."""
    raise NotImplementedError


def back_prop(x, yhat, y, h, W1, W2, b1, b2):
    """Return (grad_W1, grad_W2, grad_b1, grad_b2), the notebook's formulas (7) to (10):
    grad_W1 = ReLU(W2^T (yhat - y)) x^T   (N x V)
    grad_W2 = (yhat - y) h^T              (V x N)
    grad_b1 = ReLU(W2^T (yhat - y))       (N x 1)
    grad_b2 = yhat - y                    (V x 1)"""
    raise NotImplementedError


def gradient_descent_step(W1, W2, b1, b2, grad_W1, grad_W2, grad_b1, grad_b2, alpha):
    """Return the updated (W1, W2, b1, b2): each parameter minus alpha times its gradient, as new
    arrays."""
    raise NotImplementedError
