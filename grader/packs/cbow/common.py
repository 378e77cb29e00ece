"""What several CBOW checks share: reading a generator's items, a tuple of arrays, the mode."""
from __future__ import annotations

from typing import Any

import numpy as np

from grader import checks_api
from grader.checks_api import Text, as_array, describe_result, fail_call
from grader.packs.cbow.hints import HINTS
from grader.worker.wire import Iterated


def mode() -> str:
    """The grading mode in force: "course" (the manifest's default) or "exact"."""
    return checks_api.mode() or "course"


def yielded(value: Any, call: Text, name: str) -> tuple[list, bool]:
    """(the items a generator function produced, whether it was a generator). A list or tuple is
    read too, so its items are still graded (the generator check says what is wrong with it); a
    generator that raised fails with what it yielded first."""
    if isinstance(value, Iterated):
        if value.error:
            fail_call(f"{name}'s generator raised {value.error} after yielding {len(value.items)} "
                      "item(s).", call, returned=list(value.items))
        if not value.complete:
            fail_call(f"{name}'s generator did not stop after {len(value.items)} items.", call)
        return list(value.items), True
    if isinstance(value, (list, tuple)):
        return list(value), False
    fail_call(f"the result is {describe_result(value)}; expected a generator (a function that "
              "yields).", call, returned=value)
    raise AssertionError  # unreachable: fail_call raises


def expect_generator(value: Any, call: Text, name: str) -> None:
    if not isinstance(value, Iterated):
        fail_call(f"{name} returned {describe_result(value)}, not a generator: the notebook's "
                  f"{name} yields its items one at a time.", call, returned=value,
                  hint=HINTS["returns_list_not_generator"] if isinstance(value, (list, tuple))
                  else None)


def arrays(value: Any, call: Text, shapes: dict[str, tuple[int, ...]], what: str) -> dict:
    """A tuple of len(shapes) arrays, by name, each of its shape."""
    names = list(shapes)
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        fail_call(f"the result is {describe_result(value)}; expected a tuple ({', '.join(names)}) "
                  f"{what}.", call, returned=value)
    reordered = _reordered(value, shapes)
    if reordered:
        fail_call(reordered, call, returned=value, hint=HINTS["results_reordered"])
    return {n: as_array(v, call, shapes[n], f"{n} (item {i} of the result)")
            for i, (n, v) in enumerate(zip(names, value))}


def _reordered(items, shapes: dict[str, tuple[int, ...]]) -> str:
    """What the result holds, when its items have the expected shapes in another order: the
    names in their order where the shapes tell them apart, else the shapes ("" otherwise)."""
    got = [tuple(v.shape) if isinstance(v, np.ndarray) else None for v in items]
    wanted = [tuple(shape) for shape in shapes.values()]
    if None in got or got == wanted or sorted(got) != sorted(wanted):
        return ""
    expected = f"({', '.join(shapes)})"
    if len(set(wanted)) == len(wanted):
        by_shape = {shape: name for name, shape in shapes.items()}
        return (f"the result holds ({', '.join(by_shape[shape] for shape in got)}), by the shapes "
                f"of its items; expected {expected} in that order.")
    return (f"the result's items have the shapes {', '.join(map(str, got))}; {expected} have "
            f"{', '.join(map(str, wanted))}: the same shapes in another order.")


def close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))
