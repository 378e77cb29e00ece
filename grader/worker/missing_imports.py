"""Top-level imports of modules the grading machine does not have, let through.

A course's notebook imports what its own platform has installed (the CBOW notebook's first cell
imports nltk and emoji before numpy); so does a student's .py with `import matplotlib.pyplot as
plt` at the top. Jupyter would run the whole cell; here the first missing module would stop it,
numpy would never be imported, and every function the submission defines would fail for a reason
that is the grading machine's, not the student's.

So each top-level `import` statement of a submission's file or notebook cell is compiled inside
a guard: when it raises ModuleNotFoundError, its names are imported one by one and each that
cannot be is bound to a `Missing` stand-in, and the file goes on. A stand-in raises
ModuleNotFoundError, saying the module is not installed where the code is graded, as soon as it
is called: code that really needs the module fails, there and only there. Imports inside a
function or a `try` are the student's own business and are left alone (a `try: import numba`
with a fallback keeps its fallback). Every module let through is noted for the report.

A top-level call made only for its effect on the student's own machine (`matplotlib.use('agg')`,
`plt.show()`, `nltk.download('punkt')`: a bare expression statement that is a call) is guarded
too: when it raises the stand-in's own error (`StandInError`, never a student's exception), the
statement is skipped, noted for the report, and the file goes on. So is a top-level assignment
whose value needed it (`words = tokenize(corpus)` with nltk missing, which would otherwise stop
the notebook's cell and lose every `def` after it): the names it assigns are bound to stand-ins
for the same module, so code that uses them later fails saying which module was missing, and
top-level code that only uses them is skipped in turn. A function the grader calls that uses a
stand-in fails as before.

Any other top-level statement that raises the stand-in's error is skipped from there on as well:
`if __name__ == main():` (a typo for the usual guard, which calls main() while the file loads), a
`for` loop that plots as it trains, `[plt.plot(x) for x in runs]`. Without the guard its error
would stop the whole file, losing every `def` after it, where Python on the student's own machine
runs on; with it, the rest of that statement is skipped, noted, and the file goes on.
"""
from __future__ import annotations

import ast
import builtins
import importlib
import linecache
import sys
import types
from typing import Any

HOOK = "__autograde_missing_import__"
CALL_HOOK = "__autograde_missing_call__"
ASSIGN_HOOK = "__autograde_missing_assign__"
STATEMENT_HOOK = "__autograde_missing_statement__"
ERROR = "__autograde_stand_in_error__"  # the name StandInError has in a guarded handler
# Where each missing module was imported: {"module", "file", "line"}, read by the loader.
noted: list[dict] = []
# Top-level calls skipped because they needed a missing module: {"module", "file", "line", "code"}.
skipped_calls: list[dict] = []
# The upload's files outside the folder graded, by module name: {name: (its path in the upload,
# the folder graded)}, set by the loader; a module missing here may be one of them.
elsewhere: dict[str, tuple[str, str]] = {}
# The upload's own module names, set by the loader, and the top-level names of the modules the
# submission's files import anywhere (read as each is compiled): what a module that is not
# installed may be a misspelling of (near_module).
own_modules: set[str] = set()
imported_names: set[str] = set()
# The names each of those modules is bound to (`import numpy as np`: {"numpy": {"np"}}), read with
# them: a module imported under a name of its own beside numpy's is meant (near_module).
bound_names: dict[str, set[str]] = {}
# Skipped past MAX_SKIPPED_CALLS: not listed, but counted (61 skipped were said as "50").
skipped_beyond = [0]
MAX_SKIPPED_CALLS = 50


class StandInError(ModuleNotFoundError):
    """What a stand-in raises: its own class, so that a guarded top-level call can tell it from
    any exception of the student's (a student's own ModuleNotFoundError included)."""


# Reports, and tracebacks a student prints, name the type a student knows (and
# `except ModuleNotFoundError` still catches it).
StandInError.__name__ = StandInError.__qualname__ = "ModuleNotFoundError"
StandInError.__module__ = "builtins"


# Stands where a module's name does for a statement that asked for input while the submission
# loaded (no_input): skipped as one that needed a missing module is, named as what it is.
INPUT = "input()"
# ... and for a statement that only used what such a statement would have set.
INPUT_UNSET = "input() unset"


