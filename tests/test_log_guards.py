"""The arithmetic every pack uses to tell a guard against log(0) from another cost a little low
(grader/log_guards.py): the constant is read from the examples' costs and must explain all of
them, inside the log or as a clip, up to the limit given."""
from __future__ import annotations

import numpy as np
import pytest

from grader.log_guards import guard_eps

# Label probabilities from nearly 1 down to those of a confident network's least likely class.
P = np.array([0.9, 0.3, 1e-3, 1e-9, 1e-22])
EXACT = -np.log(P)


@pytest.mark.parametrize("eps", [1e-6, 1e-8, 1e-12, 1e-20])
@pytest.mark.parametrize("form", ["inside", "clipped", "keras"])
def test_a_guard_up_to_the_limit_is_read_back(eps, form):
    own = {"inside": -np.log(P + eps), "clipped": -np.log(np.maximum(P, eps)),
           "keras": -np.log(np.clip(P, eps, 1 - eps))}[form]
    found = guard_eps(own, EXACT, 1e-6)
    assert found is not None and np.isclose(found, eps, rtol=1e-6), (form, eps, found)


def test_a_constant_above_the_limit_is_read_only_under_a_larger_limit():
    own = -np.log(P + 1e-4)
    assert guard_eps(own, EXACT, 1e-6) is None
    assert np.isclose(guard_eps(own, EXACT, 1e-2), 1e-4, rtol=1e-6)


@pytest.mark.parametrize("own", [EXACT, EXACT * (1 - 1e-5), EXACT - 1e-5, 0.5 * EXACT],
                         ids=["exact", "scaled", "shifted", "halved"])
def test_a_cost_merely_low_is_no_guard(own):
    """Any cost a little low fits some eps on one example; on several it must fit all."""
    assert guard_eps(own, EXACT, 1e-2) is None
