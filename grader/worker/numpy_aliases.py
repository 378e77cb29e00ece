"""NumPy names that older submissions use and newer NumPy removed (`np.float`, `np.NaN`, ...).

Homework written in 2017 ran on NumPy 1.12; NumPy 1.24 removed the aliases of Python's own types
(`np.float` is `float`) and NumPy 2.0 another set (`np.float_`, `np.NaN`, `np.product`). A
submission using them fails on a recent NumPy with "module 'numpy' has no attribute 'float'", in
every check that reaches the line, though nothing in it is wrong. Like `xrange`, each name is
given back its old meaning in the worker (never in the grader), and the report names every place
that uses one, so the grade is the same on every NumPy the grader supports and the student learns
what to write instead.
"""
from __future__ import annotations

import ast
from typing import Any, Callable

# name -> (what it stood for, as the warning says it; the NumPy release that removed it; the
# value, made from numpy). Every value is what the name was before its removal.
EXPIRED: dict[str, tuple[str, str, Callable[[Any], Any]]] = {
    "int": ("int", "1.24", lambda np: int),
    "float": ("float", "1.24", lambda np: float),
    "complex": ("complex", "1.24", lambda np: complex),
    "object": ("object", "1.24", lambda np: object),
    "str": ("str", "1.24", lambda np: str),
    "unicode": ("str", "1.24", lambda np: str),
    "float_": ("np.float64", "2.0", lambda np: np.float64),
    "complex_": ("np.complex128", "2.0", lambda np: np.complex128),
    "cfloat": ("np.complex128", "2.0", lambda np: np.complex128),
    "string_": ("np.bytes_", "2.0", lambda np: np.bytes_),
    "unicode_": ("np.str_", "2.0", lambda np: np.str_),
    "bool8": ("np.bool_", "2.0", lambda np: np.bool_),
    "int0": ("np.intp", "2.0", lambda np: np.intp),
    "NaN": ("np.nan", "2.0", lambda np: np.nan),
    "NAN": ("np.nan", "2.0", lambda np: np.nan),
    "Inf": ("np.inf", "2.0", lambda np: np.inf),
    "Infinity": ("np.inf", "2.0", lambda np: np.inf),
    "infty": ("np.inf", "2.0", lambda np: np.inf),
    "PINF": ("np.inf", "2.0", lambda np: np.inf),
    "NINF": ("-np.inf", "2.0", lambda np: -np.inf),
    "product": ("np.prod", "2.0", lambda np: np.prod),
    "cumproduct": ("np.cumprod", "2.0", lambda np: np.cumprod),
    "sometrue": ("np.any", "2.0", lambda np: np.any),
    "alltrue": ("np.all", "2.0", lambda np: np.all),
    "round_": ("np.round", "2.0", lambda np: np.round),
    # functions: each given back as it behaved (numpy's own code of the release before)
    "rank": ("np.ndim", "1.18", lambda np: np.ndim),
    "asscalar": ("a.item()", "1.23", lambda np: lambda a: a.item()),
    "alen": ("len(a)", "1.23", lambda np: lambda a: len(np.array(a, ndmin=1))),
    "mat": ("np.asmatrix", "2.0", lambda np: np.asmatrix),
    "msort": ("np.sort(a, axis=0)", "2.0", lambda np: lambda a: np.sort(a, axis=0)),
    "asfarray": ("np.asarray(a, dtype=float)", "2.0", lambda np: _asfarray(np)),
    "trapz": ("np.trapezoid", "2.4", lambda np: getattr(np, "trapezoid", None)),
    "in1d": ("np.isin(a, b).ravel()", "2.4", lambda np: _in1d(np)),
}


def _asfarray(np: Any) -> Callable:
    def asfarray(a, dtype=np.float64):
        if not np.issubdtype(np.dtype(dtype), np.inexact):
            dtype = np.float64
        return np.asarray(a, dtype=dtype)
    return asfarray


def _in1d(np: Any) -> Callable:
    def in1d(ar1, ar2, assume_unique=False, invert=False):
        return np.isin(ar1, ar2, assume_unique=assume_unique, invert=invert).ravel()
    return in1d


# Calls whose argument NumPy came to refuse -> (what to write, the release that refused it, the
# error it raises). `np.set_printoptions(threshold=np.nan)` was the 2017 answer to "print the
# whole array"; NumPy 1.16 raises ValueError at that line, so a file that says it at the top
# fails to import at all.
CHANGED: dict[str, tuple[str, str, str]] = {
    "set_printoptions(threshold=nan)": ("np.set_printoptions(threshold=sys.maxsize)", "1.16",
                                        "ValueError: threshold must be numeric and non-NAN"),
}
_NAN_NAMES = {"nan", "NaN", "NAN"}


