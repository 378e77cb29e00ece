"""Copies of a property check's drawn examples, one before each run of the check's body (a body
may write into its arguments; the next run, and the example kept in a recipe, must not see it).

copy.deepcopy spent about 23 us an example on its dispatch alone: a warm grade replays some 360
examples, 8 ms of its CPU. The values examples hold (dicts, lists and tuples of numbers and numpy
arrays) are copied here directly, exactly as deepcopy copies them.
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np

# Values whose copies are themselves (copy.deepcopy returns them as they are, too).
_ATOMIC = frozenset((int, float, bool, complex, str, bytes, type(None)))


def fresh_copy(value: Any, memo: dict | None = None) -> Any:
    """What copy.deepcopy(value) gives. Anything but the plain values above is deepcopy's, with
    one memo shared, so that a value drawn twice in one example is one object twice in its copy."""
    t = type(value)
    if t in _ATOMIC:
        return value
    if memo is None:
        memo = {}
    key = id(value)
    if key in memo:
        return memo[key]
    if t is np.ndarray and not value.dtype.hasobject:
        copied: Any = value.copy(order="K")  # as ndarray.__deepcopy__ copies
    elif t is dict:
        copied = memo[key] = {}
        for k, v in value.items():
            copied[fresh_copy(k, memo)] = fresh_copy(v, memo)
        return copied
    elif t is list:
        copied = memo[key] = []
        copied.extend(fresh_copy(v, memo) for v in value)
        return copied
    elif t is tuple:
        items = tuple(fresh_copy(v, memo) for v in value)
        if key in memo:  # the tuple holds itself, through a list or dict inside it
            return memo[key]
        copied = items if any(a is not b for a, b in zip(items, value)) else value
    else:
        # deepcopy keeps its own memo's originals alive there; ours are alive in `value`.
        return copy.deepcopy(value, memo)
    memo[key] = copied
    return copied
