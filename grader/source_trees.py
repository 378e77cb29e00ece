"""A student's file as syntax trees, read in the grading process and never run: as Python 3, or as
the Python 2 the worker runs it as (the 2017 starter's print statements); a notebook one tree per
code cell. What those trees write is grader/worker/written_defs.py's to say.

The grading process reads a whole class's files before grading anyone (grader/class_folder.py),
so nothing in a file may stop it, slow it down or fill its memory: a file that cannot be read or
parsed, or holds more code than anyone writes by hand, is read as no trees (probe s60: a notebook
whose cells were not a list, or JSON nested 200,000 deep, stopped a batch before anyone was
graded; 4 MiB of `print 1` kept it reading for minutes; a 4 MiB list took 2.8 GB to parse).
Text is decoded as the worker decodes it (grader/worker/source_text.py: a BOM, a PEP 263
declaration, Windows-1252 bytes), so both sides read the same code.
"""
from __future__ import annotations

import ast
import io
import os
import re
import stat
import tokenize
import warnings
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from grader.worker import python2_source, source_text, written_defs

MOST_BYTES = 32 * 2**20  # a file's size (a notebook's saved outputs count): larger is read as none
# Code parsed here (comments and strings aside), a file's or a notebook's cells together: the
# 2017 starter's largest file is 8 KB and real submissions are under 30 KB. Parsing takes about 700 bytes of memory per byte of
# the densest code (`x = [0, 0, ...]`), and the Python 2 rewrite about 0.3 ms per statement.
MOST_CODE = 128 * 2**10
# A line IPython reads as a magic or a shell escape (`%matplotlib inline`, `!pip install x`),
# which the worker turns into a call that does nothing: here a `pass`, so that a cell's defs
# beside it are still read.
_MAGIC_LINE = re.compile(r"^([ \t]*)[%!].*$", re.MULTILINE)


def parsed(source: str) -> ast.Module | None:
    """The source's syntax tree, or None where neither Python 3 nor the rewrite of Python 2
    parses it, it is nested past the parser, or it holds more than MOST_CODE of code."""
    if _code_size(source) > MOST_CODE:
        return None
    with warnings.catch_warnings():
        # Python's SyntaxWarnings about a student's code ("invalid escape sequence") went to the
        # instructor's terminal, once per parse, naming neither file nor student.
        warnings.simplefilter("ignore")
        for candidate in (source, None):
            try:
                if candidate is None:
                    candidate = python2_source.python3_source(source)[0]
                return ast.parse(candidate)
            except Exception:  # noqa: BLE001 (any file at all: none may stop the grader)
                continue
    return None


def _code_size(source: str, *, counted: bool = False) -> int:
    """The source's length without its comments and strings, where it is longer than MOST_CODE
    (cheap to parse: a string is one node whatever its length): a training log pasted into a
    docstring made a 143 KB resubmission write nothing here, so an older file was graded
    (recheck probe s60). Read token by token, and only until it is over MOST_CODE of code: a
    file of dense code stops the count early."""
    if len(source) <= MOST_CODE and not counted:
        return len(source)
    if len(source) > MOST_BYTES:
        return len(source)
    size = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type not in (tokenize.COMMENT, tokenize.STRING, tokenize.NL):
                size += len(token.string)
                if size > MOST_CODE:
                    break
    except (tokenize.TokenError, SyntaxError):
        pass
    return size


def trees(path: Path, limit: int = MOST_BYTES) -> list[ast.Module]:
    """A .py file's tree, or a notebook's, one per code cell; none for a file that cannot be read
    or parsed, or is larger than `limit`."""
    try:
        status = os.lstat(path)
        # A named pipe waits for a writer for ever, a link may lead out of the upload: only a
        # regular file is read (a student's `zz.py` pipe kept `autograde grade` waiting).
        if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
            return []
        data = path.read_bytes()
    except OSError:
        return []
    return trees_of_bytes(data, notebook=path.suffix.lower() == ".ipynb")


def trees_of_bytes(data: bytes, *, notebook: bool = False) -> list[ast.Module]:
    """The trees of a .py file's bytes, or of a notebook's (`notebook`), decoded as the worker
    decodes them: for bytes read from elsewhere (a member of an uploaded zip)."""
    try:
        if notebook:
            return _notebook_trees(source_text.notebook_json(data)[0])
        return trees_of(source_text.python_source(data)[0])
    except Exception:  # noqa: BLE001 (not JSON, JSON of another shape, nested past the parser)
        return []


def trees_of(text: str, *, notebook: bool = False) -> list[ast.Module]:
    """The trees of a .py file's text, or of a notebook's (`notebook`), one per code cell."""
    if not notebook:
        tree = parsed(text)
        return [tree] if tree is not None else []
    return trees_of_bytes(text.encode("utf-8", "surrogatepass"), notebook=True)


def _notebook_trees(raw: Any) -> list[ast.Module]:
    sources = list(_code_cells(raw))
    if sum(map(len, sources)) > MOST_CODE:
        total = 0
        for source in sources:  # a cell's comments and strings aside, as a file's
            total += _code_size(source, counted=True)
            if total > MOST_CODE:
                return []
    found = []
    for source in sources:
        tree = parsed(source)
        if tree is None and _MAGIC_LINE.search(source):
            tree = parsed(_MAGIC_LINE.sub(r"\1pass", source))
        if tree is not None:
            found.append(tree)
    return found


def _code_cells(raw: Any) -> Iterator[str]:
    """The source of each code cell of a notebook's JSON, of any nbformat (version 3's
    worksheets and "input" too); anything of another shape is no cell."""
    if not isinstance(raw, dict):
        return
    sheets = raw.get("worksheets") if isinstance(raw.get("worksheets"), list) else [raw]
    for sheet in sheets:
        cells = sheet.get("cells") if isinstance(sheet, dict) else None
        for cell in cells if isinstance(cells, list) else ():
            if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                continue
            source = cell.get("source", cell.get("input"))
            if isinstance(source, list):
                source = "".join(s for s in source if isinstance(s, str))
            if isinstance(source, str):
                yield source


def writes(path: Path, functions: Collection[str]) -> set[str]:
    """The graded `functions` the file at `path` writes (not the starter's stubs)."""
    return written_defs.written(trees(path), functions)
