import numpy as np


def sigmoid(x):
    """Elementwise logistic sigmoid.

    Arguments:
    x -- A scalar or numpy array of any shape.

    Return:
    s -- sigmoid(x) = 1 / (1 + exp(-x)), elementwise, with the shape of x (a scalar for a scalar).
         Do not modify x.
    """

    ### YOUR CODE HERE
    raise NotImplementedError
    ### END YOUR CODE

    return s


def sigmoid_grad(s):
    """Derivative of the sigmoid, expressed through the sigmoid's output.

    The argument is s = sigmoid(x), the value sigmoid returned, not x itself: the backward pass
    already has the hidden activations at hand, and the derivative is a simple function of them.

    Arguments:
    s -- A scalar or numpy array, the OUTPUT of sigmoid.

    Return:
    ds -- The derivative of the sigmoid at x, computed from s alone (question 2(a) derives it),
          elementwise, with the shape of s. Do not modify s.
    """

    ### YOUR CODE HERE
    raise NotImplementedError
    ### END YOUR CODE

    return ds


def test_sigmoid_basic():
    """A few checks to run while you work; passing them does not mean the functions are right."""
    print("Running basic tests...")
    x = np.array([[1, 2], [-1, -2]])
    f = sigmoid(x)
    g = sigmoid_grad(f)
    print(f)
    f_ans = np.array([
        [0.73105858, 0.88079708],
        [0.26894142, 0.11920292]])
    assert np.allclose(f, f_ans, rtol=1e-05, atol=1e-06)
    print(g)
    g_ans = np.array([
        [0.19661193, 0.10499359],
        [0.19661193, 0.10499359]])
    assert np.allclose(g, g_ans, rtol=1e-05, atol=1e-06)
    print("You should verify these results by hand!\n")


if __name__ == "__main__":
    test_sigmoid_basic()
