"""Reading a guard against log(0) off a cross-entropy, from its costs of examples taken one at a
time: a small constant inside the log, log(p + eps), or the probability clipped to [eps, 1] or,
as Keras does, to [eps, 1 - eps]. A guard of at most 1e-6 is accepted where a cost is compared
with the reference (the packs say so in their warnings); a larger one is named as the mistake.

Each pack asks its submission for the costs and says what they mean; the arithmetic of telling a
guard from another cost a little low is here, once (cs224n's forward_backward_prop, onelayer's
cost and pa6's loss had a copy each).
"""
from __future__ import annotations

import numpy as np

from grader import tolerances as tol


def protected_costs(p: np.ndarray, eps: float) -> tuple[np.ndarray, ...]:
    """Each example's cross-entropy, given its label's probability p, under each protection
    against log(0) with the constant eps: inside the log; p clipped to [eps, 1]; to
    [eps, 1 - eps]."""
    return (-np.log(p + eps), -np.log(np.maximum(p, eps)), -np.log(np.clip(p, eps, 1 - eps)))


def guard_eps(own: np.ndarray, reference_costs: np.ndarray, limit: float) -> float | None:
    """The eps (up to `limit`, the limit itself included) of the protection that gives exactly
    the submission's costs `own` of the examples one at a time, whose exact costs are
    `reference_costs` (-log p); None when none does. eps is read from the examples whose cost it
    lowered: inside the log, p + eps = exp(-cost); clipped, the cost is -log(eps)."""
    own, reference_costs = np.asarray(own, dtype=np.float64), np.asarray(reference_costs,
                                                                        dtype=np.float64)
    p = np.exp(-reference_costs)
    lowered = own < reference_costs - (tol.REFERENCE_ATOL
                                       + tol.REFERENCE_RTOL * np.abs(reference_costs))
    if not lowered.any():
        return None
    # (the limit itself included: read back from the costs, 1e-6 comes a few ulps above it)
    for eps in (float(np.median(np.exp(-own[lowered]) - p[lowered])),  # inside the log
                float(np.median(np.exp(-own[lowered])))):  # a clip: the cost is -log(eps)
        if 0 < eps <= limit * (1 + 1e-6) and any(
                np.allclose(own, costs, rtol=tol.REFERENCE_RTOL, atol=tol.REFERENCE_ATOL)
                for costs in protected_costs(p, eps)):
            return eps
    return None


__all__ = ["guard_eps", "protected_costs"]
