"""The handout's own tests call softmax and sigmoid on INTEGER arrays (`softmax(np.array([1, 2]))`,
`sigmoid(np.array([[1, 2], [-1, -2]]))`), so a function that passes them in a student's own run
must pass them here too. A function that is right on floats can still be wrong on integers: an
output made with `np.zeros_like(x)` is an integer array (every probability truncates to 0), and
`np.exp(x, out=x)` raises on one. The known-value checks run each handout input as floats first
and then as the handout wrote it; this module judges the second call, and its failures say the
input was an integer array, because that is then the one thing that differs.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks_api import as_array, call_text, describe_type, fail_call
from grader.proxy import StudentError


def _input_text(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"an integer array (dtype {x.dtype})"
    return f"an integer (a Python {type(x).__name__})"


def expect_integer_input_works(student: Any, function: str, x: Any, expected: np.ndarray, *,
                               rtol: float, atol: float) -> None:
    """Fail unless student(x), for the handout's integer x, returns `expected` (within rtol and
    atol); call it after the same numbers as floats passed."""
    call = call_text(function, x)
    why = (f"the input was {_input_text(x)}, as in the handout's own tests, which pass integer "
           f"arrays to {function}; on floats it works. ")
    try:
        value = student(x.copy() if isinstance(x, np.ndarray) else x)
    except StudentError as exc:
        fail_call(why + f"{function} raised {exc.type_name}: {exc.text}".rstrip(": ") + ".", call,
                  detail="Compute in a new float array (for example e = np.exp(x - ...)), not in "
                         "place in the input, which cannot hold floats when it is an integer array.")
    shape = np.shape(expected)
    if np.ndim(x) == 0 and not isinstance(value, np.ndarray):
        value = np.asarray(value) if isinstance(value, (int, float, np.generic)) else value
    if isinstance(value, np.ndarray) and value.shape != shape and value.size == 1 and not shape:
        value = value.reshape(())
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf" or value.shape != shape:
        as_array(value, call, shape, what=why + "The result")  # fails with what came back
    got = value.astype(np.float64)
    if np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=False):
        return
    detail = f"the result has dtype {value.dtype}"
    if value.dtype.kind in "biu":
        detail += (": an integer array cannot hold values between 0 and 1 (an output array made "
                   "with np.zeros_like(x) or np.empty_like(x) takes the input's integer dtype; "
                   "make it a float array)")
    fail_call(why + f"Wrong values: {function} returned {describe_type(value)}.", call,
              returned=value, expected=expected, detail=detail + ".")
