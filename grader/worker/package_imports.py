"""Imports of the upload's own files through a package the upload does not have.

Students who keep the course's repository as it came write `from assignment1.q1_softmax import
softmax` (the folder as a package, run from its parent) or, in q2_neural.py, `from .q1_softmax
import softmax` (the folder with an `__init__.py`). The upload holds the files, not the folder
above them, so Python says "No module named 'assignment1'" or "attempted relative import with no
known parent package", and a function whose code is right scores nothing: 2 of 55 real CS224n
repositories probed (both 100 once the import line was made flat).

Each import names a file the upload has. The names such imports go through are read from the
sources before anything runs (`scan`), so no other import changes meaning: a module the upload
really lacks is still missing. At import time each such name is an empty package, unless a real
one of that name can be found, and its submodule named like one of the upload's modules is that
module itself (the same object: the function the grader takes is the one the student's
`from ... import` bound). A file with relative imports runs inside a package of the grader's
(RELATIVE) for the same purpose.
"""
from __future__ import annotations

import ast
import importlib
import importlib.machinery
import re
import sys
import types
from typing import Callable, Iterable

# The package a file's relative imports resolve in ("from .q1_softmax import" reaches
# RELATIVE.q1_softmax, which is the upload's q1_softmax).
RELATIVE = "your_upload"


class Found:
    """What the sources ask of packages: their dotted names, and how deep a relative import of
    each file goes (file name -> levels). (No dataclass, nor importlib.abc below: every worker
    imports this module as it starts, and those two cost it about 8 ms.)"""

    def __init__(self) -> None:
        self.packages: set[str] = set()
        self.relative: dict[str, int] = {}


def _prefixes(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _candidates(modules: set[str]) -> re.Pattern[str]:
    """What a source must spell to hold such an import: a relative import, or one of the
    upload's module names after a dot or after `from PACKAGE import`."""
    names = "|".join(sorted(map(re.escape, modules)))
    return re.compile(rf"(?m)^[ \t]*(?:from[ \t]+(?:\.|[\w.]+\.(?:{names})\b|[\w.]+[ \t]+import\b"
                      rf"[^\n]*\b(?:{names})\b)|import[ \t]+[^\n]*\w\.(?:{names})\b)")


def scan(sources: Iterable[tuple[str, str]], modules: set[str],
         parse: Callable[[str], ast.Module | None]) -> Found:
    """Read (file name, source) for imports that reach one of `modules` (the upload's own module
    names) through a package. Only a source that spells such an import is parsed."""
    found = Found()
    if not modules:
        return found
    spelled = _candidates(modules)
    for name, source in sources:
        tree = parse(source) if spelled.search(source) else None
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    head, _, last = alias.name.rpartition(".")
                    if head and last in modules:
                        found.packages.update(_prefixes(head))
            elif isinstance(node, ast.ImportFrom):
                dotted = node.module or ""
                head, _, last = dotted.rpartition(".")
                reaches = (last in modules) if dotted else False
                imports_module = any(alias.name in modules for alias in node.names)
                if node.level:
                    first = dotted.split(".")[0] if dotted else ""
                    if first in modules or (not dotted and imports_module):
                        found.relative[name] = max(found.relative.get(name, 0), node.level)
                elif reaches and head:
                    found.packages.update(_prefixes(head))
                elif dotted and imports_module and dotted.split(".")[0] not in modules:
                    found.packages.update(_prefixes(dotted))
    for depth in found.relative.values():
        found.packages.update(_prefixes(".".join([RELATIVE] * depth)))
    return found


def package_for(depth: int) -> str:
    """The __package__ a file whose relative imports go `depth` levels up runs with."""
    return ".".join([RELATIVE] * depth)


class _Package:
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        module.__doc__ = "stands for the folder that held the upload's files"


class _Alias:
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        # The import system takes what sys.modules holds under the name once this returns.
        sys.modules[module.__name__] = importlib.import_module(self.target)


class Finder:
    """Resolves the packages `scan` found, and their submodules named like the upload's modules.
    Installed last in sys.meta_path: a real package of the name, installed or uploaded, wins."""

    def __init__(self, packages: set[str], modules: set[str]) -> None:
        self.packages, self.modules = packages, modules

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname in self.packages:
            spec = importlib.machinery.ModuleSpec(fullname, _Package(), is_package=True)
            spec.submodule_search_locations = []
            return spec
        head, _, last = fullname.rpartition(".")
        if head in self.packages and last in self.modules and isinstance(
                sys.modules.get(head), types.ModuleType) and isinstance(
                getattr(sys.modules[head], "__loader__", None), _Package):
            return importlib.machinery.ModuleSpec(fullname, _Alias(last))
        return None
