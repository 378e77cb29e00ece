"""Which graded functions a file writes, read off its syntax tree, never run.

A def is someone's work unless it is an exercise's template (a docstring, `pass`, `raise
NotImplementedError`, names set to None and returned), can only end in NotImplementedError or
`raise NotImplemented` (the 2017 starter's softmax raises it in both branches of an if, after
lines of its own), or can only end in NameError: every value it returns names something bound
nowhere, in it or in its file, and it computes nothing it leaves unread (the starter's `return
cost, gradPred, grad` below a `pass`). Python 2's builtins are bound: the worker's shim supplies
them. The worker's loader chooses between folders with it (a starter's folder, or a backup, must
not win for defining every function); the grader's class folder, between a student's files
handed in one after another. Both read the same trees, so this module imports nothing of either.
"""
from __future__ import annotations

import ast
import builtins
from collections.abc import Collection, Sequence

# Python 2's builtins that Python 3 dropped: the worker supplies xrange (loader.py) and those of
# python2_names.BUILTINS; the rest (cmp, file, ...) are still what the student meant, never a
# starter's unset name. A written Python 2 softmax returning `... for i in xrange(n)` was called
# the starter's stub and lost to a wrong copy in a scratch file (recheck probe s61, 15 -> 0).
PYTHON2_BUILTINS = frozenset({
    "xrange", "reduce", "unicode", "basestring", "long", "unichr", "raw_input", "reload",
    "execfile", "apply", "buffer", "cmp", "coerce", "file", "intern", "StandardError"})
_BUILTINS = frozenset(dir(builtins)) | PYTHON2_BUILTINS
# What a starter raises where code goes: NotImplementedError, or NotImplemented, a common
# misspelling of it (a TypeError when run, as NotImplemented is no exception).
_NOT_IMPLEMENTED = ("NotImplementedError", "NotImplemented")


def written(trees: Sequence[ast.Module], functions: Collection[str]) -> set[str]:
    """The graded `functions` one file writes; `trees`: its code, one tree per notebook cell, so
    a name bound in one cell (`import numpy as np`) is bound for the defs of every other."""
    names, star = file_names(trees)
    return {node.name for tree in trees for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name in functions and not stub_kind(node, names, star)}


def file_names(trees: Sequence[ast.Module]) -> tuple[set[str], bool]:
    """(every name a file's `trees` bind anywhere, whether it imports * from somewhere, which may
    bind any name): what `stub_kind` reads a def's returns against."""
    names: set[str] = set()
    star = False
    for tree in trees:
        names |= bound_names(tree)
        star = star or any(isinstance(node, ast.ImportFrom)
                           and any(alias.name == "*" for alias in node.names)
                           for node in ast.walk(tree))
    return names, star


def stub_kind(node: ast.FunctionDef | ast.AsyncFunctionDef, module_names: set[str],
              star: bool = False) -> str:
    """How a def is a starter's stub, not someone's work: "not implemented" (it raises
    NotImplementedError), "raises NotImplemented" (the same, misspelt), "template"
    (`is_template`), "unbound" (every value it returns names something its file, `module_names`,
    never binds; never said where the file imports *). "" for a def that is written."""
    raised = _always_raises(node.body)
    if raised:
        return "not implemented" if raised == "NotImplementedError" else "raises NotImplemented"
    if is_template(node):
        return "template"
    if not star and returns_only_unbound(node, module_names):
        return "unbound"
    return ""


