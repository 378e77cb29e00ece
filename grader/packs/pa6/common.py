"""What several PA6 checks share: reading a dict of blocks, and the scale convention of a gradient.

The convention itself is the engine's (grader/conventions.py): this module only applies it block
by block and words the outcome for a PA6 report.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from grader import conventions
from grader import tolerances as tol
from grader.checks_api import Text, as_array, describe_type, fail_call
from grader.packs.pa6.hints import HINTS
from grader.packs.pa6.inputs import BLOCKS

SCALES = conventions.SCALES  # a cross-entropy to minimise, summed or averaged over the batch


def shapes_of(a: Mapping[str, np.ndarray]) -> dict[str, tuple[int, ...]]:
    return {b: a[b].shape for b in BLOCKS}


def blocks(value: Any, call: Text, shapes: Mapping[str, tuple[int, ...]], what: str) -> dict:
    """A dict with one array per block, each of its parameter's shape; a missing key, a transposed
    block or a bias gradient with one row per example fails with the block named."""
    if not isinstance(value, dict):
        fail_call(f"{what} is {describe_type(value)}; expected a dict with the keys "
                  f"{', '.join(shapes)}.", call, returned=value)
    missing = [b for b in shapes if b not in value]
    if missing:
        fail_call(f"{what} has no {', '.join(repr(b) for b in missing)}: expected the keys "
                  f"{', '.join(shapes)} (it has {', '.join(repr(k) for k in value) or 'none'}).",
                  call)
    out = {}
    for b, shape in shapes.items():
        got_shape = getattr(value[b], "shape", None)
        if got_shape is not None and got_shape != shape:
            hint = None
            if len(shape) == 2 and got_shape == shape[::-1] and shape[0] != shape[1]:
                hint = HINTS["gradient_transposed"]
            elif len(shape) == 1 and got_shape == (1, shape[0]):
                hint = HINTS["bias_grad_keeps_axis"]
            elif len(shape) == 1 and len(got_shape) == 2 and got_shape[1] == shape[0]:
                hint = HINTS["bias_grad_not_summed"]
            fail_call(f"{what}[{b!r}] has shape {got_shape}; expected {shape}, the shape of {b}.",
                      call, returned=value[b], hint=hint)
        out[b] = as_array(value[b], call, shape, f"{what}[{b!r}]")
    return out


def gradient_atol(summed_gradient: Mapping[str, np.ndarray]) -> float:
    """The atol of a gradient's comparison with the reference's (or the grader's): SCALE_RTOL of
    its largest entry, summed over the examples, or of 1 (yhat - y, whose entries every block
    sums, are up to 1), as cs224n's forward_backward_prop. float32 on the way, or a softmax with
    1e-8 in its denominator, leaves a few 1e-8 on every entry, an entry near 0 included, which
    REFERENCE_ATOL failed on some draws only: the same code scored 99 or 78.69 by the secret."""
    return tol.reference_atol(*summed_gradient.values(), 1.0)


def scale_sentence(convention: conventions.Convention) -> str:
    if convention.scale == "summed":
        return ("backward returns the summed minibatch gradient (PA6's convention: B times the "
                "gradient of the averaged loss); train with a learning rate to match.")
    return ("backward returns the gradient of the averaged loss (the slides' loss; PA6 itself "
            "sums the examples' gradients, and either is accepted).")
