"""A student's file as syntax trees, read in the grading process and never run: as Python 3, or as
the Python 2 the worker runs it as (the 2017 starter's print statements); a notebook one tree per
code cell. What those trees write is grader/worker/written_defs.py's to say."""
from __future__ import annotations

import ast
import json
from collections.abc import Collection
from pathlib import Path

from grader.worker import python2_source, written_defs

MOST_BYTES = 4 * 2**20  # a larger file is no student's hand-written code: read as none


def parsed(source: str) -> ast.Module | None:
    """The source's syntax tree, or None where neither Python 3 nor the rewrite of Python 2
    parses it (or it is nested past the parser)."""
    for candidate in (source, None):
        try:
            if candidate is None:
                candidate = python2_source.python3_source(source)[0]
            return ast.parse(candidate)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
    return None


def trees(path: Path, limit: int = MOST_BYTES) -> list[ast.Module]:
    """A .py file's tree, or a notebook's, one per code cell; none for a file that cannot be read
    or parsed, or is larger than `limit`."""
    try:
        if path.stat().st_size > limit:
            return []
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return trees_of(text, notebook=path.suffix.lower() == ".ipynb")


def trees_of(text: str, *, notebook: bool = False) -> list[ast.Module]:
    """The trees of a .py file's text, or of a notebook's (`notebook`), one per code cell: what
    `trees` reads of a file, for text read from elsewhere (a member of an uploaded zip)."""
    sources = [text]
    if notebook:
        try:
            cells = json.loads(text).get("cells", [])
            sources = ["".join(c.get("source", "")) if isinstance(c.get("source"), list)
                       else str(c.get("source", "")) for c in cells
                       if isinstance(c, dict) and c.get("cell_type") == "code"]
        except (ValueError, AttributeError, TypeError):
            return []
    return [tree for tree in map(parsed, sources) if tree is not None]


def writes(path: Path, functions: Collection[str]) -> set[str]:
    """The graded `functions` the file at `path` writes (not the starter's stubs)."""
    return written_defs.written(trees(path), functions)
