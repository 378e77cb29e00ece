"""example_copy.fresh_copy, which copies each replayed example in place of copy.deepcopy: the same
copies, made faster, for everything an example may hold."""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pytest

from grader.example_copy import fresh_copy


@dataclass
class Case:  # as the packs' drawn cases are (inputs.NetCase, W2VCase)
    m: int
    dims: tuple


def _same(a, b, layout: bool = True) -> bool:
    """Equal in type, value, dtype and (with `layout`) memory layout, all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return (a.dtype == b.dtype and a.shape == b.shape and (a.strides == b.strides or not layout)
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k], layout) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y, layout) for x, y in zip(a, b))
    if isinstance(a, Case):
        return _same(a.m, b.m, layout) and _same(a.dims, b.dims, layout)
    return a == b or (a != a and b != b)


EXAMPLES = [
    {"x": np.arange(6.0).reshape(2, 3), "k": 3, "flag": True, "eps": 1e-7, "name": "w"},
    {"x": np.asfortranarray(np.arange(6.0).reshape(2, 3)), "scores": [1.0, float("nan"), -0.0]},
    {"x": np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2], "t": (1, (2, 3.5), [4])},
    {"case": Case(3, (4, 5)), "idx": [0, 1, 1], "z": np.complex128(1 + 2j), "none": None},
    {"objects": np.array([[1], "two"], dtype=object), "b": b"\x00\x01"},
    {},
]


@pytest.mark.parametrize("example", EXAMPLES, ids=range(len(EXAMPLES)))
def test_a_fresh_copy_is_what_deepcopy_gives_and_shares_nothing_mutable(example):
    ours, theirs = fresh_copy(example), copy.deepcopy(example)
    assert _same(ours, theirs) and _same(ours, example, layout=False)
    for key, value in example.items():
        if isinstance(value, (np.ndarray, list, dict, Case)):
            assert ours[key] is not value
        if isinstance(value, np.ndarray):
            assert not np.shares_memory(ours[key], value) and ours[key].flags.writeable


def test_a_value_drawn_twice_is_one_object_twice_in_the_copy_too():
    shared = np.ones(3)
    inner = [shared]
    example = {"a": shared, "b": shared, "c": (inner, inner), "d": Case(1, (shared,))}
    ours = fresh_copy(example)
    assert ours["a"] is ours["b"] and ours["a"] is not shared
    assert ours["c"][0] is ours["c"][1]
    assert ours["c"][0][0] is ours["a"] and ours["d"].dims[0] is ours["a"]
    ours["a"][0] = 5.0  # a check that writes into one argument changes the other, as it did
    assert ours["b"][0] == 5.0 and shared[0] == 1.0


def test_a_list_that_holds_itself_is_copied_as_deepcopy_copies_it():
    loop: list = [1]
    loop.append(loop)
    ours = fresh_copy({"loop": loop, "t": (loop,)})
    assert ours["loop"][1] is ours["loop"] and ours["t"][0] is ours["loop"]
