"""A pack's own modules, importable by its checks while it grades and by nothing afterwards.

A pack outside the grader package keeps its helpers (inputs.py, hints.py) beside its manifest
and its checks import them by bare name (`from inputs import rng`). Its folder is on sys.path for
the length of one grade only, and every module loaded from the pack's folder is dropped from
sys.modules afterwards: two packs may both have an inputs.py or a checks/test_softmax.py (pytest's
importlib mode reuses a module of the same name), and neither may see the other's. The student's
worker is another process and never sees the grader's sys.path.
"""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from grader.packs.model import Pack


def _under(module: object, folder: str) -> bool:
    file = getattr(module, "__file__", None) or ""
    return file.startswith(folder)


@contextmanager
def importable(pack: Pack) -> Iterator[None]:
    """Put the pack's folder on sys.path while grading (a pack that is a package of the grader,
    the built-in ones, is imported by its package name and needs nothing), then forget every
    module loaded from it, the checks included."""
    if pack.root is None:
        yield
        return
    root = str(pack.root.resolve())
    folder = root.rstrip("/") + "/"
    # A built-in pack's modules are grader.packs.NAME.*: kept, as any module of the grader is.
    own_package = any(root == str(Path(p).resolve()) for p in _grader_pack_paths())
    before = set(sys.modules)
    if not own_package:
        sys.path.insert(0, root)
    try:
        yield
    finally:
        if not own_package:
            try:
                sys.path.remove(root)
            except ValueError:
                pass
        for name in set(sys.modules) - before:
            module = sys.modules.get(name)
            if _under(module, folder) and not name.startswith("grader."):
                del sys.modules[name]


def kept_across_grades(pack: Pack) -> bool:
    """Whether the pack's modules stay loaded from one grade to the next (a built-in pack's
    are the grader's own), so that its collected checks may be run again."""
    if pack.root is None:
        return True
    root = str(pack.root.resolve())
    return any(root == str(Path(p).resolve()) for p in _grader_pack_paths())


def _grader_pack_paths() -> list[str]:
    from grader.packs import BUILTIN_PACKS
    return [str(p) for p in BUILTIN_PACKS.values()]
