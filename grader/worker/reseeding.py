"""Whether a graded call reseeded Python's or numpy's global random generator.

A function that calls random.seed(...) or np.random.seed(...) on every call draws the same random
numbers every time it is called: the course's word2vec dataset samples negatives with Python's
`random`, so a negSamplingCostAndGradient that seeds inside trains on the same negatives at every
step. The grader's own dataset replays a stream and never meets the difference; only the calls can
show it. Each global `seed` is wrapped once, before the submission loads (so that
`from random import seed` binds the wrapper), and the wrapper notes a call only while a graded call
runs: the worker's own seeding before each call, and a submission's at import, go unnoted.
"""
from __future__ import annotations

import random
from typing import Any, Callable

import numpy as np

_noted: list[str] = []
_during = [False]


def _wrapped(original: Callable[..., Any], label: str) -> Callable[..., Any]:
    def seed(*args: Any, **kwargs: Any) -> Any:
        if _during[0] and label not in _noted:
            _noted.append(label)
        return original(*args, **kwargs)
    seed.__doc__ = getattr(original, "__doc__", None)
    return seed


def install() -> None:
    random.seed = _wrapped(random.seed, "random.seed")
    np.random.seed = _wrapped(np.random.seed, "np.random.seed")


def begin() -> None:
    """A graded call starts: from now until `end`, a reseeding is the call's."""
    _noted.clear()
    _during[0] = True


def end() -> list[str]:
    """The global generators the call reseeded ("random.seed", "np.random.seed"), in order."""
    _during[0] = False
    return list(_noted)
