"""Which graded functions a file writes, read off its syntax tree, never run.

A def is someone's work unless it is an exercise's template (a docstring, `pass`, `raise
NotImplementedError`, names set to None and returned), returns its argument as it came and
computes nothing (the softmax starters' `return x` below a `pass`), can only end in
NotImplementedError or `raise NotImplemented` (the 2017 starter's softmax raises it in both
branches of an if, after lines of its own), or can only end in NameError: every value it returns
names something bound neither in it nor at its file's top level (a name another function of the
file sets is not bound here), and it computes nothing it leaves unread but views of its
arguments (the starter's `return cost, gradPred, grad` below a `pass`; the 2017 network's "do
not modify" unpacking of W1..b2 above its `pass`). Python 2's builtins are bound: the worker's
shim supplies them. The worker's loader chooses between folders with it (a starter's folder, or
a backup, must not win for defining every function); the grader's class folder, between a
student's files handed in one after another. Both read the same trees, so this module imports
nothing of either.
"""
from __future__ import annotations

import ast
import builtins
from collections.abc import Collection, Iterator, Sequence

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
# Calls that give an argument's numbers rearranged or as they are, computing nothing: what a
# starter's unpacking of its arguments calls (`np.reshape(params[ofs:ofs + Dx * H], (Dx, H))`).
_VIEWS = frozenset({"reshape", "ravel", "flatten", "copy", "asarray", "array", "atleast_2d",
                    "transpose", "squeeze", "astype"})


def written(trees: Sequence[ast.Module], functions: Collection[str]) -> set[str]:
    """The graded `functions` one file writes; `trees`: its code, one tree per notebook cell, so
    a name bound in one cell (`import numpy as np`) is bound for the defs of every other."""
    names, star = file_names(trees)
    return {node.name for tree in trees for node, enclosing in _defs(tree)
            if node.name in functions
            and not stub_kind(node, names | enclosing if enclosing else names, star)}


def _defs(tree: ast.AST) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef, set[str]]]:
    """Each def in `tree`, with the names the defs around it bind (empty for one at the top),
    which it reads as its own. Without a recursion: the tree may be deep."""
    stack: list[tuple[ast.AST, set[str]]] = [(tree, set())]
    while stack:
        node, enclosing = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield child, enclosing
                stack.append((child, enclosing | bound_names(child)))
            else:
                stack.append((child, enclosing))


def file_names(trees: Sequence[ast.Module]) -> tuple[set[str], bool]:
    """(every name a file's `trees` bind for its functions to read (`module_names`), whether it
    imports * from somewhere, which may bind any name): what `stub_kind` reads a def's returns
    against."""
    names: set[str] = set()
    star = False
    for tree in trees:
        names |= module_names(tree)
        star = star or any(isinstance(node, ast.ImportFrom)
                           and any(alias.name == "*" for alias in node.names)
                           for node in ast.walk(tree))
    return names, star


def stub_kind(node: ast.FunctionDef | ast.AsyncFunctionDef, module_names: set[str],
              star: bool = False) -> str:
    """How a def is a starter's stub, not someone's work: "not implemented" (it raises
    NotImplementedError), "raises NotImplemented" (the same, misspelt), "template"
    (`is_template`), "returns its argument" (`returns_argument_as_given`), "unbound" (every value
    it returns names something neither it nor its file's top level, `module_names`, binds; never
    said where the file imports *). "" for a def that is written."""
    raised = _always_raises(node.body)
    if raised:
        return "not implemented" if raised == "NotImplementedError" else "raises NotImplemented"
    if is_template(node):
        return "template"
    if returns_argument_as_given(node):
        return "returns its argument"
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
        names |= _binds(node)
    return names


def module_names(tree: ast.Module) -> set[str]:
    """The names a file's functions may read from outside themselves: those its top level binds
    (in its ifs, loops, trys and class bodies too) and those a function declares global. A name
    that only another function binds is not among them: test_word2vec's `cost` bound the
    starter's `return cost, gradPred, grad` below a `pass` in the same file (recheck probe s61).
    A def inside a def reads its enclosing defs' names too (`written`)."""
    names: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                names |= _function_binds_outside(child)
            else:
                names |= _binds(child)
                stack.append(child)
    return names


def _function_binds_outside(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
                            ) -> set[str]:
    """What a def (or lambda) binds for code outside its body: its name and its globals."""
    names = set() if isinstance(function, ast.Lambda) else {function.name}
    return names | {name for node in ast.walk(function) if isinstance(node, ast.Global)
                    for name in node.names}