class NoAnswer(StandInError, EOFError):
    """What input() raises while the submission loads: the stand-in's error, so that the guard
    skips the statement, and an EOFError, what input() raises at the end of its input, so that
    a submission's own `except EOFError:` still takes its fallback."""


NoAnswer.__name__ = NoAnswer.__qualname__ = "EOFError"
NoAnswer.__module__ = "builtins"


def no_input(prompt: object = "") -> str:
    """input() while the submission loads: nobody answers. A notebook's cell that began with
    `C = int(input('window size? '))` lost every `def` after it (a correct softmax scored 0),
    where a statement needing a missing module is skipped and the cell goes on (probe s56); so
    the statement is skipped the same way, and what it would have set stands in."""
    raise NoAnswer("input() gets no answer while your code is graded", name=INPUT)


class Missing:
    """A name from a module that is not installed here. Attribute access gives further stand-ins
    (`nltk.tokenize.word_tokenize`), so the chain a file writes at import time resolves; calling
    one raises."""

    def __init__(self, qualified: str, module: str, gated: bool = False) -> None:
        self._qualified, self._module, self._gated = qualified, module, gated

    def _error(self) -> StandInError:
        if self._module == INPUT:
            return StandInError(f"input() got no answer while your code was graded, so "
                                f"{self._qualified} was never set", name=INPUT_UNSET)
        near = "" if self._gated else near_module(self._module)
        why = ("graded code may use NumPy and Python's standard library only" if self._gated
               else "it is neither in your upload nor installed where your code is graded"
               + (f" (did you mean {near}?)" if near else ""))
        place = elsewhere.get(self._module.split(".")[0])
        if place and not self._gated:
            why = (f"{place[0]} is in your upload, but not in {place[1]}/, the folder that was "
                   "graded")
        return StandInError(f"No module named {self._module!r}: {why}, so {self._qualified} "
                            "cannot be used here", name=self._module)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise self._error()

    def __getattr__(self, attr: str) -> "Missing":
        if attr.startswith("__"):
            raise AttributeError(attr)
        return Missing(f"{self._qualified}.{attr}", self._module, self._gated)

    def __iter__(self):
        raise self._error()

    def _refuse(self, *args: Any) -> Any:
        raise self._error()

    # What code does with a value a skipped assignment never made (`words[0]`, `float(words)`,
    # `counts + 1`, `V = len(word2Ind)`): say which module was missing, not that a stand-in cannot
    # do it. Raising the stand-in's own error also lets a guarded assignment skip itself in turn,
    # where a TypeError ("has no len()") stopped the cell and lost every `def` after it.
    __getitem__ = __contains__ = __float__ = __int__ = __index__ = __len__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _refuse
    __rtruediv__ = __floordiv__ = __rfloordiv__ = __matmul__ = __rmatmul__ = _refuse
    __pow__ = __rpow__ = __mod__ = __rmod__ = __neg__ = __pos__ = __abs__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = __setitem__ = __delitem__ = __reversed__ = _refuse

    def __mro_entries__(self, bases: tuple) -> tuple:
        # `class Net(torch.nn.Module)`: say which module is missing, not that Missing() got the
        # wrong number of arguments.
        raise self._error()

    def __repr__(self) -> str:
        if self._module == INPUT:
            return f"<{self._qualified}: input() got no answer here>"
        return f"<{self._qualified}: module {self._module!r} is not installed here>"


# An error a stand-in does not raise itself still names its type ("'Missing' object is not
# callable" read as the student's own class): name it for what it is.
Missing.__name__ = Missing.__qualname__ = "NotInstalledHere"


def _note(module: str, where: tuple[str, int], gated: bool = False) -> None:
    # Once per module and file (or cell): its first import says enough.
    if not any(e["module"] == module and e["file"] == where[0] for e in noted):
        near = "" if gated else near_module(module)
        noted.append({"module": module, "file": where[0], "line": where[1],
                      **({"gated": True} if gated else {}), **({"near": near} if near else {})})


