"""Which array a line read an axis of that it does not have: `predicted.shape[1]` of a vector.

A function written for a (1, D) row meets the (D,) vector the assignment passes and stops at
`predicted.shape[1]` with "IndexError: tuple index out of range", which names neither the array
nor its shape (probe s61: a negSampling right in every other way, 0/35, and nothing in the report
said the grader passes a vector). When a student's line raises that, the arrays it reads
`.shape[i]` (or `np.shape(x)[i]`) of are looked up where it raised, and those with fewer than
i + 1 axes are reported: their name, shape, the axis read, and whether the name is a parameter
of the function that raised. The grader words the message (grader/proxy.py).
"""
from __future__ import annotations

import linecache
import re
import types
from pathlib import Path

import numpy as np

# `x.shape[1]`, `np.shape(x)[1]`: a name, and a literal axis (not `a.x.shape`: a name alone).
_SHAPE_READ = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*\.\s*shape\s*\[\s*(-?\d+)\s*\]"
                         r"|\bshape\(\s*([A-Za-z_]\w*)\s*\)\s*\[\s*(-?\d+)\s*\]")
# `m, n = x.shape` (or np.shape(x)), the whole statement: its names, one per axis.
_SHAPE_UNPACKED = re.compile(r"=\s*(?:([A-Za-z_]\w*)\s*\.\s*shape|(?:np|numpy)\s*\.\s*shape"
                             r"\(\s*([A-Za-z_]\w*)\s*\))\s*(?:#.*)?$")
_TOO_FEW_AXES = re.compile(r"not enough values to unpack \(expected (\d+), got (\d+)\)")
MOST_READS = 3  # arrays named per error: a line reads few shapes, a hostile one many


def missing_axes(exc: BaseException, root: Path) -> list[dict]:
    """[{"name", "shape", "index", "parameter"}] for each array the submission's innermost line
    read an axis of beyond its last, when that line raised "tuple index out of range"; and for
    `m, n = x.shape` that raised "not enough values to unpack", the array, with "unpacked" (how
    many names it was unpacked into) and index the last of them. Else []."""
    too_few = _TOO_FEW_AXES.fullmatch(str(exc)) if type(exc) is ValueError else None
    if not too_few and (type(exc) is not IndexError or str(exc) != "tuple index out of range"):
        return []
    innermost = _innermost(exc.__traceback__, root)
    if innermost is None:
        return []
    frame, line = innermost
    code = linecache.getline(frame.f_code.co_filename, line)[:400].rstrip()
    code_object = frame.f_code
    parameters = set(code_object.co_varnames[:code_object.co_argcount
                                             + code_object.co_kwonlyargcount])
    if too_few:
        unpacked = _SHAPE_UNPACKED.search(code)
        name = unpacked and (unpacked[1] or unpacked[2])
        shape = _shape(_value(frame, name)) if name else None
        if shape is None or len(shape) != int(too_few[2]):
            return []
        return [{"name": name, "shape": list(shape), "index": int(too_few[1]) - 1,
                 "parameter": name in parameters, "unpacked": int(too_few[1])}]
    found: list[dict] = []
    seen: set[tuple[str, int]] = set()
    for read in _SHAPE_READ.finditer(code):
        name, index = (read[1], read[2]) if read[1] else (read[3], read[4])
        index = int(index)
        if (name, index) in seen:
            continue
        seen.add((name, index))
        shape = _shape(_value(frame, name))
        if shape is None or -len(shape) <= index < len(shape):
            continue
        found.append({"name": name, "shape": list(shape), "index": index,
                      "parameter": name in parameters})
        if len(found) == MOST_READS:
            break
    return found


def _innermost(tb: types.TracebackType | None,
               root: Path) -> tuple[types.FrameType, int] | None:
    """The last frame of the traceback that runs the submission's own code, and its line."""
    found = None
    while tb is not None:
        path = Path(tb.tb_frame.f_code.co_filename)
        if path.is_absolute() and path.resolve().is_relative_to(root):
            found = (tb.tb_frame, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _value(frame: types.FrameType, name: str) -> object:
    for namespace in (frame.f_locals, frame.f_globals):
        if name in namespace:
            return namespace[name]
    return None


def _shape(value: object) -> tuple[int, ...] | None:
    """An array's shape, read with ndarray's own descriptor: a subclass's `shape` property is
    the student's code, and is not run here."""
    if not issubclass(type(value), np.ndarray):  # isinstance would read a __class__ property
        return None
    return tuple(np.ndarray.shape.__get__(value))