def _binds(node: ast.AST) -> set[str]:
    """The names one node binds (`bound_names`)."""
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        return {node.id}
    if isinstance(node, ast.arg):
        return {node.arg}
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, ast.alias):
        return {(node.asname or node.name).split(".")[0]}
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return set(node.names)
    if isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
        return {node.name}
    return set()


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
    """Whether the def computes a name it never reads: what a misspelt return leaves behind
    (`s = 1 / (1 + np.exp(-x))` above `return sigmiod_out`), a written function's bug, where the
    starter's `return cost, gradPred, grad` below a `pass` sets nothing unread (recheck probe
    s60: such a sigmoid was called the starter's stub, and a backup copy graded instead). A view
    of its arguments (`_argument_views`) is not computed: the 2017 network's "do not modify"
    unpacking sets W1..b2 for the code the student writes to read; left with `pass` there, it
    can only end in NameError (`gradW1`), yet beat the student's hw1.py (recheck probe s61)."""
    stored, loaded = set(), set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name):
            (loaded if isinstance(inner.ctx, ast.Load) else stored).add(inner.id)
    unread = stored - loaded
    return bool(unread and unread - _argument_views(node))


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    arguments = node.args
    every = arguments.posonlyargs + arguments.args + arguments.kwonlyargs
    every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
    return {a.arg for a in every}


def _argument_views(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The names the def sets only to views of its arguments, or of such names (`_is_view`):
    a starter's unpacking, `W1 = np.reshape(params[ofs:ofs + Dx * H], (Dx, H))`. A name set
    otherwise anywhere in the def too, a parameter as well, is computed. One pass in the order
    of the source, so that a long chain of views costs no more than its length."""
    assigns = [n for n in ast.walk(node) if isinstance(n, ast.Assign)]
    assigns.sort(key=lambda n: (n.lineno, n.col_offset))
    in_assigns = {id(name) for a in assigns for target in a.targets for name in ast.walk(target)}
    elsewhere = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                 and not isinstance(n.ctx, ast.Load) and id(n) not in in_assigns}
    known, views, computed = _parameters(node) - elsewhere, set(), set(elsewhere)
    for assign in assigns:
        names = {name.id for target in assign.targets for name in ast.walk(target)
                 if isinstance(name, ast.Name) and not isinstance(name.ctx, ast.Load)}
        if _is_view(assign.value, known):
            known |= names
            views |= names
        else:
            known -= names
            computed |= names
    return views - computed


def _is_view(expr: ast.expr, views: set[str]) -> bool:
    """Whether an expression gives the numbers of `views` (names) as they are or rearranged,
    computing nothing: a name, an item or slice (`params[ofs:ofs + H]`, whatever its index
    computes), an attribute (`x.shape`, `x.T`), a tuple of those, and a `_VIEWS` call of one
    (`a.reshape(shape)`; `np.reshape(a, shape)`, where the call's owner is no view). Without a
    recursion: a chain of items may be deep."""
    stack = [expr]
    while stack:
        inner = stack.pop()
        if isinstance(inner, ast.Name):
            if inner.id not in views:
                return False
        elif isinstance(inner, (ast.Subscript, ast.Attribute)):
            stack.append(inner.value)
        elif isinstance(inner, (ast.Tuple, ast.List)) and inner.elts:
            stack.extend(inner.elts)
        elif isinstance(inner, ast.Call):
            func = inner.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in _VIEWS:
                return False
            if isinstance(func, ast.Attribute) and not (
                    isinstance(func.value, ast.Name) and func.value.id not in views):
                stack.append(func.value)  # a.reshape(shape)
            elif inner.args:
                stack.append(inner.args[0])  # np.reshape(a, shape)
            else:
                return False
        else:
            return False
    return True


def returns_argument_as_given(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the def returns one of its arguments as it came and does nothing else: its
    statements are docstrings, `pass`, views of its arguments set aside (`orig_shape =
    x.shape`), asserts, ifs of those, and returns of an argument it never sets, with a `pass`
    (or `...`) where code goes. What the softmax starters leave with `pass` where their raise
    was: 2016's `pass` / `return x`; 2017's and this pack's student_template's `orig_shape =
    x.shape`, `pass` (in both branches of an if in 2017's), `assert x.shape == orig_shape`,
    `return x` (recheck probe s61: beside a correct hw1.py, such a softmax was graded, 0 of 15).
    Without the placeholder, `return a` alone is a helper's identity (tests' cbow float32.py).
    Written code changes what it returns, or returns something else: `x = x - np.max(x)` above
    `return x` is written."""
    parameters = _parameters(node)
    stored = {n.id for n in ast.walk(node)
              if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    returned: list[str] = []
    placeholders = [n for n in ast.walk(node) if isinstance(n, ast.Pass) or (
        isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and n.value.value is ...)]

    def nothing_done(statements: Sequence[ast.stmt]) -> bool:
        for statement in statements:
            if isinstance(statement, ast.Return):
                value = statement.value
                if not (isinstance(value, ast.Name) and value.id in parameters
                        and value.id not in stored):
                    return False
                returned.append(value.id)
            elif isinstance(statement, ast.If):
                if not (nothing_done(statement.body) and nothing_done(statement.orelse)):
                    return False
            elif isinstance(statement, ast.Assign):
                if not (all(isinstance(t, ast.Name) for t in statement.targets)
                        and _is_view(statement.value, parameters)):
                    return False
            elif not (isinstance(statement, (ast.Pass, ast.Assert)) or (
                    isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))):
                return False
        return True

    return bool(placeholders) and nothing_done(node.body) and bool(returned)
