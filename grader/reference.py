"""Load the instructor's reference solution, by path, into the grader process.

The reference is trusted code. It uses the original multi-file layout (its files import each other
by their bare names), so it is imported with its folder briefly on sys.path and its modules taken
out of sys.modules afterwards, leaving no trace for anything else the grader imports.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path
from types import SimpleNamespace

from grader.packs import Pack

REFERENCE_ENV = "AUTOGRADE_REFERENCE"


class ReferenceError(Exception):
    pass


class Reference(SimpleNamespace):
    """The reference's functions by name. Its repr is a plain word: it shows up in hypothesis's
    counterexamples, which must read the same on every run and reveal nothing of the solution."""

    def __repr__(self) -> str:
        return "reference"


def locate(pack: Pack, explicit: Path | None = None, disabled: bool = False) -> Path | None:
    """Where the reference is: --reference, else $AUTOGRADE_REFERENCE, else the pack's default
    folder if it exists. None means grading without one (a student's copy of the grader)."""
    if disabled:
        return None
    if explicit is not None:
        return Path(explicit)
    if os.environ.get(REFERENCE_ENV):
        return Path(os.environ[REFERENCE_ENV])
    if pack.default_reference is not None and pack.default_reference.is_dir():
        return pack.default_reference
    return None


def missing_named(pack: Pack) -> str:
    """"" or, when the pack's manifest names a reference folder that is not there, a sentence
    saying so (a typo in the path, a solution folder not copied to this machine: a batch graded
    a correct class 21 of 40 as students' copies, and other commands said "no reference found
    beside the grader")."""
    named = pack.reference_named
    if named is None or named.is_dir() or is_built_in(pack):
        # A built-in pack's manifest names where a source checkout keeps the reference, outside
        # the package: an installed grader (the instructor's wheel, every student's copy) never
        # has it there, and said so on every student's grade ("... site-packages/reference,
        # which does not exist"), as if the install were broken.
        return ""
    return f"the pack's manifest names the reference folder {named}, which does not exist"


def is_built_in(pack: Pack) -> bool:
    """Whether `pack` is one of the grader's own (its files inside the package)."""
    from grader.packs import BUILTIN_PACKS
    root = pack.root or pack.checks_dir.parent
    return any(root.resolve() == folder.resolve() for folder in BUILTIN_PACKS.values())


def _import(spec: importlib.machinery.ModuleSpec, module: object, path: Path) -> None:
    """Run the reference's module. What its own code raises as it is imported (a KeyError at
    its top level) is a ReferenceError, as a missing module is refused: every command that
    loads it refused the one and crashed on the other, "a bug in the grader" (probe s61)."""
    try:
        spec.loader.exec_module(module)
    except (ImportError, SyntaxError, OSError):
        raise  # said as they are, by every command that loads a reference
    except Exception as exc:  # noqa: BLE001 (the instructor's code, whatever it raised)
        raise ReferenceError(f"{type(exc).__name__} while importing {path.name}: {exc}") \
            from exc


def load(pack: Pack, directory: Path) -> Reference:
    directory = Path(directory).resolve()
    if not directory.is_dir():
        raise ReferenceError(f"no reference folder at {directory}")
    homes = list(dict.fromkeys(pack.homes.values()))
    before = set(sys.modules)
    # The course's support files (a helper module the reference imports too) come after it.
    support = [str(pack.support_dir)] if pack.support_dir is not None else []
    sys.path[:0] = [str(directory)] + support
    found: dict = {}
    try:
        for home in homes:
            path = directory / f"{home}.py"
            if not path.exists():
                continue
            spec = importlib.util.spec_from_file_location(home, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[home] = module
            _import(spec, module, path)
            found.update({k: v for k, v in vars(module).items() if callable(v)})
    finally:
        for entry in [str(directory)] + support:
            sys.path.remove(entry)
        for name in set(sys.modules) - before:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            if module_file.startswith((str(directory), *support)):
                del sys.modules[name]
    # A graded composition (a training loop) is the grader's, built from the reference's parts.
    missing = [f.name for f in pack.functions if f.name not in found and not f.uses]
    if missing:
        # The folder's name, not its path: the warning goes into reports, which must read the
        # same on every machine (a batch unpacks the reference into a temporary folder).
        absent = [f"{home}.py" for home in homes if not (directory / f"{home}.py").exists()]
        where = ""
        if absent:
            # A notebook pack's reference is a .py named after the notebook (`reference/hw3.py`
            # for hw3.ipynb), which its author had to find in this code: a reference/hw3.ipynb
            # or layers.py "lacked" functions it defines.
            others = sorted(p.name for p in directory.iterdir()
                            if p.suffix in (".py", ".ipynb") and p.name not in absent)
            where = (f": it has no {', '.join(absent)}, the file{'s' if len(absent) > 1 else ''} "
                     "the pack's functions are read from"
                     + (f" (it holds {', '.join(others[:5])})" if others else ""))
        raise ReferenceError(f"the reference ({directory.name}/) lacks {', '.join(missing)}"
                             + where)
    return Reference(**found)
