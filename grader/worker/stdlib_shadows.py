"""An upload's own file named like a standard module the worker loaded for itself (json.py,
signal.py, string.py): the student's file, as a plain `python` beside it imports it.

The worker imports some thirty standard modules that an interpreter with numpy loaded does not
(json, random, signal, shutil, tempfile, ...). Left in sys.modules, each hides a student's file
of that name: `from json import logistic` in hw1.py, beside the student's json.py, failed with
an ImportError naming the grader's own path, and the upload scored 0 where it runs on the
student's machine (recheck probe s62). Those names are taken off sys.modules before the import,
where the upload holds such a file; the worker's modules keep the modules they bound. A module
numpy itself holds (or one that those hold) stays: beside numpy, the student's machine would
not load their file either.
"""
from __future__ import annotations

import sys
import types
from collections.abc import Collection
from pathlib import Path


def _names_in(root: Path) -> set[str]:
    """The top-level module names the upload's folder provides: name.py, or a package name/."""
    names = set()
    try:
        entries = list(root.iterdir())
    except OSError:
        return names
    for entry in entries:
        if entry.suffix == ".py" and entry.stem.isidentifier():
            names.add(entry.stem)
        elif entry.is_dir() and entry.name.isidentifier() and (entry / "__init__.py").exists():
            names.add(entry.name)
    return names


def _held_by_numpy() -> set[str]:
    """The modules numpy's modules refer to, and those these refer to, and so on."""
    seen: set[str] = set()
    todo = [m for name, m in list(sys.modules.items())
            if name == "numpy" or name.startswith("numpy.")]
    while todo:
        module = todo.pop()
        for value in list(getattr(module, "__dict__", {}).values()):
            if isinstance(value, types.ModuleType):
                name = getattr(value, "__name__", None)
                if isinstance(name, str) and name not in seen:
                    seen.add(name)
                    todo.append(value)
    return seen


def free(root: Path, at_start: Collection[str]) -> list[str]:
    """Take off sys.modules each name the upload in `root` provides that the worker loaded
    itself (not at the interpreter's start, `at_start`, nor for numpy); return those names."""
    wanted = {name for name in _names_in(root) if name in sys.modules and name not in at_start}
    if not wanted:
        return []
    freed = sorted(wanted - _held_by_numpy())
    for name in freed:
        del sys.modules[name]
    return freed
