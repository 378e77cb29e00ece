"""The mistakes the one-hidden-layer checks recognise, each with what to do about it.

Each entry is raised from what a check measured (how the rows of Y sum, which convention each
part of the submission follows, by what factor a derivative differs from its cost's), never by
reading the submission. tests/test_onelayer.py holds, for each entry a fixture shows, that fixture.
"""
from grader.hints import Catalogue, Mistake

HINTS = Catalogue("onelayer", (
    # ---- forward
    Mistake(
        "softmax_wrong_axis", "softmax normalises columns instead of rows",
        "Here a row is one example, so each row of Y must sum to 1: the exponentials are summed "
        "along axis 1, with the reduced axis kept (keepdims) so that each row is divided by its "
        "own sum. Summing over axis 0 mixes the examples of the batch."),
    Mistake(
        "forward_b1_for_b2", "the output layer adds b1 where b2 belongs",
        "The output layer's scores are Z W2 + b2 (Y = softmax(Z W2 + b2)). Adding b1 only works "
        "while the hidden and output layers happen to have the same number of units (the blog's "
        "3 and 3), and is wrong even then: b2 is never used, so it is never learnt."),
    Mistake(
        "forward_b2_for_b1", "the hidden layer adds b2 where b1 belongs",
        "The hidden layer is Z = sigmoid(X W1 + b1). Adding b2 only works while the hidden "
        "and output layers happen to have the same number of units, and is wrong even then: b1 "
        "is never used, so it is never learnt, and b2 is added in both layers."),
    Mistake(
        "forward_missing_b2", "the output layer has no bias",
        "The output layer's scores are Z W2 + b2: without b2 your network cannot shift the "
        "classes' scores, and derivative_b2 trains a parameter forward ignores."),
    Mistake(
        "forward_returns_only_y", "forward returns Y only",
        "The derivatives need the hidden layer too: return Y, Z (the blog's second version), a "
        "pair, not Y alone."),
    Mistake(
        "forward_pair_swapped", "forward returns (Z, Y), not (Y, Z)",
        "The blog's forward returns the output first, then the hidden layer: `return Y, Z`. The "
        "training loop unpacks `output, hidden = forward(...)`, so in the other order every "
        "derivative gets the hidden layer where the output belongs."),
    # ---- classification_rate
    Mistake(
        "rate_counts_errors", "classification_rate counts the wrong predictions",
        "Count the examples where the prediction equals the label (Y[i] == P[i]); yours is 1 "
        "minus the classification rate."),
    Mistake(
        "rate_is_a_count", "classification_rate returns a count, not a fraction",
        "Divide the number of correct predictions by the number of examples, so that the rate is "
        "between 0 and 1."),
    # ---- cost
    Mistake(
        "cost_without_log", "the cost uses Y instead of log Y",
        "The log-likelihood is sum(T log Y) (the cross-entropy is its negative): the "
        "probabilities go through the logarithm before they are weighed by T and summed."),
    Mistake(
        "log_guarded", "a small constant inside the log",
        "Your cost is the cross-entropy (or the log-likelihood) with a small constant inside the "
        "log, log(Y + eps), or with Y clipped to [eps, 1]: it keeps the log finite, and it is "
        "accepted up to eps = 1e-6. It does make the cost a little different from the "
        "log-likelihood (by about eps / Y per example, or -log(eps) where Y is below eps), which "
        "shows where a label's probability is tiny, as a trained network's can be. "
        "np.log(Y) is finite for any softmax output that has not underflowed to 0.",
        severity="warning"),
    # ---- conventions: a cost and its derivatives must follow one
    Mistake(
        "sign_mix", "a mix of sign conventions",
        "Ascent on the log-likelihood L = sum(T log Y) and descent on the cross-entropy J = -L are "
        "both right, but one submission must follow one of them: a derivative of L has T - Y "
        "where a derivative of J has Y - T. This part uses the other sign "
        "from the rest of your functions, so a training step moves it the wrong way."),
    Mistake(
        "scale_mix", "a mix of scale conventions",
        "Summed over the examples of a batch, or averaged (divided by N): either is right, but the "
        "cost and every derivative must do the same, or one parameter learns N times faster than "
        "the others. This part is scaled differently from the rest of your functions."),
    Mistake(
        "sign_and_scale_mix", "a mix of sign and scale conventions",
        "This part follows neither the sign nor the scale of the rest of your functions: choose "
        "ascent on the log-likelihood or descent on the cross-entropy, summed or averaged over the "
        "examples, and follow that choice in the cost and in all four derivatives."),
    # ---- derivatives
    Mistake(
        "sigmoid_derivative_missing", "the hidden layer's derivative lacks Z * (1 - Z)",
        "The error reaching the hidden layer must also pass back through the sigmoid: the chain "
        "rule multiplies it, entry by entry, by the sigmoid's derivative at the hidden layer, "
        "which is a function of the sigmoid's output Z (d/dx sigmoid(x) = s (1 - s) with "
        "s = sigmoid(x))."),
    Mistake(
        "bias_not_summed", "a bias derivative is not summed over the examples",
        "A bias is shared by every example, so its derivative adds up the examples' "
        "contributions: a sum over the examples' axis, with one entry per unit, like the bias "
        "itself."),
    Mistake(
        "w2_transposed_in_w1", "derivative_w1 multiplies by W2 instead of W2.T",
        "The output error (N x K) goes back to the hidden layer (N x M) through the transpose "
        "of W2 (M x K), the product that maps K numbers back to M. With W2 itself the shapes "
        "only fit when M == K, and the values are wrong even then."),
    Mistake(
        "derivative_transposed", "a weight derivative is transposed",
        "A derivative has the shape of its weights, row for row: derivative_w1 is D x M like W1 "
        "(the inputs' transpose times the hidden layer's error), derivative_w2 is M x K like W2 "
        "(the hidden layer's transpose times the output error), not their transposes. With "
        "square weights the shapes fit either way, so check the order of the factors and where "
        ".T goes (the message says which derivative)."),
    # ---- the training loop built from the functions
    Mistake(
        "training_sign_mix", "a training step moves a parameter the wrong way",
        "The same training step, taken with your functions, moves one parameter against the "
        "others: its derivative follows the other sign convention from your cost and the other "
        "derivatives (see those functions' checks)."),
    Mistake(
        "training_scale_mix", "a training step moves a parameter N times too far or too short",
        "With one learning rate for every parameter, a derivative summed over the examples where "
        "the others are averaged (or the reverse) moves its parameter N times too far (or too "
        "short)."),
    Mistake(
        "training_parameter_frozen", "a training step leaves a parameter unchanged",
        "Its derivative came back as zeros, or forward ignores the parameter (b2 never added), so "
        "training never changes it."),
))
