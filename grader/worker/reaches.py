"""Which graded functions each graded function reaches, read from its code, never by running it.

A caller's failing checks name the callee that fails its own checks (grader/callees.py): "fix
sigmoid_grad first". The pack's manifest says which functions the assignment's caller calls, but a
student may have written the callee's work inline (h * (1 - h) where sigmoid_grad(h) would do),
and then a failing sigmoid_grad is not why the network fails. So the worker reads, from each
graded function's code objects (nested ones too), the names it uses: its globals, its closure and
its defaults, the attributes it takes of the submission's own modules, and, through every
module-level function found there, the names that one uses. A graded function among them is
reached.

Only code objects, dictionaries and types are read, never an attribute that student code could
compute, so nothing of the student's runs. Where the code goes through something this cannot
follow (a class or an object of the submission's, a decorated or built function), the answer for
that caller is left out and the manifest stands.
"""
from __future__ import annotations

import types
from pathlib import Path
from typing import Any


def graded_callees(functions: dict[str, Any], root: Path,
                   graded: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """{caller: the other graded functions it reaches} for each graded function that is a plain
    Python function whose code can be followed; `root` holds the submission's files. A graded
    name in `graded` that the submission does not define (not found, or its file failed to
    load) is reached where the code names it: the call fails with a NameError there, and that
    function is the one to fix first."""
    by_id = {id(f): name for name, f in functions.items()}
    undefined = set(graded) - set(functions)
    out = {}
    for name, function in functions.items():
        found = _reached(function, by_id, str(root), undefined)
        if found is not None:
            out[name] = sorted(found - {name})
    return out


def globals_like_parameters(functions: dict[str, Any]) -> dict[str, list[list[str]]]:
    """{function: [[global, parameter], ...]} for each graded function whose body reads a global
    name that is one of its parameters' names in another case (`word2Ind` in a function whose
    parameter is `word2ind`): the body then uses whatever the file or notebook left in the
    global, not what the caller passed."""
    out = {}
    for name, function in functions.items():
        if type(function) is not types.FunctionType:
            continue
        code = function.__code__
        parameters = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
        by_lower = {p.lower(): p for p in parameters}
        read = [n for code_ in _codes(code) for n in code_.co_names]
        pairs = [[n, by_lower[n.lower()]] for n in dict.fromkeys(read)
                 if n.lower() in by_lower and n not in parameters]
        if pairs:
            out[name] = pairs[:5]
    return out


def _reached(start: Any, by_id: dict[int, str], root: str,
             undefined: set[str] = frozenset()) -> set[str] | None:
    if type(start) is not types.FunctionType:
        return None
    reached: set[str] = set()
    seen: set[int] = set()
    todo = [start]
    while todo:
        function = todo.pop()
        if id(function) in seen:
            continue
        seen.add(id(function))
        namespace = function.__globals__
        if type(namespace) is not dict:
            return None
        names = {n for code in _codes(function.__code__) for n in code.co_names}
        # Not there, or not a function: a graded name the notebook rebound (`relu = relu(z1)`)
        # fails the caller's call as surely as a missing one.
        reached |= {n for n in names & undefined
                    if n not in namespace or type(namespace[n]) is not types.FunctionType}
        values = [namespace[n] for n in names if n in namespace]
        for cell in function.__closure__ or ():
            try:
                values.append(cell.cell_contents)
            except ValueError:  # a cell not yet filled
                continue
        values += list(function.__defaults__ or ())
        values += list((function.__kwdefaults__ or {}).values())
        for value in values:
            if type(value) is types.ModuleType and _own(value.__dict__.get("__file__"), root):
                values += [value.__dict__[n] for n in names if n in value.__dict__]
                continue
            if id(value) in by_id:
                reached.add(by_id[id(value)])
            if type(value) is types.FunctionType:
                todo.append(value)
            elif _opaque(value, root):
                return None
    return reached


def _codes(code: types.CodeType):
    yield code
    for const in code.co_consts:
        if type(const) is types.CodeType:
            yield from _codes(const)


def _own(file: Any, root: str) -> bool:
    return type(file) is str and file.startswith(root)


def _opaque(value: Any, root: str) -> bool:
    """A class or an object of a class the submission defines, or a callable this cannot look
    into (a partial, a bound method of the student's): its calls cannot be followed."""
    kind = type(value)
    if kind is types.ModuleType:
        return False  # a library's (the submission's own are looked into by the caller)
    if kind in (types.MethodType, types.BuiltinFunctionType, types.BuiltinMethodType):
        return kind is types.MethodType
    if type(kind) is not type:
        return True  # a class made by a metaclass of its own, or an instance of one
    cls = value if kind is type else kind
    module = cls.__dict__.get("__module__")
    if type(module) is not str:
        return False  # a type defined in C (int, numpy's ufunc): never the submission's
    import sys  # noqa: PLC0415

    home = sys.modules.get(module)
    return home is not None and type(home) is types.ModuleType \
        and _own(home.__dict__.get("__file__"), root)