def near_module(module: str) -> str:
    """The module a missing one's name is a misspelling of: one edit (a letter added, dropped,
    changed, or two swapped) from a module of the upload's own or one the submission imports
    that is installed, or from numpy, which graded code may always use (`nunpy` for numpy,
    `q1_softmx` for q1_softmax.py: "not installed" alone sent the student looking for a
    package, probe s61). "" when there is none, or more than one."""
    top = module.split(".")[0]
    if top in _REAL_NEIGHBOURS:
        return ""
    known = own_modules | {"numpy"} | {name for name in imported_names if name in sys.modules}
    near = sorted(name for name in known if name != top and _one_edit(name, top))
    return near[0] if len(near) == 1 and not _named_apart(top, near[0]) else ""


# Real packages one edit from numpy (array libraries, most of them): a student importing one
# means it, and "did you mean numpy?" sent them looking for a typo they had not made (probe
# s62-recheck, row 10: Farama's jumpy).
_REAL_NEIGHBOURS = frozenset({"jumpy", "gnumpy", "unumpy", "xnumpy", "numpyx", "jnumpy", "cumpy",
                              "sumpy", "numpy2"})


def _named_apart(top: str, near: str) -> bool:
    """Whether the submission imports both the missing module and the one it is near, each under
    a name of its own (`import jumpy as jnp` beside `import numpy as np`): two names chosen are
    two modules meant. `import nunpy`, or `import nunpy as np` beside numpy's np, is a typo."""
    chosen = bound_names.get(top, set()) - {top}
    near_names = bound_names.get(near, set())
    return bool(chosen) and bool(near_names) and not chosen & near_names


def _one_edit(a: str, b: str) -> bool:
    """Whether `b` is `a` with one letter added, dropped or changed, or two neighbours swapped
    (names of two letters or fewer aside: `np` is one edit from too much)."""
    if a == b or min(len(a), len(b)) < 3 or abs(len(a) - len(b)) > 1:
        return False
    start = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    if len(a) == len(b):
        swapped = a[start:start + 2] == b[start:start + 2][::-1]
        return a[start + 1:] == b[start + 1:] or (swapped and a[start + 2:] == b[start + 2:])
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[start + 1:] == shorter[start:]


def _import_one(spec: tuple, namespace: dict, where: tuple[str, int]) -> None:
    """One alias of the statement, imported as Python would; a module that is not installed
    binds a stand-in instead. Any other error (a name the module lacks) is the student's and
    propagates, as it would have."""
    kind, module, name, asname = spec
    top = module.split(".")[0]
    try:
        imported = importlib.import_module(module)
        if kind == "import":
            # `import a.b` binds a; `import a.b as c` binds c to a.b.
            namespace[asname or top] = imported if asname else sys.modules[top]
        elif name == "*":
            public = getattr(imported, "__all__", None) or [
                n for n in vars(imported) if not n.startswith("_")]
            namespace.update({n: getattr(imported, n) for n in public})
        elif hasattr(imported, name):
            namespace[asname or name] = getattr(imported, name)
        else:  # `from package import submodule`
            namespace[asname or name] = importlib.import_module(f"{module}.{name}")
    except ModuleNotFoundError as exc:
        missing = exc.name or module
        if kind == "from" and defined_here(asname or name, namespace):
            return  # the file's own definition stays
        # Installed, but not for graded code (import_gate.py): said so, not "not installed".
        gated = "graded code may use NumPy" in str(exc)
        _note(missing, where, gated)
        if kind == "import":
            namespace[asname or top] = Missing(module if asname else top, missing, gated)
        elif name != "*":
            namespace[asname or name] = Missing(f"{module}.{name}", missing, gated)


def defined_here(name: str, namespace: dict) -> bool:
    """The file (or notebook) whose globals are `namespace` defined `name` itself, as a function
    or class: a file pasted together from several keeps its own definitions when a part's
    `from q1_softmax import softmax` names a module that is not there (see loader.py)."""
    own = namespace.get(name)
    return (isinstance(own, (types.FunctionType, type))
            and own.__module__ == namespace.get("__name__"))


def missing_import(exc: ModuleNotFoundError, specs: tuple, namespace: dict) -> None:
    """Called by a guarded top-level import that raised ModuleNotFoundError: import its names
    one by one, standing in for those that cannot be."""
    caller = sys._getframe(1)  # the guarded statement's: its file (or notebook cell) and line
    where = (caller.f_code.co_filename, caller.f_lineno)
    for spec in specs:
        _import_one(spec, namespace, where)


