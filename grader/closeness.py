"""`all_close`: np.allclose's answer (NaN never close) in a fifth of its time where it is
plainly yes.

A warm grader compares about 600 pairs of arrays a submission, nearly all small, float64 and
close; np.allclose spent about 180 microseconds on each in the checks of argument conversions,
dtype promotion and the handling of infinities, about a tenth of the grader's CPU (cProfile, s62).
Where both are float64 arrays of one shape and every difference is within the bound of a finite
expected value, that is np.allclose's answer too (its formula, the same float64 operations);
anything else, a failure included, is np.allclose's own verdict.
"""
from __future__ import annotations

from typing import Any

import numpy as np

_FLOAT64 = np.dtype(np.float64)
_LARGEST = float(np.finfo(np.float64).max)


def all_close(actual: Any, expected: Any, rtol: float, atol: float) -> bool:
    """np.allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=False)."""
    if (type(actual) is np.ndarray and type(expected) is np.ndarray
            and actual.dtype == _FLOAT64 and expected.dtype == _FLOAT64
            and actual.shape == expected.shape):
        with np.errstate(over="ignore", invalid="ignore"):
            gap = np.abs(actual - expected)  # a number, not an array, where both are 0-d
            # An infinite expected value is close only to itself (np.isclose): its bound, made
            # finite, fails every gap (infinite or NaN) and leaves the verdict to np.allclose.
            bound = np.minimum(atol + rtol * np.abs(expected), _LARGEST)
            if bool((gap <= bound).all()):
                return True
    return bool(np.allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=False))
