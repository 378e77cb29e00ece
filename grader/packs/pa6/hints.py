"""The mistakes the PA6 checks recognise, each with what to do about it.

Each entry is raised from what a check measured (the shape of a result, which rows sum to 1, by
what factor a gradient block differs from the derivative, which way a training step moved), never
by reading the submission. tests/test_pa6.py holds, for most entries, a fixture that shows it.
"""
from grader.hints import Catalogue, Mistake

HINTS = Catalogue("pa6", (
    # ---- arrays changed in place (no points: warned)
    Mistake(
        "softmax_changes_its_input", "softmax changes its input in place",
        "It costs no points here, but the caller's scores are no longer what it passed: return a "
        "new array (z = z - ... instead of z -= ..., no out= on the argument).",
        severity="warning"),
    Mistake(
        "loss_changes_its_input", "cross_entropy_loss changes yhat or y in place",
        "It costs no points here, but a backward pass that computes the loss from yhat and then "
        "yhat - y meets the changed yhat: compute into a new array (no -=, *= or out= on an "
        "argument).",
        severity="warning"),
    Mistake(
        "loss_log_guarded", "a small constant inside the log of the loss",
        "Your loss is the cross-entropy with a small constant inside the log, log(yhat + eps), or "
        "with yhat clipped to [eps, 1 - eps]: it keeps the log finite, and it is accepted for any "
        "eps up to 1e-6. It does make the loss smaller than the cross-entropy, by about eps / yhat "
        "per example, or down to -log(eps) where yhat is below eps (a network confidently wrong). "
        "None is needed: the log of a softmax output is finite unless it underflowed to 0.",
        severity="warning"),
    # ---- embedding_lookup
    Mistake(
        "embedding_stacked", "the embeddings are stacked, not concatenated",
        "x = [E_w1, ..., E_wm] is one long row of m*d numbers per example: yours keeps the m "
        "embeddings of an example as m rows of d, shape (B, m, d). x has shape (B, m*d), row b "
        "holding the m embeddings one after the other (a reshape that keeps each example's "
        "numbers together does it)."),
    Mistake(
        "embedding_wrong_order", "the embeddings are interleaved, not one after the other",
        "Row b of x must be E[ids[b, 0]] followed by E[ids[b, 1]] and so on: the first d numbers "
        "are the first feature's embedding. Yours mixes the features' coordinates (a transpose "
        "before the reshape?)."),
    Mistake(
        "embedding_first_example_only", "every row of x is the first example's embeddings",
        "Row b of x is the lookup of ids[b], example b's own features: E[ids[b, 0]], ..., "
        "E[ids[b, m-1]]. Yours repeats the lookup of ids[0] in every row: a loop over the "
        "examples that reads ids[0] where its own row (ids[b], or the loop's variable) belongs."),
    Mistake(
        "embedding_summed", "the embeddings are added up, not concatenated",
        "A bag of words averages or sums its embeddings; the parser keeps every feature's "
        "embedding in its own place: x has m*d columns, not d."),
    # ---- relu and its derivative
    Mistake(
        "relu_abs", "ReLU returns |z| instead of max(z, 0)",
        "ReLU keeps positive values and replaces negative ones by 0; it does not flip their sign."),
    Mistake(
        "relu_leaks_negatives", "ReLU lets negative values through",
        "Every negative entry of z must become 0 in relu(z); some of yours stay negative."),
    Mistake(
        "relu_mutates_input", "relu changes its argument in place",
        "Setting the negative entries of z itself to 0 changes the caller's array, which "
        "backpropagation still needs (the pre-activation decides where the gradient flows). "
        "Return a new array: numpy's elementwise operations make one, or work on a copy."),
    Mistake(
        "relu_grad_one_at_zero", "relu_grad is 1 at z == 0",
        "ReLU has no derivative at 0; this course takes 0 there (the function is flat on the "
        "left): relu_grad(z) is (z > 0), not (z >= 0). An exact 0 is common: a unit whose inputs "
        "are all 0, or a ReLU output fed back in."),
    Mistake(
        "relu_grad_half_at_zero", "relu_grad is 0.5 at z == 0",
        "0.5 is halfway between the slopes on either side of the kink, but this course takes 0 "
        "there (the function is flat on the left): relu_grad(z) is (z > 0), with nothing added "
        "where z == 0. An exact 0 is common: a unit whose inputs are all 0, or a ReLU output fed "
        "back in."),
    Mistake(
        "relu_grad_threshold", "relu_grad is 0 for the smallest positive z",
        "ReLU's slope is 1 for every z > 0, however small: compare with 0 itself, (z > 0), not "
        "with a tolerance (z > 1e-12) or after rounding. A tiny positive pre-activation is a unit "
        "that is on, and its gradient must flow."),
    Mistake(
        "relu_grad_sign", "relu_grad is -1 for negative z",
        "np.sign(z) is the slope of |z|, not of ReLU: max(z, 0) is flat for z < 0, so its "
        "derivative there is 0, not -1."),
    Mistake(
        "relu_grad_is_relu", "relu_grad returns ReLU's values, not its slope",
        "The derivative of max(z, 0) is 1 where z > 0 and 0 elsewhere, whatever the size of z: "
        "a slope, 1.0 or 0.0, not the value of ReLU itself."),
    # ---- softmax
    Mistake(
        "softmax_wrong_axis", "softmax normalises columns instead of rows",
        "Rows are examples here: each row of softmax(z) must sum to 1, so take the max and the sum "
        "over axis=1 with keepdims=True, not axis=0."),
    Mistake(
        "softmax_whole_matrix", "softmax normalises the whole matrix",
        "np.sum(e) adds every entry of the batch: right for one example, but with B examples each "
        "row must be normalised on its own: a sum per row (over axis 1), with the reduced axis "
        "kept (keepdims) so that each row is divided by its own sum."),
    Mistake(
        "softmax_overflow", "softmax overflows for large inputs",
        "np.exp overflows above about 709 and inf / inf is NaN. softmax(z) == softmax(z - c) for "
        "any c per row, so subtract each row's maximum first: every exponent is then at most 0."),
    Mistake(
        "softmax_batch_max", "softmax subtracts the whole batch's maximum, not each row's",
        "np.max(z) is the largest score of the whole batch: a row whose scores all lie far below "
        "it has exp(z - max) = 0 everywhere, and 0 / 0 is NaN. Each row is its own example: "
        "subtract its own maximum, taken along the row, with the reduced axis kept (keepdims) "
        "so that it lines up with its row."),
    # ---- forward
    Mistake(
        "weights_transposed", "a weight matrix is used transposed (the order of multiplication)",
        "With rows as examples a layer is h @ W + b, W of shape (inputs, outputs): no transposes "
        "are needed (the slides: 'note the order of multiplication!'). A product with W "
        "transposed, on either side, only runs when W is square, and then computes something "
        "else."),
    Mistake(
        "relu_on_output", "ReLU applied before the softmax",
        "Only the hidden layers go through ReLU: yhat = softmax(h2 @ U + b3), with the scores as "
        "they are; ReLU would set every negative score to 0 first."),
    Mistake(
        "forward_no_relu", "a hidden layer skips ReLU",
        "h1 = relu(x @ W1 + b1) and h2 = relu(h1 @ W2 + b2): both hidden layers return their "
        "pre-activations with the negative entries set to 0."),
    # ---- the loss
    Mistake(
        "loss_summed", "the loss is summed over the examples, not averaged",
        "The slides average J over the training examples: -np.sum(y * np.log(yhat)) / B, with B "
        "the number of rows. Yours is B times that."),
    Mistake(
        "loss_mean_over_entries", "the loss is divided by the number of entries, not of examples",
        "np.mean(-y * np.log(yhat)) divides by B*K, every entry of the batch; the average is over "
        "the B examples only: np.sum(...) / B."),
    Mistake(
        "loss_wrong_sign", "the loss has the wrong sign",
        "J = -sum y log yhat: log of a probability is negative, so the minus sign makes the loss "
        "positive."),
    # ---- backward
    Mistake(
        "gradient_scale_mix", "the gradient blocks mix the summed and the averaged convention",
        "Either convention is right (the slides average the loss; PA6 sums the examples' "
        "gradients), but every block must follow the same one: divide all of them by B, or none. "
        "Look for the one delta (or bias sum) divided by the batch size where the others are not."),
    Mistake(
        "gradient_scaled", "the gradient is off by a constant factor",
        "Every wrong block is the right gradient times the same constant (the message says "
        "which), on top of the summed or averaged convention: the formula is right up to that "
        "factor. Divide by the batch size B once (the averaged loss) or not at all (PA6's summed "
        "gradient), and by nothing else: a factor of 1/K, K the number of classes, comes from "
        "averaging over every entry of yhat - y (np.mean over both axes) instead of over the "
        "examples."),
    Mistake(
        "bias_grad_not_summed", "a bias gradient is not summed over the examples",
        "A bias is shared by every example, so its gradient adds up the examples' deltas: a sum "
        "over the examples' axis, of shape (H,) like the bias, not one row per example."),
    Mistake(
        "bias_grad_keeps_axis", "a bias gradient keeps the summed axis",
        "The examples' deltas are summed, but with keepdims=True the gradient has shape (1, H), "
        "one row, where the bias is (H,): sum without keepdims, or flatten the result, so that "
        "b - lr * db keeps b's shape."),
    Mistake(
        "backward_relu_not_relu_grad", "backpropagation multiplies by ReLU, not by its derivative",
        "The chain rule through h = relu(z) multiplies the upstream gradient by relu_grad(z), 1 "
        "where z > 0 and 0 elsewhere (the slides: 'use the derivative of ReLU'); relu(z) scales it "
        "by the activation instead."),
    Mistake(
        "gradient_sign", "the gradient has the wrong sign",
        "The output error is yhat - y (prediction minus target), not y - yhat: the gradient points "
        "up the loss, and the update subtracts it."),
    Mistake(
        "backward_weight_not_transposed", "backpropagation goes through W instead of W.T",
        "With rows as examples the error goes back a layer through the transpose of the "
        "weights it came through, multiplied on the right (the slides: 'note the order of "
        "multiplication (again)!'), then through ReLU's derivative at the layer below. A "
        "layer's W maps its inputs to its outputs; going back, the transpose maps the outputs' "
        "error to the inputs. With W itself the product only runs when W is square, and then "
        "computes something else."),
    Mistake(
        "gradient_transposed", "a gradient block is transposed",
        "A gradient has the shape of its parameter: dW1 is (m*d, H1) like W1. Check the order of "
        "the product's factors and where .T goes."),
    # ---- update
    Mistake(
        "update_ascends", "the update goes up the gradient",
        "Gradient descent subtracts: theta := theta - lr * grad. Adding lr times the gradient "
        "climbs the loss."),
    Mistake(
        "lr_not_everywhere", "the learning rate is not applied to every parameter",
        "Every parameter moves by lr times its own gradient, weights and biases alike."),
    Mistake(
        "update_mutates_params", "update changes the caller's parameters in place",
        "params[k] -= lr * grads[k] changes the arrays the caller still holds (a copy kept for "
        "early stopping, the parameters a gradient check perturbs). Return a new dict of new "
        "arrays, as the docstring's {k: params[k] - lr * grads[k]} builds."),
    # ---- train_step: the training-loop check (grader/training.py's diagnoses)
    Mistake(
        "update_wrong_sign", "training climbs the loss",
        "A step of training moves each parameter against its gradient. Yours moves with it: look "
        "at the sign in update, or at a gradient of the wrong sign handed to it."),
    Mistake(
        "update_scaled_by_batch", "the step is B times too long or too short",
        "A step must move every parameter by lr times the gradient of the averaged loss, or by lr "
        "times PA6's summed gradient (B times the first), whichever your backward returns. Yours "
        "is B (the batch size) times off from it: train_step applies lr as it is given, neither "
        "divided nor multiplied by the batch size (PA6: 'average will also work, but you'll need "
        "to adjust the default learning rate': that is the caller's lr to adjust)."),
    Mistake(
        "parameter_not_updated", "a parameter is never updated",
        "Every block of params must come back moved by its own gradient: one of yours comes back "
        "unchanged (left out of the update, or its gradient not passed on)."),
    Mistake(
        "objective_not_improved", "training does not lower the loss",
        "A few small steps of gradient descent on a small problem must lower the loss; yours "
        "leaves it where it was, or raises it."),
    Mistake(
        "trajectory_diverges", "training takes a different path from the same start",
        "From the same parameters, the same steps with correct functions go elsewhere: check what "
        "train_step passes where (the order of backward's arguments: x, y, W1, b1, W2, b2, U, b3) "
        "and that it uses the gradients backward returns."),
))
