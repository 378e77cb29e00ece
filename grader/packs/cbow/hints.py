"""The mistakes the CBOW checks recognise, each with what to do about it.

Each entry is raised from what a check measured (which window came first, how a vector sums,
which blocks of a gradient are wrong, by what factor), never by reading the submission.
tests/test_cbow.py holds, for the entries the fixtures show, a fixture that shows it.
"""
from grader.hints import Catalogue, Mistake

HINTS = Catalogue("cbow", (
    # ---- data preparation
    Mistake(
        "windows_off_by_one", "the windows start or stop one word off",
        "A center word needs C words on each side: the first center is the word at index C, "
        "the last one is C words before the end, so there are len(words) - 2C windows. Check "
        "where your loop starts and where it stops, and the ends of both slices: a Python slice "
        "stops before its end index, so the end is one past the last word it takes."),
    Mistake(
        "window_includes_center", "the context includes the center word",
        "The context is the C words before the center and the C words after it: the slice "
        "after the center starts one past the center's index (a slice includes its start). The "
        "center word itself is not part of its context."),
    Mistake(
        "returns_list_not_generator", "returns a list instead of yielding",
        "The notebook builds this function as a generator: `yield` each item as it is made, so the "
        "caller can take them one at a time (next(...)) and nothing is computed before it is asked "
        "for. A list holds the same items but is built all at once.", severity="error"),
    Mistake(
        "one_hot_wrong_index", "the 1 is not at the word's index",
        "The one-hot vector of a word has its single 1 at word2Ind[word], the word's own index, and "
        "zeros everywhere else."),
    Mistake(
        "context_summed_not_averaged", "context vector summed instead of averaged",
        "The context vector is the mean of the context words' one-hot vectors, not their sum, "
        "so its entries add up to 1; yours add up to the number of context words."),
    # ---- activations and loss
    Mistake(
        "relu_abs", "ReLU returns |z| instead of max(z, 0)",
        "ReLU keeps positive values and replaces negative ones by 0; it does not flip their sign."),
    Mistake(
        "relu_leaks_negatives", "ReLU lets negative values through",
        "Every negative entry of z must become 0 in ReLU(z); some of yours stay negative."),
    Mistake(
        "relu_mutates_input", "relu changes its argument in place",
        "Setting the negative entries of z itself to 0 changes the caller's array (here z1, "
        "which forward propagation still needs): work on a copy of z, as the notebook does."),
    Mistake(
        "softmax_wrong_axis", "softmax normalises rows instead of columns",
        "In this notebook a column is one example (z is V x 1, or V x m for m examples): each "
        "column of softmax(z) must sum to 1, so sum over axis=0 (keepdims=True), not axis=1."),
    Mistake(
        "softmax_whole_matrix", "softmax normalises the whole matrix",
        "The notebook's cell divides by np.sum(e_z), the sum of every entry: right for one column, "
        "but with several columns (several examples) each column must be normalised on its own: "
        "a sum per column (over axis 0), with the reduced axis kept (keepdims) so that each "
        "column is divided by its own sum."),
    Mistake(
        "softmax_overflow", "softmax overflows for large inputs",
        "np.exp overflows above about 709 and inf / inf is NaN. Subtracting each column's maximum "
        "first (softmax(z) == softmax(z - c)) keeps every exponent at most 0. The notebook's own "
        "cell does not do this, so it costs no points here.", severity="warning"),
    Mistake(
        "softmax_denominator_guarded", "a small constant in softmax's denominator",
        "Your softmax divides by np.sum(e_z) plus a small constant eps: it keeps the division "
        "finite, and it is accepted. It does make each column sum to a little less than 1 (by "
        "about eps / np.sum(e_z)). The sum is never 0 once the column's maximum is subtracted "
        "(its largest exponent is exp(0) = 1), so the constant is not needed.", severity="warning"),
    Mistake(
        "loss_log_guarded", "a small constant inside the loss's log",
        "Your loss is the cross-entropy with a small constant inside the log, "
        "-log(yhat + eps): it keeps the log finite, and it is accepted. It does make the loss a "
        "little smaller (by about eps / yhat of the target), which the comparison with the "
        "reference's loss sees; np.log(yhat) is finite for any softmax output that has not "
        "underflowed.", severity="warning"),
    Mistake(
        "cross_entropy_sign", "the loss has the wrong sign",
        "J = -sum_k y_k log(yhat_k): log of a probability is negative, so the minus sign makes "
        "the loss positive. Yours is the negative of the loss."),
    Mistake(
        "cross_entropy_averaged", "the loss is averaged over the V entries",
        "The loss is the sum over the V entries of -y * log(yhat): np.sum, not np.mean. The mean "
        "divides it by V, the size of the vocabulary, so yours is the loss divided by V (only one "
        "entry of a one-hot y is nonzero: there is nothing to average)."),
    Mistake(
        "cross_entropy_not_summed", "the loss is not summed to one number",
        "The loss of one example is a single number, the sum over the V entries of "
        "-y * log(yhat): np.sum(...) of the elementwise product."),
    # ---- forward propagation
    Mistake(
        "output_from_z1", "z2 is computed from z1 instead of h",
        "The output layer takes the hidden layer after ReLU: z2 = W2 h + b2, with h = ReLU(z1). "
        "Yours uses z1 itself, which differs from h wherever z1 is negative."),
    Mistake(
        "softmax_on_output", "forward_prop returns softmax(z2), not z2",
        "forward_prop stops at the scores: z2 = W2 h + b2. The notebook applies softmax to z2 "
        "afterwards, outside forward_prop (yhat = softmax(z2)), and its cost and back_prop expect "
        "z2 itself."),
    Mistake(
        "relu_on_output", "ReLU applied to the output layer",
        "Only the hidden layer goes through ReLU: z2 = W2 h + b2 is returned as it is (softmax "
        "turns it into yhat afterwards)."),
    Mistake(
        "forward_no_relu", "the hidden layer skips ReLU",
        "h = ReLU(z1): the hidden values are z1 with its negative entries set to 0, and z2 is "
        "computed from h, not from z1."),
    # ---- backpropagation
    Mistake(
        "true_gradient_in_course_mode", "back_prop returns the derivative of the loss",
        "Your W1 and b1 gradients mask W2^T (yhat - y) by z1 > 0, which is the true derivative of "
        "the loss; the notebook's formulas (7) and (9) pass it through ReLU instead. Both are "
        "accepted in the course's mode: that choice itself costs no points.", severity="warning"),
    Mistake(
        "relu_and_mask", "W1 and b1 pass W2^T (yhat - y) through ReLU and mask it by z1 > 0",
        "That is neither formula: the notebook's (7) and (9) take ReLU(W2^T (yhat - y)), and the "
        "derivative of the loss takes (W2^T (yhat - y)) * (z1 > 0). Both at once zero every entry "
        "the derivative has below zero. Keep one of the two (the course accepts either)."),
    Mistake(
        "course_formula_in_exact_mode", "b1 and W1 follow the notebook's formula, not the derivative",
        "ReLU(W2^T (yhat - y)) is not the derivative of the loss with respect to b1: ReLU is "
        "applied to the error coming back, where the chain rule through h = ReLU(z1) asks for "
        "ReLU's derivative at the hidden unit's own pre-activation z1 (1 where the unit is on, "
        "0 where it is off), as a factor, entry by entry. The two differ wherever the error "
        "coming back is negative at a unit that is on, or positive at one that is off. dJ/dW1 "
        "follows from dJ/db1 as dJ/dW2 follows from dJ/db2."),
    Mistake(
        "gradient_transposed", "a gradient block is transposed",
        "A gradient has the shape of its parameter: dJ/dW2 = (yhat - y) h^T is V x N like W2, "
        "dJ/dW1 is N x V like W1. Check the order of the product's factors and where .T goes."),
    Mistake(
        "gradient_blocks_swapped", "gradients returned in the wrong order",
        "back_prop returns (grad_W1, grad_W2, grad_b1, grad_b2), in the order of the parameters "
        "W1, W2, b1, b2."),
    Mistake(
        "gradient_sign", "a gradient has the wrong sign",
        "The output error is yhat - y (prediction minus target), not y - yhat."),
    # ---- gradient descent
    Mistake(
        "descent_ascends", "the step goes up the gradient",
        "Gradient descent subtracts: W := W - alpha * dJ/dW. Adding alpha times the gradient "
        "climbs the loss."),
    Mistake(
        "alpha_not_everywhere", "alpha is not applied to every parameter",
        "Every parameter moves by alpha times its own gradient, W1, W2, b1 and b2 alike."),
    Mistake(
        "alpha_not_the_argument", "the step uses another alpha than the one it was given",
        "Your step is W - a * dJ/dW with one fixed a for every call, not the alpha passed in: the "
        "body reads a global (the notebook's alpha = 0.03) or a number written into it. Use the "
        "function's own parameter alpha, so the caller's learning rate is the one applied."),
    Mistake(
        "results_reordered", "the results come back in another order",
        "The caller unpacks the result by position (W1, W2, b1, b2 = gradient_descent_step(...) "
        "in the notebook's training loop), so each item must be at its place in the order the "
        "notebook's function returns them, whatever its shape."),
    Mistake(
        "descent_mutates_input", "the step changes the parameters in place",
        "W1 -= alpha * grad_W1 changes the caller's array: compute each new parameter as a new "
        "array (an expression, not an in-place update of the argument) and return those.",
        severity="warning"),
))
