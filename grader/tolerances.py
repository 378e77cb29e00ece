"""Every numerical tolerance the checks read (`tol.NAME`), with the reason for each: the engine's
defaults here, and a pack's own `[tolerances]` (its manifest), which take precedence while that
pack grades.

The defaults follow the CS224n 2017 handout, whose gradient check uses central differences with
h = 1e-4 and fails a relative difference |a - n| / max(1, |a|, |n|) above 1e-5. Ours are at least
that strict. Correct float64 implementations agree with the reference to about 1e-12, so the
reference comparison leaves four orders of magnitude of room for a different but valid order of
operations.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType

import numpy as np

DEFAULTS: Mapping[str, float] = MappingProxyType({
    # Known values printed in a handout to 8 decimals; the 2017 starter compares with
    # np.allclose at these tolerances.
    "KNOWN_VALUES_RTOL": 1e-5,
    "KNOWN_VALUES_ATOL": 1e-6,
    # Values of a student's function against the reference on the same inputs.
    "REFERENCE_RTOL": 1e-7,
    "REFERENCE_ATOL": 1e-9,
    # Besides, of the largest term a value sums (reference_atol): float32 anywhere inside a
    # function, returned as float32 or cast back to float64, leaves about 1e-7 of that term on
    # every entry, an entry near 0 included, which the atol above failed on some draws only, so
    # that the same float32 code scored differently under each course secret. Ten times that
    # rounding holds on every draw; a wrong formula is off by far more.
    "SCALE_RTOL": 1e-6,
    # Properties that hold exactly in real arithmetic (rows sum to 1, sigmoid(-x) = 1 -
    # sigmoid(x), shift invariance): float64 rounding stays far below this.
    "IDENTITY_ATOL": 1e-10,
    # Central differences of a student's own cost against the student's own gradient.
    "GRADCHECK_STEP": 1e-4,
    "GRADCHECK_RTOL": 1e-6,
})

# The grading pack's own values, set by grader/session.py for the length of one grade.
_pack: Mapping[str, float] = MappingProxyType({})


@contextmanager
def using(values: Mapping[str, float]) -> Iterator[None]:
    """Give `values` (a pack's [tolerances]) precedence over the defaults while grading."""
    global _pack
    saved, _pack = _pack, MappingProxyType(dict(values))
    try:
        yield
    finally:
        _pack = saved


def __getattr__(name: str) -> float:
    # Read at each use, not at import: one process grades with several packs in turn.
    if name in _pack:
        return _pack[name]
    if name in DEFAULTS:
        return DEFAULTS[name]
    raise AttributeError(f"no tolerance {name}: neither the pack's [tolerances] nor "
                         f"grader/tolerances.py defines it")


def reference_atol(*values) -> float:
    """The atol of a comparison with the reference whose expected value sums terms as large as the
    largest finite entry of `values` (the expected value itself, and what it is computed from
    where its terms can be larger than it: W1 @ x + b1 cancels terms into entries near 0)."""
    scale = 0.0
    for value in values:
        entries = np.abs(np.asarray(value, dtype=float))
        entries = entries[np.isfinite(entries)]
        if entries.size:
            scale = max(scale, float(entries.max()))
    return max(__getattr__("REFERENCE_ATOL"), __getattr__("SCALE_RTOL") * scale)
