"""Python 2's builtins and standard modules that Python 3 renamed, given their Python 3 meaning in
the worker: `reduce`, `unicode`, `basestring`, `long`, `unichr`, `raw_input`, `reload`,
`execfile`, and `import cPickle`, `cStringIO`, `StringIO`, `Queue`, `ConfigParser`, `copy_reg`,
`__builtin__`, `urllib2`; and the names standard modules had in 2017 and have no more:
`collections.Iterable` (the ABCs moved to collections.abc, gone from collections in 3.10),
`time.clock` (gone in 3.8), `itertools.izip`, `string.letters`, `os.getcwdu`.

A submission finished in Python 2 (the 2017 starter's q3_sgd.py says `import cPickle as pickle`)
otherwise loses, in Python 3, whatever reaches one of these names, although it says exactly what
it means. As with xrange (worker/loader.py), the worker defines each only where Python 3 has
nothing of that name, and the report names every use by file (or cell) and line, with what to
write instead: the grade does not depend on the Python the code was written for, and the student
learns the Python 3 spelling. The grader's --no-xrange-shim turns this off too.
"""
from __future__ import annotations

import ast
import builtins
import functools
import importlib
import importlib.abc
import importlib.util
import sys

def _execfile(path, globals=None, locals=None):  # noqa: A002 (Python 2's own signature)
    """Python 2's execfile: run the file in the caller's namespace unless one is given."""
    if globals is None:
        caller = sys._getframe(1)
        globals = caller.f_globals
        locals = caller.f_locals if locals is None else locals
    with open(path, "rb") as handle:
        code = compile(handle.read(), path, "exec")
    exec(code, globals, globals if locals is None else locals)


def _raw_input(prompt: object = "") -> str:
    """Python 2's raw_input: Python 3's input, looked up when called (while the submission
    loads, input() is the stand-in that nobody answers, and its statement is skipped)."""
    return builtins.input(prompt)


# Python 2 builtin -> (what it is given, as the report names it).
BUILTINS = {
    "reduce": (functools.reduce, "functools.reduce"),
    "unicode": (str, "str"),
    "basestring": (str, "str"),
    "long": (int, "int"),
    "unichr": (chr, "chr"),
    "raw_input": (_raw_input, "input"),
    "reload": (importlib.reload, "importlib.reload"),
    "execfile": (_execfile, "exec(open(path).read())"),
}
# The ABCs collections served until Python 3.10 (from collections.abc since 3.3).
_ABCS = ("Awaitable", "Coroutine", "AsyncIterable", "AsyncIterator", "AsyncGenerator", "Hashable",
         "Iterable", "Iterator", "Generator", "Reversible", "Sized", "Container", "Callable",
         "Collection", "Set", "MutableSet", "Mapping", "MutableMapping", "MappingView",
         "KeysView", "ItemsView", "ValuesView", "Sequence", "MutableSequence", "ByteString")
# (module, name it no longer has) -> (the name that holds it now, as the report names it; the
# Python that dropped it). sys.maxint is not among them: code tests hasattr(sys, "maxint") to
# tell Python 2.
ATTRIBUTES = {
    **{("collections", name): (f"collections.abc.{name}", "3.10") for name in _ABCS},
    ("time", "clock"): ("time.perf_counter", "3.8"),
    ("itertools", "izip"): ("zip", "3.0"), ("itertools", "imap"): ("map", "3.0"),
    ("itertools", "ifilter"): ("filter", "3.0"),
    ("itertools", "izip_longest"): ("itertools.zip_longest", "3.0"),
    ("itertools", "ifilterfalse"): ("itertools.filterfalse", "3.0"),
    ("string", "letters"): ("string.ascii_letters", "3.0"),
    ("string", "lowercase"): ("string.ascii_lowercase", "3.0"),
    ("string", "uppercase"): ("string.ascii_uppercase", "3.0"),
    ("os", "getcwdu"): ("os.getcwd", "3.0"),
}
# Python 2 module -> its Python 3 name.
MODULES = {
    "cPickle": "pickle",
    "cStringIO": "io",
    "StringIO": "io",
    "Queue": "queue",
    "ConfigParser": "configparser",
    "copy_reg": "copyreg",
    "__builtin__": "builtins",
    "urllib2": "urllib.request",
}