def is_template(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A def as an exercise's template leaves it (see loader's `_copy_problem`)."""
    nones: set[str] = set()

    def none(expr: ast.expr | None) -> bool:
        if expr is None or (isinstance(expr, ast.Constant) and expr.value is None):
            return True
        if isinstance(expr, ast.Name):
            return expr.id in nones
        return isinstance(expr, (ast.Tuple, ast.List)) and all(none(e) for e in expr.elts)

    def template_line(statement: ast.stmt) -> bool:
        if isinstance(statement, ast.Pass) or (isinstance(statement, ast.Expr)
                                               and isinstance(statement.value, ast.Constant)):
            return True
        if isinstance(statement, ast.Raise):
            return bool(_raised(statement))
        if isinstance(statement, ast.Assign) and none(statement.value) and all(
                isinstance(t, ast.Name) for t in statement.targets):
            nones.update(t.id for t in statement.targets)
            return True
        return isinstance(statement, ast.Return) and none(statement.value)

    for statement in node.body:
        if not template_line(statement):
            return False
        if isinstance(statement, ast.Raise):
            return True  # what follows it never runs: the template's `return s`
    return True


def raises_not_implemented(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the def can only end in NotImplementedError: it raises it before anything could
    return, at its top or in every branch of an if (the 2017 starter's softmax, after lines of
    its own). A raise in one branch only (`if x.ndim > 2: raise NotImplementedError`) is a
    written function's refusal of what it does not handle (recheck probe s60: such a correct
    softmax was passed over for a wrong copy in a scratch file, 15 -> 0). `raise NotImplemented`
    as well (recheck probe s61: in a class folder, a later file of such stubs replaced a correct
    earlier one, 100 -> 0)."""
    return bool(_always_raises(node.body))


def _always_raises(statements: Sequence[ast.stmt]) -> str:
    """What the statements can only end in raising (`_raised`), or "" where they may not."""
    for statement in statements:
        if _raised(statement):
            return _raised(statement)
        if isinstance(statement, ast.If) and statement.orelse:
            raised = _always_raises(statement.body)
            if raised and _always_raises(statement.orelse):
                return raised
        if _may_return(statement):
            return ""
    return ""


def _raised(statement: ast.stmt) -> str:
    """"NotImplementedError" or "NotImplemented" for a statement raising it (called or not, with
    a message or not); "" for any other."""
    if not isinstance(statement, ast.Raise) or statement.exc is None:
        return ""
    raised = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
    return raised.id if isinstance(raised, ast.Name) and raised.id in _NOT_IMPLEMENTED else ""


def _may_return(statement: ast.stmt) -> bool:
    """Whether a return or yield of the def's own is in the statement (not a nested def's)."""
    stack: list[ast.AST] = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)):
            return True
        if node is not statement and isinstance(
                node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def bound_names(tree: ast.AST) -> set[str]:
    """Every name `tree` binds anywhere (assigned, a parameter, imported, defined, declared
    global): an over-count, which only ever leaves a def counted as written."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
    return names


def returns_only_unbound(node: ast.FunctionDef | ast.AsyncFunctionDef,
                         module_names: set[str]) -> bool:
    """Whether every value the def returns names something bound nowhere, in it or in its file
    (`module_names`): it can only end in NameError. Every return, not any: a misspelt name in a
    branch rarely taken is a bug of written code (recheck probe s59)."""
    returns = [inner.value for inner in ast.walk(node)
               if isinstance(inner, ast.Return) and inner.value is not None]
    if not returns or _computes_unread(node):
        return False
    # The def's own names apart, never joined to the file's: a copy of those per def was
    # quadratic in a file of many defs and many names (probe s60: 175 KB took 9.6 s).
    own = bound_names(node)
    return all(
        any(isinstance(name, ast.Name) and isinstance(name.ctx, ast.Load)
            and name.id not in own and name.id not in module_names and name.id not in _BUILTINS
            for name in ast.walk(value))
        for value in returns)


def _computes_unread(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the def sets a name it never reads: what a misspelt return leaves behind
    (`s = 1 / (1 + np.exp(-x))` above `return sigmiod_out`), a written function's bug, where the
    starter's `return cost, gradPred, grad` below a `pass` sets nothing unread (recheck probe
    s60: such a sigmoid was called the starter's stub, and a backup copy graded instead)."""
    stored, loaded = set(), set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name):
            (loaded if isinstance(inner.ctx, ast.Load) else stored).add(inner.id)
    return bool(stored - loaded)
