"""What a check needs to judge a value and to say, to a student, what went wrong.

`CheckFailure` is an AssertionError, so hypothesis shrinks the input before the failure is shown.
Every failure says what was called, what came back and what was expected.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from grader.worker.wire import Opaque

PRINT_OPTIONS = {"precision": 8, "threshold": 40, "edgeitems": 3, "linewidth": 100}


class CheckFailure(AssertionError):
    def __init__(self, message: str, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(message)


def show(value: Any) -> str:
    """Numbers the way numpy prints them, trimmed to a readable size."""
    if isinstance(value, Opaque):
        return f"a {value.type_name} object: {value.text}"
    if isinstance(value, np.ndarray):
        with np.printoptions(**PRINT_OPTIONS):
            text = np.array2string(value, separator=", ")
        return f"array({text}) with shape {value.shape}" if value.ndim else text
    if isinstance(value, tuple):
        return "(" + ", ".join(show(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, np.generic):
        return repr(value.item())
    return repr(value)


def describe_type(value: Any) -> str:
    if isinstance(value, Opaque):
        return f"a {value.type_name}"
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, np.generic):
        return f"a numpy {type(value).__name__}"
    return f"a {type(value).__name__}"


def call_text(function: str, *args: Any) -> str:
    return f"{function}({', '.join(show(a) for a in args)})"


def fail(message: str, hint: str = "") -> None:
    raise CheckFailure(message, hint)


def as_array(value: Any, call: str, expected_shape: tuple[int, ...] | None = None,
             what: str = "the result") -> np.ndarray:
    """The value as a float ndarray, or a failure that says what came back instead."""
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        value = np.asarray(value)
    if not isinstance(value, np.ndarray):
        fail(f"{call} returned {describe_type(value)} as {what}; expected a numpy array"
             + (f" of shape {expected_shape}" if expected_shape is not None else "") + ".")
    if value.dtype.kind not in "biuf":
        fail(f"{call} returned {what} with dtype {value.dtype}; expected real numbers.")
    if expected_shape is not None and value.shape != tuple(expected_shape):
        fail(f"{call} returned {what} with shape {value.shape}; expected shape {tuple(expected_shape)}.")
    return value.astype(np.float64, copy=False)


def as_scalar(value: Any, call: str, what: str = "the cost") -> float:
    """A real number (Python float, numpy scalar, or an array holding exactly one number)."""
    if isinstance(value, (bool, np.bool_)):
        fail(f"{call} returned a boolean as {what}; expected a number.")
    if isinstance(value, (int, float)) or (isinstance(value, np.generic) and value.dtype.kind in "iuf"):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        return float(value.reshape(()))
    fail(f"{call} returned {describe_type(value)} as {what}; expected a single number.")
    raise AssertionError("unreachable")


def worst_difference(actual: np.ndarray, expected: np.ndarray) -> tuple[float, tuple[int, ...]]:
    diff = np.abs(actual - expected)
    diff = np.where(np.isnan(diff), np.inf, diff)
    index = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
    return (float(diff[index]) if diff.size else 0.0), tuple(int(i) for i in index)


def expect_close(actual: np.ndarray, expected: np.ndarray, *, call: str, what: str = "the result",
                 rtol: float, atol: float, hint: str = "") -> None:
    """Fail unless actual matches expected elementwise (NaN never matches)."""
    if actual.shape != expected.shape:
        fail(f"{call} returned {what} with shape {actual.shape}; expected shape {expected.shape}.", hint)
    if np.allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=False):
        return
    gap, index = worst_difference(actual, expected)
    where = f" at index {list(index)}" if index else ""
    fail(f"{call} returned wrong values for {what}.\n"
         f"  returned: {show(actual)}\n"
         f"  expected: {show(expected)}\n"
         f"  largest difference: {gap:.3g}{where} (allowed: {atol:g} + {rtol:g} x |expected|)", hint)
