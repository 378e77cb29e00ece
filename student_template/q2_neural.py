import numpy as np

from q1_softmax import softmax
from q2_sigmoid import sigmoid, sigmoid_grad


def forward_backward_prop(data, labels, params, dimensions):
    """Cost and gradient of a network with one sigmoid hidden layer and a softmax output.

    The forward pass computes the cross-entropy cost of the predictions; the backward pass the
    gradient of that cost with respect to every parameter.

    Arguments:
    data -- M x Dx matrix, where each row is a training example.
    labels -- M x Dy matrix, where each row is a one-hot vector.
    params -- Model parameters, flattened into one vector; the code below unpacks them as
              W1 (Dx, H), b1 (1, H), W2 (H, Dy), b2 (1, Dy).
    dimensions -- A tuple of input dimension, number of hidden units and output dimension:
                  (Dx, H, Dy).

    Return:
    cost -- The cross-entropy cost, -sum of log(predicted probability of the right label) over the
            M examples. Summing or averaging over the M examples are both accepted, as long as the
            gradient is that of the cost you return.
    grad -- The gradient of cost with respect to params, flattened in the same order (W1, b1, W2,
            b2); the stacking code below does this. Do not modify data, labels or params.
    """

    ### Unpack network parameters (do not modify)
    ofs = 0
    Dx, H, Dy = (dimensions[0], dimensions[1], dimensions[2])

    W1 = np.reshape(params[ofs:ofs + Dx * H], (Dx, H))
    ofs += Dx * H
    b1 = np.reshape(params[ofs:ofs + H], (1, H))
    ofs += H
    W2 = np.reshape(params[ofs:ofs + H * Dy], (H, Dy))
    ofs += H * Dy
    b2 = np.reshape(params[ofs:ofs + Dy], (1, Dy))

    ### YOUR CODE HERE: forward propagation
    raise NotImplementedError
    ### END YOUR CODE

    ### YOUR CODE HERE: backward propagation
    raise NotImplementedError
    ### END YOUR CODE

    ### Stack gradients (do not modify)
    grad = np.concatenate((gradW1.flatten(), gradb1.flatten(),
        gradW2.flatten(), gradb2.flatten()))

    return cost, grad


def gradcheck(f, x, h=1e-4, tolerance=1e-5):
    """Central differences of f (returning (value, gradient)) at x against its gradient.

    Returns the first index whose relative difference is above tolerance, or None. x is changed
    during the check and restored afterwards.
    """
    _, grad = f(x)
    for i in range(x.size):
        old = x[i]
        x[i] = old + h
        plus, _ = f(x)
        x[i] = old - h
        minus, _ = f(x)
        x[i] = old
        numeric = (plus - minus) / (2 * h)
        if abs(numeric - grad[i]) / max(1, abs(numeric), abs(grad[i])) > tolerance:
            print("Gradient check failed at index %d: yours %f, numerical %f"
                  % (i, grad[i], numeric))
            return i
    return None


def sanity_check():
    """Gradient check of forward_backward_prop on random data and parameters."""
    print("Running sanity check...")

    N = 20
    dimensions = [10, 5, 10]
    data = np.random.randn(N, dimensions[0])   # each row will be a datum
    labels = np.zeros((N, dimensions[2]))
    for i in range(N):
        labels[i, np.random.randint(0, dimensions[2])] = 1

    params = np.random.randn((dimensions[0] + 1) * dimensions[1] + (
        dimensions[1] + 1) * dimensions[2], )

    if gradcheck(lambda p: forward_backward_prop(data, labels, p, dimensions), params) is None:
        print("Gradient check passed!")


if __name__ == "__main__":
    sanity_check()
