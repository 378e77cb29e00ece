"""The mistakes the CS224n assignment 1 checks recognise, each with what to do about it.

Each entry is triggered by what a check measured (values, ratios, which rows or blocks are wrong,
how many indices were drawn), never by reading the submission. tests/test_mistakes.py holds, for
every entry, a fixture submission that shows the mistake.
"""
import numpy as np

from grader.hints import Catalogue, Mistake

HINTS = Catalogue("cs224n-a1", (
    # ---- softmax
    Mistake(
        "softmax_wrong_axis", "softmax normalises columns instead of rows",
        "The columns of your result sum to 1, not the rows: softmax must normalise each row (sum "
        "and max over axis=1, or axis=-1, with keepdims=True), not each column."),
    Mistake(
        "softmax_one_column", "softmax normalises a one-column input down its column",
        "An input of shape (M, 1) is M rows of one entry each, so each row's softmax is exactly "
        "1; your result normalises the column as if it were one row. Working over axis 0, or "
        "over the whole array, does this, and so does np.squeeze(x) (or ravel), which makes the "
        "column a vector: keep x two-dimensional and work along axis=-1 with keepdims=True."),
    Mistake(
        "softmax_overflow", "softmax overflows for large inputs",
        "np.exp overflows for inputs around 710 and above, and inf / inf is NaN. Subtract each "
        "row's maximum before exponentiating: softmax(x) == softmax(x - c) for any constant c per "
        "row, so the result is unchanged and the largest exponent is 0."),
    Mistake(
        "softmax_zero_by_zero", "softmax divides 0 by 0 where exp cannot underflow",
        "A row came back NaN on inputs too small for exp to overflow or to underflow, whatever "
        "is subtracted from them: something divided 0 by 0 before or after exp. Dividing the "
        "row by its maximum (0 for a row of zeros) instead of subtracting it does this. Subtract "
        "each row's maximum, and divide only by the sum of the exponentials."),
    Mistake(
        "softmax_underflow", "softmax's exponents all underflow to 0 in a row",
        "A row came back NaN although none of its inputs is large enough to overflow exp: every "
        "exp of that row was 0 (exp underflows to 0 below about -745), and 0 / 0 is NaN. "
        "Subtracting something other than the row's own maximum does this: nothing, on very "
        "negative rows, or the row's minimum or largest absolute value. Subtract each row's "
        "maximum: then the largest exponent of every row is 0 and the row's sum is at least 1."),
    Mistake(
        "softmax_global_max", "softmax subtracts the whole matrix's maximum",
        "The rows that hold the matrix's largest entry are right, and the rows far below it are "
        "NaN: you subtract one maximum for the whole matrix (np.max(x)) rather than each row's "
        "own. In a row whose entries are all far below that maximum every exp(x - max) "
        "underflows to 0, and 0 / 0 is NaN. Subtract each row's own maximum: a maximum taken "
        "along each row, not over the whole array, with the reduced axis kept (keepdims) so "
        "that it lines up with its row."),
    Mistake(
        "softmax_column_max", "softmax subtracts each column's maximum",
        "Your result is what subtracting each column's maximum gives (np.max(x, axis=0)): a "
        "softmax over a row is unchanged by one constant taken off the whole row, not by a "
        "different one taken off each column, so the values are wrong (and a row far below its "
        "columns' maxima underflows to 0 / 0). A vector has only that one axis, so vectors come "
        "out right. Take the maximum along each row (the last axis) instead, with the reduced "
        "axis kept (keepdims) so that it lines up with its row."),
    Mistake(
        "softmax_max_without_keepdims", "the row maxima are subtracted along the wrong axis",
        "Your result is what subtracting row j's maximum from column j gives: np.max(x, axis=1) "
        "without keepdims=True has shape (M,), which broadcasts along the columns, not the rows. "
        "On a square matrix this runs and gives wrong values (or overflows); on another shape it "
        "raises a broadcasting error. Keep the reduced axis (keepdims): the maxima then form a "
        "column of shape (M, 1), and a column broadcasts along each row."),
    Mistake(
        "softmax_sum_without_keepdims", "the row sums divide along the wrong axis",
        "Your result is each row's exponentials divided by the sums of the rows taken in column "
        "order: np.sum(e, axis=1) without keepdims=True has shape (M,), which broadcasts along "
        "the columns, so entry (i, j) is divided by row j's sum. On a square matrix this runs and "
        "gives wrong values; on another shape it raises a broadcasting error. Keep the reduced "
        "axis (keepdims): the sums then form a column of shape (M, 1), and a column divides "
        "each row by its own entry."),
    Mistake(
        "softmax_no_keepdims", "the row maxima and the row sums both broadcast along the wrong axis",
        "Your result is what np.max(x, axis=1) and np.sum(e, axis=1) without keepdims=True give: "
        "each has shape (M,), which broadcasts along the columns, so row j's maximum comes off "
        "column j and entry (i, j) is divided by row j's sum. On a square matrix this runs and "
        "gives wrong values (large inputs then overflow, although you do subtract a maximum); on "
        "another shape it raises a broadcasting error. Keep the reduced axis in both (keepdims): "
        "the maxima and the sums then form columns of shape (M, 1), and a column broadcasts "
        "along each row."),
    Mistake(
        "softmax_mutates_input", "softmax changes its input in place",
        "The 2017 handout allows this, so changing the input costs no points, but callers rarely "
        "expect their array to change: prefer returning a new array (x = x - ... instead of "
        "x -= ...). An integer input (the handout's own tests pass np.array([1, 2])) cannot hold "
        "exp's or a division's results in place: a check that fails on one says so.",
        severity="warning"),
    # ---- sigmoid and sigmoid_grad
    Mistake(
        "sigmoid_overflow", "sigmoid returns NaN for large inputs",
        "exp(1000) overflows to inf, and inf / inf is NaN: write the formula so that an overflow "
        "cannot reach a division, e.g. 1 / (1 + np.exp(-x)), where exp(-x) = inf just gives 0."),
    Mistake(
        "input_mutated", "the input array is changed in place",
        "Your function changed the array it was given; the caller still needs it. Compute into a "
        "new array: no `x *= ...`, `x -= ...` or `out=x` on the argument."),
    Mistake(
        "sigmoid_grad_from_x", "sigmoid_grad is given x instead of s = sigmoid(x)",
        "sigmoid_grad receives s = sigmoid(x), the sigmoid's output, not x: write the derivative "
        "(question 2(a)) in terms of s alone. Calling sigmoid on s applies the sigmoid twice."),
    Mistake(
        "sigmoid_grad_sign", "sigmoid_grad returns minus the derivative",
        "Your sigmoid_grad is minus the derivative: the sigmoid only increases, so its "
        "derivative is positive for every s in (0, 1). A minus sign carried over from the "
        "cross-entropy's derivative, or from d/dx of 1 / (1 + e^-x) written out, belongs "
        "elsewhere."),
    Mistake(
        "sigmoid_grad_tanh", "sigmoid_grad is tanh's derivative",
        "Your sigmoid_grad is 1 - s**2, the derivative of tanh written in terms of tanh's output. "
        "The sigmoid's derivative in terms of its own output is another expression: derive it "
        "from sigmoid(x) = 1 / (1 + e^-x) (question 2(a))."),
    # ---- forward_backward_prop
    Mistake(
        "grad_summed_cost_averaged", "cost averaged but gradient summed",
        "Your gradient (each block named with this mistake) is M times the derivative of your "
        "own cost (M = the number of examples): the cost is averaged over the examples but the "
        "gradient is summed. Either convention is accepted; use the same one for the cost and "
        "every block."),
    Mistake(
        "grad_averaged_cost_summed", "cost summed but gradient averaged",
        "Your gradient (each block named with this mistake) is 1/M of the derivative of your own "
        "cost (M = the number of examples): the cost is summed but the gradient is averaged. "
        "Either convention is accepted; use the same one for the cost and every block."),
    Mistake(
        "grad_averaged_twice", "gradient divided by M twice",
        "Your gradient is 1/M of the derivative of your own cost (M = the number of examples), and "
        "your cost is already averaged over the examples: the gradient is divided by M once too "
        "often (for example the error divided by M and then averaged again with np.mean or "
        "another / M). Divide by M once, where the cost is averaged."),
    Mistake(
        "gradient_negated", "a gradient has the wrong sign",
        "Every entry of the gradient the failed check names is the negative of the expected "
        "one: the right size, the wrong sign. The derivative of the cost points uphill, and "
        "training steps against it. Look for an error term written backwards (labels - y_hat "
        "instead of y_hat - labels, 1 - sigmoid(x) where sigmoid(x) - 1 is right) or a -= where "
        "+= belongs."),
    Mistake(
        "gradient_scaled", "a gradient is off by a constant factor",
        "Every entry of the gradient the failed check names is the expected one times the same "
        "constant (its message says which): the formula is right up to that factor. A factor "
        "of 2 usually comes from a term counted twice or from differentiating a square the cost "
        "does not have (d/dx of x^2 / 2 is x, not 2x); a factor of 1/2 from the derivative of "
        "x^2 written as x. A factor of M, the number of examples, is the summed/averaged "
        "convention and is named as such."),
    Mistake(
        "averaged_over_negatives", "averaged over the negatives",
        "The handout's cost sums over the K negatives: -log sigmoid(u_o . v) - sum over k of "
        "log sigmoid(-u_k . v), and the gradients are its derivatives. A mean (dividing by K, "
        "or by K + 1 over every term) is another cost, and every gradient scales with it. There "
        "is no batch here to average over, unlike forward_backward_prop's M examples: keep "
        "the sum."),
    Mistake(
        "cost_scaled", "the cost is off by a constant factor, the gradient is right",
        "Your gradient is the correct one, but your cost is the cross-entropy times a constant "
        "(the message says which), so the numerical gradient of your own cost is that constant "
        "times your gradient. Fix the cost: -sum of log(y_hat) at each example's label, summed "
        "(or averaged) over the examples."),
    Mistake(
        "output_sigmoid", "the output layer is a sigmoid, not a softmax",
        "Your cost is the cross-entropy of sigmoid(z2) at each example's label, where the "
        "network's output is softmax(z2): y_hat must be a distribution over the Dy classes "
        "(each row non-negative, summing to 1), which only the softmax gives. Use your softmax "
        "for the output layer and keep the sigmoid for the hidden layer."),
    Mistake(
        "grad_blocks_out_of_order", "gradient blocks stacked in the wrong order",
        "Your gradient holds the right numbers in the wrong order. The flat gradient must follow "
        "the order params is unpacked in: W1, b1, W2, b2."),
    Mistake(
        "grad_block_transposed", "a weight gradient transposed",
        "A block of your gradient holds the transpose of the right one. The product taken the "
        "other way round, delta transposed times the layer's input, is laid out outputs x "
        "inputs: flattened, its numbers land in the wrong places of the flat gradient. On a "
        "square layer (as many inputs as outputs: Dx == H for W1, H == Dy for W2) it even has "
        "W's shape, and transposing only when the shape does not fit hides it everywhere else. "
        "A weight gradient sums, over the examples, each example's layer input times its "
        "delta, laid out like W itself (inputs x outputs): look at which factor of the product "
        "carries the transpose, and let W's layout, not the shape that happens to fit, tell "
        "you."),
    Mistake(
        "bias_grad_not_summed", "bias gradient not summed over the batch",
        "The weights' gradient is right but the bias's is not: a bias is added to every one of the "
        "M examples, so its gradient sums the upstream gradient over the batch: over the axis "
        "that runs along the examples, leaving one number per unit, as the bias has."),
    Mistake(
        "sigmoid_backprop_wrong", "backpropagation through the sigmoid is wrong",
        "W2 and b2 are right, W1 and b1 are not: the error goes wrong on its way back through the "
        "hidden layer. It must be multiplied by the sigmoid's derivative at the hidden layer, "
        "which sigmoid_grad computes from the hidden activations h = sigmoid(z1) (not from the "
        "pre-activations z1)."),
    Mistake(
        "log_guarded", "a small constant inside the log",
        "Your cost is the cross-entropy with a small constant inside the log, log(y_hat + eps), "
        "or with y_hat clipped to [eps, 1 - eps]: it keeps the log finite, and it is accepted, "
        "since your gradient is the cross-entropy's own. It does make the cost a little smaller "
        "than the cross-entropy (by about eps / y_hat per example, or down to -log(eps) where "
        "y_hat is below eps), so a gradient check with a strict "
        "tolerance sees your gradient differ from the derivative of your cost. Without eps both "
        "agree exactly; np.log(y_hat) is finite for any softmax output that has not underflowed.",
        severity="warning"),
    Mistake(
        "cost_is_an_array", "the cost is a numpy array holding one number, not a number",
        "Your function returns the cost as an array of one number, of shape (1,) or (1, 1) "
        "(np.sum(..., keepdims=True), or a product of a row and a column). The grader reads the "
        "number in it, so it costs no points, but since NumPy 2 an array of more than 0 dimensions is no "
        "number to Python: float(cost) and '%f' % cost raise TypeError, and numgrad[ix] = cost "
        "raises ValueError, so the handout's own gradcheck_naive and sgd's progress line fail on "
        "it. Return a number: cost.item(), or float(...).",
        severity="warning"),
    Mistake(
        "gradient_by_finite_differences", "the gradient is not computed by backpropagation",
        "On a large input (a network of many parameters, word vectors of many dimensions) your "
        "function did not answer in time, or its gradient was wrong there, though it is right on "
        "the small ones: a gradient computed by finite differences of the cost (one or two "
        "evaluations of the cost per parameter, as gradcheck_naive does to check a gradient) is "
        "right but costs time in proportion to the number of parameters. The assignment asks "
        "for the gradient by backpropagation: from one forward and one backward pass, in matrix "
        "products. (No finite differences in your code? Then look for a Python loop or list "
        "comprehension over the entries of an array, where one numpy operation on the whole "
        "array belongs: on thousands of entries it is as slow.)"),
    Mistake(
        "params_views_mutated", "params changed in place through W1, b1, W2 or b2",
        "W1, b1, W2 and b2 are views into params (np.reshape shares memory), so an in-place update "
        "of them (W2 -= ..., W1 *= ...) changes the caller's params: work on copies."),
    # ---- negSamplingCostAndGradient
    Mistake(
        "target_among_negatives", "the target is counted among the negatives",
        "Your cost also counts the target as a negative sample: the negative terms run over "
        "indices[1:] (the K sampled words), not over all of indices."),
    Mistake(
        "negatives_off_by_one", "the negatives are read one place too early",
        "Your cost counts the target as the first negative and never uses the last negative "
        "drawn: with indices = [target] + negatives, the loop over the K negatives reads "
        "indices[k] where it should read indices[k + 1] (or indices[:-1] for indices[1:])."),
    Mistake(
        "repeated_negatives_overwritten", "a negative drawn twice counts once",
        "A negative's row of grad keeps only one of its updates: either an assignment in a "
        "loop (`grad[k] = ...` where it should be `grad[k] += ...`), or `grad[indices] += ...` "
        "with repeated indices, which numpy applies once per distinct index: fancy-index `+=` "
        "is buffered, so a repeated index keeps only its last update. Add every update to its "
        "row: `+=` on one row at a time in a loop accumulates, and numpy's unbuffered ufunc "
        "method np.add.at adds once per occurrence of an index."),
    Mistake(
        "negatives_drawn_twice", "the negatives are drawn twice",
        "Your function drew twice as many indices from the dataset as K negatives need: it samples "
        "the negatives a second time (a second getNegativeSamples call, say for the gradients, or "
        "a loop of its own over dataset.sampleTokenIdx() beside the indices it was given) and "
        "uses the second set where the first belongs. Draw them once: getNegativeSamples(target, "
        "dataset, K) gives them, and that one list serves the cost and both gradients."),
    Mistake(
        "state_between_calls", "the answer depends on the calls before it",
        "Asked the same thing twice in a row, your function answered differently the second time: "
        "it keeps something from one call to the next, such as a gradient array kept at module "
        "level (reused while the shapes match) and added into without being zeroed, a cache, or a "
        "counter. In training every call has the same shapes, so each gradient would carry the "
        "ones before it. Make each call start from new arrays (np.zeros inside the function)."),
    Mistake(
        "negatives_made_distinct", "the negatives are re-drawn until they all differ",
        "Your function keeps drawing until its K negatives are all different words. Negative "
        "samples are drawn with replacement: a word drawn twice is a negative twice, and counts "
        "twice in the cost and in its row of grad (getNegativeSamples keeps every draw that is "
        "not the target). Over a small vocabulary there may be fewer than K different words, and "
        "such a loop never ends. Keep every draw."),
    Mistake(
        "repeated_negatives_dropped", "a negative drawn twice counts once, in the cost too",
        "Your cost and gradients count a negative drawn more than once only once: the K draws "
        "are not a set. Keep every draw (no np.unique or set() on the indices): each one adds its "
        "own term to the cost and its own update to its row of grad."),
    Mistake(
        "target_not_redrawn", "the target is not re-drawn when sampled",
        "You drew exactly K indices and kept the target among them: re-draw while the index equals "
        "the target, as the provided getNegativeSamples(target, dataset, K) does."),
    Mistake(
        "target_compared_by_identity", "the target is re-drawn only when its index is small",
        "You re-draw the target when its index is small and keep it among the negatives when it "
        "is large: the indices are compared with `is` (or `is not`), which asks whether they are "
        "the same object. Python keeps one object for each small int (-5 to 256), so `is` happens "
        "to work there; a vocabulary has thousands of words. Compare indices with `==` and `!=`."),
    Mistake(
        "gradpred_target_term", "gradPred's target term is wrong",
        "Your gradPred is off by a multiple of u_o, the target's output vector: the term in u_o is "
        "wrong. Differentiate the target's term, -log sigmoid(u_o . v), with respect to v by the "
        "chain rule (d/dx log sigmoid(x) = 1 - sigmoid(x)); check its sign, and that the "
        "target is not also counted as a negative."),
    Mistake(
        "gradpred_negatives_term", "gradPred's negatives' term has the wrong sign",
        "Your gradPred is the expected one with its negatives' term, the sum over the negatives "
        "of sigmoid(u_k . v) u_k, subtracted where it is added: the term of the target is right. "
        "Differentiate -log sigmoid(-u_k . v) with respect to v by the chain rule (d/dx log "
        "sigmoid(x) = 1 - sigmoid(x), and the inner -u_k . v brings its own minus): it is "
        "(1 - sigmoid(-u_k . v)) u_k = sigmoid(u_k . v) u_k, with a plus."),
    # One mistake, not three: the cost's, gradPred's and grad's sign hints each named a third of
    # it, and the cost's eleven failures never said it was exactly negated (probe s62, r31).
    Mistake(
        "objective_negated", "the cost and both gradients have the wrong sign",
        "Your cost, gradPred and grad are each exactly the negative of the handout's: you compute "
        "the log-likelihood, log sigmoid(u_o . v) + sum of log sigmoid(-u_k . v), and its "
        "gradients, where the cost is its negative (the negative log-likelihood, which training "
        "minimises). One sign is wrong, not three: negate the cost, and both gradients follow."),
    Mistake(
        "gradpred_negated", "gradPred has the wrong sign",
        "Your gradPred is exactly the negative of the derivative of the cost: the gradient of "
        "-log sigmoid(x) is (sigmoid(x) - 1), not (1 - sigmoid(x)). Check the sign of every term."),
    Mistake(
        "first_negative_only", "only the first negative sample is used",
        "Your cost matches using only the first negative sample; all K negatives count, in the "
        "cost and in the gradients."),
    Mistake(
        "k_not_honoured", "the number of negatives drawn is not K",
        "Use the K you are given: getNegativeSamples(target, dataset, K) draws exactly K negatives "
        "(plus a re-draw whenever the target comes up)."),
    # Not k_not_honoured: such code draws exactly K, and "the number drawn is not K" was said to
    # a loop whose K_is_honoured checks all passed (probe s61: `i -= 1; continue` in a for loop).
    Mistake(
        "target_offers_dropped", "fewer than K negatives: the target's offers are dropped",
        "When dataset.sampleTokenIdx() offers the target, that offer is no negative, and another "
        "index must be drawn in its place, so that K negatives are used (getNegativeSamples("
        "target, dataset, K) draws again). Skipping the offer leaves one negative fewer for each "
        "time the target comes up: a `continue`, or `i -= 1` inside a `for` loop (which does not "
        "repeat the iteration), does not draw again."),
    Mistake(
        "negatives_not_from_dataset", "the negatives are not drawn from dataset",
        "Your function drew nothing from dataset.sampleTokenIdx(): the negatives must be the "
        "dataset's (getNegativeSamples(target, dataset, K) draws them), not np.random's or "
        "random's, which draw other words than the ones training samples by frequency."),
    Mistake(
        "output_vectors_mutated", "outputVectors changed in place",
        "outputVectors[target] and outputVectors[indices] give you rows to read; an in-place update "
        "of a row view (u_o *= ..., gradPred = u_o; gradPred += ...) changes the caller's "
        "outputVectors. Start from a new array (e.g. np.zeros or a product) instead."),
    Mistake(
        "log_one_minus_sigmoid", "the cost takes log(0) for large scores",
        "A cost of +inf with finite gradients is a log of exactly 0. log(1 - sigmoid(x)) becomes "
        "log(0) once sigmoid(x) rounds to 1 (x above about 37); log(sigmoid(-x)) is the same "
        "number and stays finite, as long as the sigmoid itself never returns exactly 0: "
        "1 / (1 + np.exp(-x)) does not until x is below about -745, but 0.5 * (1 + np.tanh(x / 2)) "
        "does below about -19.",
        severity="warning"),
    Mistake(
        "w2v_log_guarded", "a small constant inside the logs",
        "Your cost has a small constant inside its logs, log(sigmoid(x) + eps): it keeps the "
        "logs finite, and it is accepted, since your gradients are the handout's own. It does "
        "make the cost a little smaller (by about eps / sigmoid(x) per term), which shows where "
        "a score is large and its sigmoid tiny, and a gradient check with a strict tolerance "
        "sees your gradients differ from the derivative of your cost. -log(sigmoid(x)) is "
        "np.logaddexp(0, -x), exact and finite for every score, with no eps.",
        severity="warning"),
))


def flag_array_cost(report, cost: object) -> None:
    """Warn (no points) about a cost returned as an array of one number: the checks read the
    number in it, and NumPy 2 refuses it as a number (the handout's gradcheck_naive raises).
    Asked of one answer a grade, by a check that reads it as it came (no drawn example)."""
    if isinstance(cost, np.ndarray) and cost.ndim > 0:
        report.flag(HINTS["cost_is_an_array"], {"cost_shape": list(cost.shape)})


def constant_factor(what: str, ratio: float, compared: str) -> tuple[Mistake, str, dict]:
    """(mistake, sentence, facts) for a gradient that is `ratio` times what it is compared with,
    entry by entry (grader.conventions.constant_ratio measured it; a factor of M is the batch
    convention and is named before this is asked)."""
    from grader.conventions import describe_ratio
    sentence = (f"{what} is {describe_ratio(ratio)} {compared}, entry by entry (a constant factor "
                f"of {ratio:g}).")
    mistake = HINTS["gradient_negated" if ratio == -1.0 else "gradient_scaled"]
    return mistake, sentence, {"ratio_to_expected": ratio}
