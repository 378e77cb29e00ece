"""Reference solution of the PA6 pack (grader/packs/pa6): the feed-forward network of CS114's PA6,
the transition classifier of Chen and Manning's neural dependency parser.

Rows are examples (the slides' convention: every layer's output has shape [batch_size, ...]):
ids (B, m) word ids of m features, E (V, d), x (B, m*d), W1 (m*d, H1), b1 (H1,), W2 (H1, H2),
b2 (H2,), U (H2, K), b3 (K,), y (B, K) one-hot.

The loss is averaged over the B examples (the slides); backward returns the gradient of that
averaged loss. PA6 itself sums the examples' gradients instead: the pack accepts either, as long
as every block follows the same one (grader/packs/pa6/pack.toml).
"""
import numpy as np

BLOCKS = ("W1", "b1", "W2", "b2", "U", "b3")


def embedding_lookup(ids, E):
    ids = np.asarray(ids)
    return E[ids].reshape(ids.shape[0], -1)


def relu(z):
    return np.maximum(z, 0.0)


def relu_grad(z):
    # The derivative does not exist at 0; the course takes 0 there (ReLU is flat on the left).
    return (np.asarray(z) > 0).astype(float)


def softmax(z):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def forward(x, W1, b1, W2, b2, U, b3):
    h1 = relu(x @ W1 + b1)
    h2 = relu(h1 @ W2 + b2)
    yhat = softmax(h2 @ U + b3)
    return h1, h2, yhat


def cross_entropy_loss(yhat, y):
    return float(-np.sum(y * np.log(yhat)) / y.shape[0])


def backward(x, y, W1, b1, W2, b2, U, b3):
    z1 = x @ W1 + b1
    h1 = relu(z1)
    z2 = h1 @ W2 + b2
    h2 = relu(z2)
    yhat = softmax(h2 @ U + b3)
    delta3 = (yhat - y) / x.shape[0]
    delta2 = (delta3 @ U.T) * relu_grad(z2)
    delta1 = (delta2 @ W2.T) * relu_grad(z1)
    return {"W1": x.T @ delta1, "b1": delta1.sum(axis=0), "W2": h1.T @ delta2,
            "b2": delta2.sum(axis=0), "U": h2.T @ delta3, "b3": delta3.sum(axis=0)}


def update(params, grads, lr):
    return {name: params[name] - lr * grads[name] for name in params}


def train_step(x, y, params, lr):
    grads = backward(x, y, *(params[name] for name in BLOCKS))
    return update(params, grads, lr)