# Removed in 1.24 and back in 2.0 with NumPy's own meaning (np.bool is np.bool_, np.long C's
# long): given back only where this NumPy lacks them, and never warned about, as code that uses
# them is right on today's NumPy.
RETURNED: dict[str, Callable[[Any], Any]] = {"bool": lambda np: bool, "long": lambda np: int}


def install(np: Any) -> None:
    """Give every name NumPy removed the value it had, where this NumPy does not define it: on
    NumPy 1.23 `np.float` is still served, deprecated, by numpy's __getattr__ and is now `float`
    without the warning; a name this NumPy defines (np.float_ before 2.0) is left as it is."""
    for name, make in [*((n, e[2]) for n, e in EXPIRED.items()), *RETURNED.items()]:
        if name not in vars(np):
            value = make(np)
            if value is not None:
                setattr(np, name, value)
    if not getattr(np.set_printoptions, "nan_threshold_read_as_before", False):
        np.set_printoptions = _nan_threshold_as_before(np.set_printoptions)


def _nan_threshold_as_before(set_printoptions: Callable) -> Callable:
    """np.set_printoptions taking threshold=nan as NumPy before 1.16 did: never summarise."""
    import functools  # noqa: PLC0415
    import math  # noqa: PLC0415
    import sys  # noqa: PLC0415

    @functools.wraps(set_printoptions)
    def wrapper(*args, **kwargs):  # noqa: ANN202
        def is_nan(value: Any) -> bool:
            return isinstance(value, float) and math.isnan(value)
        if is_nan(kwargs.get("threshold")):
            kwargs["threshold"] = sys.maxsize
        if len(args) > 1 and is_nan(args[1]):
            args = (args[0], sys.maxsize, *args[2:])
        return set_printoptions(*args, **kwargs)

    wrapper.nan_threshold_read_as_before = True  # type: ignore[attr-defined]
    return wrapper


def convert_like_the_newest() -> None:
    """float(a) and int(a) of an array of one element but not 0-d (`y[k]` of a column, shape
    (1,)): NumPy 2.4 refuses it (TypeError), NumPy 1.25 to 2.3 converted it with a
    DeprecationWarning. Unlike a removed name, a behaviour cannot be given back to NumPy's own
    type, so the grade follows the newest: the warning is an error on the versions that warn, and
    the same code fails the same checks on every NumPy from 1.25 on (1.23 and 1.24 convert it
    without a word). The failure's message says what to write instead (grader/python2_habits.py)."""
    import warnings  # noqa: PLC0415

    warnings.filterwarnings("error", message="Conversion of an array with ndim > 0 to a scalar",
                            category=DeprecationWarning)


def uses(source: str, filename: str,
         tree: ast.Module | None = None) -> list[tuple[str, int]]:
    """(name, line) of every expired NumPy name the source reads: `np.float` for each name numpy
    is imported as (np and numpy when the file imports it under no name of its own, as a
    notebook cell may), and `from numpy import float`. Unparsable source reads nothing here:
    running it reports the syntax error. `tree`: the source already parsed, if it was."""
    if tree is None:
        try:
            tree = ast.parse(source, filename)
        except (SyntaxError, ValueError):
            return []
    aliases = {"np", "numpy"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases |= {a.asname or a.name for a in node.names if a.name == "numpy"}
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in EXPIRED
                and isinstance(node.value, ast.Name) and node.value.id in aliases):
            found.append((node.attr, node.lineno))
        elif isinstance(node, ast.ImportFrom) and node.module == "numpy":
            found += [(a.name, node.lineno) for a in node.names if a.name in EXPIRED]
        elif isinstance(node, ast.Call) and _is_nan_threshold(node, aliases):
            found.append(("set_printoptions(threshold=nan)", node.lineno))
    return sorted(set(found), key=lambda use: (use[1], use[0]))


def _is_nan_threshold(call: ast.Call, aliases: set[str]) -> bool:
    """`np.set_printoptions(threshold=np.nan)` (or float("nan"), or nan as the second argument)."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "set_printoptions"
            or isinstance(func, ast.Name) and func.id == "set_printoptions"):
        return False
    values = [k.value for k in call.keywords if k.arg == "threshold"] + call.args[1:2]
    for value in values:
        if isinstance(value, ast.Attribute) and value.attr in _NAN_NAMES \
                and isinstance(value.value, ast.Name) and value.value.id in aliases:
            return True
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
                and value.func.id == "float" and value.args \
                and isinstance(value.args[0], ast.Constant) \
                and str(value.args[0].value).strip().lower() == "nan":
            return True
    return False
