"""A graded function that reads a variable of the student's notebook named as one of the
assignment's values: the notebook's demo cells computed it for their own example, and the grader
calls the function with inputs of its own (probe s62: back_prop's true derivative masked by the
global `z1` of the forward-propagation cell, where every parameter it was given was read)."""
from __future__ import annotations

from typing import Iterable

from grader import misplaced_arguments


def signature_results(signature: str) -> tuple[str, ...]:
    """The names a manifest's signature gives its results, "forward_prop(x, W1, W2, b1, b2) ->
    (z1, h, z2)": ("z1", "h", "z2"); none where the result is described in words ("array of
    shape (V,)", "generator of (...)"), whose words are no values."""
    _, arrow, result = signature.partition("->")
    result = result.strip()
    if not arrow or not (result.startswith("(") and result.endswith(")")):
        return ()
    names = tuple(part.strip() for part in result[1:-1].split(","))
    return names if all(n.isidentifier() for n in names) else ()


def assignment_values(function: str, signatures: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The names of the values `function` receives or that the assignment's functions compute,
    each with the function that computes it ("" for a parameter of `function`). Sizes and
    settings (V, N, C) are neither: a notebook may keep them at the top, and no function
    computes them."""
    values: dict[str, str] = {}
    for name, signature in signatures:
        for result in signature_results(signature):
            values.setdefault(result, name)
        if name == function:
            for parameter in misplaced_arguments.signature_parameters(signature) or ():
                values[parameter] = ""
    return values


def warning(function: str, graded: str, read: list[str],
            signatures: Iterable[tuple[str, str]]) -> str:
    """What to tell a student whose `function` lost points and reads `read`, the module-level
    variables of their notebook or file ("" when none is named as one of the assignment's
    values)."""
    values = assignment_values(function, signatures)
    named = [n for n in read if n in values]
    if not named:
        return ""
    one = len(named) == 1
    shown = ", ".join(f"`{n}`" for n in named[:-1]) + (" and " if not one else "") + \
        f"`{named[-1]}`"
    made = sorted({values[n] for n in named if values[n] and values[n] != function})
    origin = (f" ({' and '.join(made)} compute{'s' if len(made) == 1 else ''} "
              f"{'it' if one else 'them'})") if made else ""
    return (f"{function} ({graded}) reads the variable{'' if one else 's'} {shown} of your "
            f"notebook or file, {'which is not one' if one else 'which are none'} of its "
            f"parameters{origin}: the grader calls {function} with inputs of its own, and "
            f"{'that variable still holds' if one else 'those variables still hold'} what your "
            "notebook's cells computed for their own example "
            f"({'its shape' if one else 'their shapes'} need not even fit). "
            f"Compute {'it' if one else 'them'} in the body of {function}, from the parameters "
            "it is given.")