class _RenamedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds a Python 2 module name that nothing else on the path provides, as its Python 3
    module (the same module object: `cPickle is pickle`)."""

    def find_spec(self, name, path=None, target=None):  # noqa: ANN001 (importlib's protocol)
        if name not in MODULES:
            return None
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec):  # noqa: ANN001
        return importlib.import_module(MODULES[spec.name])

    def exec_module(self, module) -> None:  # noqa: ANN001
        pass  # already run, as its Python 3 self


def install() -> None:
    """Give the Python 2 names their meaning, where this Python has none of its own."""
    for name, (value, _) in BUILTINS.items():
        if not hasattr(builtins, name):
            setattr(builtins, name, value)
    if not any(isinstance(finder, _RenamedModules) for finder in sys.meta_path):
        sys.meta_path.append(_RenamedModules())  # last: a real module of the name comes first
    for (module_name, name), (now, _) in ATTRIBUTES.items():
        module = importlib.import_module(module_name)
        if not hasattr(module, name):
            setattr(module, name, _resolve(now))


def _resolve(dotted: str):  # noqa: ANN202
    """The object a name such as "collections.abc.Iterable" or "zip" spells."""
    if "." not in dotted:
        return getattr(builtins, dotted)
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def uses(source: str, filename: str,
         tree: ast.Module | None = None) -> list[tuple[str, int]]:
    """(name, line) of every Python 2 builtin the source reads without defining it itself, and
    of every import of a Python 2 module. Unparsable source reads nothing here: running it
    reports the syntax error. `tree`: the source already parsed, if it was."""
    if tree is None:
        try:
            tree = ast.parse(source, filename)
        except (SyntaxError, ValueError):
            return []
    bound = _names_bound(tree)
    aliases = _module_aliases(tree)
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) \
                and node.id in BUILTINS and node.id not in bound:
            found.append((node.id, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name in MODULES]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in MODULES:
            found.append((node.module, node.lineno))
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found += [(f"{node.module}.{a.name}", node.lineno) for a in node.names
                      if (node.module, a.name) in ATTRIBUTES]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and (aliases.get(node.value.id), node.attr) in ATTRIBUTES:
            found.append((f"{aliases[node.value.id]}.{node.attr}", node.lineno))
    return sorted(set(found), key=lambda use: (use[1], use[0]))


def _module_aliases(tree: ast.AST) -> dict[str, str]:
    """Name -> the module it stands for, for the modules ATTRIBUTES names: each under its own
    name (a notebook cell may use a module another cell imported) and under `import x as y`."""
    aliases = {module: module for module, _ in ATTRIBUTES}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases.update({a.asname: a.name for a in node.names
                            if a.asname and any(a.name == m for m, _ in ATTRIBUTES)})
    return aliases


def _names_bound(tree: ast.AST) -> set[str]:
    """Every name the source binds anywhere (a student's own `long = 3` or `def reduce` is theirs,
    not Python 2's)."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


def python3_spelling(name: str) -> str:
    """What to write in Python 3 for a Python 2 name this module gives a meaning."""
    if name in BUILTINS:
        return BUILTINS[name][1]
    module, _, attribute = name.partition(".")
    if (module, attribute) in ATTRIBUTES:
        return ATTRIBUTES[module, attribute][0]
    return MODULES.get(name, name)


def dropped_in(name: str) -> str | None:
    """The Python that no longer has `name` ("3.0" for Python 2's own), or None for a name this
    module does not give a meaning."""
    module, _, attribute = name.partition(".")
    if name in BUILTINS or name in MODULES:
        return "3.0"
    return ATTRIBUTES[module, attribute][1] if (module, attribute) in ATTRIBUTES else None
