"""Reference solution of the CBOW pack (grader/packs/cbow): the continuous bag-of-words model of
the Coursera NLP course 2, week 4 lecture notebook, in its column-vector convention (x is V x 1,
W1 N x V, b1 N x 1, W2 V x N, b2 V x 1).

back_prop follows the notebook's formulas, as students are asked to: dJ/db1 = ReLU(W2^T (yhat - y))
and dJ/dW1 = ReLU(W2^T (yhat - y)) x^T. These are not the derivative of the loss (that masks
W2^T (yhat - y) by z1 > 0): the pack's `exact` mode says so (grader/packs/cbow/pack.toml).
"""
import numpy as np


def get_windows(words, C):
    i = C
    while i < len(words) - C:
        center_word = words[i]
        context_words = words[(i - C):i] + words[(i + 1):(i + C + 1)]
        yield context_words, center_word
        i += 1


def word_to_one_hot_vector(word, word2Ind, V):
    one_hot_vector = np.zeros(V)
    one_hot_vector[word2Ind[word]] = 1
    return one_hot_vector


def context_words_to_vector(context_words, word2Ind, V):
    context_words_vectors = [word_to_one_hot_vector(w, word2Ind, V) for w in context_words]
    return np.mean(context_words_vectors, axis=0)


def get_training_example(words, C, word2Ind, V):
    for context_words, center_word in get_windows(words, C):
        yield (context_words_to_vector(context_words, word2Ind, V),
               word_to_one_hot_vector(center_word, word2Ind, V))


def relu(z):
    result = np.array(z, dtype=float)
    result[result < 0] = 0
    return result


def softmax(z):
    z = np.asarray(z, dtype=float)
    e_z = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e_z / np.sum(e_z, axis=0, keepdims=True)


def cross_entropy_loss(y_predicted, y_actual):
    return float(np.sum(-np.log(y_predicted) * y_actual))


def forward_prop(x, W1, W2, b1, b2):
    z1 = np.dot(W1, x) + b1
    h = relu(z1)
    z2 = np.dot(W2, h) + b2
    return z1, h, z2


def back_prop(x, yhat, y, h, W1, W2, b1, b2):
    grad_b2 = yhat - y
    grad_W2 = np.dot(yhat - y, h.T)
    grad_b1 = relu(np.dot(W2.T, yhat - y))
    grad_W1 = np.dot(relu(np.dot(W2.T, yhat - y)), x.T)
    return grad_W1, grad_W2, grad_b1, grad_b2


def gradient_descent_step(W1, W2, b1, b2, grad_W1, grad_W2, grad_b1, grad_b2, alpha):
    return (W1 - alpha * grad_W1, W2 - alpha * grad_W2,
            b1 - alpha * grad_b1, b2 - alpha * grad_b2)