def missing_call(exc: StandInError, filename: str | None = None) -> None:
    """Called when a guarded top-level call raised a stand-in's error: note it (the statement is
    skipped). Its place is the outermost frame of the traceback in `filename` (by default the
    first: the guarded statement's own, in the file or cell that ran it)."""
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    tb = next((t for t in frames if filename is None or t.tb_frame.f_code.co_filename == filename),
              None)
    if tb is None:
        return
    if len(skipped_calls) >= MAX_SKIPPED_CALLS:
        skipped_beyond[0] += 1
        return
    file, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
    skipped_calls.append({"module": exc.name or "", "file": file, "line": line,
                          "code": linecache.getline(file, line).strip()[:120]})


def missing_assign(exc: StandInError, names: tuple, namespace: dict) -> None:
    """Called when a guarded top-level assignment raised a stand-in's error: note it (the
    statement is skipped) and bind the names it assigns to stand-ins for the missing module."""
    missing_call(exc)
    if skipped_calls and names:
        skipped_calls[-1]["names"] = list(names)
    module = exc.name or "a module"
    for name in names:
        namespace[name] = Missing(name, module)


def missing_statement(exc: StandInError) -> None:
    """Called when another guarded top-level statement (an `if`, a loop, a `with`, an expression
    that is not a bare call) raised a stand-in's error: note it; the rest of it is skipped."""
    before = len(skipped_calls)
    missing_call(exc)
    if len(skipped_calls) > before:
        skipped_calls[-1]["kind"] = "statement"


def _specs(node: ast.Import | ast.ImportFrom) -> tuple:
    if isinstance(node, ast.Import):
        return tuple(("import", a.name, None, a.asname) for a in node.names)
    return tuple(("from", node.module, a.name, a.asname) for a in node.names)


def _guarded(node: ast.Import | ast.ImportFrom) -> ast.Try:
    call = ast.Call(func=ast.Name(HOOK, ast.Load()),
                    args=[ast.Name("__autograde_exc__", ast.Load()), ast.Constant(_specs(node)),
                          ast.Call(ast.Name("globals", ast.Load()), [], [])], keywords=[])
    handler = ast.ExceptHandler(type=ast.Name("ModuleNotFoundError", ast.Load()),
                                name="__autograde_exc__", body=[ast.Expr(call)])
    guard = ast.Try(body=[node], handlers=[handler], orelse=[], finalbody=[])
    return ast.copy_location(guard, node)


def _guarded_call(node: ast.stmt, hook: str = CALL_HOOK) -> ast.Try:
    call = ast.Call(func=ast.Name(hook, ast.Load()),
                    args=[ast.Name("__autograde_exc__", ast.Load())], keywords=[])
    handler = ast.ExceptHandler(type=ast.Name(ERROR, ast.Load()),
                                name="__autograde_exc__", body=[ast.Expr(call)])
    guard = ast.Try(body=[node], handlers=[handler], orelse=[], finalbody=[])
    return ast.copy_location(guard, node)


def _assigned_names(node: ast.Assign | ast.AnnAssign | ast.AugAssign) -> tuple:
    """The plain names an assignment binds (`a = ...`, `a, b = ...`); a subscript or attribute
    target binds none."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    names: list[str] = []
    for target in targets:
        parts = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
        for part in parts:
            if isinstance(part, ast.Starred):
                part = part.value
            if isinstance(part, ast.Name):
                names.append(part.id)
    return tuple(dict.fromkeys(names))


def _guarded_assign(node: ast.stmt) -> ast.Try:
    names = ((node.name,) if isinstance(node, _DEFINITIONS) else _assigned_names(node))
    call = ast.Call(func=ast.Name(ASSIGN_HOOK, ast.Load()),
                    args=[ast.Name("__autograde_exc__", ast.Load()),
                          ast.Constant(names),
                          ast.Call(ast.Name("globals", ast.Load()), [], [])], keywords=[])
    handler = ast.ExceptHandler(type=ast.Name(ERROR, ast.Load()),
                                name="__autograde_exc__", body=[ast.Expr(call)])
    guard = ast.Try(body=[node], handlers=[handler], orelse=[], finalbody=[])
    return ast.copy_location(guard, node)


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _runs_code_when_defined(node: ast.stmt) -> bool:
    """A def or class whose definition calls something: a decorator (`@interact(C=(1, 4))` with
    ipywidgets missing, `@tqdm`), a default value, a base class (`torch.nn.Module`). Its
    stand-in's error stopped the cell and lost every `def` after it (a correct CBOW notebook
    scored 80, probe s54); guarded, the name is bound to a stand-in for the missing module, as a
    skipped assignment's is, and the cell goes on."""
    if not isinstance(node, _DEFINITIONS) or node.decorator_list:
        return isinstance(node, _DEFINITIONS)
    if isinstance(node, ast.ClassDef):
        return bool(node.bases or node.keywords)
    return bool(node.args.defaults or any(d is not None for d in node.args.kw_defaults))


