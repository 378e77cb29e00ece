"""Every numerical tolerance the checks use, in one place, with the reason for each.

The 2017 handout's own gradient check uses central differences with h = 1e-4 and fails a relative
difference |a - n| / max(1, |a|, |n|) above 1e-5. Ours are at least that strict. Correct float64
implementations agree with the reference to about 1e-12, so the reference comparison leaves
four orders of magnitude of room for a different but valid order of operations.
"""

# Known values printed in the handout to 8 decimals; the starter compares with np.allclose at
# these tolerances.
KNOWN_VALUES_RTOL = 1e-5
KNOWN_VALUES_ATOL = 1e-6

# Values of a student's function against the reference on the same inputs.
REFERENCE_RTOL = 1e-7
REFERENCE_ATOL = 1e-9

# Properties that hold exactly in real arithmetic (rows sum to 1, sigmoid(-x) = 1 - sigmoid(x),
# shift invariance): float64 rounding stays far below this.
IDENTITY_ATOL = 1e-10

# Central differences of a student's own cost against the student's own gradient.
GRADCHECK_STEP = 1e-4
GRADCHECK_RTOL = 1e-6

# Central differences of the reference sigmoid, against which sigmoid_grad is compared: the
# truncation error of a step of 1e-5 is of order 1e-11 here.
SIGMOID_FD_STEP = 1e-5
SIGMOID_FD_ATOL = 1e-8
