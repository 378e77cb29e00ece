"""Central differences, computed from one batch of cost evaluations.

A student's cost is evaluated at x + h e_i and x - h e_i for every coordinate i; all 2n points go to
the worker in a single request, so a gradient check costs one round trip, not 2n.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def perturbations(x: np.ndarray, h: float) -> list[np.ndarray]:
    """[x + h e_0, x - h e_0, x + h e_1, x - h e_1, ...] in x's own shape."""
    points = []
    for i in range(x.size):
        for sign in (1.0, -1.0):
            p = x.astype(np.float64, copy=True)
            p.flat[i] += sign * h
            points.append(p)
    return points


def from_costs(costs: Sequence[float], shape: tuple[int, ...], h: float) -> np.ndarray:
    c = np.asarray(costs, dtype=np.float64).reshape(-1, 2)
    return ((c[:, 0] - c[:, 1]) / (2 * h)).reshape(shape)


def low_precision(cost: object) -> str | None:
    """"float32" (or "float16") when a cost came back in that precision, else None: central
    differences of it are rounding noise, whatever the gradient beside it."""
    dtype = getattr(cost, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind == "f" and dtype.itemsize < 8:
        return str(dtype)
    return None


def low_precision_finding(dtype: str, h: float) -> str:
    """What a gradient check says when the cost it differentiates came back in `dtype`: its
    failure then says nothing of the gradient (a float64 gradient beside an np.float32(cost) was
    told of a wrong b2, or of nothing at all)."""
    return (f"your cost comes back as {dtype}: its central differences at h = {h:g} are rounding "
            "noise (about 1e-3 of the gradient), so they cannot confirm your gradient, however "
            "right it is. Return the cost as a float64 number (float(cost), or compute it in "
            f"float64, not np.{dtype}).")


def relative_error(analytic: np.ndarray, numerical: np.ndarray) -> np.ndarray:
    """|a - n| / max(1, |a|, |n|), elementwise: the 2017 handout's measure."""
    scale = np.maximum(1.0, np.maximum(np.abs(analytic), np.abs(numerical)))
    err = np.abs(analytic - numerical) / scale
    return np.where(np.isnan(err), np.inf, err)