def is_bare_call(node: ast.stmt) -> bool:
    """A statement that is only a call, made for its effect (`plt.show()`)."""
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)


# Top-level statements that run code and bind no names of their own before it: skipped from the
# stand-in's error on. (A def, a class, `global`, `pass` call nothing a stand-in could stop; an
# import, an assignment and a bare call have guards of their own above.)
_COMPOUND = tuple(getattr(ast, name) for name in ("If", "For", "While", "With", "Try", "TryStar",
                                                   "Match", "AsyncFor", "AsyncWith")
                  if hasattr(ast, name))


def _is_other_statement(node: ast.stmt) -> bool:
    """A compound statement, or an expression statement that is not a bare call and not a
    constant (a docstring must stay the first statement, for `from __future__` after it)."""
    if isinstance(node, ast.Expr):
        return not isinstance(node.value, (ast.Call, ast.Constant))
    return isinstance(node, _COMPOUND)


def guard(tree: ast.Module) -> ast.Module:
    """`tree` with each top-level absolute import guarded (not `from __future__`, not a relative
    import, nothing nested), each top-level bare call, each top-level assignment, each def or
    class whose definition calls something (a decorator) and each other top-level statement
    that runs code (an `if`, a loop, a `with`, a `try`, an expression)."""
    def guarded(node: ast.stmt) -> ast.stmt:
        if isinstance(node, ast.Import) or (
                isinstance(node, ast.ImportFrom) and node.level == 0
                and node.module != "__future__"):
            return _guarded(node)
        if isinstance(node, (ast.Assign, ast.AugAssign)) or (
                isinstance(node, ast.AnnAssign) and node.value is not None):
            return _guarded_assign(node)
        if is_bare_call(node):
            return _guarded_call(node)
        if _runs_code_when_defined(node):
            return _guarded_assign(node)
        return _guarded_call(node, STATEMENT_HOOK) if _is_other_statement(node) else node

    imported_names.update(_imported_here(tree))
    for module, names in _bound_here(tree).items():
        bound_names.setdefault(module, set()).update(names)
    tree.body = [guarded(node) for node in tree.body]
    ast.fix_missing_locations(tree)
    return tree


def _imported_here(tree: ast.Module) -> set[str]:
    """The top-level names of the modules a tree imports absolutely, anywhere in it."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _bound_here(tree: ast.Module) -> dict[str, set[str]]:
    """The names `import x` and `import x as y` bind, anywhere in the tree, by x's top-level
    name."""
    bound: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                bound.setdefault(top, set()).add(alias.asname or top)
    return bound


def compile_guarded(source: str, filename: str) -> Any:
    """The code of a submission's file, its top-level imports guarded."""
    return compile(guard(ast.parse(source, filename, "exec")), filename, "exec")


def install() -> None:
    """Make the hook reachable from every module the submission runs."""
    setattr(builtins, HOOK, missing_import)
    setattr(builtins, CALL_HOOK, missing_call)
    setattr(builtins, ASSIGN_HOOK, missing_assign)
    setattr(builtins, STATEMENT_HOOK, missing_statement)
    setattr(builtins, ERROR, StandInError)


__all__ = ["ASSIGN_HOOK", "CALL_HOOK", "ERROR", "HOOK", "INPUT", "INPUT_UNSET", "Missing",
           "STATEMENT_HOOK",
           "StandInError", "no_input",
           "compile_guarded", "defined_here", "guard", "install", "is_bare_call", "missing_assign",
           "missing_call", "missing_import", "missing_statement", "near_module", "noted",
           "skipped_calls"]
