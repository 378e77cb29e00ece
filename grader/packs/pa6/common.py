"""What several PA6 checks share: reading a dict of blocks, and the scale convention of a gradient.

The convention itself is the engine's (grader/conventions.py): this module only applies it block
by block and words the outcome for a PA6 report.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from grader import conventions
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
            elif len(shape) == 1 and len(got_shape) == 2 and got_shape[1] == shape[0]:
                hint = HINTS["bias_grad_not_summed"]
            fail_call(f"{what}[{b!r}] has shape {got_shape}; expected {shape}, the shape of {b}.",
                      call, returned=value[b], hint=hint)
        out[b] = as_array(value[b], call, shape, f"{what}[{b!r}]")
    return out


# ---- engine candidates: the per-block use of grader/conventions.py. No other pack needs them yet;
# the lead may move them into grader/conventions.py (and nearest_scale into grader/training.py).
def detect_blocks(got: Mapping[str, np.ndarray], canonical: Mapping[str, np.ndarray], n: int, *,
                  rtol: float, atol: float) -> dict[str, conventions.Convention | None]:
    """Each block's scale convention (summed or averaged over the n examples), None where a block
    follows neither. A block whose right value is 0 in every entry follows both conventions: it is
    left out (when it is 0), so that it never makes a mix."""
    found = {}
    for b, value in got.items():
        if not np.any(canonical[b]) and np.allclose(value, 0.0, rtol=0, atol=atol):
            continue
        found[b] = conventions.detect(value, canonical[b], n, among=SCALES, rtol=rtol, atol=atol)
    return found


def consistent(found: Mapping[str, conventions.Convention | None], n: int) -> \
        conventions.Convention | None:
    """The one convention every block follows, or None (a block follows none, or they mix)."""
    if not found or any(c is None for c in found.values()) or conventions.mix(found, n):
        return None
    return next(iter(found.values()))


def nearest_scale(moved: Mapping[str, np.ndarray],
                  along: Mapping[conventions.Convention, Mapping[str, np.ndarray]],
                  n: int) -> conventions.Convention:
    """For a training step that follows neither scale: the scale it is one sign or batch-size
    factor away from in every block (so that grader/training.py can say by what factor), else the
    averaged one (the slides' loss). `along[c]` is the step correct functions take under c."""
    for c in (conventions.CROSS_ENTROPY_AVERAGED, conventions.CROSS_ENTROPY_SUMMED):
        factors = {conventions.factor_between(moved[b], along[c][b], n, rtol=1e-6, atol=1e-12)
                   for b in moved}
        if None not in factors and len(factors) == 1:
            return c
    return conventions.CROSS_ENTROPY_AVERAGED


def scale_sentence(convention: conventions.Convention) -> str:
    if convention.scale == "summed":
        return ("backward returns the summed minibatch gradient (PA6's convention: B times the "
                "gradient of the averaged loss); train with a learning rate to match.")
    return ("backward returns the gradient of the averaged loss (the slides' loss; PA6 itself "
            "sums the examples' gradients, and either is accepted).")
