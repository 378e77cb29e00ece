"""CS114 PA6: the feed-forward network of a neural dependency parser, from scratch in numpy.

Rows are examples: every layer's output has shape (B, ...) for a batch of B examples, so that
one call handles a whole minibatch (the slides: "only if your code is fully broadcasted").
    ids  (B, m)  word ids of the m features of each example      E   (V, d)  embeddings
    x    (B, m*d)    W1 (m*d, H1)  b1 (H1,)    W2 (H1, H2)  b2 (H2,)    U (H2, K)  b3 (K,)
    y    (B, K)  one-hot: the right transition of each example
h1 = relu(x @ W1 + b1), h2 = relu(h1 @ W2 + b2), yhat = softmax(h2 @ U + b3): note the order of
multiplication, no transposes are needed.

The loss is averaged over the B examples. backward may return either the gradient of that
averaged loss, or PA6's summed minibatch gradient (the sum of the examples' gradients, B times
the first): both are accepted, as long as every block follows the same one.

Grade with: autograde grade pa6.py --pack pa6   (pa6.ipynb works too)
"""
import numpy as np


def embedding_lookup(ids, E):
    """x of shape (B, m*d): row b is E[ids[b, 0]], E[ids[b, 1]], ..., E[ids[b, m-1]] one after
    the other (concatenated, not stacked or added up)."""
    raise NotImplementedError


def relu(z):
    """max(z, 0) elementwise, as a new array of z's shape (z itself unchanged)."""
    raise NotImplementedError


def relu_grad(z):
    """ReLU's derivative at the pre-activation z, elementwise: 1.0 where z > 0, 0.0 where z <= 0.
    (ReLU has no derivative at 0; this course takes 0 there.)"""
    raise NotImplementedError


def softmax(z):
    """z of shape (B, K): each row turned into a distribution (rows sum to 1). Subtract each
    row's maximum first, so large scores do not overflow."""
    raise NotImplementedError


def forward(x, W1, b1, W2, b2, U, b3):
    """The tuple (h1, h2, yhat) of shapes (B, H1), (B, H2), (B, K)."""
    raise NotImplementedError


def cross_entropy_loss(yhat, y):
    """-sum(y * log(yhat)) / B, a float: the cross-entropy averaged over the B examples."""
    raise NotImplementedError


def backward(x, y, W1, b1, W2, b2, U, b3):
    """The gradient of the loss with respect to each parameter, as a dict with the keys
    'W1', 'b1', 'W2', 'b2', 'U', 'b3', each of its parameter's shape: of the averaged loss, or
    summed over the examples (PA6), the same for every block."""
    raise NotImplementedError


def update(params, grads, lr):
    """One step of gradient descent: a new dict {k: params[k] - lr * grads[k]} (the arrays in
    params unchanged)."""
    raise NotImplementedError


def train_step(x, y, params, lr):
    """One training step with your own functions: the gradient of backward(x, y, W1, b1, W2, b2,
    U, b3) taken at params (a dict with those keys), then update(params, grads, lr). Returns the
    new params."""
    raise NotImplementedError
