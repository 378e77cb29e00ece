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
"""
from __future__ import annotations

import ast
import builtins
import importlib
import sys
from typing import Any

HOOK = "__autograde_missing_import__"
# Where each missing module was imported: {"module", "file", "line"}, read by the loader.
noted: list[dict] = []


class Missing:
    """A name from a module that is not installed here. Attribute access gives further stand-ins
    (`nltk.tokenize.word_tokenize`), so the chain a file writes at import time resolves; calling
    one raises."""

    def __init__(self, qualified: str, module: str) -> None:
        self._qualified, self._module = qualified, module

    def _error(self) -> ModuleNotFoundError:
        return ModuleNotFoundError(
            f"No module named {self._module!r}: it is neither in your upload nor installed where "
            f"your code is graded, so {self._qualified} cannot be used here", name=self._module)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise self._error()

    def __getattr__(self, attr: str) -> "Missing":
        if attr.startswith("__"):
            raise AttributeError(attr)
        return Missing(f"{self._qualified}.{attr}", self._module)

    def __iter__(self):
        raise self._error()

    def __mro_entries__(self, bases: tuple) -> tuple:
        # `class Net(torch.nn.Module)`: say which module is missing, not that Missing() got the
        # wrong number of arguments.
        raise self._error()

    def __repr__(self) -> str:
        return f"<{self._qualified}: module {self._module!r} is not installed here>"


def _note(module: str, where: tuple[str, int]) -> None:
    # Once per module and file (or cell): its first import says enough.
    if not any(e["module"] == module and e["file"] == where[0] for e in noted):
        noted.append({"module": module, "file": where[0], "line": where[1]})


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
        _note(missing, where)
        if kind == "import":
            namespace[asname or top] = Missing(module if asname else top, missing)
        elif name != "*":
            namespace[asname or name] = Missing(f"{module}.{name}", missing)


def missing_import(exc: ModuleNotFoundError, specs: tuple, namespace: dict) -> None:
    """Called by a guarded top-level import that raised ModuleNotFoundError: import its names
    one by one, standing in for those that cannot be."""
    caller = sys._getframe(1)  # the guarded statement's: its file (or notebook cell) and line
    where = (caller.f_code.co_filename, caller.f_lineno)
    for spec in specs:
        _import_one(spec, namespace, where)


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


def guard(tree: ast.Module) -> ast.Module:
    """`tree` with each top-level absolute import guarded (not `from __future__`, not a relative
    import, nothing nested)."""
    tree.body = [_guarded(node) if isinstance(node, ast.Import) or (
        isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__")
        else node for node in tree.body]
    ast.fix_missing_locations(tree)
    return tree


def compile_guarded(source: str, filename: str) -> Any:
    """The code of a submission's file, its top-level imports guarded."""
    return compile(guard(ast.parse(source, filename, "exec")), filename, "exec")


def install() -> None:
    """Make the hook reachable from every module the submission runs."""
    setattr(builtins, HOOK, missing_import)


__all__ = ["HOOK", "Missing", "compile_guarded", "guard", "install", "missing_import", "noted"]
