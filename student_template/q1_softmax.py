import numpy as np


def softmax(x):
    """Softmax of each row of x.

    Later parts of the assignment call this often, so vectorise it: np.exp, np.max, np.sum with
    keepdims=True and numpy broadcasting are all you need, no Python loop over rows.

    Arguments:
    x -- a numpy array: a vector of length D, treated as a single row, or an N x D matrix.

    Return:
    x -- the softmax of each row, with the same shape as the input: the entries of each row are
         positive and sum to 1.

    Large values must not overflow: softmax([[1001, 1002]]) is [[0.26894142, 0.73105858]], not
    nan. Since softmax(r) == softmax(r - c) for any constant c, subtract each row's maximum before
    taking exp.

    You are allowed to modify x in-place.
    """
    orig_shape = x.shape

    ### YOUR CODE HERE
    raise NotImplementedError
    ### END YOUR CODE

    assert x.shape == orig_shape
    return x


def test_softmax_basic():
    """A few checks to run while you work; passing them does not mean the function is right."""
    print("Running basic tests...")
    test1 = softmax(np.array([1, 2]))
    print(test1)
    ans1 = np.array([0.26894142, 0.73105858])
    assert np.allclose(test1, ans1, rtol=1e-05, atol=1e-06)

    test2 = softmax(np.array([[1001, 1002], [3, 4]]))
    print(test2)
    ans2 = np.array([
        [0.26894142, 0.73105858],
        [0.26894142, 0.73105858]])
    assert np.allclose(test2, ans2, rtol=1e-05, atol=1e-06)

    test3 = softmax(np.array([[-1001, -1002]]))
    print(test3)
    ans3 = np.array([[0.73105858, 0.26894142]])
    assert np.allclose(test3, ans3, rtol=1e-05, atol=1e-06)

    print("You should be able to verify these results by hand!\n")


if __name__ == "__main__":
    test_softmax_basic()
