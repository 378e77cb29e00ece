"""Evidence: the measurements behind a verdict, as plain JSON data a report can carry.

Bounded and deterministic: matrices are cut to MAX_SIDE x MAX_SIDE, floats are rounded to a few
significant digits, non-finite numbers become null, strings are cut. A renderer draws from it (the
HTML heat maps of gradient blocks); nothing in it is ever read as code or markup.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

MAX_SIDE = 16          # rows and columns kept of a matrix
MAX_ITEMS = 64         # entries kept of a list
MAX_TEXT = 4000        # characters kept of a string
MAX_JSON_CHARS = 60_000  # the whole evidence of one check
VALUE_DIGITS = 6
ERROR_DIGITS = 3


def number(x: Any, digits: int = VALUE_DIGITS) -> float | int | None:
    """A finite number rounded to `digits` significant digits; None for NaN and infinities."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    x = float(x)
    if not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


def matrix(a: Any, digits: int = VALUE_DIGITS) -> list[list[float | None]]:
    """A 2-D list of rounded numbers, at most MAX_SIDE x MAX_SIDE (a vector is one row)."""
    a = np.asarray(a, dtype=np.float64)
    a = a.reshape(1, -1) if a.ndim < 2 else a.reshape(a.shape[0], -1)
    return [[number(v, digits) for v in row[:MAX_SIDE]] for row in a[:MAX_SIDE]]


def plain(value: Any) -> Any:
    """Any mix of dicts, lists, tuples, numpy values and strings as bounded plain JSON data."""
    if isinstance(value, Mapping):
        return {str(k)[:200]: plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return matrix(value) if value.ndim >= 2 else [number(v) for v in value.ravel()[:MAX_ITEMS]]
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value[:MAX_ITEMS]]
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + " ... (cut)"
    if value is None or isinstance(value, (bool, int, float, np.generic)):
        return None if value is None else number(value)
    return plain(str(value))


def bounded(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """`plain(evidence)`, or a note in its place when even that is too large to carry."""
    data = plain(evidence)
    size = len(json.dumps(data, allow_nan=False))
    if size > MAX_JSON_CHARS:
        return {"dropped": f"evidence of {size} characters, above the limit of {MAX_JSON_CHARS}"}
    return data


def gradient_block(analytic: np.ndarray, numerical: np.ndarray, relative_error: np.ndarray,
                   tolerance: float, rows: Sequence[Mapping[str, Any]] | None = None) -> dict:
    """One parameter block of a gradient check: both gradients, their elementwise relative
    difference, the largest one and whether it is within `tolerance`. `rows` optionally says
    what each row is (e.g. the target row or a negative sample of word2vec)."""
    shape = list(np.shape(analytic)) or [1]
    worst = float(np.max(relative_error)) if np.size(relative_error) else 0.0
    block = {"shape": shape, "analytic": matrix(analytic), "numerical": matrix(numerical),
             "relative_error": matrix(relative_error, ERROR_DIGITS),
             "max_relative_error": number(worst, ERROR_DIGITS), "ok": bool(worst <= tolerance)}
    if len(shape) == 2 and (shape[0] > MAX_SIDE or shape[1] > MAX_SIDE):
        block["cut_to"] = [min(shape[0], MAX_SIDE), min(shape[1], MAX_SIDE)]
    if rows is not None:
        block["rows"] = [dict(r) for r in rows[:MAX_SIDE]]
    return block
