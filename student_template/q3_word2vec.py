import random

import numpy as np

from q1_softmax import softmax
from q2_sigmoid import sigmoid, sigmoid_grad


def getNegativeSamples(target, dataset, K):
    """K token indices drawn from dataset, none equal to target (provided, do not modify)."""

    indices = [None] * K
    for k in range(K):
        newidx = dataset.sampleTokenIdx()
        while newidx == target:
            newidx = dataset.sampleTokenIdx()
        indices[k] = newidx
    return indices


def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):
    """Negative-sampling cost and gradients for one predicted vector and one target word.

    This is the building block that skip-gram and CBOW use with negative sampling: the target's
    output vector should score high against the predicted vector, K sampled words should score low.

    Arguments:
    predicted -- numpy ndarray of shape (D,), the predicted (center) word vector v_c.
    target -- integer, the index of the target (outside) word o.
    outputVectors -- numpy ndarray of shape (V, D), the "output" vectors u_w (as rows) of all the
                     tokens. Do not modify it.
    dataset -- an object whose sampleTokenIdx() returns a random token index; use it only through
               the provided sampling code below.
    K -- the number of negative samples.

    Return:
    cost -- -log sigmoid(u_o . v_c) - sum over the K negatives k of log sigmoid(-u_k . v_c).
    gradPred -- numpy ndarray of shape (D,), the gradient of cost with respect to predicted.
    grad -- numpy ndarray of shape (V, D), the gradient of cost with respect to all of
            outputVectors; rows of words that were not sampled are zero.

    The negatives may repeat: a word drawn twice counts twice, in the cost and in grad.

    test_word2vec below shows a small dataset object.
    """

    # Sampling of indices is done for you. Do not modify this if you
    # wish to match the autograder and receive points!
    indices = [target]
    indices.extend(getNegativeSamples(target, dataset, K))

    ### YOUR CODE HERE
    raise NotImplementedError
    ### END YOUR CODE

    return cost, gradPred, grad


def test_word2vec():
    """Run negSamplingCostAndGradient on small dummy vectors with a dummy dataset."""
    dataset = type('dummy', (), {})()

    def dummySampleTokenIdx():
        return random.randint(0, 4)

    dataset.sampleTokenIdx = dummySampleTokenIdx

    random.seed(31415)
    np.random.seed(9265)
    dummy_vectors = np.random.randn(10, 3)
    dummy_vectors = dummy_vectors / np.sqrt(np.sum(dummy_vectors ** 2, axis=1, keepdims=True))

    print("==== Negative sampling: predicted vector 0, target 2, output vectors 5..9 ====")
    cost, gradPred, grad = negSamplingCostAndGradient(dummy_vectors[0], 2, dummy_vectors[5:],
                                                      dataset, K=10)
    print(cost)
    print(gradPred)
    print(grad)


if __name__ == "__main__":
    test_word2vec()
